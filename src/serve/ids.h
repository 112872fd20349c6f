/*
 * ids.h — the short ids of stored profiles and saved views: 8 characters
 * of [a-z0-9] from the kernel's random source (36^8 ≈ 2.8e12, so a guess
 * finds nothing and a collision, which the store still checks, is rare).
 *
 * An id is also a file name in the data directory, so sg_id_valid is the
 * gate every id from a request passes before it reaches the store: no
 * path separator, no dot, nothing but the 36 characters.
 */
#ifndef SG_SERVE_IDS_H
#define SG_SERVE_IDS_H

#include <stdbool.h>
#include <stddef.h>

#define SG_ID_LEN 8

/* Write a new id and its NUL into out[SG_ID_LEN + 1]. 0, or -1 when the
 * random source failed. */
int sg_id_new(char out[SG_ID_LEN + 1]);

/* True when s is exactly SG_ID_LEN characters of [a-z0-9]. */
bool sg_id_valid(const char *s);

#endif
