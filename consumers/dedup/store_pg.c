/*
 * store_pg.c - the "postgres" backend of the dedup decision store, for
 * consumers on several machines (see store.h, docs/dedup.md).
 *
 * The log is a table, created when missing:
 *
 *     wirehose_dedup_log(seq bigserial primary key, rec bytea not null)
 *
 * each row one decision record exactly as the file backend frames it. A
 * decision is
 *
 *     BEGIN; SELECT pg_advisory_xact_lock(K);          -- lock()
 *     SELECT seq, rec ... WHERE seq > last ORDER BY seq -- next()
 *     INSERT ... RETURNING seq; COMMIT;                 -- append()
 *
 * (ROLLBACK in unlock() when nothing was appended). The advisory lock
 * serializes the decisions of every instance, so sequence numbers are
 * handed out, and rows committed, in decision order: reading rows with
 * seq > last in seq order yields the same log in every process (a rolled
 * back INSERT only leaves a gap). The append commits at once, so an answer
 * is given only for a decision that every other instance will see.
 *
 * get() must be cheap (a decision reads dozens of candidates), so every
 * record read is mirrored into nameless temporary files in the state
 * directory (parts of MIRROR_PART bytes); a locator is a part and an
 * offset in it.
 *
 * A lost connection makes lock() fail (the stage returns WH_RETRY and the
 * consumer pauses); lock() then reconnects, at most once per backoff
 * period (0.5 s doubling to 30 s). Records are little-endian, like the
 * file log's, whatever the host.
 *
 * A record's id is its seq - 1. The dedup window: expire() deletes the
 * rows of ids below the window, at most PG_EXPIRE_BATCH in the decision's
 * transaction (never a long statement under the lock; the rest goes with
 * the next decisions), and closes the mirror's parts that hold only such
 * records. A process that missed rows deleted meanwhile sees a gap in
 * the ids (they were out of the window).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "wh/buf.h"
#include "wh/log.h"
#include "wh/wh.h"

#define TAG "dedup"
#define PG_LOCK_KEY "7234411690113394021" /* "dedupWH" + 1, arbitrary */
#define PG_BATCH "4096"
#define PG_REC_MAX ((size_t)64 * 1024)
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000

/* The records read are mirrored in nameless temporary files, parts of
 * MIRROR_PART bytes at most, so that the parts whose records all left the
 * dedup window can be closed (their space given back). A locator is
 * (part number << 40) | offset. */
#define MIRROR_PART ((uint64_t)64 << 20)
#define LOC_SHIFT 40
#define PG_EXPIRE_BATCH "4096" /* rows deleted at most per upkeep */

struct mirror_part {
    int fd;
    unsigned no;
    uint32_t last_id; /* id of its last record */
    uint64_t end;
};

struct pg_backend {
    PGconn *conn;
    char *conninfo;
    int in_tx;       /* a transaction (holding the lock) is open */
    long long last;  /* seq of the last row read */
    PGresult *batch; /* rows being read by next() */
    int batch_row;
    int batch_full; /* the batch had PG_BATCH rows: more may follow */
    unsigned minhash_k;
    char *dir;              /* where the mirror's parts are made */
    struct mirror_part *mp; /* the mirror, oldest part first */
    size_t nmp;
    size_t capmp;
    unsigned next_no;
    long backoff_ms;
    long long retry_at; /* no reconnect before (monotonic ms) */
};

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* errstr = "postgres: WHAT: " + the connection's last message on one line
 * (libpq's run over several, indented with tabs). */
static void pg_set_err(struct pg_backend *b, const char *what, char *errstr,
                       size_t errstr_size)
{
    const char *m = b->conn ? PQerrorMessage(b->conn) : "no connection";
    int n = snprintf(errstr, errstr_size, "postgres: %s: ", what);
    size_t i;
    int space = 1;

    if (n < 0 || (size_t)n >= errstr_size) {
        return;
    }
    for (i = (size_t)n; *m != '\0' && i + 1 < errstr_size; m++) {
        if (*m == '\n' || *m == '\t' || *m == ' ' || *m == '\r') {
            space = 1;
            continue;
        }
        if (space && i > (size_t)n && i + 2 < errstr_size) {
            errstr[i++] = ' ';
        }
        space = 0;
        errstr[i++] = *m;
    }
    errstr[i] = '\0';
}

/* libpq prints NOTICEs on stderr by default ("relation ... already exists,
 * skipping"): nothing to report. */
static void pg_quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Runs a statement without parameters; WH_OK or WH_EIO. */
static int pg_exec(struct pg_backend *b, const char *sql, const char *what,
                   char *errstr, size_t errstr_size)
{
    PGresult *res = PQexec(b->conn, sql);
    ExecStatusType s = PQresultStatus(res);
    int rc = WH_OK;

    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        pg_set_err(b, what, errstr, errstr_size);
        rc = WH_EIO;
    }
    PQclear(res);
    return rc;
}

/* Connects (again) and makes sure the tables exist and the log was
 * written with our MinHash size (a mismatch is refused, as by the file
 * log: such records never confirm a candidate, so instances with
 * different sizes would disagree). */
static int pg_connect(struct pg_backend *b, char *errstr, size_t errstr_size)
{
    char sql[512];
    PGresult *res;
    int rc = WH_EIO;

    if (b->conn != NULL) {
        PQfinish(b->conn);
    }
    b->in_tx = 0;
    b->conn = PQconnectdb(b->conninfo);
    if (PQstatus(b->conn) != CONNECTION_OK) {
        pg_set_err(b, "connect", errstr, errstr_size);
        return WH_EIO;
    }
    (void)PQsetNoticeProcessor(b->conn, pg_quiet, NULL);
    /* concurrent CREATE TABLE IF NOT EXISTS can fail: under the lock */
    snprintf(sql, sizeof(sql),
             "BEGIN; SELECT pg_advisory_xact_lock(" PG_LOCK_KEY ");"
             "CREATE TABLE IF NOT EXISTS wirehose_dedup_log ("
             "seq bigserial PRIMARY KEY, rec bytea NOT NULL);"
             "CREATE TABLE IF NOT EXISTS wirehose_dedup_meta ("
             "minhash_k integer NOT NULL);"
             "INSERT INTO wirehose_dedup_meta SELECT %u WHERE NOT EXISTS "
             "(SELECT 1 FROM wirehose_dedup_meta)",
             b->minhash_k);
    if (pg_exec(b, sql, "create tables", errstr, errstr_size) != WH_OK) {
        goto out;
    }
    res = PQexec(b->conn, "SELECT min(minhash_k) FROM wirehose_dedup_meta");
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        pg_set_err(b, "read wirehose_dedup_meta", errstr, errstr_size);
        PQclear(res);
        goto out;
    }
    if (strtoul(PQgetvalue(res, 0, 0), NULL, 10) != b->minhash_k) {
        snprintf(errstr, errstr_size,
                 "postgres: wirehose_dedup_log written with %s MinHash "
                 "values, configured %u: use another database",
                 PQgetvalue(res, 0, 0), b->minhash_k);
        PQclear(res);
        goto out;
    }
    PQclear(res);
    rc = pg_exec(b, "COMMIT", "create tables", errstr, errstr_size);
out:
    if (rc != WH_OK) {
        (void)pg_exec(b, "ROLLBACK", "rollback", errstr, 0);
    }
    return rc;
}

/* Before a decision: a working connection, reconnecting with backoff. */
static int pg_ready(struct pg_backend *b, char *errstr, size_t errstr_size)
{
    long long now;

    if (b->conn != NULL && PQstatus(b->conn) == CONNECTION_OK) {
        return WH_OK;
    }
    now = now_ms();
    if (now < b->retry_at) {
        snprintf(errstr, errstr_size,
                 "postgres: no connection; next attempt within %ld ms",
                 b->backoff_ms);
        return WH_EIO;
    }
    if (pg_connect(b, errstr, errstr_size) == WH_OK) {
        wh_info(TAG, "postgres: connected again");
        b->backoff_ms = 0;
        return WH_OK;
    }
    b->backoff_ms = b->backoff_ms ? b->backoff_ms * 2 : BACKOFF_MIN_MS;
    if (b->backoff_ms > BACKOFF_MAX_MS) {
        b->backoff_ms = BACKOFF_MAX_MS;
    }
    b->retry_at = now + b->backoff_ms;
    return WH_EIO;
}

static void pg_end_batch(struct pg_backend *b)
{
    PQclear(b->batch);
    b->batch = NULL;
    b->batch_row = 0;
    b->batch_full = 0;
}

static int pg_lock(void *v, char *errstr, size_t errstr_size)
{
    struct pg_backend *b = v;

    pg_end_batch(b);
    if (pg_ready(b, errstr, errstr_size) != WH_OK) {
        return WH_EIO;
    }
    if (pg_exec(b, "BEGIN; SELECT pg_advisory_xact_lock(" PG_LOCK_KEY ")",
                "lock", errstr, errstr_size) != WH_OK) {
        (void)pg_exec(b, "ROLLBACK", "rollback", errstr, 0);
        return WH_EIO;
    }
    b->in_tx = 1;
    return WH_OK;
}

static void pg_unlock(void *v)
{
    struct pg_backend *b = v;
    char err[256];

    pg_end_batch(b);
    if (b->in_tx) {
        b->in_tx = 0;
        if (pg_exec(b, "ROLLBACK", "rollback", err, sizeof(err)) != WH_OK) {
            wh_warn(TAG, "%s", err);
        }
    }
}

/* Fetches the next batch of rows after b->last. */
static int pg_fetch(struct pg_backend *b, char *errstr, size_t errstr_size)
{
    char last[32];
    const char *params[1];

    pg_end_batch(b);
    if (b->conn == NULL || PQstatus(b->conn) != CONNECTION_OK) {
        if (pg_ready(b, errstr, errstr_size) != WH_OK) {
            return WH_EIO;
        }
    }
    snprintf(last, sizeof(last), "%lld", b->last);
    params[0] = last;
    b->batch = PQexecParams(b->conn,
                            "SELECT seq, rec FROM wirehose_dedup_log "
                            "WHERE seq > $1::bigint ORDER BY seq "
                            "LIMIT " PG_BATCH,
                            1, NULL, params, NULL, NULL, 1);
    if (PQresultStatus(b->batch) != PGRES_TUPLES_OK) {
        pg_set_err(b, "read", errstr, errstr_size);
        pg_end_batch(b);
        return WH_EIO;
    }
    if (PQnfields(b->batch) != 2 || PQfsize(b->batch, 0) != 8) {
        snprintf(errstr, errstr_size,
                 "postgres: wirehose_dedup_log has an unexpected shape");
        pg_end_batch(b);
        return WH_EIO;
    }
    b->batch_full = PQntuples(b->batch) == atoi(PG_BATCH);
    return WH_OK;
}

/* Starts a new part of the mirror. WH_OK or WH_EIO. */
static int mirror_new_part(struct pg_backend *b, char *errstr,
                           size_t errstr_size)
{
    char *path = wh_xasprintf("%s/dedup-pg-mirror.XXXXXX", b->dir);
    struct mirror_part mp;

    memset(&mp, 0, sizeof(mp));
    mp.fd = mkostemp(path, O_CLOEXEC);
    if (mp.fd < 0) {
        snprintf(errstr, errstr_size, "%s: mkstemp: %s", path, strerror(errno));
        free(path);
        return WH_EIO;
    }
    (void)unlink(path);
    free(path);
    mp.no = b->next_no++;
    if (b->nmp == b->capmp) {
        b->capmp = b->capmp ? b->capmp * 2 : 8;
        b->mp = wh_xrealloc(b->mp, b->capmp * sizeof(*b->mp));
    }
    b->mp[b->nmp++] = mp;
    return WH_OK;
}

/* Appends record id to the mirror; its locator in *loc. */
static int mirror_put(struct pg_backend *b, const void *rec, size_t len,
                      uint32_t id, uint64_t *loc, char *errstr,
                      size_t errstr_size)
{
    struct mirror_part *mp;
    char *frame;
    uint32_t u = (uint32_t)len;
    ssize_t n;

    if (b->nmp == 0 || b->mp[b->nmp - 1].end >= MIRROR_PART) {
        if (mirror_new_part(b, errstr, errstr_size) != WH_OK) {
            return WH_EIO;
        }
    }
    mp = &b->mp[b->nmp - 1];
    frame = wh_xmalloc(4 + len);
    memcpy(frame, &u, 4);
    memcpy(frame + 4, rec, len);
    do {
        n = pwrite(mp->fd, frame, 4 + len, (off_t)mp->end);
    } while (n < 0 && errno == EINTR);
    free(frame);
    if (n != (ssize_t)(4 + len)) {
        snprintf(errstr, errstr_size, "dedup mirror: write: %s",
                 n < 0 ? strerror(errno) : "short write");
        return WH_EIO;
    }
    *loc = (uint64_t)mp->no << LOC_SHIFT | mp->end;
    mp->end += 4 + len;
    mp->last_id = id;
    return WH_OK;
}

/* A row's id: its seq - 1 (ids are 32-bit). WH_OK or WH_EIO. */
static int seq_id(long long seq, uint32_t *id, char *errstr, size_t errstr_size)
{
    if (seq < 1 || seq >= (long long)UINT32_MAX - 1) {
        snprintf(errstr, errstr_size,
                 "postgres: seq %lld out of the 32-bit id range", seq);
        return WH_EIO;
    }
    *id = (uint32_t)(seq - 1);
    return WH_OK;
}

static uint64_t be64(const char *p)
{
    uint32_t hi;
    uint32_t lo;

    memcpy(&hi, p, 4);
    memcpy(&lo, p + 4, 4);
    return ((uint64_t)ntohl(hi) << 32) | ntohl(lo);
}

static int pg_next(void *v, struct wh_buf *rec, uint64_t *loc, uint32_t *id,
                   char *errstr, size_t errstr_size)
{
    struct pg_backend *b = v;
    const char *data;
    long long seq;
    size_t len;
    int row;

    if (b->batch == NULL || b->batch_row >= PQntuples(b->batch)) {
        if (b->batch != NULL && !b->batch_full) {
            pg_end_batch(b); /* the next call reads again */
            return 0;
        }
        if (pg_fetch(b, errstr, errstr_size) != WH_OK) {
            return WH_EIO;
        }
        if (PQntuples(b->batch) == 0) {
            pg_end_batch(b);
            return 0;
        }
    }
    row = b->batch_row++;
    data = PQgetvalue(b->batch, row, 1);
    len = (size_t)PQgetlength(b->batch, row, 1);
    if (PQgetisnull(b->batch, row, 1) || len > PG_REC_MAX) {
        snprintf(errstr, errstr_size, "postgres: bad record at seq %s",
                 PQgetvalue(b->batch, row, 0));
        return WH_EIO;
    }
    wh_buf_reset(rec);
    if (wh_buf_append(rec, data, len) != WH_OK) {
        snprintf(errstr, errstr_size, "record too large");
        return WH_EIO;
    }
    seq = (long long)be64(PQgetvalue(b->batch, row, 0));
    if (seq_id(seq, id, errstr, errstr_size) != WH_OK ||
        mirror_put(b, data, len, *id, loc, errstr, errstr_size) != WH_OK) {
        return WH_EIO;
    }
    b->last = seq;
    return 1;
}

static int pg_append(void *v, const void *rec, size_t len, uint64_t *loc,
                     uint32_t *id, char *errstr, size_t errstr_size)
{
    struct pg_backend *b = v;
    const char *params[1];
    int lens[1];
    int fmts[1] = {1};
    PGresult *res;
    long long seq;

    if (len > PG_REC_MAX) {
        snprintf(errstr, errstr_size, "record of %zu bytes too large", len);
        return WH_EINVAL;
    }
    if (!b->in_tx) {
        snprintf(errstr, errstr_size, "postgres: append without the lock");
        return WH_EIO;
    }
    params[0] = rec;
    lens[0] = (int)len;
    res = PQexecParams(b->conn,
                       "INSERT INTO wirehose_dedup_log (rec) VALUES ($1) "
                       "RETURNING seq",
                       1, NULL, params, lens, fmts, 1);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
        PQgetlength(res, 0, 0) != 8) {
        pg_set_err(b, "insert", errstr, errstr_size);
        PQclear(res);
        return WH_EIO;
    }
    seq = (long long)be64(PQgetvalue(res, 0, 0));
    PQclear(res);
    /* commit now: the answer is given only for a decision others see.
     * If the COMMIT's answer is lost, the row may or may not be there:
     * the record is decided again, and catch-up reads the row (a replay
     * of it) if it was committed. */
    b->in_tx = 0;
    if (pg_exec(b, "COMMIT", "commit", errstr, errstr_size) != WH_OK) {
        return WH_EIO;
    }
    if (seq_id(seq, id, errstr, errstr_size) != WH_OK ||
        mirror_put(b, rec, len, *id, loc, errstr, errstr_size) != WH_OK) {
        return WH_EIO;
    }
    b->last = seq;
    return WH_OK;
}

static int pg_get(void *v, uint64_t loc, struct wh_buf *rec, char *errstr,
                  size_t errstr_size)
{
    struct pg_backend *b = v;
    unsigned no = (unsigned)(loc >> LOC_SHIFT);
    uint64_t off = loc & (((uint64_t)1 << LOC_SHIFT) - 1);
    const struct mirror_part *mp = NULL;
    uint32_t len;
    char *tmp;
    ssize_t n;
    size_t i;

    for (i = b->nmp; i-- > 0;) {
        if (b->mp[i].no == no) {
            mp = &b->mp[i];
            break;
        }
    }
    if (mp == NULL || off + 4 > mp->end ||
        pread(mp->fd, &len, 4, (off_t)off) != 4 || len > PG_REC_MAX ||
        off + 4 + len > mp->end) {
        snprintf(errstr, errstr_size, "dedup mirror: no record at %u:%llu", no,
                 (unsigned long long)off);
        return WH_EIO;
    }
    tmp = wh_xmalloc(len ? len : 1);
    n = pread(mp->fd, tmp, len, (off_t)(off + 4));
    if (n != (ssize_t)len) {
        snprintf(errstr, errstr_size, "dedup mirror: read: %s",
                 n < 0 ? strerror(errno) : "short read");
        free(tmp);
        return WH_EIO;
    }
    wh_buf_reset(rec);
    if (wh_buf_append(rec, tmp, len) != WH_OK) {
        snprintf(errstr, errstr_size, "record too large");
        free(tmp);
        return WH_EIO;
    }
    free(tmp);
    return WH_OK;
}

/* No parts to roll: rows are deleted one by one. */
static uint32_t pg_head(void *v)
{
    (void)v;
    return UINT32_MAX;
}

static int pg_roll(void *v, char *errstr, size_t errstr_size)
{
    (void)v;
    (void)errstr;
    (void)errstr_size;
    return WH_OK;
}

/* Deletes up to PG_EXPIRE_BATCH rows of ids below low (seq <= low), in
 * the decision's transaction: a short delete under the advisory lock,
 * never a long one (the rest goes with the next upkeeps), and closes the
 * mirror parts that hold only such records. */
static int pg_expire(void *v, uint32_t low, char *errstr, size_t errstr_size)
{
    struct pg_backend *b = v;
    char lowstr[16];
    const char *params[1];
    PGresult *res;
    size_t k = 0;
    size_t i;

    while (k + 1 < b->nmp && b->mp[k].last_id < low) {
        close(b->mp[k].fd);
        k++;
    }
    if (k > 0) {
        for (i = k; i < b->nmp; i++) {
            b->mp[i - k] = b->mp[i];
        }
        b->nmp -= k;
    }
    if (!b->in_tx) {
        return WH_OK;
    }
    snprintf(lowstr, sizeof(lowstr), "%u", low);
    params[0] = lowstr;
    res = PQexecParams(b->conn,
                       "DELETE FROM wirehose_dedup_log WHERE seq IN "
                       "(SELECT seq FROM wirehose_dedup_log "
                       "WHERE seq <= $1::bigint ORDER BY seq "
                       "LIMIT " PG_EXPIRE_BATCH ")",
                       1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        pg_set_err(b, "delete rows out of the window", errstr, errstr_size);
        PQclear(res);
        return WH_EIO;
    }
    PQclear(res);
    return WH_OK;
}

/* Every append is committed (durable, with the server's settings). */
static int pg_sync(void *v, char *errstr, size_t errstr_size)
{
    (void)v;
    (void)errstr;
    (void)errstr_size;
    return WH_OK;
}

static void pg_close(void *v)
{
    struct pg_backend *b = v;
    size_t i;

    if (b == NULL) {
        return;
    }
    pg_end_batch(b);
    if (b->conn != NULL) {
        PQfinish(b->conn);
    }
    for (i = 0; i < b->nmp; i++) {
        close(b->mp[i].fd);
    }
    free(b->mp);
    free(b->dir);
    free(b->conninfo);
    free(b);
}

const struct wh_dedup_backend_ops wh_dedup_pg_ops = {
    "postgres", pg_lock,  pg_unlock, pg_next, pg_append, pg_get,
    pg_sync,    pg_close, pg_head,   pg_roll, pg_expire};

int wh_dedup_pg_up(const void *v)
{
    const struct pg_backend *b = v;

    return b->conn != NULL && PQstatus(b->conn) == CONNECTION_OK;
}

void *wh_dedup_pg_open(const char *conninfo, const char *dir,
                       unsigned minhash_k, char *errstr, size_t errstr_size)
{
    struct pg_backend *b = wh_xcalloc(1, sizeof(*b));

    b->conninfo = wh_xstrdup(conninfo);
    b->dir = wh_xstrdup(dir);
    b->minhash_k = minhash_k;
    if (mirror_new_part(b, errstr, errstr_size) != WH_OK) {
        pg_close(b);
        return NULL;
    }
    if (pg_connect(b, errstr, errstr_size) != WH_OK) {
        /* A server that answers refused us (a configuration error); one
         * that does not is an outage: the first decision reconnects. */
        if (PQping(b->conninfo) == PQPING_OK) {
            pg_close(b);
            return NULL;
        }
        wh_warn(TAG, "%s; waiting for the server", errstr);
        b->backoff_ms = BACKOFF_MIN_MS;
        b->retry_at = now_ms() + b->backoff_ms;
    }
    return b;
}
