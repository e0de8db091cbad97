/*
 * The raw SQLite anchor for durable writes: one row per transaction
 * (autocommit INSERT), WAL mode, one writer, for a fixed time.
 *
 *   gcc -O2 -o sqlite-commit bench/sqlite-commit.c -lsqlite3
 *   ./sqlite-commit DB_PATH SECONDS [FULL|NORMAL]
 *
 * Prints one JSON line: rows, seconds, rows_per_s, p50_ms, p99_ms
 * (latency of one INSERT + COMMIT).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void check(int rc, sqlite3 *db, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s DB_PATH SECONDS [FULL|NORMAL]\n", argv[0]);
        return 2;
    }
    const char *path = argv[1];
    double seconds = atof(argv[2]);
    const char *sync = argc > 3 ? argv[3] : "FULL";
    sqlite3 *db;
    check(sqlite3_open(path, &db), db, "open");
    char sql[256];
    snprintf(sql, sizeof sql, "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;", sync);
    check(sqlite3_exec(db, sql, 0, 0, 0), db, "pragmas");
    check(sqlite3_exec(db,
        "CREATE TABLE IF NOT EXISTS profiles(id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "version INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)", 0, 0, 0), db, "create");
    sqlite3_stmt *insert;
    check(sqlite3_prepare_v2(db, "INSERT INTO profiles(name, version, created_at, updated_at) VALUES (?, 1, ?, ?)", -1,
                             &insert, 0), db, "prepare");

    size_t cap = 1 << 20, n = 0;
    double *lat = malloc(cap * sizeof(double));
    double start = now_s(), end = start + seconds, t = start;
    char name[64];
    while (t < end) {
        snprintf(name, sizeof name, "Anna M\xc3\xbcller %zu", n);
        sqlite3_bind_text(insert, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(insert, 2, (sqlite3_int64)(t * 1000));
        sqlite3_bind_int64(insert, 3, (sqlite3_int64)(t * 1000));
        check(sqlite3_step(insert), db, "insert");
        sqlite3_reset(insert);
        double after = now_s();
        if (n == cap) {
            cap *= 2;
            lat = realloc(lat, cap * sizeof(double));
        }
        lat[n++] = after - t;
        t = after;
    }
    double elapsed = t - start;
    qsort(lat, n, sizeof(double), cmp);
    printf("{\"synchronous\":\"%s\",\"rows\":%zu,\"seconds\":%.3f,\"rows_per_s\":%.1f,\"p50_ms\":%.4f,\"p99_ms\":%.4f}\n",
           sync, n, elapsed, n / elapsed, n ? lat[n / 2] * 1e3 : 0, n ? lat[(size_t)(n * 0.99)] * 1e3 : 0);
    sqlite3_finalize(insert);
    sqlite3_close(db);
    free(lat);
    return 0;
}
