/*
 * log.c - "<N>[tag] message" lines on stderr, one write(2) per line.
 */
#include "wh/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "wh/redact.h"
#include "wh/wh.h"

static atomic_int log_level = WH_LOG_INFO;

void wh_log_set_level(int level)
{
    if (level < WH_LOG_EMERG) {
        level = WH_LOG_EMERG;
    }
    if (level > WH_LOG_DEBUG) {
        level = WH_LOG_DEBUG;
    }
    atomic_store(&log_level, level);
}

int wh_log_get_level(void)
{
    return atomic_load(&log_level);
}

int wh_log_level_parse(const char *name)
{
    static const struct {
        const char *name;
        int level;
    } names[] = {
        {"emerg", WH_LOG_EMERG},  {"alert", WH_LOG_ALERT},
        {"crit", WH_LOG_CRIT},    {"err", WH_LOG_ERR},
        {"error", WH_LOG_ERR},    {"warning", WH_LOG_WARNING},
        {"warn", WH_LOG_WARNING}, {"notice", WH_LOG_NOTICE},
        {"info", WH_LOG_INFO},    {"debug", WH_LOG_DEBUG},
    };
    size_t i;

    if (name == NULL) {
        return -1;
    }
    if (name[0] >= '0' && name[0] <= '7' && name[1] == '\0') {
        return name[0] - '0';
    }
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcasecmp(name, names[i].name) == 0) {
            return names[i].level;
        }
    }
    return -1;
}

int wh_log_level_check(const char *value, char *errstr, size_t errstr_size)
{
    if (wh_log_level_parse(value) < 0) {
        snprintf(errstr, errstr_size,
                 "unknown level \"%.64s\" (debug, info, notice, warning, "
                 "err)",
                 value);
        return WH_EINVAL;
    }
    return WH_OK;
}

void wh_log(int level, const char *tag, const char *fmt, ...)
{
    /* A fixed buffer: logging must work when memory is exhausted. Longer
     * lines are cut, with "..." to show it. */
    char line[4096];
    size_t off;
    size_t room;
    va_list ap;
    int n;
    int saved_errno = errno;

    if (level > atomic_load(&log_level)) {
        return;
    }
    if (level < WH_LOG_EMERG) {
        level = WH_LOG_EMERG;
    }
    if (level > WH_LOG_DEBUG) {
        level = WH_LOG_DEBUG;
    }
    if (tag != NULL && tag[0] != '\0') {
        n = snprintf(line, sizeof(line), "<%d>[%s] ", level, tag);
    } else {
        n = snprintf(line, sizeof(line), "<%d>", level);
    }
    if (n < 0) {
        return;
    }
    off = (size_t)n < sizeof(line) - 1 ? (size_t)n : sizeof(line) - 1;
    room = sizeof(line) - 1 - off; /* keep one byte for the newline */
    va_start(ap, fmt);
    n = vsnprintf(line + off, room + 1, fmt, ap);
    va_end(ap);
    if (n < 0) {
        n = 0;
    }
    if ((size_t)n > room) {
        off += room;
        line[off - 3] = '.';
        line[off - 2] = '.';
        line[off - 1] = '.';
    } else {
        off += (size_t)n;
    }
    /* No secret (a conninfo's password, a URL's userinfo) reaches the
     * log, whoever formatted the message. */
    line[off] = '\0';
    if (wh_redact_needed(line)) {
        char clean[sizeof(line)];

        off = wh_redact(line, clean, sizeof(line) - 1);
        if (off > sizeof(line) - 2) {
            off = sizeof(line) - 2;
        }
        memcpy(line, clean, off);
    }
    /* Drop trailing newlines the caller may have put in. */
    while (off > 0 && line[off - 1] == '\n') {
        off--;
    }
    line[off++] = '\n';
    {
        size_t done = 0;

        while (done < off) {
            ssize_t w = write(STDERR_FILENO, line + done, off - done);

            if (w < 0) {
                if (errno == EINTR) {
                    continue;
                }
                break;
            }
            done += (size_t)w;
        }
    }
    errno = saved_errno;
}
