/*
 * layout.c — picks the layout table for a CPython version.
 *
 * The tables themselves are generated (layout_py3X.c, see
 * tools/layout_probe/); this file only maps a version number onto one.
 *
 * Invariants: any PY_VERSION_HEX of a supported minor (any micro, release
 * level or serial) maps to that minor's table; everything else maps to NULL.
 * The returned table is static and never freed.
 */
#include "collect/layout.h"
#include "collect/layout_tables.h"

#include <stddef.h>

const sg_layout *sg_layout_for_version(uint32_t version_hex)
{
    uint32_t major = version_hex >> 24;
    uint32_t minor = (version_hex >> 16) & 0xffu;

    if (major != 3) {
        return NULL;
    }
    switch (minor) {
    case 9:
        return &sg_layout_py39;
    case 10:
        return &sg_layout_py310;
    case 11:
        return &sg_layout_py311;
    case 12:
        return &sg_layout_py312;
    case 13:
        return &sg_layout_py313;
    default:
        return NULL;
    }
}
