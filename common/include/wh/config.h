/*
 * config.h - one commented "key = value" file per daemon, overridden by
 * command-line flags.
 *
 * Format: one "key = value" per line; blank lines and lines whose first
 * non-blank character is '#' are ignored; the value runs to the end of the
 * line with surrounding blanks trimmed (no quoting, no inline comments).
 * Keys are checked against the daemon's table of known keys; any key
 * starting with "kafka." is passed to librdkafka unchanged (the part after
 * "kafka."). An unknown key, a missing '=' or a repeated non-repeatable key
 * is an error reported as "file:line: key: reason".
 *
 * Single-valued keys: the last value set wins. Repeatable keys (e.g.
 * "source", "sink"): values accumulate in order, except that the first
 * value set from the command line replaces those read from files.
 *
 * Not thread-safe: load and read at start-up (or on SIGHUP) from one thread.
 */
#ifndef WH_CONFIG_H
#define WH_CONFIG_H

#include <stddef.h>

struct wh_config_key {
    const char *name;
    int repeatable;        /* 1 if the key may appear several times */
    const char *help;      /* one line, for --help and the example config */
};

struct wh_config_entry {
    char *key;
    char *value;
    char *origin;          /* "file:line", or "command line" */
    struct wh_config_entry *next;
};

struct wh_config {
    const struct wh_config_key *keys;  /* borrowed, terminated by {NULL} */
    struct wh_config_entry *head;      /* in the order set */
};

/* Creates an empty configuration that accepts the keys of the table
 * (borrowed; must outlive the config) plus any "kafka.*" key. */
struct wh_config *wh_config_new(const struct wh_config_key *keys);
void wh_config_free(struct wh_config *cfg);

/* Reads path. Returns WH_OK, or WH_EIO / WH_EINVAL with errstr filled as
 * "path:line: key: reason" (or "path: strerror" when unreadable). */
int wh_config_load(struct wh_config *cfg, const char *path, char *errstr,
                   size_t errstr_size);

/* Sets a value from the command line (origin "command line"), with the
 * override rules above. Returns WH_OK or WH_EINVAL (unknown key) with
 * errstr filled. */
int wh_config_set(struct wh_config *cfg, const char *key, const char *value,
                  char *errstr, size_t errstr_size);

/* Parses "prop=value" as given to -X and sets "kafka.prop". */
int wh_config_set_kafka(struct wh_config *cfg, const char *propval,
                        char *errstr, size_t errstr_size);

/* The value of a single-valued key, or def when unset. Borrowed. */
const char *wh_config_get(const struct wh_config *cfg, const char *key,
                          const char *def);

/* The value as an integer (decimal, optional k/M/G suffix for sizes, and
 * ms/s/m/h suffixes for durations are NOT interpreted: plain integers).
 * Returns WH_OK, or WH_EINVAL with errstr "origin: key: not an integer". */
int wh_config_get_int(const struct wh_config *cfg, const char *key,
                      long long def, long long *out, char *errstr,
                      size_t errstr_size);

/* Iterates over the values of a (repeatable) key:
 *   for (e = wh_config_first(cfg, "source"); e; e = wh_config_next(e))
 * Entries are borrowed. */
const struct wh_config_entry *wh_config_first(const struct wh_config *cfg,
                                              const char *key);
const struct wh_config_entry *wh_config_next(
    const struct wh_config_entry *e);

/* Writes the known keys with their help lines, for --help. */
void wh_config_print_keys(const struct wh_config_key *keys, void *fp);

#endif
