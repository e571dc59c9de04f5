/*
 * jsonbuf.c: the growable text buffer that JSON is written into, and the
 * writers of JSON strings and numbers (shortest round-trip doubles).  No
 * libwebsockets here: anomaly-export and anomaly-top may link it.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonbuf.h"

/* --------------------------------------------------------------- UTF-8 */

/* The length of the well-formed UTF-8 sequence at s (n bytes available),
 * 0 when there is none (RFC 3629: no overlongs, no surrogates). */
size_t
jsonbuf_utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 ||
		    (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

/* ---------------------------------------------------------- formatting */

void
jsonbuf_init(struct jsonbuf *b, size_t headroom)
{
	b->mem = NULL;
	b->headroom = headroom;
	b->len = 0;
	b->cap = 0;
	b->oom = 0;
}

void
jsonbuf_clear(struct jsonbuf *b)
{
	b->len = 0;
	b->oom = 0;
	if (b->mem != NULL)
		b->mem[b->headroom] = '\0';
}

void
jsonbuf_free(struct jsonbuf *b)
{
	free(b->mem);
	jsonbuf_init(b, b->headroom);
}

char *
jsonbuf_text(const struct jsonbuf *b)
{
	return b->mem == NULL ? NULL : b->mem + b->headroom;
}

/* Makes room for n more bytes and the NUL; returns where they go, or NULL
 * (oom set) when memory is short. */
static char *
reserve(struct jsonbuf *b, size_t n)
{
	size_t need, cap;
	char *m;

	if (b->oom)
		return NULL;
	need = b->headroom + b->len + n + 1;
	if (need < n)
		goto fail;
	if (need > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < need) {
			if (cap > SIZE_MAX / 2)
				goto fail;
			cap *= 2;
		}
		if ((m = realloc(b->mem, cap)) == NULL)
			goto fail;
		b->mem = m;
		b->cap = cap;
	}
	return b->mem + b->headroom + b->len;
fail:
	b->oom = 1;
	return NULL;
}

static int
put(struct jsonbuf *b, const char *s, size_t n)
{
	char *o = reserve(b, n);

	if (o == NULL)
		return -1;
	memcpy(o, s, n);
	b->len += n;
	o[n] = '\0';
	return 0;
}


int
jsonbuf_put_raw(struct jsonbuf *b, const char *s, size_t len)
{
	return put(b, s, len);
}

/* The powers of ten that doubles hold exactly. */
static const double pow10_exact[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

/* Writes v in decimal at out (21 bytes); returns the length. */
static size_t
fmt_uint(char *out, uint64_t v)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

static size_t
fmt_int(char *out, int64_t v)
{
	if (v < 0) {
		out[0] = '-';
		return 1 + fmt_uint(out + 1, (uint64_t)0 - (uint64_t)v);
	}
	return fmt_uint(out, (uint64_t)v);
}

/* Writes d with the fewest fraction digits (1 to 6) that read back as d,
 * when there are so few and 1e-4 <= |d| < 1e15, at out (32 bytes); returns
 * the length, 0 when there are more.  The same text as the snprintf() loop
 * below, twenty times faster (scores are k/n).  Why it is the shortest:
 * below 2^50, |d| * 10^k is within 0.2 of the numerator n of any k-digit
 * decimal that reads back as d, so rounding finds n, and n / 10^k is one
 * correctly rounded division, what strtod() does with the decimal. */
static size_t
fmt_fixed(char *out, double d)
{
	double a = fabs(d), m;
	uint64_t u, f;
	size_t len = 0;
	int k, i;

	if (!(a >= 1e-4 && a < 1e15))
		return 0;
	for (k = 1; k <= 6; k++) {
		m = a * pow10_exact[k];
		if (m >= 0x1p50)
			return 0;
		m = floor(m + 0.5);
		if (m / pow10_exact[k] != a)
			continue;
		u = (uint64_t)m;
		f = u % (uint64_t)pow10_exact[k];
		if (d < 0)
			out[len++] = '-';
		len += fmt_uint(out + len, u / (uint64_t)pow10_exact[k]);
		out[len++] = '.';
		for (i = k - 1; i >= 0; i--) {
			out[len + (size_t)i] = (char)('0' + f % 10);
			f /= 10;
		}
		len += (size_t)k;
		out[len] = '\0';
		return len;
	}
	return 0;
}

/* Writes the shortest text that reads back as d at out (32 bytes); with
 * real set, an integral value gets ".0" so that it reads back as a real. */
static size_t
fmt_double(char *out, double d, int real)
{
	int prec, n;
	size_t len;

	if (!isfinite(d)) {
		memcpy(out, "null", 5);
		return 4;
	}
	if (d == trunc(d) && fabs(d) < 1e15) {
		if (d == 0 && signbit(d)) {
			out[0] = '-';
			out[1] = '0';
			len = 2;
		} else
			len = fmt_int(out, (int64_t)d);
		if (real) {
			out[len++] = '.';
			out[len++] = '0';
		}
		out[len] = '\0';
		return len;
	}
	if ((len = fmt_fixed(out, d)) > 0)
		return len;
	for (prec = 15; prec <= 17; prec++) {
		n = snprintf(out, 32, "%.*g", prec, d);
		if (prec == 17 || strtod(out, NULL) == d)
			break;
	}
	len = (size_t)n;
	if (real && strpbrk(out, ".e") == NULL) {
		out[len++] = '.';
		out[len++] = '0';
		out[len] = '\0';
	}
	return len;
}

int
jsonbuf_put_int(struct jsonbuf *b, int64_t v)
{
	char tmp[24];

	return put(b, tmp, fmt_int(tmp, v));
}

int
jsonbuf_put_uint(struct jsonbuf *b, uint64_t v)
{
	char tmp[24];

	return put(b, tmp, fmt_uint(tmp, v));
}

int
jsonbuf_put_double(struct jsonbuf *b, double d)
{
	char tmp[40];

	return put(b, tmp, fmt_double(tmp, d, 0));
}

int
jsonbuf_put_real(struct jsonbuf *b, double d)
{
	char tmp[40];

	return put(b, tmp, fmt_double(tmp, d, 1));
}

/* How each ASCII byte goes into a JSON string: 0 as is, 1 \u00XX, else the
 * letter after a backslash. */
static const unsigned char json_esc[128] = {
	1, 1, 1, 1, 1, 1, 1, 1, 'b', 't', 'n', 1, 'f', 'r', 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, '"', 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\\', 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

int
jsonbuf_put_string(struct jsonbuf *b, const char *str, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run, n;
	char *o;

	/* At most 6 bytes out per byte in. */
	if (len > (SIZE_MAX - 3) / 6 || (o = reserve(b, 6 * len + 2)) == NULL) {
		b->oom = 1;
		return -1;
	}
	*o++ = '"';
	while (i < len) {
		for (run = i; run < len && s[run] < 0x80 &&
		    json_esc[s[run]] == 0; run++)
			;
		memcpy(o, s + i, run - i);
		o += run - i;
		if ((i = run) == len)
			break;
		if (s[i] < 0x80) {
			unsigned char e = json_esc[s[i]];

			*o++ = '\\';
			if (e == 1) {
				memcpy(o, "u00", 3);
				o[3] = hex[s[i] >> 4];
				o[4] = hex[s[i] & 0xf];
				o += 5;
			} else
				*o++ = (char)e;
			i++;
		} else if ((n = jsonbuf_utf8_len(s + i, len - i)) == 0) {
			memcpy(o, "\\ufffd", 6);
			o += 6;
			i++;
		} else if (n == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 &&
		    (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
			memcpy(o, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
			o += 6;
			i += 3;
		} else {
			memcpy(o, s + i, n);
			o += n;
			i += n;
		}
	}
	*o++ = '"';
	*o = '\0';
	b->len = (size_t)(o - (b->mem + b->headroom));
	return 0;
}
