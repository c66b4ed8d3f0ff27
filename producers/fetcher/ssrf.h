/*
 * ssrf.h - the SSRF guard's address check: which addresses the fetcher
 * may connect to. Internal to wh_fetcher (fetcher.c calls it from curl's
 * open-socket callback).
 */
#ifndef WH_SSRF_H
#define WH_SSRF_H

#include <stddef.h>
#include <sys/socket.h>

/* One allow-listed CIDR, IPv4 held as IPv4 (4 bytes), IPv6 as 16. */
struct wh_ssrf_cidr {
    unsigned char addr[16];
    int family; /* AF_INET or AF_INET6 */
    int prefix; /* bits */
};

struct wh_ssrf {
    struct wh_ssrf_cidr *allow;
    size_t nallow;
};

/* Parses cidr ("a.b.c.d/n", "v6addr/n", or a bare address = all bits)
 * into *out. Returns WH_OK, or WH_EINVAL with errstr filled. */
int wh_ssrf_parse_cidr(const char *cidr, struct wh_ssrf_cidr *out, char *errstr,
                       size_t errstr_size);

/* Adds a parsed CIDR to the allow-list (copied). */
void wh_ssrf_allow(struct wh_ssrf *g, const struct wh_ssrf_cidr *c);

/* Releases the allow-list; the guard may be reused (empty). */
void wh_ssrf_clear(struct wh_ssrf *g);

/* Non-zero when the fetcher may connect to sa (an AF_INET or AF_INET6
 * socket address; any other family is refused): an allow-listed CIDR
 * covers it, or it lies outside every refused range. An IPv6 address
 * embedding an IPv4 one (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d,
 * NAT64 64:ff9b::/96, 6to4 2002::/16) is judged as that IPv4 address too.
 * The address as text goes into text (at least 46 bytes) for messages.
 * Thread-safe for a guard nobody modifies. */
int wh_ssrf_check(const struct wh_ssrf *g, const struct sockaddr *sa,
                  size_t salen, char *text, size_t text_size);

#endif
