/*
 * jsonl.c - the JSONL sink: one record per line, appended to a file
 * ("jsonl:PATH") or written to standard output ("jsonl:-").
 *
 * process() only appends the line to a buffer (written out early when it
 * grows past a threshold); flush() writes what is left and fsyncs, and only
 * then may the consumer store the offsets the lines cover. A write that
 * fails (disk full, ...) keeps the unwritten bytes and is retried from
 * where it stopped, so no line is ever half-duplicated. A failed fsync is
 * fatal: after one, Linux may have dropped the dirty pages, and a later
 * fsync would report success for data that is gone.
 *
 * A file is locked (flock) so two consumers cannot interleave lines in it,
 * and a partial last line left by a crash is cut off at start-up: its
 * record was never acknowledged, so it will be consumed and written again.
 *
 * fsync policy (jsonl.fsync): "batch" (default) fsyncs at every flush(),
 * before the offsets are stored; "always" also writes and fsyncs each
 * record in process(); "never" does not fsync at flush() - unsafe: after a
 * power loss (not a crash of the process) the stored offsets may pass
 * lines that never reached the disk, and those records are lost.
 *
 * Rotation (regular files only): the current file is closed and renamed
 * PATH.YYYYmmddTHHMMSSZ (UTC, the time of the rotation; .1, .2, ... added
 * when that name exists) when the next line would take it past
 * jsonl.max_bytes (a line longer than that goes alone into a file), and
 * when it is jsonl.max_age_s old, counted from its first line (its birth
 * time, or its mtime, for a file found at start-up). Age is checked when a
 * record arrives, at every flush() and at start-up, so an idle sink
 * rotates with its next record. A rotation writes out and fsyncs the file
 * (whatever the policy), renames it without ever replacing a file, creates
 * the new PATH and fsyncs the directory, so after a crash every line is
 * in exactly one of the files.
 *
 * Effectively-once: the sink never appends a line it already holds. It
 * keeps the 64-bit XXH3 of every line of the current file and of its
 * rotated files (read back at start-up) with the file it came from, 12
 * bytes a slot in a table kept 44 to 88 % full (14 to 27 bytes a line),
 * and a record whose serialized line is byte for byte one of them is
 * skipped (WH_DROP: acknowledged, not written). What it holds is bounded
 * by a window, jsonl.window_s (default 30 days; 0: every file, as
 * before): the lines of a file rotated longer ago than that are
 * forgotten - not read at start-up, and dropped from the table (rebuilt
 * without them) when their file leaves the window while the sink runs -
 * so memory follows the lines written in the last window. That needs
 * rotation (jsonl.max_age_s or jsonl.max_bytes): the current file is
 * always held whole. So replaying a topic through the same stages leaves the
 * files as they were, while a replay after an enrichment change (another
 * version of an enricher, another configuration) writes the records whose
 * line changed, beside their old lines: that is what one replays for.
 * Within the window, that is: a record replayed whose line is only in a
 * file rotated out of the window is written again. Caveats: the set covers the
 * files PATH and PATH.<time>[.N] only, so a rotated file compressed, moved or
 * deleted no longer counts; hashes are not verified against the bytes, so two
 * different lines with the same 64-bit hash would drop the second one - about
 * n^2 / 2^65 for n lines held (3e-8 for a million lines, 3e-4 for a hundred
 * million). Standard output and other non-regular files (pipes, devices)
 * neither rotate nor skip: what they hold cannot be read back.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include "stage.h"
#include "wh/buf.h"
#include "wh/config.h"
#include "wh/log.h"
#include "wh/record.h"
#include "wh/wh.h"

#define TAG "sink:jsonl"

/* Bytes buffered before process() writes them out (still no fsync). */
#define JSONL_WRITE_AT ((size_t)1 << 20)
/* Most bytes buffered while writes fail; past it process() says RETRY. */
#define JSONL_BUF_MAX ((size_t)64 << 20)
/* Read size of the start-up scan. */
#define JSONL_SCAN_BLOCK ((size_t)1 << 20)
/* First size of the line-hash table (slots, a power of two). */
#define JSONL_SET_MIN 1024
/* Most ".N" suffixes tried for a rotated name taken in the same second. */
#define JSONL_MAX_SUFFIX 100000
/* "YYYYmmddTHHMMSSZ" */
#define JSONL_STAMP_LEN 16

enum jsonl_fsync { FSYNC_BATCH, FSYNC_ALWAYS, FSYNC_NEVER };

/* The hashes of the lines held: open addressing, linear probing, 0 marks
 * an empty slot (a hash of 0 is stored as 1). gens[i] is the generation
 * of the file slots[i] was last seen in: files get growing generations in
 * the order they were rotated, the current file the newest. */
struct line_set {
    uint64_t *slots;
    uint32_t *gens;
    size_t cap; /* a power of two, or 0 before the first insert */
    size_t len;
};

/* A rotated file whose lines are held: they are forgotten at until. */
struct held_file {
    uint32_t gen;
    time_t until;
};

struct jsonl {
    char *path;
    int fd;              /* -1: the current file must be (re)created */
    int is_reg;          /* a regular file: fsync, rotate, skip */
    struct wh_buf buf;   /* lines not yet known to be written */
    size_t off;          /* bytes of buf already written */
    off_t size;          /* bytes written to the current file */
    time_t born;         /* its first line; 0 while it is empty */
    long long max_bytes; /* 0: no rotation by size */
    long long max_age_s; /* 0: no rotation by age */
    enum jsonl_fsync fsync;
    long long window_s; /* 0: rotated files are held forever */
    struct line_set set;
    uint32_t gen;           /* generation of the current file */
    struct held_file *held; /* rotated files held, oldest first */
    size_t nheld;
    size_t capheld;
    unsigned long long n_written;
    unsigned long long n_skipped;
    unsigned long long n_rotated;
};

static uint64_t line_hash(const void *data, size_t len)
{
    uint64_t h = (uint64_t)XXH3_64bits(data, len);

    return h != 0 ? h : 1;
}

/* Rebuilds the table with cap slots, keeping the entries of generation
 * min_gen or newer. */
static void set_rebuild(struct line_set *s, size_t cap, uint32_t min_gen)
{
    uint64_t *slots = wh_xcalloc(cap, sizeof(*slots));
    uint32_t *gens = wh_xcalloc(cap, sizeof(*gens));
    size_t len = 0;
    size_t i;

    for (i = 0; i < s->cap; i++) {
        uint64_t h = s->slots[i];
        size_t j;

        if (h == 0 || s->gens[i] < min_gen) {
            continue;
        }
        j = (size_t)h & (cap - 1);
        while (slots[j] != 0) {
            j = (j + 1) & (cap - 1);
        }
        slots[j] = h;
        gens[j] = s->gens[i];
        len++;
    }
    free(s->slots);
    free(s->gens);
    s->slots = slots;
    s->gens = gens;
    s->cap = cap;
    s->len = len;
}

/* Adds h, seen in a file of generation gen; returns 1 when it was there
 * already (its generation is then the newer of the two), 0 when added. */
static int set_add(struct line_set *s, uint64_t h, uint32_t gen)
{
    size_t j;

    if ((s->len + 1) * 8 > s->cap * 7) {
        set_rebuild(s, s->cap != 0 ? s->cap * 2 : JSONL_SET_MIN, 0);
    }
    for (j = (size_t)h & (s->cap - 1); s->slots[j] != 0;
         j = (j + 1) & (s->cap - 1)) {
        if (s->slots[j] == h) {
            if (s->gens[j] < gen) {
                s->gens[j] = gen;
            }
            return 1;
        }
    }
    s->slots[j] = h;
    s->gens[j] = gen;
    s->len++;
    return 0;
}

static int set_has(const struct line_set *s, uint64_t h)
{
    size_t j;

    if (s->cap == 0) {
        return 0;
    }
    for (j = (size_t)h & (s->cap - 1); s->slots[j] != 0;
         j = (j + 1) & (s->cap - 1)) {
        if (s->slots[j] == h) {
            return 1;
        }
    }
    return 0;
}

/* Forgets the lines of the rotated files whose time is past (those
 * rotated more than the window ago): the table is rebuilt without them,
 * at the size of what is left. */
static void forget_expired(struct jsonl *ctx, time_t now)
{
    size_t k = 0;
    size_t i;
    size_t cap = JSONL_SET_MIN;
    size_t before = ctx->set.len;
    uint32_t min_gen;

    while (k < ctx->nheld && ctx->held[k].until <= now) {
        k++;
    }
    if (k == 0) {
        return;
    }
    min_gen = k < ctx->nheld ? ctx->held[k].gen : ctx->gen;
    for (i = k; i < ctx->nheld; i++) {
        ctx->held[i - k] = ctx->held[i];
    }
    ctx->nheld -= k;
    /* a table of the same size first (the survivors fit), then one sized
     * for them */
    set_rebuild(&ctx->set, ctx->set.cap, min_gen);
    while ((ctx->set.len + 1) * 16 > cap * 7) {
        cap *= 2;
    }
    if (cap < ctx->set.cap) {
        set_rebuild(&ctx->set, cap, 0);
    }
    wh_info(TAG,
            "%s: %zu rotated file(s) left jsonl.window_s: %zu line(s) "
            "forgotten, %zu held",
            ctx->path, k, before - ctx->set.len, ctx->set.len);
}

/* Holds the lines of the file of generation gen rotated at rotated_at
 * (for the window). */
static void hold_file(struct jsonl *ctx, uint32_t gen, time_t rotated_at)
{
    if (ctx->window_s <= 0) {
        return;
    }
    if (ctx->nheld == ctx->capheld) {
        ctx->capheld = ctx->capheld ? ctx->capheld * 2 : 16;
        ctx->held = wh_xrealloc(ctx->held, ctx->capheld * sizeof(*ctx->held));
    }
    ctx->held[ctx->nheld].gen = gen;
    ctx->held[ctx->nheld].until = rotated_at + (time_t)ctx->window_s;
    ctx->nheld++;
}

/* The directory part of path ("." when none), newly allocated. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL) {
        return wh_xstrdup(".");
    }
    if (slash == path) {
        return wh_xstrdup("/");
    }
    return wh_xstrndup(path, (size_t)(slash - path));
}

/* Cuts a partial last line (no trailing newline) off the file: rfd reads
 * it, wfd truncates it. */
static int trim_partial_line(struct jsonl *ctx, int rfd, int wfd, off_t size,
                             char *errstr, size_t errstr_size)
{
    char block[4096];
    off_t end = size;

    while (end > 0) {
        size_t n = end < (off_t)sizeof(block) ? (size_t)end : sizeof(block);
        off_t at = end - (off_t)n;
        ssize_t r = pread(rfd, block, n, at);
        size_t i;

        if (r != (ssize_t)n) {
            snprintf(errstr, errstr_size, "%s: read: %s", ctx->path,
                     r < 0 ? strerror(errno) : "short read");
            return WH_EIO;
        }
        if (end == size && block[n - 1] == '\n') {
            return WH_OK;
        }
        for (i = n; i > 0; i--) {
            if (block[i - 1] == '\n') {
                break;
            }
        }
        if (i > 0) {
            end = at + (off_t)i;
            break;
        }
        end = at;
    }
    if (ftruncate(wfd, end) != 0) {
        snprintf(errstr, errstr_size, "%s: truncate: %s", ctx->path,
                 strerror(errno));
        return WH_EIO;
    }
    wh_warn(TAG,
            "%s: cut a partial last line (%lld bytes) left by an "
            "earlier crash; its record will be written again",
            ctx->path, (long long)(size - end));
    return WH_OK;
}

/* fsyncs the directory holding path, so a file created or renamed there
 * survives a crash. */
static int sync_parent_dir(const char *path, char *errstr, size_t errstr_size)
{
    char *dir = dir_of(path);
    int dfd;
    int rc = WH_OK;

    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) != 0) {
        snprintf(errstr, errstr_size, "%s: %s", dir, strerror(errno));
        rc = WH_EIO;
    }
    if (dfd >= 0) {
        close(dfd);
    }
    free(dir);
    return rc;
}

/* Adds the hash of every complete line of the file open on fd (name for
 * messages) to the set, reading it from the start. Returns WH_OK or WH_EIO
 * with errstr filled; *nlines gets the number of lines. */
static int scan_lines(struct jsonl *ctx, int fd, const char *name,
                      unsigned long long *nlines, char *errstr,
                      size_t errstr_size)
{
    char *block = wh_xmalloc(JSONL_SCAN_BLOCK);
    XXH3_state_t *st = XXH3_createState();
    int partial = 0; /* st holds the start of a line */
    size_t partial_len = 0;
    off_t at = 0;
    int rc = WH_OK;

    WH_ASSERT(st != NULL);
    *nlines = 0;
    for (;;) {
        ssize_t r = pread(fd, block, JSONL_SCAN_BLOCK, at);
        size_t start = 0;

        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            snprintf(errstr, errstr_size, "%s: read: %s", name,
                     strerror(errno));
            rc = WH_EIO;
            goto out;
        }
        if (r == 0) {
            break;
        }
        at += r;
        for (;;) {
            const char *nl = memchr(block + start, '\n', (size_t)r - start);
            size_t i;
            uint64_t h;

            if (nl == NULL) {
                break;
            }
            i = (size_t)(nl - block);
            if (partial) {
                XXH3_64bits_update(st, block + start, i - start);
                h = (uint64_t)XXH3_64bits_digest(st);
                h = h != 0 ? h : 1;
                partial_len += i - start;
                partial = 0;
            } else {
                h = line_hash(block + start, i - start);
                partial_len = i - start;
            }
            if (partial_len > 0) {
                (void)set_add(&ctx->set, h, ctx->gen);
                (*nlines)++;
            }
            start = i + 1;
        }
        if (start < (size_t)r) {
            if (!partial) {
                XXH3_64bits_reset(st);
                partial = 1;
                partial_len = 0;
            }
            XXH3_64bits_update(st, block + start, (size_t)r - start);
            partial_len += (size_t)r - start;
        }
    }
    if (partial) {
        wh_warn(TAG,
                "%s: the last line has no newline; not counted as "
                "held",
                name);
    }
out:
    XXH3_freeState(st);
    free(block);
    return rc;
}

/* Non-zero when name is base followed by ".YYYYmmddTHHMMSSZ" and an
 * optional ".N": a file this sink rotated. */
static int is_rotated_name(const char *name, const char *base)
{
    static const char shape[] = "ddddddddTddddddZ"; /* d: a digit */
    size_t blen = strlen(base);
    const char *p;
    size_t i;

    if (strncmp(name, base, blen) != 0 || name[blen] != '.') {
        return 0;
    }
    p = name + blen + 1;
    for (i = 0; i < JSONL_STAMP_LEN; i++) {
        if (shape[i] == 'd' ? (p[i] < '0' || p[i] > '9') : p[i] != shape[i]) {
            return 0;
        }
    }
    p += JSONL_STAMP_LEN;
    if (*p == '\0') {
        return 1;
    }
    if (*p != '.' || p[1] == '\0') {
        return 0;
    }
    for (p++; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            return 0;
        }
    }
    return 1;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The rotation time in a rotated file's name (after "base."). */
static time_t rotated_at(const char *name, size_t blen)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    if (strptime(name + blen + 1, "%Y%m%dT%H%M%SZ", &tm) == NULL) {
        return 0;
    }
    return timegm(&tm);
}

/* Reads the lines of the rotated files of the sink into the set, oldest
 * first, each file a generation; files rotated longer ago than the window
 * are not read. Runs before the current file's scan. */
static int scan_rotated(struct jsonl *ctx, char *errstr, size_t errstr_size)
{
    char *dir = dir_of(ctx->path);
    const char *slash = strrchr(ctx->path, '/');
    const char *base = slash != NULL ? slash + 1 : ctx->path;
    unsigned long long files = 0;
    unsigned long long lines = 0;
    unsigned long long skipped = 0;
    char **names = NULL;
    size_t nnames = 0;
    size_t cap = 0;
    struct dirent *de;
    time_t now = time(NULL);
    size_t i;
    DIR *d;
    int rc = WH_OK;

    d = opendir(dir);
    if (d == NULL) {
        snprintf(errstr, errstr_size, "%s: %s", dir, strerror(errno));
        free(dir);
        return WH_EIO;
    }
    while ((errno = 0, de = readdir(d)) != NULL) {
        if (!is_rotated_name(de->d_name, base)) {
            continue;
        }
        if (nnames == cap) {
            cap = cap ? cap * 2 : 16;
            names = wh_xrealloc(names, cap * sizeof(*names));
        }
        names[nnames++] = wh_xstrdup(de->d_name);
    }
    if (errno != 0) {
        snprintf(errstr, errstr_size, "%s: %s", dir, strerror(errno));
        rc = WH_EIO;
    }
    closedir(d);
    if (nnames > 1) {
        qsort(names, nnames, sizeof(*names), cmp_names);
    }
    for (i = 0; rc == WH_OK && i < nnames; i++) {
        time_t at = rotated_at(names[i], strlen(base));
        unsigned long long n = 0;
        char *name;
        int fd;

        if (ctx->window_s > 0 && at + (time_t)ctx->window_s <= now) {
            skipped++;
            continue;
        }
        name = wh_xasprintf("%s/%s", dir, names[i]);
        fd = open(name, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            snprintf(errstr, errstr_size,
                     "%s: %s (a rotated file of this "
                     "sink: its lines must be known so that none is "
                     "written twice)",
                     name, strerror(errno));
            rc = WH_EIO;
        } else {
            rc = scan_lines(ctx, fd, name, &n, errstr, errstr_size);
            close(fd);
            hold_file(ctx, ctx->gen, at);
            ctx->gen++;
        }
        free(name);
        files++;
        lines += n;
    }
    for (i = 0; i < nnames; i++) {
        free(names[i]);
    }
    free(names);
    free(dir);
    if (rc == WH_OK && files > 0) {
        wh_info(TAG, "%s: %llu line(s) held in %llu rotated file(s)", ctx->path,
                lines, files);
    }
    if (rc == WH_OK && skipped > 0) {
        wh_info(TAG,
                "%s: %llu rotated file(s) older than jsonl.window_s "
                "not read (their lines are not held)",
                ctx->path, skipped);
    }
    return rc;
}

/* The birth time of the file open on fd: statx's btime where the file
 * system keeps one, else its mtime. */
static time_t file_birth(int fd)
{
    struct statx stx;
    struct stat st;

    if (statx(fd, "", AT_EMPTY_PATH, STATX_BTIME | STATX_MTIME, &stx) == 0) {
        if ((stx.stx_mask & STATX_BTIME) != 0) {
            return (time_t)stx.stx_btime.tv_sec;
        }
        if ((stx.stx_mask & STATX_MTIME) != 0) {
            return (time_t)stx.stx_mtime.tv_sec;
        }
    }
    if (fstat(fd, &st) == 0) {
        return st.st_mtime;
    }
    return time(NULL);
}

/* Opens (creating it when missing) and locks the current file. At
 * start-up (scan set), also cuts a partial last line and reads its lines
 * into the set. Returns WH_OK, or WH_EIO with errstr filled (ctx->fd
 * stays -1), or WH_FATAL when the file was created but its directory
 * could not be fsynced (so the file may not survive a power loss). */
static int open_current(struct jsonl *ctx, int scan, char *errstr,
                        size_t errstr_size)
{
    struct stat st;
    int created = 0;
    int fd;
    int rfd = -1;
    int rc = WH_EIO;

    if (stat(ctx->path, &st) != 0) {
        created = 1;
    }
    fd = open(ctx->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(errstr, errstr_size, "%s: %s", ctx->path, strerror(errno));
        return WH_EIO;
    }
    if (fstat(fd, &st) != 0) {
        snprintf(errstr, errstr_size, "%s: %s", ctx->path, strerror(errno));
        goto out;
    }
    ctx->is_reg = S_ISREG(st.st_mode);
    ctx->size = 0;
    ctx->born = 0;
    if (!ctx->is_reg) {
        ctx->fd = fd;
        fd = -1;
        rc = WH_OK;
        goto out;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(errstr, errstr_size, "%s: %s", ctx->path,
                 errno == EWOULDBLOCK ? "in use by another process (locked)"
                                      : strerror(errno));
        goto out;
    }
    if (scan && st.st_size > 0) {
        unsigned long long n = 0;

        /* pread needs a readable descriptor. */
        rfd = open(ctx->path, O_RDONLY | O_CLOEXEC);
        if (rfd < 0) {
            snprintf(errstr, errstr_size, "%s: %s", ctx->path, strerror(errno));
            goto out;
        }
        if (trim_partial_line(ctx, rfd, fd, st.st_size, errstr, errstr_size) !=
                WH_OK ||
            scan_lines(ctx, rfd, ctx->path, &n, errstr, errstr_size) != WH_OK) {
            goto out;
        }
        if (fstat(fd, &st) != 0) {
            snprintf(errstr, errstr_size, "%s: %s", ctx->path, strerror(errno));
            goto out;
        }
        if (n > 0) {
            wh_info(TAG, "%s: %llu line(s) held in the current file", ctx->path,
                    n);
        }
    }
    ctx->size = st.st_size;
    if (ctx->size > 0) {
        ctx->born = file_birth(fd);
    }
    if (created && sync_parent_dir(ctx->path, errstr, errstr_size) != WH_OK) {
        rc = WH_FATAL;
        goto out;
    }
    ctx->fd = fd;
    fd = -1;
    rc = WH_OK;
out:
    if (rfd >= 0) {
        close(rfd);
    }
    if (fd >= 0) {
        close(fd);
    }
    return rc;
}

/* Writes the buffered bytes not yet written. WH_OK or WH_RETRY. */
static int write_out(struct jsonl *ctx, char *errstr, size_t errstr_size)
{
    while (ctx->off < ctx->buf.len) {
        ssize_t w =
            write(ctx->fd, ctx->buf.data + ctx->off, ctx->buf.len - ctx->off);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            snprintf(errstr, errstr_size, "%s: write: %s", ctx->path,
                     strerror(errno));
            return WH_RETRY;
        }
        ctx->off += (size_t)w;
        ctx->size += (off_t)w;
    }
    wh_buf_reset(&ctx->buf);
    ctx->off = 0;
    return WH_OK;
}

/* fsyncs the current file. WH_OK or WH_FATAL (see the top comment). */
static int sync_file(struct jsonl *ctx, char *errstr, size_t errstr_size)
{
    if (fsync(ctx->fd) == 0) {
        return WH_OK;
    }
    if (!ctx->is_reg &&
        (errno == EINVAL || errno == EROFS || errno == ENOTSUP)) {
        return WH_OK; /* a pipe or a terminal: nothing to sync */
    }
    snprintf(errstr, errstr_size,
             "%s: fsync: %s (written data may be "
             "lost; stopping so it is consumed again)",
             ctx->path, strerror(errno));
    return WH_FATAL;
}

/* Bytes of the current file, written or still buffered. */
static off_t current_bytes(const struct jsonl *ctx)
{
    return ctx->size + (off_t)(ctx->buf.len - ctx->off);
}

static int age_due(const struct jsonl *ctx, time_t now)
{
    return ctx->is_reg && ctx->max_age_s > 0 && current_bytes(ctx) > 0 &&
           ctx->born != 0 && (long long)(now - ctx->born) >= ctx->max_age_s;
}

/* Renames path to a free PATH.<stamp>[.N]; fills to (to_size bytes).
 * Returns WH_OK or WH_RETRY with errstr filled. */
static int rename_free(const char *path, time_t now, char *to, size_t to_size,
                       char *errstr, size_t errstr_size)
{
    char stamp[JSONL_STAMP_LEN + 1];
    struct tm tm;
    unsigned n;

    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    for (n = 0; n < JSONL_MAX_SUFFIX; n++) {
        struct stat st;
        int r;

        if (n == 0) {
            snprintf(to, to_size, "%s.%s", path, stamp);
        } else {
            snprintf(to, to_size, "%s.%s.%u", path, stamp, n);
        }
        r = renameat2(AT_FDCWD, path, AT_FDCWD, to, RENAME_NOREPLACE);
        if (r != 0 && errno == EINVAL) {
            /* A file system without RENAME_NOREPLACE: the lock keeps
             * other writers of this sink away, so check, then rename. */
            if (lstat(to, &st) == 0) {
                errno = EEXIST;
            } else {
                r = rename(path, to);
            }
        }
        if (r == 0) {
            return WH_OK;
        }
        if (errno != EEXIST) {
            snprintf(errstr, errstr_size, "%s: rename to %s: %s", path, to,
                     strerror(errno));
            return WH_RETRY;
        }
    }
    snprintf(errstr, errstr_size, "%s: rename: %u names taken for %s", path, n,
             stamp);
    return WH_RETRY;
}

/* Closes the current file and starts a new one: write out, fsync, rename,
 * create, fsync the directory. Returns WH_OK; WH_RETRY (nothing renamed,
 * or renamed but PATH not created yet: ctx->fd is then -1 and the next
 * call creates it); WH_FATAL when an fsync failed. */
static int rotate(struct jsonl *ctx, const char *why, char *errstr,
                  size_t errstr_size)
{
    char to[4096];
    off_t bytes;
    int old_fd;
    int rc;

    rc = write_out(ctx, errstr, errstr_size);
    if (rc != WH_OK) {
        return rc;
    }
    rc = sync_file(ctx, errstr, errstr_size);
    if (rc != WH_OK) {
        return rc;
    }
    rc =
        rename_free(ctx->path, time(NULL), to, sizeof(to), errstr, errstr_size);
    if (rc != WH_OK) {
        return rc;
    }
    bytes = ctx->size;
    hold_file(ctx, ctx->gen, time(NULL));
    ctx->gen++;
    old_fd = ctx->fd;
    ctx->fd = -1;
    ctx->size = 0;
    ctx->born = 0;
    ctx->n_rotated++;
    wh_info(TAG, "%s: rotated (%s) to %s, %lld bytes", ctx->path, why, to,
            (long long)bytes);
    /* open_current() creates PATH and fsyncs the directory: the rename
     * and the new file are on disk before any line of it. Nothing is
     * written to the renamed file any more. */
    rc = open_current(ctx, 0, errstr, errstr_size);
    close(old_fd);
    return rc == WH_OK || rc == WH_FATAL ? rc : WH_RETRY;
}

/* Recreates the current file after a rotation that could not. */
static int reopen_if_needed(struct jsonl *ctx, char *errstr, size_t errstr_size)
{
    int rc;

    if (ctx->fd >= 0) {
        return WH_OK;
    }
    rc = open_current(ctx, 0, errstr, errstr_size);
    return rc == WH_OK || rc == WH_FATAL ? rc : WH_RETRY;
}

static void jsonl_close(void *arg)
{
    struct jsonl *ctx = arg;

    if (ctx == NULL) {
        return;
    }
    if (ctx->buf.len > ctx->off) {
        wh_warn(TAG,
                "%s: %zu bytes never flushed (their records will be "
                "consumed again)",
                ctx->path, ctx->buf.len - ctx->off);
    }
    if (ctx->n_written > 0 || ctx->n_skipped > 0) {
        wh_info(TAG,
                "%s: %llu line(s) written, %llu skipped (held "
                "already), %llu rotation(s)",
                ctx->path, ctx->n_written, ctx->n_skipped, ctx->n_rotated);
    }
    if (ctx->fd > STDERR_FILENO) {
        close(ctx->fd);
    }
    wh_buf_free(&ctx->buf);
    free(ctx->set.slots);
    free(ctx->set.gens);
    free(ctx->held);
    free(ctx->path);
    free(ctx);
}

static const struct wh_config_key jsonl_keys[] = {
    WH_KEY_INT("jsonl.max_bytes", "0", 0, WH_NO_MAX, "bytes",
               "jsonl sink: rotate past N bytes (0: never)"),
    WH_KEY_DURATION("jsonl.max_age_s", "0", 0, WH_NO_MAX, "s",
                    "jsonl sink: rotate files N s old (0: never)"),
    WH_KEY_DURATION("jsonl.window_s", "2592000", 0, WH_NO_MAX, "s",
                    "jsonl sink: the lines of files rotated longer ago "
                    "are no longer held (30 days; 0: every file)"),
    WH_KEY_ENUM("jsonl.fsync", "batch", "batch|always|never",
                "jsonl sink: fdatasync at each flush, after every record, "
                "or never"),
    WH_KEY_END};

/* Reads the jsonl.* keys. Returns WH_OK or WH_EINVAL with errstr
 * ("origin: key: reason"). */
static int read_config(struct jsonl *ctx, const struct wh_config *cfg,
                       char *errstr, size_t errstr_size)
{
    int fs = FSYNC_BATCH;

    if (wh_config_int(cfg, jsonl_keys, "jsonl.max_bytes", &ctx->max_bytes,
                      errstr, errstr_size) != WH_OK ||
        wh_config_int(cfg, jsonl_keys, "jsonl.max_age_s", &ctx->max_age_s,
                      errstr, errstr_size) != WH_OK ||
        wh_config_int(cfg, jsonl_keys, "jsonl.window_s", &ctx->window_s, errstr,
                      errstr_size) != WH_OK ||
        wh_config_enum(cfg, jsonl_keys, "jsonl.fsync", &fs, errstr,
                       errstr_size) != WH_OK) {
        return WH_EINVAL;
    }
    ctx->fsync = (enum jsonl_fsync)fs;
    return WH_OK;
}

/* --check-config: a path is given, and its directory exists and is
 * writable by this user (nothing is created). */
static int jsonl_check(const char *arg, const struct wh_config *cfg,
                       char *errstr, size_t errstr_size)
{
    char reason[512];

    (void)cfg;
    if (arg == NULL || arg[0] == '\0') {
        snprintf(errstr, errstr_size,
                 "jsonl: needs a path (jsonl:PATH, "
                 "or jsonl:- for standard output)");
        return WH_EINVAL;
    }
    if (strcmp(arg, "-") == 0) {
        return WH_OK;
    }
    if (wh_config_check_file_dir(arg, reason, sizeof(reason)) != WH_OK) {
        snprintf(errstr, errstr_size, "jsonl: %s", reason);
        return WH_EINVAL;
    }
    return WH_OK;
}

static void *jsonl_init(const char *arg, const struct wh_config *cfg,
                        char *errstr, size_t errstr_size)
{
    struct jsonl *ctx;

    if (arg == NULL || arg[0] == '\0') {
        snprintf(errstr, errstr_size,
                 "jsonl: needs a path (jsonl:PATH, "
                 "or jsonl:- for standard output)");
        return NULL;
    }
    ctx = wh_xcalloc(1, sizeof(*ctx));
    ctx->path = wh_xstrdup(arg);
    ctx->fd = -1;
    wh_buf_init(&ctx->buf, JSONL_BUF_MAX);
    if (read_config(ctx, cfg, errstr, errstr_size) != WH_OK) {
        goto fail;
    }
    if (ctx->fsync == FSYNC_NEVER) {
        wh_warn(TAG,
                "%s: jsonl.fsync = never: after a power loss, stored "
                "offsets may pass records that never reached the disk",
                arg);
    }

    /* the rotated files first, oldest first: the current file's lines
     * get the newest generation */
    if (strcmp(arg, "-") == 0) {
        ctx->fd = STDOUT_FILENO;
    } else if (scan_rotated(ctx, errstr, errstr_size) != WH_OK ||
               open_current(ctx, 1, errstr, errstr_size) != WH_OK) {
        goto fail;
    }
    if (!ctx->is_reg) {
        if (ctx->max_bytes > 0 || ctx->max_age_s > 0) {
            wh_warn(TAG,
                    "%s: not a regular file: jsonl.max_bytes and "
                    "jsonl.max_age_s do not apply",
                    arg);
        }
        return ctx;
    }
    if (ctx->window_s > 0 && ctx->max_bytes == 0 && ctx->max_age_s == 0) {
        wh_info(TAG,
                "%s: no rotation (jsonl.max_age_s, jsonl.max_bytes): "
                "every line of the file stays held, jsonl.window_s bounds "
                "nothing",
                arg);
    }
    if (age_due(ctx, time(NULL))) {
        int rc =
            rotate(ctx, "jsonl.max_age_s, at start-up", errstr, errstr_size);

        if (rc == WH_FATAL) {
            goto fail;
        }
        if (rc != WH_OK) {
            wh_warn(TAG, "%s", errstr); /* tried again later */
        }
    }
    return ctx;
fail:
    jsonl_close(ctx);
    return NULL;
}

static int jsonl_process(void *arg, struct wh_record *rec,
                         const struct wh_msg_meta *meta, char *errstr,
                         size_t errstr_size)
{
    struct jsonl *ctx = arg;
    char *line = wh_record_dump(rec);
    size_t len = strlen(line);
    uint64_t h = 0;
    time_t now;
    int rc = WH_OK;
    int arc, nrc;

    (void)meta;
    if (len + 1 > JSONL_BUF_MAX) {
        snprintf(errstr, errstr_size,
                 "record of %zu bytes is larger than "
                 "the sink's %zu-byte buffer",
                 len, JSONL_BUF_MAX);
        rc = WH_REJECT;
        goto out;
    }
    rc = reopen_if_needed(ctx, errstr, errstr_size);
    if (rc != WH_OK) {
        goto out;
    }
    if (ctx->is_reg) {
        h = line_hash(line, len);
        if (set_has(&ctx->set, h)) {
            ctx->n_skipped++;
            rc = WH_DROP;
            goto out;
        }
        now = time(NULL);
        if (ctx->max_bytes > 0 && current_bytes(ctx) > 0 &&
            (long long)current_bytes(ctx) + (long long)len + 1 >
                ctx->max_bytes) {
            rc = rotate(ctx, "jsonl.max_bytes", errstr, errstr_size);
        } else if (age_due(ctx, now)) {
            rc = rotate(ctx, "jsonl.max_age_s", errstr, errstr_size);
        }
        if (rc != WH_OK) {
            goto out;
        }
        if (current_bytes(ctx) == 0) {
            ctx->born = now;
        }
    }
    if (ctx->buf.len + len + 1 > JSONL_BUF_MAX) {
        /* Earlier writes failed and the buffer is full: not accepted. */
        rc = write_out(ctx, errstr, errstr_size);
        if (rc != WH_OK) {
            goto out;
        }
    }
    /* Room was checked above: both appends succeed. */
    arc = wh_buf_append(&ctx->buf, line, len);
    nrc = wh_buf_append(&ctx->buf, "\n", 1);
    WH_ASSERT(arc == WH_OK && nrc == WH_OK);
    if (ctx->is_reg) {
        (void)set_add(&ctx->set, h, ctx->gen);
    }
    ctx->n_written++;
    if (ctx->fsync == FSYNC_ALWAYS) {
        /* A failed write keeps the line buffered (accepted): flush()
         * writes it or says RETRY, so no offset passes it. */
        char ignored[256];

        if (write_out(ctx, ignored, sizeof(ignored)) == WH_OK) {
            rc = sync_file(ctx, errstr, errstr_size);
        }
    } else if (ctx->buf.len - ctx->off >= JSONL_WRITE_AT) {
        /* The line is accepted either way; a failure here shows again,
         * and is reported, at flush(). */
        char ignored[256];
        (void)write_out(ctx, ignored, sizeof(ignored));
    }
out:
    free(line);
    return rc;
}

static int jsonl_flush(void *arg, char *errstr, size_t errstr_size)
{
    struct jsonl *ctx = arg;
    int rc;

    rc = reopen_if_needed(ctx, errstr, errstr_size);
    if (rc != WH_OK) {
        return rc;
    }
    rc = write_out(ctx, errstr, errstr_size);
    if (rc != WH_OK) {
        return rc;
    }
    if (ctx->fsync != FSYNC_NEVER) {
        rc = sync_file(ctx, errstr, errstr_size);
        if (rc != WH_OK) {
            return rc;
        }
    }
    forget_expired(ctx, time(NULL));
    if (age_due(ctx, time(NULL))) {
        /* What the offsets cover is durable already; a rotation that
         * cannot happen now is tried again later. */
        char rerr[512];

        rc = rotate(ctx, "jsonl.max_age_s", rerr, sizeof(rerr));
        if (rc == WH_FATAL) {
            snprintf(errstr, errstr_size, "%s", rerr);
            return rc;
        }
        if (rc != WH_OK) {
            wh_warn(TAG, "%s", rerr);
        }
    }
    return WH_OK;
}

const struct wh_stage wh_sink_jsonl = {
    .name = "jsonl",
    .type = WH_STAGE_SINK,
    .version = "2",
    .description = "one record per line to PATH (- for stdout), fsynced, "
                   "rotated by size/age; a line held already is skipped",
    .keys = jsonl_keys,
    .check = jsonl_check,
    .init = jsonl_init,
    .process = jsonl_process,
    .flush = jsonl_flush,
    .close = jsonl_close,
};
