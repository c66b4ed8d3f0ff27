/*
 * robots.h - robots.txt (RFC 9309) for one crawler: the rules of the group
 * naming our product token (or of "*"), longest match wins, plus the
 * non-standard Crawl-delay. Internal to wh_fetcher.
 */
#ifndef WH_ROBOTS_H
#define WH_ROBOTS_H

#include <stddef.h>

/* What one check costs, and why a hostile robots.txt cannot make it
 * slow. A pattern is matched without backtracking: its first segment
 * (up to the first '*') is compared with the start of the path, each
 * later segment is searched for at its leftmost place after the one
 * before (Knuth-Morris-Pratt, linear in the path), and an anchored
 * ('$') pattern's last segment is compared with the end of the path. So
 * a rule costs O(path + pattern): a rule without '*' at most its own
 * length, a rule with a '*' at most one pass over the path. The caps
 * bound the rest: at most WH_ROBOTS_MAX_RULES rules of at most
 * WH_ROBOTS_MAX_PATTERN bytes each, of which at most
 * WH_ROBOTS_MAX_WILDCARDS contain a '*' (rules past a cap are dropped,
 * as if not written). A check of an 8 KB path against the worst file
 * costs about WH_ROBOTS_MAX_WILDCARDS passes over 8 KB plus a compare
 * per rule: well under 1 ms (tests/integration/fetch_units.c times it
 * against a one-rule file). */
#define WH_ROBOTS_MAX_RULES 4096
#define WH_ROBOTS_MAX_PATTERN 1024
#define WH_ROBOTS_MAX_WILDCARDS 64

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
