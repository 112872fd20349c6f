/*
 * source_table.c — embedded source texts under a size cap (see source_table.h).
 */
#include "profile/source_table.h"

#include <stdlib.h>
#include <string.h>

#include "profile/grow.h"
#include "profile/status.h"

void sg_sources_init(sg_sources *s)
{
    memset(s, 0, sizeof *s);
    s->cap_bytes = SG_SOURCES_DEFAULT_CAP;
}

void sg_sources_free(sg_sources *s)
{
    for (uint32_t i = 0; i < s->count; i++)
        free(s->text[i]);
    free(s->file);
    free(s->text);
    free(s->length);
    memset(s, 0, sizeof *s);
}

long sg_sources_find(const sg_sources *s, uint32_t file)
{
    for (uint32_t i = 0; i < s->count; i++)
        if (s->file[i] == file)
            return (long)i;
    return -1;
}

int sg_sources_add(sg_sources *s, uint32_t file, const char *text, size_t len)
{
    if (sg_sources_find(s, file) >= 0)
        return SG_PROFILE_OK;
    if (len >= SIZE_MAX || len > s->cap_bytes || s->total_bytes > s->cap_bytes - len)
        return SG_PROFILE_ELIMIT;
    if (s->count == s->cap) {
        size_t cap = sg_grow_capacity(s->cap, (size_t)s->count + 1, 16, UINT32_MAX);
        if (cap == 0)
            return SG_PROFILE_ELIMIT;
        int rc;
        if ((rc = sg_grow_array((void **)&s->file, cap, sizeof *s->file)) != 0 ||
            (rc = sg_grow_array((void **)&s->text, cap, sizeof *s->text)) != 0 ||
            (rc = sg_grow_array((void **)&s->length, cap, sizeof *s->length)) != 0)
            return rc;
        s->cap = (uint32_t)cap;
    }
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return SG_PROFILE_ENOMEM;
    if (len > 0)
        memcpy(copy, text, len);
    copy[len] = '\0';
    uint32_t i = s->count;
    s->file[i] = file;
    s->text[i] = copy;
    s->length[i] = len;
    s->total_bytes += len;
    s->count = i + 1;
    return SG_PROFILE_OK;
}
