/*
 * proto.c: the wire protocol of SPEC §2, read with lib/json.
 *
 * The JSON reader of json.c tokenizes and refuses what is not strict JSON
 * (SPEC §11); the events here keep the point level (1 for a lone object,
 * 2 for the elements of a batch) and read its keys as fields.  Strings
 * that are kept are repaired (\u surrogate pairs) and checked to be UTF-8.
 * Duplicate keys: each key resets its field, so the last one wins.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "errmsg.h"
#include "json.h"
#include "proto.h"

_Static_assert(PROTO_DEPTH_MAX == JSON_DEPTH_MAX, "nesting bound");
_Static_assert(PROTO_KEY_MAX == JSON_KEY_MAX, "key bound");

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
	F_CLAIM,
	F_KEY,
	F_PRESET,
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

/* The class of a number's text (json_number_class()). */
enum numclass {
	N_BAD,			/* outside the RFC 8259 grammar */
	N_INTEGER,		/* no fraction, no exponent */
	N_REAL
};

struct proto_parser {
	struct proto_msg msg;
	uint32_t	 max_window;
	unsigned	 flags;
	const char	*fatal;		/* the message is not usable: why */

	/* Where the reader is: containers open, and whether the innermost
	 * is an array (struct json_event). */
	unsigned	 depth;
	int		 in_array;

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

/* ------------------------------------------------------------ strings */

/* The class of the number text at s (json_number_class()). */
static enum numclass
num_class(const char *s, size_t len)
{
	return (enum numclass)json_number_class(s, len);
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
	if (c == N_INTEGER && json_number_int64(s, len, &i) == 0) {
		ts->type = PROTO_TS_INTEGER;
		ts->i = i;
		ts->r = (double)i;
	} else {
		ts->r = json_number_double(s, len);
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
	case F_KEY:
		if (too_long || len > PROTO_CLAIM_KEY_MAX)
			hello_error(p, f, "key longer than %d bytes",
			    PROTO_CLAIM_KEY_MAX);
		else if (!utf8_valid((const unsigned char *)s, len))
			hello_error(p, f, "key is not valid UTF-8");
		else {
			memcpy(h->key, s, len);
			h->key[len] = '\0';
			h->key_len = len;
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
	case F_PRESET:
		if ((k = detect_preset_by_name(shown(name, s, len))) == -1)
			hello_error(p, f, "unknown preset '%s'", name);
		else
			h->preset = k;
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
	v = json_number_double(s, len);
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
		if (t == V_NUMBER && isfinite(p->pt->value = json_number_double(s,
		    len)))
			return;
		p->pt->value = 0;
		p->value_err = E_VALUE;
		return;
	case F_SEQ:
		if (t == V_NUMBER && c == N_INTEGER &&
		    json_number_int64(s, len, &i) == 0 && i >= 1) {
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
	case F_CLAIM:
		if (t == V_TRUE || t == V_FALSE)
			h->claim = t == V_TRUE;
		else
			hello_error(p, f, "claim must be true or false");
		return;
	case F_CLIENT_ID:
	case F_TOKEN:
	case F_KEY:
	case F_VOTE:
	case F_ALERT:
	case F_PRESET:
		if (t == V_STRING)
			hello_string(p, f, s, len, too_long);
		else if (f == F_CLIENT_ID)
			hello_error(p, f, "%s", E_ID);
		else
			hello_error(p, f, "%s must be a string",
			    f == F_TOKEN ? "token" : f == F_KEY ? "key" :
			    f == F_VOTE ? "vote" : f == F_PRESET ? "preset" :
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
		f = memcmp(k, "key", 3) == 0 ? F_KEY : F_NONE;
		break;
	case 4:
		f = memcmp(k, "vote", 4) == 0 ? F_VOTE : F_NONE;
		break;
	case 5:
		if (memcmp(k, "value", 5) == 0)
			return F_VALUE;
		f = memcmp(k, "token", 5) == 0 ? F_TOKEN :
		    memcmp(k, "alert", 5) == 0 ? F_ALERT :
		    memcmp(k, "claim", 5) == 0 ? F_CLAIM : F_NONE;
		break;
	case 6:
		f = memcmp(k, "window", 6) == 0 ? F_WINDOW :
		    memcmp(k, "detail", 6) == 0 ? F_DETAIL :
		    memcmp(k, "params", 6) == 0 ? F_PARAMS :
		    memcmp(k, "preset", 6) == 0 ? F_PRESET : F_NONE;
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
		[F_CLAIM] = PROTO_HAS_CLAIM,
		[F_KEY] = PROTO_HAS_KEY,
		[F_PRESET] = PROTO_HAS_PRESET,
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

/* ------------------------------------------------------ JSON events */

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
		if (p->field == F_PARAMS && !p->in_array)
			return W_PARAM;
		if (p->field == F_DETECTORS && p->in_array)
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

/* Whether the string value about to start is read (else it is skipped). */
static void
string_start(struct proto_parser *p)
{
	enum where w = locate(p);
	enum field f = p->field;

	p->str_on = 0;
	if ((w == W_FIELD && (f == F_TIMESTAMP || f == F_CLIENT_ID ||
	    f == F_TOKEN || f == F_KEY || f == F_VOTE || f == F_ALERT ||
	    f == F_PRESET)) ||
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
	len = json_join_surrogates((unsigned char *)p->str, p->str_len);
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
	return 0;
}

static void
close_container(struct proto_parser *p, int array)
{
	unsigned d = p->depth;

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
}

/* A key k (len bytes) in the object at the current depth. */
static void
key(struct proto_parser *p, const char *k, size_t len)
{
	unsigned d = p->depth;

	if (!p->in_point)
		return;
	if (d == p->plevel)
		field_key(p, k, len);
	else if (d == p->plevel + 1 && p->field == F_PARAMS &&
	    !p->in_array)
		param_key(p, k, len);
}

/* Reads one event of the JSON reader; non-zero when the message is not
 * usable (p->fatal says why). */
static int
on_event(void *arg, const struct json_event *ev)
{
	struct proto_parser *p = arg;

	if (p->fatal != NULL)
		return -1;
	p->depth = ev->depth;
	p->in_array = ev->in_array;
	switch (ev->type) {
	case JSON_OBJECT_START:
		return open_container(p, 0);
	case JSON_ARRAY_START:
		return open_container(p, 1);
	case JSON_OBJECT_END:
		close_container(p, 0);
		break;
	case JSON_ARRAY_END:
		close_container(p, 1);
		break;
	case JSON_KEY:
		key(p, ev->text, ev->len);
		break;
	case JSON_NUMBER:
		scalar(p, V_NUMBER, ev->text, ev->len);
		break;
	case JSON_TRUE:
		scalar(p, V_TRUE, NULL, 0);
		break;
	case JSON_FALSE:
		scalar(p, V_FALSE, NULL, 0);
		break;
	case JSON_NULL:
		scalar(p, V_NULL, NULL, 0);
		break;
	case JSON_STRING_START:
		string_start(p);
		break;
	case JSON_STRING_CHUNK:
		string_chunk(p, ev->text, ev->len);
		break;
	case JSON_STRING_END:
		string_chunk(p, ev->text, ev->len);
		string_end(p);
		break;
	}
	return p->fatal != NULL;
}

/* Why a message the JSON reader stopped at is not usable. */
static const char *
json_error(const struct proto_parser *p, enum json_status st)
{
	switch (st) {
	case JSON_OK:
		return NULL;
	case JSON_STOPPED:
		return p->fatal;
	case JSON_E_TOP:
		return E_OBJECT;
	case JSON_E_DEPTH:
		return E_DEPTH;
	case JSON_E_ARRAYS:
		return E_ARRAYS;
	case JSON_E_KEY:
		return E_KEY;
	case JSON_E_PATH:
		return E_PATH;
	case JSON_E_NUMBER:
		return E_NUMBER;
	default:
		return E_JSON;
	}
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
	p->depth = 0;
	p->in_array = 0;
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
	m->hello.claim = 0;
	m->hello.key_len = 0;
	m->hello.key[0] = '\0';
	m->error = NULL;
	m->items = NULL;
	m->nitems = 0;

	why = json_error(p, json_read(msg, len, on_event, p));
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

	if (h->has & PROTO_HAS_PRESET)
		detect_preset_apply(s, (unsigned)h->preset);
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
proto_ready_claim(struct jsonbuf *b, const char *key, const char *claim)
{
	if (b->oom || b->len == 0 || b->mem[b->headroom + b->len - 1] != '}')
		return -1;
	b->len--;
	if (key != NULL) {
		PUTS(b, ",\"key\":");
		jsonbuf_put_string(b, key, strlen(key));
	}
	if (claim != NULL) {
		PUTS(b, ",\"claim\":");
		jsonbuf_put_string(b, claim, strlen(claim));
	}
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
