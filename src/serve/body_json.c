/*
 * body_json.c — checked parsing of the API's JSON bodies (body_json.h).
 * jansson rejects invalid UTF-8 and NUL bytes in strings (we load without
 * JSON_ALLOW_NUL), so every string we keep is a valid C string.
 */
#include "serve/body_json.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *load_object(const char *body, size_t len, char *err, size_t errlen)
{
    json_error_t je;
    if (len == 0) {
        snprintf(err, errlen, "the body is empty (expected a JSON object)");
        return NULL;
    }
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        snprintf(err, errlen, "the body is not valid JSON: %s (line %d, column %d)", je.text,
                 je.line, je.column);
        return NULL;
    }
    if (!json_is_object(root)) {
        snprintf(err, errlen, "the body must be a JSON object");
        json_decref(root);
        return NULL;
    }
    return root;
}

static int take_string(json_t *v, const char *key, size_t max, char **out, char *err, size_t errlen)
{
    if (!json_is_string(v)) {
        snprintf(err, errlen, "key %s: must be a string", key);
        return -1;
    }
    if (json_string_length(v) > max) {
        snprintf(err, errlen, "key %s: longer than %zu bytes", key, max);
        return -1;
    }
    *out = strdup(json_string_value(v));
    if (*out == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* Append tag (checked) to arr unless present. */
static int add_tag(json_t *arr, const char *tag, size_t len, char *err, size_t errlen)
{
    if (len == 0 || len > SG_TAG_MAX_BYTES) {
        snprintf(err, errlen, "tags: a tag must have 1 to %d bytes", SG_TAG_MAX_BYTES);
        return -1;
    }
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)tag[i] < 0x20) {
            snprintf(err, errlen, "tags: a tag may not hold control characters");
            return -1;
        }
    size_t i;
    json_t *t;
    json_array_foreach(arr, i, t)
    {
        if (json_string_length(t) == len && memcmp(json_string_value(t), tag, len) == 0)
            return 0;
    }
    if (json_array_size(arr) >= SG_TAGS_MAX) {
        snprintf(err, errlen, "tags: at most %d tags", SG_TAGS_MAX);
        return -1;
    }
    json_t *s = json_stringn(tag, len);
    if (s == NULL) {
        snprintf(err, errlen, "tags: a tag is not valid UTF-8");
        return -1;
    }
    json_array_append_new(arr, s);
    return 0;
}

static int dump_tags(json_t *arr, char **out, char *err, size_t errlen)
{
    *out = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    if (*out == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static int take_tags(json_t *v, char **out, char *err, size_t errlen)
{
    if (!json_is_array(v)) {
        snprintf(err, errlen, "key tags: must be an array of strings");
        return -1;
    }
    json_t *arr = json_array();
    if (arr == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t i;
    json_t *t;
    json_array_foreach(v, i, t)
    {
        if (!json_is_string(t)) {
            snprintf(err, errlen, "key tags: element %zu is not a string", i);
            json_decref(arr);
            return -1;
        }
        if (add_tag(arr, json_string_value(t), json_string_length(t), err, errlen) != 0) {
            json_decref(arr);
            return -1;
        }
    }
    return dump_tags(arr, out, err, errlen);
}

int sg_tags_from_list(const char *list, char **out, char *err, size_t errlen)
{
    *out = NULL;
    json_t *arr = json_array();
    if (arr == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const char *c = list;
    while (*c) {
        const char *end = strchr(c, ',');
        size_t n = end ? (size_t)(end - c) : strlen(c);
        if (n > 0 && add_tag(arr, c, n, err, errlen) != 0) {
            json_decref(arr);
            return -1;
        }
        c += n;
        if (*c == ',')
            c++;
    }
    return dump_tags(arr, out, err, errlen);
}

void sg_profile_patch_free(sg_profile_patch *p)
{
    free(p->name);
    free(p->tags_json);
    memset(p, 0, sizeof *p);
}

int sg_profile_patch_parse(const char *body, size_t len, sg_profile_patch *out, char *err,
                           size_t errlen)
{
    memset(out, 0, sizeof *out);
    json_t *root = load_object(body, len, err, errlen);
    if (root == NULL)
        return -1;
    int rc = 0;
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        if (strcmp(key, "name") == 0)
            rc = take_string(v, "name", SG_NAME_MAX_BYTES, &out->name, err, errlen);
        else if (strcmp(key, "tags") == 0)
            rc = take_tags(v, &out->tags_json, err, errlen);
        else {
            snprintf(err, errlen, "unknown key '%.64s' (a profile takes name and tags)", key);
            rc = -1;
        }
        if (rc != 0)
            break;
    }
    if (rc == 0 && out->name == NULL && out->tags_json == NULL) {
        snprintf(err, errlen, "nothing to change: give name or tags");
        rc = -1;
    }
    json_decref(root);
    if (rc != 0)
        sg_profile_patch_free(out);
    return rc;
}

void sg_view_body_free(sg_view_body *v)
{
    free(v->state);
    free(v->note);
    free(v->tags_json);
    memset(v, 0, sizeof *v);
}

int sg_view_body_parse(const char *body, size_t len, sg_view_body *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    json_t *root = load_object(body, len, err, errlen);
    if (root == NULL)
        return -1;
    int rc = 0;
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        if (strcmp(key, "profile") == 0) {
            if (!json_is_string(v) || !sg_id_valid(json_string_value(v))) {
                snprintf(err, errlen, "key profile: must be a profile id ([a-z0-9]{8})");
                rc = -1;
            } else
                memcpy(out->profile, json_string_value(v), SG_ID_LEN + 1);
        } else if (strcmp(key, "state") == 0)
            rc = take_string(v, "state", SG_STATE_MAX_BYTES, &out->state, err, errlen);
        else if (strcmp(key, "note") == 0)
            rc = take_string(v, "note", SG_NOTE_MAX_BYTES, &out->note, err, errlen);
        else if (strcmp(key, "tags") == 0)
            rc = take_tags(v, &out->tags_json, err, errlen);
        else {
            snprintf(err, errlen,
                     "unknown key '%.64s' (a view takes profile, state, tags and note)", key);
            rc = -1;
        }
        if (rc != 0)
            break;
    }
    if (rc == 0 && out->profile[0] == '\0') {
        snprintf(err, errlen, "key profile: missing (the id of the profile the view is of)");
        rc = -1;
    }
    if (rc == 0 && out->state == NULL && (out->state = strdup("")) == NULL)
        rc = -1;
    if (rc == 0 && out->note == NULL && (out->note = strdup("")) == NULL)
        rc = -1;
    if (rc == 0 && out->tags_json == NULL && (out->tags_json = strdup("[]")) == NULL)
        rc = -1;
    json_decref(root);
    if (rc != 0)
        sg_view_body_free(out);
    return rc;
}
