/*
 * robots.h - robots.txt (RFC 9309) for one crawler: the rules of the group
 * naming our product token (or of "*"), longest match wins, plus the
 * non-standard Crawl-delay. Internal to wh_fetcher.
 */
#ifndef WH_ROBOTS_H
#define WH_ROBOTS_H

#include <stddef.h>

/* Most rules kept per file and longest pattern used: a hostile robots.txt
 * cannot make the check slow (rules past the limit are dropped). */
#define WH_ROBOTS_MAX_RULES 4096
#define WH_ROBOTS_MAX_PATTERN 1024

struct wh_robots;

/* Parses text (len bytes, need not be NUL-terminated, any bytes) for the
 * crawler whose product token is agent ("wirehose"; compared without
 * case). The groups naming agent are merged; when none does, the groups
 * of "*"; when neither exists, everything is allowed. Never NULL; free
 * with wh_robots_free() (NULL is a no-op). */
struct wh_robots *wh_robots_parse(const char *text, size_t len,
                                  const char *agent);

/* A rule set that allows everything (allow != 0) or nothing. */
struct wh_robots *wh_robots_new_all(int allow);

void wh_robots_free(struct wh_robots *r);

/* Non-zero when path (the URL's path and query, starting with '/') may be
 * fetched: the longest matching Allow or Disallow pattern decides, Allow
 * on a tie, allowed when none matches. "/robots.txt" is always
 * allowed. */
int wh_robots_allowed(const struct wh_robots *r, const char *path);

/* Crawl-delay of the chosen group in milliseconds, or -1 when none. */
long wh_robots_crawl_delay_ms(const struct wh_robots *r);

/* Number of rules kept (for logs and tests). */
size_t wh_robots_nrules(const struct wh_robots *r);

#endif
