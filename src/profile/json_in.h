/*
 * json_in.h — reading big JSON files a piece at a time (internal to the
 * JSON importers: speedscope, Chrome trace events).
 *
 * jansson parses one value into a DOM; a profile file is one huge value.
 * This cursor walks the outer structure itself (objects, arrays, commas,
 * keys) and hands jansson one element at a time, so an importer holds one
 * event or one sample in DOM form, never the whole file, and can keep
 * every element that was complete when a file is cut short (a Chrome trace
 * may legally lack its closing bracket).
 *
 * Invariants:
 *   - pos <= len; the cursor never reads outside data[0, len).
 *   - once an error is recorded (status < 0), every call fails at once and
 *     the first message is kept. Messages name the byte offset, line and
 *     column, and the JSON path the caller passes ("profiles[2].samples").
 *   - `eof` is true when the error is that the input ended early, so a
 *     caller can tell a truncated file from a malformed one.
 *   - nesting: jansson refuses values nested deeper than its limit (2048),
 *     and sg_json_in_skip counts depth without recursing, so no input can
 *     exhaust the C stack.
 *
 * Ownership: the cursor borrows data and err; values it returns are new
 * jansson references the caller releases with json_decref.
 */
#ifndef SG_PROFILE_JSON_IN_H
#define SG_PROFILE_JSON_IN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sg_json_in {
    const char *data;
    size_t len;
    size_t pos;
    char *err; /* caller's buffer for the first error message */
    size_t errlen;
    int status; /* 0, or the SG_PROFILE_* code of the first error */
    bool eof;   /* the first error was the end of the input */
} sg_json_in;

/* Start at the beginning of data (a UTF-8 byte order mark is skipped). */
void sg_json_in_init(sg_json_in *in, const uint8_t *data, size_t len, char *err, size_t errlen);

/* Record an error at the current position (the first one wins); returns
 * in->status. The message is prefixed with "offset N (line L, column C): ". */
int sg_json_in_fail(sg_json_in *in, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Same, at byte offset `at` and flagging the end of input. */
int sg_json_in_fail_at(sg_json_in *in, size_t at, bool eof, int status, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The next byte after whitespace, or -1 at the end (or after an error). */
int sg_json_in_peek(sg_json_in *in);

/* Consume `open` ('{' or '[') after whitespace; fails naming `path` if the
 * next byte is something else. */
int sg_json_in_enter(sg_json_in *in, char open, const char *path);

/*
 * Step through a container entered with sg_json_in_enter: returns 1 when
 * another element follows (a separating comma has been consumed), 0 when
 * the closing `close` was consumed, or a negative status. *count is how
 * many elements were stepped to so far (start it at 0).
 */
int sg_json_in_next(sg_json_in *in, char close, size_t *count, const char *path);

/*
 * Read an object key and its ':'. The key is copied into buf (NUL-
 * terminated); a key longer than buflen - 1 is not an error, it is
 * reported as "" so that it matches no name a caller looks for.
 */
int sg_json_in_key(sg_json_in *in, char *buf, size_t buflen, const char *path);

/* Writes "path[index]" into dst, the name errors give an array's element.
 * A name longer than cap ends in "..." rather than failing: it only labels
 * a message. */
void sg_json_in_element_path(char *dst, size_t cap, const char *path, size_t index);

/* Parse the next value with jansson (NULL on error, which is recorded). */
json_t *sg_json_in_value(sg_json_in *in, const char *path);

/* Step over the next value without building it. */
int sg_json_in_skip(sg_json_in *in, const char *path);

#endif
