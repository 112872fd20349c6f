/*
 * store.h — what the server keeps: a data directory holding an SQLite
 * database (WAL) of profile records and saved views, and the profile files
 * themselves beside it, one per profile, named by its id.
 *
 *   DATA/spyglass.db       tables profiles and views (schema in store.c)
 *   DATA/profiles/ID       the uploaded bytes, exactly as sent
 *   DATA/tmp/              uploads in progress (never read as profiles)
 *
 * Consistency (what a kill -9 at any moment leaves): an upload is written
 * under tmp/, parsed, renamed into profiles/ and only then given its row;
 * a delete removes the row first, then the file. So a row always has its
 * file, and the only leftovers a crash can make are files without a row
 * and files in tmp/, which sg_store_open removes. Rows still marked live
 * (a live upload cut by the crash) are reported to the caller to finish.
 *
 * Ids reaching this module have passed sg_id_valid (ids.h), so a path
 * built from one never leaves the data directory.
 *
 * Thread safety: one connection behind a mutex; every call is short.
 * Ownership: records returned are the caller's (sg_profile_rec_free,
 * sg_view_rec_free); lists are arrays of them freed with the *_list_free.
 */
#ifndef SG_SERVE_STORE_H
#define SG_SERVE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serve/ids.h"

typedef struct sg_store sg_store;

typedef struct sg_profile_rec {
    char id[SG_ID_LEN + 1];
    char *name, *host, *command, *python, *format;
    char *tags;          /* a JSON array of strings, as text: '["a","b"]' */
    int64_t uploaded_at; /* unix seconds */
    uint64_t duration_ns, samples, size_bytes;
    bool has_stacks, live;
} sg_profile_rec;

typedef struct sg_view_rec {
    char id[SG_ID_LEN + 1];
    char profile[SG_ID_LEN + 1];
    char *state, *note;
    char *tags; /* JSON array text */
    int64_t created_at;
} sg_view_rec;

enum sg_store_sort { SG_SORT_DATE, SG_SORT_DURATION, SG_SORT_SAMPLES, SG_SORT_NAME };

typedef struct sg_list_query {
    const char *q;   /* substring of name, command or host; NULL = all */
    const char *tag; /* only profiles with this tag; NULL = all */
    int sort;        /* enum sg_store_sort */
    bool ascending;
} sg_list_query;

/* Open (creating if needed) the store in data_dir. *live_ids receives a
 * malloc'd array of *live_count ids of rows still marked live (the caller
 * finishes or removes them), or NULL. Returns 0 or -1 with err. */
int sg_store_open(const char *data_dir, sg_store **out, char (**live_ids)[SG_ID_LEN + 1],
                  size_t *live_count, char *err, size_t errlen);
void sg_store_close(sg_store *s);

/* DATA/tmp and the path of a profile's file (into buf). */
const char *sg_store_tmp_dir(const sg_store *s);
const char *sg_store_profile_path(const sg_store *s, const char *id, char *buf, size_t len);

/* Returns 0 or -1 (database error). */
int sg_store_profile_insert(sg_store *s, const sg_profile_rec *r);
/* 1 and *out when found, 0 when not, -1 on error. */
int sg_store_profile_get(sg_store *s, const char *id, sg_profile_rec *out);
int sg_store_profile_list(sg_store *s, const sg_list_query *q, sg_profile_rec **out, size_t *n);
/* Change name and/or tags (NULL = leave); 1 when the row exists. */
int sg_store_profile_update(sg_store *s, const char *id, const char *name, const char *tags_json);
/* Replace the numbers a growing (live) profile changes; 1 when found. */
int sg_store_profile_set_stats(sg_store *s, const sg_profile_rec *r);
/* Delete the row, its saved views, then the file; 1 when it existed. */
int sg_store_profile_delete(sg_store *s, const char *id);
/* How many profiles are stored (-1 on error). */
long sg_store_profile_count(sg_store *s);

int sg_store_view_insert(sg_store *s, const sg_view_rec *v);
int sg_store_view_get(sg_store *s, const char *id, sg_view_rec *out);
/* profile NULL = every view */
int sg_store_view_list(sg_store *s, const char *profile, sg_view_rec **out, size_t *n);
int sg_store_view_delete(sg_store *s, const char *id);

void sg_profile_rec_free(sg_profile_rec *r);
void sg_profile_list_free(sg_profile_rec *r, size_t n);
void sg_view_rec_free(sg_view_rec *v);
void sg_view_list_free(sg_view_rec *v, size_t n);

#endif
