/*
 * crc32c.h — CRC-32C (Castagnoli), the checksum of .sgl headers and chunks
 * (internal).
 *
 * Chosen over a faster non-cryptographic hash because its error-detection
 * guarantees are known (every burst up to 32 bits is caught) and its value
 * is specified by a public standard, so other readers of the format can
 * check it with any library.
 */
#ifndef SG_PROFILE_CRC32C_H
#define SG_PROFILE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C of `len` bytes (initial value and final xor 0xffffffff, as in
 * iSCSI and ext4): sg_crc32c("123456789", 9) == 0xe3069283. */
uint32_t sg_crc32c(const void *data, size_t len);
/* The same by tables alone, whatever the CPU (what sg_crc32c does without
 * SSE 4.2): for tests that the two agree. */
uint32_t sg_crc32c_tables(const void *data, size_t len);

#endif
