/*
 * cli.c - the consumer's command line (--help, the flags) and the
 * configuration it makes: the file, the flags over it, and the defaults
 * the command line adds.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "consumer.h"
#include "wh/cli.h"
#include "wh/daemon.h"
#include "wh/wh.h"

static void usage(FILE *fp)
{
    size_t i;
    const struct wh_stage *st;

    fprintf(
        fp,
        "Usage: " PROG " [OPTIONS]\n"
        "\n"
        "Joins a Kafka consumer group, takes each record through the dedup "
        "and\n"
        "enrich stages and writes it to every sink; offsets are stored only "
        "once\n"
        "the sinks hold the record (at-least-once).\n"
        "\n"
        "  -c FILE            read the configuration file FILE\n"
        "  -b BROKERS         bootstrap brokers (key: brokers)\n"
        "  -t TOPIC           topic(s) to consume, comma-separated (key: "
        "topic)\n"
        "  -g GROUP           consumer group (key: group)\n"
        "  -X PROP=VALUE      librdkafka property (key: kafka.PROP; "
        "repeatable)\n"
        "  --sink KIND:ARG    a sink, e.g. jsonl:out.jsonl or jsonl:- (key: "
        "sink;\n"
        "                     repeatable)\n"
        "  --enrich LIST      enrichers to run, comma-separated, in table "
        "order\n"
        "                     whatever the list's order; all (default) or "
        "none\n"
        "                     (key: enrich)\n"
        "  --dedup LIST       dedup stages to run, likewise (key: dedup)\n"
        "  --metrics ADDR:PORT  serve Prometheus /metrics and /healthz there\n"
        "                     (key: metrics)\n"
        "  --once             exit 0 once caught up with the end of every\n"
        "                     assigned partition\n"
        "  --timeout SEC      with --once: give up (exit 1) when no partition "
        "is\n"
        "                     assigned, or the sinks take nothing, for SEC\n"
        "                     seconds (default 60)\n"
        "  --check-config     validate the configuration and exit\n"
        "  -v, -q             more, less logging (repeatable)\n"
        "  -h, --help         this help\n"
        "  --version          print the version and exit\n"
        "\n"
        "Flags override the configuration file. New groups start at the "
        "earliest\n"
        "offset unless kafka.auto.offset.reset says otherwise.\n"
        "A message that is not a record, or that a stage refuses for good, "
        "goes\n"
        "to the dead-letter topic (<topic>.dlq; key dlq.topic) as it was, key\n"
        "and headers included, with wh.dlq.reason / .detail / .stage / .topic "
        "/\n"
        ".partition / .offset / .time headers added.\n"
        "SIGTERM/SIGINT: flush, commit, leave the group, exit 0. SIGHUP: read "
        "the\n"
        "configuration again; log.level, flush.records and flush.ms apply at "
        "once,\n"
        "other changed keys are named and need a restart.\n"
        "Exit status: 0 done, 1 runtime failure, 2 bad usage or "
        "configuration.\n"
        "\n"
        "Configuration keys:\n");
    wh_config_print_keys(wh_consumer_config_keys(), fp);
    fprintf(fp, "\nStages (the dedup and enrich stages selected run in "
                "this order;\nsinks as named):\n");
    for (i = 0; (st = wh_stage_at(i)) != NULL; i++) {
        fprintf(fp, "  %s:%s\n      %s\n",
                st->type == WH_STAGE_DEDUP    ? "dedup"
                : st->type == WH_STAGE_ENRICH ? "enrich"
                                              : "sink",
                st->name, st->description);
    }
}

/* Returns 0 to go on, 1 when --help was printed, 2 on a usage error. */
int parse_args(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"sink", required_argument, NULL, 's'},
        {"enrich", required_argument, NULL, 'E'},
        {"dedup", required_argument, NULL, 'D'},
        {"metrics", required_argument, NULL, 'M'},
        {"once", no_argument, NULL, 'o'},
        {"timeout", required_argument, NULL, 'T'},
        {"check-config", no_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    int opt;

    o->timeout_s = 60;
    while ((opt = getopt_long(argc, argv, WH_CONSUMER_SHORTOPTS, longopts,
                              NULL)) != -1) {
        if (wh_consumer_flag(&o->flags, opt, optarg)) {
            continue;
        }
        switch (opt) {
        case 's':
            o->sinks[o->nsinks++] = optarg;
            break;
        case 'o':
            o->once = 1;
            break;
        case 'T':
            if (wh_daemon_opt_seconds(PROG, "--timeout", optarg,
                                      &o->timeout_s) != 0) {
                return 2;
            }
            break;
        case 'C':
            o->check = 1;
            break;
        case 'E':
            o->enrich = optarg;
            break;
        case 'D':
            o->dedup = optarg;
            break;
        case 'M':
            o->metrics = optarg;
            break;
        case 'h':
            usage(stdout);
            return 1;
        case 'V':
            wh_cli_version(PROG, NULL);
            return 1;
        default:
            return wh_cli_bad_option(PROG, opt, argv);
        }
    }
    if (optind < argc) {
        return wh_cli_bad_operand(PROG, argv[optind]);
    }
    return 0;
}

/* Loads the file, then the flags over it. Returns WH_OK or an error with
 * errstr filled. */
int build_config(struct wh_config *cfg, const struct opts *o, char *errstr,
                 size_t errstr_size)
{
    const struct {
        const char *key;
        const char *value;
    } flags[] = {
        {"enrich", o->enrich},
        {"dedup", o->dedup},
        {"metrics", o->metrics},
    };
    size_t i;
    int rc;

    rc = wh_consumer_flags_apply(cfg, &o->flags, errstr, errstr_size);
    if (rc != WH_OK) {
        return rc;
    }
    for (i = 0; i < WH_ARRAY_SIZE(flags); i++) {
        if (flags[i].value == NULL) {
            continue;
        }
        rc = wh_config_set(cfg, flags[i].key, flags[i].value, errstr,
                           errstr_size);
        if (rc != WH_OK) {
            return rc;
        }
    }
    for (i = 0; i < o->nsinks; i++) {
        rc = wh_config_set(cfg, "sink", o->sinks[i], errstr, errstr_size);
        if (rc != WH_OK) {
            return rc;
        }
    }
    return WH_OK;
}

/* The settings the command line adds to a configuration. */
int apply_defaults(struct wh_config *cfg, int once, char *errstr,
                   size_t errstr_size)
{
    /* New groups read the topic from the start unless told otherwise;
     * --once needs to hear where each partition ends. */
    if (wh_config_get(cfg, "kafka.auto.offset.reset", NULL) == NULL &&
        wh_config_set(cfg, "kafka.auto.offset.reset", "earliest", errstr,
                      errstr_size) != WH_OK) {
        return WH_EINVAL;
    }
    if (once && wh_config_set(cfg, "kafka.enable.partition.eof", "true", errstr,
                              errstr_size) != WH_OK) {
        return WH_EINVAL;
    }
    return WH_OK;
}
