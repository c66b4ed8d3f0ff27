/*
 * settings.h - the consumer's configuration keys, declared once: its own
 * (brokers, topic, sink, flush.*, ...) and, joined to them, every
 * stage's (stage.h). wirehose-consumer reads its file through this
 * table, and so does wirehose-replay, which accepts the consumer's file
 * as it is (it uses brokers, topic, group and the kafka.* keys).
 */
#ifndef WH_CONSUMER_SETTINGS_H
#define WH_CONSUMER_SETTINGS_H

#include <stddef.h>

#include "wh/config.h"

/* The consumer group when neither group nor kafka.group.id is set. */
#define WH_CONSUMER_DEFAULT_GROUP "wirehose-consumer"

/* The command-line flags wirehose-consumer and wirehose-replay share:
 * -c FILE, -b BROKERS, -t TOPIC, -g GROUP, -X PROP=VALUE (repeated), -v
 * and -q. Each program adds its own options to WH_CONSUMER_SHORTOPTS. */
struct wh_consumer_flags {
    const char *config_path;
    const char *brokers;
    const char *topic;
    const char *group;
    const char **xprops; /* argc + 1 slots, the caller's */
    size_t nxprops;
    int verbosity;
};
#define WH_CONSUMER_SHORTOPTS ":c:b:t:g:X:vqh"

/* Takes getopt's answer opt (and its optarg, arg) into f when it is one of
 * the shared flags. Returns 1 then, else 0. */
int wh_consumer_flag(struct wh_consumer_flags *f, int opt, const char *arg);

/* Loads f->config_path into cfg when given, then sets brokers, topic,
 * group and every -X property over it. Returns WH_OK or an error with
 * errstr filled. Main thread. */
int wh_consumer_flags_apply(struct wh_config *cfg,
                            const struct wh_consumer_flags *f, char *errstr,
                            size_t errstr_size);

/* The consumer's own keys, {NULL}-terminated. */
extern const struct wh_config_key wh_consumer_keys[];

/* wh_consumer_keys followed by every stage's keys: the table of the
 * consumer's file. Built on the first call, kept for the life of the
 * process (configurations borrow it). Main thread. */
const struct wh_config_key *wh_consumer_config_keys(void);

/* Splits "kind:arg" of a sink value; *arg is NULL without a ':'. The
 * returned kind is newly allocated. */
char *wh_consumer_sink_kind(const char *value, const char **arg);

struct wh_stage;

/* Whether dedup or enrich stage st runs: every one of its type unless the
 * "enrich" / "dedup" key lists some (or says none). */
int wh_consumer_stage_selected(const struct wh_config *cfg,
                               const struct wh_stage *st);

/* Everything that can be checked in a consumer configuration without
 * side effects (no connection, no file created): the keys that must be
 * set, every value against its key's declaration, the kafka.*
 * properties, then wh_consumer_check_stages(). Adds one line per problem
 * to pr; returns the number added. Main thread. */
size_t wh_consumer_check(const struct wh_config *cfg,
                         struct wh_config_problems *pr);

/* wh_consumer_check(), then flush.records and flush.ms into the two
 * out parameters (when no problem was found). Returns WH_OK, or WH_EINVAL
 * with the problems in pr. */
int wh_consumer_validate(const struct wh_config *cfg, long long *flush_records,
                         long long *flush_ms, struct wh_config_problems *pr);

/* The check() of each dedup and enrich stage that runs and of each sink
 * (conninfo syntax, a sink file's directory, enrichment data). */
size_t wh_consumer_check_stages(const struct wh_config *cfg,
                                struct wh_config_problems *pr);

#endif
