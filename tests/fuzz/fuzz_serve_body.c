/*
 * fuzz_serve_body.c — libFuzzer target for the JSON bodies the server
 * accepts (body_json.h: PATCH /api/profiles/{id}, POST /api/views) and the
 * tags list of an upload's query string. Checks: a parse succeeds with
 * what the API promises (a name or tags; tags as canonical JSON text of
 * strings; a valid profile id) or fails with a message; no crash or leak.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "serve/body_json.h"

static void check_tags(const char *tags_json)
{
    json_t *j = json_loads(tags_json, 0, NULL);
    if (j == NULL || !json_is_array(j) || json_array_size(j) > SG_TAGS_MAX)
        abort();
    size_t i;
    json_t *t;
    json_array_foreach(j, i, t)
    {
        if (!json_is_string(t) || json_string_length(t) == 0 ||
            json_string_length(t) > SG_TAG_MAX_BYTES)
            abort();
    }
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    sg_profile_patch patch;
    err[0] = '\0';
    if (sg_profile_patch_parse((const char *)data, size, &patch, err, sizeof err) == 0) {
        if (patch.name == NULL && patch.tags_json == NULL)
            abort();
        if (patch.tags_json != NULL)
            check_tags(patch.tags_json);
        sg_profile_patch_free(&patch);
    } else if (err[0] == '\0')
        abort();
    sg_view_body view;
    err[0] = '\0';
    if (sg_view_body_parse((const char *)data, size, &view, err, sizeof err) == 0) {
        if (!sg_id_valid(view.profile) || view.state == NULL || view.note == NULL)
            abort();
        check_tags(view.tags_json);
        sg_view_body_free(&view);
    } else if (err[0] == '\0')
        abort();
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *tags = NULL;
    err[0] = '\0';
    if (sg_tags_from_list(text, &tags, err, sizeof err) == 0) {
        check_tags(tags);
        free(tags);
    } else if (err[0] == '\0')
        abort();
    free(text);
    return 0;
}
