/*
 * wirehose-replay - makes a consumer group reprocess a topic from the
 * beginning, from an offset or from a time, by committing new offsets for
 * the group while none of its members is running.
 *
 * Offsets for a time come from the broker's time index; where the broker
 * cannot answer (the dev broker answers -1) they are found by bisecting on
 * message timestamps, reading one message per step. The commit is a plain
 * offset commit outside any group generation, which a broker refuses while
 * the group has active members, so a running group is never rewound under
 * its consumers' feet. Moving a group forward past records it has not
 * processed yet is refused unless --force.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "settings.h"
#include "wh/cli.h"
#include "wh/clock.h"
#include "wh/config.h"
#include "wh/daemon.h"
#include "wh/date.h"
#include "wh/kafka.h"
#include "wh/log.h"
#include "wh/wh.h"

#define TAG "replay"
#define PROG "wirehose-replay"
#define TIMEOUT_MS 10000
#define WATCH_MS 2000
/* Joining a group on the dev broker takes ~3 s, and up to the old
 * members' session.timeout.ms (45 s by default) after they stopped. */
#define JOIN_TIMEOUT_S 60

/* Replay's own keys. The consumer's (keys.h: its own and every stage's)
 * are joined after them, so the consumer's file is read as it is. */
static const struct wh_config_key replay_keys[] = {
    WH_KEY_STR("brokers", NULL,
               "Kafka bootstrap servers, host:port[,host:port] (-b)"),
    WH_KEY_STR("topic", NULL, "the topic to replay (-t)"),
    WH_KEY_STR("group", NULL, "the consumer group that will reprocess it (-g)"),
    WH_LOG_LEVEL_KEY, WH_KEY_END};

/* replay_keys, then the consumer's: built once, kept for the process. */
static const struct wh_config_key *config_keys(void)
{
    static struct wh_config_key *all;

    return wh_config_keys_once(&all, replay_keys, wh_consumer_config_keys());
}

enum from { FROM_NONE, FROM_BEGINNING, FROM_OFFSET, FROM_TIME };

struct plan {
    int32_t partition;
    int64_t lo;        /* low watermark */
    int64_t hi;        /* high watermark: the end when planned */
    int64_t committed; /* the group's offset, or < 0 when it has none */
    int64_t target;    /* the offset to commit; -1: leave unchanged */
    const char *how;   /* how target was found */
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void usage(FILE *fp)
{
    fprintf(
        fp,
        "Usage: " PROG
        " [-c FILE] -b BROKERS -t TOPIC -g GROUP FROM [OPTIONS]\n"
        "\n"
        "Makes consumer group GROUP reprocess TOPIC, by committing new "
        "offsets\n"
        "for it. The group must have no running members (stop its consumers\n"
        "first): it is new, or its consumers are stopped. Start them again\n"
        "afterwards and they read from the new offsets.\n"
        "\n"
        "FROM, one of:\n"
        "  --from-beginning   the oldest record each partition still holds\n"
        "  --from-offset N    offset N in every partition, or P:N[,P:N...] "
        "for\n"
        "                     the partitions named (the others are left "
        "alone)\n"
        "  --from-time TIME   the first record at or after TIME (ISO 8601, "
        "e.g.\n"
        "                     2026-11-27T09:00:00Z), from the broker's time\n"
        "                     index or, where it has none, by bisecting on\n"
        "                     message timestamps\n"
        "\n"
        "Options:\n"
        "  -c FILE            a configuration file: the consumer's, as it is\n"
        "  -b BROKERS         bootstrap brokers (key: brokers)\n"
        "  -t TOPIC           the topic (key: topic)\n"
        "  -g GROUP           the group (key: group)\n"
        "  -X PROP=VALUE      librdkafka property (key: kafka.PROP; "
        "repeatable)\n"
        "  --dry-run          print the plan per partition, commit nothing\n"
        "  --force            also move the group forward past records it has\n"
        "                     not processed yet (they are then never "
        "processed)\n"
        "  --timeout SEC      on brokers where the tool must join the group "
        "to\n"
        "                     commit (the dev broker), give up after SEC s "
        "when\n"
        "                     other members keep partitions (default 60)\n"
        "  --watch            afterwards, print the group's progress as it "
        "moves\n"
        "                     until it has caught up (or SIGINT); without "
        "FROM,\n"
        "                     only watch\n"
        "  --check-config     check the configuration (the consumer's file:\n"
        "                     everything wirehose-consumer --check-config\n"
        "                     checks) and exit; FROM is not needed\n"
        "  -v, -q             more, less logging\n"
        "  -h, --help         this help\n"
        "  --version          print the version and exit\n"
        "\n"
        "Exit status: 0 done, 1 refused or failed, 2 bad usage or "
        "configuration.\n"
        "\n"
        "Configuration keys:\n");
    wh_config_print_keys(replay_keys, fp);
    fprintf(fp, "  and every key of wirehose-consumer (see its --help): "
                "its file is read as it is\n");
}

static int parse_i64(const char *s, int64_t *out)
{
    char *end = NULL;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 0) {
        return WH_EINVAL;
    }
    *out = v;
    return WH_OK;
}

/* "N" (every partition) or "P:N,P:N". Sets plans' targets; returns WH_OK
 * or WH_EINVAL with errstr filled. */
static int targets_from_offsets(const char *spec, struct plan *plans,
                                int nplans, char *errstr, size_t errstr_size)
{
    char *copy;
    char *save = NULL;
    char *item;
    int64_t n;
    int i;
    int rc = WH_OK;

    if (strchr(spec, ':') == NULL) {
        if (parse_i64(spec, &n) != WH_OK) {
            snprintf(errstr, errstr_size,
                     "--from-offset: '%s' is not an "
                     "offset (N, or P:N[,P:N...])",
                     spec);
            return WH_EINVAL;
        }
        for (i = 0; i < nplans; i++) {
            plans[i].target = n;
            plans[i].how = "offset";
        }
        return WH_OK;
    }
    copy = wh_xstrdup(spec);
    for (item = strtok_r(copy, ",", &save); item != NULL;
         item = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(item, ':');
        int64_t p;

        if (colon == NULL) {
            snprintf(errstr, errstr_size,
                     "--from-offset: '%s': expected "
                     "PARTITION:OFFSET",
                     item);
            rc = WH_EINVAL;
            break;
        }
        *colon = '\0';
        if (parse_i64(item, &p) != WH_OK || parse_i64(colon + 1, &n) != WH_OK) {
            snprintf(errstr, errstr_size,
                     "--from-offset: '%s:%s': expected "
                     "PARTITION:OFFSET",
                     item, colon + 1);
            rc = WH_EINVAL;
            break;
        }
        for (i = 0; i < nplans; i++) {
            if (plans[i].partition == p) {
                break;
            }
        }
        if (i == nplans) {
            snprintf(errstr, errstr_size,
                     "--from-offset: the topic has no "
                     "partition %" PRId64,
                     p);
            rc = WH_EINVAL;
            break;
        }
        plans[i].target = n;
        plans[i].how = "offset";
    }
    free(copy);
    return rc;
}

/* Reads the first message at or after offset in one partition. Sets *got
 * to its offset and *ts to its timestamp (ms), or *got to -1 when there is
 * none. Returns WH_OK, WH_ETIMEDOUT or WH_EIO with errstr filled. */
static int read_one(rd_kafka_t *rk, const char *topic, int32_t partition,
                    int64_t offset, int64_t *got, int64_t *ts, char *errstr,
                    size_t errstr_size)
{
    rd_kafka_topic_partition_list_t *list;
    rd_kafka_resp_err_t err;
    int64_t deadline = wh_now_ms() + TIMEOUT_MS;
    int rc = WH_ETIMEDOUT;

    *got = -1;
    *ts = -1;
    list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, topic, partition)->offset = offset;
    err = rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(errstr, errstr_size, "assign: %s", rd_kafka_err2str(err));
        return WH_EIO;
    }
    while (wh_now_ms() < deadline && stop_signal == 0) {
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(rk, 200);

        if (rkm == NULL) {
            continue;
        }
        if (rkm->partition != partition || rkm->offset < offset) {
            rd_kafka_message_destroy(rkm); /* from an earlier step */
            continue;
        }
        if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            rc = WH_OK;
        } else if (rkm->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            snprintf(errstr, errstr_size, "[%d] @ %" PRId64 ": %s",
                     (int)partition, offset, rd_kafka_message_errstr(rkm));
            rc = WH_EIO;
        } else {
            rd_kafka_timestamp_type_t tstype;

            *got = rkm->offset;
            *ts = rd_kafka_message_timestamp(rkm, &tstype);
            rc = WH_OK;
        }
        rd_kafka_message_destroy(rkm);
        break;
    }
    if (rc == WH_ETIMEDOUT) {
        snprintf(errstr, errstr_size,
                 "[%d] @ %" PRId64 ": no answer within "
                 "%d s",
                 (int)partition, offset, TIMEOUT_MS / 1000);
    }
    (void)rd_kafka_assign(rk, NULL);
    return rc;
}

/* The first offset in [p->lo, p->hi] whose message has a timestamp >= t,
 * by bisection (p->hi when none). Assumes timestamps grow with offsets,
 * as log-append times do; with producer times, the answer is a good
 * approximation. */
static int bisect_time(rd_kafka_t *rk, const char *topic, struct plan *p,
                       int64_t t_ms, char *errstr, size_t errstr_size)
{
    int64_t lo = p->lo;
    int64_t hi = p->hi;
    int steps = 0;

    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int64_t got, ts;
        int rc;

        rc = read_one(rk, topic, p->partition, mid, &got, &ts, errstr,
                      errstr_size);
        if (rc != WH_OK) {
            return rc;
        }
        steps++;
        if (got >= 0 && ts < 0) {
            snprintf(errstr, errstr_size,
                     "[%d] @ %" PRId64 ": the message "
                     "has no timestamp",
                     (int)p->partition, got);
            return WH_EIO;
        }
        if (got < 0 || got >= hi || ts >= t_ms) {
            hi = mid;
        } else {
            lo = got + 1;
        }
    }
    wh_debug(TAG, "[%d]: offset %" PRId64 " found in %d step(s)",
             (int)p->partition, lo, steps);
    p->target = lo;
    p->how = "bisection";
    return WH_OK;
}

static int targets_from_time(rd_kafka_t *rk, const char *topic,
                             struct plan *plans, int nplans, int64_t t_ms,
                             char *errstr, size_t errstr_size)
{
    rd_kafka_topic_partition_list_t *list;
    rd_kafka_resp_err_t err;
    int i;
    int rc = WH_OK;

    list = rd_kafka_topic_partition_list_new(nplans);
    for (i = 0; i < nplans; i++) {
        rd_kafka_topic_partition_list_add(list, topic, plans[i].partition)
            ->offset = t_ms;
    }
    err = rd_kafka_offsets_for_times(rk, list, TIMEOUT_MS);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        wh_info(TAG, "offsets for times: %s; bisecting instead",
                rd_kafka_err2str(err));
    }
    for (i = 0; i < nplans && rc == WH_OK; i++) {
        struct plan *p = &plans[i];
        const rd_kafka_topic_partition_t *tp = &list->elems[i];

        if (err == RD_KAFKA_RESP_ERR_NO_ERROR &&
            tp->err == RD_KAFKA_RESP_ERR_NO_ERROR && tp->offset >= 0) {
            p->target = tp->offset;
            p->how = "time index";
            continue;
        }
        /* -1: after the last record, or a broker without a time index
         * (the dev broker); bisection tells them apart. */
        rc = bisect_time(rk, topic, p, t_ms, errstr, errstr_size);
    }
    rd_kafka_topic_partition_list_destroy(list);
    return rc;
}

/* The topic's partitions, with watermarks and the group's offsets. */
static int plan_partitions(rd_kafka_t *rk, const char *topic, struct plan **out,
                           int *nout, char *errstr, size_t errstr_size)
{
    const struct rd_kafka_metadata *md = NULL;
    const struct rd_kafka_metadata_topic *mt = NULL;
    rd_kafka_topic_partition_list_t *list = NULL;
    rd_kafka_resp_err_t err;
    struct plan *plans = NULL;
    int n = 0;
    int i;
    int rc = WH_EIO;

    /* All topics: asking for one by name would create it on brokers that
     * auto-create topics. */
    err = rd_kafka_metadata(rk, 1, NULL, &md, TIMEOUT_MS);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(errstr, errstr_size, "metadata: %s (are the brokers up?)",
                 rd_kafka_err2str(err));
        goto out;
    }
    for (i = 0; i < md->topic_cnt; i++) {
        if (strcmp(md->topics[i].topic, topic) == 0) {
            mt = &md->topics[i];
        }
    }
    if (mt == NULL || mt->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
        snprintf(errstr, errstr_size,
                 "topic %s: unknown topic (the "
                 "brokers have %d topic(s))",
                 topic, md->topic_cnt);
        rc = WH_ENOENT;
        goto out;
    }
    if (mt->err != RD_KAFKA_RESP_ERR_NO_ERROR || mt->partition_cnt <= 0) {
        snprintf(errstr, errstr_size, "topic %s: %s", topic,
                 mt->err != RD_KAFKA_RESP_ERR_NO_ERROR
                     ? rd_kafka_err2str(mt->err)
                     : "no partitions");
        goto out;
    }
    n = mt->partition_cnt;
    plans = wh_xcalloc((size_t)n, sizeof(*plans));
    list = rd_kafka_topic_partition_list_new(n);
    for (i = 0; i < n; i++) {
        struct plan *p = &plans[i];

        p->partition = mt->partitions[i].id;
        p->target = -1;
        p->how = "unchanged";
        err = rd_kafka_query_watermark_offsets(rk, topic, p->partition, &p->lo,
                                               &p->hi, TIMEOUT_MS);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            snprintf(errstr, errstr_size, "%s [%d]: watermarks: %s", topic,
                     (int)p->partition, rd_kafka_err2str(err));
            goto out;
        }
        rd_kafka_topic_partition_list_add(list, topic, p->partition);
    }
    err = rd_kafka_committed(rk, list, TIMEOUT_MS);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(errstr, errstr_size, "committed offsets: %s",
                 rd_kafka_err2str(err));
        goto out;
    }
    for (i = 0; i < n; i++) {
        plans[i].committed = list->elems[i].err == RD_KAFKA_RESP_ERR_NO_ERROR
                                 ? list->elems[i].offset
                                 : -1;
    }
    *out = plans;
    *nout = n;
    plans = NULL;
    rc = WH_OK;
out:
    free(plans);
    if (list != NULL) {
        rd_kafka_topic_partition_list_destroy(list);
    }
    if (md != NULL) {
        rd_kafka_metadata_destroy(md);
    }
    return rc;
}

/* Records of p the group has not processed and the new offset jumps over:
 * [max(committed, lo), target). */
static int64_t skipped(const struct plan *p)
{
    int64_t from;

    if (p->target < 0 || p->committed < 0) {
        return 0;
    }
    from = p->committed > p->lo ? p->committed : p->lo;
    return p->target > from ? p->target - from : 0;
}

static void print_plan(const char *topic, const char *group,
                       const struct plan *plans, int n)
{
    int i;

    printf("replay plan: topic %s, group %s\n", topic, group);
    printf("%9s %12s %12s %12s %12s %12s %8s  %s\n", "partition", "low", "high",
           "committed", "new offset", "reprocess", "skip", "found by");
    for (i = 0; i < n; i++) {
        const struct plan *p = &plans[i];
        char committed[24], target[24], todo[24];

        if (p->committed >= 0) {
            snprintf(committed, sizeof(committed), "%" PRId64, p->committed);
        } else {
            snprintf(committed, sizeof(committed), "-");
        }
        if (p->target >= 0) {
            snprintf(target, sizeof(target), "%" PRId64, p->target);
            snprintf(todo, sizeof(todo), "%" PRId64, p->hi - p->target);
        } else {
            snprintf(target, sizeof(target), "-");
            snprintf(todo, sizeof(todo), "-");
        }
        printf("%9d %12" PRId64 " %12" PRId64 " %12s %12s %12s %8" PRId64
               "  %s\n",
               (int)p->partition, p->lo, p->hi, committed, target, todo,
               skipped(p), p->how);
    }
    fflush(stdout);
}

/* Refuses early when the broker can list the group and it has members.
 * Sets *listed to 0 when the broker cannot list groups (the dev broker):
 * then the broker's answer to the commit tells. */
static int check_group_idle(rd_kafka_t *rk, const char *group, int *listed,
                            char *errstr, size_t errstr_size)
{
    const struct rd_kafka_group_list *gl = NULL;
    rd_kafka_resp_err_t err;
    int i;
    int rc = WH_OK;

    *listed = 0;
    err = rd_kafka_list_groups(rk, group, &gl, TIMEOUT_MS);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        wh_info(TAG, "group %s: cannot list its members (%s)", group,
                rd_kafka_err2str(err));
        return WH_OK;
    }
    *listed = 1;
    for (i = 0; i < gl->group_cnt; i++) {
        const struct rd_kafka_group_info *g = &gl->groups[i];

        if (strcmp(g->group, group) != 0) {
            continue;
        }
        if (g->member_cnt > 0) {
            snprintf(errstr, errstr_size,
                     "group %s has %d active member(s) "
                     "(state %s): stop its consumers first",
                     group, g->member_cnt, g->state);
            rc = WH_EINVAL;
        }
    }
    rd_kafka_group_list_destroy(gl);
    return rc;
}

static int is_member_error(rd_kafka_resp_err_t err)
{
    return err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID ||
           err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
           err == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS;
}

/* For brokers that take no offsets from outside a group once it exists
 * (the dev broker): join the group, and once this process owns every
 * partition of the topic -- so no other member is active -- commit within
 * the generation, then leave. Returns the commit's error, or
 * RD_KAFKA_RESP_ERR__TIMED_OUT when other members kept partitions. */
static rd_kafka_resp_err_t
commit_as_member(const struct wh_config *cfg, const char *topic,
                 const char *group, int nparts,
                 rd_kafka_topic_partition_list_t *list, long timeout_s,
                 char *errstr, size_t errstr_size)
{
    rd_kafka_topic_partition_list_t *sub;
    rd_kafka_resp_err_t err;
    rd_kafka_t *rk;
    int64_t deadline = wh_now_ms() + (int64_t)timeout_s * 1000;

    rk = wh_kafka_consumer_new(cfg, group, errstr, errstr_size);
    if (rk == NULL) {
        return RD_KAFKA_RESP_ERR__FAIL;
    }
    printf("joining group %s to commit from inside it (this broker takes "
           "no offsets from outside an existing group)...\n",
           group);
    fflush(stdout);
    sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
    err = rd_kafka_subscribe(rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        err = RD_KAFKA_RESP_ERR__TIMED_OUT;
    }
    while (err == RD_KAFKA_RESP_ERR__TIMED_OUT && wh_now_ms() < deadline &&
           stop_signal == 0) {
        rd_kafka_topic_partition_list_t *owned = NULL;
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(rk, 200);

        if (rkm != NULL) {
            rd_kafka_message_destroy(rkm); /* never stored: not ours */
        }
        if (rd_kafka_assignment(rk, &owned) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            continue;
        }
        if (owned->cnt == nparts) {
            err = wh_kafka_commit_wait(rk, list, TIMEOUT_MS, NULL);
        }
        rd_kafka_topic_partition_list_destroy(owned);
    }
    if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) {
        snprintf(errstr, errstr_size,
                 "group %s: other members kept some "
                 "partitions for %ld s: the group is active; stop its "
                 "consumers first",
                 group, timeout_s);
    }
    (void)wh_kafka_consumer_close(rk, TIMEOUT_MS, TAG);
    return err;
}

static int commit_plan(rd_kafka_t *rk, const struct wh_config *cfg,
                       const char *topic, const char *group,
                       const struct plan *plans, int n, int listed,
                       long timeout_s, char *errstr, size_t errstr_size)
{
    rd_kafka_topic_partition_list_t *list;
    rd_kafka_resp_err_t err;
    int i;
    int rc = WH_OK;

    list = rd_kafka_topic_partition_list_new(n);
    for (i = 0; i < n; i++) {
        if (plans[i].target >= 0) {
            rd_kafka_topic_partition_list_add(list, topic, plans[i].partition)
                ->offset = plans[i].target;
        }
    }
    printf("committing offsets of %d partition(s) for group %s...\n", list->cnt,
           group);
    fflush(stdout);
    err = wh_kafka_commit_wait(rk, list, TIMEOUT_MS, NULL);
    if (is_member_error(err) && !listed) {
        errstr[0] = '\0';
        err = commit_as_member(cfg, topic, group, n, list, timeout_s, errstr,
                               errstr_size);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR && errstr[0] != '\0') {
            rc = WH_EINVAL;
        }
    }
    if (rc != WH_OK) {
        /* errstr says why */
    } else if (is_member_error(err)) {
        snprintf(errstr, errstr_size,
                 "group %s: the broker refused the "
                 "commit (%s): the group has active members; stop its "
                 "consumers first",
                 group, rd_kafka_err2str(err));
        rc = WH_EINVAL;
    } else if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(errstr, errstr_size, "group %s: commit: %s", group,
                 rd_kafka_err2str(err));
        rc = WH_EIO;
    }
    for (i = 0; i < list->cnt && rc == WH_OK; i++) {
        const rd_kafka_topic_partition_t *tp = &list->elems[i];

        if (tp->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            printf("  partition %d: %s\n", (int)tp->partition,
                   rd_kafka_err2str(tp->err));
            snprintf(errstr, errstr_size,
                     "group %s: the commit failed for "
                     "partition %d",
                     group, (int)tp->partition);
            rc = WH_EIO;
        } else {
            printf("  partition %d: committed offset %" PRId64 "\n",
                   (int)tp->partition, tp->offset);
        }
    }
    fflush(stdout);
    rd_kafka_topic_partition_list_destroy(list);
    return rc;
}

/* Prints the group's progress towards each partition's planned end every
 * WATCH_MS until it has caught up or a signal arrives. */
static int watch(rd_kafka_t *rk, const char *topic, const char *group,
                 const struct plan *plans, int n, char *errstr,
                 size_t errstr_size)
{
    rd_kafka_topic_partition_list_t *list;
    int64_t last = -1;
    int i;
    int rc = WH_OK;

    list = rd_kafka_topic_partition_list_new(n);
    for (i = 0; i < n; i++) {
        rd_kafka_topic_partition_list_add(list, topic, plans[i].partition);
    }
    while (stop_signal == 0) {
        rd_kafka_resp_err_t err = rd_kafka_committed(rk, list, TIMEOUT_MS);
        int64_t left = 0, total = 0;
        struct timespec ts = {WATCH_MS / 1000, 0};

        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            snprintf(errstr, errstr_size, "committed offsets: %s",
                     rd_kafka_err2str(err));
            rc = WH_EIO;
            break;
        }
        for (i = 0; i < n; i++) {
            const struct plan *p = &plans[i];
            int64_t start = p->target >= 0      ? p->target
                            : p->committed >= 0 ? p->committed
                                                : p->lo;
            int64_t at =
                list->elems[i].offset >= 0 ? list->elems[i].offset : start;

            total += p->hi > start ? p->hi - start : 0;
            left += p->hi > at ? p->hi - at : 0;
        }
        if (left != last) {
            printf("group %s: %" PRId64 " of %" PRId64 " record(s) to go "
                   "(%.0f%% done)\n",
                   group, left, total,
                   total > 0 ? 100.0 * (double)(total - left) / (double)total
                             : 100.0);
            fflush(stdout);
            last = left;
        }
        if (left == 0) {
            break;
        }
        nanosleep(&ts, NULL);
    }
    rd_kafka_topic_partition_list_destroy(list);
    return rc;
}

struct opts {
    struct wh_consumer_flags flags; /* -c -b -t -g -X -v -q */
    enum from from;
    const char *from_arg;
    int dry_run;
    int force;
    int watch;
    int check;
    int verbosity;
    long timeout_s;
};

/* Returns 0 to go on, 1 when --help was printed, 2 on a usage error. */
static int parse_args(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"from-beginning", no_argument, NULL, 'B'},
        {"from-offset", required_argument, NULL, 'O'},
        {"from-time", required_argument, NULL, 'T'},
        {"dry-run", no_argument, NULL, 'n'},
        {"force", no_argument, NULL, 'f'},
        {"watch", no_argument, NULL, 'w'},
        {"timeout", required_argument, NULL, 'W'},
        {"check-config", no_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    int opt;

    o->timeout_s = JOIN_TIMEOUT_S;
    while ((opt = getopt_long(argc, argv, WH_CONSUMER_SHORTOPTS, longopts,
                              NULL)) != -1) {
        enum from f = FROM_NONE;

        if (wh_consumer_flag(&o->flags, opt, optarg)) {
            continue;
        }
        switch (opt) {
        case 'B':
            f = FROM_BEGINNING;
            break;
        case 'O':
            f = FROM_OFFSET;
            break;
        case 'T':
            f = FROM_TIME;
            break;
        case 'n':
            o->dry_run = 1;
            break;
        case 'f':
            o->force = 1;
            break;
        case 'w':
            o->watch = 1;
            break;
        case 'W':
            if (wh_daemon_opt_seconds(PROG, "--timeout", optarg,
                                      &o->timeout_s) != 0) {
                return 2;
            }
            break;
        case 'C':
            o->check = 1;
            break;
        case 'h':
            usage(stdout);
            return 1;
        case 'V':
            return wh_cli_version(PROG, NULL) == 0 ? 1 : 2;
        default:
            return wh_cli_bad_option(PROG, opt, argv);
        }
        if (f != FROM_NONE) {
            if (o->from != FROM_NONE) {
                fprintf(stderr, PROG ": give one of --from-beginning, "
                                     "--from-offset and --from-time\n");
                return 2;
            }
            o->from = f;
            o->from_arg = optarg;
        }
    }
    if (optind < argc) {
        return wh_cli_bad_operand(PROG, argv[optind]);
    }
    if (o->from == FROM_NONE && !o->watch && !o->check) {
        fprintf(stderr,
                PROG ": say where to replay from: --from-beginning, "
                     "--from-offset N or --from-time TIME (or --watch)\n");
        return 2;
    }
    return 0;
}

static int build_config(struct wh_config *cfg, const struct opts *o,
                        char *errstr, size_t errstr_size)
{
    int rc = wh_consumer_flags_apply(cfg, &o->flags, errstr, errstr_size);

    /* A tool, not a member: it never stores an offset, so the automatic
     * commit wh_kafka keeps on has nothing to send. Bisection needs to see
     * partition ends, and to land on the oldest record when an offset has
     * gone. */
    if (rc == WH_OK) {
        rc = wh_config_set(cfg, "kafka.enable.partition.eof", "true", errstr,
                           errstr_size);
    }
    /* Where the tool must join the group to commit (the dev broker keeps
     * a member that left until its session times out), keep it short so
     * the group's consumers can start soon after. */
    if (rc == WH_OK &&
        wh_config_get(cfg, "kafka.session.timeout.ms", NULL) == NULL) {
        rc = wh_config_set(cfg, "kafka.session.timeout.ms", "6000", errstr,
                           errstr_size);
    }
    if (rc == WH_OK) {
        rc = wh_config_set(cfg, "kafka.auto.offset.reset", "earliest", errstr,
                           errstr_size);
    }
    return rc;
}

/* The group to replay: -g or the group key, else kafka.group.id, else,
 * with the consumer's file, the group that consumer joins by default;
 * NULL when none. */
static const char *replay_group(const struct wh_config *cfg, int has_file)
{
    const char *group = wh_config_get(cfg, "group", NULL);

    if (group == NULL) {
        group = wh_config_get(cfg, "kafka.group.id", NULL);
    }
    return group != NULL || !has_file ? group : WH_CONSUMER_DEFAULT_GROUP;
}

/* What replay needs (brokers, one topic, a group), every value against
 * its declaration and the kafka.* properties; with full (--check-config)
 * also what the consumer's stages and sinks would refuse, as
 * wirehose-consumer --check-config does. Logs one line per problem;
 * returns their number. */
static size_t check_config(const struct wh_config *cfg, int has_file, int full)
{
    struct wh_config_problems pr = {NULL, 0, 0};
    const char *topic = wh_config_get(cfg, "topic", NULL);
    size_t n;

    wh_config_require(cfg, "brokers", "-b or the brokers key", &pr);
    wh_config_require(cfg, "topic", "-t or the topic key", &pr);
    if (replay_group(cfg, has_file) == NULL) {
        wh_config_problem(&pr, "group: not set (use -g or the group key)");
    }
    if (topic != NULL && strchr(topic, ',') != NULL) {
        wh_config_problem(&pr, "%s: topic: one topic at a time, got '%s'",
                          wh_config_origin(cfg, "topic"), topic);
    }
    wh_config_check(cfg, &pr);
    wh_kafka_conf_check(cfg, &pr);
    if (full && pr.n == 0) {
        wh_consumer_check_stages(cfg, &pr);
    }
    wh_config_problems_log(&pr, TAG, "", "");
    n = pr.n;
    wh_config_problems_free(&pr);
    return n;
}

int main(int argc, char **argv)
{
    struct opts o;
    struct wh_config *cfg = NULL;
    rd_kafka_t *rk = NULL;
    struct plan *plans = NULL;
    int nplans = 0;
    struct sigaction sa;
    char errstr[1024];
    const char *topic, *group;
    int status = 2;
    int rc;
    int i;
    int64_t skip_total = 0;

    memset(&o, 0, sizeof(o));
    o.flags.xprops = wh_xcalloc((size_t)argc + 1, sizeof(*o.flags.xprops));
    rc = parse_args(argc, argv, &o);
    if (rc != 0) {
        status = rc == 1 ? 0 : 2;
        goto out;
    }
    cfg = wh_config_new(config_keys());
    if (build_config(cfg, &o, errstr, sizeof(errstr)) != WH_OK) {
        wh_err(TAG, "%s", errstr);
        goto out;
    }
    if (check_config(cfg, o.flags.config_path != NULL, o.check) != 0) {
        goto out;
    }
    wh_daemon_log_level(wh_config_get(cfg, "log.level", NULL),
                        o.flags.verbosity);
    if (o.check) {
        printf("%s: configuration OK\n", o.flags.config_path != NULL
                                             ? o.flags.config_path
                                             : "command line");
        status = 0;
        goto out;
    }
    topic = wh_config_get(cfg, "topic", NULL);
    group = replay_group(cfg, o.flags.config_path != NULL);

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    status = 1;
    rk = wh_kafka_consumer_new(cfg, group, errstr, sizeof(errstr));
    if (rk == NULL) {
        wh_err(TAG, "%s", errstr);
        status = 2;
        goto out;
    }
    if (plan_partitions(rk, topic, &plans, &nplans, errstr, sizeof(errstr)) !=
        WH_OK) {
        wh_err(TAG, "%s", errstr);
        goto out;
    }
    for (i = 0; i < nplans; i++) {
        if (plans[i].committed >= 0) {
            break;
        }
    }
    if (i == nplans) {
        wh_notice(TAG,
                  "group %s has no committed offsets on %s: a new "
                  "group%s",
                  group, topic,
                  o.from == FROM_NONE ? "" : ", it starts where told");
    }

    if (o.from == FROM_BEGINNING) {
        for (i = 0; i < nplans; i++) {
            plans[i].target = plans[i].lo;
            plans[i].how = "beginning";
        }
    } else if (o.from == FROM_OFFSET) {
        if (targets_from_offsets(o.from_arg, plans, nplans, errstr,
                                 sizeof(errstr)) != WH_OK) {
            wh_err(TAG, "%s", errstr);
            status = 2;
            goto out;
        }
    } else if (o.from == FROM_TIME) {
        time_t t;

        if (wh_date_parse(o.from_arg, &t) != WH_OK) {
            wh_err(TAG,
                   "--from-time: '%s' is not a date (ISO 8601, e.g. "
                   "2026-11-27T09:00:00Z)",
                   o.from_arg);
            status = 2;
            goto out;
        }
        if (targets_from_time(rk, topic, plans, nplans, (int64_t)t * 1000,
                              errstr, sizeof(errstr)) != WH_OK) {
            wh_err(TAG, "%s", errstr);
            goto out;
        }
    }
    for (i = 0; i < nplans; i++) {
        struct plan *p = &plans[i];

        if (p->target >= 0 && (p->target < p->lo || p->target > p->hi)) {
            wh_notice(TAG,
                      "partition %d: offset %" PRId64 " is outside "
                      "[%" PRId64 ", %" PRId64 "]; using the nearest end",
                      (int)p->partition, p->target, p->lo, p->hi);
            p->target = p->target < p->lo ? p->lo : p->hi;
        }
        skip_total += skipped(p);
    }

    if (o.from != FROM_NONE) {
        print_plan(topic, group, plans, nplans);
    }
    if (skip_total > 0) {
        for (i = 0; i < nplans; i++) {
            const struct plan *p = &plans[i];

            if (skipped(p) > 0) {
                printf("partition %d: would skip %" PRId64 " record(s) "
                       "the group has not processed (offsets %" PRId64
                       "..%" PRId64 ")\n",
                       (int)p->partition, skipped(p),
                       p->committed > p->lo ? p->committed : p->lo,
                       p->target - 1);
            }
        }
        fflush(stdout);
        if (!o.force && !o.dry_run) {
            wh_err(TAG,
                   "refusing to skip %" PRId64 " unprocessed "
                   "record(s); rerun with --force to skip them",
                   skip_total);
            goto out;
        }
    }
    if (o.dry_run) {
        printf("dry run: nothing committed\n");
        status = 0;
        goto out;
    }
    if (o.from != FROM_NONE) {
        int listed;

        if (check_group_idle(rk, group, &listed, errstr, sizeof(errstr)) !=
                WH_OK ||
            commit_plan(rk, cfg, topic, group, plans, nplans, listed,
                        o.timeout_s, errstr, sizeof(errstr)) != WH_OK) {
            wh_err(TAG, "%s", errstr);
            goto out;
        }
    }
    if (o.watch) {
        if (watch(rk, topic, group, plans, nplans, errstr, sizeof(errstr)) !=
            WH_OK) {
            wh_err(TAG, "%s", errstr);
            goto out;
        }
    } else if (o.from != FROM_NONE) {
        printf("done: start the group's consumers; follow them with " PROG
               " -b %s -t %s -g %s --watch\n",
               wh_config_get(cfg, "brokers", ""), topic, group);
    }
    status = 0;
out:
    free(plans);
    if (rk != NULL) {
        (void)wh_kafka_consumer_close(rk, TIMEOUT_MS, TAG);
    }
    wh_config_free(cfg);
    free(o.flags.xprops);
    return status;
}
