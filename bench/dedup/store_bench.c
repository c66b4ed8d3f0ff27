/*
 * store_bench.c - decisions per second of the shared dedup store, against
 * SQLite in WAL mode doing the same transaction, in the same run.
 *
 *   store_bench DIR [N]        (default N = 20000)
 *
 * One decision = lock, catch up with what others appended, decide (index
 * lookup, uri map), append, unlock. Rows: one process, then two processes
 * deciding at the same time (each catches up with the other's records on
 * every decision); fdatasync once per 100 decisions (the consumer's flush)
 * or on every decision. The SQLite peer runs BEGIN IMMEDIATE; SELECT the
 * rows appended since the last look; INSERT; COMMIT, with synchronous =
 * NORMAL (WAL: no fsync per commit) or FULL. Each figure is the best of 3
 * runs (the machine is shared). Last row: start-up, reading
 * the whole log back into memory.
 */
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "wh/wh.h"

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void random_sig(uint64_t *s, struct wh_simhash_sig *sig)
{
    unsigned i;

    memset(sig, 0, sizeof(*sig));
    sig->fp = rng(s);
    sig->nwords = 500;
    for (i = 0; i < WH_SIMHASH_MINHASH_MAX; i++) {
        sig->minhash[i] = (uint32_t)rng(s);
    }
    for (i = 0; i < WH_SIMHASH_WEAK; i++) {
        sig->weak[i] = (uint8_t)(((uint64_t)i * 4 + rng(s) % 4) % 64);
    }
}

/* n decisions by one process on store dir; returns 0 or -1. */
static int run_store(const char *dir, size_t n, uint64_t seed, int each)
{
    struct wh_dedup_store_params p;
    struct wh_dedup_store *st;
    char err[256];
    uint64_t s = seed;
    size_t i;

    wh_dedup_store_params_default(&p);
    p.dir = dir;
    p.fsync_each = each;
    st = wh_dedup_store_open(&p, err, sizeof(err));
    if (st == NULL) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    for (i = 0; i < n; i++) {
        struct wh_simhash_sig sig;
        struct wh_dedup_input in;
        struct wh_dedup_result r;
        char uri[64];

        random_sig(&s, &sig);
        snprintf(uri, sizeof(uri), "https://news.example/%llu",
                 (unsigned long long)rng(&s));
        memset(&in, 0, sizeof(in));
        in.uri = uri;
        in.body_hash = rng(&s);
        in.self_hash = rng(&s);
        in.sig = &sig;
        in.near = 1;
        in.version = 1;
        if (wh_dedup_store_decide(st, &in, &r, err, sizeof(err)) != WH_OK) {
            fprintf(stderr, "%s\n", err);
            wh_dedup_store_close(st);
            return -1;
        }
        wh_dedup_result_clear(&r);
        if (!each && i % 100 == 99 &&
            wh_dedup_store_sync(st, err, sizeof(err)) != WH_OK) {
            fprintf(stderr, "%s\n", err);
        }
    }
    wh_dedup_store_close(st);
    return 0;
}

/* The log's mechanics alone, as the SQLite peer does them: lock, read
 * what others appended since the last look, append one frame of the same
 * size as a decision record, unlock. */
static int run_raw_log(const char *path, size_t n, uint64_t seed, int each)
{
    unsigned char frame[8 + 64 + 64 * 4 + 40 + 4];
    unsigned char buf[65536];
    uint64_t s = seed;
    off_t pos = 0;
    size_t i;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);

    if (fd < 0) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        struct stat stb;
        size_t k;

        for (k = 0; k < sizeof(frame); k++) {
            frame[k] = (unsigned char)rng(&s);
        }
        if (flock(fd, LOCK_EX) != 0 || fstat(fd, &stb) != 0) {
            close(fd);
            return -1;
        }
        while (pos < stb.st_size) {
            ssize_t got = pread(fd, buf, sizeof(buf), pos);

            if (got <= 0) {
                break;
            }
            pos += got;
        }
        if (pwrite(fd, frame, sizeof(frame), pos) != (ssize_t)sizeof(frame)) {
            close(fd);
            return -1;
        }
        pos += (off_t)sizeof(frame);
        if ((each || i % 100 == 99) && fdatasync(fd) != 0) {
            close(fd);
            return -1;
        }
        (void)flock(fd, LOCK_UN);
    }
    close(fd);
    return 0;
}

static int run_sqlite(const char *path, size_t n, uint64_t seed, int full)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *sel = NULL;
    sqlite3_stmt *ins = NULL;
    unsigned char blob[64 * 4 + 64];
    uint64_t s = seed;
    long long last = 0;
    size_t i;
    int rc = -1;

    if (sqlite3_open(path, &db) != SQLITE_OK) {
        goto out;
    }
    sqlite3_busy_timeout(db, 10000);
    if (sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(
            db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
            NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db,
                     "CREATE TABLE IF NOT EXISTS d (id INTEGER PRIMARY KEY,"
                     " uri_hash INTEGER, body_hash INTEGER, fp INTEGER,"
                     " rec BLOB)",
                     NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT id, fp, rec FROM d WHERE id > ?", -1,
                           &sel, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO d (uri_hash, body_hash, fp, rec)"
                           " VALUES (?, ?, ?, ?)",
                           -1, &ins, NULL) != SQLITE_OK) {
        fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
        goto out;
    }
    for (i = 0; i < n; i++) {
        size_t k;

        for (k = 0; k < sizeof(blob); k++) {
            blob[k] = (unsigned char)rng(&s);
        }
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
            SQLITE_OK) {
            fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
            goto out;
        }
        sqlite3_bind_int64(sel, 1, last);
        while (sqlite3_step(sel) == SQLITE_ROW) {
            last = sqlite3_column_int64(sel, 0);
        }
        sqlite3_reset(sel);
        sqlite3_bind_int64(ins, 1, (sqlite3_int64)rng(&s));
        sqlite3_bind_int64(ins, 2, (sqlite3_int64)rng(&s));
        sqlite3_bind_int64(ins, 3, (sqlite3_int64)rng(&s));
        sqlite3_bind_blob(ins, 4, blob, sizeof(blob), SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
            goto out;
        }
        sqlite3_reset(ins);
        if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
            fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
            goto out;
        }
    }
    rc = 0;
out:
    sqlite3_finalize(sel);
    sqlite3_finalize(ins);
    sqlite3_close(db);
    return rc;
}

enum kind { STORE, RAW_LOG, SQLITE };

/* Runs `procs` processes at once; returns decisions per second. */
static double timed_once(int procs, size_t n, const char *target, int mode,
                         enum kind kind)
{
    pid_t pids[2];
    double t0;
    int k;
    int ok = 1;

    if (kind == SQLITE && run_sqlite(target, 0, 0, mode) != 0) {
        return 0.0; /* schema and WAL mode set up before the race */
    }
    t0 = now();

    for (k = 0; k < procs; k++) {
        pids[k] = fork();
        if (pids[k] == 0) {
            size_t m = n / (size_t)procs;
            uint64_t seed = (uint64_t)k + 1;
            int rc = kind == SQLITE    ? run_sqlite(target, m, seed, mode)
                     : kind == RAW_LOG ? run_raw_log(target, m, seed, mode)
                                       : run_store(target, m, seed, mode);

            _exit(rc == 0 ? 0 : 1);
        }
    }
    for (k = 0; k < procs; k++) {
        int status = 0;

        if (pids[k] < 0 || waitpid(pids[k], &status, 0) != pids[k] ||
            !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            ok = 0;
        }
    }
    return ok ? (double)n / (now() - t0) : 0.0;
}

/* The best of 3 runs, each on a fresh file: the machine and its disk are
 * shared, the best run is the store's own cost. */
static double timed(int procs, size_t n, const char *target, int mode,
                    enum kind kind)
{
    double best = 0;
    int round;

    for (round = 0; round < 3; round++) {
        char *path = wh_xasprintf("%s.%d", target, round);
        double rate = timed_once(procs, n, path, mode, kind);

        if (rate > best) {
            best = rate;
        }
        free(path);
    }
    return best;
}

int main(int argc, char **argv)
{
    size_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 20000;
    const char *base;
    char *path;
    int run = 0;
    int procs;
    int each;

    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR [N]\n", argv[0]);
        return 2;
    }
    base = argv[1];
    printf("| store | processes | fdatasync | decisions/s |\n"
           "|---|---:|---|---:|\n");
    for (each = 0; each <= 1; each++) {
        for (procs = 1; procs <= 2; procs++) {
            size_t m = each ? n / 20 : n; /* fsync each: fewer */
            double rate;

            path = wh_xasprintf("%s/log%d", base, run);
            rate = timed(procs, m, path, each, STORE);
            printf("| wirehose store: whole decision | %d | %s | %.0f |\n",
                   procs, each ? "every decision" : "every 100", rate);
            free(path);
            path = wh_xasprintf("%s/raw%d", base, run);
            rate = timed(procs, m, path, each, RAW_LOG);
            printf("| log + flock: lock, catch up, append | %d | %s "
                   "| %.0f |\n",
                   procs, each ? "every decision" : "every 100", rate);
            free(path);
            path = wh_xasprintf("%s/sqlite%d.db", base, run);
            rate = timed(procs, m, path, each, SQLITE);
            printf("| SQLite WAL: BEGIN IMMEDIATE, SELECT new, INSERT "
                   "| %d | %s | %.0f |\n",
                   procs, each ? "every commit (FULL)" : "checkpoints (NORMAL)",
                   rate);
            free(path);
            fflush(stdout);
            run++;
        }
    }
    {
        /* start-up: reading log0 (n records) back */
        struct wh_dedup_store_params p;
        struct wh_dedup_store *st;
        char err[256];
        double t0;

        path = wh_xasprintf("%s/log0.0", base);
        wh_dedup_store_params_default(&p);
        p.dir = path;
        t0 = now();
        st = wh_dedup_store_open(&p, err, sizeof(err));
        if (st != NULL) {
            printf("\nStart-up: %zu decisions read back in %.3f s "
                   "(%.0f/s); memory of the view %.1f bytes/decision "
                   "(index, uri map, locations).\n",
                   wh_dedup_store_count(st), now() - t0,
                   (double)wh_dedup_store_count(st) / (now() - t0),
                   (double)wh_dedup_store_bytes(st) /
                       (double)wh_dedup_store_count(st));
            wh_dedup_store_close(st);
        }
        free(path);
    }
    return 0;
}
