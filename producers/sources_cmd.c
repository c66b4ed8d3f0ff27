/*
 * wirehose-sources - edits and lists the sources of a producer fleet: a
 * compacted topic (default "<topic>.sources") holding one message per
 * source, keyed by its id, whose value is the source's settings as JSON.
 *
 * A source's id is its NAME, or its URL when it has no name (the name a
 * producer gives it in the log). Value:
 *   {"url": URL, "name": NAME, "interval_ms": N (0: poll.interval_ms),
 *    "body": "auto"|"page"|"feed", "tls_insecure": BOOL, "enabled": BOOL}
 * A tombstone (null value) removes the source.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "source_line.h"
#include "topic_read.h"
#include "wh/cli.h"
#include "wh/config.h"
#include "wh/kafka.h"
#include "wh/log.h"
#include "wh/wh.h"

#define PROG "wirehose-sources"
#define TIMEOUT_MS 30000
#define CREATE_TIMEOUT_MS 5000
#define DEFAULT_PARTITIONS 12

static const struct wh_config_key keys[] = {
    WH_KEY_STR("brokers", NULL, "Kafka bootstrap servers (-b)"),
    WH_KEY_END,
};

static const char *const body_names[] = {"auto", "page", "feed"};

static void usage(FILE *fp)
{
    fprintf(fp,
            "Usage: wirehose-sources -b BROKERS -t TOPIC COMMAND\n"
            "Edits and lists the sources a fleet of producers started with "
            "--sources kafka\nshares: the compacted topic TOPIC.sources, "
            "one message per source keyed by\nits id (its NAME, or its URL "
            "when it has none).\n\n"
            "Commands:\n"
            "  add URL [NAME] [OPTION...]  add or replace a source "
            "(OPTION: interval_ms=N,\n"
            "                     body=auto|page|feed, tls_insecure)\n"
            "  remove ID          remove a source (a tombstone)\n"
            "  list               print the live sources, one "
            "\"NAME URL[ OPTION...]\" a line\n"
            "  import FILE        add every source of FILE (- for stdin): "
            "one\n"
            "                     \"[NAME ]URL[ OPTION...]\" a line, # "
            "comments; nothing is\n"
            "                     written when a line is bad\n\n"
            "  -b BROKERS         Kafka bootstrap servers\n"
            "  -t TOPIC           the producers' topic\n"
            "  --sources-topic T  the sources topic (default TOPIC.sources)\n"
            "  --partitions N     partitions of the sources topic when add "
            "or import\n"
            "                     creates it (compacted; default 12)\n"
            "  -X PROP=VALUE      librdkafka property, repeatable\n"
            "  -h, --help         this help\n"
            "  --version          print the version and exit\n\n"
            "Exit status: 0 ok, 1 Kafka failed (or remove: no such "
            "source), 2 bad usage\nor a bad source.\n");
}

/* ---- the sources, as JSON values keyed by id ---------------------------- */

static json_t *source_json(const struct source_line *sl)
{
    return json_pack("{s:s, s:s, s:I, s:s, s:b, s:b}", "url", sl->url, "name",
                     sl->name, "interval_ms", (json_int_t)sl->interval_ms,
                     "body", body_names[sl->body], "tls_insecure",
                     sl->tls_insecure, "enabled", 1);
}

/* Prints one source as a source line. */
static void print_source(const char *id, const json_t *v)
{
    const char *url = json_string_value(json_object_get(v, "url"));
    const char *body = json_string_value(json_object_get(v, "body"));
    json_int_t iv = json_integer_value(json_object_get(v, "interval_ms"));

    printf("%s %s", id, url != NULL ? url : "?");
    if (iv > 0) {
        printf(" interval_ms=%lld", (long long)iv);
    }
    if (body != NULL && strcmp(body, "auto") != 0) {
        printf(" body=%s", body);
    }
    if (json_is_true(json_object_get(v, "tls_insecure"))) {
        printf(" tls_insecure");
    }
    if (json_is_false(json_object_get(v, "enabled"))) {
        printf(" # disabled");
    }
    printf("\n");
}

/* ---- Kafka --------------------------------------------------------------- */

static int delivery_failed;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, PROG ": %.*s: not written: %s\n", (int)m->key_len,
                (const char *)m->key, rd_kafka_err2str(m->err));
        delivery_failed = 1;
    }
}

/* Produces key -> value (NULL: a tombstone). Returns WH_OK or WH_EIO. */
static int produce(rd_kafka_t *rk, const char *topic, const char *key,
                   const char *value)
{
    size_t len = value != NULL ? strlen(value) : 0;
    rd_kafka_resp_err_t err;

    for (;;) {
        err = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)),
            RD_KAFKA_V_VALUE((void *)value, len),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            break;
        }
        rd_kafka_poll(rk, 100);
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, PROG ": %s: %s\n", key, rd_kafka_err2str(err));
        return WH_EIO;
    }
    rd_kafka_poll(rk, 0);
    return WH_OK;
}

/* Writes the n messages (values NULL: tombstones) and waits for them. */
/* --partitions: of the sources topic, when this creates it. */
static int partitions = DEFAULT_PARTITIONS;

/* Creates the sources topic (compacted) when it does not exist; says how
 * when the broker will not. Writing goes on: a broker that creates topics
 * on demand makes one, uncompacted. */
static void ensure_topic(const struct wh_config *cfg, const char *topic)
{
    char errstr[512];
    rd_kafka_t *rk = wh_kafka_consumer_new(cfg, PROG, errstr, sizeof(errstr));
    int n;

    if (rk == NULL) {
        return; /* said again by the write */
    }
    n = topic_partitions(rk, topic, CREATE_TIMEOUT_MS, errstr, sizeof(errstr));
    if (n == 0 &&
        topic_create_compacted(rk, topic, partitions, CREATE_TIMEOUT_MS, errstr,
                               sizeof(errstr)) == WH_OK) {
        fprintf(stderr, PROG ": %s: created (%d partitions, compacted)\n",
                topic, partitions);
    } else if (n == 0) {
        fprintf(stderr,
                PROG ": %s: not created: %s; create it: kafka-topics.sh "
                     "--create --topic %s --partitions %d --config "
                     "cleanup.policy=compact (dev broker: wirehose-devbroker "
                     "--topic %s --partitions %d)\n",
                topic, errstr, topic, partitions, topic, partitions);
    }
    (void)wh_kafka_consumer_close(rk, TIMEOUT_MS, "sources");
}

static int write_all(const struct wh_config *cfg, const char *topic, char **ids,
                     char **values, size_t n)
{
    char errstr[512];
    rd_kafka_t *rk;
    size_t i;
    int rc = WH_OK;

    ensure_topic(cfg, topic);
    rk = wh_kafka_producer_new(cfg, on_delivery, NULL, errstr, sizeof(errstr));
    if (rk == NULL) {
        fprintf(stderr, PROG ": %s\n", errstr);
        return WH_EINVAL;
    }
    for (i = 0; i < n && rc == WH_OK; i++) {
        rc = produce(rk, topic, ids[i], values[i]);
    }
    if (rd_kafka_flush(rk, TIMEOUT_MS) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, PROG ": %s: not every message delivered in %d s\n",
                topic, TIMEOUT_MS / 1000);
        rc = WH_EIO;
    }
    rd_kafka_destroy(rk);
    if (delivery_failed) {
        rc = WH_EIO;
    }
    return rc;
}

/* Reads topic from its beginning to its end into *out, an object id ->
 * {"partition", "settings"} (topic_read_sources). Returns WH_OK, WH_EINVAL (a
 * bad kafka.* property) or WH_EIO. */
static int read_all(const struct wh_config *cfg, const char *topic,
                    json_t **out)
{
    char errstr[512];
    json_t *set = json_object();
    rd_kafka_t *rk;
    int rc;

    rk = wh_kafka_consumer_new(cfg, PROG, errstr, sizeof(errstr));
    if (rk == NULL) {
        fprintf(stderr, PROG ": %s\n", errstr);
        json_decref(set);
        return WH_EINVAL;
    }
    rc = topic_read_sources(rk, topic, TIMEOUT_MS, set, NULL, errstr,
                            sizeof(errstr));
    if (rc != WH_OK) {
        fprintf(stderr, PROG ": %s\n", errstr);
    }
    (void)wh_kafka_consumer_close(rk, TIMEOUT_MS, "sources");
    if (rc == WH_OK) {
        *out = set;
    } else {
        json_decref(set);
    }
    return rc;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmd_list(const struct wh_config *cfg, const char *topic)
{
    json_t *set = NULL;
    const char **ids;
    const char *id;
    json_t *v;
    size_t n = 0;
    size_t i;

    if (read_all(cfg, topic, &set) != WH_OK) {
        return 1;
    }
    ids = wh_xcalloc(json_object_size(set) + 1, sizeof(*ids));
    json_object_foreach (set, id, v) {
        ids[n++] = id;
    }
    qsort(ids, n, sizeof(*ids), by_string);
    for (i = 0; i < n; i++) {
        print_source(ids[i],
                     json_object_get(json_object_get(set, ids[i]), "settings"));
    }
    free(ids);
    json_decref(set);
    return 0;
}

static int cmd_remove(const struct wh_config *cfg, const char *topic,
                      const char *id)
{
    json_t *set = NULL;
    char *ids[1];
    char *values[1] = {NULL};
    int found;

    if (read_all(cfg, topic, &set) != WH_OK) {
        return 1;
    }
    found = json_object_get(set, id) != NULL;
    json_decref(set);
    if (!found) {
        fprintf(stderr, PROG ": %s: no such source in %s\n", id, topic);
        return 1;
    }
    ids[0] = (char *)id;
    return write_all(cfg, topic, ids, values, 1) == WH_OK ? 0 : 1;
}

/* Adds the parsed lines: id = name. Frees them. */
static int write_lines(const struct wh_config *cfg, const char *topic,
                       struct source_line *sl, size_t n)
{
    char **ids = wh_xcalloc(n + 1, sizeof(*ids));
    char **values = wh_xcalloc(n + 1, sizeof(*values));
    size_t i;
    int rc;

    for (i = 0; i < n; i++) {
        json_t *v = source_json(&sl[i]);

        ids[i] = sl[i].name;
        values[i] = json_dumps(v, JSON_COMPACT);
        json_decref(v);
    }
    rc = write_all(cfg, topic, ids, values, n);
    for (i = 0; i < n; i++) {
        free(values[i]);
        source_line_free(&sl[i]);
    }
    free(ids);
    free(values);
    return rc == WH_OK ? 0 : rc == WH_EINVAL ? 2 : 1;
}

static int cmd_add(const struct wh_config *cfg, const char *topic, int argc,
                   char **argv)
{
    struct source_line sl;
    char errstr[512];
    char *line;
    int named = argc > 1 && strchr(argv[1], '=') == NULL &&
                strcmp(argv[1], "tls_insecure") != 0;
    int i;

    line =
        named ? wh_xasprintf("%s %s", argv[1], argv[0]) : wh_xstrdup(argv[0]);
    for (i = named ? 2 : 1; i < argc; i++) {
        char *l = wh_xasprintf("%s %s", line, argv[i]);

        free(line);
        line = l;
    }
    if (strchr(argv[0], ' ') != NULL || strstr(argv[0], "://") == NULL ||
        (named && strchr(argv[1], ' ') != NULL)) {
        fprintf(stderr, PROG ": add: %s: not a URL (or a name with a space)\n",
                argv[0]);
        free(line);
        return 2;
    }
    if (source_line_parse(line, "add", &sl, errstr, sizeof(errstr)) != WH_OK) {
        fprintf(stderr, PROG ": %s\n", errstr);
        free(line);
        return 2;
    }
    free(line);
    return write_lines(cfg, topic, &sl, 1);
}

static int cmd_import(const struct wh_config *cfg, const char *topic,
                      const char *path)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    struct source_line *sl = NULL;
    size_t n = 0;
    size_t cap = 0;
    size_t bad = 0;
    char *buf = NULL;
    size_t bufsz = 0;
    long lineno = 0;
    size_t i;

    if (fp == NULL) {
        fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
        return 2;
    }
    while (getline(&buf, &bufsz, fp) != -1) {
        char origin[512];
        char errstr[1024];
        char *s = buf + strspn(buf, " \t");

        lineno++;
        s[strcspn(s, "\r\n")] = '\0';
        if (*s == '\0' || *s == '#') {
            continue;
        }
        if (n == cap) {
            cap = cap != 0 ? cap * 2 : 64;
            sl = wh_xrealloc(sl, cap * sizeof(*sl));
        }
        snprintf(origin, sizeof(origin), "%s:%ld", path, lineno);
        if (source_line_parse(s, origin, &sl[n], errstr, sizeof(errstr)) !=
            WH_OK) {
            fprintf(stderr, PROG ": %s\n", errstr);
            bad++;
            continue;
        }
        for (i = 0; i < n; i++) {
            if (strcmp(sl[i].name, sl[n].name) == 0) {
                fprintf(stderr, PROG ": %s: source: %s given twice\n", origin,
                        sl[n].name);
                bad++;
                break;
            }
        }
        if (i == n) {
            n++;
        } else {
            source_line_free(&sl[n]);
        }
    }
    free(buf);
    if (fp != stdin) {
        fclose(fp);
    }
    if (bad > 0 || n == 0) {
        if (n == 0 && bad == 0) {
            fprintf(stderr, PROG ": %s: no source\n", path);
        } else {
            fprintf(stderr, PROG ": %s: %zu bad line%s, nothing written\n",
                    path, bad, bad == 1 ? "" : "s");
        }
        for (i = 0; i < n; i++) {
            source_line_free(&sl[i]);
        }
        free(sl);
        return 2;
    }
    i = write_lines(cfg, topic, sl, n);
    free(sl);
    if (i == 0) {
        fprintf(stderr, PROG ": %zu source%s written to %s\n", n,
                n == 1 ? "" : "s", topic);
    }
    return (int)i;
}

enum { OPT_VERSION = 256, OPT_SOURCES_TOPIC, OPT_PARTITIONS };

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {"sources-topic", required_argument, NULL, OPT_SOURCES_TOPIC},
        {"partitions", required_argument, NULL, OPT_PARTITIONS},
        {NULL, 0, NULL, 0},
    };
    struct wh_config *cfg = wh_config_new(keys);
    const char *topic = NULL;
    const char *stopic = NULL;
    char *owned = NULL;
    char errstr[512];
    const char *cmd;
    int rc = 2;
    int opt;

    while ((opt = getopt_long(argc, argv, ":b:t:X:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'b':
            if (wh_config_set(cfg, "brokers", optarg, errstr, sizeof(errstr)) !=
                WH_OK) {
                goto bad;
            }
            break;
        case 't':
            topic = optarg;
            break;
        case OPT_SOURCES_TOPIC:
            stopic = optarg;
            break;
        case OPT_PARTITIONS: {
            char *end = NULL;
            long v = strtol(optarg, &end, 10);

            if (end == optarg || *end != '\0' || v < 1 || v > 10000) {
                snprintf(errstr, sizeof(errstr),
                         "--partitions: expected 1..10000, got '%s'", optarg);
                goto bad;
            }
            partitions = (int)v;
            break;
        }
        case 'X':
            if (wh_config_set_kafka(cfg, optarg, errstr, sizeof(errstr)) !=
                WH_OK) {
                goto bad;
            }
            break;
        case 'h':
            usage(stdout);
            wh_config_free(cfg);
            return 0;
        case OPT_VERSION:
            wh_config_free(cfg);
            return wh_cli_version(PROG, NULL);
        default:
            wh_config_free(cfg);
            return wh_cli_bad_option(PROG, opt, argv);
        }
    }
    if (optind >= argc) {
        snprintf(errstr, sizeof(errstr),
                 "no command (add, remove, list or import)");
        goto bad;
    }
    if (wh_config_get(cfg, "brokers", NULL) == NULL) {
        snprintf(errstr, sizeof(errstr), "no brokers (-b)");
        goto bad;
    }
    if (stopic == NULL) {
        if (topic == NULL) {
            snprintf(errstr, sizeof(errstr),
                     "no topic (-t TOPIC or --sources-topic)");
            goto bad;
        }
        owned = wh_xasprintf("%s.sources", topic);
        stopic = owned;
    }
    cmd = argv[optind++];
    if (strcmp(cmd, "list") == 0 && optind == argc) {
        rc = cmd_list(cfg, stopic);
    } else if (strcmp(cmd, "remove") == 0 && optind + 1 == argc) {
        rc = cmd_remove(cfg, stopic, argv[optind]);
    } else if (strcmp(cmd, "import") == 0 && optind + 1 == argc) {
        rc = cmd_import(cfg, stopic, argv[optind]);
    } else if (strcmp(cmd, "add") == 0 && optind < argc) {
        rc = cmd_add(cfg, stopic, argc - optind, argv + optind);
    } else if (strcmp(cmd, "list") == 0 || strcmp(cmd, "remove") == 0 ||
               strcmp(cmd, "import") == 0 || strcmp(cmd, "add") == 0) {
        snprintf(errstr, sizeof(errstr),
                 "%s: wrong number of arguments; see --help", cmd);
        goto bad;
    } else {
        snprintf(errstr, sizeof(errstr),
                 "unknown command '%s' (add, remove, list or import); see "
                 "--help",
                 cmd);
        goto bad;
    }
    free(owned);
    wh_config_free(cfg);
    return rc;
bad:
    fprintf(stderr, PROG ": %s\n", errstr);
    free(owned);
    wh_config_free(cfg);
    return 2;
}
