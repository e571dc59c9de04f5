/*
 * json.h: a strict reader of one JSON text, over LEJP (SPEC §2.3, §11).
 *
 * LEJP (libwebsockets 4.1.6) tokenizes; this reader hands each token to a
 * callback as an event and refuses what LEJP lets through or gets wrong:
 * numbers outside the RFC 8259 grammar or longer than JSON_NUMBER_MAX
 * bytes, '#' comments, trailing commas, mismatched brackets, nesting
 * deeper than JSON_DEPTH_MAX, keys longer than JSON_KEY_MAX, key paths
 * longer than JSON_PATH_MAX (LEJP writes its path without a bound), and
 * bytes other than whitespace after the value.  A top-level {} (refused by
 * LEJP) is read as an empty object.  The text must be an object or an
 * array.  Strings come in chunks as LEJP decodes them; LEJP writes the two
 * halves of a \u surrogate pair as two 3-byte sequences, which
 * json_join_surrogates() repairs.  Pure computation: no I/O.
 */
#ifndef ANOMALY_JSON_H
#define ANOMALY_JSON_H

#include <stddef.h>
#include <stdint.h>

#define JSON_DEPTH_MAX	8	/* objects and arrays nested */
#define JSON_KEY_MAX	64	/* bytes of an object key */
#define JSON_PATH_MAX	100	/* bytes of a key path ("a.b", "[].c") */
#define JSON_NUMBER_MAX	100	/* bytes of a number's text */

enum json_type {
	JSON_OBJECT_START,
	JSON_OBJECT_END,
	JSON_ARRAY_START,
	JSON_ARRAY_END,
	JSON_KEY,		/* an object's key: text, len */
	JSON_NUMBER,		/* text, len (NUL-terminated), integer */
	JSON_STRING_START,
	JSON_STRING_CHUNK,	/* decoded bytes: text, len */
	JSON_STRING_END,	/* the last decoded bytes: text, len (maybe 0) */
	JSON_TRUE,
	JSON_FALSE,
	JSON_NULL
};

struct json_event {
	enum json_type	 type;
	/* Containers open around the event: for a START, those around the
	 * container it opens; for an END, those around and the one it
	 * closes. */
	unsigned	 depth;
	int		 in_array;	/* the container at depth is an array */
	const char	*text;		/* not NUL-terminated unless said */
	size_t		 len;
	int		 integer;	/* NUMBER: no fraction, no exponent */
	const char	*path;		/* LEJP's key path, NUL-terminated */
};

/* Called for each event in order; a non-zero return stops the reading
 * (json_read() then returns JSON_STOPPED). */
typedef int (*json_cb)(void *arg, const struct json_event *ev);

/* What json_read() found. */
enum json_status {
	JSON_OK,		/* one whole value, then whitespace only */
	JSON_STOPPED,		/* the callback returned non-zero */
	JSON_E_SYNTAX,		/* not JSON, incomplete, or trailing bytes */
	JSON_E_TOP,		/* the text does not start with { or [ */
	JSON_E_DEPTH,		/* nested deeper than JSON_DEPTH_MAX */
	JSON_E_ARRAYS,		/* arrays nested deeper than LEJP allows */
	JSON_E_KEY,		/* a key longer than JSON_KEY_MAX */
	JSON_E_PATH,		/* a key path longer than JSON_PATH_MAX */
	JSON_E_NUMBER		/* a number longer than JSON_NUMBER_MAX */
};

/* Reads the len bytes at s as one JSON text, calling cb(arg, event) for
 * each token.  Returns JSON_OK, JSON_STOPPED, or the first error; after
 * an error the events given so far may be of a text that was not JSON. */
enum json_status json_read(const char *s, size_t len, json_cb cb, void *arg);

/* Whether the len bytes at s are a number of the RFC 8259 grammar:
 * 0 when not, 1 when an integer (no fraction, no exponent), 2 when not an
 * integer. */
int json_number_class(const char *s, size_t len);

/* Reads the integer text at s (json_number_class() 1) into *out; -1 when
 * it does not fit int64_t (then *out is unchanged). */
int json_number_int64(const char *s, size_t len, int64_t *out);

/* The double nearest to the number text at s (json_number_class() not 0),
 * correctly rounded; NAN when longer than LEJP's string chunk. */
double json_number_double(const char *s, size_t len);

/* Joins the 3-byte encodings of a high and a low surrogate (what LEJP
 * makes of "\ud83d\ude00") into the 4-byte UTF-8 sequence of their
 * character, in place; returns the new length. */
size_t json_join_surrogates(unsigned char *s, size_t len);

#endif
