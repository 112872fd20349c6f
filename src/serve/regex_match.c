/*
 * regex_match.c — PCRE2 patterns from requests, bounded (regex_match.h).
 *
 * The limits live in PCRE2's own contexts: the compile context caps the
 * pattern's length and nesting, the match context the work (match limit),
 * the backtracking depth and its heap of each match. The pattern is
 * JIT-compiled when PCRE2 can (Debian's is built with JIT), which makes a
 * scan of 200,000 names several times faster; the match limit binds the JIT
 * too, and where JIT is unavailable (no executable memory) the interpreter
 * runs with the same limits.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "serve/regex_match.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sg_regex {
    pcre2_code *code;
    pcre2_match_context *mctx;
    pcre2_match_data *md;
};

/* The compile options that make PCRE2 read a pattern as a JavaScript
 * RegExp with the 'i' flag would (see pcre2compat(3)). */
#define SG_REGEX_OPTIONS                                                                           \
    (PCRE2_CASELESS | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_ALT_BSUX |                       \
     PCRE2_ALLOW_EMPTY_CLASS | PCRE2_MATCH_UNSET_BACKREF | PCRE2_DOLLAR_ENDONLY |                  \
     PCRE2_NEVER_BACKSLASH_C)

static void pcre2_message(int code, char *buf, size_t len)
{
    if (pcre2_get_error_message(code, (PCRE2_UCHAR *)buf, len) < 0 && len > 0)
        snprintf(buf, len, "PCRE2 error %d", code);
}

int sg_regex_compile(const char *pattern, sg_regex **out, char *err, size_t errlen)
{
    *out = NULL;
    size_t len = strlen(pattern);
    if (len > SG_REGEX_MAX_PATTERN) {
        snprintf(err, errlen, "the pattern is %zu bytes long; at most %d are allowed", len,
                 SG_REGEX_MAX_PATTERN);
        return -1;
    }
    sg_regex *re = calloc(1, sizeof *re);
    pcre2_compile_context *cctx = pcre2_compile_context_create(NULL);
    if (re == NULL || cctx == NULL) {
        pcre2_compile_context_free(cctx);
        free(re);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    pcre2_set_max_pattern_length(cctx, SG_REGEX_MAX_PATTERN);
    pcre2_set_parens_nest_limit(cctx, 100);
    int code;
    PCRE2_SIZE at;
    re->code = pcre2_compile((PCRE2_SPTR)pattern, len, SG_REGEX_OPTIONS, &code, &at, cctx);
    pcre2_compile_context_free(cctx);
    if (re->code == NULL) {
        char msg[256];
        pcre2_message(code, msg, sizeof msg);
        snprintf(err, errlen, "not a valid regular expression: %s at offset %zu", msg, (size_t)at);
        free(re);
        return -1;
    }
    (void)pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE); /* the interpreter if it fails */
    re->mctx = pcre2_match_context_create(NULL);
    re->md = pcre2_match_data_create(1, NULL); /* no captures are read */
    if (re->mctx == NULL || re->md == NULL) {
        sg_regex_free(re);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    pcre2_set_match_limit(re->mctx, SG_REGEX_MATCH_LIMIT);
    pcre2_set_depth_limit(re->mctx, SG_REGEX_DEPTH_LIMIT);
    pcre2_set_heap_limit(re->mctx, SG_REGEX_HEAP_LIMIT_KIB);
    *out = re;
    return 0;
}

int sg_regex_test(sg_regex *re, const char *subject, size_t len, char *err, size_t errlen)
{
    int rc = pcre2_match(re->code, (PCRE2_SPTR)subject, len, 0, 0, re->md, re->mctx);
    if (rc >= 0)
        return 1;
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    char msg[256];
    pcre2_message(rc, msg, sizeof msg);
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
        rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
        snprintf(err, errlen, "the pattern is too costly to match (%s)", msg);
    else
        snprintf(err, errlen, "matching failed: %s", msg);
    return -1;
}

void sg_regex_free(sg_regex *re)
{
    if (re == NULL)
        return;
    pcre2_match_data_free(re->md);
    pcre2_match_context_free(re->mctx);
    pcre2_code_free(re->code);
    free(re);
}
