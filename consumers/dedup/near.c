/*
 * near.c - the "dedup" stage (see near.h): turns a record into a store
 * input (uri, body hash, message identity, SimHash and MinHash), asks the
 * shared store for a decision and writes the answer into the record.
 */
#include "near.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "store.h"
#include "wh/config.h"
#include "wh/hash.h"
#include "wh/log.h"
#include "wh/pg.h"
#include "wh/record.h"
#include "wh/wh.h"

#define TAG "dedup:dedup"
#define DEFAULT_STATE_DIR "./wirehose-state"

/* dedup.store: "file" or "postgres:CONNINFO" (the conninfo checked by
 * libpq's parser). */
static int store_check(const char *value, char *errstr, size_t errstr_size)
{
    if (strncmp(value, "postgres:", 9) == 0) {
        return wh_pg_conninfo_check(value + 9, errstr, errstr_size);
    }
    if (value[0] != '\0' && strcmp(value, "file") != 0) {
        snprintf(errstr, errstr_size, "expected file or postgres:CONNINFO");
        return WH_EINVAL;
    }
    return WH_OK;
}

const struct wh_config_key wh_dedup_config_keys[] = {
    WH_KEY_PATH(
        "dedup.state_dir", NULL,
        "directory of the dedup decision log shared by the consumers "
        "of this machine (default $STATE_DIRECTORY, else " DEFAULT_STATE_DIR
        ")"),
    WH_KEY_CHECKED("dedup.store", WH_CONFIG_CONNINFO, "file", store_check,
                   "where the decision log lives: file (dedup.log in "
                   "dedup.state_dir) or postgres:CONNINFO (a table shared by "
                   "consumers on several machines)"),
    WH_KEY_ENUM("dedup.copies", "keep", "keep|drop|topic",
                "near-duplicate copies: keep (linked), drop, or topic "
                "(flagged for the copies topic)"),
    WH_KEY_INT("dedup.min_words", "20", 0, WH_NO_MAX, "words",
               "bodies with fewer words are never joined to other uris"),
    WH_KEY_ENUM("dedup.fsync", "flush", "flush|each",
                "flush (fdatasync when the consumer flushes) or each "
                "(every decision)"),
    WH_KEY_DURATION("dedup.window", "720h", 0, INT32_MAX, "s",
                    "decisions made longer ago are forgotten (720h: 30 "
                    "days; 0 keeps everything)"),
    WH_KEY_END};

enum copies_policy { COPIES_KEEP, COPIES_DROP, COPIES_TOPIC };

struct near {
    struct wh_dedup_store *st;
    struct wh_simhash_params sh;
    enum copies_policy copies;
    long long min_words;
    /* counters, logged at close */
    unsigned long long n_new;
    unsigned long long n_copy;
    unsigned long long n_version;
    unsigned long long n_exact;
    unsigned long long n_replay;
    unsigned long long n_skipped;
    unsigned long long n_short;
};

static void *near_init(const char *arg, const struct wh_config *cfg,
                       char *errstr, size_t errstr_size)
{
    struct wh_dedup_store_params p;
    struct near *ctx = NULL;
    const char *dir =
        wh_config_str(cfg, wh_dedup_config_keys, "dedup.state_dir");
    const char *store = wh_config_str(cfg, wh_dedup_config_keys, "dedup.store");
    char *first = NULL;
    long long min_words = 0;
    long long window_s = 0;
    int copies = COPIES_KEEP;
    int fs = 0;

    (void)arg;
    if (wh_config_int(cfg, wh_dedup_config_keys, "dedup.min_words", &min_words,
                      errstr, errstr_size) != WH_OK ||
        wh_config_enum(cfg, wh_dedup_config_keys, "dedup.copies", &copies,
                       errstr, errstr_size) != WH_OK ||
        wh_config_enum(cfg, wh_dedup_config_keys, "dedup.fsync", &fs, errstr,
                       errstr_size) != WH_OK ||
        wh_config_int(cfg, wh_dedup_config_keys, "dedup.window", &window_s,
                      errstr, errstr_size) != WH_OK) {
        return NULL;
    }
    if (dir == NULL) {
        /* systemd's StateDirectory= may list several, ':'-separated */
        const char *sd = getenv("STATE_DIRECTORY");

        if (sd != NULL && sd[0] != '\0') {
            first = wh_xstrndup(sd, strcspn(sd, ":"));
            dir = first;
        } else {
            dir = DEFAULT_STATE_DIR;
        }
    }
    ctx = wh_xcalloc(1, sizeof(*ctx));
    ctx->copies = (enum copies_policy)copies;
    ctx->min_words = min_words;
    wh_dedup_store_params_default(&p);
    p.dir = dir;
    p.store = store;
    p.fsync_each = fs == 1;
    p.window_s = window_s;
    ctx->sh = p.sh;
    ctx->st = wh_dedup_store_open(&p, errstr, errstr_size);
    if (ctx->st == NULL) {
        free(ctx);
        ctx = NULL;
        goto out;
    }
    wh_info(TAG, "state in %s: %zu decisions in the window (%lld s%s)",
            store != NULL && strncmp(store, "postgres:", 9) == 0 ? "postgres"
                                                                 : dir,
            wh_dedup_store_count(ctx->st), window_s,
            window_s == 0 ? ": keep everything" : "");
out:
    free(first);
    return ctx;
}

static void near_close(void *arg)
{
    struct near *ctx = arg;

    if (ctx == NULL) {
        return;
    }
    wh_info(TAG,
            "new %llu, copies %llu, versions %llu, repeats dropped "
            "%llu, replays %llu, skipped %llu, too short to match %llu",
            ctx->n_new, ctx->n_copy, ctx->n_version, ctx->n_exact,
            ctx->n_replay, ctx->n_skipped, ctx->n_short);
    wh_info(TAG, "state: %zu decisions in the window, %zu bytes of memory",
            wh_dedup_store_count(ctx->st), wh_dedup_store_bytes(ctx->st));
    wh_dedup_store_close(ctx->st);
    free(ctx);
}

static json_t *ext_of(struct wh_record *rec)
{
    if (rec->ext == NULL) {
        rec->ext = json_object();
    }
    return rec->ext;
}

static void ext_set_str(struct wh_record *rec, const char *key, const char *val)
{
    json_object_set_new(ext_of(rec), key, json_string(val));
}

/* Passes the record on undeduplicated, saying why. */
static int skip(struct near *ctx, struct wh_record *rec, const char *why)
{
    ctx->n_skipped++;
    ext_set_str(rec, "dedup", "skipped");
    ext_set_str(rec, "dedupReason", why);
    wh_debug(TAG, "%s: skipped: %s", rec->uri ? rec->uri : "(no uri)", why);
    return WH_OK;
}

static int has_text(const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') {
            return 1;
        }
    }
    return 0;
}

/* Identity of this message: its place in Kafka (a replay or a
 * redelivery after a crash reads the same topic, partition and offset),
 * else, outside Kafka, the producer's fetch of it. The fetch is only a
 * fallback: fetchedAt has one-second resolution, so two feeds naming the
 * same page can yield two messages with equal fetchedAt, uri and body,
 * and the second must be a duplicate, not a replay of the first. */
static uint64_t self_hash(const struct wh_record *rec,
                          const struct wh_msg_meta *meta, uint64_t body)
{
    XXH3_state_t *s;
    uint64_t h = 0;
    int by_place = meta != NULL && meta->topic != NULL && meta->offset >= 0;

    if (!by_place && (rec->fetched_at == NULL || rec->fetched_at[0] == '\0')) {
        return 0;
    }
    s = XXH3_createState();
    WH_ASSERT(s != NULL);
    XXH3_64bits_reset(s);
    if (by_place) {
        XXH3_64bits_update(s, "k", 1);
        XXH3_64bits_update(s, meta->topic, strlen(meta->topic) + 1);
        XXH3_64bits_update(s, &meta->partition, sizeof(meta->partition));
        XXH3_64bits_update(s, &meta->offset, sizeof(meta->offset));
    } else {
        XXH3_64bits_update(s, "f", 1);
        XXH3_64bits_update(s, rec->fetched_at, strlen(rec->fetched_at) + 1);
        if (rec->source != NULL) {
            XXH3_64bits_update(s, rec->source, strlen(rec->source) + 1);
        }
        XXH3_64bits_update(s, rec->uri, strlen(rec->uri) + 1);
        XXH3_64bits_update(s, &body, sizeof(body));
    }
    h = XXH3_64bits_digest(s);
    XXH3_freeState(s);
    return h ? h : 1;
}

static int near_process(void *arg, struct wh_record *rec,
                        const struct wh_msg_meta *meta, char *errstr,
                        size_t errstr_size)
{
    struct near *ctx = arg;
    struct wh_simhash_sig *sig = NULL;
    struct wh_dedup_input in;
    struct wh_dedup_result res;
    char now[21];
    char hex[17];
    char prev_hash[32];
    char *bh;
    int rc;

    memset(&res, 0, sizeof(res));
    if (rec->ext != NULL) {
        /* a record that went through a dedup stage before (e.g. read back
         * from an output topic) gets fresh answers, none left over */
        static const char *const ours[] = {
            "dedup",           "clusterId",       "duplicateOf", "dedupReason",
            "dedupSimilarity", "previousVersion", "dedupRoute"};
        size_t i;

        for (i = 0; i < WH_ARRAY_SIZE(ours); i++) {
            json_object_del(rec->ext, ours[i]);
        }
    }
    if (rec->uri == NULL || rec->uri[0] == '\0') {
        return skip(ctx, rec, "no uri");
    }
    if (strlen(rec->uri) > WH_DEDUP_URI_MAX) {
        return skip(ctx, rec, "uri too long");
    }
    if (!has_text(rec->body_text)) {
        return skip(ctx, rec, "no text body");
    }
    memset(&in, 0, sizeof(in));
    bh = wh_body_hash(rec->body_text);
    in.body_hash = strtoull(bh + 5, NULL, 16); /* "xxh3:<16 hex>" */
    free(bh);
    sig = wh_xmalloc(sizeof(*sig));
    rc = wh_simhash_compute(&ctx->sh, rec->body_text, strlen(rec->body_text),
                            sig);
    WH_ASSERT(rc == WH_OK);
    in.uri = rec->uri;
    in.self_hash = self_hash(rec, meta, in.body_hash);
    in.sig = sig;
    in.near = sig->nwords >= (unsigned long long)ctx->min_words;
    in.version = rec->version ? rec->version : 1;
    if (rec->version_created != NULL &&
        (rec->first_created == NULL ||
         strcmp(rec->version_created, rec->first_created) != 0)) {
        in.version_created = rec->version_created;
    } else if (rec->fetched_at != NULL) {
        in.version_created = rec->fetched_at;
    } else {
        wh_now_rfc3339(now);
        in.version_created = now;
    }
    rc = wh_dedup_store_decide(ctx->st, &in, &res, errstr, errstr_size);
    free(sig);
    if (rc == WH_EINVAL) {
        return skip(ctx, rec, errstr);
    }
    if (rc != WH_OK) {
        /* the store is unreachable: hold the record (and its offset) */
        wh_warn(TAG, "%s: decision store unavailable, pausing: %s", rec->uri,
                errstr);
        return WH_RETRY;
    }
    ctx->n_replay += (unsigned long long)res.replay;
    if (!in.near) {
        ctx->n_short++;
        ext_set_str(rec, "dedupReason", "body too short to match other uris");
    }
    switch (res.decision) {
    case WH_DEDUP_EXACT:
        ctx->n_exact++;
        wh_debug(TAG, "%s: repeat of version %u, dropped", rec->uri,
                 res.version);
        rc = WH_DROP;
        goto out;
    case WH_DEDUP_VERSION: {
        json_t *prev = json_object();

        ctx->n_version++;
        rec->version = res.version;
        free(rec->version_created);
        rec->version_created = wh_xstrdup(res.version_created);
        json_object_set_new(prev, "version",
                            json_integer((json_int_t)res.prev_version));
        wh_hash64_hex(res.prev_body_hash, hex);
        snprintf(prev_hash, sizeof(prev_hash), "xxh3:%s", hex);
        json_object_set_new(prev, "contentHash", json_string(prev_hash));
        json_object_set_new(ext_of(rec), "previousVersion", prev);
        break;
    }
    case WH_DEDUP_COPY:
        ctx->n_copy++;
        break;
    case WH_DEDUP_NEW:
        ctx->n_new++;
        break;
    }
    ext_set_str(rec, "dedup", wh_dedup_decision_name(res.decision));
    ext_set_str(rec, "clusterId", res.cluster_uri);
    rc = WH_OK;
    if (res.decision == WH_DEDUP_COPY) {
        ext_set_str(rec, "duplicateOf", res.dup_of_uri);
        json_object_set_new(ext_of(rec), "dedupSimilarity",
                            json_real(res.similarity));
        if (ctx->copies == COPIES_DROP) {
            rc = WH_DROP;
        } else if (ctx->copies == COPIES_TOPIC) {
            ext_set_str(rec, "dedupRoute", "copies");
        }
    }
out:
    wh_dedup_result_clear(&res);
    return rc;
}

static int near_flush(void *arg, char *errstr, size_t errstr_size)
{
    struct near *ctx = arg;

    return wh_dedup_store_sync(ctx->st, errstr, errstr_size) == WH_OK
               ? WH_OK
               : WH_RETRY;
}

const struct wh_stage wh_stage_dedup = {
    .name = "dedup",
    .type = WH_STAGE_DEDUP,
    .version = "1",
    .description = "repeats, versions and near-duplicate clusters shared "
                   "by the consumers of a machine",
    .keys = wh_dedup_config_keys,
    .check = NULL,
    .init = near_init,
    .process = near_process,
    .flush = near_flush,
    .close = near_close,
};
