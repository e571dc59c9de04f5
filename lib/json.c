/*
 * json.c: the strict JSON reader over LEJP (SPEC §11).
 *
 * What LEJP gets wrong is checked around it:
 *   - input goes in slices of at most SLICE bytes, and the key path it
 *     keeps (ctx->path, 128 bytes, written without a bound) is checked
 *     after each slice: past JSON_PATH_MAX bytes the text is refused;
 *   - a '#' goes in alone and is refused when LEJP took it for a comment;
 *   - a ']' goes in alone and is refused when it closes an array right
 *     after a comma (LEJP accepts [1,]);
 *   - every number's text is checked against the RFC 8259 grammar;
 *   - LEJP refuses numbers of more than 20 digits, and Python's json
 *     writes 1/7000 as 0.00014285714285714284, 21 digits: its digit count
 *     (ctx->dcount) is held down between slices, and a number over
 *     JSON_NUMBER_MAX bytes is refused before its 255-byte buffer is full;
 *   - closing brackets are matched against the open container ({"a":[1}]}
 *     passes LEJP);
 *   - the count of open arrays is put back into ctx->ipos when an array
 *     closes (LEJP loses track of it at the top level, and refuses the
 *     sixth array-valued key of an object);
 *   - unused bytes after the value must be whitespace;
 *   - a top-level {} (refused by LEJP) is taken as an empty object.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "json.h"

#define SLICE		16	/* bytes per lejp_parse() call, at most */

struct reader {
	struct lejp_ctx	 ctx;
	json_cb		 cb;
	void		*arg;
	enum json_status status;	/* JSON_OK until something stops it */

	/* Open containers, 1..depth: arrays or objects, and whether an
	 * array has had an element yet. */
	unsigned	 depth;
	unsigned	 arrays;
	unsigned char	 is_array[JSON_DEPTH_MAX + 1];
	unsigned char	 nonempty[JSON_DEPTH_MAX + 1];
};

/* ------------------------------------------------------------ numbers */

int
json_number_class(const char *s, size_t len)
{
	size_t i = 0, d;
	int c = 1;

	if (i < len && s[i] == '-')
		i++;
	if (i < len && s[i] == '0')
		i++;
	else if (i < len && s[i] >= '1' && s[i] <= '9')
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return 0;
	if (i < len && s[i] == '.') {
		c = 2;
		for (i++, d = i; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		c = 2;
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	return i == len ? c : 0;
}

int
json_number_int64(const char *s, size_t len, int64_t *out)
{
	uint64_t u = 0, lim;
	size_t i = 0;
	int neg = 0;

	if (s[0] == '-') {
		neg = 1;
		i = 1;
	}
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < len; i++) {
		unsigned dig = (unsigned)(s[i] - '0');

		if (u > (lim - dig) / 10)
			return -1;
		u = u * 10 + dig;
	}
	if (neg)
		*out = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN :
		    -(int64_t)u;
	else
		*out = (int64_t)u;
	return 0;
}

static const double pow10_exact[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

/* Exact arithmetic when the digits fit 2^53 and the power of ten is exact
 * (one correctly rounded operation), else strtod(). */
double
json_number_double(const char *s, size_t len)
{
	char tmp[LEJP_STRING_CHUNK + 1];
	uint64_t m = 0;
	size_t i = 0;
	int neg = 0, ndig = 0, frac = 0, e = 0, eneg = 0, x;
	double d;

	if (s[i] == '-') {
		neg = 1;
		i++;
	}
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, ndig++)
		m = m * 10 + (uint64_t)(s[i] - '0');
	if (i < len && s[i] == '.')
		for (i++; i < len && s[i] >= '0' && s[i] <= '9';
		    i++, ndig++, frac++)
			m = m * 10 + (uint64_t)(s[i] - '0');
	if (i < len) {			/* e or E */
		i++;
		if (s[i] == '+' || s[i] == '-')
			eneg = s[i++] == '-';
		for (; i < len && e < 10000; i++)
			e = e * 10 + (s[i] - '0');
		if (eneg)
			e = -e;
	}
	x = e - frac;
	if (ndig <= 19 && m <= (1ull << 53) && x >= -22 && x <= 22) {
		d = (double)m;
		d = x < 0 ? d / pow10_exact[-x] : d * pow10_exact[x];
		return neg ? -d : d;
	}
	if (len >= sizeof(tmp))
		return NAN;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	return strtod(tmp, NULL);
}

size_t
json_join_surrogates(unsigned char *s, size_t len)
{
	size_t i = 0, o = 0;

	while (i < len) {
		if (i + 6 <= len && s[i] == 0xed && (s[i + 1] & 0xf0) == 0xa0 &&
		    (s[i + 2] & 0xc0) == 0x80 && s[i + 3] == 0xed &&
		    (s[i + 4] & 0xf0) == 0xb0 && (s[i + 5] & 0xc0) == 0x80) {
			uint32_t hi = 0xd000u | ((s[i + 1] & 0x3fu) << 6) |
			    (s[i + 2] & 0x3fu);
			uint32_t lo = 0xd000u | ((s[i + 4] & 0x3fu) << 6) |
			    (s[i + 5] & 0x3fu);
			uint32_t cp = 0x10000u + ((hi - 0xd800u) << 10) +
			    (lo - 0xdc00u);

			s[o++] = (unsigned char)(0xf0 | (cp >> 18));
			s[o++] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
			s[o++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
			s[o++] = (unsigned char)(0x80 | (cp & 0x3f));
			i += 6;
		} else
			s[o++] = s[i++];
	}
	return o;
}

/* ------------------------------------------------------------ events */

/* Stops the reading with status st, unless it stopped already; returns
 * -1 for LEJP. */
static int
stop(struct reader *rd, enum json_status st)
{
	if (rd->status == JSON_OK)
		rd->status = st;
	return -1;
}

/* Gives the event of type t at the current depth (text, len) to the
 * callback; returns 0, or -1 when it stops the reading. */
static int
emit(struct reader *rd, enum json_type t, const char *text, size_t len,
    int integer)
{
	struct json_event ev;

	ev.type = t;
	ev.depth = rd->depth;
	ev.in_array = rd->is_array[rd->depth];
	ev.text = text;
	ev.len = len;
	ev.integer = integer;
	ev.path = rd->ctx.path;
	if (rd->cb(rd->arg, &ev) != 0)
		return stop(rd, JSON_STOPPED);
	return 0;
}

/* A value starts in the current container: an array has an element. */
static void
value_starts(struct reader *rd)
{
	if (rd->is_array[rd->depth])
		rd->nonempty[rd->depth] = 1;
}

/* An object or array opens in the current container: refused past
 * JSON_DEPTH_MAX, else given and pushed.  Returns 0 or -1 (stopped). */
static int
open_container(struct reader *rd, int array)
{
	unsigned d = rd->depth;

	if (d == JSON_DEPTH_MAX)
		return stop(rd, JSON_E_DEPTH);
	value_starts(rd);
	if (emit(rd, array ? JSON_ARRAY_START : JSON_OBJECT_START, NULL, 0,
	    0) == -1)
		return -1;
	rd->depth = ++d;
	rd->is_array[d] = (unsigned char)array;
	rd->nonempty[d] = 0;
	rd->arrays += (unsigned)array;
	return 0;
}

/* An object or array closes: refused unless it is the open container
 * of that kind, else given and popped.  Returns 0 or -1 (stopped). */
static int
close_container(struct reader *rd, int array)
{
	unsigned d = rd->depth;
	int r;

	if (d == 0 || rd->is_array[d] != array)
		return stop(rd, JSON_E_SYNTAX);	/* {"a":[1}]} passes LEJP */
	r = emit(rd, array ? JSON_ARRAY_END : JSON_OBJECT_END, NULL, 0, 0);
	rd->depth = --d;
	if (array) {
		rd->arrays--;
		/* LEJP leaves its count of open arrays too high after an
		 * array that closes in a top-level object. */
		rd->ctx.ipos = (uint8_t)rd->arrays;
	}
	return r;
}

/* A key of the object open: refused past JSON_KEY_MAX, else given.
 * Returns 0 or -1 (stopped). */
static int
key(struct reader *rd)
{
	struct lejp_ctx *ctx = &rd->ctx;
	unsigned start = (unsigned)(unsigned char)ctx->st[ctx->sp].p;
	unsigned end = ctx->pst[0].ppos;
	size_t len = end > start ? end - start : 0;

	if (len > JSON_KEY_MAX)
		return stop(rd, JSON_E_KEY);
	return emit(rd, JSON_KEY, ctx->path + start, len, 0);
}

/* A number: refused past JSON_NUMBER_MAX or outside the grammar, else
 * given with its text NUL-terminated.  Returns 0 or -1 (stopped). */
static int
number(struct reader *rd)
{
	struct lejp_ctx *ctx = &rd->ctx;
	size_t len = ctx->npos;
	int c;

	if (len > JSON_NUMBER_MAX)
		return stop(rd, JSON_E_NUMBER);
	if ((c = json_number_class(ctx->buf, len)) == 0)
		return stop(rd, JSON_E_SYNTAX);
	ctx->buf[len] = '\0';
	value_starts(rd);
	return emit(rd, JSON_NUMBER, ctx->buf, len, c == 1);
}

/* A value that is not a number or a container starts (or is): given.
 * Returns 0 or -1 (stopped). */
static int
scalar(struct reader *rd, enum json_type t)
{
	value_starts(rd);
	return emit(rd, t, NULL, 0, 0);
}

/* LEJP's callback: one token to the checks and the event above. */
static signed char
on_event(struct lejp_ctx *ctx, char reason)
{
	struct reader *rd = ctx->user;

	if (rd->status != JSON_OK)
		return -1;
	switch (reason) {
	case LEJPCB_OBJECT_START:
		return (signed char)open_container(rd, 0);
	case LEJPCB_ARRAY_START:
		return (signed char)open_container(rd, 1);
	case LEJPCB_OBJECT_END:
		return (signed char)close_container(rd, 0);
	case LEJPCB_ARRAY_END:
		return (signed char)close_container(rd, 1);
	case LEJPCB_PAIR_NAME:
		return (signed char)key(rd);
	case LEJPCB_VAL_NUM_INT:
	case LEJPCB_VAL_NUM_FLOAT:
		return (signed char)number(rd);
	case LEJPCB_VAL_TRUE:
		return (signed char)scalar(rd, JSON_TRUE);
	case LEJPCB_VAL_FALSE:
		return (signed char)scalar(rd, JSON_FALSE);
	case LEJPCB_VAL_NULL:
		return (signed char)scalar(rd, JSON_NULL);
	case LEJPCB_VAL_STR_START:
		return (signed char)scalar(rd, JSON_STRING_START);
	case LEJPCB_VAL_STR_CHUNK:	/* ctx->buf is not NUL-terminated */
		return (signed char)emit(rd, JSON_STRING_CHUNK, ctx->buf,
		    ctx->npos, 0);
	case LEJPCB_VAL_STR_END:
		return (signed char)emit(rd, JSON_STRING_END, ctx->buf,
		    ctx->npos, 0);
	default:
		return 0;
	}
}

/* ------------------------------------------------------------- driving */

/* Whether c is JSON whitespace. */
static int
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Whether the n bytes at s are all JSON whitespace. */
static int
all_ws(const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_ws(s[i]))
			return 0;
	return 1;
}

/* Whether LEJP is inside a string (a key or a value). */
static int
in_string(const struct lejp_ctx *ctx)
{
	unsigned s = (unsigned)ctx->st[ctx->sp].s & ~LEJP_FLAG_WS_COMMENTLINE;

	return s == LEJP_MP_STRING || s == LEJP_MP_STRING_ESC ||
	    s == LEJP_MP_STRING_ESC_U1 || s == LEJP_MP_STRING_ESC_U2 ||
	    s == LEJP_MP_STRING_ESC_U3 || s == LEJP_MP_STRING_ESC_U4;
}

/* Why the key path got too long: a key of its own, or nested keys. */
static enum json_status
path_error(const struct lejp_ctx *ctx)
{
	unsigned start;

	if (ctx->sp > 0 && in_string(ctx) &&
	    ctx->st[ctx->sp - 1].s == LEJP_MP_DELIM) {
		start = (unsigned char)ctx->st[ctx->sp - 1].p;
		if (ctx->pst[0].ppos > start &&
		    ctx->pst[0].ppos - start > JSON_KEY_MAX)
			return JSON_E_KEY;
	}
	return JSON_E_PATH;
}

/* Runs the len bytes at s through LEJP; returns what it found. */
static enum json_status
feed(struct reader *rd, const unsigned char *s, size_t len)
{
	struct lejp_ctx *ctx = &rd->ctx;
	size_t pos = 0, n, i;
	const unsigned char *close;
	int r;

	while (pos < len) {
		n = len - pos < SLICE ? len - pos : SLICE;
		for (i = 0; i < n; i++)
			if (s[pos + i] == '#' || s[pos + i] == ']')
				break;
		if (i == 0) {
			/* A '#' or ']' alone.  A ']' right after "[...," is
			 * a trailing comma (LEJP takes it like "[]"). */
			n = 1;
			if (s[pos] == ']' && ctx->st[ctx->sp].s ==
			    LEJP_MP_VALUE && rd->is_array[rd->depth] &&
			    rd->nonempty[rd->depth])
				return JSON_E_SYNTAX;
		} else
			n = i;
		r = lejp_parse(ctx, s + pos, (int)n);
		if (rd->status != JSON_OK)
			return rd->status;
		if (r >= 0)
			return all_ws(s + pos + n - (size_t)r,
			    len - pos - n + (size_t)r) ? JSON_OK :
			    JSON_E_SYNTAX;
		if (r == LEJP_REJECT_MEMBERS_NO_CLOSE && rd->depth == 1) {
			/* {} at the top: LEJP refuses it, JSON does not. */
			close = memchr(s, '}', len);
			if (close == NULL || !all_ws(close + 1,
			    len - (size_t)(close + 1 - s)))
				return JSON_E_SYNTAX;
			close_container(rd, 0);
			return rd->status;
		}
		if (r == LEJP_REJECT_IDLE_NO_BRACE)
			return JSON_E_TOP;
		if (r == LEJP_REJECT_MP_DELIM_ISTACK)
			return JSON_E_ARRAYS;
		if (r == LEJP_REJECT_STACK_OVERFLOW)
			return JSON_E_DEPTH;
		if (r != LEJP_CONTINUE)
			return JSON_E_SYNTAX;
		if (s[pos] == '#' && n == 1 &&
		    (ctx->st[ctx->sp].s & LEJP_FLAG_WS_COMMENTLINE))
			return JSON_E_SYNTAX;	/* a comment */
		if (ctx->pst[0].ppos > JSON_PATH_MAX)
			return path_error(ctx);
		if (ctx->st[ctx->sp].s == LEJP_MP_VALUE_NUM_INT ||
		    ctx->st[ctx->sp].s == LEJP_MP_VALUE_NUM_EXP) {
			/* In a number: LEJP stops at 20 digits (dcount) and
			 * 0 means none yet; a slice adds at most SLICE. */
			if (ctx->npos > JSON_NUMBER_MAX)
				return JSON_E_NUMBER;
			if (ctx->dcount > 1)
				ctx->dcount = 1;
		}
		pos += n;
	}
	return JSON_E_SYNTAX;			/* incomplete */
}

enum json_status
json_read(const char *s, size_t len, json_cb cb, void *arg)
{
	struct reader rd;
	enum json_status st;

	memset(&rd, 0, sizeof(rd));
	rd.cb = cb;
	rd.arg = arg;
	rd.status = JSON_OK;
	lejp_construct(&rd.ctx, on_event, &rd, NULL, 0);
	st = feed(&rd, (const unsigned char *)s, len);
	lejp_destruct(&rd.ctx);
	return st;
}
