/*
 * config.c - "key = value" files and command-line overrides.
 */
#include "wh/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wh/log.h"
#include "wh/secret.h"
#include "wh/wh.h"

#define KAFKA_PREFIX "kafka."
#define CLI_ORIGIN "command line"

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
                         const char *value, const char *origin, int secret)
{
    struct wh_config_entry *e = wh_xcalloc(1, sizeof(*e));
    struct wh_config_entry **pp = &cfg->head;

    e->key = wh_xstrdup(key);
    e->value = wh_xstrdup(value);
    e->origin = wh_xstrdup(origin);
    e->secret = secret;
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
    char *expanded = NULL;
    char reason[512];
    int known;
    int secret = 0;

    line = trim(line);
    if (line[0] == '\0' || line[0] == '#') {
        return WH_OK;
    }
    eq = strchr(line, '=');
    if (eq == NULL) {
        wh_errf(errstr, errstr_size, "%s:%lu: %s: missing '='", path, lineno,
                line);
        return WH_EINVAL;
    }
    *eq = '\0';
    key = trim(line);
    value = trim(eq + 1);
    if (key[0] == '\0') {
        wh_errf(errstr, errstr_size, "%s:%lu: (empty): missing key before '='",
                path, lineno);
        return WH_EINVAL;
    }
    k = find_key(cfg, key, &known);
    if (!known) {
        wh_errf(errstr, errstr_size, "%s:%lu: %s: unknown key", path, lineno,
                key);
        return WH_EINVAL;
    }
    if (k == NULL || !k->repeatable) {
        /* A single-valued key set twice in the same file is a mistake;
         * a later file or the command line may override it. */
        prev = seen_find(seen, key);
        if (prev != NULL) {
            wh_errf(errstr, errstr_size, "%s:%lu: %s: already set at line %s",
                    path, lineno, key, prev->origin);
            return WH_EINVAL;
        }
        seen_add(seen, key, lineno);
    }
    if (wh_secret_expand(value, &expanded, &secret, reason, sizeof(reason)) !=
        WH_OK) {
        wh_errf(errstr, errstr_size, "%s:%lu: %s: %s", path, lineno, key,
                reason);
        return WH_EINVAL;
    }
    if (k == NULL || !k->repeatable) {
        remove_entries(cfg, key, 1);
    }
    origin = wh_xasprintf("%s:%lu", path, lineno);
    append_entry(cfg, key, expanded, origin, secret);
    free(origin);
    free(expanded);
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
        wh_errf(errstr, errstr_size, "%s: %s", path, strerror(errno));
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
            wh_errf(errstr, errstr_size, "%s:%lu: NUL byte in line", path,
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
        wh_errf(errstr, errstr_size, "%s: %s", path,
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
    char *expanded = NULL;
    char reason[512];
    int known;
    int secret = 0;

    k = find_key(cfg, key, &known);
    if (!known) {
        wh_errf(errstr, errstr_size, CLI_ORIGIN ": %s: unknown key", key);
        return WH_EINVAL;
    }
    if (wh_secret_expand(value, &expanded, &secret, reason, sizeof(reason)) !=
        WH_OK) {
        wh_errf(errstr, errstr_size, CLI_ORIGIN ": %s: %s", key, reason);
        return WH_EINVAL;
    }
    if (k == NULL || !k->repeatable) {
        remove_entries(cfg, key, 1);
    } else if (!has_cli_entry(cfg, key)) {
        /* The first command-line value replaces the files' values. */
        remove_entries(cfg, key, 0);
    }
    append_entry(cfg, key, expanded, CLI_ORIGIN, secret);
    free(expanded);
    return WH_OK;
}

int wh_config_set_kafka(struct wh_config *cfg, const char *propval,
                        char *errstr, size_t errstr_size)
{
    const char *eq = strchr(propval, '=');
    char *key;
    int rc;

    if (eq == NULL || eq == propval) {
        wh_errf(errstr, errstr_size,
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
        wh_errf(errstr, errstr_size, "%s: %s: not an integer: \"%s\"",
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

/* ---- tables ------------------------------------------------------------ */

struct wh_config *wh_config_copy(const struct wh_config *cfg,
                                 int (*keep)(const char *key))
{
    struct wh_config *copy = wh_config_new(cfg->keys);
    const struct wh_config_entry *e;

    for (e = cfg->head; e != NULL; e = e->next) {
        if (keep == NULL || keep(e->key)) {
            append_entry(copy, e->key, e->value, e->origin, e->secret);
        }
    }
    return copy;
}

const char *wh_config_origin(const struct wh_config *cfg, const char *key)
{
    const struct wh_config_entry *e = cfg != NULL ? find_last(cfg, key) : NULL;

    return e != NULL ? e->origin : "default";
}

const struct wh_config_key *
wh_config_key_find(const struct wh_config_key *table, const char *name)
{
    const struct wh_config_key *k;

    for (k = table; k != NULL && k->name != NULL; k++) {
        if (strcmp(k->name, name) == 0) {
            return k;
        }
    }
    return NULL;
}

struct wh_config_key *
wh_config_keys_join(const struct wh_config_key *const *tables, size_t n)
{
    struct wh_config_key *all;
    const struct wh_config_key *k;
    size_t total = 0;
    size_t used = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        for (k = tables[i]; k != NULL && k->name != NULL; k++) {
            total++;
        }
    }
    all = wh_xcalloc(total + 1, sizeof(*all));
    for (i = 0; i < n; i++) {
        for (k = tables[i]; k != NULL && k->name != NULL; k++) {
            size_t j;

            for (j = 0; j < used && strcmp(all[j].name, k->name) != 0; j++) {
            }
            if (j == used) {
                all[used++] = *k;
            }
        }
    }
    return all;
}

const struct wh_config_key *wh_config_keys_once(struct wh_config_key **cache,
                                                const struct wh_config_key *a,
                                                const struct wh_config_key *b)
{
    const struct wh_config_key *tables[2];

    if (*cache == NULL) {
        tables[0] = a;
        tables[1] = b;
        *cache = wh_config_keys_join(tables, 2);
    }
    return *cache;
}

/* ---- typed values ------------------------------------------------------ */

static const char *type_name(enum wh_config_type t)
{
    switch (t) {
    case WH_CONFIG_INT:
        return "integer";
    case WH_CONFIG_DURATION:
        return "duration";
    case WH_CONFIG_BOOL:
        return "boolean";
    case WH_CONFIG_ENUM:
        return "choice";
    case WH_CONFIG_PATH:
        return "path";
    case WH_CONFIG_CIDR:
        return "CIDR";
    case WH_CONFIG_URL:
        return "URL";
    case WH_CONFIG_CONNINFO:
        return "conninfo";
    case WH_CONFIG_STRING:
        break;
    }
    return "string";
}

/* Milliseconds in one unit named by s ("ms", "s", "m", "h"); 0: unknown. */
static long long unit_ms(const char *s)
{
    static const struct {
        const char *name;
        long long ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
    size_t i;

    for (i = 0; s != NULL && i < WH_ARRAY_SIZE(units); i++) {
        if (strcmp(s, units[i].name) == 0) {
            return units[i].ms;
        }
    }
    return 0;
}

/* Parses an INT or DURATION value into *out (in the key's unit). */
static int parse_number(const struct wh_config_key *k, const char *value,
                        long long *out, char *errstr, size_t errstr_size)
{
    char *end = NULL;
    long long v;
    long long per;
    long long in;

    errno = 0;
    v = strtoll(value, &end, 10);
    if (value[0] == '\0' || isspace((unsigned char)value[0]) || end == value ||
        errno != 0) {
        wh_errf(errstr, errstr_size, "\"%.64s\": not an integer%s", value,
                k->type == WH_CONFIG_DURATION ? " (a duration: N, or N with "
                                                "ms, s, m or h)"
                                              : "");
        return WH_EINVAL;
    }
    if (*end != '\0') {
        per = k->type == WH_CONFIG_DURATION ? unit_ms(end) : 0;
        in = unit_ms(k->unit);
        if (per == 0 || in == 0) {
            wh_errf(errstr, errstr_size, "\"%.64s\": not an integer%s", value,
                    k->type == WH_CONFIG_DURATION
                        ? " (a duration: N, or N with ms, s, m or h)"
                        : "");
            return WH_EINVAL;
        }
        if ((v > 0 && v > LLONG_MAX / per) || (v < 0 && v < LLONG_MIN / per)) {
            wh_errf(errstr, errstr_size, "\"%.64s\": too large", value);
            return WH_EINVAL;
        }
        v *= per;
        if (v % in != 0) {
            wh_errf(errstr, errstr_size, "\"%.64s\": not a whole number of %s",
                    value, k->unit);
            return WH_EINVAL;
        }
        v /= in;
    }
    *out = v;
    return WH_OK;
}

static void range_reason(const struct wh_config_key *k, long long v,
                         char *errstr, size_t errstr_size)
{
    const char *u = k->unit != NULL ? k->unit : "";
    const char *sp = k->unit != NULL ? " " : "";

    if (k->max == WH_NO_MAX) {
        wh_errf(errstr, errstr_size, "%lld: must be at least %lld%s%s", v,
                k->min, sp, u);
    } else if (k->min == WH_NO_MIN) {
        wh_errf(errstr, errstr_size, "%lld: must be at most %lld%s%s", v,
                k->max, sp, u);
    } else {
        wh_errf(errstr, errstr_size, "%lld: must be %lld to %lld%s%s", v,
                k->min, k->max, sp, u);
    }
}

/* The index of value among the '|'-separated choices, or -1. */
static int choice_index(const char *choices, const char *value)
{
    const char *p = choices;
    size_t len = strlen(value);
    int i = 0;

    while (p != NULL && *p != '\0') {
        size_t n = strcspn(p, "|");

        if (n == len && strncmp(p, value, n) == 0) {
            return i;
        }
        i++;
        p += n;
        p += *p == '|';
    }
    return -1;
}

static int parse_bool(const char *value, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    size_t i;

    for (i = 0; i < WH_ARRAY_SIZE(yes); i++) {
        if (strcasecmp(value, yes[i]) == 0 || strcasecmp(value, no[i]) == 0) {
            *out = strcasecmp(value, yes[i]) == 0;
            return WH_OK;
        }
    }
    return WH_EINVAL;
}

/* http(s)://[userinfo@]host[:port][/...]: a scheme we fetch and a host. */
static int check_url(const char *value, char *errstr, size_t errstr_size)
{
    const char *p;
    const char *host;
    size_t n;

    if (strncasecmp(value, "http://", 7) == 0) {
        p = value + 7;
    } else if (strncasecmp(value, "https://", 8) == 0) {
        p = value + 8;
    } else {
        wh_errf(errstr, errstr_size, "not an http:// or https:// URL");
        return WH_EINVAL;
    }
    n = strcspn(p, "/?#");
    host = memchr(p, '@', n);
    host = host != NULL ? host + 1 : p;
    n -= (size_t)(host - p);
    if (n == 0 || host[0] == ':' || strpbrk(value, " \t") != NULL) {
        wh_errf(errstr, errstr_size, "URL without a host, or with blanks");
        return WH_EINVAL;
    }
    return WH_OK;
}

int wh_config_check_value(const struct wh_config_key *k, const char *value,
                          char *errstr, size_t errstr_size)
{
    long long v;
    int b;

    switch (k->type) {
    case WH_CONFIG_INT:
    case WH_CONFIG_DURATION:
        if (parse_number(k, value, &v, errstr, errstr_size) != WH_OK) {
            return WH_EINVAL;
        }
        if (v < k->min || v > k->max) {
            range_reason(k, v, errstr, errstr_size);
            return WH_EINVAL;
        }
        break;
    case WH_CONFIG_BOOL:
        if (parse_bool(value, &b) != WH_OK) {
            wh_errf(errstr, errstr_size,
                    "\"%.64s\": expected true or false (yes/no, on/off, 1/0)",
                    value);
            return WH_EINVAL;
        }
        break;
    case WH_CONFIG_ENUM:
        if (choice_index(k->choices, value) < 0) {
            char *say = wh_xstrdup(k->choices != NULL ? k->choices : "");
            char *bar;

            while ((bar = strchr(say, '|')) != NULL) {
                *bar = ',';
            }
            wh_errf(errstr, errstr_size, "\"%.64s\": expected one of %s", value,
                    say);
            free(say);
            return WH_EINVAL;
        }
        break;
    case WH_CONFIG_PATH:
    case WH_CONFIG_CIDR:
    case WH_CONFIG_CONNINFO:
        if (value[0] == '\0') {
            wh_errf(errstr, errstr_size, "empty %s", type_name(k->type));
            return WH_EINVAL;
        }
        break;
    case WH_CONFIG_URL:
        if (check_url(value, errstr, errstr_size) != WH_OK) {
            return WH_EINVAL;
        }
        break;
    case WH_CONFIG_STRING:
        break;
    }
    if (k->validate != NULL && k->validate(value, errstr, errstr_size) != 0) {
        return WH_EINVAL;
    }
    return WH_OK;
}

/* The declaration of key (table, else cfg's), or an assertion failure:
 * reading an undeclared key is a bug. */
static const struct wh_config_key *declared(const struct wh_config *cfg,
                                            const struct wh_config_key *table,
                                            const char *key)
{
    const struct wh_config_key *k = wh_config_key_find(table != NULL ? table
                                                       : cfg != NULL ? cfg->keys
                                                                     : NULL,
                                                       key);

    WH_ASSERT(k != NULL);
    return k;
}

/* The value in force and its origin, else the default; NULL when none. */
static const char *value_of(const struct wh_config *cfg,
                            const struct wh_config_key *k, const char **origin)
{
    const struct wh_config_entry *e =
        cfg != NULL ? find_last(cfg, k->name) : NULL;

    *origin = e != NULL ? e->origin : "default";
    return e != NULL ? e->value : k->def;
}

/* The common part of the typed reads: the value, checked. */
static int typed(const struct wh_config *cfg, const struct wh_config_key *table,
                 const char *key, const struct wh_config_key **kp,
                 const char **vp, char *errstr, size_t errstr_size)
{
    const struct wh_config_key *k = declared(cfg, table, key);
    const char *origin;
    const char *v = value_of(cfg, k, &origin);
    char reason[512];

    *kp = k;
    *vp = v;
    if (v == NULL) {
        return WH_ENOENT;
    }
    if (wh_config_check_value(k, v, reason, sizeof(reason)) != WH_OK) {
        wh_errf(errstr, errstr_size, "%s: %s: %s", origin, key, reason);
        return WH_EINVAL;
    }
    return WH_OK;
}

int wh_config_value_int(const struct wh_config_key *k, const char *value,
                        long long *out, char *errstr, size_t errstr_size)
{
    WH_ASSERT(k->type == WH_CONFIG_INT || k->type == WH_CONFIG_DURATION);
    if (wh_config_check_value(k, value, errstr, errstr_size) != WH_OK) {
        return WH_EINVAL;
    }
    return parse_number(k, value, out, errstr, errstr_size);
}

int wh_config_value_bool(const struct wh_config_key *k, const char *value,
                         int *out, char *errstr, size_t errstr_size)
{
    WH_ASSERT(k->type == WH_CONFIG_BOOL);
    if (wh_config_check_value(k, value, errstr, errstr_size) != WH_OK) {
        return WH_EINVAL;
    }
    return parse_bool(value, out);
}

int wh_config_value_enum(const struct wh_config_key *k, const char *value,
                         int *out, char *errstr, size_t errstr_size)
{
    WH_ASSERT(k->type == WH_CONFIG_ENUM);
    if (wh_config_check_value(k, value, errstr, errstr_size) != WH_OK) {
        return WH_EINVAL;
    }
    *out = choice_index(k->choices, value);
    return WH_OK;
}

int wh_config_int(const struct wh_config *cfg,
                  const struct wh_config_key *table, const char *key,
                  long long *out, char *errstr, size_t errstr_size)
{
    const struct wh_config_key *k;
    const char *v;
    int rc = typed(cfg, table, key, &k, &v, errstr, errstr_size);

    WH_ASSERT(k->type == WH_CONFIG_INT || k->type == WH_CONFIG_DURATION);
    if (rc == WH_OK) {
        rc = parse_number(k, v, out, errstr, errstr_size);
    }
    return rc;
}

int wh_config_bool(const struct wh_config *cfg,
                   const struct wh_config_key *table, const char *key, int *out,
                   char *errstr, size_t errstr_size)
{
    const struct wh_config_key *k;
    const char *v;
    int rc = typed(cfg, table, key, &k, &v, errstr, errstr_size);

    WH_ASSERT(k->type == WH_CONFIG_BOOL);
    if (rc == WH_OK) {
        rc = parse_bool(v, out);
    }
    return rc;
}

int wh_config_enum(const struct wh_config *cfg,
                   const struct wh_config_key *table, const char *key, int *out,
                   char *errstr, size_t errstr_size)
{
    const struct wh_config_key *k;
    const char *v;
    int rc = typed(cfg, table, key, &k, &v, errstr, errstr_size);

    WH_ASSERT(k->type == WH_CONFIG_ENUM);
    if (rc == WH_OK) {
        *out = choice_index(k->choices, v);
    }
    return rc;
}

int wh_config_string(const struct wh_config *cfg,
                     const struct wh_config_key *table, const char *key,
                     const char **out, char *errstr, size_t errstr_size)
{
    const struct wh_config_key *k;
    const char *v;
    int rc = typed(cfg, table, key, &k, &v, errstr, errstr_size);

    if (rc == WH_OK) {
        *out = v;
    }
    return rc;
}

const char *wh_config_str(const struct wh_config *cfg,
                          const struct wh_config_key *table, const char *key)
{
    const char *origin;

    return value_of(cfg, declared(cfg, table, key), &origin);
}

/* ---- checks ------------------------------------------------------------ */

void wh_config_problem(struct wh_config_problems *pr, const char *fmt, ...)
{
    va_list ap;
    char line[1024];

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (pr->n == pr->cap) {
        pr->cap = pr->cap != 0 ? 2 * pr->cap : 8;
        pr->lines = wh_xrealloc(pr->lines, pr->cap * sizeof(*pr->lines));
    }
    pr->lines[pr->n++] = wh_xstrdup(line);
}

void wh_config_problems_free(struct wh_config_problems *pr)
{
    size_t i;

    for (i = 0; i < pr->n; i++) {
        free(pr->lines[i]);
    }
    free(pr->lines);
    memset(pr, 0, sizeof(*pr));
}

int wh_config_require(const struct wh_config *cfg, const char *key,
                      const char *how, struct wh_config_problems *pr)
{
    const struct wh_config_entry *e = find_last(cfg, key);

    if (e != NULL && strspn(e->value, ", \t") != strlen(e->value)) {
        return 0;
    }
    wh_config_problem(pr, "%s: not set (use %s)", key, how);
    return 1;
}

void wh_config_problems_log(const struct wh_config_problems *pr,
                            const char *tag, const char *prefix,
                            const char *suffix)
{
    size_t i;

    for (i = 0; i < pr->n; i++) {
        wh_err(tag, "%s%s%s", prefix, pr->lines[i], suffix);
    }
}

size_t wh_config_check(const struct wh_config *cfg,
                       struct wh_config_problems *pr)
{
    const struct wh_config_entry *e;
    const struct wh_config_key *k;
    char reason[512];
    size_t before = pr->n;

    for (e = cfg->head; e != NULL; e = e->next) {
        k = wh_config_key_find(cfg->keys, e->key);
        if (k == NULL) {
            continue; /* kafka.*: librdkafka checks them */
        }
        /* Only the value in force of a single-valued key matters. */
        if (!k->repeatable && find_last(cfg, e->key) != e) {
            continue;
        }
        if (wh_config_check_value(k, e->value, reason, sizeof(reason)) !=
            WH_OK) {
            wh_config_problem(pr, "%s: %s: %s", e->origin, e->key, reason);
        }
    }
    for (k = cfg->keys; k != NULL && k->name != NULL; k++) {
        if (k->def != NULL && find_last(cfg, k->name) == NULL &&
            wh_config_check_value(k, k->def, reason, sizeof(reason)) != WH_OK) {
            wh_config_problem(pr, "default: %s: %s", k->name, reason);
        }
    }
    return pr->n - before;
}

int wh_config_check_dir(const char *dir, int writable, char *errstr,
                        size_t errstr_size)
{
    struct stat st;

    if (stat(dir, &st) != 0) {
        wh_errf(errstr, errstr_size, "directory %s: %s", dir, strerror(errno));
        return WH_EINVAL;
    }
    if (!S_ISDIR(st.st_mode)) {
        wh_errf(errstr, errstr_size, "%s: not a directory", dir);
        return WH_EINVAL;
    }
    if (writable && access(dir, W_OK | X_OK) != 0) {
        wh_errf(errstr, errstr_size,
                "directory %s: not writable by this user (uid %u): %s", dir,
                (unsigned)geteuid(), strerror(errno));
        return WH_EINVAL;
    }
    return WH_OK;
}

int wh_config_check_file_dir(const char *path, char *errstr, size_t errstr_size)
{
    const char *slash = strrchr(path, '/');
    struct stat st;
    char *dir;
    int rc;

    dir = slash == NULL   ? wh_xstrdup(".")
          : slash == path ? wh_xstrdup("/")
                          : wh_xstrndup(path, (size_t)(slash - path));
    rc = wh_config_check_dir(dir, 1, errstr, errstr_size);
    free(dir);
    if (rc != WH_OK) {
        return rc;
    }
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            wh_errf(errstr, errstr_size, "%s: a directory, not a file", path);
            return WH_EINVAL;
        }
        if (access(path, W_OK) != 0) {
            wh_errf(errstr, errstr_size,
                    "%s: not writable by this user (uid %u): %s", path,
                    (unsigned)geteuid(), strerror(errno));
            return WH_EINVAL;
        }
    }
    return WH_OK;
}

/* ---- --help ------------------------------------------------------------ */

void wh_config_print_keys(const struct wh_config_key *keys, void *fp)
{
    FILE *out = fp;
    const struct wh_config_key *k;

    for (k = keys; k != NULL && k->name != NULL; k++) {
        fprintf(out, "  %-24s %s", k->name, k->help ? k->help : "");
        if (k->type == WH_CONFIG_ENUM && k->choices != NULL) {
            fprintf(out, " [%s]", k->choices);
        }
        if (k->type == WH_CONFIG_INT || k->type == WH_CONFIG_DURATION) {
            if (k->min != WH_NO_MIN && k->max != WH_NO_MAX) {
                fprintf(out, " [%lld..%lld", k->min, k->max);
            } else if (k->min != WH_NO_MIN) {
                fprintf(out, " [>= %lld", k->min);
            } else {
                fprintf(out, " [");
            }
            fprintf(out, "%s%s]", k->unit != NULL ? " " : "",
                    k->unit != NULL ? k->unit : "");
        }
        if (k->def != NULL) {
            fprintf(out, " (default %s)", k->def[0] != '\0' ? k->def : "\"\"");
        }
        fprintf(out, "%s\n", k->repeatable ? " (repeatable)" : "");
    }
    fprintf(out, "  %-24s %s\n", "kafka.<property>",
            "any librdkafka property, passed unchanged");
}
