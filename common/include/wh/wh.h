/*
 * wh.h - what every wirehose module shares: return codes, assertions and
 * the allocation wrappers that abort on out-of-memory.
 */
#ifndef WH_WH_H
#define WH_WH_H

#include <stddef.h>

#define WH_VERSION "0.1.0"

/* Return codes: 0 or a negative WH_E* value. Stage callbacks use the
 * WH_OK / WH_RETRY / WH_REJECT / WH_FATAL subset. */
#define WH_OK 0
#define WH_RETRY (-1)     /* transient: back off and try again */
#define WH_REJECT (-2)    /* permanent for this record: dead-letter it */
#define WH_FATAL (-3)     /* stop the daemon */
#define WH_EINVAL (-4)    /* bad argument or malformed input */
#define WH_E2BIG (-5)     /* a configured size limit was reached */
#define WH_EIO (-6)       /* I/O error; errno tells more */
#define WH_ENOENT (-7)    /* not found */
#define WH_EPARSE (-8)    /* input could not be parsed */
#define WH_ETIMEDOUT (-9) /* a deadline passed */

/* Returns a static, human-readable name for a WH_* code. */
const char *wh_strerror(int code);

/* Invariants: on in every build, never compiled out. */
#define WH_ASSERT(cond)                                                        \
    do {                                                                       \
        if (!(cond)) {                                                         \
            wh_assert_fail(#cond, __FILE__, __LINE__);                         \
        }                                                                      \
    } while (0)

_Noreturn void wh_assert_fail(const char *expr, const char *file, int line);

/* Allocation wrappers: never return NULL; on out-of-memory they log and
 * abort() (systemd restarts the daemon). */
void *wh_xmalloc(size_t size);
void *wh_xcalloc(size_t nmemb, size_t size);
void *wh_xrealloc(void *ptr, size_t size);
char *wh_xstrdup(const char *s);
char *wh_xstrndup(const char *s, size_t n);
/* printf into a freshly allocated string; the caller frees it. */
char *wh_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Fills errstr (errstr_size bytes, may be 0 or errstr NULL) with the
 * printf-style message, truncated to fit: the one way a function tells
 * its caller what went wrong. */
void wh_errf(char *errstr, size_t errstr_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define WH_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
