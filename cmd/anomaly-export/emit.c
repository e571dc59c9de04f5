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
#include "jsonbuf.h"
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

/* Writes what jsonbuf_put_double()/jsonbuf_put_string() made of a value. */
static void
put_scratch(struct emitter *e)
{
	if (!e->scratch.oom && e->scratch.len > 0)
		fwrite(jsonbuf_text(&e->scratch), 1, e->scratch.len, e->out);
	jsonbuf_clear(&e->scratch);
}

/* Writes d as a JSON number: the shortest that reads back as d, null when
 * it is not finite. */
static void
put_jnumber(struct emitter *e, double d)
{
	jsonbuf_put_double(&e->scratch, d);
	put_scratch(e);
}

/* Writes d as a CSV field, empty when it is not finite. */
static void
put_cnumber(struct emitter *e, double d)
{
	if (isfinite(d))
		put_jnumber(e, d);
}

/* Writes the len bytes at s as a JSON string (bytes that are not UTF-8
 * become U+FFFD). */
static void
put_jstring(struct emitter *e, const char *s, size_t len)
{
	jsonbuf_put_string(&e->scratch, s, len);
	put_scratch(e);
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
			put_cnumber(e, ts->r);
		else
			put_jnumber(e, ts->r);
		break;
	case STORE_TS_TEXT:
		if (e->format == EMIT_CSV)
			put_cstring(e->out, ts->text, ts->len);
		else
			put_jstring(e, ts->text, ts->len);
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
			put_jstring(e, name, strlen(name));
		first = 0;
	}
	if (e->format != EMIT_CSV)
		putc(']', e->out);
}

void
emit_begin(struct emitter *e, FILE *out, enum emit_format f, int clients)
{
	e->out = out;
	jsonbuf_init(&e->scratch, 0);
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
		put_cstring(e->out, id, strlen(id));
		fprintf(out, ",%" PRId64 ",", p->n);
		put_ts(e, &p->ts);
		putc(',', out);
		put_cnumber(e, p->value);
		fprintf(out, ",%d,%d,", p->anomaly, p->alert);
		put_cnumber(e, p->score);
		putc(',', out);
		put_votes(e, p->votes);
	} else {
		fputs("{\"client_id\":", out);
		put_jstring(e, id, strlen(id));
		fprintf(out, ",\"n\":%" PRId64 ",\"timestamp\":", p->n);
		put_ts(e, &p->ts);
		fputs(",\"value\":", out);
		put_jnumber(e, p->value);
		fprintf(out, ",\"anomaly\":%d,\"alert\":%d,\"score\":",
		    p->anomaly, p->alert);
		put_jnumber(e, p->score);
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
		put_cstring(e->out, c->client_id, strlen(c->client_id));
		fprintf(out, ",%" PRId64 ",", c->window);
		put_cstring(e->out, c->settings, strlen(c->settings));
		fprintf(out, ",%d,%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
		    ",%" PRId64 ",%" PRId64 ",", c->active, c->first_seen_ms,
		    c->last_seen_ms, c->points, c->anomalies, c->alerts,
		    c->last_alert_n);
		put_cnumber(e, c->last_value);
		fprintf(out, ",%" PRId64 ",", c->last_seq);
		put_cstring(e->out, c->peer, strlen(c->peer));
	} else {
		fputs("{\"client_id\":", out);
		put_jstring(e, c->client_id, strlen(c->client_id));
		fprintf(out, ",\"window\":%" PRId64 ",\"settings\":", c->window);
		put_jstring(e, c->settings, strlen(c->settings));
		fprintf(out, ",\"active\":%d,\"first_seen_ms\":%" PRId64
		    ",\"last_seen_ms\":%" PRId64 ",\"points\":%" PRId64
		    ",\"anomalies\":%" PRId64 ",\"alerts\":%" PRId64
		    ",\"last_alert_n\":%" PRId64 ",\"last_value\":", c->active,
		    c->first_seen_ms, c->last_seen_ms, c->points, c->anomalies,
		    c->alerts, c->last_alert_n);
		put_jnumber(e, c->last_value);
		fprintf(out, ",\"last_seq\":%" PRId64 ",\"peer\":", c->last_seq);
		put_jstring(e, c->peer, strlen(c->peer));
		putc('}', out);
	}
	row_end(e);
}

void
emit_end(struct emitter *e)
{
	if (e->format == EMIT_JSON)
		fputs(e->rows == 0 ? "]\n" : "\n]\n", e->out);
	jsonbuf_free(&e->scratch);
}
