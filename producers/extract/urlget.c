/*
 * urlget.c - fetch one page for wirehose-extract, with libcurl loaded only
 * when a URL is given.
 *
 * Linking libcurl costs every process start ~14 ms (the loader maps it and
 * its TLS stack), which would dwarf a one-page extraction of ~2 ms; most
 * runs read saved files. So the CLI opens libcurl with dlopen() on first
 * use instead. The daemon (wirehose-producer) links libcurl normally and
 * has the full fetcher with its SSRF guard; this is a user's one-shot tool
 * fetching the URL the user typed.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "urlget.h"
#include "wh/buf.h"
#include "wh/wh.h"

struct curl_api {
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    const char *(*easy_strerror)(CURLcode);
    void (*easy_cleanup)(CURL *);
};

/* dlsym() returns an object pointer; POSIX guarantees it can be stored
 * into a function pointer this way. */
static int sym(void *lib, const char *name, void *fnp)
{
    void *p = dlsym(lib, name);

    if (p == NULL) {
        return -1;
    }
    memcpy(fnp, &p, sizeof(p));
    return 0;
}

static void *load(struct curl_api *api, char *errstr, size_t errstr_size)
{
    void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);

    if (lib == NULL) {
        snprintf(errstr, errstr_size, "cannot load libcurl: %s", dlerror());
        return NULL;
    }
    if (sym(lib, "curl_easy_init", &api->easy_init) < 0 ||
        sym(lib, "curl_easy_setopt", &api->easy_setopt) < 0 ||
        sym(lib, "curl_easy_perform", &api->easy_perform) < 0 ||
        sym(lib, "curl_easy_getinfo", &api->easy_getinfo) < 0 ||
        sym(lib, "curl_easy_strerror", &api->easy_strerror) < 0 ||
        sym(lib, "curl_easy_cleanup", &api->easy_cleanup) < 0) {
        snprintf(errstr, errstr_size, "libcurl lacks a symbol: %s", dlerror());
        dlclose(lib);
        return NULL;
    }
    return lib;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct wh_buf *b = userdata;

    /* past the maximum: returning less than given aborts the transfer */
    if (wh_buf_append(b, ptr, size * nmemb) != WH_OK) {
        return 0;
    }
    return size * nmemb;
}

char *wh_urlget(const char *url, size_t max, size_t *len,
                struct wh_urlget_info *info, char *errstr, size_t errstr_size)
{
    struct curl_api api;
    struct wh_buf b;
    void *lib;
    CURL *curl;
    CURLcode rc;
    long status = 0;
    char *ctype = NULL;
    char *final = NULL;
    char *data = NULL;

    memset(info, 0, sizeof(*info));
    lib = load(&api, errstr, errstr_size);
    if (lib == NULL) {
        return NULL;
    }
    curl = api.easy_init();
    if (curl == NULL) {
        snprintf(errstr, errstr_size, "curl_easy_init failed");
        dlclose(lib);
        return NULL;
    }
    wh_buf_init(&b, max);
    api.easy_setopt(curl, CURLOPT_URL, url);
    api.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    api.easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    api.easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    api.easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
    api.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    api.easy_setopt(curl, CURLOPT_TIMEOUT_MS, 30000L);
    api.easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
    api.easy_setopt(curl, CURLOPT_USERAGENT, "wirehose-extract/" WH_VERSION);
    api.easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
    api.easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    api.easy_setopt(curl, CURLOPT_WRITEDATA, &b);
    api.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    rc = api.easy_perform(curl);
    if (rc != CURLE_OK) {
        if (rc == CURLE_WRITE_ERROR || rc == CURLE_FILESIZE_EXCEEDED) {
            snprintf(errstr, errstr_size, "page larger than %zu bytes", max);
        } else {
            snprintf(errstr, errstr_size, "%s", api.easy_strerror(rc));
        }
        goto out;
    }
    api.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    info->status = status;
    if (status < 200 || status > 299) {
        snprintf(errstr, errstr_size, "HTTP status %ld", status);
        goto out;
    }
    if (api.easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ctype) == CURLE_OK &&
        ctype != NULL) {
        info->content_type = wh_xstrdup(ctype);
    }
    if (api.easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &final) == CURLE_OK &&
        final != NULL) {
        info->final_url = wh_xstrdup(final);
    }
    *len = b.len;
    data = wh_buf_steal(&b);
out:
    wh_buf_free(&b);
    api.easy_cleanup(curl);
    dlclose(lib);
    return data;
}

void wh_urlget_info_clear(struct wh_urlget_info *info)
{
    free(info->content_type);
    free(info->final_url);
    memset(info, 0, sizeof(*info));
}
