/*
 * stage.h - consumer stages: dedup, enrichers and sinks, each a const
 * struct registered in a static table (stages.c) [Fluent Bit plugins].
 *
 * A record's path through the consumer: parse -> dedup stages ->
 * enrichers -> every sink. process() is called once per record in
 * partition order on the consumer's main thread; flush() is called before
 * offsets are stored, and an offset is stored only once every sink's
 * flush() covering that record returned WH_OK.
 */
#ifndef WH_STAGE_H
#define WH_STAGE_H

#include <stddef.h>
#include <stdint.h>

struct wh_config;
struct wh_config_key;
struct wh_record;

/* process() result beyond the WH_OK/WH_RETRY/WH_REJECT/WH_FATAL codes of
 * wh.h: the record is fully handled (e.g. an exact duplicate already
 * written); later stages do not see it and its offset may be stored. */
#define WH_DROP 1

enum wh_stage_type { WH_STAGE_DEDUP, WH_STAGE_ENRICH, WH_STAGE_SINK };

/* Where the record came from (borrowed, valid during process()). */
struct wh_msg_meta {
    const char *topic;
    int32_t partition;
    int64_t offset;
    const char *key; /* may be NULL */
    size_t key_len;
    const void *payload; /* the original bytes */
    size_t len;
    /* For a sink that learns only later - in the process() of another
     * record or in flush() - that this record is refused for good (a
     * per-item 4xx of a bulk request, a Kafka delivery report): it keeps
     * token, reject and reject_opaque (plain values, valid for the life
     * of the consumer) and then calls reject(reject_opaque, token,
     * reason) once for the record, on the consumer's main thread, from
     * inside one of its own process() or flush() calls. The consumer
     * sends the record to the dead-letter topic with reason (copied) and
     * no offset passes it before that is delivered. reject is NULL when
     * the caller does not track records (test drivers): the sink then
     * only names the records in flush()'s errstr. */
    uint64_t token;
    void (*reject)(void *opaque, uint64_t token, const char *reason);
    void *reject_opaque;
};

struct wh_stage {
    const char *name; /* "jsonl", "exact", "language", ... */
    enum wh_stage_type type;
    const char *version;     /* written into the extension object */
    const char *description; /* one line */
    /* Its configuration keys, {NULL}-terminated (NULL: none), declared in
     * its own file and read there through wh_config_int() & co. with
     * this table. The consumer's key table, and wirehose-replay's (which
     * reads the consumer's file), is built from every stage's; keys
     * several stages share (enrich.*) are one table they all point to. */
    const struct wh_config_key *keys;
    /* --check-config: checks, without side effects (no connection, no
     * file created), what init() would refuse that the key types cannot
     * tell: arg's syntax, a sink file's directory, data files. The key
     * values are checked already. May be NULL. Returns WH_OK or WH_EINVAL
     * with the reason in errstr. */
    int (*check)(const char *arg, const struct wh_config *cfg, char *errstr,
                 size_t errstr_size);
    /* arg: what follows "name:" in --sink name:arg (NULL otherwise).
     * Returns an opaque context, or NULL with errstr filled. */
    void *(*init)(const char *arg, const struct wh_config *cfg, char *errstr,
                  size_t errstr_size);
    /* Handles one record (may change it). Returns WH_OK, WH_DROP,
     * WH_RETRY, WH_REJECT (reason in errstr) or WH_FATAL. */
    int (*process)(void *ctx, struct wh_record *rec,
                   const struct wh_msg_meta *meta, char *errstr,
                   size_t errstr_size);
    /* Makes what process() accepted durable (fsync, commit). May be NULL
     * for stages that hold nothing. Same return codes; WH_REJECT means
     * some records were refused for good (each reported through its
     * meta->reject when there was one, and named in errstr) and the rest
     * is durable. */
    int (*flush)(void *ctx, char *errstr, size_t errstr_size);
    /* Whether the dependency behind the stage (a server, a store) is
     * reachable now: WH_OK, or WH_RETRY with the reason in errstr. May
     * (re)connect, under the stage's own backoff and timeouts. The
     * consumer calls it every few seconds for /healthz, so an outage
     * shows, and its end is seen, without a record. May be NULL. */
    int (*probe)(void *ctx, char *errstr, size_t errstr_size);
    void (*close)(void *ctx); /* close(NULL) is a no-op */
};

/* Looks a stage up by type and name in the static table; NULL if none. */
const struct wh_stage *wh_stage_find(enum wh_stage_type type, const char *name);

/* Every stage's keys joined in one table (wh_config_keys_join()), built
 * on the first call and kept for the life of the process. Main thread. */
const struct wh_config_key *wh_stage_keys(void);

/* The i-th stage of the static table, in pipeline order, or NULL past the
 * end: for running every dedup and enrich stage and listing the stages in
 * --help. */
const struct wh_stage *wh_stage_at(size_t i);

#endif
