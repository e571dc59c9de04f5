/*
 * jsonbuf.h: a growable text buffer and the writers of JSON values into it.
 * Used by lib/proto for the wire, by anomalyd's pages and API, and by
 * anomaly-export; it needs nothing but libc.
 */
#ifndef JSONBUF_H
#define JSONBUF_H

#include <stddef.h>
#include <stdint.h>

/* A growable text buffer.  The text is at mem + headroom (room for the
 * caller to write before it, e.g. LWS_PRE), len bytes and a NUL.  When
 * memory is short, an append sets oom and returns -1: the text may then be
 * cut anywhere, and every later append fails too until jsonbuf_clear(). */
struct jsonbuf {
	char	*mem;
	size_t	 headroom;
	size_t	 len;
	size_t	 cap;		/* bytes allocated at mem */
	int	 oom;
};

/* Makes b empty, with headroom bytes before its text; allocates nothing. */
void jsonbuf_init(struct jsonbuf *b, size_t headroom);

/* Empties b (len 0, oom 0) and keeps its memory for reuse. */
void jsonbuf_clear(struct jsonbuf *b);

/* Frees b's memory; b is then as after jsonbuf_init(). */
void jsonbuf_free(struct jsonbuf *b);

/* The text of b (len bytes, NUL-terminated), NULL while nothing was ever
 * written; valid until the next append or free. */
char *jsonbuf_text(const struct jsonbuf *b);

/* Appends the len bytes at s as they are.  Returns 0, or -1 when memory is
 * short. */
int jsonbuf_put_raw(struct jsonbuf *b, const char *s, size_t len);

/* Appends s (len bytes) as a JSON string.  Escapes ", \, control
 * characters, <, >, & and U+2028/U+2029 so that the text is safe inside an
 * HTML <script> block too; replaces bytes that are not UTF-8 by U+FFFD.
 * Returns 0, or -1 when memory is short. */
int jsonbuf_put_string(struct jsonbuf *b, const char *s, size_t len);

/* Appends d as the shortest JSON number that reads back as d (integers
 * without a fraction; null when d is not finite).  Returns 0 or -1. */
int jsonbuf_put_double(struct jsonbuf *b, double d);

/* Appends v in decimal.  Returns 0 or -1. */
int jsonbuf_put_int(struct jsonbuf *b, int64_t v);
int jsonbuf_put_uint(struct jsonbuf *b, uint64_t v);

/* Appends d as the shortest number that reads back as d, an integral one
 * with ".0" (so that it reads back as a real); null when d
 * is not finite.  Returns 0 or -1. */
int jsonbuf_put_real(struct jsonbuf *b, double d);

/* The length of the well-formed UTF-8 sequence at s (n bytes available),
 * 0 when there is none (RFC 3629: no overlongs, no surrogates). */
size_t jsonbuf_utf8_len(const unsigned char *s, size_t n);

#endif
