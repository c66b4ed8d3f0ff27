/*
 * reload.c - SIGHUP in the consumer: the configuration read again;
 * log.level, flush.records and flush.ms applied at once, every other key
 * that changed named as needing a restart.
 */
#include <stdlib.h>
#include <string.h>

#include "consumer.h"
#include "wh/daemon.h"
#include "wh/log.h"
#include "wh/notify.h"
#include "wh/wh.h"

/* All the values of key in cfg, joined by newlines, in a new string; NULL
 * when the key is unset. With shown, a value read from ${file:} or
 * ${env:} is "(secret)": the string is for the log. */
static char *values_of(const struct wh_config *cfg, const char *key, int shown)
{
    const struct wh_config_entry *e;
    char *all = NULL;

    for (e = wh_config_first(cfg, key); e != NULL; e = wh_config_next(e)) {
        const char *v = shown && e->secret ? "(secret)" : e->value;
        char *next =
            all == NULL ? wh_xstrdup(v) : wh_xasprintf("%s\n%s", all, v);

        free(all);
        all = next;
    }
    return all;
}

/* Keys SIGHUP applies to the running consumer. */
static int reloadable(const char *key)
{
    return strcmp(key, "log.level") == 0 || strcmp(key, "flush.records") == 0 ||
           strcmp(key, "flush.ms") == 0;
}

/* Names the keys of one list that differ in the other and cannot be
 * applied; returns how many. */
static int report_fixed(const struct wh_config *from,
                        const struct wh_config *old,
                        const struct wh_config *neu)
{
    const struct wh_config_entry *e;
    const struct wh_config_entry *f;
    int n = 0;

    for (e = from->head; e != NULL; e = e->next) {
        char *a;
        char *b;

        if (reloadable(e->key)) {
            continue;
        }
        /* each key once: at its first entry in this list */
        for (f = from->head; f != e && strcmp(f->key, e->key) != 0;
             f = f->next) {
        }
        if (f != e) {
            continue;
        }
        /* keys set in both lists are reported from the new one only */
        if (from == old && wh_config_first(neu, e->key) != NULL) {
            continue;
        }
        a = values_of(old, e->key, 0);
        b = values_of(neu, e->key, 0);
        if (a == NULL || b == NULL || strcmp(a, b) != 0) {
            char *shown = values_of(old, e->key, 1);

            wh_warn(TAG,
                    "reload: %s changed; it needs a restart (still "
                    "running with %s)",
                    e->key, shown != NULL ? shown : "its default");
            free(shown);
            n++;
        }
        free(a);
        free(b);
    }
    return n;
}

/* SIGHUP: reads the configuration again, applies what can change while
 * running, names what cannot. A configuration that does not load or
 * validate changes nothing. */
void reload(struct consumer *c, const struct opts *o)
{
    struct wh_config *cfg = wh_config_new(wh_consumer_config_keys());
    struct wh_config_problems pr = {NULL, 0, 0};
    char errstr[1024];
    long long flush_records;
    long long flush_ms;
    int fixed;

    (void)wh_notify_reloading();
    wh_notice(TAG, "SIGHUP: reading the configuration again");
    errstr[0] = '\0';
    if (build_config(cfg, o, errstr, sizeof(errstr)) != WH_OK ||
        apply_defaults(cfg, o->once, errstr, sizeof(errstr)) != WH_OK) {
        wh_err(TAG, "reload: %s; nothing changed", errstr);
        goto out;
    }
    if (wh_consumer_validate(cfg, &flush_records, &flush_ms, &pr) != WH_OK) {
        wh_config_problems_log(&pr, TAG, "reload: ", "; nothing changed");
        goto out;
    }
    fixed = report_fixed(cfg, c->cfg, cfg) + report_fixed(c->cfg, c->cfg, cfg);
    wh_daemon_log_level(wh_config_get(cfg, "log.level", NULL),
                        o->flags.verbosity);
    c->flush_records = flush_records;
    c->flush_ms = flush_ms;
    wh_notice(TAG,
              "reload: log.level %s, flush.records %lld, flush.ms %lld "
              "applied%s",
              wh_config_get(cfg, "log.level", "(default)"), flush_records,
              flush_ms, fixed > 0 ? "; other changes need a restart" : "");
out:
    wh_config_problems_free(&pr);
    wh_config_free(cfg);
    (void)wh_notify_ready();
}
