/*
 * postgres.c - the PostgreSQL sink ("postgres:CONNINFO", a libpq
 * connection string or URI).
 *
 * One table (postgres.table, default "articles"), created when missing:
 * the record as jsonb plus indexed columns, primary key (uri, version).
 * Every write is an upsert on (uri, version) that replaces the record and
 * the columns derived from it and keeps ingested_at from the first insert,
 * so replaying a topic converges to the same rows. An update that would
 * change nothing is skipped, so a replay does not bloat the table.
 *
 * Batching: process() runs the record's upsert at once inside an open
 * transaction, and flush() commits it. Running the statement in process()
 * costs a round trip per record (over a Unix socket, tens of
 * microseconds) but lets a permanent refusal be pinned on its record and
 * returned from process() as WH_REJECT, which a multi-row INSERT sent at
 * flush() could not do. The commit, the costly part, stays batched: one
 * per flush(), or one per postgres.batch records when flushes are rarer.
 *
 * Nothing is lost when the server goes away: the rows of the open
 * transaction are kept in memory until their COMMIT succeeds. After a
 * failure (a lost connection, a deadlock, a refused record, which aborts
 * the transaction) the next call reconnects if needed, opens a new
 * transaction and runs those rows again before anything else; the upsert
 * makes running a row twice harmless, even when a COMMIT whose answer was
 * lost did reach the server.
 *
 * Errors are sorted by SQLSTATE class: 08 (connection), 40 (rollback),
 * 53 (resources), 57 (operator intervention) and anything unknown are
 * transient (WH_RETRY); 22 (data), 23 (constraint), 42 (syntax, e.g. a
 * bad cast) and 54 (program limit, e.g. a uri too long for the index)
 * are the record's fault (WH_REJECT, with the uri and the server's
 * message). 42P01, 42501, 42703 and 42883 (table gone, no privilege,
 * table of another shape) are not the record's fault and would refuse
 * every record: WH_FATAL, with the reason.
 *
 * flush() returns WH_REJECT only in a rare case: a row accepted by
 * process() and then refused when run again after a reconnect. That
 * record is reported to the consumer through its meta->reject (so it is
 * dead-lettered); everything else is committed; errstr names the refused
 * uri(s).
 */
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stage.h"
#include "wh/backoff.h"
#include "wh/buf.h"
#include "wh/clock.h"
#include "wh/config.h"
#include "wh/date.h"
#include "wh/log.h"
#include "wh/pg.h"
#include "wh/record.h"
#include "wh/wh.h"

#define TAG "sink:postgres"

#define PG_TABLE_MAX 40         /* leaves room for "_first_created_idx" */
#define PG_CONNECT_TIMEOUT "10" /* seconds, unless the conninfo says */
#define PG_BACKOFF_MIN_MS 100
#define PG_BACKOFF_MAX_MS 5000
#define PG_NPARAMS 9
#define PG_STMT "wh_upsert"

/* The statement's parameters, as text (NULL = SQL NULL). */
enum {
    P_URI,
    P_VERSION,
    P_RECORD,
    P_HEADLINE,
    P_FIRST_CREATED,
    P_VERSION_CREATED,
    P_LANGUAGE,
    P_SOURCE,
    P_CLUSTER_ID
};

/* A row written in the open transaction but not yet committed. */
struct pg_row {
    char *values[PG_NPARAMS];
    /* from the record's meta: who to tell when it is refused later */
    uint64_t token;
    void (*reject)(void *opaque, uint64_t token, const char *reason);
    void *reject_opaque;
};

struct pg {
    char *conninfo;
    char *table; /* validated: [A-Za-z_][A-Za-z0-9_]* */
    long long batch;
    PGconn *conn;        /* NULL when not connected */
    int in_tx;           /* a transaction is open and healthy */
    struct pg_row *rows; /* of the open (or lost) transaction */
    size_t nrows;
    size_t cap;
    struct wh_buf late;   /* refused while run again: for flush() */
    int64_t retry_at_ms;  /* no connection attempt before this */
    struct wh_backoff bo; /* between connection attempts */
    int table_ready;      /* the table was created (or checked) */
    char why[512];        /* the last connection failure */
};

static void row_clear(struct pg_row *row)
{
    int i;

    for (i = 0; i < PG_NPARAMS; i++) {
        free(row->values[i]);
        row->values[i] = NULL;
    }
}

static void rows_clear(struct pg *ctx)
{
    size_t i;

    for (i = 0; i < ctx->nrows; i++) {
        row_clear(&ctx->rows[i]);
    }
    ctx->nrows = 0;
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? wh_xstrdup(s) : NULL;
}

/* The statement's parameters for rec. */
static void row_fill(struct pg_row *row, const struct wh_record *rec)
{
    const json_t *cluster = NULL;

    memset(row, 0, sizeof(*row));
    row->values[P_URI] = wh_xstrdup(rec->uri);
    row->values[P_VERSION] =
        wh_xasprintf("%u", rec->version == 0 ? 1u : rec->version);
    row->values[P_RECORD] = wh_record_dump(rec);
    row->values[P_HEADLINE] = dup_or_null(rec->headline);
    /* A date the column cannot take stays in the jsonb only. */
    row->values[P_FIRST_CREATED] = rec->first_created != NULL
                                       ? wh_date_normalize(rec->first_created)
                                       : NULL;
    row->values[P_VERSION_CREATED] =
        rec->version_created != NULL ? wh_date_normalize(rec->version_created)
                                     : NULL;
    row->values[P_LANGUAGE] = dup_or_null(rec->language);
    row->values[P_SOURCE] = dup_or_null(rec->source);
    if (rec->ext != NULL) {
        cluster = json_object_get(rec->ext, "clusterId");
    }
    row->values[P_CLUSTER_ID] =
        json_is_string(cluster) ? wh_xstrdup(json_string_value(cluster)) : NULL;
}

/* Routes the server's notices ("relation already exists, skipping")
 * through our log. */
static void notice_processor(void *arg, const char *message)
{
    size_t len = strlen(message);

    (void)arg;
    while (len > 0 && message[len - 1] == '\n') {
        len--;
    }
    wh_debug(TAG, "server: %.*s", (int)len, message);
}

/* The server's message on one line, without libpq's trailing newline. */
static void set_pg_err(char *errstr, size_t errstr_size, const char *what,
                       const char *msg)
{
    size_t len;
    size_t i;

    snprintf(errstr, errstr_size, "%s: %s", what,
             msg != NULL && msg[0] != '\0' ? msg : "unknown error");
    len = strlen(errstr);
    while (len > 0 && (errstr[len - 1] == '\n' || errstr[len - 1] == ' ')) {
        errstr[--len] = '\0';
    }
    for (i = 0; i < len; i++) {
        if (errstr[i] == '\n' || errstr[i] == '\t') {
            errstr[i] = ' ';
        }
    }
}

/* What to do about a failed statement (res may be NULL). */
static int classify(PGconn *conn, const PGresult *res)
{
    const char *state =
        res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

    if (PQstatus(conn) != CONNECTION_OK || state == NULL ||
        strlen(state) != 5) {
        return WH_RETRY; /* connection lost, or a client-side failure */
    }
    if (strcmp(state, "42P01") == 0 || strcmp(state, "42501") == 0 ||
        strcmp(state, "42703") == 0 || strcmp(state, "42883") == 0) {
        return WH_FATAL;
    }
    if (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0 ||
        strncmp(state, "42", 2) == 0 || strncmp(state, "54", 2) == 0) {
        return WH_REJECT;
    }
    return WH_RETRY; /* 08, 40, 53, 57 and whatever else */
}

/* "SQLSTATE: message" of a failed result, for errstr. */
static void set_res_err(char *errstr, size_t errstr_size, const char *what,
                        PGconn *conn, const PGresult *res)
{
    const char *state =
        res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg =
        res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char buf[512];

    if (msg == NULL) {
        msg = PQerrorMessage(conn);
    }
    if (state != NULL) {
        snprintf(buf, sizeof(buf), "%s (SQLSTATE %s)", what, state);
        set_pg_err(errstr, errstr_size, buf, msg);
    } else {
        set_pg_err(errstr, errstr_size, what, msg);
    }
}

static void disconnect(struct pg *ctx)
{
    PQfinish(ctx->conn);
    ctx->conn = NULL;
    ctx->in_tx = 0;
}

/* Runs a statement without parameters. WH_OK, or the class of the error
 * with errstr filled. */
static int exec_simple(struct pg *ctx, const char *sql, const char *what,
                       char *errstr, size_t errstr_size)
{
    PGresult *res = PQexec(ctx->conn, sql);
    ExecStatusType st = PQresultStatus(res);
    int rc = WH_OK;

    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        rc = classify(ctx->conn, res);
        set_res_err(errstr, errstr_size, what, ctx->conn, res);
    }
    PQclear(res);
    return rc;
}

/* Creates the table and its indexes when missing. An advisory lock keeps
 * two consumers starting together from racing on CREATE. */
static int create_table(struct pg *ctx, char *errstr, size_t errstr_size)
{
    const char *t = ctx->table;
    char *sql;
    int rc;

    sql = wh_xasprintf(
        "BEGIN;"
        "SELECT pg_advisory_xact_lock(hashtext('wirehose sink %s'));"
        "CREATE TABLE IF NOT EXISTS \"%s\" ("
        " uri text NOT NULL,"
        " version integer NOT NULL CHECK (version > 0),"
        " record jsonb NOT NULL,"
        " headline text,"
        " first_created timestamptz,"
        " version_created timestamptz,"
        " language text,"
        " source text,"
        " cluster_id text,"
        " ingested_at timestamptz NOT NULL DEFAULT now(),"
        " PRIMARY KEY (uri, version));"
        "CREATE INDEX IF NOT EXISTS \"%s_first_created_idx\""
        " ON \"%s\" (first_created);"
        "CREATE INDEX IF NOT EXISTS \"%s_cluster_id_idx\""
        " ON \"%s\" (cluster_id);"
        "CREATE INDEX IF NOT EXISTS \"%s_source_idx\" ON \"%s\" (source);"
        "COMMIT",
        t, t, t, t, t, t, t, t);
    rc = exec_simple(ctx, sql, "creating the table", errstr, errstr_size);
    free(sql);
    if (rc != WH_OK) {
        /* Leave no aborted transaction behind. */
        PGresult *res = PQexec(ctx->conn, "ROLLBACK");

        PQclear(res);
    }
    return rc;
}

/* Prepares the upsert on the current connection. */
static int prepare(struct pg *ctx, char *errstr, size_t errstr_size)
{
    const char *t = ctx->table;
    char *sql;
    PGresult *res;
    int rc = WH_OK;

    sql = wh_xasprintf(
        "INSERT INTO \"%s\" AS t (uri, version, record, headline,"
        " first_created, version_created, language, source, cluster_id)"
        " VALUES ($1, $2::integer, $3::jsonb, $4, $5::timestamptz,"
        " $6::timestamptz, $7, $8, $9)"
        " ON CONFLICT (uri, version) DO UPDATE SET"
        " record = EXCLUDED.record, headline = EXCLUDED.headline,"
        " first_created = EXCLUDED.first_created,"
        " version_created = EXCLUDED.version_created,"
        " language = EXCLUDED.language, source = EXCLUDED.source,"
        " cluster_id = EXCLUDED.cluster_id"
        " WHERE (t.record, t.headline, t.first_created, t.version_created,"
        " t.language, t.source, t.cluster_id) IS DISTINCT FROM"
        " (EXCLUDED.record, EXCLUDED.headline, EXCLUDED.first_created,"
        " EXCLUDED.version_created, EXCLUDED.language, EXCLUDED.source,"
        " EXCLUDED.cluster_id)",
        t);
    res = PQprepare(ctx->conn, PG_STMT, sql, PG_NPARAMS, NULL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = classify(ctx->conn, res);
        set_res_err(errstr, errstr_size, "preparing the upsert", ctx->conn,
                    res);
        if (rc == WH_REJECT) {
            rc = WH_FATAL; /* the statement, not a record, is at fault */
        }
    }
    PQclear(res);
    free(sql);
    return rc;
}

/* Connects. WH_OK, or WH_RETRY with errstr. */
static int open_conn(struct pg *ctx, char *errstr, size_t errstr_size)
{
    /* Later keywords override earlier ones, the expanded conninfo sitting
     * at dbname's place: the timeout is a default, the encoding is not
     * (records are UTF-8). */
    const char *const keywords[] = {"connect_timeout",
                                    "fallback_application_name", "dbname",
                                    "client_encoding", NULL};
    const char *const values[] = {PG_CONNECT_TIMEOUT, "wirehose-consumer",
                                  ctx->conninfo, "UTF8", NULL};

    ctx->conn = PQconnectdbParams(keywords, values, 1);
    if (ctx->conn == NULL) {
        snprintf(errstr, errstr_size, "connect: out of memory");
        return WH_RETRY;
    }
    if (PQstatus(ctx->conn) != CONNECTION_OK) {
        set_pg_err(errstr, errstr_size, "connect", PQerrorMessage(ctx->conn));
        disconnect(ctx);
        return WH_RETRY;
    }
    PQsetNoticeProcessor(ctx->conn, notice_processor, NULL);
    return WH_OK;
}

/* After a failed connection: non-zero when a server answers at the
 * address, so it refused us (password, role, database: a configuration
 * error), rather than being down or still starting (an outage). */
static int server_answers(const struct pg *ctx)
{
    const char *const keywords[] = {"connect_timeout", "dbname", NULL};
    const char *const values[] = {PG_CONNECT_TIMEOUT, ctx->conninfo, NULL};

    return PQpingParams(keywords, values, 1) == PQPING_OK;
}

/* Connects, creates the table when it was not yet (a server that was
 * down at start-up), and prepares. WH_OK, or WH_RETRY / WH_FATAL with
 * errstr. */
static int connect_db(struct pg *ctx, char *errstr, size_t errstr_size)
{
    int rc = open_conn(ctx, errstr, errstr_size);

    if (rc != WH_OK) {
        return rc;
    }
    if (!ctx->table_ready) {
        rc = create_table(ctx, errstr, errstr_size);
        if (rc != WH_OK) {
            disconnect(ctx);
            return rc == WH_RETRY ? WH_RETRY : WH_FATAL;
        }
        ctx->table_ready = 1;
    }
    rc = prepare(ctx, errstr, errstr_size);
    if (rc != WH_OK) {
        disconnect(ctx);
    }
    return rc;
}

static void bump_backoff(struct pg *ctx)
{
    /* Jitter in [base/2, base], so consumers do not reconnect in step. */
    ctx->retry_at_ms = wh_now_ms() + wh_backoff_fail(&ctx->bo, 0);
}

/* After a failed statement: the transaction is aborted (or the
 * connection gone). Rolls back so the connection can be used again. */
static void abort_tx(struct pg *ctx)
{
    ctx->in_tx = 0;
    if (ctx->conn == NULL) {
        return;
    }
    if (PQstatus(ctx->conn) != CONNECTION_OK) {
        disconnect(ctx);
        bump_backoff(ctx);
        return;
    }
    if (PQtransactionStatus(ctx->conn) != PQTRANS_IDLE) {
        PGresult *res = PQexec(ctx->conn, "ROLLBACK");

        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            wh_warn(TAG, "rollback failed; reconnecting");
            disconnect(ctx);
        }
        PQclear(res);
    }
}

/* Runs the upsert for one row. WH_OK or the error class, errstr filled
 * with the uri and the server's message. */
static int exec_row(struct pg *ctx, const struct pg_row *row, char *errstr,
                    size_t errstr_size)
{
    PGresult *res;
    int rc = WH_OK;

    res = PQexecPrepared(ctx->conn, PG_STMT, PG_NPARAMS,
                         (const char *const *)row->values, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        char what[256];

        rc = classify(ctx->conn, res);
        snprintf(what, sizeof(what), "%.200s", row->values[P_URI]);
        set_res_err(errstr, errstr_size, what, ctx->conn, res);
    }
    PQclear(res);
    return rc;
}

static void drop_row(struct pg *ctx, size_t i)
{
    row_clear(&ctx->rows[i]);
    memmove(&ctx->rows[i], &ctx->rows[i + 1],
            (ctx->nrows - i - 1) * sizeof(ctx->rows[0]));
    ctx->nrows--;
}

/* Connects when the backoff allows. WH_OK, or WH_RETRY / WH_FATAL with
 * errstr. */
static int reconnect(struct pg *ctx, char *errstr, size_t errstr_size)
{
    int64_t wait = ctx->retry_at_ms - wh_now_ms();
    int rc;

    if (wait > 0) {
        snprintf(errstr, errstr_size,
                 "not connected (%s); next attempt in %" PRId64 " ms", ctx->why,
                 wait);
        return WH_RETRY;
    }
    rc = connect_db(ctx, errstr, errstr_size);
    if (rc != WH_OK) {
        snprintf(ctx->why, sizeof(ctx->why), "%s", errstr);
        bump_backoff(ctx);
        return rc;
    }
    wh_notice(TAG, "connected%s",
              ctx->nrows > 0 ? "; writing the uncommitted rows again" : "");
    wh_backoff_reset(&ctx->bo);
    ctx->retry_at_ms = 0;
    return WH_OK;
}

/* Makes sure there is a connection and an open transaction holding every
 * uncommitted row. WH_OK, WH_RETRY or WH_FATAL with errstr filled. */
static int ready(struct pg *ctx, char *errstr, size_t errstr_size)
{
    size_t i;
    int rc;

    if (ctx->conn != NULL && PQstatus(ctx->conn) != CONNECTION_OK) {
        disconnect(ctx);
    }
    if (ctx->conn == NULL) {
        rc = reconnect(ctx, errstr, errstr_size);
        if (rc != WH_OK) {
            return rc;
        }
    }
    while (!ctx->in_tx) {
        rc = exec_simple(ctx, "BEGIN", "begin", errstr, errstr_size);
        if (rc != WH_OK) {
            abort_tx(ctx);
            return rc == WH_FATAL ? WH_FATAL : WH_RETRY;
        }
        ctx->in_tx = 1;
        for (i = 0; i < ctx->nrows; i++) {
            rc = exec_row(ctx, &ctx->rows[i], errstr, errstr_size);
            if (rc == WH_OK) {
                continue;
            }
            abort_tx(ctx);
            if (rc != WH_REJECT) {
                return rc;
            }
            /* Accepted before, refused now (the table changed?): it
             * cannot be written; flush() reports it. */
            wh_err(TAG, "%s", errstr);
            (void)wh_buf_printf(&ctx->late, "%s%s",
                                ctx->late.len > 0 ? "; " : "", errstr);
            if (ctx->rows[i].reject != NULL) {
                ctx->rows[i].reject(ctx->rows[i].reject_opaque,
                                    ctx->rows[i].token, errstr);
            }
            drop_row(ctx, i);
            if (ctx->conn == NULL) {
                return WH_RETRY;
            }
            break; /* start a new transaction without it */
        }
    }
    return WH_OK;
}

/* COMMIT. On success the uncommitted rows are forgotten. */
static int commit(struct pg *ctx, char *errstr, size_t errstr_size)
{
    PGresult *res;
    int rc = WH_OK;

    res = PQexec(ctx->conn, "COMMIT");
    /* COMMIT of an aborted transaction "succeeds" as ROLLBACK. */
    if (PQresultStatus(res) != PGRES_COMMAND_OK ||
        strcmp(PQcmdStatus(res), "COMMIT") != 0) {
        rc = classify(ctx->conn, res);
        set_res_err(errstr, errstr_size, "commit", ctx->conn, res);
        if (rc != WH_FATAL) {
            rc = WH_RETRY; /* rows are written again, then committed */
        }
    }
    PQclear(res);
    if (rc != WH_OK) {
        abort_tx(ctx);
        return rc;
    }
    ctx->in_tx = 0;
    rows_clear(ctx);
    return WH_OK;
}

static void pg_close(void *arg)
{
    struct pg *ctx = arg;

    if (ctx == NULL) {
        return;
    }
    if (ctx->nrows > 0) {
        wh_warn(TAG,
                "%zu row(s) never committed (their records will be "
                "consumed again)",
                ctx->nrows);
    }
    if (ctx->conn != NULL && ctx->in_tx) {
        PGresult *res = PQexec(ctx->conn, "ROLLBACK");

        PQclear(res);
    }
    disconnect(ctx);
    rows_clear(ctx);
    free(ctx->rows);
    wh_buf_free(&ctx->late);
    free(ctx->conninfo);
    free(ctx->table);
    free(ctx);
}

static int valid_table_name(const char *s)
{
    size_t i;

    if (s[0] == '\0' || strlen(s) > PG_TABLE_MAX ||
        (s[0] >= '0' && s[0] <= '9')) {
        return 0;
    }
    for (i = 0; s[i] != '\0'; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_')) {
            return 0;
        }
    }
    return 1;
}

/* postgres.table: a name we can splice into SQL unquoted. */
static int table_check(const char *value, char *errstr, size_t errstr_size)
{
    if (!valid_table_name(value)) {
        snprintf(errstr, errstr_size,
                 "\"%.100s\": a table name is 1 to %d letters, digits or "
                 "'_', not starting with a digit",
                 value, PG_TABLE_MAX);
        return WH_EINVAL;
    }
    return WH_OK;
}

static const struct wh_config_key pg_keys[] = {
    WH_KEY_CHECKED("postgres.table", WH_CONFIG_STRING, "articles", table_check,
                   "postgres sink: table name"),
    WH_KEY_INT("postgres.batch", "500", 1, 100000, "rows",
               "postgres sink: rows per transaction"),
    WH_KEY_END};

/* --check-config and init: a connection string libpq can parse. It may
 * hold a password: it is never logged. */
static int pg_check(const char *arg, const struct wh_config *cfg, char *errstr,
                    size_t errstr_size)
{
    char reason[512];

    (void)cfg;
    if (arg == NULL || arg[0] == '\0') {
        snprintf(errstr, errstr_size,
                 "postgres: needs a connection string "
                 "(postgres:CONNINFO, e.g. postgres:'host=/run/postgresql "
                 "dbname=news')");
        return WH_EINVAL;
    }
    if (wh_pg_conninfo_check(arg, reason, sizeof(reason)) != WH_OK) {
        snprintf(errstr, errstr_size, "postgres: %s", reason);
        return WH_EINVAL;
    }
    return WH_OK;
}

static void *pg_init(const char *arg, const struct wh_config *cfg, char *errstr,
                     size_t errstr_size)
{
    struct pg *ctx;
    const char *table;
    char reason[512];
    int rc;

    if (pg_check(arg, cfg, errstr, errstr_size) != WH_OK) {
        return NULL;
    }
    ctx = wh_xcalloc(1, sizeof(*ctx));
    ctx->conninfo = wh_xstrdup(arg);
    wh_buf_init(&ctx->late, (size_t)64 * 1024);
    wh_backoff_init(&ctx->bo, PG_BACKOFF_MIN_MS, PG_BACKOFF_MAX_MS,
                    wh_prng_entropy() ^ (uint64_t)(uintptr_t)ctx);

    if (wh_config_string(cfg, pg_keys, "postgres.table", &table, errstr,
                         errstr_size) != WH_OK ||
        wh_config_int(cfg, pg_keys, "postgres.batch", &ctx->batch, errstr,
                      errstr_size) != WH_OK) {
        goto fail;
    }
    ctx->table = wh_xstrdup(table);

    /* A server that refuses us at start-up (password, role, database)
     * is a configuration error, told at once; one that cannot be reached
     * is an outage: the first record waits for it (ready() connects,
     * with backoff, and creates the table then). */
    rc = open_conn(ctx, reason, sizeof(reason));
    if (rc != WH_OK && server_answers(ctx)) {
        snprintf(errstr, errstr_size, "postgres: %s", reason);
        goto fail;
    }
    if (rc != WH_OK) {
        wh_warn(TAG, "%s; waiting for the server", reason);
        snprintf(ctx->why, sizeof(ctx->why), "%s", reason);
        bump_backoff(ctx);
        return ctx;
    }
    rc = create_table(ctx, reason, sizeof(reason));
    if (rc == WH_OK) {
        /* Also checks that an existing table has the columns we need. */
        rc = prepare(ctx, reason, sizeof(reason));
    }
    if (rc != WH_OK) {
        snprintf(errstr, errstr_size, "postgres: table \"%s\": %s", ctx->table,
                 reason);
        goto fail;
    }
    ctx->table_ready = 1;
    wh_info(TAG, "table \"%s\" ready; commit every flush or %lld rows",
            ctx->table, ctx->batch);
    return ctx;
fail:
    pg_close(ctx);
    return NULL;
}

static int pg_process(void *arg, struct wh_record *rec,
                      const struct wh_msg_meta *meta, char *errstr,
                      size_t errstr_size)
{
    struct pg *ctx = arg;
    struct pg_row row;
    int rc;

    rc = ready(ctx, errstr, errstr_size);
    if (rc != WH_OK) {
        return rc;
    }
    row_fill(&row, rec);
    row.token = meta->token;
    row.reject = meta->reject;
    row.reject_opaque = meta->reject_opaque;
    rc = exec_row(ctx, &row, errstr, errstr_size);
    if (rc != WH_OK) {
        row_clear(&row);
        abort_tx(ctx);
        return rc;
    }
    if (ctx->nrows == ctx->cap) {
        ctx->cap = ctx->cap == 0 ? 64 : ctx->cap * 2;
        ctx->rows = wh_xrealloc(ctx->rows, ctx->cap * sizeof(ctx->rows[0]));
    }
    ctx->rows[ctx->nrows++] = row;
    if ((long long)ctx->nrows >= ctx->batch) {
        char ignored[512];

        /* The record is accepted either way; a failed commit shows
         * again, and is reported, at the next call. */
        (void)commit(ctx, ignored, sizeof(ignored));
    }
    return WH_OK;
}

static int pg_flush(void *arg, char *errstr, size_t errstr_size)
{
    struct pg *ctx = arg;
    int rc;

    if (ctx->nrows > 0 || ctx->in_tx) {
        rc = ready(ctx, errstr, errstr_size);
        if (rc == WH_OK) {
            rc = commit(ctx, errstr, errstr_size);
        }
        if (rc != WH_OK) {
            return rc;
        }
    }
    if (ctx->late.len > 0) {
        snprintf(errstr, errstr_size,
                 "refused when written again, the "
                 "rest is committed: %s",
                 ctx->late.data);
        wh_buf_reset(&ctx->late);
        return WH_REJECT;
    }
    return WH_OK;
}

/* Reachable now? Connects when not connected (with the backoff); when
 * idle, asks the server (SELECT 1), so an outage shows without a
 * record. */
static int pg_probe(void *arg, char *errstr, size_t errstr_size)
{
    struct pg *ctx = arg;
    int rc;

    if (ctx->conn != NULL && PQstatus(ctx->conn) != CONNECTION_OK) {
        disconnect(ctx);
    }
    if (ctx->conn == NULL) {
        return reconnect(ctx, errstr, errstr_size);
    }
    if (ctx->in_tx || ctx->nrows > 0) {
        return WH_OK; /* in use: process() and flush() tell */
    }
    rc = exec_simple(ctx, "SELECT 1", "probe", errstr, errstr_size);
    if (rc != WH_OK) {
        snprintf(ctx->why, sizeof(ctx->why), "%s", errstr);
        disconnect(ctx);
        bump_backoff(ctx);
        return WH_RETRY;
    }
    return WH_OK;
}

const struct wh_stage wh_sink_postgres = {
    .name = "postgres",
    .type = WH_STAGE_SINK,
    .version = "1",
    .description = "upserts each record on (uri, version) into a "
                   "PostgreSQL table (jsonb + indexed columns), committed "
                   "at flush",
    .keys = pg_keys,
    .check = pg_check,
    .init = pg_init,
    .process = pg_process,
    .flush = pg_flush,
    .probe = pg_probe,
    .close = pg_close,
};
