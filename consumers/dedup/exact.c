/*
 * exact.c - the exact-duplicate stage: a record with the same uri and the
 * same body hash as one already seen is dropped (WH_DROP), so it is
 * written once.
 *
 * The body hash is the record's contentHash when the producer set one,
 * otherwise wh_body_hash() of its text body. The set of (uri, hash) pairs
 * lives in memory, in an open-addressing table, for the life of the
 * process: a restarted consumer, or a second instance of the group, does
 * not see it (the dedup issue brings a shared, persistent store).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage.h"
#include "wh/hash.h"
#include "wh/log.h"
#include "wh/record.h"
#include "wh/wh.h"

#define TAG "dedup:exact"

struct exact_slot {
    uint64_t h;         /* wh_hash64 of key */
    char *key;          /* "uri\nbodyhash"; NULL when the slot is free */
};

struct exact {
    struct exact_slot *slots;
    size_t cap;         /* a power of two */
    size_t n;
};

static void *exact_init(const char *arg, const struct wh_config *cfg,
                        char *errstr, size_t errstr_size)
{
    struct exact *ctx;

    (void)arg;
    (void)cfg;
    (void)errstr;
    (void)errstr_size;
    ctx = wh_xcalloc(1, sizeof(*ctx));
    ctx->cap = 1024;
    ctx->slots = wh_xcalloc(ctx->cap, sizeof(*ctx->slots));
    return ctx;
}

static void exact_close(void *arg)
{
    struct exact *ctx = arg;
    size_t i;

    if (ctx == NULL) {
        return;
    }
    for (i = 0; i < ctx->cap; i++) {
        free(ctx->slots[i].key);
    }
    free(ctx->slots);
    free(ctx);
}

/* The slot holding key, or the free slot where it belongs. */
static struct exact_slot *slot_for(struct exact_slot *slots, size_t cap,
                                   uint64_t h, const char *key)
{
    size_t i = (size_t)h & (cap - 1);

    for (;;) {
        struct exact_slot *s = &slots[i];

        if (s->key == NULL || (s->h == h && strcmp(s->key, key) == 0)) {
            return s;
        }
        i = (i + 1) & (cap - 1);
    }
}

static void grow(struct exact *ctx)
{
    size_t cap = ctx->cap * 2;
    struct exact_slot *slots = wh_xcalloc(cap, sizeof(*slots));
    size_t i;

    for (i = 0; i < ctx->cap; i++) {
        if (ctx->slots[i].key != NULL) {
            *slot_for(slots, cap, ctx->slots[i].h, ctx->slots[i].key) =
                ctx->slots[i];
        }
    }
    free(ctx->slots);
    ctx->slots = slots;
    ctx->cap = cap;
}

static int exact_process(void *arg, struct wh_record *rec,
                         const struct wh_msg_meta *meta, char *errstr,
                         size_t errstr_size)
{
    struct exact *ctx = arg;
    char *body_hash = NULL;
    const char *hash;
    struct exact_slot *s;
    char *key;
    uint64_t h;

    (void)errstr;
    (void)errstr_size;
    WH_ASSERT(rec->uri != NULL);
    if (rec->content_hash != NULL && rec->content_hash[0] != '\0') {
        hash = rec->content_hash;
    } else {
        body_hash = wh_body_hash(rec->body_text != NULL ? rec->body_text
                                                        : "");
        hash = body_hash;
    }
    key = wh_xasprintf("%s\n%s", rec->uri, hash);
    free(body_hash);
    h = wh_hash64(key, strlen(key));

    s = slot_for(ctx->slots, ctx->cap, h, key);
    if (s->key != NULL) {
        wh_debug(TAG, "%s [%d] @ %lld: exact duplicate of %s",
                 meta->topic, (int)meta->partition, (long long)meta->offset,
                 rec->uri);
        free(key);
        return WH_DROP;
    }
    s->h = h;
    s->key = key;
    ctx->n++;
    /* Keep the table at most 3/4 full, so probes stay short. */
    if (ctx->n * 4 > ctx->cap * 3) {
        grow(ctx);
    }
    return WH_OK;
}

const struct wh_stage wh_dedup_exact = {
    .name = "exact",
    .type = WH_STAGE_DEDUP,
    .version = "1",
    .description = "drops a record whose uri and body hash were seen "
                   "(in memory)",
    .init = exact_init,
    .process = exact_process,
    .flush = NULL,
    .close = exact_close,
};
