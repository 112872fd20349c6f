/*
 * ids.c — random short ids (ids.h). Rejection sampling keeps every one of
 * the 36 characters equally likely (256 is not a multiple of 36).
 */
#include "serve/ids.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

int sg_id_new(char out[SG_ID_LEN + 1])
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    size_t n = 0;
    while (n < SG_ID_LEN) {
        unsigned char bytes[32];
        ssize_t got = getrandom(bytes, sizeof bytes, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        for (ssize_t i = 0; i < got && n < SG_ID_LEN; i++)
            if (bytes[i] < 252) /* 252 = 7 × 36 */
                out[n++] = alphabet[bytes[i] % 36];
    }
    out[SG_ID_LEN] = '\0';
    return 0;
}

bool sg_id_valid(const char *s)
{
    if (s == NULL)
        return false;
    for (size_t i = 0; i < SG_ID_LEN; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    return s[SG_ID_LEN] == '\0';
}
