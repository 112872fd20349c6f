/*
 * regex_match.h — a regular expression from an untrusted request (the
 * function table's `match=`), compiled with PCRE2 under limits that bound
 * what one pattern can cost: its length, its nesting, and the work and
 * memory of each match (PCRE2's match, depth and heap limits). A match
 * that reaches a limit is an error the caller reports, never a hang.
 *
 * Syntax: PCRE2 with its JavaScript-compatibility options (\uhhhh escapes,
 * [] and [^], unset back-references match empty, $ only at the end), so
 * what the viewer's filter box accepts as a JavaScript RegExp means the
 * same here in the common cases; always case-insensitive, as the viewer.
 * Subjects may be any bytes: invalid UTF-8 in a subject never matches a
 * character but is not an error.
 *
 * Ownership: sg_regex_compile returns a regex the caller frees with
 * sg_regex_free. One regex holds its own match data, so it is used by one
 * thread at a time (one request).
 */
#ifndef SG_SERVE_REGEX_MATCH_H
#define SG_SERVE_REGEX_MATCH_H

#include <stddef.h>

#define SG_REGEX_MAX_PATTERN    1000  /* bytes */
#define SG_REGEX_MATCH_LIMIT    20000 /* PCRE2 match() calls per subject */
#define SG_REGEX_DEPTH_LIMIT    1000  /* backtracking depth per subject */
#define SG_REGEX_HEAP_LIMIT_KIB 4096  /* backtracking memory per subject */

typedef struct sg_regex sg_regex;

/* Compile pattern (NUL-terminated). 0 and *out, or -1 with err saying why:
 * "PCRE2's message at offset N" for a pattern that does not compile, or
 * that it is too long; *out is NULL then. */
int sg_regex_compile(const char *pattern, sg_regex **out, char *err, size_t errlen);

/* 1 if subject[0..len) matches anywhere, 0 if not, -1 when a limit was
 * reached or memory ran out (err says which). */
int sg_regex_test(sg_regex *re, const char *subject, size_t len, char *err, size_t errlen);

void sg_regex_free(sg_regex *re);

#endif
