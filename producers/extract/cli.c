/*
 * cli.c - wirehose-extract: one page (or many) to an article record, or
 * to its body text. Links only wh_extract and wh_common (libxml2,
 * jansson, xxhash): no curl, no rdkafka, so a one-page run starts fast.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "extract.h"
#include "urlget.h"
#include "wh/cli.h"
#include "wh/record.h"
#include "wh/wh.h"

#define EXIT_NOARTICLE 1
#define EXIT_USAGE 2

struct cli {
    const char *url;
    const char *out_dir;
    int text;
    struct wh_extract_opts opts;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: wirehose-extract [--url URL] [--text] [--out-dir DIR]\n"
            "                        [--charset CS] [--max-bytes N] "
            "FILE|URL|-...\n"
            "\n"
            "Extracts the article of saved HTML pages with generic rules and\n"
            "prints its ninjs 3.1 record as one line of JSON (one line per\n"
            "page), or with --text only the body text, paragraphs separated\n"
            "by a blank line.\n"
            "\n"
            "  --url URL       the page's URL: resolves relative links and\n"
            "                  feeds the URL-date rule (one input only)\n"
            "  --text          print the body text instead of the record\n"
            "  --out-dir DIR   write DIR/<name>.txt (--text) or .json per\n"
            "                  input instead of printing (bulk use)\n"
            "  --charset CS    charset from an HTTP Content-Type header\n"
            "  --max-bytes N   refuse larger pages (default 8 MiB)\n"
            "  -h, --help      this text;  --version: the version\n"
            "\n"
            "An http(s) URL as input is fetched (libcurl is loaded only\n"
            "then, so runs over saved files start fast).\n"
            "Exit status: 0 ok, 1 a page was unreadable or had no article,\n"
            "2 usage error.\n");
}

/* Reads a whole file (or stdin for "-") up to max bytes. Returns the data
 * (caller frees) or NULL with errstr filled. */
static char *read_input(const char *path, size_t max, size_t *len, char *errstr,
                        size_t errstr_size)
{
    FILE *f;
    char *data = NULL;
    size_t cap = 0;
    size_t n = 0;
    struct stat st;
    int is_stdin = strcmp(path, "-") == 0;

    if (is_stdin) {
        f = stdin;
    } else {
        f = fopen(path, "rb");
        if (f == NULL) {
            snprintf(errstr, errstr_size, "%s", strerror(errno));
            return NULL;
        }
        if (fstat(fileno(f), &st) == 0) {
            if (S_ISDIR(st.st_mode)) {
                snprintf(errstr, errstr_size, "is a directory");
                fclose(f);
                return NULL;
            }
            if (S_ISREG(st.st_mode)) {
                if ((size_t)st.st_size > max) {
                    snprintf(errstr, errstr_size,
                             "page too large (%lld bytes, max %zu)",
                             (long long)st.st_size, max);
                    fclose(f);
                    return NULL;
                }
                cap = (size_t)st.st_size + 1;
            }
        }
    }
    if (cap == 0) {
        cap = 65536;
    }
    data = wh_xmalloc(cap);
    for (;;) {
        size_t r;

        if (n == cap) {
            if (cap > max) {
                snprintf(errstr, errstr_size, "page too large (max %zu)", max);
                free(data);
                data = NULL;
                break;
            }
            cap *= 2;
            data = wh_xrealloc(data, cap);
        }
        r = fread(data + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            if (ferror(f)) {
                snprintf(errstr, errstr_size, "read error: %s",
                         strerror(errno));
                free(data);
                data = NULL;
            }
            break;
        }
    }
    if (data != NULL && n > max) {
        snprintf(errstr, errstr_size, "page too large (max %zu)", max);
        free(data);
        data = NULL;
    }
    if (!is_stdin) {
        fclose(f);
    }
    *len = n;
    return data;
}

/* Base name of path without a .html / .htm / .xhtml extension. */
static char *out_name(const char *path, const char *dir, const char *ext)
{
    const char *base = strrchr(path, '/');
    size_t n;
    static const char *const exts[] = {".html", ".htm", ".xhtml"};

    base = base != NULL ? base + 1 : path;
    if (strcmp(path, "-") == 0) {
        base = "stdin";
    }
    n = strlen(base);
    for (size_t i = 0; i < WH_ARRAY_SIZE(exts); i++) {
        size_t el = strlen(exts[i]);

        if (n > el && strcasecmp(base + n - el, exts[i]) == 0) {
            n -= el;
            break;
        }
    }
    return wh_xasprintf("%s/%.*s%s", dir, (int)n, base, ext);
}

static int write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    int rc = 0;

    if (f == NULL) {
        return -1;
    }
    if (fwrite(data, 1, len, f) != len) {
        rc = -1;
    }
    if (fclose(f) != 0) {
        rc = -1;
    }
    return rc;
}

/* The record's JSON text for one article (caller frees). */
static char *record_json(const struct wh_article *art, const char *url,
                         const char *path)
{
    struct wh_record *rec = wh_record_new();
    char now[21];
    char *file_url = NULL;
    char *json;

    if (url == NULL && strcmp(path, "-") != 0) {
        char *abs = realpath(path, NULL);

        if (abs != NULL) {
            file_url = wh_xasprintf("file://%s", abs);
            free(abs);
        }
    }
    wh_article_to_record(art, url != NULL ? url : file_url, rec);
    if (rec->uri == NULL) {
        rec->uri = wh_xasprintf("urn:wirehose:content:%s",
                                rec->content_hash != NULL ? rec->content_hash
                                                          : "none");
    }
    rec->source = wh_xstrdup("wirehose-extract");
    wh_now_rfc3339(now);
    rec->fetched_at = wh_xstrdup(now);
    if (url != NULL) {
        rec->final_url = wh_xstrdup(url);
    } else if (file_url != NULL) {
        rec->final_url = wh_xstrdup(file_url);
    }
    json = wh_record_dump(rec);
    wh_record_free(rec);
    free(file_url);
    return json;
}

static int emit(const struct cli *cli, const char *path, const char *data,
                size_t len, const char *url,
                const struct wh_extract_opts *opts);

/* The charset parameter of a Content-Type value, copied into out[size];
 * "" when there is none. */
static void header_charset(const char *ctype, char *out, size_t size)
{
    const char *p = ctype != NULL ? strcasestr(ctype, "charset=") : NULL;
    size_t n = 0;

    out[0] = '\0';
    if (p == NULL) {
        return;
    }
    p += 8;
    if (*p == '"' || *p == '\'') {
        p++;
    }
    while (p[n] != '\0' && p[n] != ';' && p[n] != '"' && p[n] != '\'' &&
           p[n] != ' ' && n + 1 < size) {
        n++;
    }
    memcpy(out, p, n);
    out[n] = '\0';
}

/* Fetches an http(s) input (libcurl loaded on demand) and extracts it.
 * The --charset flag wins over the response's header. */
static int one_url(const struct cli *cli, const char *url, size_t max)
{
    struct wh_extract_opts opts = cli->opts;
    struct wh_urlget_info info;
    char err[256] = "";
    char charset[64];
    size_t len = 0;
    char *data;
    int rc;

    data = wh_urlget(url, max, &len, &info, err, sizeof(err));
    if (data == NULL) {
        fprintf(stderr, "wirehose-extract: %s: %s\n", url, err);
        wh_urlget_info_clear(&info);
        return EXIT_NOARTICLE;
    }
    header_charset(info.content_type, charset, sizeof(charset));
    if (opts.charset == NULL && charset[0] != '\0') {
        opts.charset = charset;
    }
    rc =
        emit(cli, url, data, len,
             cli->url != NULL ? cli->url
                              : (info.final_url != NULL ? info.final_url : url),
             &opts);
    free(data);
    wh_urlget_info_clear(&info);
    return rc;
}

/* Extracts one input; prints or writes the result. Returns 0 or 1. */
static int one(const struct cli *cli, const char *path)
{
    char err[256] = "";
    size_t max = cli->opts.max_bytes != 0 ? cli->opts.max_bytes
                                          : (size_t)8 * 1024 * 1024;
    size_t len = 0;
    char *data;
    int rc;

    if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0) {
        return one_url(cli, path, max);
    }
    if (strncmp(path, "file://", 7) == 0) {
        path += 7;
    }
    data = read_input(path, max, &len, err, sizeof(err));
    if (data == NULL) {
        fprintf(stderr, "wirehose-extract: %s: %s\n", path, err);
        return EXIT_NOARTICLE;
    }
    rc = emit(cli, path, data, len, cli->url, &cli->opts);
    free(data);
    return rc;
}

/* Extracts a page held in memory (path names it in messages and picks the
 * --out-dir file name; url may be NULL) and prints or writes the result.
 * Returns 0 or EXIT_NOARTICLE. */
static int emit(const struct cli *cli, const char *path, const char *data,
                size_t len, const char *url, const struct wh_extract_opts *opts)
{
    char err[256] = "";
    struct wh_article *art;
    char *out;
    int rc = 0;

    art = wh_extract(data, len, url, opts, err, sizeof(err));
    if (art == NULL) {
        fprintf(stderr, "wirehose-extract: %s: %s\n", path, err);
        return EXIT_NOARTICLE;
    }
    if (cli->text) {
        out = wh_xasprintf("%s\n", art->body_text);
    } else {
        char *json = record_json(art, url, path);

        out = wh_xasprintf("%s\n", json);
        free(json);
    }
    if (cli->out_dir != NULL) {
        char *name = out_name(path, cli->out_dir, cli->text ? ".txt" : ".json");

        if (write_file(name, out, strlen(out)) != 0) {
            fprintf(stderr, "wirehose-extract: %s: %s\n", name,
                    strerror(errno));
            rc = EXIT_NOARTICLE;
        }
        free(name);
    } else {
        fputs(out, stdout);
    }
    free(out);
    wh_article_free(art);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"url", required_argument, NULL, 'u'},
        {"text", no_argument, NULL, 't'},
        {"out-dir", required_argument, NULL, 'o'},
        {"charset", required_argument, NULL, 'c'},
        {"max-bytes", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    struct cli cli;
    int opt;
    int rc = 0;

    memset(&cli, 0, sizeof(cli));
    while ((opt = getopt_long(argc, argv, ":u:to:c:m:h", longopts, NULL)) !=
           -1) {
        switch (opt) {
        case 'u':
            cli.url = optarg;
            break;
        case 't':
            cli.text = 1;
            break;
        case 'o':
            cli.out_dir = optarg;
            break;
        case 'c':
            cli.opts.charset = optarg;
            break;
        case 'm': {
            char *end = NULL;
            unsigned long long v;

            errno = 0;
            v = strtoull(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0' || v == 0) {
                fprintf(stderr,
                        "wirehose-extract: --max-bytes: not a "
                        "positive number: %s\n",
                        optarg);
                return EXIT_USAGE;
            }
            cli.opts.max_bytes = (size_t)v;
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            /* WH_EXTRACTOR_VERSION is "wirehose-extract/N" */
            return wh_cli_version("wirehose-extract",
                                  strchr(WH_EXTRACTOR_VERSION, '/') + 1);
        default:
            return wh_cli_bad_option("wirehose-extract", opt, argv);
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "wirehose-extract: no input (give FILE or - for "
                        "stdin; --help for usage)\n");
        return EXIT_USAGE;
    }
    if (cli.url != NULL && argc - optind > 1) {
        fprintf(stderr, "wirehose-extract: --url applies to one input "
                        "only\n");
        return EXIT_USAGE;
    }
    if (cli.out_dir != NULL) {
        struct stat st;

        if (stat(cli.out_dir, &st) != 0 && mkdir(cli.out_dir, 0777) != 0) {
            fprintf(stderr, "wirehose-extract: %s: %s\n", cli.out_dir,
                    strerror(errno));
            return EXIT_USAGE;
        }
    }
    wh_extract_global_init();
    for (int i = optind; i < argc; i++) {
        if (one(&cli, argv[i]) != 0) {
            rc = EXIT_NOARTICLE;
        }
    }
    if (cli.out_dir == NULL && fflush(stdout) != 0) {
        fprintf(stderr, "wirehose-extract: write error: %s\n", strerror(errno));
        rc = EXIT_NOARTICLE;
    }
    return rc;
}
