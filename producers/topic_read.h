/*
 * topic_read.h - the compacted topics of a fleet (the sources topic, the
 * state topic): read from the beginning to the end they have when the
 * read starts; their partition count; created with cleanup.policy=compact
 * when missing. Shared by wirehose-sources (sources_cmd.c) and the
 * producer (fleet.c, fleet_inspect.c). Needs only librdkafka and
 * libwh_common.
 */
#ifndef WH_TOPIC_READ_H
#define WH_TOPIC_READ_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

struct json_t;

/* Called for each message read (never an error or end-of-partition
 * event); m is borrowed for the call. */
typedef void (*topic_read_cb)(const rd_kafka_message_t *m, void *opaque);

/* Reads every partition of topic (only partition `only` when it is >= 0)
 * from its beginning up to the high watermark it has now, calling on_msg
 * for each message, in order within a partition. rk is a consumer
 * (wh_kafka_consumer_new) that subscribes to nothing; its assignment is
 * replaced and left empty. Each wait (metadata, watermarks, the next
 * message) is bounded by timeout_ms. Sets *npartitions (may be NULL) to
 * the topic's partition count. Returns WH_OK, or WH_EIO with errstr
 * filled ("TOPIC: reason"). The caller's thread only. */
int topic_read(rd_kafka_t *rk, const char *topic, int32_t only, int timeout_ms,
               topic_read_cb on_msg, void *opaque, int *npartitions,
               char *errstr, size_t errstr_size);

/* The partition count of topic: > 0, 0 when the topic does not exist,
 * or -1 with errstr filled (no metadata within timeout_ms). Ask through
 * a consumer: a producer's metadata request may create the topic. */
int topic_partitions(rd_kafka_t *rk, const char *topic, int timeout_ms,
                     char *errstr, size_t errstr_size);

/* Creates topic with partitions partitions, cleanup.policy=compact and
 * the broker's default replication, through the admin API (any client
 * type). Returns WH_OK (also when it exists already), or WH_EIO with
 * errstr filled: refused, or no answer within timeout_ms (the dev broker
 * cannot create topics). */
int topic_create_compacted(rd_kafka_t *rk, const char *topic, int partitions,
                           int timeout_ms, char *errstr, size_t errstr_size);

/* Reads the sources topic of a fleet (as topic_read) into set, an
 * object id -> {"partition": P, "settings": {...}}: the latest message
 * of each id; a tombstone removes it, a value that is not a JSON object
 * is logged and skipped. Returns as topic_read. */
int topic_read_sources(rd_kafka_t *rk, const char *topic, int timeout_ms,
                       struct json_t *set, int *npartitions, char *errstr,
                       size_t errstr_size);

#endif
