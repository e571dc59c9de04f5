/*
 * emit.c: CSV, NDJSON and JSON rows for anomaly-export.
 */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "emit.h"

#define POINT_HEADER	"client_id,n,timestamp,value,anomaly,alert,score,votes"
#define CLIENT_HEADER	"client_id,window,settings,active,first_seen_ms," \
	"last_seen_ms,points,anomalies,alerts,last_alert_n,last_value," \
	"last_seq,peer"

int
emit_parse_format(const char *name, enum emit_format *f)
{
	if (strcmp(name, "csv") == 0)
		*f = EMIT_CSV;
	else if (strcmp(name, "ndjson") == 0)
		*f = EMIT_NDJSON;
	else if (strcmp(name, "json") == 0)
		*f = EMIT_JSON;
	else
		return -1;
	return 0;
}

/* Writes d as the shortest %g text that strtod() reads back as d. */
static void
put_double(FILE *out, double d)
{
	char buf[40];
	int prec;

	/* integers, the commonest case (scores of 0, whole values), without
	 * the cost of %g; beyond 1e15 %g would use an exponent */
	if (d > -1e15 && d < 1e15 && d == (double)(int64_t)d &&
	    !(d == 0 && signbit(d))) {
		fprintf(out, "%" PRId64, (int64_t)d);
		return;
	}
	for (prec = 15; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	if (prec == 17)
		snprintf(buf, sizeof(buf), "%.17g", d);
	fputs(buf, out);
}

/* Writes d as a JSON number, null when it is not finite. */
static void
put_jnumber(FILE *out, double d)
{
	if (isfinite(d))
		put_double(out, d);
	else
		fputs("null", out);
}

/* Writes d as a CSV field, empty when it is not finite. */
static void
put_cnumber(FILE *out, double d)
{
	if (isfinite(d))
		put_double(out, d);
}

/* The length of the UTF-8 sequence at s (n bytes left), 0 when the bytes
 * there are not one (overlong forms, surrogates and code points above
 * U+10FFFF are not). */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* Writes the len bytes at s as a JSON string. */
static void
put_jstring(FILE *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	putc('"', out);
	while (i < len) {
		if (p[i] == '"' || p[i] == '\\') {
			putc('\\', out);
			putc(p[i++], out);
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			fprintf(out, "\\u%04x", p[i++]);
		} else if ((k = utf8_len(p + i, len - i)) == 0) {
			fputs("\\ufffd", out);
			i++;
		} else {
			fwrite(p + i, 1, k, out);
			i += k;
		}
	}
	putc('"', out);
}

/* Writes the len bytes at s as a CSV field (RFC 4180): quoted, with quotes
 * doubled, when it holds a separator, a quote, CR, LF or NUL, or starts or
 * ends with white space that a reader might trim. */
static void
put_cstring(FILE *out, const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return;
	if (strcspn(s, ",\"\r\n") == len && memchr(s, '\0',
	    len) == NULL && s[0] != ' ' && s[0] != '\t' &&
	    s[len - 1] != ' ' && s[len - 1] != '\t') {
		fwrite(s, 1, len, out);
		return;
	}
	putc('"', out);
	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			putc('"', out);
		putc(s[i], out);
	}
	putc('"', out);
}

/* Writes the timestamp as stored: integer, shortest real or text. */
static void
put_ts(struct emitter *e, const struct store_ts *ts)
{
	switch (ts->type) {
	case STORE_TS_INTEGER:
		fprintf(e->out, "%" PRId64, ts->i);
		break;
	case STORE_TS_REAL:
		if (e->format == EMIT_CSV)
			put_cnumber(e->out, ts->r);
		else
			put_jnumber(e->out, ts->r);
		break;
	case STORE_TS_TEXT:
		if (e->format == EMIT_CSV)
			put_cstring(e->out, ts->text, ts->len);
		else
			put_jstring(e->out, ts->text, ts->len);
		break;
	}
}

/* Writes the detectors of vote mask votes: names joined by '+' in CSV, a
 * JSON array of names otherwise.  Bits without a known detector are
 * written as "bitN". */
static void
put_votes(struct emitter *e, uint32_t votes)
{
	const char *name;
	char other[16];
	unsigned k;
	int first = 1;

	if (e->format != EMIT_CSV)
		putc('[', e->out);
	for (k = 0; k < 32; k++) {
		if (!(votes & (UINT32_C(1) << k)))
			continue;
		if ((name = detect_kind_name(k)) == NULL) {
			snprintf(other, sizeof(other), "bit%u", k);
			name = other;
		}
		if (!first)
			putc(e->format == EMIT_CSV ? '+' : ',', e->out);
		if (e->format == EMIT_CSV)
			fputs(name, e->out);
		else
			put_jstring(e->out, name, strlen(name));
		first = 0;
	}
	if (e->format != EMIT_CSV)
		putc(']', e->out);
}

void
emit_begin(struct emitter *e, FILE *out, enum emit_format f, int clients)
{
	e->out = out;
	e->format = f;
	e->rows = 0;
	if (f == EMIT_CSV)
		fputs(clients ? CLIENT_HEADER "\n" : POINT_HEADER "\n", out);
	else if (f == EMIT_JSON)
		putc('[', out);
}

/* Starts a row: the separator of JSON array elements. */
static void
row_begin(struct emitter *e)
{
	if (e->format == EMIT_JSON)
		fputs(e->rows == 0 ? "\n" : ",\n", e->out);
	e->rows++;
}

/* Ends a row. */
static void
row_end(struct emitter *e)
{
	if (e->format != EMIT_JSON)
		putc('\n', e->out);
}

void
emit_point(struct emitter *e, const char *id, const struct store_point *p)
{
	FILE *out = e->out;

	row_begin(e);
	if (e->format == EMIT_CSV) {
		put_cstring(out, id, strlen(id));
		fprintf(out, ",%" PRId64 ",", p->n);
		put_ts(e, &p->ts);
		putc(',', out);
		put_cnumber(out, p->value);
		fprintf(out, ",%d,%d,", p->anomaly, p->alert);
		put_cnumber(out, p->score);
		putc(',', out);
		put_votes(e, p->votes);
	} else {
		fputs("{\"client_id\":", out);
		put_jstring(out, id, strlen(id));
		fprintf(out, ",\"n\":%" PRId64 ",\"timestamp\":", p->n);
		put_ts(e, &p->ts);
		fputs(",\"value\":", out);
		put_jnumber(out, p->value);
		fprintf(out, ",\"anomaly\":%d,\"alert\":%d,\"score\":",
		    p->anomaly, p->alert);
		put_jnumber(out, p->score);
		fputs(",\"votes\":", out);
		put_votes(e, p->votes);
		putc('}', out);
	}
	row_end(e);
}

void
emit_client(struct emitter *e, const struct store_client *c)
{
	FILE *out = e->out;

	row_begin(e);
	if (e->format == EMIT_CSV) {
		put_cstring(out, c->client_id, strlen(c->client_id));
		fprintf(out, ",%" PRId64 ",", c->window);
		put_cstring(out, c->settings, strlen(c->settings));
		fprintf(out, ",%d,%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
		    ",%" PRId64 ",%" PRId64 ",", c->active, c->first_seen_ms,
		    c->last_seen_ms, c->points, c->anomalies, c->alerts,
		    c->last_alert_n);
		put_cnumber(out, c->last_value);
		fprintf(out, ",%" PRId64 ",", c->last_seq);
		put_cstring(out, c->peer, strlen(c->peer));
	} else {
		fputs("{\"client_id\":", out);
		put_jstring(out, c->client_id, strlen(c->client_id));
		fprintf(out, ",\"window\":%" PRId64 ",\"settings\":", c->window);
		put_jstring(out, c->settings, strlen(c->settings));
		fprintf(out, ",\"active\":%d,\"first_seen_ms\":%" PRId64
		    ",\"last_seen_ms\":%" PRId64 ",\"points\":%" PRId64
		    ",\"anomalies\":%" PRId64 ",\"alerts\":%" PRId64
		    ",\"last_alert_n\":%" PRId64 ",\"last_value\":", c->active,
		    c->first_seen_ms, c->last_seen_ms, c->points, c->anomalies,
		    c->alerts, c->last_alert_n);
		put_jnumber(out, c->last_value);
		fprintf(out, ",\"last_seq\":%" PRId64 ",\"peer\":", c->last_seq);
		put_jstring(out, c->peer, strlen(c->peer));
		putc('}', out);
	}
	row_end(e);
}

void
emit_end(struct emitter *e)
{
	if (e->format == EMIT_JSON)
		fputs(e->rows == 0 ? "]\n" : "\n]\n", e->out);
}
