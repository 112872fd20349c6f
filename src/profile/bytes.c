/*
 * bytes.c — growth of the encoder's output buffer (see bytes.h).
 */
#include "profile/bytes.h"

#include <stdlib.h>

#include "profile/grow.h"
#include "profile/status.h"

int sg_bytes_reserve(sg_bytes_out *b, size_t extra)
{
    if (b->failed != 0)
        return b->failed;
    if (extra <= b->cap - b->len)
        return SG_PROFILE_OK;
    if (extra > SIZE_MAX - b->len) {
        b->failed = SG_PROFILE_ELIMIT;
        return b->failed;
    }
    size_t cap = sg_grow_capacity(b->cap, b->len + extra, 4096, SIZE_MAX);
    int rc = sg_grow_array((void **)&b->data, cap, 1);
    if (rc != 0) {
        b->failed = rc;
        return rc;
    }
    b->cap = cap;
    return SG_PROFILE_OK;
}

void sg_bytes_free(sg_bytes_out *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}
