/*
 * crc32c.c — table-driven CRC-32C, eight bytes per step (see crc32c.h).
 *
 * The eight 256-entry tables are computed once, on first use, from the
 * reflected polynomial 0x82f63b78; table[k][b] is the CRC contribution of
 * byte b followed by k zero bytes, which lets the loop fold 8 input bytes
 * with 8 lookups. The tables are filled under pthread_once, so readers on
 * several threads may checksum at the same time.
 *
 * On x86-64 CPUs with SSE 4.2 the CRC32 instruction computes this very
 * CRC (same polynomial, reflected) 8 bytes per instruction, several times
 * faster than the tables: an upload checks every byte of an .sgl file,
 * and the tables were an eighth of the server's CPU for it. The choice is
 * made once, with the tables, and both give identical results
 * (tests/unit/profile checks them against each other).
 */
#include "profile/crc32c.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

static uint32_t crc_tables[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;
static bool crc_hw; /* set once under crc_once: the CPU has SSE 4.2 */

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SG_CRC32C_HW 1
/* crc (pre- and post-inverted by the caller) over len bytes with the CRC32
 * instruction. */
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const unsigned char *p,
                                                            size_t len)
{
    uint64_t c = crc;
    while (len >= 8) {
        uint64_t v;
        memcpy(&v, p, 8); /* little-endian, as the CRC reads bytes */
        c = __builtin_ia32_crc32di(c, v);
        p += 8;
        len -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (len-- > 0)
        c32 = __builtin_ia32_crc32qi(c32, *p++);
    return c32;
}
#else
#define SG_CRC32C_HW 0
static uint32_t crc32c_hw(uint32_t crc, const unsigned char *p, size_t len)
{
    (void)p;
    (void)len;
    return crc; /* never called: crc_hw stays false */
}
#endif

static void crc32c_init_tables(void)
{
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t c = b;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
        crc_tables[0][b] = c;
    }
    for (uint32_t b = 0; b < 256; b++)
        for (int t = 1; t < 8; t++)
            crc_tables[t][b] =
                (crc_tables[t - 1][b] >> 8) ^ crc_tables[0][crc_tables[t - 1][b] & 0xff];
#if SG_CRC32C_HW
    crc_hw = __builtin_cpu_supports("sse4.2");
#endif
}

uint32_t sg_crc32c(const void *data, size_t len)
{
    pthread_once(&crc_once, crc32c_init_tables);
    if (crc_hw)
        return crc32c_hw(0xffffffffu, data, len) ^ 0xffffffffu;
    return sg_crc32c_tables(data, len);
}

uint32_t sg_crc32c_tables(const void *data, size_t len)
{
    pthread_once(&crc_once, crc32c_init_tables);
    const unsigned char *p = data;
    uint32_t crc = 0xffffffffu;
    while (len >= 8) {
        uint32_t lo =
            (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        uint32_t hi =
            (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
        lo ^= crc;
        crc = crc_tables[7][lo & 0xff] ^ crc_tables[6][(lo >> 8) & 0xff] ^
              crc_tables[5][(lo >> 16) & 0xff] ^ crc_tables[4][lo >> 24] ^
              crc_tables[3][hi & 0xff] ^ crc_tables[2][(hi >> 8) & 0xff] ^
              crc_tables[1][(hi >> 16) & 0xff] ^ crc_tables[0][hi >> 24];
        p += 8;
        len -= 8;
    }
    while (len-- > 0)
        crc = (crc >> 8) ^ crc_tables[0][(crc ^ *p++) & 0xff];
    return crc ^ 0xffffffffu;
}
