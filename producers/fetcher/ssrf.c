/*
 * ssrf.c - the SSRF guard's address check (see ssrf.h).
 */
#include "ssrf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wh/wh.h"

struct range {
    unsigned char net[16];
    int prefix;
};

/* IPv4 ranges nobody on the public Internet should make us connect to
 * (RFC 6890 and friends). */
static const struct range refused4[] = {
    {{0, 0, 0, 0}, 8},       /* "this network", unspecified */
    {{10, 0, 0, 0}, 8},      /* private */
    {{100, 64, 0, 0}, 10},   /* CGNAT shared space */
    {{127, 0, 0, 0}, 8},     /* loopback */
    {{169, 254, 0, 0}, 16},  /* link-local (cloud metadata lives here) */
    {{172, 16, 0, 0}, 12},   /* private */
    {{192, 0, 0, 0}, 24},    /* IETF protocol assignments */
    {{192, 0, 2, 0}, 24},    /* TEST-NET-1 */
    {{192, 88, 99, 0}, 24},  /* 6to4 relay anycast */
    {{192, 168, 0, 0}, 16},  /* private */
    {{198, 18, 0, 0}, 15},   /* benchmarking */
    {{198, 51, 100, 0}, 24}, /* TEST-NET-2 */
    {{203, 0, 113, 0}, 24},  /* TEST-NET-3 */
    {{224, 0, 0, 0}, 4},     /* multicast */
    {{240, 0, 0, 0}, 4},     /* reserved, broadcast 255.255.255.255 */
};

static const struct range refused6[] = {
    {{0}, 128}, /* :: unspecified */
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128}, /* ::1 */
    {{0x01, 0x00}, 64},             /* 100::/64 discard */
    {{0x20, 0x01, 0x0d, 0xb8}, 32}, /* documentation */
    {{0xfc}, 7},                    /* unique local */
    {{0xfe, 0x80}, 10},             /* link-local */
    {{0xfe, 0xc0}, 10},             /* site-local (old) */
    {{0xff}, 8},                    /* multicast */
};

static int prefix_match(const unsigned char *a, const unsigned char *net,
                        int prefix)
{
    int full = prefix / 8;
    int rest = prefix % 8;

    if (full > 0 && memcmp(a, net, (size_t)full) != 0) {
        return 0;
    }
    if (rest > 0) {
        unsigned char mask = (unsigned char)(0xff << (8 - rest));

        if ((a[full] & mask) != (net[full] & mask)) {
            return 0;
        }
    }
    return 1;
}

int wh_ssrf_parse_cidr(const char *cidr, struct wh_ssrf_cidr *out, char *errstr,
                       size_t errstr_size)
{
    char addr[64];
    const char *slash;
    size_t n;
    long prefix = -1;
    int max;

    memset(out, 0, sizeof(*out));
    if (cidr == NULL || *cidr == '\0') {
        snprintf(errstr, errstr_size, "bad CIDR '': empty");
        return WH_EINVAL;
    }
    slash = strchr(cidr, '/');
    n = slash != NULL ? (size_t)(slash - cidr) : strlen(cidr);
    if (n == 0 || n >= sizeof(addr)) {
        snprintf(errstr, errstr_size, "bad CIDR '%s': no address", cidr);
        return WH_EINVAL;
    }
    memcpy(addr, cidr, n);
    addr[n] = '\0';
    if (inet_pton(AF_INET, addr, out->addr) == 1) {
        out->family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
        out->family = AF_INET6;
        max = 128;
    } else {
        snprintf(errstr, errstr_size,
                 "bad CIDR '%s': '%s' is not an IPv4 or IPv6 address", cidr,
                 addr);
        return WH_EINVAL;
    }
    if (slash == NULL) {
        prefix = max;
    } else {
        const char *p = slash + 1;

        prefix = 0;
        if (*p == '\0') {
            prefix = -1;
        }
        for (; *p != '\0' && prefix >= 0; p++) {
            if (*p < '0' || *p > '9' || prefix > 128) {
                prefix = -1;
                break;
            }
            prefix = prefix * 10 + (*p - '0');
        }
    }
    if (prefix < 0 || prefix > max) {
        snprintf(errstr, errstr_size,
                 "bad CIDR '%s': prefix length must be 0-%d", cidr, max);
        return WH_EINVAL;
    }
    out->prefix = (int)prefix;
    return WH_OK;
}

void wh_ssrf_allow(struct wh_ssrf *g, const struct wh_ssrf_cidr *c)
{
    g->allow = wh_xrealloc(g->allow, (g->nallow + 1) * sizeof(*g->allow));
    g->allow[g->nallow++] = *c;
}

void wh_ssrf_clear(struct wh_ssrf *g)
{
    free(g->allow);
    g->allow = NULL;
    g->nallow = 0;
}

static int allowed(const struct wh_ssrf *g, int family, const unsigned char *a)
{
    size_t i;

    for (i = 0; i < g->nallow; i++) {
        if (g->allow[i].family == family &&
            prefix_match(a, g->allow[i].addr, g->allow[i].prefix)) {
            return 1;
        }
    }
    return 0;
}

static int refused_v4(const unsigned char *a)
{
    size_t i;

    for (i = 0; i < WH_ARRAY_SIZE(refused4); i++) {
        if (prefix_match(a, refused4[i].net, refused4[i].prefix)) {
            return 1;
        }
    }
    return 0;
}

/* The IPv4 address an IPv6 one stands for, copied into v4; 0 if none. */
static int embedded_v4(const unsigned char *a, unsigned char *v4)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0,    0,
                                             0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char translated[12] = {0, 0, 0,    0,    0, 0,
                                                 0, 0, 0xff, 0xff, 0, 0};
    static const unsigned char zero[12] = {0};
    static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};

    if (memcmp(a, mapped, 12) == 0 || memcmp(a, translated, 12) == 0 ||
        memcmp(a, zero, 12) == 0 || memcmp(a, nat64, 12) == 0) {
        memcpy(v4, a + 12, 4);
        return 1;
    }
    if (a[0] == 0x20 && a[1] == 0x02) { /* 6to4: 2002:AABB:CCDD::/48 */
        memcpy(v4, a + 2, 4);
        return 1;
    }
    return 0;
}

int wh_ssrf_check(const struct wh_ssrf *g, const struct sockaddr *sa,
                  size_t salen, char *text, size_t text_size)
{
    unsigned char v4[4];
    size_t i;

    if (text_size > 0) {
        snprintf(text, text_size, "(unknown family)");
    }
    if (sa == NULL) {
        return 0;
    }
    if (sa->sa_family == AF_INET && salen >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

        memcpy(v4, &sin->sin_addr, 4);
        (void)inet_ntop(AF_INET, v4, text, (socklen_t)text_size);
        return allowed(g, AF_INET, v4) || !refused_v4(v4);
    }
    if (sa->sa_family == AF_INET6 && salen >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
        const unsigned char *a = sin6->sin6_addr.s6_addr;
        int has_v4 = embedded_v4(a, v4);

        (void)inet_ntop(AF_INET6, a, text, (socklen_t)text_size);
        if (allowed(g, AF_INET6, a) || (has_v4 && allowed(g, AF_INET, v4))) {
            return 1;
        }
        for (i = 0; i < WH_ARRAY_SIZE(refused6); i++) {
            if (prefix_match(a, refused6[i].net, refused6[i].prefix)) {
                return 0;
            }
        }
        return !(has_v4 && refused_v4(v4));
    }
    return 0;
}
