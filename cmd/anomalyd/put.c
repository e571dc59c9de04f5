/*
 * put.c: text into a struct jsonbuf for the pages, the API and /metrics
 * (see put.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "put.h"
#include "timefmt.h"

void
put_raw(struct jsonbuf *b, const char *s, size_t n)
{
	jsonbuf_put_raw(b, s, n);		/* a failure is kept in b->oom */
}

void
put_str(struct jsonbuf *b, const char *s)
{
	put_raw(b, s, strlen(s));
}

void
put_fmt(struct jsonbuf *b, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		put_raw(b, buf, (size_t)n < sizeof(buf) ? (size_t)n :
		    sizeof(buf) - 1);
}

void
put_html(struct jsonbuf *b, const char *s, size_t n)
{
	size_t i, run = 0;
	const char *e;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&#39;"; break;
		default: continue;
		}
		put_raw(b, s + run, i - run);
		put_str(b, e);
		run = i + 1;
	}
	put_raw(b, s + run, n - run);
}

void
put_url(struct jsonbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;
	char e[3];

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			put_raw(b, s + i, 1);
			continue;
		}
		e[0] = '%';
		e[1] = hex[c >> 4];
		e[2] = hex[c & 0xf];
		put_raw(b, e, 3);
	}
}

void
put_jstring(struct jsonbuf *b, const char *s, size_t n)
{
	jsonbuf_put_string(b, s, n);
}

void
put_number(struct jsonbuf *b, double d, int real)
{
	size_t from = b->len;

	if (jsonbuf_put_double(b, d) == -1)
		return;
	if (real && strpbrk(jsonbuf_text(b) + from, ".eEn") == NULL)
		put_str(b, ".0");
}

void
put_ts(struct jsonbuf *b, const struct store_ts *ts, int html)
{
	switch (ts->type) {
	case STORE_TS_INTEGER:
		put_fmt(b, "%" PRId64, ts->i);
		break;
	case STORE_TS_REAL:
		put_number(b, ts->r, 1);
		break;
	case STORE_TS_TEXT:
		if (html)
			put_html(b, ts->text, ts->len);
		else
			put_jstring(b, ts->text, ts->len);
		break;
	}
}

void
put_time(struct jsonbuf *b, int64_t ms)
{
	char buf[TIMEFMT_BUFSIZE];

	timefmt_format(ms, buf, sizeof(buf));
	put_str(b, buf);
}
