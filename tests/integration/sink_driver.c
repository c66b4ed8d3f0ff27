/*
 * sink_driver - drives one sink stage without the consumer daemon, for the
 * sink tests: init, then process() / flush() as a script says, close.
 *
 *   sink_driver [-c FILE] [-b BROKERS] [-o key=value]... [-X prop=value]...
 *               [--retries N] [--retry-ms MS] KIND:ARG [SCRIPT]
 *
 * The script (default: standard input) has one item per line:
 *   {...}        a record (ninjs JSON): process()
 *   !flush       flush()
 *   !flush-once  flush(), not retried
 *   !sh COMMAND  runs COMMAND with system()
 *   !sleep MS    sleeps
 * Blank lines and lines starting with '#' are skipped. At the end of the
 * script the driver flushes once more and closes the sink.
 *
 * Each outcome is printed on a line of standard output:
 *   process LINE URI OK|RETRY|REJECT|FATAL[: reason]
 *   process LINE - PARSE: reason          (not valid JSON: not processed)
 *   flush OK|RETRY|REJECT|FATAL[: reason]
 *   sh RC
 * A WH_RETRY is retried like the consumer would, up to --retries times
 * (default 0), --retry-ms apart (default 200), each attempt printed.
 *
 * Exit status: 0 when the last flush was OK or REJECT, 1 when records
 * were left unwritten (RETRY) or the sink said FATAL, 2 on a usage or
 * init error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "settings.h"
#include "stage.h"
#include "wh/config.h"
#include "wh/log.h"
#include "wh/record.h"
#include "wh/wh.h"

extern const struct wh_stage wh_sink_postgres;
extern const struct wh_stage wh_sink_http;
extern const struct wh_stage wh_sink_kafka;

static const struct wh_stage *const sinks[] = {
    &wh_sink_postgres,
    &wh_sink_http,
    &wh_sink_kafka,
};

static void usage(FILE *fp)
{
    fprintf(fp, "usage: sink_driver [-c FILE] [-b BROKERS] [-o key=value]... "
                "[-X prop=value]... [--retries N] [--retry-ms MS] KIND:ARG "
                "[SCRIPT]\n");
}

static void sleep_ms(long ms)
{
    struct timespec ts;

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

static const char *rc_name(int rc)
{
    switch (rc) {
    case WH_OK:
        return "OK";
    case WH_DROP:
        return "DROP";
    case WH_RETRY:
        return "RETRY";
    case WH_REJECT:
        return "REJECT";
    case WH_FATAL:
        return "FATAL";
    default:
        return wh_strerror(rc);
    }
}

static void print_outcome(const char *what, int rc, const char *errstr)
{
    if (errstr[0] != '\0') {
        printf("%s %s: %s\n", what, rc_name(rc), errstr);
    } else {
        printf("%s %s\n", what, rc_name(rc));
    }
    fflush(stdout);
}

struct run {
    const struct wh_stage *st;
    void *ctx;
    long retries;
    long retry_ms;
    int last_flush;
};

static int do_flush(struct run *r, long retries)
{
    char errstr[4096];
    long attempt;
    int rc = WH_OK;

    for (attempt = 0; attempt <= retries; attempt++) {
        if (attempt > 0) {
            sleep_ms(r->retry_ms);
        }
        errstr[0] = '\0';
        rc = r->st->flush != NULL ? r->st->flush(r->ctx, errstr, sizeof(errstr))
                                  : WH_OK;
        print_outcome("flush", rc, errstr);
        if (rc != WH_RETRY) {
            break;
        }
    }
    r->last_flush = rc;
    return rc;
}

static int do_record(struct run *r, const char *line, size_t len, long lineno)
{
    struct wh_record *rec;
    struct wh_msg_meta meta;
    char errstr[4096];
    char what[512];
    long attempt;
    int rc = WH_OK;

    errstr[0] = '\0';
    rec = wh_record_parse(line, len, errstr, sizeof(errstr));
    if (rec == NULL) {
        printf("process %ld - PARSE: %s\n", lineno, errstr);
        fflush(stdout);
        return WH_OK;
    }
    memset(&meta, 0, sizeof(meta));
    meta.topic = "sink-driver";
    meta.offset = lineno;
    meta.key = rec->uri;
    meta.key_len = strlen(rec->uri);
    meta.payload = line;
    meta.len = len;
    snprintf(what, sizeof(what), "process %ld %.400s", lineno, rec->uri);
    for (attempt = 0; attempt <= r->retries; attempt++) {
        if (attempt > 0) {
            sleep_ms(r->retry_ms);
        }
        errstr[0] = '\0';
        rc = r->st->process(r->ctx, rec, &meta, errstr, sizeof(errstr));
        print_outcome(what, rc, errstr);
        if (rc != WH_RETRY) {
            break;
        }
    }
    wh_record_free(rec);
    return rc;
}

/* Runs the script. Returns the exit status. */
static int run_script(struct run *r, FILE *in)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    int status = 0;
    int rc;

    while ((n = getline(&line, &cap, in)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
            line[--n] = '\0';
        }
        if (n == 0 || line[0] == '#') {
            continue;
        }
        if (strcmp(line, "!flush") == 0) {
            rc = do_flush(r, r->retries);
        } else if (strcmp(line, "!flush-once") == 0) {
            rc = do_flush(r, 0);
        } else if (strncmp(line, "!sh ", 4) == 0) {
            fflush(stdout);
            printf("sh %d\n", system(line + 4));
            fflush(stdout);
            continue;
        } else if (strncmp(line, "!sleep ", 7) == 0) {
            sleep_ms(strtol(line + 7, NULL, 10));
            continue;
        } else if (line[0] == '!') {
            fprintf(stderr, "sink_driver: line %ld: unknown command %s\n",
                    lineno, line);
            status = 2;
            goto out;
        } else {
            rc = do_record(r, line, (size_t)n, lineno);
        }
        if (rc == WH_FATAL) {
            status = 1;
            goto out;
        }
    }
    rc = do_flush(r, r->retries);
    status = rc == WH_OK || rc == WH_REJECT ? 0 : 1;
out:
    free(line);
    return status;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"retries", required_argument, NULL, 'r'},
        {"retry-ms", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct wh_config *cfg = wh_config_new(wh_consumer_config_keys());
    struct run r;
    char errstr[1024];
    const char *spec;
    const char *colon;
    char *kind = NULL;
    FILE *in = stdin;
    size_t i;
    int opt;
    int status = 2;

    memset(&r, 0, sizeof(r));
    r.retry_ms = 200;
    while ((opt = getopt_long(argc, argv, "c:b:o:X:v", longopts, NULL)) != -1) {
        char *eq;

        switch (opt) {
        case 'c':
            if (wh_config_load(cfg, optarg, errstr, sizeof(errstr)) != WH_OK) {
                fprintf(stderr, "sink_driver: %s\n", errstr);
                goto out;
            }
            break;
        case 'b':
            if (wh_config_set(cfg, "brokers", optarg, errstr, sizeof(errstr)) !=
                WH_OK) {
                fprintf(stderr, "sink_driver: %s\n", errstr);
                goto out;
            }
            break;
        case 'o':
            eq = strchr(optarg, '=');
            if (eq == NULL) {
                fprintf(stderr, "sink_driver: -o %s: expected key=value\n",
                        optarg);
                goto out;
            }
            *eq = '\0';
            if (wh_config_set(cfg, optarg, eq + 1, errstr, sizeof(errstr)) !=
                WH_OK) {
                fprintf(stderr, "sink_driver: %s\n", errstr);
                goto out;
            }
            break;
        case 'X':
            if (wh_config_set_kafka(cfg, optarg, errstr, sizeof(errstr)) !=
                WH_OK) {
                fprintf(stderr, "sink_driver: %s\n", errstr);
                goto out;
            }
            break;
        case 'v':
            wh_log_set_level(WH_LOG_DEBUG);
            break;
        case 'r':
            r.retries = strtol(optarg, NULL, 10);
            break;
        case 'm':
            r.retry_ms = strtol(optarg, NULL, 10);
            break;
        case 'h':
            usage(stdout);
            status = 0;
            goto out;
        default:
            usage(stderr);
            goto out;
        }
    }
    if (optind >= argc || optind + 2 < argc) {
        usage(stderr);
        goto out;
    }
    spec = argv[optind];
    colon = strchr(spec, ':');
    kind = colon != NULL ? wh_xstrndup(spec, (size_t)(colon - spec))
                         : wh_xstrdup(spec);
    for (i = 0; i < WH_ARRAY_SIZE(sinks); i++) {
        if (strcmp(sinks[i]->name, kind) == 0) {
            r.st = sinks[i];
        }
    }
    if (r.st == NULL) {
        fprintf(stderr, "sink_driver: %s: no such sink\n", kind);
        goto out;
    }
    if (optind + 1 < argc) {
        in = fopen(argv[optind + 1], "r");
        if (in == NULL) {
            perror(argv[optind + 1]);
            goto out;
        }
    }
    errstr[0] = '\0';
    r.ctx = r.st->init(colon != NULL ? colon + 1 : NULL, cfg, errstr,
                       sizeof(errstr));
    if (r.ctx == NULL) {
        printf("init FAILED: %s\n", errstr);
        goto out;
    }
    printf("init OK\n");
    fflush(stdout);
    status = run_script(&r, in);
    r.st->close(r.ctx);
out:
    if (in != stdin && in != NULL) {
        fclose(in);
    }
    free(kind);
    wh_config_free(cfg);
    return status;
}
