/*
 * reload.c - the producer's sources at start and on SIGHUP: a new source
 * is due at once, a kept one keeps its schedule and work, a dropped one
 * finishes its work in flight before it is freed; fetch settings that
 * changed get a new fetcher while the old one drains.
 */
#include <stdlib.h>
#include <string.h>

#include "interval.h"
#include "producer.h"
#include "wh/buf.h"
#include "wh/hash.h"
#include "wh/log.h"
#include "wh/wh.h"

/* Sets up the schedule of a source new to this process: due at once. */
void source_activate(struct producer *p, struct source *src)
{
    long long cap = interval_cap(src->interval_ms, p->set.max_interval_ms);
    long long stored = wh_state_interval(p->state, src->url);

    /* A source that rarely changes keeps its longer interval across
     * restarts; its first round is still due at once. */
    src->cur_ms = interval_resume(stored, src->interval_ms, cap);
    src->due = wh_now_ms();
    wh_backoff_init(&src->bo, (long)p->set.retry_min_ms, (long)cap,
                    wh_hash64(src->url, strlen(src->url)));
}

/* Keeps a removed source until its work in flight is done. */
void source_retire(struct producer *p, struct source *src)
{
    src->removed = 1;
    if (!src->polling && src->active == 0 && src->queued == 0 &&
        src->records == 0) {
        wh_info(src->tag, "removed");
        source_free(src);
        return;
    }
    wh_info(src->tag, "removed: finishing its work in flight");
    src->next = p->retired;
    p->retired = src;
}

/* Drops freed sources from the retired list. */
void retired_sweep(struct producer *p)
{
    struct source **link = &p->retired;

    while (*link != NULL) {
        struct source *src = *link;

        if (!src->polling && src->active == 0 && src->queued == 0 &&
            src->records == 0) {
            wh_info(src->tag, "removed");
            *link = src->next;
            source_free(src);
        } else {
            link = &src->next;
        }
    }
}

/* Moves the schedule and work of the running sources into the sources of
 * a new configuration (matched by URL; name and options are taken from
 * the new one), activates the new ones and retires the dropped ones. */
static void sources_merge(struct producer *p, struct settings *set)
{
    struct source **link;
    struct source *old = p->set.sources;
    size_t added = 0;
    size_t kept = 0;
    size_t removed = 0;

    p->set.sources = NULL;
    p->set.nsources = 0;
    for (link = &set->sources; *link != NULL; link = &(*link)->next) {
        struct source *ns = *link;
        struct source **ol;
        struct source *os = NULL;

        for (ol = &old; *ol != NULL; ol = &(*ol)->next) {
            if (strcmp((*ol)->url, ns->url) == 0) {
                os = *ol;
                *ol = os->next;
                break;
            }
        }
        if (os == NULL) {
            source_activate(p, ns);
            added++;
            continue;
        }
        free(os->name);
        free(os->tag);
        os->name = ns->name;
        os->tag = ns->tag;
        ns->name = NULL;
        ns->tag = NULL;
        os->tls_insecure = ns->tls_insecure;
        os->body = ns->body;
        if (os->interval_ms != ns->interval_ms) {
            os->interval_ms = ns->interval_ms;
            os->cur_ms = ns->interval_ms;
        }
        os->next = ns->next;
        *link = os;
        source_free(ns);
        kept++;
    }
    while (old != NULL) {
        struct source *src = old;

        old = src->next;
        src->next = NULL;
        source_retire(p, src);
        removed++;
    }
    wh_notice(TAG, "reload: %zu sources kept, %zu added, %zu removed", kept,
              added, removed);
}

/* The settings of one group as text, to tell whether a reload changed
 * them: keys equal to one of names or starting with prefix. The caller
 * frees it. */
static char *settings_text(const struct wh_config *cfg, const char *prefix,
                           const char *const *names)
{
    const struct wh_config_entry *e;
    struct wh_buf b;

    wh_buf_init(&b, 0);
    for (e = cfg->head; e != NULL; e = e->next) {
        int match =
            prefix != NULL && strncmp(e->key, prefix, strlen(prefix)) == 0;
        size_t i;

        for (i = 0; names[i] != NULL && !match; i++) {
            match = strcmp(e->key, names[i]) == 0;
        }
        if (match) {
            (void)wh_buf_printf(&b, "%s=%s\n", e->key, e->value);
        }
    }
    return wh_buf_steal(&b);
}

/* Non-zero when the group of settings differs between a and b. */
static int settings_changed(const struct wh_config *a,
                            const struct wh_config *b, const char *prefix,
                            const char *const *names)
{
    char *ta = settings_text(a, prefix, names);
    char *tb = settings_text(b, prefix, names);
    int changed = strcmp(ta, tb) != 0;

    free(ta);
    free(tb);
    return changed;
}

/* SIGHUP: reads the configuration again. Sources, fetch, poll and queue
 * settings and the topic take effect at once; a bad configuration is
 * logged and the running one kept. Work in flight is not dropped: kept
 * sources keep their schedule and state, removed ones finish their round,
 * and a changed fetcher drains beside the new one. */
void reload(struct producer *p)
{
    static const char *const kafka_names[] = {"brokers", NULL};
    static const char *const fetch_names[] = {"user_agent", "contact_url",
                                              NULL};
    struct wh_fetcher *f = NULL;
    struct settings set;
    struct wh_config *cfg;
    struct wh_config_problems pr = {NULL, 0, 0};
    char errstr[512];

    memset(&set, 0, sizeof(set));
    cfg = load_config(p->cli, p->flags, &set, &pr);
    if (cfg == NULL) {
        wh_config_problems_log(
            &pr, TAG, "reload: ", "; keeping the running configuration");
        wh_config_problems_free(&pr);
        return;
    }
    if (settings_changed(p->cfg, cfg, "fetch.", fetch_names)) {
        if (p->old_fetcher != NULL) {
            wh_err(TAG, "reload: the fetcher of the previous reload is "
                        "still finishing its transfers; reload again later");
            settings_free(&set);
            wh_config_free(cfg);
            return;
        }
        f = fetcher_build(cfg, &set, on_fetch_result, p, errstr,
                          sizeof(errstr));
        if (f == NULL) {
            wh_err(TAG, "reload: %s; keeping the running configuration",
                   errstr);
            settings_free(&set);
            wh_config_free(cfg);
            return;
        }
    }
    if (settings_changed(p->cfg, cfg, "kafka.", kafka_names)) {
        wh_warn(TAG, "reload: brokers and kafka.* changes need a restart "
                     "(not applied)");
    }
    if (settings_changed(p->cfg, cfg, NULL,
                         (const char *const[]){"state_dir", NULL})) {
        wh_warn(TAG, "reload: a state_dir change needs a restart (not "
                     "applied)");
    }
    if (settings_changed(p->cfg, cfg, NULL,
                         (const char *const[]){"metrics", NULL})) {
        wh_warn(TAG, "reload: a metrics change needs a restart (not "
                     "applied)");
    }
    /* The state directory stays the one in use. */
    set.state_dir = p->state_dir;
    if (p->fleet == NULL) {
        sources_merge(p, &set);
    } else {
        /* The fleet's sources come from the sources topic, not the
         * file: they stay as they are. */
        set.sources = p->set.sources;
        set.nsources = p->set.nsources;
        p->set.sources = NULL;
        p->set.nsources = 0;
    }
    settings_free(&p->set);
    wh_config_free(p->cfg);
    p->set = set;
    p->cfg = cfg;
    if (f != NULL) {
        /* Transfers in flight finish on the old fetcher. */
        p->old_fetcher = p->fetcher;
        p->fetcher = f;
        wh_notice(TAG, "reload: new fetch settings in force");
    }
    wh_notice(TAG, "reloaded: %zu sources, topic %s", p->set.nsources,
              p->set.topic);
}
