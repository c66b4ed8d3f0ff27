/*
 * config.c - "key = value" files and command-line overrides.
 */
#include "wh/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wh/wh.h"

#define KAFKA_PREFIX "kafka."
#define CLI_ORIGIN "command line"

static void set_err(char *errstr, size_t errstr_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *errstr, size_t errstr_size, const char *fmt, ...)
{
    va_list ap;

    if (errstr == NULL || errstr_size == 0) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(errstr, errstr_size, fmt, ap);
    va_end(ap);
}

struct wh_config *wh_config_new(const struct wh_config_key *keys)
{
    struct wh_config *cfg = wh_xcalloc(1, sizeof(*cfg));

    cfg->keys = keys;
    cfg->head = NULL;
    return cfg;
}

static void entry_free(struct wh_config_entry *e)
{
    free(e->key);
    free(e->value);
    free(e->origin);
    free(e);
}

void wh_config_free(struct wh_config *cfg)
{
    struct wh_config_entry *e;
    struct wh_config_entry *next;

    if (cfg == NULL) {
        return;
    }
    for (e = cfg->head; e != NULL; e = next) {
        next = e->next;
        entry_free(e);
    }
    free(cfg);
}

/* The table entry for key; NULL for kafka.* keys and unknown keys.
 * *known tells them apart. */
static const struct wh_config_key *find_key(const struct wh_config *cfg,
                                            const char *key, int *known)
{
    const struct wh_config_key *k;

    *known = 0;
    if (strncmp(key, KAFKA_PREFIX, strlen(KAFKA_PREFIX)) == 0 &&
        key[strlen(KAFKA_PREFIX)] != '\0') {
        *known = 1;
        return NULL;
    }
    for (k = cfg->keys; k != NULL && k->name != NULL; k++) {
        if (strcmp(k->name, key) == 0) {
            *known = 1;
            return k;
        }
    }
    return NULL;
}

static void append_entry(struct wh_config *cfg, const char *key,
                         const char *value, const char *origin)
{
    struct wh_config_entry *e = wh_xcalloc(1, sizeof(*e));
    struct wh_config_entry **pp = &cfg->head;

    e->key = wh_xstrdup(key);
    e->value = wh_xstrdup(value);
    e->origin = wh_xstrdup(origin);
    e->next = NULL;
    while (*pp != NULL) {
        pp = &(*pp)->next;
    }
    *pp = e;
}

/* Removes the entries of key; with cli_too == 0 keeps those set from the
 * command line. */
static void remove_entries(struct wh_config *cfg, const char *key, int cli_too)
{
    struct wh_config_entry **pp = &cfg->head;
    struct wh_config_entry *e;

    while (*pp != NULL) {
        e = *pp;
        if (strcmp(e->key, key) == 0 &&
            (cli_too || strcmp(e->origin, CLI_ORIGIN) != 0)) {
            *pp = e->next;
            entry_free(e);
        } else {
            pp = &e->next;
        }
    }
}

static const struct wh_config_entry *find_last(const struct wh_config *cfg,
                                               const char *key)
{
    const struct wh_config_entry *e;
    const struct wh_config_entry *last = NULL;

    for (e = cfg->head; e != NULL; e = e->next) {
        if (strcmp(e->key, key) == 0) {
            last = e;
        }
    }
    return last;
}

static int has_cli_entry(const struct wh_config *cfg, const char *key)
{
    const struct wh_config_entry *e;

    for (e = cfg->head; e != NULL; e = e->next) {
        if (strcmp(e->key, key) == 0 && strcmp(e->origin, CLI_ORIGIN) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Trims blanks at both ends, in place. */
static char *trim(char *s)
{
    char *end;

    while (*s == ' ' || *s == '\t') {
        s++;
    }
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' ||
                       end[-1] == '\n')) {
        end--;
    }
    *end = '\0';
    return s;
}

/* The single-valued keys one wh_config_load() call has set, to catch a
 * key repeated in the same file (a reload of the file is no repeat). */
struct seen {
    struct wh_config_entry *head; /* key, and the line in origin */
};

static const struct wh_config_entry *seen_find(const struct seen *seen,
                                               const char *key)
{
    const struct wh_config_entry *e;

    for (e = seen->head; e != NULL; e = e->next) {
        if (strcmp(e->key, key) == 0) {
            return e;
        }
    }
    return NULL;
}

static void seen_add(struct seen *seen, const char *key, unsigned long lineno)
{
    struct wh_config_entry *e = wh_xcalloc(1, sizeof(*e));

    e->key = wh_xstrdup(key);
    e->value = NULL;
    e->origin = wh_xasprintf("%lu", lineno);
    e->next = seen->head;
    seen->head = e;
}

static void seen_free(struct seen *seen)
{
    struct wh_config_entry *e;
    struct wh_config_entry *next;

    for (e = seen->head; e != NULL; e = next) {
        next = e->next;
        entry_free(e);
    }
    seen->head = NULL;
}

/* One "key = value" line of path. */
static int load_line(struct wh_config *cfg, struct seen *seen, const char *path,
                     unsigned long lineno, char *line, char *errstr,
                     size_t errstr_size)
{
    const struct wh_config_key *k;
    const struct wh_config_entry *prev;
    char *origin;
    char *eq;
    char *key;
    char *value;
    int known;

    line = trim(line);
    if (line[0] == '\0' || line[0] == '#') {
        return WH_OK;
    }
    eq = strchr(line, '=');
    if (eq == NULL) {
        set_err(errstr, errstr_size, "%s:%lu: %s: missing '='", path, lineno,
                line);
        return WH_EINVAL;
    }
    *eq = '\0';
    key = trim(line);
    value = trim(eq + 1);
    if (key[0] == '\0') {
        set_err(errstr, errstr_size, "%s:%lu: (empty): missing key before '='",
                path, lineno);
        return WH_EINVAL;
    }
    k = find_key(cfg, key, &known);
    if (!known) {
        set_err(errstr, errstr_size, "%s:%lu: %s: unknown key", path, lineno,
                key);
        return WH_EINVAL;
    }
    if (k == NULL || !k->repeatable) {
        /* A single-valued key set twice in the same file is a mistake;
         * a later file or the command line may override it. */
        prev = seen_find(seen, key);
        if (prev != NULL) {
            set_err(errstr, errstr_size, "%s:%lu: %s: already set at line %s",
                    path, lineno, key, prev->origin);
            return WH_EINVAL;
        }
        seen_add(seen, key, lineno);
        remove_entries(cfg, key, 1);
    }
    origin = wh_xasprintf("%s:%lu", path, lineno);
    append_entry(cfg, key, value, origin);
    free(origin);
    return WH_OK;
}

/* Lines before a bad one stay applied: on error the caller exits (start-up)
 * or drops the whole config (reload into a fresh wh_config). */
int wh_config_load(struct wh_config *cfg, const char *path, char *errstr,
                   size_t errstr_size)
{
    FILE *fp;
    char *line = NULL;
    size_t cap = 0;
    unsigned long lineno = 0;
    struct seen seen = {NULL};
    int rc = WH_OK;

    fp = fopen(path, "r");
    if (fp == NULL) {
        set_err(errstr, errstr_size, "%s: %s", path, strerror(errno));
        return WH_EIO;
    }
    errno = 0;
    for (;;) {
        ssize_t n = getline(&line, &cap, fp);

        if (n < 0) {
            break;
        }
        lineno++;
        if (strlen(line) != (size_t)n) {
            set_err(errstr, errstr_size, "%s:%lu: NUL byte in line", path,
                    lineno);
            rc = WH_EINVAL;
            goto out;
        }
        rc = load_line(cfg, &seen, path, lineno, line, errstr, errstr_size);
        if (rc != WH_OK) {
            goto out;
        }
        errno = 0;
    }
    if (ferror(fp)) {
        set_err(errstr, errstr_size, "%s: %s", path,
                strerror(errno != 0 ? errno : EIO));
        rc = WH_EIO;
    }
out:
    seen_free(&seen);
    free(line);
    fclose(fp);
    return rc;
}

int wh_config_set(struct wh_config *cfg, const char *key, const char *value,
                  char *errstr, size_t errstr_size)
{
    const struct wh_config_key *k;
    int known;

    k = find_key(cfg, key, &known);
    if (!known) {
        set_err(errstr, errstr_size, CLI_ORIGIN ": %s: unknown key", key);
        return WH_EINVAL;
    }
    if (k == NULL || !k->repeatable) {
        remove_entries(cfg, key, 1);
    } else if (!has_cli_entry(cfg, key)) {
        /* The first command-line value replaces the files' values. */
        remove_entries(cfg, key, 0);
    }
    append_entry(cfg, key, value, CLI_ORIGIN);
    return WH_OK;
}

int wh_config_set_kafka(struct wh_config *cfg, const char *propval,
                        char *errstr, size_t errstr_size)
{
    const char *eq = strchr(propval, '=');
    char *key;
    int rc;

    if (eq == NULL || eq == propval) {
        set_err(errstr, errstr_size,
                CLI_ORIGIN ": -X %s: expected property=value", propval);
        return WH_EINVAL;
    }
    key = wh_xasprintf(KAFKA_PREFIX "%.*s", (int)(eq - propval), propval);
    rc = wh_config_set(cfg, key, eq + 1, errstr, errstr_size);
    free(key);
    return rc;
}

const char *wh_config_get(const struct wh_config *cfg, const char *key,
                          const char *def)
{
    const struct wh_config_entry *e = find_last(cfg, key);

    return e != NULL ? e->value : def;
}

int wh_config_get_int(const struct wh_config *cfg, const char *key,
                      long long def, long long *out, char *errstr,
                      size_t errstr_size)
{
    const struct wh_config_entry *e = find_last(cfg, key);
    char *end = NULL;
    long long v;

    if (e == NULL) {
        *out = def;
        return WH_OK;
    }
    errno = 0;
    v = strtoll(e->value, &end, 10);
    if (e->value[0] == '\0' || end == NULL || *end != '\0' || errno != 0) {
        set_err(errstr, errstr_size, "%s: %s: not an integer: \"%s\"",
                e->origin, key, e->value);
        return WH_EINVAL;
    }
    *out = v;
    return WH_OK;
}

const struct wh_config_entry *wh_config_first(const struct wh_config *cfg,
                                              const char *key)
{
    const struct wh_config_entry *e;

    for (e = cfg->head; e != NULL; e = e->next) {
        if (strcmp(e->key, key) == 0) {
            return e;
        }
    }
    return NULL;
}

const struct wh_config_entry *wh_config_next(const struct wh_config_entry *e)
{
    const struct wh_config_entry *n;

    for (n = e->next; n != NULL; n = n->next) {
        if (strcmp(n->key, e->key) == 0) {
            return n;
        }
    }
    return NULL;
}

void wh_config_print_keys(const struct wh_config_key *keys, void *fp)
{
    FILE *out = fp;
    const struct wh_config_key *k;

    for (k = keys; k != NULL && k->name != NULL; k++) {
        fprintf(out, "  %-24s %s%s\n", k->name, k->help ? k->help : "",
                k->repeatable ? " (repeatable)" : "");
    }
    fprintf(out, "  %-24s %s\n", "kafka.<property>",
            "any librdkafka property, passed unchanged");
}
