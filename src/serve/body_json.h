/*
 * body_json.h — the JSON bodies the API accepts (PATCH /api/profiles/{id},
 * POST /api/views), parsed with jansson and checked key by key, so a bad
 * body is a 400 that says which key was wrong and why.
 *
 * Rules: the body is one JSON object; unknown keys are refused (a typo
 * must not be silently ignored); strings are valid UTF-8 of bounded
 * length; tags are an array of at most SG_TAGS_MAX non-empty strings of at
 * most SG_TAG_MAX_BYTES bytes each, kept in order without duplicates.
 * Tags are stored as canonical JSON text (compact, as store.h wants).
 *
 * Ownership: the parsed structs own their strings; free them with the
 * matching *_free (also after a failure).
 */
#ifndef SG_SERVE_BODY_JSON_H
#define SG_SERVE_BODY_JSON_H

#include <stddef.h>

#include "serve/ids.h"

#define SG_TAGS_MAX        64
#define SG_TAG_MAX_BYTES   100
#define SG_NAME_MAX_BYTES  1000
#define SG_STATE_MAX_BYTES 16384
#define SG_NOTE_MAX_BYTES  4096

typedef struct sg_profile_patch {
    char *name;      /* NULL: not given */
    char *tags_json; /* NULL: not given */
} sg_profile_patch;

typedef struct sg_view_body {
    char profile[SG_ID_LEN + 1];
    char *state, *note, *tags_json;
} sg_view_body;

/* 0, or -1 with err saying what was wrong. */
int sg_profile_patch_parse(const char *body, size_t len, sg_profile_patch *out, char *err,
                           size_t errlen);
void sg_profile_patch_free(sg_profile_patch *p);

int sg_view_body_parse(const char *body, size_t len, sg_view_body *out, char *err, size_t errlen);
void sg_view_body_free(sg_view_body *v);

/* A comma list of tags ("a,b") as canonical JSON text, with the same
 * checks; *out is malloc'd. */
int sg_tags_from_list(const char *list, char **out, char *err, size_t errlen);

#endif
