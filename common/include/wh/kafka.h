/*
 * kafka.h - librdkafka producer and consumer set-up from a wh_config.
 *
 * Every "kafka.<prop>" key of the config goes to rd_kafka_conf_set()
 * unchanged; the "brokers" key (or -b) becomes bootstrap.servers. librdkafka's
 * own log lines go through wh_log with the tag "kafka". The producer always
 * has enable.idempotence=true; the consumer always has
 * enable.auto.offset.store=false (offsets are stored only after the sinks
 * hold the record).
 */
#ifndef WH_KAFKA_H
#define WH_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

struct wh_config;
struct wh_config_problems;

/* --check-config: hands every kafka.* entry of cfg to a scratch
 * rd_kafka_conf_t (no client is made) and adds one problem a property
 * librdkafka refuses, "origin: kafka.prop: reason". Returns the number
 * added. Main thread. */
size_t wh_kafka_conf_check(const struct wh_config *cfg,
                           struct wh_config_problems *pr);

/* Creates a producer. dr_msg_cb receives every delivery report (from
 * rd_kafka_poll / rd_kafka_flush, on the calling thread); opaque is passed
 * as the rd_kafka_t opaque. A fatal idempotence error is logged by our
 * error callback and latches wh_kafka_fatal(). Returns NULL with errstr
 * filled on a bad property. */
rd_kafka_t *wh_kafka_producer_new(
    const struct wh_config *cfg,
    void (*dr_msg_cb)(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
                      void *opaque),
    void *opaque, char *errstr, size_t errstr_size);

/* Creates a consumer in group (overrides kafka.group.id when non-NULL),
 * with our rebalance callback (eager and cooperative) and
 * rd_kafka_poll_set_consumer() done. Returns NULL with errstr filled. */
rd_kafka_t *wh_kafka_consumer_new(const struct wh_config *cfg,
                                  const char *group, char *errstr,
                                  size_t errstr_size);

/* Commits offsets (borrowed; NULL: the offsets stored on consumer rk, of
 * its assignment) and waits at most timeout_ms for the answer, serving
 * nothing else: rd_kafka_commit() without its wait that has no end while
 * the group coordinator does not answer. rk is borrowed. Returns the commit's
 * result: RD_KAFKA_RESP_ERR_NO_ERROR, __NO_OFFSET when nothing was stored
 * since the last commit, __TIMED_OUT when no answer came in time (the
 * coordinator unreachable), or the error of the request. When out is
 * non-NULL and an answer came, *out gets its partitions with their
 * offsets and per-partition errors (the caller destroys it), else NULL.
 * Main thread. */
rd_kafka_resp_err_t
wh_kafka_commit_wait(rd_kafka_t *rk,
                     const rd_kafka_topic_partition_list_t *offsets,
                     int timeout_ms, rd_kafka_topic_partition_list_t **out);

/* Closes consumer rk and destroys it (takes ownership), in at most
 * timeout_ms, or 2 s when less is left for the destroy: revokes the
 * assignment (our rebalance callback runs on this thread), commits what
 * auto commit still holds and leaves the group, then
 * rd_kafka_destroy_flags(RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE) in a
 * thread of its own. When the brokers do not answer in time, logs a
 * warning under tag and leaves without them: the group reassigns the
 * partitions after session.timeout.ms, from the last committed offsets;
 * a destroy still waiting for them goes on in its thread until the
 * process exits. Returns WH_OK, WH_ETIMEDOUT or WH_EIO (close refused;
 * logged). Main thread. */
int wh_kafka_consumer_close(rd_kafka_t *rk, int timeout_ms, const char *tag);

/* Non-zero once librdkafka reported a fatal error on any handle. */
int wh_kafka_fatal(void);

/* Asks the cluster behind rk (producer or consumer, borrowed) for its
 * brokers with a metadata request: answered at once when connected, after
 * at most timeout_ms when not. Returns WH_OK when at least one broker is
 * known, else WH_EIO with errstr filled (librdkafka's reason). Any thread
 * that may use rk. */
int wh_kafka_broker_check(rd_kafka_t *rk, int timeout_ms, char *errstr,
                          size_t errstr_size);

#endif
