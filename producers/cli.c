/*
 * cli.c - the producer's command line (--help, the flags) and the
 * configuration it loads: the file, then the flags over it, checked into
 * the settings.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "producer.h"
#include "wh/cli.h"
#include "wh/daemon.h"
#include "wh/wh.h"

#define PROG "wirehose-producer"

static void usage(FILE *fp)
{
    fprintf(fp,
            "Usage: wirehose-producer [OPTIONS]\n"
            "Polls news sources, extracts each new item's page and "
            "publishes one\nninjs record per article to Kafka, keyed by "
            "its uri. Source kinds, detected\nfrom the content: RSS 0.9x, "
            "1.0 and 2.0, Atom, JSON Feed, sitemaps (and\nindexes, Google "
            "News, gzipped), HTML pages (feed autodiscovery), and\nwire "
            "documents needing no page fetch: ninjs, NewsML-G2, NITF.\n\n"
            "  -c FILE            configuration file (key = value)\n"
            "  -b BROKERS         Kafka bootstrap servers (brokers)\n"
            "  -t TOPIC           topic to produce to (topic)\n"
            "  -X PROP=VALUE      librdkafka property (kafka.PROP), "
            "repeatable\n"
            "  --source [NAME ]URL  source to poll, repeatable; the first "
            "one\n"
            "                     replaces the sources of the file\n"
            "  --sources config|kafka  where the sources come from "
            "(sources): the\n"
            "                     source keys, or TOPIC.sources shared by "
            "a fleet\n"
            "                     (docs/producer.md, wirehose-sources)\n"
            "  --allow-address CIDR  let the SSRF guard connect to CIDR "
            "(e.g.\n"
            "                     127.0.0.1/32), repeatable "
            "(fetch.allow_address)\n"
            "  --state-dir DIR    where published ids are kept (state_dir)\n"
            "  --metrics ADDR:PORT  serve /metrics and /healthz (metrics)\n"
            "  --once             poll every source once, wait for every "
            "delivery,\n"
            "                     then exit\n"
            "  --check-config     validate the configuration and exit\n"
            "  --inspect URL      fetch one source with the fetcher's rules "
            "and print\n"
            "                     what would be published, one JSON a line "
            "(a header\n"
            "                     {source,kind,title,items,extraction}, then "
            "a record\n"
            "                     per item); no Kafka, no state (brokers and "
            "topic not\n"
            "                     needed); with sources = kafka the header "
            "adds the\n"
            "                     source's place in the fleet (read from "
            "its topics)\n"
            "  --no-pages         with --inspect: records from the feed "
            "alone\n"
            "  -v, -q             more / less logging (repeatable)\n"
            "  -h, --help         this help\n"
            "  --version          print the version and exit\n\n"
            "Signals: SIGTERM/SIGINT stop (deliveries are flushed), SIGHUP "
            "reloads\nthe configuration (sources, fetch and poll keys; "
            "brokers, kafka.*,\nstate_dir and metrics need a restart).\n\n"
            "Flags override the file. Configuration keys:\n");
    wh_config_print_keys(producer_keys, fp);
    fprintf(fp, "\nExit status: 0 ok, 1 records not delivered or a "
                "runtime failure,\n2 bad usage or configuration, 3 (with "
                "--once) some sources failed\n(each logged with its name), "
                "what the others had was delivered;\nwith --inspect, 3 "
                "when the source was not fetched or parsed.\n");
}

enum {
    OPT_SOURCE = 256,
    OPT_ONCE,
    OPT_CHECK,
    OPT_STATE_DIR,
    OPT_ALLOW,
    OPT_METRICS,
    OPT_VERSION,
    OPT_INSPECT,
    OPT_NO_PAGES,
    OPT_SOURCES
};

/* Parses argv: the config file path and flags into cli; every setting
 * into cfg (applied after the file is loaded, so flags win). Returns
 * WH_OK, 1 when --help was printed, or WH_EINVAL (message printed). */
int parse_args(int argc, char **argv, struct cli *cli, struct wh_config *flags)
{
    static const struct option longopts[] = {
        {"source", required_argument, NULL, OPT_SOURCE},
        {"once", no_argument, NULL, OPT_ONCE},
        {"check-config", no_argument, NULL, OPT_CHECK},
        {"state-dir", required_argument, NULL, OPT_STATE_DIR},
        {"allow-address", required_argument, NULL, OPT_ALLOW},
        {"metrics", required_argument, NULL, OPT_METRICS},
        {"inspect", required_argument, NULL, OPT_INSPECT},
        {"no-pages", no_argument, NULL, OPT_NO_PAGES},
        {"sources", required_argument, NULL, OPT_SOURCES},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    char errstr[256];
    int c;
    int rc;

    memset(cli, 0, sizeof(*cli));
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":c:b:t:X:vqh", longopts, NULL)) !=
           -1) {
        rc = WH_OK;
        switch (c) {
        case 'c':
            cli->config_path = optarg;
            break;
        case 'b':
            rc =
                wh_config_set(flags, "brokers", optarg, errstr, sizeof(errstr));
            break;
        case 't':
            rc = wh_config_set(flags, "topic", optarg, errstr, sizeof(errstr));
            break;
        case 'X':
            rc = wh_config_set_kafka(flags, optarg, errstr, sizeof(errstr));
            break;
        case OPT_SOURCE:
            rc = wh_config_set(flags, "source", optarg, errstr, sizeof(errstr));
            break;
        case OPT_SOURCES:
            rc =
                wh_config_set(flags, "sources", optarg, errstr, sizeof(errstr));
            break;
        case OPT_STATE_DIR:
            rc = wh_config_set(flags, "state_dir", optarg, errstr,
                               sizeof(errstr));
            break;
        case OPT_ALLOW:
            rc = wh_config_set(flags, "fetch.allow_address", optarg, errstr,
                               sizeof(errstr));
            break;
        case OPT_METRICS:
            rc =
                wh_config_set(flags, "metrics", optarg, errstr, sizeof(errstr));
            break;
        case OPT_ONCE:
            cli->once = 1;
            break;
        case OPT_INSPECT:
            cli->inspect = optarg;
            break;
        case OPT_NO_PAGES:
            cli->no_pages = 1;
            break;
        case OPT_CHECK:
            cli->check = 1;
            break;
        case 'v':
            cli->verbosity++;
            break;
        case 'q':
            cli->verbosity--;
            break;
        case 'h':
            usage(stdout);
            return 1;
        case OPT_VERSION:
            wh_cli_version(PROG, NULL);
            return 1;
        default:
            wh_cli_bad_option(PROG, c, argv);
            return WH_EINVAL;
        }
        if (rc != WH_OK) {
            fprintf(stderr, PROG ": %s\n", errstr);
            return WH_EINVAL;
        }
    }
    if (optind < argc) {
        wh_cli_bad_operand(PROG, argv[optind]);
        return WH_EINVAL;
    }
    if (cli->no_pages && cli->inspect == NULL) {
        fprintf(stderr, "wirehose-producer: --no-pages needs --inspect\n");
        return WH_EINVAL;
    }
    return WH_OK;
}

/* Copies the flags into cfg, in order, with command-line semantics. */
static int apply_flags(struct wh_config *cfg, const struct wh_config *flags,
                       char *errstr, size_t errstr_size)
{
    const struct wh_config_entry *e;

    for (e = flags->head; e != NULL; e = e->next) {
        if (wh_config_set(cfg, e->key, e->value, errstr, errstr_size) !=
            WH_OK) {
            return WH_EINVAL;
        }
    }
    return WH_OK;
}

/* --inspect URL: the inspected URL is the only source, and Kafka is not
 * used, so brokers and topic need not be configured; with sources =
 * kafka the sources stay in their topic, which inspect reads (brokers
 * and topic needed). */
static int inspect_config(struct wh_config *cfg, const char *url, char *errstr,
                          size_t errstr_size)
{
    static const char *const unused[] = {"brokers", "topic"};
    size_t i;

    if (fleet_mode(cfg)) {
        return WH_OK;
    }
    for (i = 0; i < WH_ARRAY_SIZE(unused); i++) {
        if (wh_config_get(cfg, unused[i], NULL) == NULL &&
            wh_config_set(cfg, unused[i], "unused", errstr, errstr_size) !=
                WH_OK) {
            return WH_EINVAL;
        }
    }
    return wh_config_set(cfg, "source", url, errstr, errstr_size);
}

/* Reads the configuration: the file (when given), then the flags over
 * it, then checks it into set. Returns the config (set's strings point
 * into it), or NULL with errstr filled. */
struct wh_config *load_config(const struct cli *cli,
                              const struct wh_config *flags,
                              struct settings *set,
                              struct wh_config_problems *pr)
{
    struct wh_config *cfg = wh_config_new(producer_keys);
    char errstr[1024];

    if ((cli->config_path != NULL &&
         wh_config_load(cfg, cli->config_path, errstr, sizeof(errstr)) !=
             WH_OK) ||
        apply_flags(cfg, flags, errstr, sizeof(errstr)) != WH_OK ||
        (cli->inspect != NULL &&
         inspect_config(cfg, cli->inspect, errstr, sizeof(errstr)) != WH_OK)) {
        wh_config_problem(pr, "%s", errstr);
        wh_config_free(cfg);
        return NULL;
    }
    if (cli->once && fleet_mode(cfg)) {
        wh_config_problem(pr, "--once: not with sources = kafka (a fleet "
                              "member polls until stopped)");
        wh_config_free(cfg);
        return NULL;
    }
    if (settings_load(cfg, set, pr) != WH_OK) {
        settings_free(set);
        wh_config_free(cfg);
        return NULL;
    }
    wh_daemon_log_level(wh_config_get(cfg, "log.level", NULL), cli->verbosity);
    return cfg;
}
