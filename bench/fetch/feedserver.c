/*
 * feedserver.c - the loopback feed server of bench/fetch (libmicrohttpd).
 *
 * usage: wh_feedserver --port-file FILE --urls-file FILE [--feeds N]
 *                      [--hosts H] [--changing-every K] [--slow-every S]
 *                      [--slow-ms MS] [--item-every I]
 *
 * Listens on H loopback addresses (default 1000), host h on
 * 127.0.(1 + h / 250).(1 + h % 250), all on one port the kernel picks for
 * the first (written to the port file once listening). Every 127/8
 * address reaches the lo interface on Linux, so each listener is bound to
 * its own loopback address: nothing outside loopback can connect. The
 * URLs of the N feeds (default 10000), feed n on host n % H, are written
 * to the URL file, one "http://ADDR:PORT/feed/n" a line.
 *
 * /feed/<n> is an RSS 2.0 document, gzipped when the client accepts gzip.
 * Which feeds change, are slow or carry an item is decided by a hash of n
 * (so that every kind is spread over the hosts): 1 in K feeds (K default
 * 4) change on every request (a new ETag, always 200), the others keep
 * ETag "<n>-1" and answer 304 to a matching If-None-Match; 1 in S (S
 * default 50) answer after MS ms (default 1000); 1 in I (I default 100;
 * 0 = none) carry one item, whose page /page/<n> the server serves too (a
 * small HTML article); the other feeds have no items, so a producer
 * polling them fetches no pages and publishes nothing. /robots.txt
 * disallows /private/ only.
 * One thread per connection (the slow feeds sleep), the listeners accepted
 * by one thread (epoll) and handed to libmicrohttpd.
 * Runs until SIGTERM or SIGINT, then prints its counters on stderr; on
 * SIGUSR1 it prints them at once, with the monotonic time in ms, as
 * "wh_feedserver: counts at_ms T feeds F pages P robots R" (F: feeds
 * served, 200 and 304), so that a bench can take a rate over a window.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static long nfeeds = 10000;
static long nhosts = 1000;
static long changing_every = 4;
static long slow_every = 50;
static long slow_ms = 1000;
static long item_every = 100;

/* The feed without items, the same for every feed. */
static char *plain;
static size_t plain_len;
static unsigned char *gz;
static size_t gz_len;
static const char robots[] = "User-agent: *\nDisallow: /private/\n";
static const char feed_head[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<rss version=\"2.0\"><channel><title>Bench feed</title>"
    "<link>http://bench.invalid/</link><description>A feed of the fetch "
    "benchmark</description>\n";

static atomic_long n200;
static atomic_long n304;
static atomic_long npages;
static atomic_long nrobots;
static atomic_long n404;
static atomic_long nconn;
static atomic_long generation;

static volatile sig_atomic_t stop;
static volatile sig_atomic_t counts_asked;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void on_usr1(int sig)
{
    (void)sig;
    counts_asked = 1;
}

/* The counters now, on one line (SIGUSR1). */
static void print_counts(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    fprintf(stderr,
            "wh_feedserver: counts at_ms %lld feeds %ld pages %ld robots "
            "%ld\n",
            (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
            atomic_load(&n200) + atomic_load(&n304), atomic_load(&npages),
            atomic_load(&nrobots));
    fflush(stderr);
}

/* A hash of n, deciding the kind of feed n. */
static unsigned long mix(long n)
{
    unsigned long x = (unsigned long)n * 0x9e3779b97f4a7c15ul;

    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ul;
    x ^= x >> 32;
    return x;
}

static int is_changing(long n)
{
    return changing_every > 0 && mix(n) % (unsigned long)changing_every == 0;
}

static int is_slow(long n)
{
    return slow_every > 0 && (mix(n) >> 16) % (unsigned long)slow_every == 0;
}

static int has_item(long n)
{
    return item_every > 0 && (mix(n) >> 32) % (unsigned long)item_every == 0;
}

static void build_bodies(void)
{
    size_t cap = 4096;
    z_stream zs;

    plain = malloc(cap);
    gz = malloc(cap);
    if (plain == NULL || gz == NULL) {
        abort();
    }
    plain_len = (size_t)snprintf(plain, cap, "%s</channel></rss>\n", feed_head);
    memset(&zs, 0, sizeof(zs));
    if (deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        abort();
    }
    zs.next_in = (unsigned char *)plain;
    zs.avail_in = (unsigned)plain_len;
    zs.next_out = gz;
    zs.avail_out = (unsigned)cap;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
        abort();
    }
    gz_len = zs.total_out;
    deflateEnd(&zs);
}

/* The Host header when it looks like "address:port", else 127.0.0.1. */
static const char *host_of(struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");

    if (h == NULL || h[0] == '\0' || strlen(h) > 64 ||
        strspn(h, "0123456789.:") != strlen(h)) {
        return "127.0.0.1";
    }
    return h;
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned code,
                              const void *body, size_t len,
                              enum MHD_ResponseMemoryMode mode,
                              const char *type, const char *etag, int gzipped)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, mode);
    enum MHD_Result ret;

    if (r == NULL) {
        return MHD_NO;
    }
    if (etag != NULL) {
        MHD_add_response_header(r, "ETag", etag);
    }
    if (gzipped) {
        MHD_add_response_header(r, "Content-Encoding", "gzip");
    }
    if (type != NULL) {
        MHD_add_response_header(r, "Content-Type", type);
    }
    ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

/* /page/<n>: a small article. */
static enum MHD_Result page(struct MHD_Connection *c, long n)
{
    char body[2048];
    int len;
    const char *host = host_of(c);

    len = snprintf(
        body, sizeof(body),
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>Item of bench feed %ld</title>"
        "<link rel=\"canonical\" href=\"http://%s/page/%ld\">"
        "<meta property=\"article:published_time\" "
        "content=\"2026-11-27T10:00:00Z\"></head><body><article>"
        "<h1>Item of bench feed %ld</h1><p class=\"byline\">By Bench "
        "Writer</p><p>The first paragraph of the article of feed %ld, long "
        "enough to count as body text for the extractor, with a sentence "
        "or two about the news of the day.</p><p>A second paragraph adds "
        "some more words, so that the page looks like a short article "
        "rather than a stub, and the extractor keeps it.</p>"
        "</article></body></html>\n",
        n, host, n, n, n);
    atomic_fetch_add(&npages, 1);
    return answer(c, 200, body, (size_t)len, MHD_RESPMEM_MUST_COPY,
                  "text/html; charset=utf-8", NULL, 0);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    static const char rss_type[] = "application/rss+xml";
    const char *inm;
    const char *ae;
    char etag[64];
    char *end;
    long n;

    (void)cls;
    (void)method;
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    /* Answer on the second call, once the request is complete: a response
     * queued on the first call makes libmicrohttpd close the connection
     * (no keep-alive). */
    if (*con_cls == NULL) {
        *con_cls = (void *)c;
        return MHD_YES;
    }
    if (strcmp(url, "/robots.txt") == 0) {
        atomic_fetch_add(&nrobots, 1);
        return answer(c, 200, robots, sizeof(robots) - 1,
                      MHD_RESPMEM_PERSISTENT, "text/plain", NULL, 0);
    }
    if (strncmp(url, "/page/", 6) == 0) {
        n = strtol(url + 6, &end, 10);
        if (*end == '\0' && n >= 0 && n < nfeeds && has_item(n)) {
            return page(c, n);
        }
    }
    if (strncmp(url, "/feed/", 6) != 0) {
        atomic_fetch_add(&n404, 1);
        return answer(c, 404, "", 0, MHD_RESPMEM_PERSISTENT, NULL, NULL, 0);
    }
    n = strtol(url + 6, &end, 10);
    if (*end != '\0' || n < 0 || n >= nfeeds) {
        atomic_fetch_add(&n404, 1);
        return answer(c, 404, "", 0, MHD_RESPMEM_PERSISTENT, NULL, NULL, 0);
    }
    if (is_slow(n)) {
        struct timespec ts = {slow_ms / 1000, (slow_ms % 1000) * 1000000L};

        nanosleep(&ts, NULL);
    }
    if (is_changing(n)) {
        snprintf(etag, sizeof(etag), "\"%ld-%ld\"", n,
                 atomic_fetch_add(&generation, 1) + 2);
    } else {
        snprintf(etag, sizeof(etag), "\"%ld-1\"", n);
    }
    inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
    if (inm != NULL && strcmp(inm, etag) == 0) {
        atomic_fetch_add(&n304, 1);
        return answer(c, 304, "", 0, MHD_RESPMEM_PERSISTENT, NULL, etag, 0);
    }
    atomic_fetch_add(&n200, 1);
    if (has_item(n)) {
        char body[2048];
        const char *host = host_of(c);
        int len =
            snprintf(body, sizeof(body),
                     "%s<item><title>Item of bench feed %ld</title>"
                     "<link>http://%s/page/%ld</link><guid>bench-%ld</guid>"
                     "<pubDate>Fri, 27 Nov 2026 10:00:00 GMT</pubDate>"
                     "<description>The summary of the item of feed %ld."
                     "</description></item></channel></rss>\n",
                     feed_head, n, host, n, n, n);

        return answer(c, 200, body, (size_t)len, MHD_RESPMEM_MUST_COPY,
                      rss_type, etag, 0);
    }
    ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Encoding");
    if (ae != NULL && strstr(ae, "gzip") != NULL) {
        return answer(c, 200, gz, gz_len, MHD_RESPMEM_PERSISTENT, rss_type,
                      etag, 1);
    }
    return answer(c, 200, plain, plain_len, MHD_RESPMEM_PERSISTENT, rss_type,
                  etag, 0);
}

/* The address of host h, in network order. */
static uint32_t host_addr(long h)
{
    return htonl(0x7f000000u | (uint32_t)(1 + h / 250) << 8 |
                 (uint32_t)(1 + h % 250));
}

/* A listening socket on addr:port (port 0: the kernel picks), or -1. */
static int listen_on(uint32_t addr, unsigned port)
{
    struct sockaddr_in sin;
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        return -1;
    }
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = addr;
    sin.sin_port = htons((uint16_t)port);
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
        listen(fd, 1024) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Writes path atomically (write, then rename): the port, or with urls set
 * the URL of every feed. */
static int write_file(const char *path, unsigned port, int urls)
{
    char tmp[4096];
    FILE *fp;
    long n;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    fp = fopen(tmp, "w");
    if (fp == NULL) {
        fprintf(stderr, "wh_feedserver: %s: %s\n", tmp, strerror(errno));
        return -1;
    }
    if (!urls) {
        fprintf(fp, "%u\n", port);
    }
    for (n = 0; urls && n < nfeeds; n++) {
        struct in_addr a;
        char ip[INET_ADDRSTRLEN];

        a.s_addr = host_addr(n % nhosts);
        inet_ntop(AF_INET, &a, ip, sizeof(ip));
        fprintf(fp, "http://%s:%u/feed/%ld\n", ip, port, n);
    }
    if (fclose(fp) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "wh_feedserver: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Accepts on every listener and hands the connections to d, until a
 * signal stops the server. */
static void accept_loop(struct MHD_Daemon *d, const int *fds)
{
    struct epoll_event evs[64];
    struct epoll_event ev;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    long h;

    if (ep < 0) {
        fprintf(stderr, "wh_feedserver: epoll: %s\n", strerror(errno));
        return;
    }
    for (h = 0; h < nhosts; h++) {
        memset(&ev, 0, sizeof(ev));
        ev.events = EPOLLIN;
        ev.data.fd = fds[h];
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[h], &ev) != 0) {
            fprintf(stderr, "wh_feedserver: epoll: %s\n", strerror(errno));
            close(ep);
            return;
        }
    }
    while (!stop) {
        int i;
        int n = epoll_wait(ep, evs, (int)(sizeof(evs) / sizeof(evs[0])), 500);

        if (counts_asked) {
            counts_asked = 0;
            print_counts();
        }

        for (i = 0; i < n; i++) {
            for (;;) {
                struct sockaddr_in peer;
                socklen_t plen = sizeof(peer);
                int fd = accept4(evs[i].data.fd, (struct sockaddr *)&peer,
                                 &plen, SOCK_CLOEXEC);

                if (fd < 0) {
                    break;
                }
                atomic_fetch_add(&nconn, 1);
                /* On failure (connection limit) MHD closes fd. */
                (void)MHD_add_connection(d, fd, (struct sockaddr *)&peer, plen);
            }
        }
    }
    close(ep);
}

int main(int argc, char **argv)
{
    const char *port_file = NULL;
    const char *urls_file = NULL;
    struct MHD_Daemon *d;
    struct sockaddr_in sin;
    socklen_t slen = sizeof(sin);
    unsigned port;
    int *fds;
    long nchanging = 0;
    long nslow = 0;
    long nitem = 0;
    long nfds = 0;
    long h;
    int rc = 1;
    int i;

    for (i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port-file") == 0) {
            port_file = argv[i + 1];
        } else if (strcmp(argv[i], "--urls-file") == 0) {
            urls_file = argv[i + 1];
        } else if (strcmp(argv[i], "--feeds") == 0) {
            nfeeds = strtol(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--hosts") == 0) {
            nhosts = strtol(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--changing-every") == 0) {
            changing_every = strtol(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--slow-every") == 0) {
            slow_every = strtol(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--slow-ms") == 0) {
            slow_ms = strtol(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--item-every") == 0) {
            item_every = strtol(argv[i + 1], NULL, 10);
        } else {
            break;
        }
    }
    if (port_file == NULL || urls_file == NULL || i != argc || nfeeds <= 0 ||
        nhosts <= 0 || nhosts > 250L * 254 || changing_every < 0 ||
        slow_every < 0 || slow_ms < 0 || item_every < 0) {
        fprintf(stderr, "usage: wh_feedserver --port-file FILE --urls-file "
                        "FILE [--feeds N] [--hosts H] [--changing-every K] "
                        "[--slow-every S] [--slow-ms MS] [--item-every I]\n");
        return 2;
    }
    build_bodies();
    for (h = 0; h < nfeeds; h++) {
        nchanging += is_changing(h);
        nslow += is_slow(h);
        nitem += has_item(h);
    }
    fprintf(stderr,
            "wh_feedserver: feeds %ld on %ld hosts: changing %ld, slow %ld, "
            "with an item %ld\n",
            nfeeds, nhosts, nchanging, nslow, nitem);
    fds = malloc((size_t)nhosts * sizeof(*fds));
    if (fds == NULL) {
        abort();
    }
    memset(&sin, 0, sizeof(sin));
    fds[0] = listen_on(host_addr(0), 0);
    if (fds[0] < 0) {
        fprintf(stderr, "wh_feedserver: listen: %s\n", strerror(errno));
        goto out;
    }
    nfds = 1;
    if (getsockname(fds[0], (struct sockaddr *)&sin, &slen) != 0) {
        fprintf(stderr, "wh_feedserver: getsockname: %s\n", strerror(errno));
        goto out;
    }
    port = ntohs(sin.sin_port);
    for (h = 1; h < nhosts; h++) {
        fds[h] = listen_on(host_addr(h), port);
        if (fds[h] < 0) {
            fprintf(stderr, "wh_feedserver: listen on host %ld, port %u: %s\n",
                    h, port, strerror(errno));
            goto out;
        }
        nfds++;
    }
    d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
            MHD_USE_POLL | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG,
        0, NULL, NULL, on_request, NULL, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)8192, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
        MHD_OPTION_THREAD_STACK_SIZE, (size_t)262144, MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "wh_feedserver: cannot start: %s\n", strerror(errno));
        goto out;
    }
    if (write_file(urls_file, port, 1) != 0 ||
        write_file(port_file, port, 0) != 0) {
        MHD_stop_daemon(d);
        goto out;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGUSR1, on_usr1);
    accept_loop(d, fds);
    MHD_stop_daemon(d);
    rc = 0;
    fprintf(stderr,
            "wh_feedserver: connections %ld; feeds 200: %ld, 304: %ld; "
            "pages %ld; robots.txt %ld; 404: %ld\n",
            atomic_load(&nconn), atomic_load(&n200), atomic_load(&n304),
            atomic_load(&npages), atomic_load(&nrobots), atomic_load(&n404));
out:
    for (h = 0; h < nfds; h++) {
        close(fds[h]);
    }
    free(fds);
    free(plain);
    free(gz);
    return rc;
}
