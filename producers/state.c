/*
 * state.c - published ids per source, in memory and in append-only files
 * (see state.h).
 *
 * The set holds 64-bit hashes of "source\nid", not the strings: 8 bytes
 * per id, and a false "seen" needs a 64-bit collision.
 */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wh/hash.h"
#include "wh/wh.h"

/* The validators of one document of one source. */
struct val {
    uint64_t source; /* hash of the source URL */
    char *url;
    char *etag; /* NULL when absent */
    char *last_modified;
};

struct wh_state {
    char *dir; /* NULL: memory only */
    struct val *vals;
    size_t nvals;
    uint64_t *slots; /* open addressing; 0 = empty */
    size_t nslots;   /* a power of two */
    size_t count;
    uint64_t *loaded; /* hashes of the sources whose file was read */
    size_t nloaded;
};

struct wh_state *wh_state_open(const char *dir, char *errstr,
                               size_t errstr_size)
{
    struct wh_state *st;
    struct stat sb;

    if (dir != NULL) {
        if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
            snprintf(errstr, errstr_size, "state dir %s: %s", dir,
                     strerror(errno));
            return NULL;
        }
        if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            snprintf(errstr, errstr_size, "state dir %s: not a directory", dir);
            return NULL;
        }
        if (access(dir, W_OK | X_OK) != 0) {
            snprintf(errstr, errstr_size, "state dir %s: %s", dir,
                     strerror(errno));
            return NULL;
        }
    }
    st = wh_xcalloc(1, sizeof(*st));
    st->dir = dir != NULL ? wh_xstrdup(dir) : NULL;
    st->nslots = 1024;
    st->slots = wh_xcalloc(st->nslots, sizeof(*st->slots));
    return st;
}

static void val_clear(struct val *v)
{
    free(v->url);
    free(v->etag);
    free(v->last_modified);
}

void wh_state_close(struct wh_state *st)
{
    size_t i;

    if (st == NULL) {
        return;
    }
    for (i = 0; i < st->nvals; i++) {
        val_clear(&st->vals[i]);
    }
    free(st->vals);
    free(st->dir);
    free(st->slots);
    free(st->loaded);
    free(st);
}

size_t wh_state_count(const struct wh_state *st)
{
    return st != NULL ? st->count : 0;
}

/* Ids are stored one per line: line breaks inside one become blanks, in
 * the file and in the hash alike. */
static char *clean_id(const char *id)
{
    char *s = wh_xstrdup(id);
    char *p;

    for (p = s; *p != '\0'; p++) {
        if (*p == '\n' || *p == '\r') {
            *p = ' ';
        }
    }
    return s;
}

static uint64_t key_of(const char *source, const char *id)
{
    char *k = wh_xasprintf("%s\n%s", source, id);
    uint64_t h = wh_hash64(k, strlen(k));

    free(k);
    return h != 0 ? h : 1;
}

/* Inserts h; returns 1 when it was new. */
static int set_add(struct wh_state *st, uint64_t h)
{
    size_t i;

    if ((st->count + 1) * 4 > st->nslots * 3) {
        uint64_t *old = st->slots;
        size_t nold = st->nslots;
        size_t j;

        st->nslots *= 2;
        st->slots = wh_xcalloc(st->nslots, sizeof(*st->slots));
        st->count = 0;
        for (j = 0; j < nold; j++) {
            if (old[j] != 0) {
                (void)set_add(st, old[j]);
            }
        }
        free(old);
    }
    for (i = (size_t)h & (st->nslots - 1); st->slots[i] != 0;
         i = (i + 1) & (st->nslots - 1)) {
        if (st->slots[i] == h) {
            return 0;
        }
    }
    st->slots[i] = h;
    st->count++;
    return 1;
}

static int set_has(const struct wh_state *st, uint64_t h)
{
    size_t i;

    for (i = (size_t)h & (st->nslots - 1); st->slots[i] != 0;
         i = (i + 1) & (st->nslots - 1)) {
        if (st->slots[i] == h) {
            return 1;
        }
    }
    return 0;
}

/* The path of a state file of source: ext is "ids", "val" or "skip". */
static char *file_of(const struct wh_state *st, const char *source,
                     const char *ext)
{
    char hex[17];

    wh_hash64_hex(wh_hash64(source, strlen(source)), hex);
    return wh_xasprintf("%s/%s.%s", st->dir, hex, ext);
}

/* A field of a .val line: NULL for "-". */
static char *val_field(const char *s, size_t n)
{
    if (n == 0 || (n == 1 && s[0] == '-')) {
        return NULL;
    }
    return wh_xstrndup(s, n);
}

static void add_val(struct wh_state *st, uint64_t source, char *url, char *etag,
                    char *last_modified)
{
    struct val *v;

    st->vals = wh_xrealloc(st->vals, (st->nvals + 1) * sizeof(*st->vals));
    v = &st->vals[st->nvals++];
    v->source = source;
    v->url = url;
    v->etag = etag;
    v->last_modified = last_modified;
}

/* The lines of one of the source's files (ext: "ids", "val", "skip"),
 * each split at its first nmax - 1 tabs (the last field keeps the rest of
 * the line), handed to fn with the number of fields. A missing file has
 * no lines. */
#define STATE_FIELDS_MAX 4

typedef void each_line_fn(struct wh_state *st, const char *source, uint64_t sh,
                          char **f, int nf);

static void each_line(struct wh_state *st, const char *source, uint64_t sh,
                      const char *ext, int nmax, each_line_fn *fn)
{
    char *path = file_of(st, source, ext);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    FILE *fp = fopen(path, "re");

    free(path);
    if (fp == NULL) {
        return;
    }
    while ((n = getline(&line, &cap, fp)) > 0) {
        char *f[STATE_FIELDS_MAX];
        char *p = line;
        int nf = 1;

        if (line[n - 1] == '\n') {
            line[--n] = '\0';
        }
        f[0] = line;
        while (nf < nmax && nf < STATE_FIELDS_MAX &&
               (p = strchr(p, '\t')) != NULL) {
            *p++ = '\0';
            f[nf++] = p;
        }
        fn(st, source, sh, f, nf);
    }
    free(line);
    fclose(fp);
}

/* A "url TAB etag TAB last-modified" line of the source's .val. */
static void val_line(struct wh_state *st, const char *source, uint64_t sh,
                     char **f, int nf)
{
    (void)source;
    if (nf != 3 || f[0][0] == '\0') {
        return;
    }
    add_val(st, sh, wh_xstrdup(f[0]), val_field(f[1], strlen(f[1])),
            val_field(f[2], strlen(f[2])));
}

/* The set key of a skipped version of an item: no published id can have
 * the same key, as ids hold no line break. */
static uint64_t skip_key(const char *source, const char *id, const char *link,
                         const char *date)
{
    char *k =
        wh_xasprintf("\x01skip\n%s\n%s\n%s", id, link != NULL ? link : "-",
                     date != NULL ? date : "-");
    uint64_t h = key_of(source, k);

    free(k);
    return h;
}

/* A field of a .skip line as written: "-" for none, line breaks and tabs
 * blanked (as clean_id() does for ids, so that reading it back gives the
 * same key). */
static char *skip_field(const char *s)
{
    char *f;
    char *p;

    if (s == NULL || s[0] == '\0') {
        return wh_xstrdup("-");
    }
    f = wh_xstrdup(s);
    for (p = f; *p != '\0'; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t') {
            *p = ' ';
        }
    }
    return f;
}

/* A "reason TAB id TAB link TAB date" line of the source's .skip. */
static void skip_line(struct wh_state *st, const char *source, uint64_t sh,
                      char **f, int nf)
{
    (void)sh;
    if (nf != 4 || f[1][0] == '\0' || strchr(f[3], '\t') != NULL) {
        return; /* torn or foreign line */
    }
    (void)set_add(st,
                  skip_key(source, f[1], strcmp(f[2], "-") != 0 ? f[2] : NULL,
                           strcmp(f[3], "-") != 0 ? f[3] : NULL));
}

/* A line of the source's .ids: a published id, whole (ids hold no line
 * break, see clean_id(); a tab is part of the id). */
static void id_line(struct wh_state *st, const char *source, uint64_t sh,
                    char **f, int nf)
{
    (void)sh;
    (void)nf;
    if (f[0][0] != '\0') {
        (void)set_add(st, key_of(source, f[0]));
    }
}

/* Reads the source's files once. A missing file is an empty state; an
 * unreadable one is logged by the caller's next write failing. */
static void load_source(struct wh_state *st, const char *source)
{
    uint64_t sh = wh_hash64(source, strlen(source));
    size_t i;

    for (i = 0; i < st->nloaded; i++) {
        if (st->loaded[i] == sh) {
            return;
        }
    }
    st->loaded =
        wh_xrealloc(st->loaded, (st->nloaded + 1) * sizeof(*st->loaded));
    st->loaded[st->nloaded++] = sh;
    if (st->dir == NULL) {
        return;
    }
    each_line(st, source, sh, "val", 3, val_line);
    each_line(st, source, sh, "skip", 4, skip_line);
    each_line(st, source, sh, "ids", 1, id_line);
}

int wh_state_seen(struct wh_state *st, const char *source, const char *id)
{
    char *clean;
    int seen;

    load_source(st, source);
    clean = clean_id(id);
    seen = set_has(st, key_of(source, clean));
    free(clean);
    return seen;
}

int wh_state_mark(struct wh_state *st, const char *source, const char *id,
                  char *errstr, size_t errstr_size)
{
    char *clean;
    char *path = NULL;
    FILE *fp = NULL;
    int rc = WH_OK;

    load_source(st, source);
    clean = clean_id(id);
    if (!set_add(st, key_of(source, clean)) || st->dir == NULL ||
        clean[0] == '\0') {
        goto out;
    }
    path = file_of(st, source, "ids");
    fp = fopen(path, "ae");
    if (fp == NULL || fprintf(fp, "%s\n", clean) < 0 || fflush(fp) != 0) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        rc = WH_EIO;
    }
out:
    if (fp != NULL && fclose(fp) != 0 && rc == WH_OK) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        rc = WH_EIO;
    }
    free(path);
    free(clean);
    return rc;
}

int wh_state_skipped(struct wh_state *st, const char *source, const char *id,
                     const char *link, const char *date)
{
    char *fid;
    char *flink;
    char *fdate;
    int skipped;

    load_source(st, source);
    fid = skip_field(id);
    flink = skip_field(link);
    fdate = skip_field(date);
    skipped = set_has(st, skip_key(source, fid,
                                   strcmp(flink, "-") != 0 ? flink : NULL,
                                   strcmp(fdate, "-") != 0 ? fdate : NULL));
    free(fid);
    free(flink);
    free(fdate);
    return skipped;
}

int wh_state_skip(struct wh_state *st, const char *source, const char *id,
                  const char *link, const char *date, const char *reason,
                  char *errstr, size_t errstr_size)
{
    char *f[4];
    char *path = NULL;
    FILE *fp = NULL;
    int rc = WH_OK;
    int i;

    load_source(st, source);
    f[0] = skip_field(reason);
    f[1] = skip_field(id);
    f[2] = skip_field(link);
    f[3] = skip_field(date);
    if (!set_add(st,
                 skip_key(source, f[1], strcmp(f[2], "-") != 0 ? f[2] : NULL,
                          strcmp(f[3], "-") != 0 ? f[3] : NULL)) ||
        st->dir == NULL) {
        goto out;
    }
    path = file_of(st, source, "skip");
    fp = fopen(path, "ae");
    if (fp == NULL ||
        fprintf(fp, "%s\t%s\t%s\t%s\n", f[0], f[1], f[2], f[3]) < 0 ||
        fflush(fp) != 0) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        rc = WH_EIO;
    }
out:
    if (fp != NULL && fclose(fp) != 0 && rc == WH_OK) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        rc = WH_EIO;
    }
    free(path);
    for (i = 0; i < 4; i++) {
        free(f[i]);
    }
    return rc;
}

static struct val *find_val(struct wh_state *st, uint64_t sh, const char *url)
{
    size_t i;

    for (i = 0; i < st->nvals; i++) {
        if (st->vals[i].source == sh && strcmp(st->vals[i].url, url) == 0) {
            return &st->vals[i];
        }
    }
    return NULL;
}

void wh_state_validators(struct wh_state *st, const char *source,
                         const char *url, const char **etag,
                         const char **last_modified)
{
    const struct val *v;

    load_source(st, source);
    v = find_val(st, wh_hash64(source, strlen(source)), url);
    *etag = v != NULL ? v->etag : NULL;
    *last_modified = v != NULL ? v->last_modified : NULL;
}

/* A value as written in a .val field: tabs and line breaks blanked, "-"
 * for none. */
static void put_field(FILE *fp, const char *s)
{
    if (s == NULL || s[0] == '\0') {
        fputc('-', fp);
        return;
    }
    for (; *s != '\0'; s++) {
        fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, fp);
    }
}

/* Rewrites the source's .val file in place: write, then cut to the new
 * length. Not write-to-temporary-then-rename: on ext4 every rename frees
 * an inode and every temporary allocates one, and with thousands of
 * sources rewritten within seconds the inode allocator's scan for
 * inodes not recently freed made these two calls most of the producer's
 * CPU time (bench/fetch). A crash in the middle leaves a torn file,
 * which is safe: unparsable lines are skipped, a missing or wrong
 * validator only makes the next poll a full download (the ids already
 * published are in the .ids file), a torn interval is ignored. */
static int save_vals(struct wh_state *st, const char *source, char *errstr,
                     size_t errstr_size)
{
    uint64_t sh = wh_hash64(source, strlen(source));
    char *path;
    FILE *fp = NULL;
    size_t i;
    long len;
    int fd;
    int rc = WH_OK;

    if (st->dir == NULL) {
        return WH_OK;
    }
    path = file_of(st, source, "val");
    fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
    if (fd >= 0) {
        fp = fdopen(fd, "w");
        if (fp == NULL) {
            close(fd);
        }
    }
    if (fp == NULL) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        rc = WH_EIO;
        goto out;
    }
    for (i = 0; i < st->nvals; i++) {
        if (st->vals[i].source != sh) {
            continue;
        }
        put_field(fp, st->vals[i].url);
        fputc('\t', fp);
        put_field(fp, st->vals[i].etag);
        fputc('\t', fp);
        put_field(fp, st->vals[i].last_modified);
        fputc('\n', fp);
    }
    len = ftell(fp);
    if (fflush(fp) != 0 || ferror(fp) || len < 0 ||
        ftruncate(fileno(fp), (off_t)len) != 0) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        rc = WH_EIO;
    }
    if (fclose(fp) != 0 && rc == WH_OK) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        rc = WH_EIO;
    }
out:
    free(path);
    return rc;
}

static void remove_val(struct wh_state *st, struct val *v)
{
    size_t i = (size_t)(v - st->vals);

    val_clear(v);
    memmove(&st->vals[i], &st->vals[i + 1],
            (st->nvals - i - 1) * sizeof(*st->vals));
    st->nvals--;
}

int wh_state_set_validators(struct wh_state *st, const char *source,
                            const char *url, const char *etag,
                            const char *last_modified, char *errstr,
                            size_t errstr_size)
{
    uint64_t sh = wh_hash64(source, strlen(source));
    struct val *v;
    int had = 0;

    load_source(st, source);
    v = find_val(st, sh, url);
    if (v != NULL) {
        if ((v->etag == NULL) == (etag == NULL) &&
            (etag == NULL || strcmp(v->etag, etag) == 0) &&
            (v->last_modified == NULL) == (last_modified == NULL) &&
            (last_modified == NULL ||
             strcmp(v->last_modified, last_modified) == 0)) {
            return WH_OK; /* unchanged: no rewrite */
        }
        remove_val(st, v);
        had = 1;
    }
    if (etag != NULL || last_modified != NULL) {
        add_val(st, sh, wh_xstrdup(url), etag != NULL ? wh_xstrdup(etag) : NULL,
                last_modified != NULL ? wh_xstrdup(last_modified) : NULL);
    } else if (!had) {
        return WH_OK;
    }
    return save_vals(st, source, errstr, errstr_size);
}

int wh_state_forget_validators(struct wh_state *st, const char *source,
                               char *errstr, size_t errstr_size)
{
    uint64_t sh = wh_hash64(source, strlen(source));
    size_t i = 0;
    int found = 0;

    load_source(st, source);
    while (i < st->nvals) {
        if (st->vals[i].source == sh) {
            remove_val(st, &st->vals[i]);
            found = 1;
        } else {
            i++;
        }
    }
    return found ? save_vals(st, source, errstr, errstr_size) : WH_OK;
}

/* The interval is kept as the validators of a pseudo-document whose name
 * no URL can have. */
#define INTERVAL_DOC "@interval"

long long wh_state_interval(struct wh_state *st, const char *source)
{
    const char *etag;
    const char *last_modified;
    char *end;
    long long ms;

    wh_state_validators(st, source, INTERVAL_DOC, &etag, &last_modified);
    if (etag == NULL) {
        return 0;
    }
    ms = strtoll(etag, &end, 10);
    return *end == '\0' && ms > 0 ? ms : 0;
}

int wh_state_set_interval(struct wh_state *st, const char *source, long long ms,
                          char *errstr, size_t errstr_size)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%lld", ms);
    return wh_state_set_validators(st, source, INTERVAL_DOC, buf, NULL, errstr,
                                   errstr_size);
}
