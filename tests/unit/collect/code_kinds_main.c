/*
 * code_kinds_main.c — sg-code-kinds, a test driver that attaches to a Python
 * process and looks code objects up through collect/code_cache, as the
 * sampler does, so tests/integration/test_code_kinds.py can check what the
 * cache says of each against what the target says of it: its name, and
 * whether it runs for a generator, a coroutine or an async generator (the
 * sampler never takes such code as the root of a stack).
 *
 * Usage: sg-code-kinds PID ADDR...   (ADDR: id(f.__code__), decimal or 0x hex)
 *
 * Output: one line per ADDR, in order: `ADDR KIND NAME`, ADDR as given,
 * KIND `generator` or `function`, NAME the qualified name on 3.11+ (plain
 * before), or `ADDR invalid -` when the cache refuses the address. Exit 0,
 * or 1 with a message on stderr.
 *
 * Invariant: a test tool, not on any hot path.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "collect/code_cache.h"
#include "collect/target.h"
#include "driver_attach.h"

/* The position of a code object's first instruction, in the units the
 * cache takes (f_lasti before 3.11, an instruction address from 3.11). */
static uint64_t sg_ck_first_position(const sg_layout *l, uint64_t code)
{
    if (l->code_code_adaptive == SG_LAYOUT_ABSENT)
        return 0;
    return code + (uint64_t)l->code_code_adaptive;
}

int main(int argc, char **argv)
{
    sg_target t;
    char *end = NULL;

    if (argc < 3) {
        fprintf(stderr, "usage: sg-code-kinds PID ADDR...\n");
        return 1;
    }
    if (sg_driver_attach("sg-code-kinds", argv[1], &t) != 0)
        return 1;
    sg_code_cache *cache = sg_code_cache_new(&t, NULL, NULL);
    if (!cache) {
        fprintf(stderr, "sg-code-kinds: out of memory\n");
        sg_target_detach(&t);
        return 1;
    }
    int status = 0;
    for (int i = 2; i < argc; i++) {
        errno = 0;
        unsigned long long addr = strtoull(argv[i], &end, 0);
        if (errno || !end || *end != '\0' || addr == 0) {
            fprintf(stderr, "sg-code-kinds: bad address '%s'\n", argv[i]);
            status = 1;
            break;
        }
        uint32_t id;
        int32_t line;
        if (sg_code_cache_resolve(cache, addr, 0, sg_ck_first_position(t.layout, addr), &id,
                                  &line) != 0) {
            printf("%s invalid -\n", argv[i]);
            continue;
        }
        printf("%s %s %s\n", argv[i],
               sg_code_cache_is_generator(cache, id) ? "generator" : "function",
               sg_code_cache_info(cache, id)->name);
    }
    sg_code_cache_free(cache);
    sg_target_detach(&t);
    return status;
}
