/*
 * log.h - logging to stderr with the "<N>" syslog priority prefix that
 * journald reads. Callable from any thread; each line is written with a
 * single write(2) so lines from several threads do not interleave.
 */
#ifndef WH_LOG_H
#define WH_LOG_H

#include <stddef.h>

/* syslog priorities */
#define WH_LOG_EMERG 0
#define WH_LOG_ALERT 1
#define WH_LOG_CRIT 2
#define WH_LOG_ERR 3
#define WH_LOG_WARNING 4
#define WH_LOG_NOTICE 5
#define WH_LOG_INFO 6
#define WH_LOG_DEBUG 7

/* Lines above this priority are dropped (default WH_LOG_INFO). */
void wh_log_set_level(int level);
int wh_log_get_level(void);

/* Parses "debug", "info", "notice", "warning", "err"/"error", "crit" or a
 * digit 0-7. Returns the level, or -1 when the name is unknown. */
int wh_log_level_parse(const char *name);

/* As a config key's validator (wh/config.h): 0 for a level name
 * wh_log_level_parse() knows, else WH_EINVAL with the reason in errstr. */
int wh_log_level_check(const char *value, char *errstr, size_t errstr_size);

/* The "log.level" key every daemon declares. */
#define WH_LOG_LEVEL_KEY                                                       \
    WH_KEY_CHECKED("log.level", WH_CONFIG_STRING, "info", wh_log_level_check,  \
                   "debug, info, notice, warning or err")

/* Writes "<level>[tag] message\n" to stderr. tag may be NULL. A trailing
 * newline in fmt is not needed. */
void wh_log(int level, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define wh_err(tag, ...) wh_log(WH_LOG_ERR, tag, __VA_ARGS__)
#define wh_warn(tag, ...) wh_log(WH_LOG_WARNING, tag, __VA_ARGS__)
#define wh_notice(tag, ...) wh_log(WH_LOG_NOTICE, tag, __VA_ARGS__)
#define wh_info(tag, ...) wh_log(WH_LOG_INFO, tag, __VA_ARGS__)
#define wh_debug(tag, ...) wh_log(WH_LOG_DEBUG, tag, __VA_ARGS__)

#endif
