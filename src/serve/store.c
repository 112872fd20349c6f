/*
 * store.c — the SQLite store and the data directory (store.h).
 *
 * Schema (one version so far; user_version says which):
 *   profiles(id PK, name, uploaded_at, host, command, python, format,
 *            duration_ns, samples, size_bytes, has_stacks, live, tags)
 *   views(id PK, profile, state, note, tags, created_at)
 * Tags are a JSON array in a text column, filtered with json_each: a
 * profile has a handful of tags, and one table keeps every write a single
 * statement (atomic without explicit transactions).
 *
 * Every statement is prepared per call under the store's mutex: the
 * statements are tiny next to the queries, and this keeps no per-thread
 * state. WAL with synchronous=NORMAL: a crash may lose the last commits
 * but never corrupts the database.
 */
#include "serve/store.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct sg_store {
    sqlite3 *db;
    pthread_mutex_t lock;
    char *dir, *tmp_dir, *profiles_dir;
};

#define SG_STORE_SCHEMA                                                                            \
    "CREATE TABLE IF NOT EXISTS profiles("                                                         \
    " id TEXT PRIMARY KEY, name TEXT NOT NULL, uploaded_at INTEGER NOT NULL,"                      \
    " host TEXT NOT NULL, command TEXT NOT NULL, python TEXT NOT NULL, format TEXT NOT NULL,"      \
    " duration_ns INTEGER NOT NULL, samples INTEGER NOT NULL, size_bytes INTEGER NOT NULL,"        \
    " has_stacks INTEGER NOT NULL, live INTEGER NOT NULL, tags TEXT NOT NULL DEFAULT '[]');"       \
    "CREATE TABLE IF NOT EXISTS views("                                                            \
    " id TEXT PRIMARY KEY, profile TEXT NOT NULL, state TEXT NOT NULL, note TEXT NOT NULL,"        \
    " tags TEXT NOT NULL DEFAULT '[]', created_at INTEGER NOT NULL);"                              \
    "CREATE INDEX IF NOT EXISTS views_profile ON views(profile);"                                  \
    "PRAGMA user_version = 1;"

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *s = malloc(n);
    if (s != NULL)
        snprintf(s, n, "%s/%s", a, b);
    return s;
}

/* mkdir -p for a path whose parents may not exist. */
static int make_dirs(const char *path)
{
    char *p = strdup(path);
    if (p == NULL)
        return -1;
    for (char *c = p + 1; *c; c++) {
        if (*c == '/') {
            *c = '\0';
            if (mkdir(p, 0700) != 0 && errno != EEXIST) {
                free(p);
                return -1;
            }
            *c = '/';
        }
    }
    int rc = mkdir(p, 0700) != 0 && errno != EEXIST ? -1 : 0;
    free(p);
    return rc;
}

const char *sg_store_tmp_dir(const sg_store *s)
{
    return s->tmp_dir;
}

const char *sg_store_profile_path(const sg_store *s, const char *id, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", s->profiles_dir, id);
    return buf;
}

static char *dup_col(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return strdup(t != NULL ? (const char *)t : "");
}

static void copy_id(char *dst, sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(dst, SG_ID_LEN + 1, "%s", t != NULL ? (const char *)t : "");
}

#define PROFILE_COLS                                                                               \
    "id, name, uploaded_at, host, command, python, format, duration_ns, samples, size_bytes,"      \
    " has_stacks, live, tags"

static int read_profile(sqlite3_stmt *st, sg_profile_rec *r)
{
    memset(r, 0, sizeof *r);
    copy_id(r->id, st, 0);
    r->name = dup_col(st, 1);
    r->uploaded_at = sqlite3_column_int64(st, 2);
    r->host = dup_col(st, 3);
    r->command = dup_col(st, 4);
    r->python = dup_col(st, 5);
    r->format = dup_col(st, 6);
    r->duration_ns = (uint64_t)sqlite3_column_int64(st, 7);
    r->samples = (uint64_t)sqlite3_column_int64(st, 8);
    r->size_bytes = (uint64_t)sqlite3_column_int64(st, 9);
    r->has_stacks = sqlite3_column_int(st, 10) != 0;
    r->live = sqlite3_column_int(st, 11) != 0;
    r->tags = dup_col(st, 12);
    if (!r->name || !r->host || !r->command || !r->python || !r->format || !r->tags) {
        sg_profile_rec_free(r);
        return -1;
    }
    return 0;
}

void sg_profile_rec_free(sg_profile_rec *r)
{
    free(r->name);
    free(r->host);
    free(r->command);
    free(r->python);
    free(r->format);
    free(r->tags);
    memset(r, 0, sizeof *r);
}

void sg_profile_list_free(sg_profile_rec *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sg_profile_rec_free(&r[i]);
    free(r);
}

void sg_view_rec_free(sg_view_rec *v)
{
    free(v->state);
    free(v->note);
    free(v->tags);
    memset(v, 0, sizeof *v);
}

void sg_view_list_free(sg_view_rec *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sg_view_rec_free(&v[i]);
    free(v);
}

/* Remove every file of a directory (not recursive: we only put files). */
static void empty_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *p = join(dir, e->d_name);
        if (p != NULL)
            unlink(p);
        free(p);
    }
    closedir(d);
}

static bool row_exists(sg_store *s, const char *id)
{
    sqlite3_stmt *st;
    bool found = false;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM profiles WHERE id = ?", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        found = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    return found;
}

/* The crash leftovers (see store.h): files without rows, rows without
 * files, the tmp directory. Collects ids of rows still marked live. */
static int recover(sg_store *s, char (**live_ids)[SG_ID_LEN + 1], size_t *live_count)
{
    empty_dir(s->tmp_dir);
    DIR *d = opendir(s->profiles_dir);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            if (!sg_id_valid(e->d_name) || !row_exists(s, e->d_name)) {
                char *p = join(s->profiles_dir, e->d_name);
                if (p != NULL)
                    unlink(p);
                free(p);
            }
        }
        closedir(d);
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT id, live FROM profiles", -1, &st, NULL) != SQLITE_OK)
        return -1;
    size_t cap = 0;
    char(*ids)[SG_ID_LEN + 1] = NULL;
    char(*gone)[SG_ID_LEN + 1] = NULL;
    size_t ngone = 0, gone_cap = 0;
    *live_count = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        char id[SG_ID_LEN + 1], path[4096];
        copy_id(id, st, 0);
        struct stat sb;
        if (!sg_id_valid(id) || stat(sg_store_profile_path(s, id, path, sizeof path), &sb) != 0) {
            if (ngone == gone_cap) {
                gone_cap = gone_cap ? gone_cap * 2 : 8;
                void *g = realloc(gone, gone_cap * sizeof *gone);
                if (g == NULL)
                    break;
                gone = g;
            }
            memcpy(gone[ngone++], id, sizeof id);
        } else if (sqlite3_column_int(st, 1) != 0) {
            if (*live_count == cap) {
                cap = cap ? cap * 2 : 8;
                void *g = realloc(ids, cap * sizeof *ids);
                if (g == NULL)
                    break;
                ids = g;
            }
            memcpy(ids[(*live_count)++], id, sizeof id);
        }
    }
    sqlite3_finalize(st);
    for (size_t i = 0; i < ngone; i++) {
        if (sqlite3_prepare_v2(s->db, "DELETE FROM profiles WHERE id = ?", -1, &st, NULL) ==
            SQLITE_OK) {
            sqlite3_bind_text(st, 1, gone[i], -1, SQLITE_STATIC);
            sqlite3_step(st);
            sqlite3_finalize(st);
        }
    }
    free(gone);
    *live_ids = ids;
    return 0;
}

int sg_store_open(const char *data_dir, sg_store **out, char (**live_ids)[SG_ID_LEN + 1],
                  size_t *live_count, char *err, size_t errlen)
{
    *out = NULL;
    *live_ids = NULL;
    *live_count = 0;
    sg_store *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    pthread_mutex_init(&s->lock, NULL);
    s->dir = strdup(data_dir);
    s->tmp_dir = join(data_dir, "tmp");
    s->profiles_dir = join(data_dir, "profiles");
    char *db_path = join(data_dir, "spyglass.db");
    if (!s->dir || !s->tmp_dir || !s->profiles_dir || !db_path) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (make_dirs(data_dir) != 0 || make_dirs(s->tmp_dir) != 0 || make_dirs(s->profiles_dir) != 0) {
        snprintf(err, errlen, "cannot create the data directory %s: %s", data_dir, strerror(errno));
        goto fail;
    }
    if (sqlite3_open_v2(db_path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", db_path,
                 s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 5000);
    char *msg = NULL;
    if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL,
                     &msg) != SQLITE_OK ||
        sqlite3_exec(s->db, SG_STORE_SCHEMA, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "cannot set up %s: %s", db_path, msg ? msg : "?");
        sqlite3_free(msg);
        goto fail;
    }
    if (recover(s, live_ids, live_count) != 0) {
        snprintf(err, errlen, "cannot read %s: %s", db_path, sqlite3_errmsg(s->db));
        goto fail;
    }
    free(db_path);
    *out = s;
    return 0;
fail:
    free(db_path);
    sg_store_close(s);
    return -1;
}

void sg_store_close(sg_store *s)
{
    if (s == NULL)
        return;
    if (s->db != NULL)
        sqlite3_close(s->db);
    pthread_mutex_destroy(&s->lock);
    free(s->dir);
    free(s->tmp_dir);
    free(s->profiles_dir);
    free(s);
}

/* Run one statement that changes rows; returns the number changed or -1. */
static int exec_change(sg_store *s, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    int changed = rc == SQLITE_DONE ? sqlite3_changes(s->db) : -1;
    if (rc != SQLITE_DONE)
        fprintf(stderr, "spyglass serve: database: %s\n", sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    return changed;
}

static sqlite3_stmt *prepare(sg_store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "spyglass serve: database: %s\n", sqlite3_errmsg(s->db));
        return NULL;
    }
    return st;
}

int sg_store_profile_insert(sg_store *s, const sg_profile_rec *r)
{
    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st =
        prepare(s, "INSERT INTO profiles(" PROFILE_COLS ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
    int rc = -1;
    if (st != NULL) {
        sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, r->name ? r->name : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, r->uploaded_at);
        sqlite3_bind_text(st, 4, r->host ? r->host : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, r->command ? r->command : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, r->python ? r->python : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, r->format ? r->format : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 8, (sqlite3_int64)r->duration_ns);
        sqlite3_bind_int64(st, 9, (sqlite3_int64)r->samples);
        sqlite3_bind_int64(st, 10, (sqlite3_int64)r->size_bytes);
        sqlite3_bind_int(st, 11, r->has_stacks);
        sqlite3_bind_int(st, 12, r->live);
        sqlite3_bind_text(st, 13, r->tags ? r->tags : "[]", -1, SQLITE_STATIC);
        rc = exec_change(s, st) == 1 ? 0 : -1;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int sg_store_profile_get(sg_store *s, const char *id, sg_profile_rec *out)
{
    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st = prepare(s, "SELECT " PROFILE_COLS " FROM profiles WHERE id = ?");
    int rc = -1;
    if (st != NULL) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            rc = read_profile(st, out) == 0 ? 1 : -1;
        else
            rc = step == SQLITE_DONE ? 0 : -1;
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int read_view(sqlite3_stmt *st, sg_view_rec *v);

/* Step st to its end, appending each row read by `read` to a growing array
 * of `size`-byte records; 0, or -1 (out of memory, a bad row, a step
 * error) with the rows read so far left in *out for the caller to free. */
static int collect_rows(sqlite3_stmt *st, void **out, size_t *n, size_t size,
                        int (*read)(sqlite3_stmt *, void *))
{
    size_t cap = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            void *g = realloc(*out, cap * size);
            if (g == NULL)
                return -1;
            *out = g;
        }
        if (read(st, (char *)*out + *n * size) != 0)
            return -1;
        (*n)++;
    }
    return step == SQLITE_DONE ? 0 : -1;
}

static int read_profile_row(sqlite3_stmt *st, void *r)
{
    return read_profile(st, r);
}

static int read_view_row(sqlite3_stmt *st, void *v)
{
    return read_view(st, v);
}

int sg_store_profile_list(sg_store *s, const sg_list_query *q, sg_profile_rec **out, size_t *n)
{
    static const char *const order_by[] = {"uploaded_at", "duration_ns", "samples",
                                           "name COLLATE NOCASE"};
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT " PROFILE_COLS " FROM profiles WHERE"
             " (?1 IS NULL OR instr(lower(name), lower(?1)) OR instr(lower(command), lower(?1))"
             "  OR instr(lower(host), lower(?1)))"
             " AND (?2 IS NULL OR EXISTS (SELECT 1 FROM json_each(tags) WHERE value = ?2))"
             " ORDER BY %s %s, id",
             order_by[q->sort >= 0 && q->sort <= SG_SORT_NAME ? q->sort : 0],
             q->ascending ? "ASC" : "DESC");
    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st = prepare(s, sql);
    int rc = -1;
    if (st != NULL) {
        if (q->q != NULL)
            sqlite3_bind_text(st, 1, q->q, -1, SQLITE_STATIC);
        if (q->tag != NULL)
            sqlite3_bind_text(st, 2, q->tag, -1, SQLITE_STATIC);
        rc = collect_rows(st, (void **)out, n, sizeof **out, read_profile_row);
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->lock);
    if (rc != 0) {
        sg_profile_list_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

int sg_store_profile_update(sg_store *s, const char *id, const char *name, const char *tags_json)
{
    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st = prepare(s, "UPDATE profiles SET name = coalesce(?1, name),"
                                  " tags = coalesce(?2, tags) WHERE id = ?3");
    int rc = -1;
    if (st != NULL) {
        if (name != NULL)
            sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        if (tags_json != NULL)
            sqlite3_bind_text(st, 2, tags_json, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
        rc = exec_change(s, st);
    }
    pthread_mutex_unlock(&s->lock);
    return rc < 0 ? -1 : rc > 0;
}

int sg_store_profile_set_stats(sg_store *s, const sg_profile_rec *r)
{
    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st =
        prepare(s, "UPDATE profiles SET duration_ns = ?1, samples = ?2, size_bytes = ?3,"
                   " live = ?4, host = ?5, command = ?6, python = ?7, has_stacks = ?8"
                   " WHERE id = ?9");
    int rc = -1;
    if (st != NULL) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)r->duration_ns);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)r->samples);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)r->size_bytes);
        sqlite3_bind_int(st, 4, r->live);
        sqlite3_bind_text(st, 5, r->host ? r->host : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, r->command ? r->command : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, r->python ? r->python : "", -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 8, r->has_stacks);
        sqlite3_bind_text(st, 9, r->id, -1, SQLITE_STATIC);
        rc = exec_change(s, st);
    }
    pthread_mutex_unlock(&s->lock);
    return rc < 0 ? -1 : rc > 0;
}

int sg_store_profile_delete(sg_store *s, const char *id)
{
    pthread_mutex_lock(&s->lock);
    int rc = -1;
    sqlite3_stmt *st = prepare(s, "DELETE FROM profiles WHERE id = ?");
    if (st != NULL) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        rc = exec_change(s, st);
    }
    if (rc > 0 && (st = prepare(s, "DELETE FROM views WHERE profile = ?")) != NULL) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        exec_change(s, st);
    }
    pthread_mutex_unlock(&s->lock);
    if (rc > 0) {
        char path[4096];
        unlink(sg_store_profile_path(s, id, path, sizeof path));
    }
    return rc < 0 ? -1 : rc > 0;
}

long sg_store_profile_count(sg_store *s)
{
    pthread_mutex_lock(&s->lock);
    long n = -1;
    sqlite3_stmt *st = prepare(s, "SELECT count(*) FROM profiles");
    if (st != NULL) {
        if (sqlite3_step(st) == SQLITE_ROW)
            n = (long)sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* ---- saved views ---------------------------------------------------------- */

static int read_view(sqlite3_stmt *st, sg_view_rec *v)
{
    memset(v, 0, sizeof *v);
    copy_id(v->id, st, 0);
    copy_id(v->profile, st, 1);
    v->state = dup_col(st, 2);
    v->note = dup_col(st, 3);
    v->tags = dup_col(st, 4);
    v->created_at = sqlite3_column_int64(st, 5);
    if (!v->state || !v->note || !v->tags) {
        sg_view_rec_free(v);
        return -1;
    }
    return 0;
}

int sg_store_view_insert(sg_store *s, const sg_view_rec *v)
{
    pthread_mutex_lock(&s->lock);
    int rc = -1;
    sqlite3_stmt *st = prepare(s, "INSERT INTO views(id, profile, state, note, tags, created_at)"
                                  " VALUES (?,?,?,?,?,?)");
    if (st != NULL) {
        sqlite3_bind_text(st, 1, v->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, v->profile, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, v->state ? v->state : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, v->note ? v->note : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, v->tags ? v->tags : "[]", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 6, v->created_at);
        rc = exec_change(s, st) == 1 ? 0 : -1;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int sg_store_view_get(sg_store *s, const char *id, sg_view_rec *out)
{
    pthread_mutex_lock(&s->lock);
    int rc = -1;
    sqlite3_stmt *st = prepare(s, "SELECT id, profile, state, note, tags, created_at FROM views"
                                  " WHERE id = ?");
    if (st != NULL) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        rc = step == SQLITE_ROW ? (read_view(st, out) == 0 ? 1 : -1) : step == SQLITE_DONE ? 0 : -1;
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int sg_store_view_list(sg_store *s, const char *profile, sg_view_rec **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&s->lock);
    int rc = -1;
    sqlite3_stmt *st = prepare(s, "SELECT id, profile, state, note, tags, created_at FROM views"
                                  " WHERE ?1 IS NULL OR profile = ?1 ORDER BY created_at DESC, id");
    if (st != NULL) {
        if (profile != NULL)
            sqlite3_bind_text(st, 1, profile, -1, SQLITE_STATIC);
        rc = collect_rows(st, (void **)out, n, sizeof **out, read_view_row);
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->lock);
    if (rc != 0) {
        sg_view_list_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

int sg_store_view_delete(sg_store *s, const char *id)
{
    pthread_mutex_lock(&s->lock);
    int rc = -1;
    sqlite3_stmt *st = prepare(s, "DELETE FROM views WHERE id = ?");
    if (st != NULL) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        rc = exec_change(s, st);
    }
    pthread_mutex_unlock(&s->lock);
    return rc < 0 ? -1 : rc > 0;
}
