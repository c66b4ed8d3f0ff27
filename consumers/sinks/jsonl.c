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
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stage.h"
#include "wh/buf.h"
#include "wh/log.h"
#include "wh/record.h"
#include "wh/wh.h"

#define TAG "sink:jsonl"

/* Bytes buffered before process() writes them out (still no fsync). */
#define JSONL_WRITE_AT ((size_t)1 << 20)
/* Most bytes buffered while writes fail; past it process() says RETRY. */
#define JSONL_BUF_MAX ((size_t)64 << 20)

struct jsonl {
    char *path;
    int fd;
    int is_reg;          /* a regular file: fsync it */
    struct wh_buf buf;   /* lines not yet known to be written */
    size_t off;          /* bytes of buf already written */
};

/* Cuts a partial last line (no trailing newline) off the file. */
static int trim_partial_line(struct jsonl *ctx, off_t size, char *errstr,
                             size_t errstr_size)
{
    char block[4096];
    off_t end = size;

    while (end > 0) {
        size_t n = end < (off_t)sizeof(block) ? (size_t)end : sizeof(block);
        off_t at = end - (off_t)n;
        ssize_t r = pread(ctx->fd, block, n, at);
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
    if (ftruncate(ctx->fd, end) != 0) {
        snprintf(errstr, errstr_size, "%s: truncate: %s", ctx->path,
                 strerror(errno));
        return WH_EIO;
    }
    wh_warn(TAG, "%s: cut a partial last line (%lld bytes) left by an "
            "earlier crash; its record will be written again",
            ctx->path, (long long)(size - end));
    return WH_OK;
}

/* fsyncs the directory holding path, so a newly created file survives a
 * crash. */
static int sync_parent_dir(const char *path, char *errstr,
                           size_t errstr_size)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    int dfd;
    int rc = WH_OK;

    if (slash == NULL) {
        dir = wh_xstrdup(".");
    } else if (slash == path) {
        dir = wh_xstrdup("/");
    } else {
        dir = wh_xstrndup(path, (size_t)(slash - path));
    }
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

static void jsonl_close(void *arg)
{
    struct jsonl *ctx = arg;

    if (ctx == NULL) {
        return;
    }
    if (ctx->buf.len > ctx->off) {
        wh_warn(TAG, "%s: %zu bytes never flushed (their records will be "
                "consumed again)", ctx->path, ctx->buf.len - ctx->off);
    }
    if (ctx->fd > STDERR_FILENO) {
        close(ctx->fd);
    }
    wh_buf_free(&ctx->buf);
    free(ctx->path);
    free(ctx);
}

static void *jsonl_init(const char *arg, const struct wh_config *cfg,
                        char *errstr, size_t errstr_size)
{
    struct jsonl *ctx;
    struct stat st;
    int created = 0;

    (void)cfg;
    if (arg == NULL || arg[0] == '\0') {
        snprintf(errstr, errstr_size, "jsonl: needs a path (jsonl:PATH, "
                 "or jsonl:- for standard output)");
        return NULL;
    }
    ctx = wh_xcalloc(1, sizeof(*ctx));
    ctx->path = wh_xstrdup(arg);
    ctx->fd = -1;
    wh_buf_init(&ctx->buf, JSONL_BUF_MAX);

    if (strcmp(arg, "-") == 0) {
        ctx->fd = STDOUT_FILENO;
        return ctx;
    }
    if (stat(arg, &st) != 0) {
        created = 1;
    }
    ctx->fd = open(arg, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (ctx->fd < 0) {
        snprintf(errstr, errstr_size, "%s: %s", arg, strerror(errno));
        goto fail;
    }
    if (fstat(ctx->fd, &st) != 0) {
        snprintf(errstr, errstr_size, "%s: %s", arg, strerror(errno));
        goto fail;
    }
    ctx->is_reg = S_ISREG(st.st_mode);
    if (ctx->is_reg) {
        if (flock(ctx->fd, LOCK_EX | LOCK_NB) != 0) {
            snprintf(errstr, errstr_size, "%s: %s", arg,
                     errno == EWOULDBLOCK
                         ? "in use by another process (locked)"
                         : strerror(errno));
            goto fail;
        }
        /* pread needs a readable descriptor; reopen for the check. */
        if (st.st_size > 0) {
            int wfd = ctx->fd;
            int rc;

            ctx->fd = open(arg, O_RDWR | O_CLOEXEC);
            if (ctx->fd < 0) {
                snprintf(errstr, errstr_size, "%s: %s", arg,
                         strerror(errno));
                ctx->fd = wfd;
                goto fail;
            }
            rc = trim_partial_line(ctx, st.st_size, errstr, errstr_size);
            close(ctx->fd);
            ctx->fd = wfd;
            if (rc != WH_OK) {
                goto fail;
            }
        }
        if (created && sync_parent_dir(arg, errstr, errstr_size) != WH_OK) {
            goto fail;
        }
    }
    return ctx;
fail:
    jsonl_close(ctx);
    return NULL;
}

/* Writes the buffered bytes not yet written. WH_OK or WH_RETRY. */
static int write_out(struct jsonl *ctx, char *errstr, size_t errstr_size)
{
    while (ctx->off < ctx->buf.len) {
        ssize_t w = write(ctx->fd, ctx->buf.data + ctx->off,
                          ctx->buf.len - ctx->off);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            snprintf(errstr, errstr_size, "%s: write: %s", ctx->path,
                     strerror(errno));
            return WH_RETRY;
        }
        ctx->off += (size_t)w;
    }
    wh_buf_reset(&ctx->buf);
    ctx->off = 0;
    return WH_OK;
}

static int jsonl_process(void *arg, struct wh_record *rec,
                         const struct wh_msg_meta *meta, char *errstr,
                         size_t errstr_size)
{
    struct jsonl *ctx = arg;
    char *line = wh_record_dump(rec);
    size_t len = strlen(line);
    int rc = WH_OK;
    int arc, nrc;

    (void)meta;
    if (len + 1 > JSONL_BUF_MAX) {
        snprintf(errstr, errstr_size, "record of %zu bytes is larger than "
                 "the sink's %zu-byte buffer", len, JSONL_BUF_MAX);
        rc = WH_REJECT;
        goto out;
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
    if (ctx->buf.len - ctx->off >= JSONL_WRITE_AT) {
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

    rc = write_out(ctx, errstr, errstr_size);
    if (rc != WH_OK) {
        return rc;
    }
    if (fsync(ctx->fd) != 0) {
        if (!ctx->is_reg && (errno == EINVAL || errno == EROFS ||
                             errno == ENOTSUP)) {
            return WH_OK;  /* a pipe or a terminal: nothing to sync */
        }
        snprintf(errstr, errstr_size, "%s: fsync: %s (written data may be "
                 "lost; stopping so it is consumed again)", ctx->path,
                 strerror(errno));
        return WH_FATAL;
    }
    return WH_OK;
}

const struct wh_stage wh_sink_jsonl = {
    .name = "jsonl",
    .type = WH_STAGE_SINK,
    .version = "1",
    .description = "one record per line to PATH (- for stdout), fsynced",
    .init = jsonl_init,
    .process = jsonl_process,
    .flush = jsonl_flush,
    .close = jsonl_close,
};
