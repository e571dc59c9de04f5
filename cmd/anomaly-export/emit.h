/*
 * emit.h: anomaly-export's output formats (SPEC §6): CSV (RFC 4180), NDJSON
 * and one JSON array, written row by row to a stdio stream, so that nothing
 * but the current row is ever held in memory.
 *
 * Every string is written so that the output stays valid whatever it holds:
 * CSV fields are quoted when they contain a comma, a quote, CR or LF (or
 * start or end with white space), JSON strings escape quotes, backslashes
 * and control characters and replace bytes that are not UTF-8 by U+FFFD.
 * Numbers are the shortest text that reads back as the same double;
 * non-finite ones are empty in CSV and null in JSON.  Write errors are left
 * in the stream for ferror(3).
 */
#ifndef ANOMALY_EXPORT_EMIT_H
#define ANOMALY_EXPORT_EMIT_H

#include <stdio.h>

#include "jsonbuf.h"
#include "store.h"

enum emit_format {
	EMIT_CSV,
	EMIT_NDJSON,
	EMIT_JSON
};

struct emitter {
	FILE		*out;
	enum emit_format format;
	int		 rows;		/* rows written so far */
	struct jsonbuf scratch;	/* one value's text */
};

/* Parses a format name ("csv", "ndjson", "json").  Returns 0 and sets *f,
 * or -1. */
int emit_parse_format(const char *name, enum emit_format *f);

/* Starts the output on out in format f: the CSV header of points (or of
 * clients when clients is set), "[" for JSON. */
void emit_begin(struct emitter *e, FILE *out, enum emit_format f,
    int clients);

/* Writes point p of client id as one row. */
void emit_point(struct emitter *e, const char *id,
    const struct store_point *p);

/* Writes client c as one row. */
void emit_client(struct emitter *e, const struct store_client *c);

/* Ends the output: "]" and a newline for JSON. */
void emit_end(struct emitter *e);

#endif
