/*
 * feedserver.c - the loopback feed server of bench/fetch (libmicrohttpd).
 *
 * usage: wh_feedserver --port-file FILE [--feeds N] [--changing-every K]
 *                      [--slow-every S] [--slow-ms MS]
 *
 * Serves /feed/<n> for 0 <= n < N (default 10000) on 127.0.0.1, on a port
 * the kernel picks (written to FILE once listening), and a /robots.txt
 * that disallows /private/ only, whatever the Host header. Every feed is
 * the same ~10 KB RSS document (gzipped when the client accepts gzip);
 * feeds with n % K == 0 (K default 4) change on every request (a new ETag,
 * always 200), the others keep ETag "<n>-1" and answer 304 to a matching
 * If-None-Match; feeds with n % S == 0 (S default 50) answer after MS ms
 * (default 1000). One thread per connection (the slow feeds sleep).
 * Runs until SIGTERM or SIGINT, then prints its counters on stderr.
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
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static long nfeeds = 10000;
static long changing_every = 4;
static long slow_every = 50;
static long slow_ms = 1000;

static char *plain;
static size_t plain_len;
static unsigned char *gz;
static size_t gz_len;
static const char robots[] = "User-agent: *\nDisallow: /private/\n";

static atomic_long n200;
static atomic_long n304;
static atomic_long n404;
static atomic_long generation;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void build_bodies(void)
{
    size_t cap = 16384;
    size_t len = 0;
    int i;
    z_stream zs;

    plain = malloc(cap);
    if (plain == NULL) {
        abort();
    }
    len += (size_t)snprintf(plain + len, cap - len,
                            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                            "<rss version=\"2.0\"><channel><title>Bench "
                            "feed</title><link>http://bench.test/</link>\n");
    for (i = 0; i < 20; i++) {
        len += (size_t)snprintf(
            plain + len, cap - len,
            "<item><title>Item %d of the benchmark feed</title>"
            "<link>http://bench.test/a/%d</link><guid>bench-%d</guid>"
            "<pubDate>Fri, 27 Nov 2026 10:%02d:00 GMT</pubDate>"
            "<description>A paragraph of text standing for the summary "
            "of item %d, long enough to look like a real feed entry "
            "with a sentence or two about the news of the day and "
            "some more words.</description></item>\n",
            i, i, i, i, i);
    }
    len += (size_t)snprintf(plain + len, cap - len, "</channel></rss>\n");
    plain_len = len;

    memset(&zs, 0, sizeof(zs));
    if (deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        abort();
    }
    gz = malloc(cap);
    if (gz == NULL) {
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

static enum MHD_Result answer(struct MHD_Connection *c, unsigned code,
                              const void *body, size_t len, const char *etag,
                              int gzipped)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, (void *)body, MHD_RESPMEM_PERSISTENT);
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
    if (code == 200 && body != robots) {
        MHD_add_response_header(r, "Content-Type", "application/rss+xml");
    }
    ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
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
    (void)con_cls;
    if (strcmp(url, "/robots.txt") == 0) {
        atomic_fetch_add(&n200, 1);
        return answer(c, 200, robots, sizeof(robots) - 1, NULL, 0);
    }
    if (strncmp(url, "/feed/", 6) != 0) {
        atomic_fetch_add(&n404, 1);
        return answer(c, 404, "", 0, NULL, 0);
    }
    n = strtol(url + 6, &end, 10);
    if (*end != '\0' || n < 0 || n >= nfeeds) {
        atomic_fetch_add(&n404, 1);
        return answer(c, 404, "", 0, NULL, 0);
    }
    if (slow_every > 0 && n % slow_every == 0) {
        struct timespec ts = {slow_ms / 1000, (slow_ms % 1000) * 1000000L};

        nanosleep(&ts, NULL);
    }
    if (changing_every > 0 && n % changing_every == 0) {
        snprintf(etag, sizeof(etag), "\"%ld-%ld\"", n,
                 atomic_fetch_add(&generation, 1) + 2);
    } else {
        snprintf(etag, sizeof(etag), "\"%ld-1\"", n);
    }
    inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
    if (inm != NULL && strcmp(inm, etag) == 0) {
        atomic_fetch_add(&n304, 1);
        return answer(c, 304, "", 0, etag, 0);
    }
    atomic_fetch_add(&n200, 1);
    ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Encoding");
    if (ae != NULL && strstr(ae, "gzip") != NULL) {
        return answer(c, 200, gz, gz_len, etag, 1);
    }
    return answer(c, 200, plain, plain_len, etag, 0);
}

int main(int argc, char **argv)
{
    const char *port_file = NULL;
    struct MHD_Daemon *d;
    const union MHD_DaemonInfo *info;
    struct sockaddr_in sin;
    char tmp[4096];
    FILE *fp;
    int i;

    for (i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port-file") == 0) {
            port_file = argv[i + 1];
        } else if (strcmp(argv[i], "--feeds") == 0) {
            nfeeds = strtol(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--changing-every") == 0) {
            changing_every = strtol(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--slow-every") == 0) {
            slow_every = strtol(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--slow-ms") == 0) {
            slow_ms = strtol(argv[i + 1], NULL, 10);
        } else {
            break;
        }
    }
    if (port_file == NULL || i != argc || nfeeds <= 0) {
        fprintf(stderr, "usage: wh_feedserver --port-file FILE [--feeds N] "
                        "[--changing-every K] [--slow-every S] "
                        "[--slow-ms MS]\n");
        return 2;
    }
    build_bodies();
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(0x7f000001);
    sin.sin_port = 0;
    d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
        NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&sin, MHD_OPTION_CONNECTION_LIMIT, (unsigned)2048,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "wh_feedserver: cannot start: %s\n", strerror(errno));
        return 1;
    }
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
    fp = fopen(tmp, "w");
    if (fp == NULL || info == NULL) {
        fprintf(stderr, "wh_feedserver: %s: %s\n", tmp, strerror(errno));
        MHD_stop_daemon(d);
        return 1;
    }
    fprintf(fp, "%u\n", (unsigned)info->port);
    fclose(fp);
    if (rename(tmp, port_file) != 0) {
        fprintf(stderr, "wh_feedserver: %s: %s\n", port_file, strerror(errno));
        MHD_stop_daemon(d);
        return 1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    while (!stop) {
        pause();
    }
    MHD_stop_daemon(d);
    fprintf(stderr, "wh_feedserver: 200: %ld, 304: %ld, 404: %ld\n",
            atomic_load(&n200), atomic_load(&n304), atomic_load(&n404));
    free(plain);
    free(gz);
    return 0;
}
