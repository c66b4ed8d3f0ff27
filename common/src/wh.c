/*
 * wh.c - return-code names, assertions and the allocation wrappers.
 */
#include "wh/wh.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wh/log.h"

const char *wh_strerror(int code)
{
    switch (code) {
    case WH_OK:
        return "success";
    case WH_RETRY:
        return "transient failure, retry";
    case WH_REJECT:
        return "record rejected";
    case WH_FATAL:
        return "fatal error";
    case WH_EINVAL:
        return "invalid argument";
    case WH_E2BIG:
        return "size limit reached";
    case WH_EIO:
        return "I/O error";
    case WH_ENOENT:
        return "not found";
    case WH_EPARSE:
        return "parse error";
    case WH_ETIMEDOUT:
        return "timed out";
    default:
        return "unknown error";
    }
}

void wh_assert_fail(const char *expr, const char *file, int line)
{
    wh_log(WH_LOG_CRIT, "assert", "%s:%d: assertion failed: %s", file, line,
           expr);
    abort();
}

/* Out of memory: say so (the logger itself does not allocate) and abort. */
static _Noreturn void oom(size_t size)
{
    wh_log(WH_LOG_CRIT, NULL, "out of memory allocating %zu bytes", size);
    abort();
}

void *wh_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);

    if (p == NULL) {
        oom(size);
    }
    return p;
}

void *wh_xcalloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

    if (p == NULL) {
        oom(nmemb * size);
    }
    return p;
}

void *wh_xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);

    if (p == NULL) {
        oom(size);
    }
    return p;
}

char *wh_xstrdup(const char *s)
{
    char *p = strdup(s);

    if (p == NULL) {
        oom(strlen(s) + 1);
    }
    return p;
}

char *wh_xstrndup(const char *s, size_t n)
{
    char *p = strndup(s, n);

    if (p == NULL) {
        oom(n + 1);
    }
    return p;
}

char *wh_xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *p = NULL;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&p, fmt, ap);
    va_end(ap);
    if (n < 0) {
        oom(0);
    }
    return p;
}

void wh_errf(char *errstr, size_t errstr_size, const char *fmt, ...)
{
    va_list ap;

    if (errstr == NULL || errstr_size == 0) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(errstr, errstr_size, fmt, ap);
    va_end(ap);
}
