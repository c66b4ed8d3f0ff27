/*
 * fetch_driver.c - drives wh_fetcher for the fetch_*.sh integration tests:
 * submits every URL given, runs the loop until all results are in and
 * prints one line per result, in completion order:
 *
 *   RESULT url=U outcome=O status=N len=N redirects=N retry_after=N
 *          etag=E lastmod=L seconds=S label=L error=MSG
 *
 * (one line; error= last, running to the end of the line).
 *
 * usage: fetch_driver [options] URL...
 *   --allow CIDR           SSRF allow-list entry (repeatable)
 *   --max-bytes N          --max-decoded N
 *   --timeout-ms N         --connect-timeout-ms N
 *   --low-speed-limit N    --low-speed-time N (seconds)
 *   --max-per-host N       --max-total N
 *   --host-delay-ms N      (negative: none)
 *   --max-redirects N      (negative: none)
 *   --robots-off           --user-agent UA
 *   --etag V               --last-modified V (sent with every URL)
 *   --again                after the first round, fetch every URL once
 *                          more with the validators its result returned
 *   --sync                 use the blocking wh_fetch() instead
 *   --deadline-ms N        give up (exit 3) after N ms (default 60000)
 * Exit status: 0 when every result came, 2 on a usage error, 3 on the
 * deadline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetcher.h"
#include "wh/clock.h"
#include "wh/log.h"
#include "wh/wh.h"

static const char *const outcome_names[] = {
    "ok",      "unchanged", "retry_after", "http_error", "robots",
    "refused", "too_big",   "timeout",     "error",
};

struct run {
    size_t done;
    size_t *index; /* index[i] == i: the requests' opaque pointers */
    /* validators by URL index for --again */
    char **etag;
    char **lastmod;
};

static void print_result(const struct wh_fetch_result *res)
{
    char label[32];
    const char *name =
        res->outcome >= 0 && (size_t)res->outcome < WH_ARRAY_SIZE(outcome_names)
            ? outcome_names[res->outcome]
            : "?";

    printf("RESULT url=%s outcome=%s status=%d len=%zu redirects=%d "
           "retry_after=%ld etag=%s lastmod=%s seconds=%.3f label=%s "
           "final=%s error=%s\n",
           res->url != NULL ? res->url : "-", name, res->status, res->len,
           res->redirects, res->retry_after_s,
           res->etag != NULL ? res->etag : "-",
           res->last_modified != NULL ? "set" : "-", res->seconds,
           wh_fetch_result_label(res, label, sizeof(label)),
           res->final_url != NULL ? res->final_url : "-", res->error);
    fflush(stdout);
}

static void on_result(struct wh_fetch_result *res, void *opaque)
{
    struct run *r = opaque;
    size_t i = *(const size_t *)res->opaque;

    print_result(res);
    if (r->etag != NULL) {
        free(r->etag[i]);
        free(r->lastmod[i]);
        r->etag[i] = res->etag;
        r->lastmod[i] = res->last_modified;
        res->etag = NULL;
        res->last_modified = NULL;
    }
    r->done++;
}

static int usage(void)
{
    fprintf(stderr, "usage: fetch_driver [options] URL... (see the source "
                    "header for the options)\n");
    return 2;
}

int main(int argc, char **argv)
{
    struct wh_fetch_opts opts;
    struct run r;
    struct wh_fetcher *f = NULL;
    const char *allow[16];
    size_t nallow = 0;
    const char *etag = NULL;
    const char *lastmod = NULL;
    int again = 0;
    int sync = 0;
    long deadline_ms = 60000;
    char errstr[512];
    int first_url = argc;
    int nurls;
    int round;
    int i;
    int rc = 0;
    double t0;

    memset(&opts, 0, sizeof(opts));
    memset(&r, 0, sizeof(r));
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (strncmp(a, "--", 2) != 0) {
            first_url = i;
            break;
        }
        if (strcmp(a, "--robots-off") == 0) {
            opts.robots_off = 1;
            continue;
        }
        if (strcmp(a, "--again") == 0) {
            again = 1;
            continue;
        }
        if (strcmp(a, "--sync") == 0) {
            sync = 1;
            continue;
        }
        if (v == NULL) {
            return usage();
        }
        i++;
        if (strcmp(a, "--allow") == 0 && nallow < WH_ARRAY_SIZE(allow)) {
            allow[nallow++] = v;
        } else if (strcmp(a, "--max-bytes") == 0) {
            opts.max_bytes = strtoull(v, NULL, 10);
        } else if (strcmp(a, "--max-decoded") == 0) {
            opts.max_decoded_bytes = strtoull(v, NULL, 10);
        } else if (strcmp(a, "--timeout-ms") == 0) {
            opts.timeout_ms = strtol(v, NULL, 10);
        } else if (strcmp(a, "--connect-timeout-ms") == 0) {
            opts.connect_timeout_ms = strtol(v, NULL, 10);
        } else if (strcmp(a, "--low-speed-limit") == 0) {
            opts.low_speed_limit = strtol(v, NULL, 10);
        } else if (strcmp(a, "--low-speed-time") == 0) {
            opts.low_speed_time_s = strtol(v, NULL, 10);
        } else if (strcmp(a, "--max-per-host") == 0) {
            opts.max_per_host = (int)strtol(v, NULL, 10);
        } else if (strcmp(a, "--max-total") == 0) {
            opts.max_total = (int)strtol(v, NULL, 10);
        } else if (strcmp(a, "--host-delay-ms") == 0) {
            opts.host_delay_ms = strtol(v, NULL, 10);
        } else if (strcmp(a, "--max-redirects") == 0) {
            opts.max_redirects = strtol(v, NULL, 10);
        } else if (strcmp(a, "--user-agent") == 0) {
            opts.user_agent = v;
        } else if (strcmp(a, "--etag") == 0) {
            etag = v;
        } else if (strcmp(a, "--last-modified") == 0) {
            lastmod = v;
        } else if (strcmp(a, "--deadline-ms") == 0) {
            deadline_ms = strtol(v, NULL, 10);
        } else {
            return usage();
        }
    }
    nurls = argc - first_url;
    if (nurls <= 0) {
        return usage();
    }
    if (getenv("WH_FETCH_DEBUG") != NULL) {
        wh_log_set_level(WH_LOG_DEBUG);
    }
    opts.on_result = on_result;
    opts.on_result_opaque = &r;
    r.index = wh_xcalloc((size_t)nurls, sizeof(size_t));
    for (i = 0; i < nurls; i++) {
        r.index[i] = (size_t)i;
    }
    if (again) {
        r.etag = wh_xcalloc((size_t)nurls, sizeof(char *));
        r.lastmod = wh_xcalloc((size_t)nurls, sizeof(char *));
    }
    wh_fetch_global_init();
    f = wh_fetcher_new(&opts);
    for (i = 0; i < (int)nallow; i++) {
        if (wh_fetcher_allow(f, allow[i], errstr, sizeof(errstr)) != WH_OK) {
            fprintf(stderr, "fetch_driver: %s\n", errstr);
            rc = 2;
            goto out;
        }
    }
    t0 = wh_now_s() * 1000.0;
    for (round = 0; round < (again ? 2 : 1); round++) {
        size_t submitted = 0;

        r.done = 0;
        for (i = 0; i < nurls; i++) {
            struct wh_fetch_req req;

            memset(&req, 0, sizeof(req));
            req.url = argv[first_url + i];
            req.opaque = &r.index[i];
            req.etag = round > 0 ? r.etag[i] : etag;
            req.last_modified = round > 0 ? r.lastmod[i] : lastmod;
            if (sync) {
                struct wh_fetch_result res;
                int frc = wh_fetch(f, req.url, 0, &res, errstr, sizeof(errstr));

                printf("SYNC url=%s rc=%d status=%d len=%zu error=%s\n",
                       req.url, frc, res.status, res.len,
                       frc == WH_OK ? "" : errstr);
                wh_fetch_result_free(&res);
                continue;
            }
            if (wh_fetcher_submit(f, &req, errstr, sizeof(errstr)) != WH_OK) {
                printf("SUBMIT-ERROR url=%s error=%s\n", req.url, errstr);
                continue;
            }
            submitted++;
        }
        while (r.done < submitted) {
            if (wh_now_s() * 1000.0 - t0 > (double)deadline_ms) {
                fprintf(stderr,
                        "fetch_driver: deadline: %zu of %zu "
                        "results\n",
                        r.done, submitted);
                rc = 3;
                goto out;
            }
            if (wh_fetcher_run(f, 200) < 0) {
                rc = 3;
                goto out;
            }
        }
    }
out:
    wh_fetcher_free(f);
    wh_fetch_global_cleanup();
    if (r.etag != NULL) {
        for (i = 0; i < nurls; i++) {
            free(r.etag[i]);
            free(r.lastmod[i]);
        }
        free(r.etag);
        free(r.lastmod);
    }
    free(r.index);
    return rc;
}
