/*
 * wirehose-devbroker - librdkafka's mock cluster in a process of its own,
 * so the producer, the consumer, kcat and the tests can talk to a "Kafka"
 * over TCP on loopback without a JVM. For development and tests only:
 * everything is kept in memory and lost at exit.
 *
 * The mock cluster runs on librdkafka's own threads; the main thread only
 * waits for SIGTERM or SIGINT (sigsuspend with the signals blocked
 * everywhere else, so the wake-up cannot be lost), then tears it down.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "wh/cli.h"
#include "wh/log.h"
#include "wh/wh.h"

#define TAG "devbroker"

#define MAX_TOPICS 64
#define MAX_PARTITIONS 1000
#define MAX_BROKERS 16

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void usage(FILE *fp)
{
    fprintf(
        fp,
        "Usage: wirehose-devbroker [OPTIONS]\n"
        "\n"
        "A Kafka-compatible broker for DEVELOPMENT AND TESTS ONLY: "
        "librdkafka's\n"
        "mock cluster in its own process, listening on 127.0.0.1. Everything "
        "is\n"
        "kept in memory and lost when it exits. Point producers, consumers "
        "and\n"
        "kcat at the address it prints. For anything real, use a real Kafka.\n"
        "\n"
        "Options:\n"
        "  --partitions N        partitions of each --topic (default 3)\n"
        "  --brokers N           brokers in the cluster (default 1)\n"
        "  --topic NAME          create topic NAME at start (repeatable); any\n"
        "                        other topic a client asks for (producer or\n"
        "                        consumer) is created on the spot with 4\n"
        "                        partitions (the mock's own default)\n"
        "  --bootstrap-file FILE write the bootstrap address to FILE once the\n"
        "                        cluster is up (atomically: write, then "
        "rename);\n"
        "                        removed again at exit\n"
        "  -h, --help            this help\n"
        "  --version             print the version and exit\n"
        "\n"
        "The bootstrap address (host:port[,host:port...]) is printed on "
        "stdout.\n"
        "SIGTERM or SIGINT stops the broker cleanly (exit 0).\n"
        "\n"
        "Limits (librdkafka 2.0 mock cluster):\n"
        "  - about 5 MiB kept per partition; older messages are silently "
        "dropped\n"
        "    (size test topics accordingly)\n"
        "  - a random port on 127.0.0.1 at every start (use --bootstrap-file)\n"
        "  - offsets-for-times lookups answer -1 (no time index)\n"
        "  - transactions cannot be aborted\n"
        "  - most admin calls (create/delete topics, configs, ACLs) fail\n"
        "  - the first consumer group join takes about 3 s (initial rebalance\n"
        "    delay); after a member leaves, the group's next join waits up to\n"
        "    session.timeout.ms (45 s by default: -X "
        "session.timeout.ms=6000)\n");
}

/* Parses a decimal integer in [lo, hi]. Returns WH_OK or WH_EINVAL. */
static int parse_int(const char *s, long lo, long hi, int *out)
{
    char *end = NULL;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
        return WH_EINVAL;
    }
    *out = (int)v;
    return WH_OK;
}

/* Kafka's legal topic names: 1..249 of [a-zA-Z0-9._-], not "." or "..". */
static int topic_name_ok(const char *name)
{
    size_t len = strlen(name);
    size_t i;

    if (len == 0 || len > 249 || strcmp(name, ".") == 0 ||
        strcmp(name, "..") == 0) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
            return 0;
        }
    }
    return 1;
}

/* librdkafka's log lines, through our logger. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac,
                   const char *buf)
{
    (void)rk;
    wh_log(level, "kafka", "%s: %s", fac, buf);
}

/* Writes addr and a newline to path.tmp.<pid>, fsyncs it and renames it
 * over path, so a reader sees either no file or the whole address. */
static int write_bootstrap_file(const char *path, const char *addr)
{
    char *tmp = wh_xasprintf("%s.tmp.%ld", path, (long)getpid());
    FILE *fp = NULL;
    int rc = WH_EIO;

    fp = fopen(tmp, "w");
    if (fp == NULL) {
        wh_err(TAG, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    if (fprintf(fp, "%s\n", addr) < 0 || fflush(fp) != 0 ||
        fsync(fileno(fp)) != 0) {
        wh_err(TAG, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    if (fclose(fp) != 0) {
        fp = NULL;
        wh_err(TAG, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    fp = NULL;
    if (rename(tmp, path) != 0) {
        wh_err(TAG, "rename %s to %s: %s", tmp, path, strerror(errno));
        goto out;
    }
    rc = WH_OK;
out:
    if (fp != NULL) {
        fclose(fp);
    }
    if (rc != WH_OK) {
        unlink(tmp);
    }
    free(tmp);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"partitions", required_argument, NULL, 'p'},
        {"brokers", required_argument, NULL, 'B'},
        {"topic", required_argument, NULL, 't'},
        {"bootstrap-file", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    const char *topics[MAX_TOPICS];
    size_t ntopics = 0;
    int partitions = 3;
    int brokers = 1;
    const char *bootstrap_file = NULL;
    int file_written = 0;
    rd_kafka_conf_t *conf = NULL;
    rd_kafka_t *rk = NULL;
    rd_kafka_mock_cluster_t *mcluster = NULL;
    char errstr[512];
    const char *addr;
    struct sigaction sa;
    sigset_t block, old;
    size_t i;
    int opt;
    int rc = 1;

    while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'p':
            if (parse_int(optarg, 1, MAX_PARTITIONS, &partitions) != WH_OK) {
                fprintf(stderr,
                        "wirehose-devbroker: --partitions: expected "
                        "an integer from 1 to %d, got '%s'\n",
                        MAX_PARTITIONS, optarg);
                return 2;
            }
            break;
        case 'B':
            if (parse_int(optarg, 1, MAX_BROKERS, &brokers) != WH_OK) {
                fprintf(stderr,
                        "wirehose-devbroker: --brokers: expected "
                        "an integer from 1 to %d, got '%s'\n",
                        MAX_BROKERS, optarg);
                return 2;
            }
            break;
        case 't':
            if (!topic_name_ok(optarg)) {
                fprintf(stderr,
                        "wirehose-devbroker: --topic: '%s' is not "
                        "a valid topic name (1-249 of a-z A-Z 0-9 . _ -)\n",
                        optarg);
                return 2;
            }
            if (ntopics == MAX_TOPICS) {
                fprintf(stderr,
                        "wirehose-devbroker: --topic: at most %d "
                        "topics\n",
                        MAX_TOPICS);
                return 2;
            }
            topics[ntopics++] = optarg;
            break;
        case 'f':
            bootstrap_file = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            return wh_cli_version("wirehose-devbroker", NULL);
        default:
            return wh_cli_bad_option("wirehose-devbroker", opt, argv);
        }
    }
    if (optind < argc) {
        return wh_cli_bad_operand("wirehose-devbroker", argv[optind]);
    }

    /* Block the stop signals before librdkafka starts its threads: they
     * inherit the mask, so only sigsuspend() below receives them. */
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &old);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigdelset(&old, SIGTERM);
    sigdelset(&old, SIGINT);

    /* The mock cluster needs a client handle to hang off; an unconnected
     * producer does. */
    conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, log_cb);
    /* Warnings and errors only: the handle's own notice that it has no
     * bootstrap.servers is expected here. */
    if (rd_kafka_conf_set(conf, "log_level", "4", errstr, sizeof(errstr)) !=
        RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        wh_err(TAG, "log_level: %s", errstr);
        goto out;
    }
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (rk == NULL) {
        rd_kafka_conf_destroy(conf);
        wh_err(TAG, "cannot create the client handle: %s", errstr);
        goto out;
    }
    conf = NULL; /* rd_kafka_new() took it */

    mcluster = rd_kafka_mock_cluster_new(rk, brokers);
    if (mcluster == NULL) {
        wh_err(TAG, "cannot create the mock cluster");
        goto out;
    }
    for (i = 0; i < ntopics; i++) {
        rd_kafka_resp_err_t err;

        err = rd_kafka_mock_topic_create(mcluster, topics[i], partitions,
                                         brokers < 3 ? brokers : 3);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            wh_err(TAG, "cannot create topic %s: %s", topics[i],
                   rd_kafka_err2str(err));
            goto out;
        }
    }

    addr = rd_kafka_mock_cluster_bootstraps(mcluster);
    if (bootstrap_file != NULL) {
        if (write_bootstrap_file(bootstrap_file, addr) != WH_OK) {
            goto out;
        }
        file_written = 1;
    }
    printf("%s\n", addr);
    fflush(stdout);
    wh_info(TAG,
            "listening on %s: %d broker(s), %zu topic(s) of %d "
            "partition(s); in memory, for development and tests only",
            addr, brokers, ntopics, partitions);

    while (stop_signal == 0) {
        sigsuspend(&old);
    }
    wh_info(TAG, "%s: shutting down", strsignal(stop_signal));
    rc = 0;
out:
    if (file_written && unlink(bootstrap_file) != 0) {
        wh_warn(TAG, "%s: %s", bootstrap_file, strerror(errno));
    }
    if (mcluster != NULL) {
        rd_kafka_mock_cluster_destroy(mcluster);
    }
    if (rk != NULL) {
        rd_kafka_destroy(rk);
    }
    return rc;
}
