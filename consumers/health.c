/*
 * health.c - what the consumer waits for: each stage's dependency (a
 * sink's server, the dedup store) marked down when the stage cannot take
 * a record or flush (WH_RETRY) or its probe fails, and up again when it
 * answers. One log line per change of state ("down since T: why", "up
 * after D"), one /healthz line per stage that is down, and what STATUS=
 * says the consumer waits for.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "consumer.h"
#include "wh/daemon.h"
#include "wh/log.h"
#include "wh/wh.h"

/* "sink:postgres" -> "sink postgres", as operators read it. */
static void dep_name(const struct inst *in, char *out, size_t out_size)
{
    char *colon;

    snprintf(out, out_size, "%s", in->tag);
    colon = strchr(out, ':');
    if (colon != NULL) {
        *colon = ' ';
    }
}

/* wirehose_dependency_up{dependency=tag} of a stage (sinks and dedup
 * stages: what waits on a server or a store). */
static void dep_gauge(const struct consumer *c, struct inst *in)
{
    if (in->m_up == NULL && c->reg != NULL) {
        in->m_up =
            wh_metrics_get(c->reg, WH_M_DEP_UP, WH_METRICS_LABELS(in->tag));
    }
    wh_metrics_set(in->m_up, in->down ? 0 : 1);
}

void dep_report(struct consumer *c, struct inst *in, int up, const char *reason)
{
    char name[64];
    char line[256];
    struct tm tm;

    if (up) {
        if (in->down) {
            in->down = 0;
            wh_notice(in->tag, "up after %lld s",
                      (long long)((wh_now_ms() - in->down_at_ms) / 1000));
            wh_daemon_set_problem(in->tag, NULL);
            c->status_due = 1;
        }
        dep_gauge(c, in);
        return;
    }
    if (!in->down) {
        in->down = 1;
        in->down_at_ms = wh_now_ms();
        in->down_since = time(NULL);
        localtime_r(&in->down_since, &tm);
        strftime(in->since, sizeof(in->since), "%H:%M:%S", &tm);
        wh_warn(in->tag, "down since %s: %s", in->since, reason);
        c->status_due = 1;
    }
    dep_name(in, name, sizeof(name));
    snprintf(line, sizeof(line), "%s unreachable since %s: %s", name, in->since,
             reason);
    wh_daemon_set_problem(in->tag, line);
    dep_gauge(c, in);
}

void deps_probe(struct consumer *c)
{
    char errstr[512];
    size_t i;

    for (i = 0; i < c->ninsts; i++) {
        struct inst *in = &c->insts[i];
        int rc;

        if (in->st->probe == NULL) {
            if (in->st->type != WH_STAGE_ENRICH) {
                dep_gauge(c, in); /* its process() and flush() tell */
            }
            continue;
        }
        errstr[0] = '\0';
        rc = in->st->probe(in->ctx, errstr, sizeof(errstr));
        dep_report(c, in, rc == WH_OK, errstr);
    }
}

int dep_waiting(const struct consumer *c, char *out, size_t out_size)
{
    size_t i;

    for (i = 0; i < c->ninsts; i++) {
        const struct inst *in = &c->insts[i];

        if (in->down) {
            char name[64];

            dep_name(in, name, sizeof(name));
            snprintf(out, out_size, "waiting for %s since %s", name, in->since);
            return 1;
        }
    }
    return 0;
}
