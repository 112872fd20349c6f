/*
 * grow.c — overflow-checked array growth (see grow.h).
 */
#include "profile/grow.h"

#include <stdlib.h>

#include "profile/status.h"

size_t sg_grow_capacity(size_t cap, size_t need, size_t min_cap, size_t max_cap)
{
    if (need > max_cap)
        return 0;
    size_t next = cap < min_cap ? min_cap : cap;
    while (next < need)
        next = next > max_cap / 2 ? max_cap : next * 2;
    return next > max_cap ? max_cap : next;
}

int sg_grow_array(void **array, size_t new_cap, size_t elem)
{
    if (elem != 0 && new_cap > SIZE_MAX / elem)
        return SG_PROFILE_ELIMIT;
    void *grown = realloc(*array, new_cap * elem);
    if (grown == NULL)
        return SG_PROFILE_ENOMEM;
    *array = grown;
    return SG_PROFILE_OK;
}
