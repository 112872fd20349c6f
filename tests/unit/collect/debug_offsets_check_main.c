/*
 * debug_offsets_check_main.c — sg-debug-offsets-check, a test driver that
 * runs sg_debug_offsets_check() on bytes dumped from a real interpreter.
 *
 *   sg-debug-offsets-check --size   prints how many bytes to dump from the
 *                                   start of _PyRuntime
 *   sg-debug-offsets-check FILE     checks FILE against the layout table of
 *                                   the version it names; prints
 *                                   "OK 0x030d00f0" (exit 0) or
 *                                   "ERROR <code>: <message>" (exit 1)
 *
 * Used by tests/integration/test_layouts.py, which dumps the bytes with
 * ctypes from a running 3.13. Exit 2 means a usage or I/O problem, never a
 * verdict on the bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/debug_offsets.h"
#include "collect/layout.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s --size | FILE\n", argv[0]);
        return 2;
    }
    size_t size = sg_debug_offsets_size();
    if (strcmp(argv[1], "--size") == 0) {
        printf("%zu\n", size);
        return 0;
    }

    FILE *f = fopen(argv[1], "rb");
    if (f == NULL) {
        perror(argv[1]);
        return 2;
    }
    uint8_t *buf = malloc(size);
    if (buf == NULL) {
        fclose(f);
        fprintf(stderr, "out of memory\n");
        return 2;
    }
    size_t len = fread(buf, 1, size, f);
    fclose(f);

    char err[512];
    uint32_t version = 0;
    const sg_layout *table = sg_layout_for_version(sg_debug_offsets_version(buf, len));
    int rc = sg_debug_offsets_check(buf, len, table, &version, err, sizeof err);
    free(buf);
    if (rc != SG_DEBUG_OFFSETS_OK) {
        printf("ERROR %d: %s\n", rc, err);
        return 1;
    }
    printf("OK 0x%08x\n", (unsigned)version);
    return 0;
}
