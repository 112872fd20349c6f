/*
 * json_write.h — writing JSON strings to a stream, escaped per RFC 8259.
 * Input is UTF-8 from the target (already validated by the decoders), so
 * only quotes, backslashes and control characters need escapes.
 */
#ifndef SG_CLI_JSON_WRITE_H
#define SG_CLI_JSON_WRITE_H

#include <stdio.h>

void sg_json_string(FILE *out, const char *s);

#endif
