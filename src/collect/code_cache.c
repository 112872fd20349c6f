/*
 * code_cache.c — code objects by address, validated on a miss; see
 * code_cache.h for the why. The table is open addressing on the address;
 * ids are dense and never reused, so a profile's frames stay valid when an
 * address is recycled for another code object.
 *
 * The sampler wakes every 1-10 ms to a core whose caches the workload has
 * filled with its own data, so what a lookup costs is mostly the cache
 * lines it touches. A slot is 128 bytes (aligned) holding all that
 * a hit needs: the address, the globals, the epoch, the id, the code's size
 * and its last few (instruction → line) answers. What only a miss or a
 * re-validation needs (the header's pointers, the line table) lives by id
 * in a separate array, not in the line a hit reads.
 */
#include "collect/code_cache.h"

#include <stdalign.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "collect/linetable.h"
#include "collect/pystring.h"

#define SG_CODE_HEADER_MAX    512  /* bytes of PyCodeObject we ever read */
#define SG_CODE_NAME_MAX      4096 /* UTF-8 bytes kept of a name or path */
#define SG_CODE_LINETABLE_MAX (1 << 20)
#define SG_LINE_WAYS          12 /* (instruction → line) answers a slot keeps */

/* One remembered answer; offset INT32_MIN = empty (never a real offset). */
typedef struct sg_line_memo {
    int32_t offset;
    int32_t line;
} sg_line_memo;

/* What a hit reads: two cache lines, the second only for the answers
 * past the first four. Four alone thrashed on a leaf sampled at many
 * instructions (3.13 at 1 kHz: rounds ~1 us slower than the old table). */
typedef struct sg_code_entry {
    alignas(64) uint64_t addr; /* 0 = empty slot */
    uint64_t globals;          /* of the frames that last ran it */
    uint32_t epoch;
    uint32_t id;
    uint32_t code_units;   /* 3.11+: instructions + caches; 3.9/3.10: co_code's */
    uint16_t next_way;     /* the memo way the next new answer replaces */
    uint16_t loaded_epoch; /* the epoch it was read in, mod 2^16: see sg_code_young */
    sg_line_memo lines[SG_LINE_WAYS];
} sg_code_entry;

_Static_assert(sizeof(sg_code_entry) == 128, "a slot is two cache lines");

/* What a miss or a re-validation reads, by id. */
typedef struct sg_code_cold {
    uint64_t file_addr, name_addr, linetable_addr;
    int32_t first_line;
    bool generator;       /* a generator's, coroutine's or async generator's code */
    uint32_t frame_bytes; /* 3.11+: its frames' size in a chunk; 0 before */
    uint32_t linetable_len;
    uint8_t *linetable; /* NULL once its slot went to another code object */
} sg_code_cold;

struct sg_code_cache {
    sg_target *target;
    sg_code_announce_fn announce;
    void *ctx;
    sg_code_entry *slots;
    size_t nslots, used;
    sg_code_info *infos; /* by id */
    sg_code_cold *colds; /* by id, as infos */
    size_t ninfos, cap_infos;
    uint32_t epoch;
    uint64_t generation; /* see sg_code_cache_generation */
    uint64_t misses, revalidations;
};

static uint64_t sg_hash_addr(uint64_t a)
{
    a ^= a >> 33;
    a *= 0xff51afd7ed558ccdULL;
    a ^= a >> 33;
    return a;
}

/* Slots aligned to cache lines, zeroed (every addr 0: empty). */
static sg_code_entry *sg_code_slots_new(size_t n)
{
    sg_code_entry *slots = aligned_alloc(64, n * sizeof *slots);
    if (slots)
        memset(slots, 0, n * sizeof *slots);
    return slots;
}

sg_code_cache *sg_code_cache_new(sg_target *target, sg_code_announce_fn announce, void *ctx)
{
    sg_code_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->target = target;
    c->announce = announce;
    c->ctx = ctx;
    c->nslots = 1024;
    c->slots = sg_code_slots_new(c->nslots);
    c->epoch = 1;
    c->generation = 1; /* a slot's memo starts at 0: never current */
    if (!c->slots) {
        free(c);
        return NULL;
    }
    return c;
}

void sg_code_cache_free(sg_code_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->ninfos; i++) {
        free((char *)c->infos[i].file);
        free((char *)c->infos[i].name);
        free(c->colds[i].linetable);
    }
    free(c->infos);
    free(c->colds);
    free(c->slots);
    free(c);
}

static sg_code_entry *sg_code_slot(sg_code_cache *c, uint64_t addr)
{
    size_t mask = c->nslots - 1;
    for (size_t i = sg_hash_addr(addr) & mask;; i = (i + 1) & mask)
        if (c->slots[i].addr == addr || c->slots[i].addr == 0)
            return &c->slots[i];
}

static int sg_code_grow(sg_code_cache *c)
{
    sg_code_entry *old = c->slots;
    size_t old_n = c->nslots;
    sg_code_entry *slots = sg_code_slots_new(old_n * 2);
    if (!slots)
        return -1;
    c->slots = slots;
    c->nslots = old_n * 2;
    for (size_t i = 0; i < old_n; i++)
        if (old[i].addr)
            *sg_code_slot(c, old[i].addr) = old[i];
    free(old);
    return 0;
}

static uint64_t sg_load_u64(const uint8_t *p, int32_t off)
{
    uint64_t v;
    memcpy(&v, p + off, sizeof v);
    return v;
}

static int32_t sg_load_i32(const uint8_t *p, int32_t off)
{
    int32_t v;
    memcpy(&v, p + off, sizeof v);
    return v;
}

/* Reads the str at `addr` as malloc'd UTF-8, or NULL when it is not one. */
static char *sg_read_str(sg_code_cache *c, uint64_t addr)
{
    const sg_layout *l = c->target->layout;
    uint8_t head[256];
    size_t head_len = (size_t)l->unicode_compact_size;
    if (head_len > sizeof head || sg_mem_read(c->target->mem, addr, head, head_len) != 0)
        return NULL;
    uint64_t type = c->target->syms.unicode_type;
    if (type && sg_load_u64(head, l->object_type) != type)
        return NULL;
    sg_pystring_loc loc;
    if (sg_pystring_locate(l, head, head_len, &loc) != SG_PYSTRING_OK)
        return NULL;
    size_t chars = loc.length < SG_CODE_NAME_MAX / 4 ? loc.length : SG_CODE_NAME_MAX / 4;
    size_t data_len = chars * (size_t)loc.kind;
    uint64_t data_addr = loc.compact ? addr + loc.data_offset : loc.data_addr;
    uint8_t *data = malloc(data_len + 1);
    char *out = malloc(SG_PYSTRING_UTF8_MAX(chars));
    if (!data || !out || (data_len && sg_mem_read(c->target->mem, data_addr, data, data_len))) {
        free(data);
        free(out);
        return NULL;
    }
    int rc = sg_pystring_transcode(loc.kind, data, data_len, chars, out,
                                   SG_PYSTRING_UTF8_MAX(chars), NULL);
    free(data);
    if (rc < 0) {
        free(out);
        return NULL;
    }
    return out;
}

static uint8_t *sg_read_bytes(sg_code_cache *c, uint64_t addr, uint32_t *len)
{
    const sg_layout *l = c->target->layout;
    uint8_t head[64];
    if ((size_t)l->bytes_sval > sizeof head ||
        sg_mem_read(c->target->mem, addr, head, (size_t)l->bytes_sval) != 0)
        return NULL;
    int64_t size;
    memcpy(&size, head + l->varobject_size, sizeof size);
    if (size < 0 || size > SG_CODE_LINETABLE_MAX)
        return NULL;
    uint8_t *bytes = malloc((size_t)size + 1);
    if (!bytes || (size && sg_mem_read(c->target->mem, addr + (uint64_t)l->bytes_sval, bytes,
                                       (size_t)size))) {
        free(bytes);
        return NULL;
    }
    *len = (uint32_t)size;
    return bytes;
}

/* Reads a code object's header and checks it is a live one. A code object
 * dies while its frames are being read (a module body right after its
 * import, code that exec() ran), and its memory keeps the type for a
 * while: the allocator writes only its free-list link, over the refcount
 * (ob_refcnt is every object's first word). So a count of 0 or one past
 * 2^32 (immortal objects hold UINT32_MAX at most; a link is an address)
 * is a dead object, whose names and line table are being reused. */
static bool sg_read_code_header(sg_code_cache *c, uint64_t addr, uint8_t *head)
{
    const sg_layout *l = c->target->layout;
    if (l->code_size > SG_CODE_HEADER_MAX ||
        sg_mem_read(c->target->mem, addr, head, (size_t)l->code_size) != 0)
        return false;
    uint64_t refcnt = sg_load_u64(head, 0);
    return refcnt > 0 && refcnt <= UINT32_MAX &&
           sg_load_u64(head, l->object_type) == c->target->syms.code_type;
}

/* 3.11+: how many bytes of a datastack chunk a frame running this code
 * takes (CPython's co_nlocalsplus + co_stacksize + FRAME_SPECIALS_SIZE
 * words), 0 when unknown (before 3.11, or a header that makes no sense). */
static uint32_t sg_frame_bytes_of(const sg_layout *l, const uint8_t *head)
{
    if (l->code_stacksize == SG_LAYOUT_ABSENT || l->code_nlocalsplus == SG_LAYOUT_ABSENT)
        return 0;
    int32_t stack = sg_load_i32(head, l->code_stacksize);
    int32_t locals = sg_load_i32(head, l->code_nlocalsplus);
    if (stack < 0 || locals < 0 || stack > (1 << 20) || locals > (1 << 20))
        return 0;
    return (uint32_t)(stack + locals) * 8 + (uint32_t)l->iframe_localsplus;
}

static bool sg_header_matches(const sg_layout *l, const sg_code_cold *e, const uint8_t *head)
{
    int32_t name_off = l->code_qualname != SG_LAYOUT_ABSENT ? l->code_qualname : l->code_name;
    return sg_load_u64(head, l->code_filename) == e->file_addr &&
           sg_load_u64(head, name_off) == e->name_addr &&
           sg_load_u64(head, l->code_linetable) == e->linetable_addr &&
           sg_load_i32(head, l->code_firstlineno) == e->first_line &&
           ((sg_load_i32(head, l->code_flags) & l->co_generator_mask) != 0) == e->generator &&
           sg_frame_bytes_of(l, head) == e->frame_bytes;
}

static int sg_add_info(sg_code_cache *c, char *file, char *name, const sg_code_cold *cold,
                       uint32_t *id)
{
    if (c->ninfos == c->cap_infos) {
        size_t cap = c->cap_infos ? c->cap_infos * 2 : 256;
        sg_code_info *infos = realloc(c->infos, cap * sizeof *infos);
        if (!infos)
            return -1;
        c->infos = infos;
        sg_code_cold *colds = realloc(c->colds, cap * sizeof *colds);
        if (!colds)
            return -1; /* infos grew: harmless, cap_infos still says the smaller */
        c->colds = colds;
        c->cap_infos = cap;
    }
    *id = (uint32_t)c->ninfos;
    c->infos[c->ninfos] = (sg_code_info){*id, file, name, cold->first_line};
    c->colds[c->ninfos++] = *cold;
    return 0;
}

/* Forgets the entry's remembered lines (a new or re-checked code object). */
static void sg_entry_clear_lines(sg_code_entry *e)
{
    for (int w = 0; w < SG_LINE_WAYS; w++)
        e->lines[w] = (sg_line_memo){INT32_MIN, 0};
    e->next_way = 0;
}

/* Reads and validates the code object at `addr` into slot `e`. */
static int sg_code_load(sg_code_cache *c, sg_code_entry *e, uint64_t addr, const uint8_t *head)
{
    const sg_layout *l = c->target->layout;
    int32_t name_off = l->code_qualname != SG_LAYOUT_ABSENT ? l->code_qualname : l->code_name;
    sg_code_cold cold = {
        .file_addr = sg_load_u64(head, l->code_filename),
        .name_addr = sg_load_u64(head, name_off),
        .linetable_addr = sg_load_u64(head, l->code_linetable),
        .first_line = sg_load_i32(head, l->code_firstlineno),
        .generator = (sg_load_i32(head, l->code_flags) & l->co_generator_mask) != 0,
        .frame_bytes = sg_frame_bytes_of(l, head),
    };
    uint32_t code_units = 0;
    if (l->code_code_adaptive != SG_LAYOUT_ABSENT) {
        int64_t units;
        memcpy(&units, head + l->varobject_size, sizeof units);
        if (units <= 0 || units > (1 << 24))
            return -1;
        code_units = (uint32_t)units;
    } else if (l->code_code != SG_LAYOUT_ABSENT) {
        /* 3.9/3.10: the size of co_code (bytes), two bytes a unit. */
        int64_t bytes;
        if (sg_mem_read(c->target->mem,
                        sg_load_u64(head, l->code_code) + (uint64_t)l->varobject_size, &bytes,
                        sizeof bytes) != 0 ||
            bytes <= 0 || bytes > (1 << 25) || bytes % 2)
            return -1;
        code_units = (uint32_t)(bytes / 2);
    }
    char *file = sg_read_str(c, cold.file_addr);
    char *name = file ? sg_read_str(c, cold.name_addr) : NULL;
    cold.linetable = name ? sg_read_bytes(c, cold.linetable_addr, &cold.linetable_len) : NULL;
    /* The strings and the table were read after the header: the code
     * object must still be the one the header showed, alive, or what they
     * read may be the next object's bytes. */
    uint8_t again[SG_CODE_HEADER_MAX];
    bool still =
        cold.linetable && sg_read_code_header(c, addr, again) && sg_header_matches(l, &cold, again);
    uint32_t id;
    if (!still || sg_add_info(c, file, name, &cold, &id) != 0) {
        free(file);
        free(name);
        free(cold.linetable);
        return -1;
    }
    c->misses++;
    c->generation++;
    if (e->addr == 0) {
        c->used++;
    } else {
        /* The old id's table is no longer looked at: its address now holds
         * another code object, and ids are never reused. */
        free(c->colds[e->id].linetable);
        c->colds[e->id].linetable = NULL;
        c->colds[e->id].linetable_len = 0;
    }
    *e = (sg_code_entry){.addr = addr,
                         .epoch = c->epoch,
                         .id = id,
                         .code_units = code_units,
                         .loaded_epoch = (uint16_t)c->epoch};
    sg_entry_clear_lines(e);
    if (c->announce)
        c->announce(c->ctx, &c->infos[id]);
    return 0;
}

/* Whether a hit must read the header all the same: the entry was read this
 * epoch or the last. Code that exec() compiles and drops, round after
 * round, lands at the same few addresses (often swapped) with globals at
 * the same address too (a fresh dict where the last one was), and a module
 * body that dies after its import leaves its address to the next import's
 * functions: the globals guard cannot tell such objects apart, and they
 * are all code met for the first time. A code object that lives on is read
 * once per use for a second or two after it was first met, then never. */
static bool sg_code_young(const sg_code_cache *c, const sg_code_entry *e)
{
    return (uint16_t)((uint16_t)c->epoch - e->loaded_epoch) <= 1;
}

/* The entry for the code object at `addr`, run with `globals`; `recheck`
 * reads its header even when the entry is current. */
static sg_code_entry *sg_code_lookup(sg_code_cache *c, uint64_t addr, uint64_t globals,
                                     bool recheck)
{
    sg_code_entry *e = sg_code_slot(c, addr);
    bool current = e->addr == addr && e->epoch == c->epoch && e->globals == globals;
    if (current && !recheck && !sg_code_young(c, e))
        return e;
    uint8_t head[SG_CODE_HEADER_MAX];
    if (!sg_read_code_header(c, addr, head))
        return NULL;
    if (e->addr == addr && sg_header_matches(c->target->layout, &c->colds[e->id], head)) {
        e->epoch = c->epoch;
        e->globals = globals;
        c->revalidations++;
        /* A young entry found unchanged answers as before: moving the
         * generation on would make every thread look every frame up again
         * next round, and every young one read again (bench/cost: 82 reads
         * a round at depth 40 instead of 1-2). */
        if (!current)
            c->generation++;
        return e;
    }
    if (e->addr == 0 && (c->used + 1) * 2 > c->nslots) {
        if (sg_code_grow(c) != 0)
            return NULL;
        e = sg_code_slot(c, addr);
    }
    if (sg_code_load(c, e, addr, head) != 0)
        return NULL;
    e->globals = globals; /* sg_code_load moved the generation on */
    return e;
}

/* The instruction offset in the units the entry's line table wants. */
static bool sg_code_offset(const sg_layout *l, const sg_code_entry *e, uint64_t code_addr,
                           uint64_t position, int32_t *offset)
{
    /* 3.9/3.10: f_lasti is -1 before the first instruction; past the code
     * it belongs to another code object that took the address since. */
    int64_t lasti = (int32_t)position;
    switch (l->lines_format) {
    case SG_LINES_LNOTAB:
        *offset = (int32_t)lasti; /* in bytes */
        return lasti >= -1 && lasti < 2 * (int64_t)e->code_units;
    case SG_LINES_LINETABLE:
        *offset = lasti < 0 ? -1 : (int32_t)lasti * 2; /* in units */
        return lasti >= -1 && lasti < (int64_t)e->code_units;
    default: {
        int64_t first = (int64_t)(code_addr + (uint64_t)l->code_code_adaptive);
        int64_t unit = ((int64_t)position - first) / 2;
        if (unit < -1 || unit >= (int64_t)e->code_units)
            return false;
        *offset = (int32_t)unit;
        return true;
    }
    }
}

int sg_code_cache_resolve(sg_code_cache *c, uint64_t code_addr, uint64_t globals, uint64_t position,
                          uint32_t *id, int32_t *line)
{
    const sg_layout *l = c->target->layout;
    sg_code_entry *e = sg_code_lookup(c, code_addr, globals, false);
    int32_t offset;
    if (e && !sg_code_offset(l, e, code_addr, position, &offset)) {
        /* An instruction outside the code we remember: maybe another code
         * object took the address since; read it again before saying torn. */
        e = sg_code_lookup(c, code_addr, globals, true);
        if (e && !sg_code_offset(l, e, code_addr, position, &offset))
            e = NULL;
    }
    if (!e)
        return -1;
    *id = e->id;
    for (int w = 0; w < SG_LINE_WAYS; w++)
        if (e->lines[w].offset == offset) {
            *line = e->lines[w].line;
            return 0;
        }
    const sg_code_cold *cold = &c->colds[e->id];
    sg_line_memo *m = &e->lines[e->next_way];
    e->next_way = (e->next_way + 1) % SG_LINE_WAYS;
    m->offset = offset;
    m->line = sg_linetable_line(l->lines_format, cold->linetable, cold->linetable_len,
                                cold->first_line, offset);
    *line = m->line;
    return 0;
}

void sg_code_cache_new_epoch(sg_code_cache *c)
{
    c->epoch++;
    c->generation++;
}

uint64_t sg_code_cache_generation(const sg_code_cache *c)
{
    return c->generation;
}

uint32_t sg_code_cache_count(const sg_code_cache *c)
{
    return (uint32_t)c->ninfos;
}

const sg_code_info *sg_code_cache_info(const sg_code_cache *c, uint32_t id)
{
    return id < c->ninfos ? &c->infos[id] : NULL;
}

uint32_t sg_code_cache_frame_bytes(const sg_code_cache *c, uint32_t id)
{
    return id < c->ninfos ? c->colds[id].frame_bytes : 0;
}

bool sg_code_cache_is_generator(const sg_code_cache *c, uint32_t id)
{
    return id < c->ninfos && c->colds[id].generator;
}

uint64_t sg_code_cache_misses(const sg_code_cache *c)
{
    return c->misses;
}

void sg_code_cache_counts(const sg_code_cache *c, uint64_t *misses, uint64_t *revalidations)
{
    *misses = c->misses;
    *revalidations = c->revalidations;
}
