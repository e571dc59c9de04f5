/*
 * proto.c: the wire protocol of SPEC §2, parsed with LEJP.
 *
 * LEJP (libwebsockets 4.1.6) tokenizes; the callbacks here keep their own
 * stack of open containers and read the keys of the object at the "point
 * level" (1 for a lone object, 2 for the elements of a batch) as fields.
 * What LEJP gets wrong is checked around it (SPEC §11):
 *   - input goes in slices of at most SLICE bytes, and the key path it
 *     keeps (ctx->path, 128 bytes, written without a bound) is checked
 *     after each slice: past PATH_GUARD bytes the message is refused;
 *   - a '#' goes in alone and is refused when LEJP took it for a comment;
 *   - a ']' goes in alone and is refused when it closes an array right
 *     after a comma (LEJP accepts [1,]);
 *   - every number's text is checked against the RFC 8259 grammar;
 *   - LEJP refuses numbers of more than 20 digits, and Python's json
 *     writes 1/7000 as 0.00014285714285714284, 21 digits: its digit count
 *     (ctx->dcount) is held down between slices, and a number over
 *     NUM_GUARD bytes is refused before its 255-byte buffer is full;
 *   - closing brackets are matched against the open container ({"a":[1}]}
 *     passes LEJP);
 *   - the count of open arrays is put back into ctx->ipos when an array
 *     closes (LEJP loses track of it at the top level, and refuses the
 *     sixth array-valued key of an object);
 *   - unused bytes after the value must be whitespace;
 *   - a top-level {} (refused by LEJP) is taken as an empty object;
 *   - \u escapes of a surrogate pair come out of LEJP as two 3-byte
 *     sequences: strings that are kept are repaired and checked to be
 *     UTF-8.
 * Duplicate keys: each key resets its field, so the last one wins.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "detect.h"
#include "proto.h"
#include "errmsg.h"

#define SLICE		16	/* bytes per lejp_parse() call, at most */
#define PATH_GUARD	100	/* longest key path let through */
#define NUM_GUARD	100	/* longest number let through */
#define STR_CAP		512	/* bytes of a string value kept */
#define NAME_SHOWN	32	/* bytes of a bad name shown in a message */

static const char E_JSON[] = "invalid JSON";
static const char E_OBJECT[] = "not a JSON object";
static const char E_DEPTH[] = "JSON nested deeper than 8";
static const char E_ARRAYS[] = "JSON arrays nested deeper than 5";
static const char E_KEY[] = "object key longer than 64 bytes";
static const char E_PATH[] = "key path longer than 100 bytes";
static const char E_NUMBER[] = "JSON number longer than 100 bytes";
static const char E_MEMORY[] = "out of memory";
static const char E_NO_TS[] = "missing timestamp";
static const char E_NO_VALUE[] = "missing value";
static const char E_VALUE[] = "value is not a finite number";
static const char E_TS_TYPE[] = "timestamp must be a number or a string";
static const char E_TS_INF[] = "timestamp is not a finite number";
static const char E_TS_LONG[] = "timestamp string longer than 64 bytes";
static const char E_TS_NUMBER[] = "timestamp number longer than 64 bytes";
static const char E_TS_CTRL[] =
    "timestamp string holds a control character";
static const char E_TS_UTF8[] = "timestamp string is not valid UTF-8";
static const char E_SEQ[] = "seq must be a positive integer";
static const char E_ID[] =
    "client_id must be 1 to 64 bytes of A-Z a-z 0-9 . _ : -";

/* The keys read at the point level. */
enum field {
	F_NONE,			/* any other key: its value is skipped */
	F_TIMESTAMP,
	F_VALUE,
	F_SEQ,
	F_CLIENT_ID,		/* the hello keys, in the order of their */
	F_WINDOW,		/* errors' precedence */
	F_VERSION,
	F_DETAIL,
	F_TOKEN,
	F_DETECTORS,
	F_VOTE,
	F_ALERT,
	F_PARAMS,
	F_FIELDS
};

#define F_HELLO_FIRST	F_CLIENT_ID

/* What a value is. */
enum vtype {
	V_NUMBER, V_STRING, V_TRUE, V_FALSE, V_NULL, V_OBJECT, V_ARRAY
};

/* Whose value it is. */
enum where {
	W_IGNORED,		/* nothing read: unknown key, nested deeper */
	W_FIELD,		/* the value of a key at the point level */
	W_PARAM,		/* a value in the params object */
	W_DETECTOR,		/* an element of the detectors array */
	W_ELEMENT		/* an element of a batch */
};

/* The class of a number's text. */
enum numclass {
	N_BAD,			/* outside the RFC 8259 grammar */
	N_INTEGER,		/* no fraction, no exponent */
	N_REAL
};

struct proto_parser {
	struct lejp_ctx	 ctx;
	struct proto_msg msg;
	uint32_t	 max_window;
	unsigned	 flags;
	const char	*fatal;		/* the message is not usable: why */

	/* Open containers, 1..depth: arrays or objects, and whether an
	 * array has had an element yet. */
	unsigned	 depth;
	unsigned	 arrays;
	unsigned char	 is_array[PROTO_DEPTH_MAX + 1];
	unsigned char	 nonempty[PROTO_DEPTH_MAX + 1];

	unsigned	 plevel;	/* depth of the point level */
	int		 batch;
	int		 in_point;	/* the container at plevel is read */
	int		 hello_keys;	/* hello keys are fields there */
	enum field	 field;		/* the key whose value is read */
	int		 param;		/* in params: its parameter, or -1 */

	/* The point being read, and its fields' states. */
	struct proto_point *pt;
	int		 ts_seen, value_seen;
	const char	*ts_err, *value_err, *seq_err;

	/* The hello being read (msg.hello): an error per field. */
	int		 hello_begun;
	unsigned	 herr;		/* bit f: field f has an error */
	uint32_t	 det_mask;
	char		 herrs[F_FIELDS][PROTO_ERR_MAX];

	/* The string value being read, when it is wanted. */
	int		 str_on;
	enum where	 str_where;
	size_t		 str_len;	/* bytes kept at str */
	size_t		 str_total;	/* bytes seen */
	char		 str[STR_CAP + 1];

	/* Batch elements. */
	struct proto_point *items;
	size_t		 nitems, items_cap;
};

static int
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* ------------------------------------------------------------ numbers */

/* The class of the len bytes at s under the RFC 8259 number grammar:
 * -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static enum numclass
num_class(const char *s, size_t len)
{
	size_t i = 0, d;
	enum numclass c = N_INTEGER;

	if (i < len && s[i] == '-')
		i++;
	if (i < len && s[i] == '0')
		i++;
	else if (i < len && s[i] >= '1' && s[i] <= '9')
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return N_BAD;
	if (i < len && s[i] == '.') {
		c = N_REAL;
		for (i++, d = i; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return N_BAD;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		c = N_REAL;
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return N_BAD;
	}
	return i == len ? c : N_BAD;
}

/* Reads the N_INTEGER text at s into *out; -1 when it does not fit. */
static int
int64_read(const char *s, size_t len, int64_t *out)
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

/* The double nearest to the valid number text at s (len bytes): exact
 * arithmetic when the digits fit 2^53 and the power of ten is exact (one
 * correctly rounded operation), else strtod(). */
static double
num_value(const char *s, size_t len)
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


/* Joins the 3-byte encodings of a high and a low surrogate (what LEJP
 * makes of "\ud83d\ude00") into the 4-byte sequence of their character,
 * in place; returns the new length. */
static size_t
join_surrogates(unsigned char *s, size_t len)
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

static int
utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = jsonbuf_utf8_len(s + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

/* Copies at most NAME_SHOWN bytes of s to out (NAME_SHOWN + 4 bytes), with
 * '?' for anything but printable ASCII and "..." when cut; returns out.
 * A name of the protocol (printable, short, no '?') comes out unchanged. */
static const char *
shown(char *out, const char *s, size_t len)
{
	size_t i, n = len > NAME_SHOWN ? NAME_SHOWN : len;

	for (i = 0; i < n; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (n < len)
		memcpy(out + n, "...", 3), n += 3;
	out[n] = '\0';
	return out;
}

/* ----------------------------------------------------------- validators */

int
proto_check_client_id(const char *id, size_t len, char *err, size_t errlen)
{
	size_t i;

	if (len == 0 || len > PROTO_ID_MAX)
		goto bad;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)id[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == ':' || c == '-')
			continue;
		goto bad;
	}
	return 0;
bad:
	errmsg_set(err, errlen, "%s", E_ID);
	return -1;
}

static uint32_t
clamp_window(uint32_t max_window)
{
	if (max_window < DETECT_WINDOW_MIN)
		return DETECT_WINDOW_MIN;
	if (max_window > DETECT_WINDOW_MAX)
		return DETECT_WINDOW_MAX;
	return max_window;
}

int
proto_parse_window(const char *s, size_t len, uint32_t max_window,
    uint32_t *w, char *err, size_t errlen)
{
	uint64_t v = 0;
	size_t i;

	max_window = clamp_window(max_window);
	if (len == 0)
		goto bad;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			goto bad;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > max_window)
			goto bad;
	}
	if (v < DETECT_WINDOW_MIN)
		goto bad;
	*w = (uint32_t)v;
	return 0;
bad:
	errmsg_set(err, errlen, "window must be an integer from %d to %u",
	    DETECT_WINDOW_MIN, max_window);
	return -1;
}

/* ------------------------------------------------------- point fields */

static void
point_begin(struct proto_parser *p, struct proto_point *pt)
{
	pt->error = NULL;
	pt->ts.type = PROTO_TS_NONE;
	pt->ts.len = 0;
	pt->ts.text[0] = '\0';
	pt->value = 0;
	pt->seq = 0;
	p->pt = pt;
	p->ts_seen = p->value_seen = 0;
	p->ts_err = p->value_err = p->seq_err = NULL;
	p->field = F_NONE;
}

static void
point_end(struct proto_parser *p)
{
	struct proto_point *pt = p->pt;

	if (!p->ts_seen)
		pt->error = E_NO_TS;
	else if (p->ts_err != NULL)
		pt->error = p->ts_err;
	else if (!p->value_seen)
		pt->error = E_NO_VALUE;
	else if (p->value_err != NULL)
		pt->error = p->value_err;
	else
		pt->error = p->seq_err;
}

static void
ts_number(struct proto_parser *p, const char *s, size_t len,
    enum numclass c)
{
	struct proto_ts *ts = &p->pt->ts;
	int64_t i;

	if (len > PROTO_TS_MAX) {
		p->ts_err = E_TS_NUMBER;
		return;
	}
	if (c == N_INTEGER && int64_read(s, len, &i) == 0) {
		ts->type = PROTO_TS_INTEGER;
		ts->i = i;
		ts->r = (double)i;
	} else {
		ts->r = num_value(s, len);
		if (!isfinite(ts->r)) {
			p->ts_err = E_TS_INF;
			return;
		}
		ts->type = PROTO_TS_REAL;
		ts->i = 0;
	}
	memcpy(ts->text, s, len);
	ts->text[len] = '\0';
	ts->len = len;
}

static void
ts_string(struct proto_parser *p, const char *s, size_t len)
{
	struct proto_ts *ts = &p->pt->ts;
	size_t i;

	if (len > PROTO_TS_MAX) {
		p->ts_err = E_TS_LONG;
		return;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20) {
			p->ts_err = E_TS_CTRL;
			return;
		}
	if (!utf8_valid((const unsigned char *)s, len)) {
		p->ts_err = E_TS_UTF8;
		return;
	}
	ts->type = PROTO_TS_TEXT;
	memcpy(ts->text, s, len);
	ts->text[len] = '\0';
	ts->len = len;
}

/* ------------------------------------------------------- hello fields */

static void
hello_begin(struct proto_parser *p)
{
	struct proto_hello *h = &p->msg.hello;

	if (p->hello_begun)
		return;
	p->hello_begun = 1;
	p->herr = 0;
	detect_settings_default(&h->set, 0);
}

static void
hello_error(struct proto_parser *p, enum field f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first error of field f's value. */
static void
hello_error(struct proto_parser *p, enum field f, const char *fmt, ...)
{
	va_list ap;

	if (p->herr & (1u << f))
		return;
	p->herr |= 1u << f;
	va_start(ap, fmt);
	vsnprintf(p->herrs[f], sizeof(p->herrs[f]), fmt, ap);
	va_end(ap);
}

static void
hello_end(struct proto_parser *p)
{
	struct proto_hello *h = &p->msg.hello;
	unsigned f;

	h->error[0] = '\0';
	if (!p->hello_begun) {
		h->has = 0;
		return;
	}
	for (f = F_HELLO_FIRST; f < F_FIELDS; f++)
		if (p->herr & (1u << f)) {
			memcpy(h->error, p->herrs[f], sizeof(h->error));
			break;
		}
}

/* A string value of a hello field, or a detector's name. */
static void
hello_string(struct proto_parser *p, enum field f, const char *s, size_t len,
    int too_long)
{
	struct proto_hello *h = &p->msg.hello;
	char name[NAME_SHOWN + 4], err[PROTO_ERR_MAX];
	int k;

	switch (f) {
	case F_CLIENT_ID:
		if (too_long ||
		    proto_check_client_id(s, len, NULL, 0) == -1) {
			hello_error(p, f, "%s", E_ID);
			return;
		}
		memcpy(h->client_id, s, len);
		h->client_id[len] = '\0';
		return;
	case F_TOKEN:
		if (too_long || len > PROTO_TOKEN_MAX)
			hello_error(p, f, "token longer than %d bytes",
			    PROTO_TOKEN_MAX);
		else if (!utf8_valid((const unsigned char *)s, len))
			hello_error(p, f, "token is not valid UTF-8");
		else {
			memcpy(h->token, s, len);
			h->token[len] = '\0';
			h->token_len = len;
		}
		return;
	case F_DETECTORS:
		/* Names are printable ASCII: shown() keeps a good name as
		 * it is and spoils any other, so the lookups below refuse it
		 * and name it printably. */
		if ((k = detect_kind_by_name(shown(name, s, len))) == -1)
			hello_error(p, f, "unknown detector '%s'", name);
		else
			p->det_mask |= 1u << k;
		return;
	case F_VOTE:
		if (detect_parse_vote(&h->set, shown(name, s, len), err,
		    sizeof(err)) == -1)
			hello_error(p, f, "%s", err);
		return;
	case F_ALERT:
		if (detect_parse_alert(&h->set, shown(name, s, len), err,
		    sizeof(err)) == -1)
			hello_error(p, f, "%s", err);
		return;
	default:
		return;
	}
}

/* A value of a param in params: p->param is its parameter (-1: unknown,
 * already reported). */
static void
param_value(struct proto_parser *p, enum vtype t, const char *s, size_t len)
{
	struct proto_hello *h = &p->msg.hello;
	char err[PROTO_ERR_MAX];
	double v;

	if (p->param < 0)
		return;
	if (t != V_NUMBER) {
		hello_error(p, F_PARAMS, "%s must be a number",
		    detect_param_name((unsigned)p->param));
		return;
	}
	v = num_value(s, len);
	if (detect_param_set(&h->set, (unsigned)p->param, v, err,
	    sizeof(err)) == -1) {
		hello_error(p, F_PARAMS, "%s", err);
		return;
	}
	h->params |= 1u << p->param;
}

/* The value of field f at the point level (s, len: a number's text or a
 * wanted string's decoded bytes). */
static void
field_value(struct proto_parser *p, enum vtype t, const char *s, size_t len,
    int too_long)
{
	struct proto_hello *h = &p->msg.hello;
	enum numclass c = t == V_NUMBER ? num_class(s, len) : N_BAD;
	enum field f = p->field;
	int64_t i;

	switch (f) {
	case F_NONE:
		return;
	case F_TIMESTAMP:
		if (t == V_NUMBER)
			ts_number(p, s, len, c);
		else if (t == V_STRING)
			ts_string(p, s, too_long ? PROTO_TS_MAX + 1 : len);
		else
			p->ts_err = E_TS_TYPE;
		return;
	case F_VALUE:
		if (t == V_NUMBER && isfinite(p->pt->value = num_value(s,
		    len)))
			return;
		p->pt->value = 0;
		p->value_err = E_VALUE;
		return;
	case F_SEQ:
		if (t == V_NUMBER && c == N_INTEGER &&
		    int64_read(s, len, &i) == 0 && i >= 1) {
			p->pt->seq = i;
			return;
		}
		p->seq_err = E_SEQ;
		return;
	case F_WINDOW:
		if (t != V_NUMBER || c != N_INTEGER || s[0] == '-' ||
		    proto_parse_window(s, len, p->max_window, &h->window,
		    NULL, 0) == -1)
			hello_error(p, f, "window must be an integer from %d "
			    "to %u", DETECT_WINDOW_MIN, p->max_window);
		return;
	case F_VERSION:
		if (t != V_NUMBER || len != 1 || s[0] != '2')
			hello_error(p, f, "version must be 2");
		return;
	case F_DETAIL:
		if (t == V_TRUE || t == V_FALSE)
			h->detail = t == V_TRUE;
		else
			hello_error(p, f, "detail must be true or false");
		return;
	case F_CLIENT_ID:
	case F_TOKEN:
	case F_VOTE:
	case F_ALERT:
		if (t == V_STRING)
			hello_string(p, f, s, len, too_long);
		else if (f == F_CLIENT_ID)
			hello_error(p, f, "%s", E_ID);
		else
			hello_error(p, f, "%s must be a string",
			    f == F_TOKEN ? "token" : f == F_VOTE ? "vote" :
			    "alert");
		return;
	case F_DETECTORS:
		if (t == V_ARRAY)
			p->det_mask = 0;
		else
			hello_error(p, f, "detectors must be an array of "
			    "detector names");
		return;
	case F_PARAMS:
		if (t == V_OBJECT)
			h->params = 0;
		else
			hello_error(p, f, "params must be an object");
		return;
	default:
		return;
	}
}

/* The field a key at the point level names. */
static enum field
field_of(const struct proto_parser *p, const char *k, size_t len)
{
	enum field f = F_NONE;

	switch (len) {
	case 3:
		if (memcmp(k, "seq", 3) == 0 && (p->flags & PROTO_V2))
			return F_SEQ;
		return F_NONE;
	case 4:
		f = memcmp(k, "vote", 4) == 0 ? F_VOTE : F_NONE;
		break;
	case 5:
		if (memcmp(k, "value", 5) == 0)
			return F_VALUE;
		f = memcmp(k, "token", 5) == 0 ? F_TOKEN :
		    memcmp(k, "alert", 5) == 0 ? F_ALERT : F_NONE;
		break;
	case 6:
		f = memcmp(k, "window", 6) == 0 ? F_WINDOW :
		    memcmp(k, "detail", 6) == 0 ? F_DETAIL :
		    memcmp(k, "params", 6) == 0 ? F_PARAMS : F_NONE;
		break;
	case 7:
		f = memcmp(k, "version", 7) == 0 ? F_VERSION : F_NONE;
		break;
	case 9:
		if (memcmp(k, "timestamp", 9) == 0)
			return F_TIMESTAMP;
		f = memcmp(k, "client_id", 9) == 0 ? F_CLIENT_ID :
		    memcmp(k, "detectors", 9) == 0 ? F_DETECTORS : F_NONE;
		break;
	default:
		return F_NONE;
	}
	return p->hello_keys ? f : F_NONE;
}

/* A key at the point level: the field it names starts afresh (the last
 * of duplicate keys wins). */
static void
field_key(struct proto_parser *p, const char *k, size_t len)
{
	static const unsigned has[F_FIELDS] = {
		[F_CLIENT_ID] = PROTO_HAS_CLIENT_ID,
		[F_WINDOW] = PROTO_HAS_WINDOW,
		[F_VERSION] = PROTO_HAS_VERSION,
		[F_DETAIL] = PROTO_HAS_DETAIL,
		[F_TOKEN] = PROTO_HAS_TOKEN,
		[F_DETECTORS] = PROTO_HAS_DETECTORS,
		[F_VOTE] = PROTO_HAS_VOTE,
		[F_ALERT] = PROTO_HAS_ALERT,
		[F_PARAMS] = PROTO_HAS_PARAMS,
	};
	enum field f = field_of(p, k, len);

	p->field = f;
	switch (f) {
	case F_NONE:
		return;
	case F_TIMESTAMP:
		p->ts_seen = 1;
		p->ts_err = NULL;
		p->pt->ts.type = PROTO_TS_NONE;
		p->pt->ts.len = 0;
		p->pt->ts.text[0] = '\0';
		return;
	case F_VALUE:
		p->value_seen = 1;
		p->value_err = NULL;
		return;
	case F_SEQ:
		p->seq_err = NULL;
		p->pt->seq = 0;
		return;
	default:
		hello_begin(p);
		p->msg.hello.has |= has[f];
		p->herr &= ~(1u << f);
		return;
	}
}

/* A key in the params object (shown() spoils any name but a good one). */
static void
param_key(struct proto_parser *p, const char *k, size_t len)
{
	char name[NAME_SHOWN + 4];

	p->param = detect_param_by_name(shown(name, k, len));
	if (p->param == -1)
		hello_error(p, F_PARAMS, "unknown parameter '%s'", name);
}

/* ---------------------------------------------------- LEJP callbacks */

static void
fatal(struct proto_parser *p, const char *why)
{
	if (p->fatal == NULL)
		p->fatal = why;
}

/* Whose is a value that starts at the current depth. */
static enum where
locate(const struct proto_parser *p)
{
	unsigned d = p->depth;

	if (p->batch && d == 1)
		return W_ELEMENT;
	if (!p->in_point)
		return W_IGNORED;
	if (d == p->plevel)
		return W_FIELD;
	if (d == p->plevel + 1) {
		if (p->field == F_PARAMS && !p->is_array[d])
			return W_PARAM;
		if (p->field == F_DETECTORS && p->is_array[d])
			return W_DETECTOR;
	}
	return W_IGNORED;
}

static struct proto_point *
element_add(struct proto_parser *p)
{
	struct proto_point *np;
	size_t cap;

	if (p->nitems == p->items_cap) {
		cap = p->items_cap ? p->items_cap * 2 : 64;
		np = realloc(p->items, cap * sizeof(*np));
		if (np == NULL) {
			fatal(p, E_MEMORY);
			return NULL;
		}
		p->items = np;
		p->items_cap = cap;
	}
	return &p->items[p->nitems++];
}

/* A batch element that is not an object. */
static void
element_bad(struct proto_parser *p)
{
	struct proto_point *pt = element_add(p);

	if (pt == NULL)
		return;
	point_begin(p, pt);
	pt->error = E_OBJECT;
}

/* A value that is not a string, an object or an array starts and ends. */
static void
scalar(struct proto_parser *p, enum vtype t, const char *s, size_t len)
{
	enum where w = locate(p);

	if (p->is_array[p->depth])
		p->nonempty[p->depth] = 1;
	switch (w) {
	case W_FIELD:
		field_value(p, t, s, len, 0);
		break;
	case W_PARAM:
		param_value(p, t, s, len);
		break;
	case W_DETECTOR:
		hello_error(p, F_DETECTORS, "detectors must be an array of "
		    "detector names");
		break;
	case W_ELEMENT:
		element_bad(p);
		break;
	default:
		break;
	}
}

static int
number(struct proto_parser *p, const char *s, size_t len)
{
	if (len > NUM_GUARD) {
		fatal(p, E_NUMBER);
		return -1;
	}
	if (num_class(s, len) == N_BAD) {
		fatal(p, E_JSON);
		return -1;
	}
	scalar(p, V_NUMBER, s, len);
	return 0;
}

/* Whether the string value about to start is read (else it is skipped). */
static void
string_start(struct proto_parser *p)
{
	enum where w = locate(p);
	enum field f = p->field;

	if (p->is_array[p->depth])
		p->nonempty[p->depth] = 1;
	p->str_on = 0;
	if ((w == W_FIELD && (f == F_TIMESTAMP || f == F_CLIENT_ID ||
	    f == F_TOKEN || f == F_VOTE || f == F_ALERT)) ||
	    w == W_DETECTOR) {
		p->str_on = 1;
		p->str_where = w;
		p->str_len = p->str_total = 0;
		return;
	}
	/* Wanted nowhere, or where a string is wrong: its type is enough. */
	if (w == W_FIELD)
		field_value(p, V_STRING, NULL, 0, 0);
	else if (w == W_PARAM)
		param_value(p, V_STRING, NULL, 0);
	else if (w == W_ELEMENT)
		element_bad(p);
}

static void
string_chunk(struct proto_parser *p, const char *s, size_t n)
{
	size_t room;

	if (!p->str_on)
		return;
	p->str_total += n;
	room = STR_CAP - p->str_len;
	if (n > room)
		n = room;
	memcpy(p->str + p->str_len, s, n);
	p->str_len += n;
}

static void
string_end(struct proto_parser *p)
{
	int too_long = p->str_total > STR_CAP;
	size_t len;

	if (!p->str_on)
		return;
	p->str_on = 0;
	len = join_surrogates((unsigned char *)p->str, p->str_len);
	p->str[len] = '\0';
	if (p->str_where == W_DETECTOR)
		hello_string(p, F_DETECTORS, p->str, len, too_long);
	else
		field_value(p, V_STRING, p->str, len, too_long);
}

static int
open_container(struct proto_parser *p, int array)
{
	unsigned d = p->depth;

	if (d == PROTO_DEPTH_MAX) {
		fatal(p, E_DEPTH);
		return -1;
	}
	if (d == 0) {
		if (array) {
			if (!(p->flags & PROTO_V2)) {
				fatal(p, E_OBJECT);
				return -1;
			}
			p->batch = 1;
			p->plevel = 2;
		} else {
			p->plevel = 1;
			p->in_point = 1;
			p->hello_keys = 1;
			point_begin(p, &p->msg.point);
		}
	} else {
		if (p->is_array[d])
			p->nonempty[d] = 1;
		switch (locate(p)) {
		case W_ELEMENT:
			if (array)
				element_bad(p);
			else {
				struct proto_point *pt = element_add(p);

				if (pt == NULL)
					return -1;
				point_begin(p, pt);
				p->in_point = 1;
			}
			break;
		case W_FIELD:
			field_value(p, array ? V_ARRAY : V_OBJECT, NULL, 0, 0);
			break;
		case W_PARAM:
			param_value(p, V_OBJECT, NULL, 0);
			break;
		case W_DETECTOR:
			hello_error(p, F_DETECTORS, "detectors must be an "
			    "array of detector names");
			break;
		default:
			break;
		}
	}
	p->depth = ++d;
	p->is_array[d] = (unsigned char)array;
	p->nonempty[d] = 0;
	p->arrays += (unsigned)array;
	return 0;
}

static int
close_container(struct proto_parser *p, int array)
{
	unsigned d = p->depth;

	if (d == 0 || p->is_array[d] != array) {
		fatal(p, E_JSON);	/* {"a":[1}]} passes LEJP */
		return -1;
	}
	if (p->in_point && d == p->plevel) {
		point_end(p);
		if (!p->batch)
			hello_end(p);
		p->in_point = 0;
	} else if (p->in_point && d == p->plevel + 1 &&
	    p->field == F_DETECTORS && array &&
	    !(p->herr & (1u << F_DETECTORS))) {
		if (p->det_mask == 0)
			hello_error(p, F_DETECTORS, "detectors must name "
			    "at least one detector");
		else
			p->msg.hello.set.detectors = p->det_mask;
	}
	p->depth = --d;
	if (array) {
		p->arrays--;
		/* LEJP leaves its count of open arrays too high after an
		 * array that closes in a top-level object. */
		p->ctx.ipos = (uint8_t)p->arrays;
	}
	return 0;
}

static int
key(struct proto_parser *p)
{
	struct lejp_ctx *ctx = &p->ctx;
	unsigned start = (unsigned)(unsigned char)ctx->st[ctx->sp].p;
	unsigned end = ctx->pst[0].ppos;
	const char *k = ctx->path + start;
	size_t len = end > start ? end - start : 0;
	unsigned d = p->depth;

	if (len > PROTO_KEY_MAX) {
		fatal(p, E_KEY);
		return -1;
	}
	if (!p->in_point)
		return 0;
	if (d == p->plevel)
		field_key(p, k, len);
	else if (d == p->plevel + 1 && p->field == F_PARAMS &&
	    !p->is_array[d])
		param_key(p, k, len);
	return 0;
}

static signed char
on_event(struct lejp_ctx *ctx, char reason)
{
	struct proto_parser *p = ctx->user;

	if (p->fatal != NULL)
		return -1;
	switch (reason) {
	case LEJPCB_OBJECT_START:
		return (signed char)open_container(p, 0);
	case LEJPCB_ARRAY_START:
		return (signed char)open_container(p, 1);
	case LEJPCB_OBJECT_END:
		return (signed char)close_container(p, 0);
	case LEJPCB_ARRAY_END:
		return (signed char)close_container(p, 1);
	case LEJPCB_PAIR_NAME:
		return (signed char)key(p);
	case LEJPCB_VAL_NUM_INT:
	case LEJPCB_VAL_NUM_FLOAT:
		return (signed char)number(p, ctx->buf, ctx->npos);
	case LEJPCB_VAL_TRUE:
		scalar(p, V_TRUE, NULL, 0);
		return 0;
	case LEJPCB_VAL_FALSE:
		scalar(p, V_FALSE, NULL, 0);
		return 0;
	case LEJPCB_VAL_NULL:
		scalar(p, V_NULL, NULL, 0);
		return 0;
	case LEJPCB_VAL_STR_START:
		string_start(p);
		return 0;
	case LEJPCB_VAL_STR_CHUNK:	/* ctx->buf is not NUL-terminated */
		string_chunk(p, ctx->buf, ctx->npos);
		return 0;
	case LEJPCB_VAL_STR_END:
		string_chunk(p, ctx->buf, ctx->npos);
		string_end(p);
		return 0;
	default:
		return 0;
	}
}

/* ------------------------------------------------------------- driving */

static int
in_string(const struct lejp_ctx *ctx)
{
	unsigned s = (unsigned)ctx->st[ctx->sp].s & ~LEJP_FLAG_WS_COMMENTLINE;

	return s == LEJP_MP_STRING || s == LEJP_MP_STRING_ESC ||
	    s == LEJP_MP_STRING_ESC_U1 || s == LEJP_MP_STRING_ESC_U2 ||
	    s == LEJP_MP_STRING_ESC_U3 || s == LEJP_MP_STRING_ESC_U4;
}

/* Why the key path got too long: a key of its own, or nested keys. */
static const char *
path_error(const struct lejp_ctx *ctx)
{
	unsigned start;

	if (ctx->sp > 0 && in_string(ctx) &&
	    ctx->st[ctx->sp - 1].s == LEJP_MP_DELIM) {
		start = (unsigned char)ctx->st[ctx->sp - 1].p;
		if (ctx->pst[0].ppos > start &&
		    ctx->pst[0].ppos - start > PROTO_KEY_MAX)
			return E_KEY;
	}
	return E_PATH;
}

static int
all_ws(const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_ws(s[i]))
			return 0;
	return 1;
}

/* Runs the len bytes at s through LEJP; returns NULL when they were one
 * whole value, else why not. */
static const char *
feed(struct proto_parser *p, const unsigned char *s, size_t len)
{
	struct lejp_ctx *ctx = &p->ctx;
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
			    LEJP_MP_VALUE && p->is_array[p->depth] &&
			    p->nonempty[p->depth])
				return E_JSON;
		} else
			n = i;
		r = lejp_parse(ctx, s + pos, (int)n);
		if (p->fatal != NULL)
			return p->fatal;
		if (r >= 0)
			return all_ws(s + pos + n - (size_t)r,
			    len - pos - n + (size_t)r) ? NULL : E_JSON;
		if (r == LEJP_REJECT_MEMBERS_NO_CLOSE && p->depth == 1) {
			/* {} at the top: LEJP refuses it, JSON does not. */
			close = memchr(s, '}', len);
			if (close == NULL || !all_ws(close + 1,
			    len - (size_t)(close + 1 - s)))
				return E_JSON;
			close_container(p, 0);
			return NULL;
		}
		if (r == LEJP_REJECT_IDLE_NO_BRACE)
			return E_OBJECT;
		if (r == LEJP_REJECT_MP_DELIM_ISTACK)
			return E_ARRAYS;
		if (r == LEJP_REJECT_STACK_OVERFLOW)
			return E_DEPTH;
		if (r != LEJP_CONTINUE)
			return E_JSON;
		if (s[pos] == '#' && n == 1 &&
		    (ctx->st[ctx->sp].s & LEJP_FLAG_WS_COMMENTLINE))
			return E_JSON;	/* a comment */
		if (ctx->pst[0].ppos > PATH_GUARD)
			return path_error(ctx);
		if (ctx->st[ctx->sp].s == LEJP_MP_VALUE_NUM_INT ||
		    ctx->st[ctx->sp].s == LEJP_MP_VALUE_NUM_EXP) {
			/* In a number: LEJP stops at 20 digits (dcount) and
			 * 0 means none yet; a slice adds at most SLICE. */
			if (ctx->npos > NUM_GUARD)
				return E_NUMBER;
			if (ctx->dcount > 1)
				ctx->dcount = 1;
		}
		pos += n;
	}
	return E_JSON;			/* incomplete */
}

static void
parser_init(struct proto_parser *p, uint32_t max_window)
{
	memset(p, 0, sizeof(*p));
	p->max_window = clamp_window(max_window);
}

static const struct proto_msg *
parse(struct proto_parser *p, const char *msg, size_t len, unsigned flags)
{
	struct proto_msg *m = &p->msg;
	const char *why;

	p->flags = flags;
	p->fatal = NULL;
	p->depth = p->arrays = 0;
	p->plevel = 0;
	p->batch = p->in_point = p->hello_keys = 0;
	p->hello_begun = 0;
	p->str_on = 0;
	p->field = F_NONE;
	p->param = -1;
	p->nitems = 0;
	m->hello.has = 0;
	m->hello.client_id[0] = '\0';
	m->hello.window = 0;
	m->hello.detail = 0;
	m->hello.token_len = 0;
	m->hello.token[0] = '\0';
	m->hello.params = 0;
	m->hello.error[0] = '\0';
	m->error = NULL;
	m->items = NULL;
	m->nitems = 0;

	lejp_construct(&p->ctx, on_event, p, NULL, 0);
	why = feed(p, (const unsigned char *)msg, len);
	lejp_destruct(&p->ctx);
	if (why != NULL) {
		m->kind = PROTO_INVALID;
		m->error = why;
		p->nitems = 0;
	} else if (p->batch) {
		m->kind = PROTO_BATCH;
		m->items = p->items;
		m->nitems = p->nitems;
	} else if (p->ts_seen || p->value_seen)
		m->kind = PROTO_POINT;
	else
		m->kind = PROTO_SETTINGS;
	return m;
}

struct proto_parser *
proto_parser_new(uint32_t max_window)
{
	struct proto_parser *p;

	if ((p = malloc(sizeof(*p))) == NULL)
		return NULL;
	parser_init(p, max_window);
	return p;
}

void
proto_parser_free(struct proto_parser *p)
{
	if (p == NULL)
		return;
	free(p->items);
	free(p);
}

const struct proto_msg *
proto_parse(struct proto_parser *p, const char *msg, size_t len,
    unsigned flags)
{
	return parse(p, msg, len, flags);
}

void
proto_hello_apply(const struct proto_hello *h, struct detect_settings *s)
{
	unsigned k;

	if (h->has & PROTO_HAS_WINDOW)
		s->window = h->window;
	if (h->has & PROTO_HAS_DETECTORS)
		s->detectors = h->set.detectors;
	if (h->has & PROTO_HAS_VOTE) {
		s->vote = h->set.vote;
		s->vote_k = h->set.vote_k;
	}
	if (h->has & PROTO_HAS_ALERT)
		s->alert = h->set.alert;
	for (k = 0; k < DETECT_PARAMS; k++)
		if (h->params & (1u << k))
			s->param[k] = h->set.param[k];
}

void
proto_ts_integer(struct proto_ts *ts, int64_t i)
{
	ts->type = PROTO_TS_INTEGER;
	ts->i = i;
	ts->r = (double)i;
	ts->len = 0;
	ts->text[0] = '\0';
}

void
proto_ts_real(struct proto_ts *ts, double r)
{
	ts->type = PROTO_TS_REAL;
	ts->i = 0;
	ts->r = r;
	ts->len = 0;
	ts->text[0] = '\0';
}

int
proto_ts_text(struct proto_ts *ts, const char *s, size_t len)
{
	ts->i = 0;
	ts->r = 0;
	if (len > PROTO_TS_MAX) {
		ts->type = PROTO_TS_NONE;
		ts->len = 0;
		ts->text[0] = '\0';
		return -1;
	}
	ts->type = PROTO_TS_TEXT;
	memcpy(ts->text, s, len);
	ts->text[len] = '\0';
	ts->len = len;
	return 0;
}

/* ---------------------------------------------------------- formatting */

#define PUTS(b, lit)	jsonbuf_put_raw((b), (lit), sizeof(lit) - 1)

static int
put_ts(struct jsonbuf *b, const struct proto_ts *ts)
{
	switch (ts->type) {
	case PROTO_TS_INTEGER:
		if (ts->len > 0)
			return jsonbuf_put_raw(b, ts->text, ts->len);
		return jsonbuf_put_int(b, ts->i);
	case PROTO_TS_REAL:
		if (ts->len > 0)
			return jsonbuf_put_raw(b, ts->text, ts->len);
		return jsonbuf_put_real(b, ts->r);
	case PROTO_TS_TEXT:
		return jsonbuf_put_string(b, ts->text, ts->len);
	default:
		return PUTS(b, "null");
	}
}

int
proto_format_verdict(struct jsonbuf *b, const struct proto_ts *ts,
    int64_t seq, const struct detect_verdict *v, uint32_t detectors,
    unsigned flags)
{
	const char *sep = "{", *name;
	unsigned k;
	int first;

	if (seq >= 1) {
		PUTS(b, "{\"seq\":");
		jsonbuf_put_int(b, seq);
		sep = ",";
	}
	if (ts != NULL && ts->type != PROTO_TS_NONE) {
		jsonbuf_put_raw(b, sep, 1);
		PUTS(b, "\"timestamp\":");
		put_ts(b, ts);
		sep = ",";
	}
	jsonbuf_put_raw(b, sep, 1);
	PUTS(b, "\"anomaly\":");
	jsonbuf_put_raw(b, v->anomaly ? "1" : "0", 1);
	if (flags & PROTO_DETAIL) {
		PUTS(b, ",\"alert\":");
		jsonbuf_put_raw(b, v->alert ? "1" : "0", 1);
		PUTS(b, ",\"score\":");
		jsonbuf_put_real(b, v->score);
		PUTS(b, ",\"votes\":{");
		for (k = 0, first = 1; k < DETECT_KINDS; k++) {
			if (!(detectors & (1u << k)))
				continue;
			if (!first)
				PUTS(b, ",");
			first = 0;
			PUTS(b, "\"");
			name = detect_kind_name(k);
			jsonbuf_put_raw(b, name, strlen(name));
			PUTS(b, "\":");
			jsonbuf_put_raw(b, v->votes & (1u << k) ? "1" : "0", 1);
		}
		PUTS(b, "}");
		if (v->warmup)
			PUTS(b, ",\"warmup\":true");
	}
	if (flags & PROTO_DUPLICATE)
		PUTS(b, ",\"duplicate\":1");
	return PUTS(b, "}");
}

int
proto_format_error(struct jsonbuf *b, const char *error,
    const struct proto_ts *ts, int64_t seq)
{
	PUTS(b, "{\"error\":");
	jsonbuf_put_string(b, error, strlen(error));
	if (ts != NULL && ts->type != PROTO_TS_NONE) {
		PUTS(b, ",\"timestamp\":");
		put_ts(b, ts);
	}
	if (seq >= 1) {
		PUTS(b, ",\"seq\":");
		jsonbuf_put_int(b, seq);
	}
	return PUTS(b, "}");
}

int
proto_format_ready(struct jsonbuf *b, const char *client_id,
    uint32_t window, int64_t last_seq, uint64_t points,
    const struct proto_ts *last_ts)
{
	PUTS(b, "{\"ready\":true,\"client_id\":");
	jsonbuf_put_string(b, client_id, strlen(client_id));
	PUTS(b, ",\"window\":");
	jsonbuf_put_int(b, window);
	PUTS(b, ",\"last_seq\":");
	jsonbuf_put_int(b, last_seq);
	PUTS(b, ",\"points\":");
	jsonbuf_put_uint(b, points);
	PUTS(b, ",\"last_timestamp\":");
	if (last_ts != NULL && last_ts->type != PROTO_TS_NONE)
		put_ts(b, last_ts);
	else
		PUTS(b, "null");
	return PUTS(b, "}");
}

int
proto_batch_begin(struct jsonbuf *b)
{
	return PUTS(b, "[");
}

int
proto_batch_next(struct jsonbuf *b)
{
	if (b->oom)
		return -1;
	if (b->len > 0 && b->mem[b->headroom + b->len - 1] == '[')
		return 0;
	return PUTS(b, ",");
}

int
proto_batch_end(struct jsonbuf *b)
{
	return PUTS(b, "]");
}

int
proto_settings_format(struct jsonbuf *b, const struct detect_settings *s)
{
	char tmp[32];
	const char *name;
	unsigned k;
	int first;

	PUTS(b, "{\"detectors\":[");
	for (k = 0, first = 1; k < DETECT_KINDS; k++) {
		if (!(s->detectors & (1u << k)))
			continue;
		if (!first)
			PUTS(b, ",");
		first = 0;
		name = detect_kind_name(k);
		jsonbuf_put_string(b, name, strlen(name));
	}
	PUTS(b, "],\"vote\":");
	detect_vote_text(s, tmp, sizeof(tmp));
	jsonbuf_put_string(b, tmp, strlen(tmp));
	PUTS(b, ",\"alert\":");
	detect_alert_text(s, tmp, sizeof(tmp));
	jsonbuf_put_string(b, tmp, strlen(tmp));
	PUTS(b, ",\"params\":{");
	for (k = 0; k < DETECT_PARAMS; k++) {
		if (k > 0)
			PUTS(b, ",");
		name = detect_param_name(k);
		jsonbuf_put_string(b, name, strlen(name));
		PUTS(b, ":");
		jsonbuf_put_double(b, s->param[k]);
	}
	return PUTS(b, "}}");
}

int
proto_settings_parse(const char *text, size_t len, struct detect_settings *s,
    char *err, size_t errlen)
{
	struct proto_parser p;
	const struct proto_msg *m;
	struct detect_settings t;

	parser_init(&p, DETECT_WINDOW_MAX);
	m = parse(&p, text, len, 0);
	switch (m->kind) {
	case PROTO_INVALID:
		errmsg_set(err, errlen, "settings: %s", m->error);
		return -1;
	case PROTO_SETTINGS:
		if (m->hello.error[0] != '\0') {
			errmsg_set(err, errlen, "settings: %s", m->hello.error);
			return -1;
		}
		break;
	default:
		errmsg_set(err, errlen, "settings: not an object of settings");
		return -1;
	}
	t = *s;
	proto_hello_apply(&m->hello, &t);
	t.window = s->window;
	*s = t;
	return 0;
}
