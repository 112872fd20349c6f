/*
 * fuzz_serve_accept.c — libFuzzer target for the Accept-Encoding parser
 * (http_gzip.h, sg_http_accepts_gzip): the header is untrusted bytes from
 * any client. Checks, on a NUL-terminated copy of the input: no read past
 * the NUL (ASan), no hang, and what the answer promises — gzip is never
 * taken from a header that names neither gzip nor `*`, and the answer
 * does not depend on the case of the coding names.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "serve/http_gzip.h"

static bool names_gzip_or_star(const char *h)
{
    for (const char *p = h; *p != '\0'; p++)
        if (*p == '*' || strncasecmp(p, "gzip", 4) == 0)
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *h = malloc(size + 1), *upper = malloc(size + 1);
    if (h == NULL || upper == NULL)
        abort();
    memcpy(h, data, size);
    h[size] = '\0';
    for (size_t i = 0; i <= size; i++)
        upper[i] = (char)toupper((unsigned char)h[i]);
    bool yes = sg_http_accepts_gzip(h);
    if (yes && !names_gzip_or_star(h))
        abort();
    if (sg_http_accepts_gzip(upper) != yes)
        abort();
    if (sg_http_accepts_gzip(NULL))
        abort();
    free(h);
    free(upper);
    return 0;
}
