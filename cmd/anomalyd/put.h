/*
 * put.h: text into a struct jsonbuf, for the pages, the JSON API and
 * /metrics: raw, formatted, escaped for HTML, a URL path segment or a JSON
 * string.  A failure to grow the buffer is kept in its oom flag, which the
 * caller checks once at the end.
 */
#ifndef ANOMALYD_PUT_H
#define ANOMALYD_PUT_H

#include <stddef.h>
#include <stdint.h>

#include "jsonbuf.h"
#include "store.h"

/* The n bytes at s, as they are. */
void put_raw(struct jsonbuf *b, const char *s, size_t n);
/* The string s, as it is. */
void put_str(struct jsonbuf *b, const char *s);
/* printf(3) of fmt, cut at 511 bytes. */
void put_fmt(struct jsonbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* s as HTML text or attribute value. */
void put_html(struct jsonbuf *b, const char *s, size_t n);
/* s as one URL path segment: everything but unreserved characters
 * (RFC 3986) percent-encoded, so it is safe in an attribute too. */
void put_url(struct jsonbuf *b, const char *s, size_t n);
/* s as a JSON string. */
void put_jstring(struct jsonbuf *b, const char *s, size_t n);
/* d as a JSON number (null when not finite); a real keeps a fraction
 * when real is set, so that it reads back as a real. */
void put_number(struct jsonbuf *b, double d, int real);
/* A stored timestamp as JSON (typed as stored) or, with html, as HTML
 * text. */
void put_ts(struct jsonbuf *b, const struct store_ts *ts, int html);
/* The moment ms (Unix milliseconds) as UTC text, as timefmt_format()
 * writes it. */
void put_time(struct jsonbuf *b, int64_t ms);

#endif
