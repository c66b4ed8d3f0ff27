/*
 * config.h - one commented "key = value" file per daemon, overridden by
 * command-line flags, read through typed key declarations.
 *
 * Format: one "key = value" per line; blank lines and lines whose first
 * non-blank character is '#' are ignored; the value runs to the end of the
 * line with surrounding blanks trimmed (no quoting, no inline comments).
 * Keys are checked against the daemon's table of known keys; any key
 * starting with "kafka." is passed to librdkafka unchanged (the part after
 * "kafka."). An unknown key, a missing '=' or a repeated non-repeatable key
 * is an error reported as "file:line: key: reason".
 *
 * Secrets: "${file:PATH}" and "${env:NAME}" in a value are replaced
 * (wh/secret.h), so a password can live outside the file; a file that
 * cannot be read or a variable that is not set is an error of the line
 * that names it.
 *
 * Keys are data [Fluent Bit config maps]: each part (daemon, stage, sink,
 * dedup store) declares a table of struct wh_config_key - name, type,
 * default (written once, there), range or choices, a one-line help and an
 * optional validator - and reads its values through that declaration
 * (wh_config_int() and friends), which applies the default and reports
 * any error as "origin: key: reason". A daemon's table is the join of the
 * tables of the parts it runs (wh_config_keys_join()).
 *
 * Single-valued keys: the last value set wins. Repeatable keys (e.g.
 * "source", "sink"): values accumulate in order, except that the first
 * value set from the command line replaces those read from files.
 *
 * Not thread-safe: load and read at start-up (or on SIGHUP) from one thread.
 */
#ifndef WH_CONFIG_H
#define WH_CONFIG_H

#include <limits.h>
#include <stddef.h>

enum wh_config_type {
    WH_CONFIG_STRING = 0, /* any text */
    WH_CONFIG_INT,        /* an integer in [min, max]; unit for --help */
    WH_CONFIG_DURATION,   /* an integer in unit ("ms" or "s"), or with a
                             suffix ms, s, m or h; range in unit */
    WH_CONFIG_BOOL,       /* true/false, yes/no, on/off, 1/0 */
    WH_CONFIG_ENUM,       /* one of choices ("keep|drop|topic") */
    WH_CONFIG_PATH,       /* a file or directory name, not empty */
    WH_CONFIG_CIDR,       /* address[/prefix]; checked by validate */
    WH_CONFIG_URL,        /* http:// or https:// URL with a host */
    WH_CONFIG_CONNINFO    /* libpq conninfo; checked by validate */
};

struct wh_config_key {
    const char *name;
    const char *help; /* one line, for --help and the example config */
    const char *def;  /* the default as a file would say it; NULL:
                         none (the help says what unset means) */
    long long min;    /* INT, DURATION: the range, in unit */
    long long max;
    const char *unit;    /* INT: for --help; DURATION: "ms" or "s" */
    const char *choices; /* ENUM: the words allowed, '|'-separated */
    /* Optional further check of a value (after the type's): returns 0, or
     * non-zero with the reason (no origin, no key) in errstr. Must have
     * no side effects: --check-config runs it. */
    int (*validate)(const char *value, char *errstr, size_t errstr_size);
    enum wh_config_type type;
    int repeatable; /* 1 if the key may appear several times */
};

/* Declarations, one line a key. D is the default as a string (or NULL). */
#define WH_KEY_STR(N, D, H)                                                    \
    {                                                                          \
        .name = (N), .help = (H), .type = WH_CONFIG_STRING, .def = (D)         \
    }
#define WH_KEY_PATH(N, D, H)                                                   \
    {                                                                          \
        .name = (N), .help = (H), .type = WH_CONFIG_PATH, .def = (D)           \
    }
#define WH_KEY_URL(N, D, H)                                                    \
    {                                                                          \
        .name = (N), .help = (H), .type = WH_CONFIG_URL, .def = (D)            \
    }
#define WH_KEY_BOOL(N, D, H)                                                   \
    {                                                                          \
        .name = (N), .help = (H), .type = WH_CONFIG_BOOL, .def = (D)           \
    }
#define WH_KEY_ENUM(N, D, C, H)                                                \
    {                                                                          \
        .name = (N), .help = (H), .type = WH_CONFIG_ENUM, .def = (D),          \
        .choices = (C)                                                         \
    }
#define WH_KEY_INT(N, D, MIN, MAX, U, H)                                       \
    {                                                                          \
        .name = (N), .help = (H), .type = WH_CONFIG_INT, .def = (D),           \
        .min = (MIN), .max = (MAX), .unit = (U)                                \
    }
#define WH_KEY_DURATION(N, D, MIN, MAX, U, H)                                  \
    {                                                                          \
        .name = (N), .help = (H), .type = WH_CONFIG_DURATION, .def = (D),      \
        .min = (MIN), .max = (MAX), .unit = (U)                                \
    }
#define WH_KEY_CHECKED(N, T, D, V, H)                                          \
    {                                                                          \
        .name = (N), .help = (H), .type = (T), .def = (D), .validate = (V)     \
    }
#define WH_KEY_LIST(N, T, V, H)                                                \
    {                                                                          \
        .name = (N), .repeatable = 1, .help = (H), .type = (T),                \
        .validate = (V)                                                        \
    }
#define WH_KEY_END                                                             \
    {                                                                          \
        .name = NULL                                                           \
    }
/* No upper (lower) bound. */
#define WH_NO_MAX LLONG_MAX
#define WH_NO_MIN LLONG_MIN

struct wh_config_entry {
    char *key;
    char *value;  /* with ${...} replaced */
    char *origin; /* "file:line", or "command line" */
    int secret;   /* the value came (partly) from ${...}: say
                     "(secret)" rather than print it */
    struct wh_config_entry *next;
};

struct wh_config {
    const struct wh_config_key *keys; /* borrowed, terminated by {NULL} */
    struct wh_config_entry *head;     /* in the order set */
};

/* Problems found by a check, one line each, for --check-config. */
struct wh_config_problems {
    char **lines;
    size_t n;
    size_t cap;
};

/* Creates an empty configuration that accepts the keys of the table
 * (borrowed; must outlive the config) plus any "kafka.*" key. */
struct wh_config *wh_config_new(const struct wh_config_key *keys);
void wh_config_free(struct wh_config *cfg);

/* A copy of cfg (same table) with the entries for which keep(key) is
 * non-zero (every entry when keep is NULL), origins kept. */
struct wh_config *wh_config_copy(const struct wh_config *cfg,
                                 int (*keep)(const char *key));

/* Reads path. Returns WH_OK, or WH_EIO / WH_EINVAL with errstr filled as
 * "path:line: key: reason" (or "path: strerror" when unreadable). */
int wh_config_load(struct wh_config *cfg, const char *path, char *errstr,
                   size_t errstr_size);

/* Sets a value from the command line (origin "command line"), with the
 * override rules above and ${...} replaced. Returns WH_OK or WH_EINVAL
 * (unknown key, bad ${...}) with errstr filled. */
int wh_config_set(struct wh_config *cfg, const char *key, const char *value,
                  char *errstr, size_t errstr_size);

/* Parses "prop=value" as given to -X and sets "kafka.prop". */
int wh_config_set_kafka(struct wh_config *cfg, const char *propval,
                        char *errstr, size_t errstr_size);

/* The raw value of a single-valued key, or def when unset. Borrowed. */
const char *wh_config_get(const struct wh_config *cfg, const char *key,
                          const char *def);

/* The value as a plain integer, or def when unset. Returns WH_OK, or
 * WH_EINVAL with errstr "origin: key: not an integer". Prefer
 * wh_config_int(), which reads the default and range from the table. */
int wh_config_get_int(const struct wh_config *cfg, const char *key,
                      long long def, long long *out, char *errstr,
                      size_t errstr_size);

/* Where the value in force of key was set: "file:line", "command line",
 * or "default" when unset. Borrowed. */
const char *wh_config_origin(const struct wh_config *cfg, const char *key);

/* The declaration of name in table (a {NULL}-terminated array), or NULL. */
const struct wh_config_key *
wh_config_key_find(const struct wh_config_key *table, const char *name);

/* Joins n tables into one new {NULL}-terminated table (the caller frees
 * it; the strings stay borrowed); a name declared twice is kept once, the
 * first time (parts sharing a key share its declaration). NULL tables are
 * skipped. */
struct wh_config_key *
wh_config_keys_join(const struct wh_config_key *const *tables, size_t n);

/* wh_config_keys_join() of tables a and b, made on the first call and
 * kept in *cache for the life of the process (configurations borrow it);
 * later calls return *cache. Main thread. */
const struct wh_config_key *wh_config_keys_once(struct wh_config_key **cache,
                                                const struct wh_config_key *a,
                                                const struct wh_config_key *b);

/* Typed reads. Each finds key's declaration in table (or in cfg->keys
 * when table is NULL; it must be declared there), takes the value in
 * force or the declared default, and checks it as its type says. cfg may
 * be NULL (defaults only). They return WH_OK with *out set; WH_ENOENT,
 * *out untouched, when the key is unset and has no default; WH_EINVAL
 * with errstr "origin: key: reason" when the value is bad. */
int wh_config_int(const struct wh_config *cfg,
                  const struct wh_config_key *table, const char *key,
                  long long *out, char *errstr, size_t errstr_size);
int wh_config_bool(const struct wh_config *cfg,
                   const struct wh_config_key *table, const char *key, int *out,
                   char *errstr, size_t errstr_size);
/* *out: the index of the value in the key's choices. */
int wh_config_enum(const struct wh_config *cfg,
                   const struct wh_config_key *table, const char *key, int *out,
                   char *errstr, size_t errstr_size);
/* *out: the value (borrowed), checked as its type and validator say. */
int wh_config_string(const struct wh_config *cfg,
                     const struct wh_config_key *table, const char *key,
                     const char **out, char *errstr, size_t errstr_size);
/* The value in force or the declared default (NULL when neither);
 * unchecked: wh_config_check() reports a bad one. Borrowed. */
const char *wh_config_str(const struct wh_config *cfg,
                          const struct wh_config_key *table, const char *key);

/* A value found outside a configuration (a source option) read through
 * declaration k, an INT or DURATION: checked, then parsed into *out.
 * Returns WH_OK or WH_EINVAL with the reason alone in errstr. */
int wh_config_value_int(const struct wh_config_key *k, const char *value,
                        long long *out, char *errstr, size_t errstr_size);
/* The same for a BOOL. */
int wh_config_value_bool(const struct wh_config_key *k, const char *value,
                         int *out, char *errstr, size_t errstr_size);
/* The same for an ENUM: *out is the index of value in the choices. */
int wh_config_value_enum(const struct wh_config_key *k, const char *value,
                         int *out, char *errstr, size_t errstr_size);

/* Checks value against declaration k (type, range, choices, validator).
 * Returns WH_OK or WH_EINVAL with the reason alone in errstr. */
int wh_config_check_value(const struct wh_config_key *k, const char *value,
                          char *errstr, size_t errstr_size);

/* Checks every entry of cfg against its declaration, and each declared
 * default too (a wrong table is a bug), adding one line per problem
 * ("origin: key: reason") to pr. Returns the number of problems added. */
size_t wh_config_check(const struct wh_config *cfg,
                       struct wh_config_problems *pr);

/* --check-config helpers for the parts' check functions; no side
 * effects. Each returns WH_OK or WH_EINVAL with the reason in errstr.
 * wh_config_check_dir: dir exists, is a directory, and (writable != 0)
 * this user may create files in it. wh_config_check_file_dir: the
 * directory of the file path (its dirname, "." for a bare name) passes
 * wh_config_check_dir(dir, 1), and path, when it exists, is a file this
 * user may write. */
int wh_config_check_dir(const char *dir, int writable, char *errstr,
                        size_t errstr_size);
int wh_config_check_file_dir(const char *path, char *errstr,
                             size_t errstr_size);

/* A key a daemon cannot run without: adds "key: not set (use HOW)" to pr
 * when key has no value, or only blanks and commas. Returns 1 when it
 * added the problem, else 0. */
int wh_config_require(const struct wh_config *cfg, const char *key,
                      const char *how, struct wh_config_problems *pr);

/* Adds one problem line (printf format). */
void wh_config_problem(struct wh_config_problems *pr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void wh_config_problems_free(struct wh_config_problems *pr);
/* Logs each problem as an error of tag, after prefix (may be ""), and
 * before suffix (may be ""). */
void wh_config_problems_log(const struct wh_config_problems *pr,
                            const char *tag, const char *prefix,
                            const char *suffix);

/* Iterates over the values of a (repeatable) key:
 *   for (e = wh_config_first(cfg, "source"); e; e = wh_config_next(e))
 * Entries are borrowed. */
const struct wh_config_entry *wh_config_first(const struct wh_config *cfg,
                                              const char *key);
const struct wh_config_entry *wh_config_next(const struct wh_config_entry *e);

/* Writes the known keys with their help lines, defaults and ranges, for
 * --help. */
void wh_config_print_keys(const struct wh_config_key *keys, void *fp);

#endif
