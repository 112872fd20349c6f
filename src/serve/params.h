/*
 * params.h — the parameters of one request's query string, as decoded
 * (key, value) pairs, and typed readers that name the parameter when a
 * value does not parse.
 *
 * Filled either from the HTTP library's decoded arguments (sg_params_add)
 * or from a raw query string (sg_params_parse: %XX and '+' decoding), the
 * latter for saved view states and the fuzz target. Untrusted input: limits
 * on count and length keep memory bounded; a parse never fails on bytes,
 * only on memory or a limit.
 *
 * Lookups return the LAST value of a repeated key (a URL edited by hand
 * that appends a parameter means the newer one).
 *
 * Ownership: the list owns copies of its keys and values; sg_params_free.
 */
#ifndef SG_SERVE_PARAMS_H
#define SG_SERVE_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SG_PARAMS_MAX_COUNT 256
#define SG_PARAMS_MAX_BYTES (64u << 10) /* total of keys and values */

typedef struct sg_param {
    char *key, *value;
} sg_param;

typedef struct sg_params {
    sg_param *items;
    size_t count, cap, bytes;
} sg_params;

void sg_params_init(sg_params *q);
void sg_params_free(sg_params *q);

/* Add a copy of (key, value) (value NULL = ""). 0, or -1 when memory or a
 * limit ran out. */
int sg_params_add(sg_params *q, const char *key, const char *value);

/* Parse "a=1&b=x%20y" (len bytes, need not be NUL-terminated; a leading
 * '?' is skipped). Keys without '=' get "". Returns 0 or -1 (limits). */
int sg_params_parse(sg_params *q, const char *qs, size_t len);

/* The value of key, or NULL when absent. */
const char *sg_params_get(const sg_params *q, const char *key);

/*
 * Typed readers: 0 and *out when the key is absent (*out untouched) or
 * parses; -1 with err = "parameter KEY: ..." when it does not.
 */
int sg_params_u64(const sg_params *q, const char *key, uint64_t max, uint64_t *out, char *err,
                  size_t errlen);
int sg_params_u32(const sg_params *q, const char *key, uint32_t max, uint32_t *out, char *err,
                  size_t errlen);
int sg_params_double(const sg_params *q, const char *key, double lo, double hi, double *out,
                     char *err, size_t errlen);
/* "0"/"1"/"true"/"false" */
int sg_params_bool(const sg_params *q, const char *key, bool *out, char *err, size_t errlen);
/* One of names[0..n): *out = its index. */
int sg_params_enum(const sg_params *q, const char *key, const char *const *names, size_t n,
                   int *out, char *err, size_t errlen);

/*
 * A canonical text of the parameters, appended to out: each distinct key
 * once with its effective (last) value, sorted by key, every part length-
 * prefixed so no bytes of a value can fake a boundary. Keys listed in
 * skip (NULL-terminated) are left out (the token: it does not change an
 * answer). Two requests that mean the same get the same text.
 */
struct sg_jbuf;
void sg_params_key(const sg_params *q, const char *const *skip, struct sg_jbuf *out);

/* Parse a whole decimal number (no sign, no spaces) <= max into *out. */
bool sg_parse_u64(const char *s, uint64_t max, uint64_t *out);

#endif
