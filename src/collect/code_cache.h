/*
 * code_cache.h — code objects of the target, read once and remembered by
 * address, and the (code, instruction) → line memo.
 *
 * Reading a code object costs four to six reads (the object, its file name,
 * its name, its line table); a sample would need that for every frame. So we
 * read each code object once, validate it on that miss (its type is
 * PyCode_Type, its strings are str objects, its sizes are sane) and give it a
 * dense id that the sink hears about once, with its file, qualified name and
 * first line.
 *
 * Addresses are reused after a code object dies (module bodies die right
 * after import, and the next import's functions land in their place; code
 * that exec() ran dies when it returns). A code object is read only while
 * it lives (its refcount, which a freed block's allocator link overwrites),
 * and its header is read again after its strings and table. Then guards
 * against a stale entry: each entry remembers the f_globals of the frames
 * that ran it, and a frame with other globals makes the entry re-check its
 * header (one small read; a changed object becomes a new id); an entry
 * re-checks on every use in the epoch it was loaded in and the next (young
 * code is what gets replaced, often with globals at the same address); an
 * instruction past the remembered code's end re-checks it; and every entry
 * carries the epoch in which it was last validated, so
 * sg_code_cache_new_epoch (called about once a second) makes every entry
 * re-check on next use.
 *
 * Memory: entries, names and line tables live in growable arrays owned by
 * the cache; they grow only on misses, so a steady workload allocates
 * nothing.
 */
#ifndef SG_COLLECT_CODE_CACHE_H
#define SG_COLLECT_CODE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/target.h"

/* What the sink is told about a code object, once per id. */
typedef struct sg_code_info {
    uint32_t id;
    const char *file; /* UTF-8, owned by the cache */
    const char *name; /* qualified name on 3.11+, plain name before */
    int32_t first_line;
} sg_code_info;

typedef struct sg_code_cache sg_code_cache;

typedef void (*sg_code_announce_fn)(void *ctx, const sg_code_info *info);

sg_code_cache *sg_code_cache_new(sg_target *target, sg_code_announce_fn announce, void *ctx);
void sg_code_cache_free(sg_code_cache *cache);

/* Resolves a frame: the code object at `code_addr`, run with `globals`, and
 * its position (3.9/3.10: f_lasti as stored; 3.11+: the instruction
 * pointer). On success sets *id and *line (line -1 when the instruction has
 * none) and returns 0; returns -1 when `code_addr` is not a valid code object
 * (a torn read) or the position lies outside its code. */
int sg_code_cache_resolve(sg_code_cache *cache, uint64_t code_addr, uint64_t globals,
                          uint64_t position, uint32_t *id, int32_t *line);

void sg_code_cache_new_epoch(sg_code_cache *cache);

/* A number that changes whenever a resolution could come out differently
 * (an entry loaded, replaced or re-validated, a new epoch). While it stays
 * the same, resolving the same (code, globals, position) again gives the
 * same id and line without a lookup: the sampler keeps last round's
 * answers per thread on that promise. */
uint64_t sg_code_cache_generation(const sg_code_cache *cache);

/* How many ids were given out: every id is below this. */
uint32_t sg_code_cache_count(const sg_code_cache *cache);

/* The info of an id resolved before, or NULL. */
const sg_code_info *sg_code_cache_info(const sg_code_cache *cache, uint32_t id);

/* Whether an id resolved before runs for a generator, a coroutine or an
 * async generator (its co_flags say so): such code never runs at the
 * bottom of a thread's stack, the sampler's last check of a chain's root. */
bool sg_code_cache_is_generator(const sg_code_cache *cache, uint32_t id);

/* 3.11+: the bytes a frame running code `id` takes in its datastack chunk
 * (its callee's frame begins that far above it); 0 when unknown. */
uint32_t sg_code_cache_frame_bytes(const sg_code_cache *cache, uint32_t id);

/* How many code objects were read (loaded on a miss) so far: a resolve
 * that moved it on read a code object after its frame was copied. */
uint64_t sg_code_cache_misses(const sg_code_cache *cache);

/* How many code objects were read (misses) and re-validated. */
void sg_code_cache_counts(const sg_code_cache *cache, uint64_t *misses, uint64_t *revalidations);

#endif
