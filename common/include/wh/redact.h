/*
 * redact.h - keeps secrets out of log lines and error messages: the value
 * of a "password" keyword (a libpq conninfo's password=..., a URI's
 * ?password=..., librdkafka's sasl.password=...) and the userinfo of a
 * URL (scheme://user:secret@host) become "***".
 *
 * wh_log() applies it to every line it writes, so an error message that
 * quotes a conninfo or a URL is safe to log; call it directly for text
 * that leaves the process another way (an HTTP answer, a file).
 *
 * Pure functions on the caller's buffers: any thread, no allocation in
 * wh_redact() (the logger uses it when memory is exhausted).
 */
#ifndef WH_REDACT_H
#define WH_REDACT_H

#include <stddef.h>

/* Copies src into dst (dst_size bytes, always NUL-terminated when
 * dst_size > 0; cut when too long) with every secret replaced by "***".
 * Returns the length of the redacted text (as snprintf would). */
size_t wh_redact(const char *src, char *dst, size_t dst_size);

/* The redacted text in a new string the caller frees. */
char *wh_redact_dup(const char *src);

/* Non-zero when src holds something wh_redact() would replace. */
int wh_redact_needed(const char *src);

#endif
