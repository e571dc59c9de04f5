/*
 * test_proto.c: lib/proto, the wire protocol: the session of SPEC §2.4,
 * every bad message of §2.3, the defects of LEJP it guards against (§11),
 * hellos, batches, number and string echo, reply formatting and the stored
 * settings form.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "detect.h"
#include "proto.h"

#define MAX_WINDOW	100000

/* ------------------------------------------------------------ helpers */

struct fixture {
	struct proto_parser	*p;
	struct jsonbuf	 b;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || (f->p = proto_parser_new(MAX_WINDOW)) == NULL)
		return -1;
	jsonbuf_init(&f->b, 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	proto_parser_free(f->p);
	jsonbuf_free(&f->b);
	free(f);
	return 0;
}

static const struct proto_msg *
parse(void **state, const char *text, unsigned flags)
{
	struct fixture *f = *state;

	return proto_parse(f->p, text, strlen(text), flags);
}

static const struct proto_msg *
parse_len(void **state, const char *text, size_t len, unsigned flags)
{
	struct fixture *f = *state;

	return proto_parse(f->p, text, len, flags);
}

/* The reply the server would send for pt: its verdict (all zero, no
 * detail) when it is good, else its error. */
static const char *
reply(void **state, const struct proto_point *pt)
{
	struct fixture *f = *state;
	struct detect_verdict v;

	memset(&v, 0, sizeof(v));
	jsonbuf_clear(&f->b);
	if (pt->error != NULL)
		assert_int_equal(proto_format_error(&f->b, pt->error, &pt->ts,
		    pt->seq), 0);
	else
		assert_int_equal(proto_format_verdict(&f->b, &pt->ts, pt->seq,
		    &v, DETECT_DEFAULT_MASK, 0), 0);
	return jsonbuf_text(&f->b);
}

/* Parses text (protocol flags) as one point and checks its reply. */
static void
expect_reply(void **state, const char *text, unsigned flags,
    const char *want)
{
	const struct proto_msg *m = parse(state, text, flags);

	if (m->kind != PROTO_POINT)
		fail_msg("%s: kind %d (%s), want a point", text, m->kind,
		    m->error ? m->error : "");
	assert_string_equal(reply(state, &m->point), want);
}

static void
expect_invalid(void **state, const char *text, unsigned flags,
    const char *why)
{
	const struct proto_msg *m = parse(state, text, flags);

	if (m->kind != PROTO_INVALID)
		fail_msg("%s: kind %d, want invalid (%s)", text, m->kind,
		    why);
	if (strcmp(m->error, why) != 0)
		fail_msg("%s: error '%s', want '%s'", text, m->error, why);
}

static void
expect_point_error(void **state, const char *text, unsigned flags,
    const char *why)
{
	const struct proto_msg *m = parse(state, text, flags);

	if (m->kind != PROTO_POINT)
		fail_msg("%s: kind %d (%s), want a point", text, m->kind,
		    m->error ? m->error : "");
	if (m->point.error == NULL || strcmp(m->point.error, why) != 0)
		fail_msg("%s: error '%s', want '%s'", text,
		    m->point.error ? m->point.error : "(none)", why);
}

static const struct proto_hello *
expect_hello(void **state, const char *text, const char *why)
{
	const struct proto_msg *m = parse(state, text, 0);

	if (m->kind != PROTO_SETTINGS)
		fail_msg("%s: kind %d (%s), want settings", text, m->kind,
		    m->error ? m->error : "");
	if (strcmp(m->hello.error, why) != 0)
		fail_msg("%s: error '%s', want '%s'", text, m->hello.error,
		    why);
	return &m->hello;
}

/* A string of n copies of c (static, for building long messages). */
static char *
repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static char *
format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
format(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* --------------------------------------------------- SPEC §2.4 session */

static void
test_wire_session(void **state)
{
	struct fixture *f = *state;
	const struct proto_msg *m;
	struct detect_verdict v;
	struct proto_point items[2];

	/* Original protocol. */
	m = parse(state, "{\"client_id\": \"AAPL_close\", \"window\": 55}", 0);
	assert_int_equal(m->kind, PROTO_SETTINGS);
	assert_string_equal(m->hello.error, "");
	assert_int_equal(m->hello.has, PROTO_HAS_CLIENT_ID | PROTO_HAS_WINDOW);
	assert_string_equal(m->hello.client_id, "AAPL_close");
	assert_int_equal(m->hello.window, 55);

	m = parse(state, "{\"timestamp\": 1577923200, \"value\": 75.09}", 0);
	assert_int_equal(m->kind, PROTO_POINT);
	assert_null(m->point.error);
	assert_int_equal(m->point.ts.type, PROTO_TS_INTEGER);
	assert_true(m->point.ts.i == 1577923200);
	assert_true(m->point.value == 75.09);
	assert_true(m->point.seq == 0);
	assert_string_equal(reply(state, &m->point),
	    "{\"timestamp\":1577923200,\"anomaly\":0}");

	expect_reply(state, "{\"timestamp\": 1578009600, \"value\": \"abc\"}",
	    0, "{\"error\":\"value is not a finite number\","
	    "\"timestamp\":1578009600}");

	/* Protocol 2, hello in the URL. */
	m = parse(state, "{\"version\": 2, \"detail\": true}", 0);
	assert_int_equal(m->kind, PROTO_SETTINGS);
	assert_string_equal(m->hello.error, "");
	assert_int_equal(m->hello.has, PROTO_HAS_VERSION | PROTO_HAS_DETAIL);
	assert_int_equal(m->hello.detail, 1);

	jsonbuf_clear(&f->b);
	{
		struct proto_ts last;

		assert_int_equal(proto_ts_text(&last, "2014-07-01 00:00:00",
		    19), 0);
		assert_int_equal(proto_format_ready(&f->b, "web01", 1000, 41,
		    41, &last), 0);
		assert_string_equal(jsonbuf_text(&f->b), "{\"ready\":true,"
		    "\"client_id\":\"web01\",\"window\":1000,"
		    "\"last_seq\":41,\"points\":41,"
		    "\"last_timestamp\":\"2014-07-01 00:00:00\"}");
		/* numbers as read back: integers, reals with a fraction */
		proto_ts_integer(&last, 1577923200);
		jsonbuf_clear(&f->b);
		proto_format_ready(&f->b, "w", 4, 0, 1, &last);
		assert_non_null(strstr(jsonbuf_text(&f->b),
		    ",\"last_timestamp\":1577923200}"));
		proto_ts_real(&last, 1577923200.5);
		jsonbuf_clear(&f->b);
		proto_format_ready(&f->b, "w", 4, 0, 1, &last);
		assert_non_null(strstr(jsonbuf_text(&f->b),
		    ",\"last_timestamp\":1577923200.5}"));
		proto_ts_real(&last, 7);
		jsonbuf_clear(&f->b);
		proto_format_ready(&f->b, "w", 4, 0, 1, &last);
		assert_non_null(strstr(jsonbuf_text(&f->b),
		    ",\"last_timestamp\":7.0}"));
		/* the key issued and the claim's fate (anomaly(7)) */
		assert_int_equal(proto_ready_claim(&f->b, "00ff", "granted"),
		    0);
		assert_non_null(strstr(jsonbuf_text(&f->b),
		    ",\"last_timestamp\":7.0,\"key\":\"00ff\","
		    "\"claim\":\"granted\"}"));
		jsonbuf_clear(&f->b);
		assert_int_equal(proto_ready_claim(&f->b, NULL, "x"), -1);
	}

	m = parse(state, "[{\"seq\": 42, \"timestamp\": "
	    "\"2014-07-01 00:00:00\", \"value\": 10844},\n   {\"seq\": 43, "
	    "\"timestamp\": \"2014-07-01 00:30:00\", \"value\": 8127}]",
	    PROTO_V2);
	assert_int_equal(m->kind, PROTO_BATCH);
	assert_int_equal(m->nitems, 2);
	memcpy(items, m->items, sizeof(items));
	assert_null(items[0].error);
	assert_null(items[1].error);
	assert_true(items[0].seq == 42);
	assert_true(items[1].seq == 43);
	assert_int_equal(items[0].ts.type, PROTO_TS_TEXT);
	assert_string_equal(items[0].ts.text, "2014-07-01 00:00:00");
	assert_true(items[0].value == 10844);
	assert_true(items[1].value == 8127);

	memset(&v, 0, sizeof(v));
	v.warmup = 1;
	jsonbuf_clear(&f->b);
	assert_int_equal(proto_batch_begin(&f->b), 0);
	assert_int_equal(proto_batch_next(&f->b), 0);
	assert_int_equal(proto_format_verdict(&f->b, &items[0].ts,
	    items[0].seq, &v, DETECT_DEFAULT_MASK, PROTO_DETAIL), 0);
	assert_int_equal(proto_batch_next(&f->b), 0);
	assert_int_equal(proto_format_error(&f->b, "seq already used", NULL,
	    items[1].seq), 0);
	assert_int_equal(proto_batch_end(&f->b), 0);
	assert_string_equal(jsonbuf_text(&f->b), "[{\"seq\":42,"
	    "\"timestamp\":\"2014-07-01 00:00:00\",\"anomaly\":0,\"alert\":0,"
	    "\"score\":0.0,\"votes\":{\"zscore\":0,\"iqr\":0,\"ewma\":0,"
	    "\"ma\":0,\"iforest\":0},\"warmup\":true},"
	    "{\"error\":\"seq already used\",\"seq\":43}]");
}

/* ------------------------------------------------- SPEC §2.3 bad input */

static void
test_invalid_json(void **state)
{
	static const char *const bad[] = {
		"",
		"   ",
		"{",
		"{\"timestamp\": 1, \"value\": 2",
		"{\"timestamp\": 1, \"value\": 2}x",
		"{\"timestamp\": 1, \"value\": 2}  x",
		"{\"timestamp\": 1, \"value\": 2}{}",
		"{\"timestamp\": 1, \"value\": 2}}",
		"{\"timestamp\": 1, \"value\": 2}]",
		"{\"timestamp\": 1, \"value\": 01}",
		"{\"timestamp\": 1, \"value\": -01}",
		"{\"timestamp\": 1, \"value\": -007.5}",
		"{\"timestamp\": 1, \"value\": 1.}",
		"{\"timestamp\": 1, \"value\": 1.e5}",
		"{\"timestamp\": 1, \"value\": 1e+}",
		"{\"timestamp\": 1, \"value\": 1e}",
		"{\"timestamp\": 1, \"value\": 1e5.3}",
		"{\"timestamp\": 1, \"value\": +1}",
		"{\"timestamp\": 1, \"value\": .5}",
		"{\"timestamp\": 1, \"value\": -}",
		"{\"timestamp\": 1, \"value\": NaN}",
		"{\"timestamp\": 1, \"value\": Infinity}",
		"{\"timestamp\": 1, \"value\": 0x10}",
		"{\"timestamp\": 01, \"value\": 1}",
		"{\"timestamp\": 1, \"value\": 1, \"x\": 1.}",
		"{\"x\": [01], \"timestamp\": 1, \"value\": 1}",
		"{\"timestamp\": 1, \"value\": tru}",
		"{\"timestamp\": 1, \"value\": nul}",
		"{\"timestamp\": 1, \"value\": 2,}",
		"{\"timestamp\" 1, \"value\": 2}",
		"{\"timestamp\": 1 \"value\": 2}",
		"{,}",
		"{timestamp: 1, value: 2}",
		"{'timestamp': 1, 'value': 2}",
		"{\"timestamp\": \"a\\x\", \"value\": 2}",
		"{\"timestamp\": \"\\u12G4\", \"value\": 2}",
		"{\"timestamp\": \"a\tb\", \"value\": 2}",
		"{\"timestamp\": \"a\nb\", \"value\": 2}",
		"{\"timestamp\": 1, \"value\": 2, \"x\": [1,]}",
		"{\"timestamp\": 1, \"value\": 2, \"x\": [1 , ]}",
		"{\"timestamp\": 1, \"value\": 2, \"x\": [[1],]}",
		"{\"timestamp\": 1, \"value\": 2, \"x\": [{},]}",
		"{\"timestamp\": 1, \"value\": 2, \"x\": [,1]}",
		"{\"timestamp\": 1, \"value\": 2, \"x\": [1}]}",
		"{\"timestamp\": 1, \"value\": 2, \"x\": {\"a\": 1]}",
		"{\"timestamp\": 1, \"value\": [1,2}",
		/* Comments, which LEJP skips. */
		"{\"timestamp\": 1, \"value\": 2} # comment",
		"# comment\n{\"timestamp\": 1, \"value\": 2}",
		"{# comment\n\"timestamp\": 1, \"value\": 2}",
		"{\"timestamp\": 1, # comment\n\"value\": 2}",
		"{\"timestamp\": 1, \"value\": 2# comment\n}",
		"{\"timestamp\": 1, \"value\": 2 #\n}",
		"{\"timestamp\": 1, \"value\": 2, \"x\": [1 #\n]}",
		"#",
		"{\"timestamp\": 1, \"value\": tr#ue}",
		"{\"timestamp\": \"\\#\", \"value\": 2}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		expect_invalid(state, bad[i], 0, "invalid JSON");
		expect_invalid(state, bad[i], PROTO_V2, "invalid JSON");
	}
	/* A NUL after the object is not whitespace. */
	{
		static const char nul[] = "{\"timestamp\":1,\"value\":2}\0";
		const struct proto_msg *m = parse_len(state, nul,
		    sizeof(nul) - 1, 0);

		assert_int_equal(m->kind, PROTO_INVALID);
	}
	/* Numbers are at most 100 bytes long (LEJP's buffer is 255). */
	{
		char *digits = repeat('1', 101);
		char *msg = format("{\"timestamp\": 1, \"value\": %s}",
		    digits);

		expect_invalid(state, msg, 0,
		    "JSON number longer than 100 bytes");
		free(msg);
		digits[100] = '\0';
		msg = format("{\"timestamp\": 1, \"value\": %s}", digits);
		expect_reply(state, msg, 0, "{\"timestamp\":1,\"anomaly\":0}");
		free(msg);
		msg = format("{\"timestamp\": %s, \"value\": 1}", digits);
		expect_point_error(state, msg, 0,
		    "timestamp number longer than 64 bytes");
		free(msg);
		free(digits);
	}
	/* Batches: a trailing comma, garbage after, an unclosed array. */
	expect_invalid(state, "[{\"timestamp\": 1, \"value\": 2},]", PROTO_V2,
	    "invalid JSON");
	expect_invalid(state, "[{\"timestamp\": 1, \"value\": 2}] x",
	    PROTO_V2, "invalid JSON");
	expect_invalid(state, "[{\"timestamp\": 1, \"value\": 2}",
	    PROTO_V2, "invalid JSON");
	expect_invalid(state, "[1,]", PROTO_V2, "invalid JSON");
	expect_invalid(state, "[{\"timestamp\": 1, \"value\": 01}]",
	    PROTO_V2, "invalid JSON");
}

static void
test_whitespace_and_hash_in_strings(void **state)
{
	const struct proto_msg *m;

	/* JSON whitespace anywhere between tokens is fine. */
	expect_reply(state, " \t\r\n{ \"timestamp\" : 1 ,\n\"value\"\t:\r2 }"
	    " \n", 0, "{\"timestamp\":1,\"anomaly\":0}");
	/* '#' and ']' inside strings are characters, not comments. */
	expect_reply(state, "{\"timestamp\": \"#1 ] # [\", \"value\": 2}", 0,
	    "{\"timestamp\":\"#1 ] # [\",\"anomaly\":0}");
	m = parse(state, "{\"# not a comment\": \"]#\", \"timestamp\": 1, "
	    "\"value\": 2}", 0);
	assert_int_equal(m->kind, PROTO_POINT);
	assert_null(m->point.error);
	m = parse(state, "{\"token\": \"a#b]c\"}", 0);
	assert_int_equal(m->kind, PROTO_SETTINGS);
	assert_string_equal(m->hello.token, "a#b]c");
}

static void
test_not_object(void **state)
{
	static const char *const bad[] = {
		"1", "-1.5", "\"x\"", "null", "true", "false", "x", "<html>",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		expect_invalid(state, bad[i], 0, "not a JSON object");
		expect_invalid(state, bad[i], PROTO_V2, "not a JSON object");
	}
	/* Arrays are batches in protocol 2 only. */
	expect_invalid(state, "[]", 0, "not a JSON object");
	expect_invalid(state, "[{\"timestamp\": 1, \"value\": 2}]", 0,
	    "not a JSON object");
}

/* n objects nested: {"k":{"k":{}}} for n = 3. */
static char *
nest(int n)
{
	char *s = malloc(6 * (size_t)n + 3), *o = s;
	int i;

	assert_non_null(s);
	for (i = 1; i < n; i++)
		o += sprintf(o, "{\"k\":");
	o += sprintf(o, "{}");
	for (i = 1; i < n; i++)
		*o++ = '}';
	*o = '\0';
	return s;
}

static void
test_nesting(void **state)
{
	const struct proto_msg *m;
	char *deep, *msg;

	/* Eight levels are allowed, nine are not. */
	deep = nest(7);
	msg = format("{\"timestamp\": 1, \"value\": 2, \"x\": %s}", deep);
	expect_reply(state, msg, 0, "{\"timestamp\":1,\"anomaly\":0}");
	free(msg);
	free(deep);
	deep = nest(8);
	msg = format("{\"timestamp\": 1, \"value\": 2, \"x\": %s}", deep);
	expect_invalid(state, msg, 0, "JSON nested deeper than 8");
	m = parse(state, deep, 0);
	assert_int_equal(m->kind, PROTO_SETTINGS);
	free(msg);
	free(deep);
	deep = nest(9);
	expect_invalid(state, deep, 0, "JSON nested deeper than 8");
	free(deep);
	deep = nest(7);
	msg = format("[%s]", deep);
	m = parse(state, msg, PROTO_V2);
	assert_int_equal(m->kind, PROTO_BATCH);
	assert_string_equal(m->items[0].error, "missing timestamp");
	free(msg);
	free(deep);
	deep = nest(8);
	msg = format("[%s]", deep);
	expect_invalid(state, msg, PROTO_V2, "JSON nested deeper than 8");
	free(msg);
	free(deep);
	expect_invalid(state, "[[[{\"a\":[{\"b\":{\"c\":{\"d\":{}}}}]}]]]",
	    PROTO_V2, "JSON nested deeper than 8");
	m = parse(state, "[[[{\"a\":[{\"b\":{\"c\":{}}}]}]]]", PROTO_V2);
	assert_int_equal(m->kind, PROTO_BATCH);

	/* Far past LEJP's own stack, refused cleanly. */
	deep = repeat('[', 5000);
	expect_invalid(state, deep, PROTO_V2,
	    "JSON arrays nested deeper than 5");
	memset(deep, '{', 5000);
	expect_invalid(state, deep, 0, "invalid JSON");
	free(deep);
	deep = malloc(5 * 5000 + 1);
	assert_non_null(deep);
	for (msg = deep; msg < deep + 5 * 5000; msg += 5)
		memcpy(msg, "{\"a\":", 5);
	*msg = '\0';
	expect_invalid(state, deep, 0, "JSON nested deeper than 8");
	free(deep);

	/* LEJP counts at most 5 nested arrays. */
	m = parse(state, "{\"timestamp\": 1, \"value\": 2, \"a\": "
	    "[[[[[1]]]]]}", 0);
	assert_int_equal(m->kind, PROTO_POINT);
	expect_invalid(state, "{\"timestamp\": 1, \"value\": 2, \"a\": "
	    "[[[[[[1]]]]]]}", 0, "JSON arrays nested deeper than 5");

	/* But any number of arrays one after the other (LEJP lost count of
	 * them at the top level and refused the sixth). */
	m = parse(state, "{\"a\":[1],\"b\":[1],\"c\":[1],\"d\":[1],\"e\":[1],"
	    "\"f\":[1],\"g\":[[[[[1]]]]],\"h\":[[]],\"timestamp\":1,"
	    "\"value\":2}", 0);
	assert_int_equal(m->kind, PROTO_POINT);
	assert_null(m->point.error);
	m = parse(state, "[[],[],[],[],[],[],[],{\"timestamp\":1,\"value\":2,"
	    "\"a\":[1],\"b\":[1],\"c\":[1],\"d\":[1],\"e\":[1],\"f\":[[1]]}]",
	    PROTO_V2);
	assert_int_equal(m->kind, PROTO_BATCH);
	assert_int_equal(m->nitems, 8);
	assert_null(m->items[7].error);
}

static void
test_long_keys(void **state)
{
	static const size_t lens[] = { 65, 99, 100, 101, 127, 128, 129, 200,
	    255, 256, 257, 1000, 5000 };
	const struct proto_msg *m;
	char *k, *msg;
	size_t i;

	k = repeat('k', 64);
	msg = format("{\"%s\": 1, \"timestamp\": 1, \"value\": 2}", k);
	expect_reply(state, msg, 0, "{\"timestamp\":1,\"anomaly\":0}");
	free(msg);
	free(k);

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		k = repeat('k', lens[i]);
		msg = format("{\"%s\": 1, \"timestamp\": 1, \"value\": 2}", k);
		expect_invalid(state, msg, 0,
		    "object key longer than 64 bytes");
		free(msg);
		/* Where the point level is deeper, in a batch. */
		msg = format("[{\"timestamp\": 1, \"value\": 2, \"%s\": 3}]",
		    k);
		expect_invalid(state, msg, PROTO_V2,
		    "object key longer than 64 bytes");
		free(msg);
		/* As a nested key. */
		msg = format("{\"timestamp\": 1, \"value\": 2, \"a\": "
		    "{\"%s\": 3}}", k);
		expect_invalid(state, msg, 0,
		    "object key longer than 64 bytes");
		free(msg);
		free(k);
	}

	/* A long junk key must not make a later key match: the path LEJP
	 * keeps wraps at 256 bytes, and 256 junk bytes then "timestamp"
	 * would read as the key "timestamp" without the guard. */
	k = repeat('x', 256);
	msg = format("{\"%stimestamp\": 5, \"value\": 2}", k);
	m = parse(state, msg, 0);
	assert_int_equal(m->kind, PROTO_INVALID);
	assert_string_equal(m->error, "object key longer than 64 bytes");
	free(msg);
	msg = format("{\"%stimestamp\": 5, \"timestamp\": 1, \"value\": 2}",
	    k);
	m = parse(state, msg, 0);
	assert_int_equal(m->kind, PROTO_INVALID);
	free(msg);
	free(k);
	k = repeat('x', 1000);
	msg = format("{\"value\": 2, \"%s\": {\"timestamp\": 7}}", k);
	m = parse(state, msg, 0);
	assert_int_equal(m->kind, PROTO_INVALID);
	free(msg);
	free(k);

	/* Keys written with escapes count their decoded bytes. */
	k = repeat('k', 62);
	msg = format("{\"%s\\u0041\\u00e9\": 1, \"timestamp\": 1, "
	    "\"value\": 2}", k);
	expect_invalid(state, msg, 0, "object key longer than 64 bytes");
	free(msg);
	free(k);
	k = repeat('k', 60);
	msg = format("{\"%s\\u0041\\u0041\\u0041\\u0041\": 1, \"timestamp\": 1,"
	    " \"value\": 2}", k);
	expect_reply(state, msg, 0, "{\"timestamp\":1,\"anomaly\":0}");
	free(msg);
	free(k);

	/* Nested keys whose path passes 100 bytes. */
	k = repeat('k', 60);
	msg = format("{\"timestamp\": 1, \"value\": 2, \"%s\": {\"%s\": 1}}",
	    k, k);
	expect_invalid(state, msg, 0, "key path longer than 100 bytes");
	free(msg);
	free(k);

	/* The parser is fine afterwards. */
	expect_reply(state, "{\"timestamp\": 1, \"value\": 2}", 0,
	    "{\"timestamp\":1,\"anomaly\":0}");
}

static void
test_point_errors(void **state)
{
	char *t, *msg, *want;

	expect_point_error(state, "{\"value\": 2}", 0, "missing timestamp");
	expect_point_error(state, "{\"timestamp\": 1}", 0, "missing value");
	expect_point_error(state, "{\"timestamp\": 1, \"Value\": 2}", 0,
	    "missing value");
	expect_point_error(state, "{\"value\": \"abc\"}", 0,
	    "missing timestamp");
	expect_reply(state, "{\"timestamp\": 1}", 0,
	    "{\"error\":\"missing value\",\"timestamp\":1}");
	expect_reply(state, "{\"value\": 1}", 0,
	    "{\"error\":\"missing timestamp\"}");

	/* Values that are not finite numbers. */
	expect_point_error(state, "{\"timestamp\": 1, \"value\": \"abc\"}", 0,
	    "value is not a finite number");
	expect_point_error(state, "{\"timestamp\": 1, \"value\": \"5\"}", 0,
	    "value is not a finite number");
	expect_point_error(state, "{\"timestamp\": 1, \"value\": true}", 0,
	    "value is not a finite number");
	expect_point_error(state, "{\"timestamp\": 1, \"value\": false}", 0,
	    "value is not a finite number");
	expect_point_error(state, "{\"timestamp\": 1, \"value\": null}", 0,
	    "value is not a finite number");
	expect_point_error(state, "{\"timestamp\": 1, \"value\": 1e999}", 0,
	    "value is not a finite number");
	expect_point_error(state, "{\"timestamp\": 1, \"value\": -1e999}", 0,
	    "value is not a finite number");
	expect_point_error(state, "{\"timestamp\": 1, \"value\": [1]}", 0,
	    "value is not a finite number");
	expect_point_error(state, "{\"timestamp\": 1, \"value\": {\"a\": 1}}",
	    0, "value is not a finite number");
	expect_point_error(state, "{\"timestamp\": 1, \"value\": {}}", 0,
	    "value is not a finite number");
	/* But tiny values are finite (they round to 0 or a denormal). */
	expect_reply(state, "{\"timestamp\": 1, \"value\": 1e-999}", 0,
	    "{\"timestamp\":1,\"anomaly\":0}");

	/* Timestamps that are neither numbers nor strings. */
	expect_point_error(state, "{\"timestamp\": true, \"value\": 1}", 0,
	    "timestamp must be a number or a string");
	expect_point_error(state, "{\"timestamp\": null, \"value\": 1}", 0,
	    "timestamp must be a number or a string");
	expect_point_error(state, "{\"timestamp\": [1], \"value\": 1}", 0,
	    "timestamp must be a number or a string");
	expect_point_error(state, "{\"timestamp\": {\"a\": \"b\"}, "
	    "\"value\": 1}", 0, "timestamp must be a number or a string");
	expect_point_error(state, "{\"timestamp\": 1e999, \"value\": 1}", 0,
	    "timestamp is not a finite number");
	expect_reply(state, "{\"timestamp\": null, \"value\": 1}", 0,
	    "{\"error\":\"timestamp must be a number or a string\"}");

	/* Timestamp strings: 64 bytes, not 65; no control characters. */
	t = repeat('t', 64);
	msg = format("{\"timestamp\": \"%s\", \"value\": 1}", t);
	want = format("{\"timestamp\":\"%s\",\"anomaly\":0}", t);
	expect_reply(state, msg, 0, want);
	free(want);
	free(msg);
	free(t);
	t = repeat('t', 65);
	msg = format("{\"timestamp\": \"%s\", \"value\": 1}", t);
	expect_point_error(state, msg, 0,
	    "timestamp string longer than 64 bytes");
	expect_reply(state, msg, 0, "{\"error\":\"timestamp string longer "
	    "than 64 bytes\"}");
	free(msg);
	free(t);
	t = repeat('t', 3000);		/* many LEJP chunks */
	msg = format("{\"timestamp\": \"%s\", \"value\": 1}", t);
	expect_point_error(state, msg, 0,
	    "timestamp string longer than 64 bytes");
	free(msg);
	free(t);
	/* 63 ASCII bytes and a 2-byte character: 65 bytes. */
	t = repeat('t', 63);
	msg = format("{\"timestamp\": \"%s\\u00e9\", \"value\": 1}", t);
	expect_point_error(state, msg, 0,
	    "timestamp string longer than 64 bytes");
	free(msg);
	free(t);
	/* 16 characters of 4 bytes, each written as a surrogate pair (12
	 * bytes out of LEJP, 4 once joined): 64 bytes. */
	{
		char buf[512] = "{\"timestamp\": \"";
		int i;

		for (i = 0; i < 16; i++)
			strcat(buf, "\\ud83d\\ude00");
		strcat(buf, "\", \"value\": 1}");
		expect_reply(state, buf, 0, "{\"timestamp\":\"\xf0\x9f\x98\x80"
		    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
		    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
		    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
		    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
		    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\","
		    "\"anomaly\":0}");
	}
	expect_point_error(state, "{\"timestamp\": \"a\\u0001b\", "
	    "\"value\": 1}", 0, "timestamp string holds a control character");
	expect_point_error(state, "{\"timestamp\": \"a\\nb\", \"value\": 1}",
	    0, "timestamp string holds a control character");
	expect_point_error(state, "{\"timestamp\": \"a\\tb\", \"value\": 1}",
	    0, "timestamp string holds a control character");
	expect_point_error(state, "{\"timestamp\": \"\\u0000\", \"value\": 1}",
	    0, "timestamp string holds a control character");
	expect_point_error(state, "{\"timestamp\": \"\\u001f\", \"value\": 1}",
	    0, "timestamp string holds a control character");
	expect_reply(state, "{\"timestamp\": \"\\u0020\\u007f\", \"value\": 1}",
	    0, "{\"timestamp\":\" \x7f\",\"anomaly\":0}");
	/* Unpaired surrogates are not characters. */
	expect_point_error(state, "{\"timestamp\": \"\\ud83d\", \"value\": 1}",
	    0, "timestamp string is not valid UTF-8");
	expect_point_error(state, "{\"timestamp\": \"\\ude00\\ud83d\", "
	    "\"value\": 1}", 0, "timestamp string is not valid UTF-8");
	expect_point_error(state, "{\"timestamp\": \"\\ud83dx\", \"value\": 1}",
	    0, "timestamp string is not valid UTF-8");

	/* An empty timestamp string is a string. */
	expect_reply(state, "{\"timestamp\": \"\", \"value\": 1}", 0,
	    "{\"timestamp\":\"\",\"anomaly\":0}");
}

static void
test_classification(void **state)
{
	const struct proto_msg *m;

	/* Settings candidates: objects holding neither timestamp nor
	 * value, whatever else. */
	m = parse(state, "{}", 0);
	assert_int_equal(m->kind, PROTO_SETTINGS);
	assert_int_equal(m->hello.has, 0);
	assert_string_equal(m->hello.error, "");
	m = parse(state, " {\n} \t", PROTO_V2);
	assert_int_equal(m->kind, PROTO_SETTINGS);
	expect_invalid(state, "{} x", 0, "invalid JSON");
	expect_invalid(state, "{}{}", 0, "invalid JSON");
	m = parse(state, "{\"foo\": 1, \"bar\": [true]}", 0);
	assert_int_equal(m->kind, PROTO_SETTINGS);
	assert_int_equal(m->hello.has, 0);
	assert_string_equal(m->hello.error, "");
	m = parse(state, "{\"seq\": 1}", PROTO_V2);
	assert_int_equal(m->kind, PROTO_SETTINGS);

	/* Points: either key, whatever its value, and hello keys are then
	 * ignored, bad or not. */
	m = parse(state, "{\"timestamp\": null}", 0);
	assert_int_equal(m->kind, PROTO_POINT);
	m = parse(state, "{\"value\": null}", 0);
	assert_int_equal(m->kind, PROTO_POINT);
	m = parse(state, "{\"client_id\": \"bad id\", \"window\": 1, "
	    "\"timestamp\": 1, \"value\": 2, \"detectors\": [\"x\"]}", 0);
	assert_int_equal(m->kind, PROTO_POINT);
	assert_null(m->point.error);
	/* {} as a point of a batch is missing its timestamp. */
	m = parse(state, "[{}]", PROTO_V2);
	assert_int_equal(m->kind, PROTO_BATCH);
	assert_int_equal(m->nitems, 1);
	assert_string_equal(m->items[0].error, "missing timestamp");
}

static void
test_duplicate_keys(void **state)
{
	/* The last one wins, good or bad. */
	expect_reply(state, "{\"timestamp\": 1, \"value\": 2, "
	    "\"timestamp\": \"x\"}", 0, "{\"timestamp\":\"x\",\"anomaly\":0}");
	expect_reply(state, "{\"timestamp\": true, \"value\": \"abc\", "
	    "\"timestamp\": 5, \"value\": 3}", 0,
	    "{\"timestamp\":5,\"anomaly\":0}");
	expect_point_error(state, "{\"timestamp\": 5, \"value\": 3, "
	    "\"value\": \"abc\"}", 0, "value is not a finite number");
	expect_reply(state, "{\"timestamp\": 5, \"value\": 3, "
	    "\"timestamp\": [], \"value\": 1}", 0,
	    "{\"error\":\"timestamp must be a number or a string\"}");
	expect_reply(state, "{\"seq\": 0, \"timestamp\": 5, \"value\": 3, "
	    "\"seq\": 9}", PROTO_V2, "{\"seq\":9,\"timestamp\":5,"
	    "\"anomaly\":0}");
	{
		const struct proto_msg *m = parse(state, "{\"window\": 3, "
		    "\"window\": 40, \"client_id\": \"a\", \"client_id\": "
		    "\"b\", \"detectors\": [\"nope\"], \"detectors\": "
		    "[\"iqr\"], \"params\": {\"zscore.k\": 2}, \"params\": "
		    "{\"iqr.k\": 1.5, \"iqr.k\": 2.5}}", 0);

		assert_int_equal(m->kind, PROTO_SETTINGS);
		assert_string_equal(m->hello.error, "");
		assert_int_equal(m->hello.window, 40);
		assert_string_equal(m->hello.client_id, "b");
		assert_int_equal(m->hello.set.detectors, 1u << DETECT_IQR);
		assert_int_equal(m->hello.params, 1u << DETECT_P_IQR_K);
		assert_true(m->hello.set.param[DETECT_P_IQR_K] == 2.5);
	}
	{
		const struct proto_msg *m = parse(state, "{\"window\": 40, "
		    "\"window\": 3}", 0);

		assert_int_equal(m->kind, PROTO_SETTINGS);
		assert_string_equal(m->hello.error,
		    "window must be an integer from 4 to 100000");
	}
}

/* ------------------------------------------------------- strings, numbers */

static void
test_string_escapes(void **state)
{
	const struct proto_msg *m;
	char *t, *msg;

	expect_reply(state, "{\"timestamp\": \"\\u0041\", \"value\": 1}", 0,
	    "{\"timestamp\":\"A\",\"anomaly\":0}");
	m = parse(state, "{\"timestamp\": \"\\u0041\\u00e9\\u20ac\\ud83d\\ude00"
	    "\\uD834\\uDD1E\\\"\\\\\\/z\", \"value\": 1}", 0);
	assert_int_equal(m->kind, PROTO_POINT);
	assert_null(m->point.error);
	assert_int_equal(m->point.ts.type, PROTO_TS_TEXT);
	assert_string_equal(m->point.ts.text, "A\xc3\xa9\xe2\x82\xac"
	    "\xf0\x9f\x98\x80\xf0\x9d\x84\x9e\"\\/z");
	assert_int_equal(m->point.ts.len, 18);
	assert_string_equal(reply(state, &m->point), "{\"timestamp\":\"A"
	    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf0\x9d\x84\x9e\\\"\\\\/z\","
	    "\"anomaly\":0}");
	/* Raw UTF-8 passes through. */
	expect_reply(state, "{\"timestamp\": \"\xc3\xa9t\xc3\xa9\", "
	    "\"value\": 1}", 0, "{\"timestamp\":\"\xc3\xa9t\xc3\xa9\","
	    "\"anomaly\":0}");
	/* Boundaries of the 1-, 2- and 3-byte forms. */
	m = parse(state, "{\"timestamp\": \"\\u007f\\u0080\\u07ff\\u0800"
	    "\\uffff\\ud800\\udc00\\udbff\\udfff\", \"value\": 1}", 0);
	assert_null(m->point.error);
	assert_string_equal(m->point.ts.text, "\x7f\xc2\x80\xdf\xbf\xe0\xa0"
	    "\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf");

	/* A token across LEJP's string chunks (254 bytes), with a 2-byte
	 * character split by the chunk boundary. */
	t = repeat('a', 253);
	msg = format("{\"token\": \"%s\xc3\xa9\"}", t);
	m = parse(state, msg, 0);
	assert_int_equal(m->kind, PROTO_SETTINGS);
	assert_string_equal(m->hello.error, "");
	assert_int_equal(m->hello.token_len, 255);
	assert_memory_equal(m->hello.token, t, 253);
	assert_memory_equal(m->hello.token + 253, "\xc3\xa9", 3);
	free(msg);
	free(t);
	t = repeat('a', 256);
	msg = format("{\"token\": \"%s\"}", t);
	m = parse(state, msg, 0);
	assert_string_equal(m->hello.error, "");
	assert_int_equal(m->hello.token_len, 256);
	assert_string_equal(m->hello.token, t);
	free(msg);
	free(t);
	t = repeat('a', 257);
	msg = format("{\"token\": \"%s\"}", t);
	m = parse(state, msg, 0);
	assert_string_equal(m->hello.error, "token longer than 256 bytes");
	free(msg);
	free(t);
	/* A long string of an unknown key is skipped whole. */
	t = repeat('z', 10000);
	msg = format("{\"note\": \"%s\", \"timestamp\": \"\\u0041\", "
	    "\"value\": 1}", t);
	expect_reply(state, msg, 0, "{\"timestamp\":\"A\",\"anomaly\":0}");
	free(msg);
	free(t);
}

static void
test_number_echo(void **state)
{
	static const struct {
		const char *text;
		enum proto_ts_type type;
		int64_t i;
		double r;
	} cases[] = {
		{ "0", PROTO_TS_INTEGER, 0, 0 },
		{ "-0", PROTO_TS_INTEGER, 0, 0 },
		{ "1577923200", PROTO_TS_INTEGER, 1577923200, 1577923200 },
		{ "-17", PROTO_TS_INTEGER, -17, -17 },
		{ "9223372036854775807", PROTO_TS_INTEGER, INT64_MAX,
		    9223372036854775807.0 },
		{ "-9223372036854775808", PROTO_TS_INTEGER, INT64_MIN,
		    -9223372036854775808.0 },
		{ "9223372036854775808", PROTO_TS_REAL, 0,
		    9223372036854775808.0 },
		{ "-9223372036854775809", PROTO_TS_REAL, 0,
		    -9223372036854775809.0 },
		{ "12345678901234567890", PROTO_TS_REAL, 0,
		    12345678901234567890.0 },
		{ "1e5", PROTO_TS_REAL, 0, 1e5 },
		{ "1E5", PROTO_TS_REAL, 0, 1e5 },
		{ "1e+5", PROTO_TS_REAL, 0, 1e5 },
		{ "1.50", PROTO_TS_REAL, 0, 1.5 },
		{ "1.0", PROTO_TS_REAL, 0, 1.0 },
		{ "-0.0", PROTO_TS_REAL, 0, -0.0 },
		{ "1577923200.123", PROTO_TS_REAL, 0, 1577923200.123 },
		{ "-1.5e-3", PROTO_TS_REAL, 0, -1.5e-3 },
		{ "0.1", PROTO_TS_REAL, 0, 0.1 },
		{ "1e-400", PROTO_TS_REAL, 0, 0 },
		{ "1.7976931348623157e308", PROTO_TS_REAL, 0,
		    1.7976931348623157e308 },
		/* More than the 20 digits LEJP takes. */
		{ "123456789012345678901", PROTO_TS_REAL, 0,
		    123456789012345678901.0 },
		{ "0.00014240911002071264", PROTO_TS_REAL, 0,
		    0.00014240911002071264 },
		{ "-0.0000014240911002071264", PROTO_TS_REAL, 0,
		    -0.0000014240911002071264 },
		{ "100000000000000000000000000000", PROTO_TS_REAL, 0, 1e29 },
	};
	const struct proto_msg *m;
	char *msg, *want;
	size_t k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		msg = format("{\"timestamp\": %s, \"value\": 1}",
		    cases[k].text);
		m = parse(state, msg, 0);
		assert_int_equal(m->kind, PROTO_POINT);
		if (m->point.error != NULL)
			fail_msg("%s: %s", cases[k].text, m->point.error);
		if (m->point.ts.type != cases[k].type)
			fail_msg("%s: type %d", cases[k].text,
			    m->point.ts.type);
		if (cases[k].type == PROTO_TS_INTEGER)
			assert_true(m->point.ts.i == cases[k].i);
		if (m->point.ts.r != cases[k].r)
			fail_msg("%s: %.17g", cases[k].text, m->point.ts.r);
		assert_string_equal(m->point.ts.text, cases[k].text);
		want = format("{\"timestamp\":%s,\"anomaly\":0}",
		    cases[k].text);
		assert_string_equal(reply(state, &m->point), want);
		free(want);
		/* The error reply echoes it the same way. */
		free(msg);
		msg = format("{\"timestamp\": %s, \"value\": \"x\"}",
		    cases[k].text);
		m = parse(state, msg, 0);
		want = format("{\"error\":\"value is not a finite number\","
		    "\"timestamp\":%s}", cases[k].text);
		assert_string_equal(reply(state, &m->point), want);
		free(want);
		free(msg);
	}
	/* -0 is a negative zero. */
	m = parse(state, "{\"timestamp\": 1, \"value\": -0}", 0);
	assert_true(m->point.value == 0 && signbit(m->point.value));
}

/* A splitmix64 stream: fixed seeds, the same draws everywhere. */
static uint64_t
draw(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
test_value_numbers(void **state)
{
	static const char *const texts[] = {
		"75.09", "0", "-0", "0.1", "0.3", "1e-300", "5e-324",
		"4.9406564584124654e-324", "2.2250738585072014e-308",
		"1.7976931348623157e308", "123456789012345678",
		"9007199254740993",
		"0.000001", "1e22", "1e23", "8.589973e9", "3.14159265358979",
		"-2.5E-5", "1.00000000000000011", "0.30000000000000004",
		"0.00014240911002071264", "100000000000000000000",
		"2.225073858507201136057409796709131975934819546351645348e-308",
		"0.000000000000000000000000000000000000000000000000000000001",
	};
	uint64_t seed = 42;
	const struct proto_msg *m;
	char text[64], *msg;
	double d;
	size_t k;
	int i;

	for (k = 0; k < sizeof(texts) / sizeof(texts[0]); k++) {
		msg = format("{\"timestamp\": 1, \"value\": %s}", texts[k]);
		m = parse(state, msg, 0);
		assert_null(m->point.error);
		d = strtod(texts[k], NULL);
		if (memcmp(&d, &m->point.value, sizeof(d)) != 0)
			fail_msg("%s: %.17g, want %.17g", texts[k],
			    m->point.value, d);
		free(msg);
	}
	/* Random doubles of every magnitude and short decimals, each read as
	 * strtod() reads it. */
	for (i = 0; i < 20000; i++) {
		uint64_t u = draw(&seed);

		if (i % 2 == 0) {
			memcpy(&d, &u, sizeof(d));
			if (!isfinite(d))
				continue;
			snprintf(text, sizeof(text), "%.*g",
			    1 + (int)(draw(&seed) % 17), d);
		} else
			snprintf(text, sizeof(text), "%s%llu.%0*llu",
			    u & 1 ? "-" : "",
			    (unsigned long long)(draw(&seed) % 100000000),
			    (int)(1 + draw(&seed) % 9),
			    (unsigned long long)(draw(&seed) % 1000000000));
		msg = format("{\"timestamp\": 1, \"value\": %s}", text);
		m = parse(state, msg, 0);
		if (m->kind != PROTO_POINT || m->point.error != NULL)
			fail_msg("%s: not read", text);
		d = strtod(text, NULL);
		if (memcmp(&d, &m->point.value, sizeof(d)) != 0)
			fail_msg("%s: %.17g, want %.17g", text, m->point.value,
			    d);
		free(msg);
	}
}

static void
test_seq(void **state)
{
	const struct proto_msg *m;

	expect_reply(state, "{\"seq\": 1, \"timestamp\": 1, \"value\": 2}",
	    PROTO_V2, "{\"seq\":1,\"timestamp\":1,\"anomaly\":0}");
	m = parse(state, "{\"seq\": 9223372036854775807, \"timestamp\": 1, "
	    "\"value\": 2}", PROTO_V2);
	assert_null(m->point.error);
	assert_true(m->point.seq == INT64_MAX);
	/* Without protocol 2, seq is an unknown key: ignored, whatever it
	 * holds. */
	expect_reply(state, "{\"seq\": 1, \"timestamp\": 1, \"value\": 2}", 0,
	    "{\"timestamp\":1,\"anomaly\":0}");
	expect_reply(state, "{\"seq\": \"x\", \"timestamp\": 1, \"value\": 2}",
	    0, "{\"timestamp\":1,\"anomaly\":0}");
	/* Bad ones. */
	expect_reply(state, "{\"seq\": 0, \"timestamp\": 1, \"value\": 2}",
	    PROTO_V2, "{\"error\":\"seq must be a positive integer\","
	    "\"timestamp\":1}");
	expect_point_error(state, "{\"seq\": -1, \"timestamp\": 1, "
	    "\"value\": 2}", PROTO_V2, "seq must be a positive integer");
	expect_point_error(state, "{\"seq\": 1.5, \"timestamp\": 1, "
	    "\"value\": 2}", PROTO_V2, "seq must be a positive integer");
	expect_point_error(state, "{\"seq\": 1.0, \"timestamp\": 1, "
	    "\"value\": 2}", PROTO_V2, "seq must be a positive integer");
	expect_point_error(state, "{\"seq\": 1e3, \"timestamp\": 1, "
	    "\"value\": 2}", PROTO_V2, "seq must be a positive integer");
	expect_point_error(state, "{\"seq\": \"5\", \"timestamp\": 1, "
	    "\"value\": 2}", PROTO_V2, "seq must be a positive integer");
	expect_point_error(state, "{\"seq\": null, \"timestamp\": 1, "
	    "\"value\": 2}", PROTO_V2, "seq must be a positive integer");
	expect_point_error(state, "{\"seq\": 9223372036854775808, "
	    "\"timestamp\": 1, \"value\": 2}", PROTO_V2,
	    "seq must be a positive integer");
	/* A point error echoes a good seq, and the timestamp. */
	expect_reply(state, "{\"seq\": 7, \"timestamp\": \"t\", \"value\": "
	    "null}", PROTO_V2, "{\"error\":\"value is not a finite number\","
	    "\"timestamp\":\"t\",\"seq\":7}");
	expect_reply(state, "{\"seq\": 7, \"value\": 1}", PROTO_V2,
	    "{\"error\":\"missing timestamp\",\"seq\":7}");
}

/* ------------------------------------------------------------- batches */

static void
test_batch(void **state)
{
	struct fixture *f = *state;
	const struct proto_msg *m;
	struct detect_verdict v;
	size_t i, len;
	char *msg;

	m = parse(state, "[]", PROTO_V2);
	assert_int_equal(m->kind, PROTO_BATCH);
	assert_int_equal(m->nitems, 0);
	m = parse(state, " [ ] ", PROTO_V2);
	assert_int_equal(m->kind, PROTO_BATCH);
	assert_int_equal(m->nitems, 0);
	jsonbuf_clear(&f->b);
	proto_batch_begin(&f->b);
	proto_batch_end(&f->b);
	assert_string_equal(jsonbuf_text(&f->b), "[]");

	/* Bad elements among good ones, each in its place. */
	m = parse(state, "[{\"seq\": 1, \"timestamp\": 10, \"value\": 1},"
	    " 5, {\"seq\": 2, \"timestamp\": 11, \"value\": \"abc\"},"
	    " \"x\", [1, [2]], null, {},"
	    " {\"seq\": 3, \"timestamp\": 12, \"value\": 3.5, \"extra\": [1]},"
	    " {\"seq\": -4, \"timestamp\": 13, \"value\": 4},"
	    " {\"timestamp\": 14, \"value\": 5, \"client_id\": \"x y\"},"
	    " [], true, {\"seq\": 6, \"timestamp\": {}, \"value\": 6}]",
	    PROTO_V2);
	assert_int_equal(m->kind, PROTO_BATCH);
	assert_int_equal(m->nitems, 13);
	assert_null(m->items[0].error);
	assert_true(m->items[0].seq == 1 && m->items[0].value == 1);
	assert_string_equal(m->items[1].error, "not a JSON object");
	assert_string_equal(m->items[2].error, "value is not a finite number");
	assert_true(m->items[2].seq == 2);
	assert_string_equal(m->items[3].error, "not a JSON object");
	assert_string_equal(m->items[4].error, "not a JSON object");
	assert_string_equal(m->items[5].error, "not a JSON object");
	assert_string_equal(m->items[6].error, "missing timestamp");
	assert_null(m->items[7].error);
	assert_true(m->items[7].value == 3.5);
	assert_string_equal(m->items[8].error,
	    "seq must be a positive integer");
	assert_null(m->items[9].error);
	assert_string_equal(m->items[10].error, "not a JSON object");
	assert_string_equal(m->items[11].error, "not a JSON object");
	assert_string_equal(m->items[12].error,
	    "timestamp must be a number or a string");

	/* The reply, element by element. */
	memset(&v, 0, sizeof(v));
	jsonbuf_clear(&f->b);
	proto_batch_begin(&f->b);
	for (i = 0; i < 3; i++) {
		const struct proto_point *pt = &m->items[i];

		proto_batch_next(&f->b);
		if (pt->error != NULL)
			proto_format_error(&f->b, pt->error, &pt->ts, pt->seq);
		else
			proto_format_verdict(&f->b, &pt->ts, pt->seq, &v,
			    DETECT_DEFAULT_MASK, 0);
	}
	assert_int_equal(proto_batch_end(&f->b), 0);
	assert_string_equal(jsonbuf_text(&f->b), "[{\"seq\":1,"
	    "\"timestamp\":10,\"anomaly\":0},{\"error\":\"not a JSON "
	    "object\"},{\"error\":\"value is not a finite number\","
	    "\"timestamp\":11,\"seq\":2}]");

	/* A large batch grows the element array. */
	len = 0;
	msg = malloc(400000);
	assert_non_null(msg);
	len += (size_t)sprintf(msg + len, "[");
	for (i = 0; i < 5000; i++)
		len += (size_t)sprintf(msg + len, "%s{\"seq\":%zu,"
		    "\"timestamp\":%zu,\"value\":%zu.5}", i ? "," : "", i + 1,
		    1000 + i, i);
	len += (size_t)sprintf(msg + len, "]");
	m = parse_len(state, msg, len, PROTO_V2);
	assert_int_equal(m->kind, PROTO_BATCH);
	assert_int_equal(m->nitems, 5000);
	for (i = 0; i < 5000; i++) {
		assert_null(m->items[i].error);
		assert_true(m->items[i].seq == (int64_t)i + 1);
		assert_true(m->items[i].ts.i == (int64_t)(1000 + i));
		assert_true(m->items[i].value == (double)i + 0.5);
	}
	free(msg);

	/* Invalid JSON anywhere spoils the whole batch. */
	expect_invalid(state, "[{\"timestamp\": 1, \"value\": 2}, {\"timestamp"
	    "\": 1, \"value\": 2]", PROTO_V2, "invalid JSON");
	expect_invalid(state, "[{\"timestamp\": 1, \"value\": 2}, "
	    "{\"timestamp\": 1, \"value\": 2} # x\n]", PROTO_V2,
	    "invalid JSON");
	/* Hello keys in batch elements are unknown keys. */
	m = parse(state, "[{\"timestamp\": 1, \"value\": 2, \"window\": 0}, "
	    "{\"window\": 50}]", PROTO_V2);
	assert_int_equal(m->kind, PROTO_BATCH);
	assert_null(m->items[0].error);
	assert_string_equal(m->items[1].error, "missing timestamp");
}

/* --------------------------------------------------------------- hellos */

static void
test_hello_good(void **state)
{
	const struct proto_hello *h;
	struct detect_settings s;
	char *id, *msg;

	h = expect_hello(state, "{\"client_id\": \"web01\", \"window\": 1000, "
	    "\"version\": 2, \"detail\": false, \"token\": \"s3cr\\u00e9t\", "
	    "\"detectors\": [\"zscore\", \"mzscore\", \"zscore\"], "
	    "\"vote\": \"2\", \"alert\": \"mzscore\", \"params\": "
	    "{\"zscore.k\": 4.5, \"ma.m\": 7, \"holdoff\": 0}, "
	    "\"unknown\": {\"deep\": [1, {\"x\": null}]}, \"also\": \"x\"}",
	    "");
	assert_int_equal(h->has, PROTO_HAS_CLIENT_ID | PROTO_HAS_WINDOW |
	    PROTO_HAS_VERSION | PROTO_HAS_DETAIL | PROTO_HAS_TOKEN |
	    PROTO_HAS_DETECTORS | PROTO_HAS_VOTE | PROTO_HAS_ALERT |
	    PROTO_HAS_PARAMS);
	assert_string_equal(h->client_id, "web01");
	assert_int_equal(h->window, 1000);
	assert_int_equal(h->detail, 0);
	assert_string_equal(h->token, "s3cr\xc3\xa9t");
	assert_int_equal(h->token_len, 7);
	assert_int_equal(h->set.detectors,
	    (1u << DETECT_ZSCORE) | (1u << DETECT_MZSCORE));
	assert_int_equal(h->set.vote, DETECT_VOTE_ATLEAST);
	assert_int_equal(h->set.vote_k, 2);
	assert_int_equal(h->set.alert, DETECT_ALERT_DETECTOR + DETECT_MZSCORE);
	assert_int_equal(h->params, (1u << DETECT_P_ZSCORE_K) |
	    (1u << DETECT_P_MA_M) | (1u << DETECT_P_HOLDOFF));
	assert_true(h->set.param[DETECT_P_ZSCORE_K] == 4.5);
	assert_true(h->set.param[DETECT_P_MA_M] == 7);
	assert_true(h->set.param[DETECT_P_HOLDOFF] == 0);

	assert_int_equal(h->claim, 0);
	assert_int_equal(h->key_len, 0);
	h = expect_hello(state, "{\"client_id\": \"web01\", \"claim\": true, "
	    "\"key\": \"00ff\"}", "");
	assert_int_equal(h->has, PROTO_HAS_CLIENT_ID | PROTO_HAS_CLAIM |
	    PROTO_HAS_KEY);
	assert_int_equal(h->claim, 1);
	assert_string_equal(h->key, "00ff");
	assert_int_equal(h->key_len, 4);
	h = expect_hello(state, "{\"client_id\": \"web01\", \"window\": 1000, "
	    "\"version\": 2, \"detail\": false, \"token\": \"s3cr\\u00e9t\", "
	    "\"detectors\": [\"zscore\", \"mzscore\", \"zscore\"], "
	    "\"vote\": \"2\", \"alert\": \"mzscore\", \"params\": "
	    "{\"zscore.k\": 4.5, \"ma.m\": 7, \"holdoff\": 0}}", "");

	/* Applied over stored settings: only what it gives changes. */
	detect_settings_default(&s, 50);
	s.param[DETECT_P_IQR_K] = 2;
	proto_hello_apply(h, &s);
	assert_int_equal(s.window, 1000);
	assert_int_equal(s.detectors,
	    (1u << DETECT_ZSCORE) | (1u << DETECT_MZSCORE));
	assert_int_equal(s.vote, DETECT_VOTE_ATLEAST);
	assert_true(s.param[DETECT_P_ZSCORE_K] == 4.5);
	assert_true(s.param[DETECT_P_IQR_K] == 2);
	assert_true(s.param[DETECT_P_EWMA_L] == 6);
	assert_int_equal(detect_settings_check(&s, NULL, 0), 0);

	h = expect_hello(state, "{\"params\": {\"iqr.k\": 1}}", "");
	detect_settings_default(&s, 50);
	proto_hello_apply(h, &s);
	assert_int_equal(s.window, 50);
	assert_int_equal(s.detectors, DETECT_DEFAULT_MASK);
	assert_true(s.param[DETECT_P_IQR_K] == 1);

	/* client_id shapes: every allowed character, 1 and 64 bytes. */
	h = expect_hello(state, "{\"client_id\": \"AZaz09._:-\", "
	    "\"window\": 4}", "");
	assert_string_equal(h->client_id, "AZaz09._:-");
	assert_int_equal(h->window, 4);
	expect_hello(state, "{\"client_id\": \"x\"}", "");
	id = repeat('i', 64);
	msg = format("{\"client_id\": \"%s\", \"window\": 100000}", id);
	h = expect_hello(state, msg, "");
	assert_string_equal(h->client_id, id);
	assert_int_equal(h->window, MAX_WINDOW);
	free(msg);
	free(id);
	/* Written with escapes it is the same id. */
	h = expect_hello(state, "{\"client_id\": \"\\u0041b\"}", "");
	assert_string_equal(h->client_id, "Ab");
	expect_hello(state, "{\"detail\": true}", "");
	expect_hello(state, "{\"detectors\": [\"zscore\", \"iqr\", \"ewma\", "
	    "\"ma\", \"iforest\", \"mzscore\"], \"vote\": \"all\", "
	    "\"alert\": \"vote\"}", "");
}

/* "preset": a known name sets what the preset sets, before the hello's
 * own keys (which win); another name, or not a string, is refused. */
static void
test_hello_preset(void **state)
{
	const struct proto_hello *h;
	struct detect_settings s;

	h = expect_hello(state, "{\"client_id\": \"p\", \"window\": 50, "
	    "\"preset\": \"prices\", \"params\": {\"moves.k\": 8}}", "");
	assert_true(h->has & PROTO_HAS_PRESET);
	detect_settings_default(&s, 10);
	proto_hello_apply(h, &s);
	assert_int_equal(s.alert, DETECT_ALERT_DETECTOR + DETECT_MOVES);
	assert_true(s.param[DETECT_P_MOVES_K] == 8);
	assert_true(s.param[DETECT_P_HOLDOFF] == 30);
	assert_int_equal(s.detectors, DETECT_DEFAULT_MASK);
	assert_int_equal(s.window, 50);
	h = expect_hello(state, "{\"preset\": \"prices\", \"alert\": \"vote\"}",
	    "");
	detect_settings_default(&s, 10);
	proto_hello_apply(h, &s);
	assert_int_equal(s.alert, DETECT_ALERT_VOTE);
	expect_hello(state, "{\"preset\": \"bonds\"}",
	    "unknown preset 'bonds'");
	expect_hello(state, "{\"preset\": 1}", "preset must be a string");
}

static void
test_hello_bad(void **state)
{
	static const char id_rule[] =
	    "client_id must be 1 to 64 bytes of A-Z a-z 0-9 . _ : -";
	static const char win_rule[] =
	    "window must be an integer from 4 to 100000";
	static const char *const bad_ids[] = {
		"\"\"", "\"a b\"", "\"a/b\"", "\"a\\\\b\"", "\"../x\"",
		"\"a\\u0000b\"", "\"\xc3\xa9t\xc3\xa9\"", "\"a\\nb\"",
		"\"a;rm\"", "\"$HOME\"", "\"a\\\"b\"", "\"a,b\"", "\"a@b\"",
		"\"\\ud83d\\ude00\"", "7", "null", "true", "[\"a\"]",
		"{\"a\": 1}",
	};
	static const char *const bad_windows[] = {
		"0", "-1", "3", "100001", "4294967296", "18446744073709551617",
		"99999999999999999999", "1.5", "4.0", "1e2", "\"50\"", "null",
		"true", "[50]", "-0",
	};
	char *id, *msg;
	size_t i;

	for (i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		msg = format("{\"client_id\": %s, \"window\": 50}", bad_ids[i]);
		expect_hello(state, msg, id_rule);
		free(msg);
	}
	id = repeat('i', 65);
	msg = format("{\"client_id\": \"%s\", \"window\": 50}", id);
	expect_hello(state, msg, id_rule);
	free(msg);
	free(id);
	id = repeat('i', 600);		/* longer than what is kept */
	msg = format("{\"client_id\": \"%s\"}", id);
	expect_hello(state, msg, id_rule);
	free(msg);
	free(id);

	for (i = 0; i < sizeof(bad_windows) / sizeof(bad_windows[0]); i++) {
		msg = format("{\"client_id\": \"a\", \"window\": %s}",
		    bad_windows[i]);
		expect_hello(state, msg, win_rule);
		free(msg);
	}

	expect_hello(state, "{\"version\": 1}", "version must be 2");
	expect_hello(state, "{\"version\": 3}", "version must be 2");
	expect_hello(state, "{\"version\": 2.0}", "version must be 2");
	expect_hello(state, "{\"version\": \"2\"}", "version must be 2");
	expect_hello(state, "{\"version\": 20}", "version must be 2");
	expect_hello(state, "{\"detail\": 1}", "detail must be true or false");
	expect_hello(state, "{\"detail\": \"true\"}",
	    "detail must be true or false");
	expect_hello(state, "{\"claim\": 1}", "claim must be true or false");
	expect_hello(state, "{\"key\": 5}", "key must be a string");
	expect_hello(state, "{\"key\": \"0123456789012345678901234567890123"
	    "4567890123456789012345678901234\"}", "key longer than 64 bytes");
	expect_hello(state, "{\"token\": 5}", "token must be a string");
	expect_hello(state, "{\"token\": \"\\udc00\"}",
	    "token is not valid UTF-8");
	expect_hello(state, "{\"detectors\": [\"zscore\", \"nope\"]}",
	    "unknown detector 'nope'");
	expect_hello(state, "{\"detectors\": [\"ZSCORE\"]}",
	    "unknown detector 'ZSCORE'");
	expect_hello(state, "{\"detectors\": [\"zscore\\u0000\"]}",
	    "unknown detector 'zscore?'");
	expect_hello(state, "{\"detectors\": [\"zscore,iqr\"]}",
	    "unknown detector 'zscore,iqr'");
	expect_hello(state, "{\"detectors\": [\"abcdefghijabcdefghijabcdefghij"
	    "abcdefghij\"]}",
	    "unknown detector 'abcdefghijabcdefghijabcdefghijab...'");
	expect_hello(state, "{\"detectors\": []}",
	    "detectors must name at least one detector");
	expect_hello(state, "{\"detectors\": \"zscore\"}",
	    "detectors must be an array of detector names");
	expect_hello(state, "{\"detectors\": [\"zscore\", 1]}",
	    "detectors must be an array of detector names");
	expect_hello(state, "{\"detectors\": [[\"zscore\"]]}",
	    "detectors must be an array of detector names");
	expect_hello(state, "{\"detectors\": {\"zscore\": true}}",
	    "detectors must be an array of detector names");
	expect_hello(state, "{\"vote\": \"most\"}",
	    "vote must be any, majority, all or a count from 1 to 10, "
	    "not 'most'");
	expect_hello(state, "{\"vote\": \"11\"}",
	    "vote must be any, majority, all or a count from 1 to 10, not '11'");
	expect_hello(state, "{\"vote\": 2}", "vote must be a string");
	expect_hello(state, "{\"vote\": \"any\\u0000\"}",
	    "vote must be any, majority, all or a count from 1 to 10, "
	    "not 'any?'");
	expect_hello(state, "{\"alert\": \"likelihood\"}",
	    "alert must be vote, a detector name or a comma-separated list of "
	    "them, not 'likelihood'");
	expect_hello(state, "{\"alert\": [\"vote\"]}",
	    "alert must be a string");
	expect_hello(state, "{\"params\": {\"zscore.q\": 1}}",
	    "unknown parameter 'zscore.q'");
	expect_hello(state, "{\"params\": {\"zscore.k\": \"4\"}}",
	    "zscore.k must be a number");
	expect_hello(state, "{\"params\": {\"zscore.k\": null}}",
	    "zscore.k must be a number");
	expect_hello(state, "{\"params\": {\"zscore.k\": [4]}}",
	    "zscore.k must be a number");
	expect_hello(state, "{\"params\": {\"zscore.k\": 0}}",
	    "zscore.k must be a number above 0 and at most 1000000000");
	expect_hello(state, "{\"params\": {\"ma.m\": 2.5}}",
	    "ma.m must be a whole number");
	expect_hello(state, "{\"params\": {\"ewma.lambda\": 1e999}}",
	    "ewma.lambda must be a number above 0 and at most 1");
	expect_hello(state, "{\"params\": [1]}", "params must be an object");
	expect_hello(state, "{\"params\": \"zscore.k=4\"}",
	    "params must be an object");
	/* Errors name the first bad key in the order of the hello keys. */
	expect_hello(state, "{\"params\": {\"x\": 1}, \"window\": 2, "
	    "\"client_id\": \"a b\"}", id_rule);
	expect_hello(state, "{\"params\": {\"x\": 1, \"y\": 2}, \"vote\": 1}",
	    "vote must be a string");
	expect_hello(state, "{\"params\": {\"x\": 1, \"y\": 2}}",
	    "unknown parameter 'x'");
	/* Unknown top-level keys are ignored, hello keys are case-sensitive
	 * and only read at the top. */
	expect_hello(state, "{\"Window\": 0, \"clientId\": \"a b\", "
	    "\"nested\": {\"window\": 0, \"client_id\": \"a b\"}}", "");
}

static void
test_validators(void **state)
{
	static const char *const good_ids[] = { "a", "web01", "AAPL_close",
	    "sensor-7", "a.b:c_d-e", "0" };
	static const char *const bad_ids[] = { "", "a b", "a/b", "a%20b",
	    "\xc3\xa9", "a\nb", "a+b" };
	char err[PROTO_ERR_MAX];
	uint32_t w;
	size_t i;
	char *id;

	(void)state;
	for (i = 0; i < sizeof(good_ids) / sizeof(good_ids[0]); i++)
		assert_int_equal(proto_check_client_id(good_ids[i],
		    strlen(good_ids[i]), err, sizeof(err)), 0);
	for (i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		err[0] = '\0';
		assert_int_equal(proto_check_client_id(bad_ids[i],
		    strlen(bad_ids[i]), err, sizeof(err)), -1);
		assert_string_equal(err, "client_id must be 1 to 64 bytes of "
		    "A-Z a-z 0-9 . _ : -");
	}
	assert_int_equal(proto_check_client_id("a\0b", 3, NULL, 0), -1);
	id = repeat('x', 65);
	assert_int_equal(proto_check_client_id(id, 64, NULL, 0), 0);
	assert_int_equal(proto_check_client_id(id, 65, NULL, 0), -1);
	free(id);

	assert_int_equal(proto_parse_window("1000", 4, MAX_WINDOW, &w, err,
	    sizeof(err)), 0);
	assert_int_equal(w, 1000);
	assert_int_equal(proto_parse_window("4", 1, MAX_WINDOW, &w, NULL, 0),
	    0);
	assert_int_equal(w, 4);
	assert_int_equal(proto_parse_window("0100000", 7, MAX_WINDOW, &w,
	    NULL, 0), 0);
	assert_int_equal(w, MAX_WINDOW);
	w = 7;
	assert_int_equal(proto_parse_window("100001", 6, MAX_WINDOW, &w, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "window must be an integer from 4 to 100000");
	assert_int_equal(w, 7);
	assert_int_equal(proto_parse_window("3", 1, MAX_WINDOW, &w, NULL, 0),
	    -1);
	assert_int_equal(proto_parse_window("", 0, MAX_WINDOW, &w, NULL, 0),
	    -1);
	assert_int_equal(proto_parse_window("-5", 2, MAX_WINDOW, &w, NULL, 0),
	    -1);
	assert_int_equal(proto_parse_window("+50", 3, MAX_WINDOW, &w, NULL, 0),
	    -1);
	assert_int_equal(proto_parse_window("50 ", 3, MAX_WINDOW, &w, NULL, 0),
	    -1);
	assert_int_equal(proto_parse_window("5e1", 3, MAX_WINDOW, &w, NULL, 0),
	    -1);
	assert_int_equal(proto_parse_window("99999999999999999999999", 23,
	    MAX_WINDOW, &w, NULL, 0), -1);
	/* The digits are len bytes, not a C string. */
	assert_int_equal(proto_parse_window("12345", 2, MAX_WINDOW, &w, NULL,
	    0), 0);
	assert_int_equal(w, 12);
	/* max_window is clamped to what the detectors allow. */
	assert_int_equal(proto_parse_window("10000001", 8, UINT32_MAX, &w,
	    NULL, 0), -1);
	assert_int_equal(proto_parse_window("10000000", 8, UINT32_MAX, &w,
	    NULL, 0), 0);
}

/* --------------------------------------------------------- formatting */

static void
test_format_strings(void **state)
{
	struct fixture *f = *state;
	struct proto_ts ts;
	char *s;

	jsonbuf_clear(&f->b);
	jsonbuf_put_string(&f->b, "</script><!--", 13);
	assert_string_equal(jsonbuf_text(&f->b),
	    "\"\\u003c/script\\u003e\\u003c!--\"");
	jsonbuf_clear(&f->b);
	jsonbuf_put_string(&f->b, "a\"b\\c/d&e'f", 11);
	assert_string_equal(jsonbuf_text(&f->b),
	    "\"a\\\"b\\\\c/d\\u0026e'f\"");
	jsonbuf_clear(&f->b);
	jsonbuf_put_string(&f->b, "\0\x01\b\t\n\v\f\r\x1f\x7f", 10);
	assert_string_equal(jsonbuf_text(&f->b),
	    "\"\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f\x7f\"");
	jsonbuf_clear(&f->b);
	jsonbuf_put_string(&f->b, "\xe2\x80\xa8\xe2\x80\xa9\xe2\x82\xac", 9);
	assert_string_equal(jsonbuf_text(&f->b),
	    "\"\\u2028\\u2029\xe2\x82\xac\"");
	/* Bytes that are not UTF-8 become U+FFFD, one each. */
	jsonbuf_clear(&f->b);
	jsonbuf_put_string(&f->b, "a\xff" "b\xc3" "c\xed\xa0\x80" "d\xc0\xaf"
	    "\xf0\x9f\x98", 14);
	assert_string_equal(jsonbuf_text(&f->b), "\"a\\ufffdb\\ufffdc"
	    "\\ufffd\\ufffd\\ufffdd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");
	jsonbuf_clear(&f->b);
	jsonbuf_put_string(&f->b, "", 0);
	assert_string_equal(jsonbuf_text(&f->b), "\"\"");

	/* In errors and in echoed timestamps. */
	jsonbuf_clear(&f->b);
	assert_int_equal(proto_ts_text(&ts, "</script>\"\\", 11), 0);
	proto_format_error(&f->b, "not stored: \"disk\" </script>\n", &ts, 3);
	assert_string_equal(jsonbuf_text(&f->b), "{\"error\":\"not stored: "
	    "\\\"disk\\\" \\u003c/script\\u003e\\n\",\"timestamp\":"
	    "\"\\u003c/script\\u003e\\\"\\\\\",\"seq\":3}");
	/* A hostile timestamp, parsed and echoed. */
	expect_reply(state, "{\"timestamp\": \"</script>\\\"\\\\\\u007f&\", "
	    "\"value\": 1}", 0, "{\"timestamp\":\"\\u003c/script\\u003e"
	    "\\\"\\\\\x7f\\u0026\",\"anomaly\":0}");
	/* Long strings grow the buffer. */
	s = repeat('<', 100000);
	jsonbuf_clear(&f->b);
	assert_int_equal(jsonbuf_put_string(&f->b, s, 100000), 0);
	assert_int_equal(f->b.len, 600002);
	assert_int_equal(strlen(jsonbuf_text(&f->b)), 600002);
	free(s);
}

static void
test_format_verdict(void **state)
{
	struct fixture *f = *state;
	struct detect_verdict v;
	struct proto_ts ts;

	memset(&v, 0, sizeof(v));
	v.anomaly = 1;
	v.alert = 1;
	v.votes = (1u << DETECT_ZSCORE) | (1u << DETECT_EWMA) |
	    (1u << DETECT_MZSCORE);
	v.score = 2.0 / 3;
	proto_ts_integer(&ts, -5);
	jsonbuf_clear(&f->b);
	assert_int_equal(proto_format_verdict(&f->b, &ts, 0, &v,
	    (1u << DETECT_ZSCORE) | (1u << DETECT_EWMA) |
	    (1u << DETECT_MZSCORE), PROTO_DETAIL), 0);
	assert_string_equal(jsonbuf_text(&f->b), "{\"timestamp\":-5,"
	    "\"anomaly\":1,\"alert\":1,\"score\":0.6666666666666666,"
	    "\"votes\":{\"zscore\":1,\"ewma\":1,\"mzscore\":1}}");

	/* Read back from the database: reals keep a fraction, a duplicate
	 * says so. */
	v.votes = 1u << DETECT_IQR;
	v.anomaly = 0;
	v.alert = 0;
	v.score = 0.2;
	proto_ts_real(&ts, 1577923200);
	jsonbuf_clear(&f->b);
	proto_format_verdict(&f->b, &ts, 12, &v, DETECT_DEFAULT_MASK,
	    PROTO_DETAIL | PROTO_DUPLICATE);
	assert_string_equal(jsonbuf_text(&f->b), "{\"seq\":12,"
	    "\"timestamp\":1577923200.0,\"anomaly\":0,\"alert\":0,"
	    "\"score\":0.2,\"votes\":{\"zscore\":0,\"iqr\":1,\"ewma\":0,"
	    "\"ma\":0,\"iforest\":0},\"duplicate\":1}");
	/* The default settings: the voting detectors and those of the alert
	 * source, so that an alert says which one fired. */
	{
		struct detect_settings set;

		detect_settings_default(&set, 100);
		v.votes = (1u << DETECT_ZSCORE) | (1u << DETECT_SPATIAL) |
		    (1u << DETECT_NOVELTY_LONG);
		v.alert = 1;
		jsonbuf_clear(&f->b);
		proto_format_verdict(&f->b, &ts, 12, &v,
		    detect_computed_mask(&set), PROTO_DETAIL);
		assert_string_equal(jsonbuf_text(&f->b), "{\"seq\":12,"
		    "\"timestamp\":1577923200.0,\"anomaly\":0,\"alert\":1,"
		    "\"score\":0.2,\"votes\":{\"zscore\":1,\"iqr\":0,"
		    "\"ewma\":0,\"ma\":0,\"iforest\":0,\"spatial\":1,"
		    "\"novelty\":0,\"novelty_long\":1}}");
		/* --alert vote: only the voting detectors */
		set.alert = DETECT_ALERT_VOTE;
		assert_int_equal(detect_computed_mask(&set),
		    DETECT_DEFAULT_MASK);
		v.votes = 1u << DETECT_IQR;
		v.alert = 0;
	}
	proto_ts_real(&ts, 0.1 + 0.2);
	jsonbuf_clear(&f->b);
	proto_format_verdict(&f->b, &ts, 12, &v, 0, PROTO_DUPLICATE);
	assert_string_equal(jsonbuf_text(&f->b), "{\"seq\":12,"
	    "\"timestamp\":0.30000000000000004,\"anomaly\":0,"
	    "\"duplicate\":1}");
	proto_ts_integer(&ts, INT64_MIN);
	jsonbuf_clear(&f->b);
	proto_format_verdict(&f->b, &ts, 0, &v, 0, 0);
	assert_string_equal(jsonbuf_text(&f->b),
	    "{\"timestamp\":-9223372036854775808,\"anomaly\":0}");
	assert_int_equal(proto_ts_text(&ts, "2014-07-01 00:00:00", 19), 0);
	jsonbuf_clear(&f->b);
	proto_format_verdict(&f->b, &ts, 0, &v, 0, 0);
	assert_string_equal(jsonbuf_text(&f->b),
	    "{\"timestamp\":\"2014-07-01 00:00:00\",\"anomaly\":0}");
	assert_int_equal(proto_ts_text(&ts, "x", PROTO_TS_MAX + 1), -1);
	assert_int_equal(ts.type, PROTO_TS_NONE);
	/* No timestamp at all, score 1 and warm-up. */
	v.score = 1;
	v.warmup = 1;
	jsonbuf_clear(&f->b);
	proto_format_verdict(&f->b, &ts, 0, &v, 1u << DETECT_MA,
	    PROTO_DETAIL);
	assert_string_equal(jsonbuf_text(&f->b), "{\"anomaly\":0,"
	    "\"alert\":0,\"score\":1.0,\"votes\":{\"ma\":0},\"warmup\":true}");
	/* Without detail, warm-up is not shown. */
	jsonbuf_clear(&f->b);
	proto_format_verdict(&f->b, NULL, 0, &v, 1u << DETECT_MA, 0);
	assert_string_equal(jsonbuf_text(&f->b), "{\"anomaly\":0}");

	jsonbuf_clear(&f->b);
	proto_format_error(&f->b, "hello already received", NULL, 0);
	assert_string_equal(jsonbuf_text(&f->b),
	    "{\"error\":\"hello already received\"}");
	jsonbuf_clear(&f->b);
	proto_format_ready(&f->b, "a\"b", 4, 0, 0, NULL);
	assert_string_equal(jsonbuf_text(&f->b), "{\"ready\":true,"
	    "\"client_id\":\"a\\\"b\",\"window\":4,\"last_seq\":0,"
	    "\"points\":0,\"last_timestamp\":null}");
}

/* The shortest of %.15g, %.16g, %.17g that reads back as d. */
static void
shortest(char *out, double d)
{
	int prec;

	for (prec = 15; prec <= 17; prec++) {
		snprintf(out, 40, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			return;
	}
}

static void
test_format_double(void **state)
{
	static const struct {
		double d;
		const char *text;
	} cases[] = {
		{ 0, "0" }, { -0.0, "-0" }, { 1, "1" }, { -1, "-1" },
		{ 0.1, "0.1" }, { 0.4, "0.4" }, { 0.6, "0.6" },
		{ 1.0 / 3, "0.3333333333333333" },
		{ 2.0 / 3, "0.6666666666666666" },
		{ 0.1 + 0.2, "0.30000000000000004" }, { 75.09, "75.09" },
		{ 1e15, "1e+15" }, { 999999999999999, "999999999999999" },
		{ 1e21, "1e+21" }, { 1e-5, "1e-05" }, { 0.0001, "0.0001" },
		{ 123.456, "123.456" }, { -0.000123, "-0.000123" },
		{ 5e-324, "4.94065645841247e-324" },
		{ 1.7976931348623157e308, "1.7976931348623157e+308" },
		{ 9007199254740993.0, "9007199254740992" },
		{ 1577923200.123, "1577923200.123" },
		{ INFINITY, "null" }, { NAN, "null" },
	};
	struct fixture *f = *state;
	uint64_t seed = 7;
	char want[40];
	double d, back;
	size_t k;
	int i;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		jsonbuf_clear(&f->b);
		assert_int_equal(jsonbuf_put_double(&f->b, cases[k].d), 0);
		assert_string_equal(jsonbuf_text(&f->b), cases[k].text);
	}
	/* Random doubles and short decimals: each reads back exactly and is
	 * no longer than the shortest of %.15g, %.16g, %.17g. */
	for (i = 0; i < 50000; i++) {
		uint64_t u = draw(&seed);

		switch (i % 3) {
		case 0:
			memcpy(&d, &u, sizeof(d));
			if (!isfinite(d))
				continue;
			break;
		case 1:
			d = (double)(u % 100000000) /
			    (double)(1 + draw(&seed) % 1000000);
			break;
		default:
			d = (double)(int64_t)(u % 2000000000) / 1000.0 -
			    1e6;
			break;
		}
		jsonbuf_clear(&f->b);
		jsonbuf_put_double(&f->b, d);
		back = strtod(jsonbuf_text(&f->b), NULL);
		if (memcmp(&back, &d, sizeof(d)) != 0)
			fail_msg("%.17g written as %s", d,
			    jsonbuf_text(&f->b));
		shortest(want, d);
		if (f->b.len > strlen(want))
			fail_msg("%.17g written as %s, longer than %s", d,
			    jsonbuf_text(&f->b), want);
		/* And it is JSON: the parser reads it as a value. */
		if (i % 50 == 0) {
			char *msg = format("{\"timestamp\": %s, \"value\": %s}",
			    jsonbuf_text(&f->b), jsonbuf_text(&f->b));
			const struct proto_msg *m = parse(state, msg, 0);

			assert_null(m->point.error);
			assert_memory_equal(&m->point.value, &d, sizeof(d));
			free(msg);
		}
	}
}

static void
test_buf(void **state)
{
	struct jsonbuf b;
	struct detect_verdict v;
	char *mem;

	(void)state;
	jsonbuf_init(&b, 16);
	assert_null(jsonbuf_text(&b));
	assert_int_equal(proto_batch_begin(&b), 0);
	assert_int_equal(proto_batch_next(&b), 0);
	memset(&v, 0, sizeof(v));
	proto_format_verdict(&b, NULL, 1, &v, 0, 0);
	assert_int_equal(proto_batch_next(&b), 0);
	proto_format_verdict(&b, NULL, 2, &v, 0, 0);
	assert_int_equal(proto_batch_end(&b), 0);
	/* The text starts after the headroom. */
	assert_ptr_equal(jsonbuf_text(&b), b.mem + 16);
	assert_string_equal(jsonbuf_text(&b),
	    "[{\"seq\":1,\"anomaly\":0},{\"seq\":2,\"anomaly\":0}]");
	assert_int_equal(b.len, strlen(jsonbuf_text(&b)));
	/* Clear keeps the memory. */
	mem = b.mem;
	jsonbuf_clear(&b);
	assert_int_equal(b.len, 0);
	assert_ptr_equal(b.mem, mem);
	assert_string_equal(jsonbuf_text(&b), "");
	/* Raw bytes go in as they are, NULs and quotes included. */
	assert_int_equal(jsonbuf_put_raw(&b, "<a \"b\">\0z", 9), 0);
	assert_int_equal(b.len, 9);
	assert_memory_equal(jsonbuf_text(&b), "<a \"b\">\0z", 10);
	jsonbuf_free(&b);
	assert_null(b.mem);
	assert_int_equal(b.headroom, 16);
	jsonbuf_free(&b);
}

/* ------------------------------------------------------------ settings */

static int
settings_equal(const struct detect_settings *a,
    const struct detect_settings *b)
{
	unsigned k;

	if (a->window != b->window || a->detectors != b->detectors ||
	    a->vote != b->vote || a->alert != b->alert)
		return 0;
	if (a->vote == DETECT_VOTE_ATLEAST && a->vote_k != b->vote_k)
		return 0;
	for (k = 0; k < DETECT_PARAMS; k++)
		if (memcmp(&a->param[k], &b->param[k], sizeof(double)) != 0)
			return 0;
	return 1;
}

static int
settings_parse(const char *text, struct detect_settings *s, char *err,
    size_t errlen)
{
	return proto_settings_parse(text, strlen(text), s, err, errlen);
}

static void
test_settings_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct detect_settings s, t;
	char err[PROTO_ERR_MAX];
	uint64_t seed = 99;
	int i;

	detect_settings_default(&s, 1000);
	jsonbuf_clear(&f->b);
	assert_int_equal(proto_settings_format(&f->b, &s), 0);
	assert_string_equal(jsonbuf_text(&f->b), "{\"detectors\":[\"zscore\","
	    "\"iqr\",\"ewma\",\"ma\",\"iforest\"],\"vote\":\"majority\","
	    "\"alert\":\"spatial,novelty,novelty_long\",\"params\":{"
	    "\"zscore.k\":6,"
	    "\"iqr.k\":3,\"ewma.lambda\":0.3,\"ewma.l\":6,\"ma.m\":5,"
	    "\"ma.k\":6,\"mzscore.k\":7,\"iforest.trees\":100,"
	    "\"iforest.sample\":256,\"iforest.threshold\":0.8,"
	    "\"min_points\":50,\"holdoff\":50,\"spatial.tol\":0.025,"
	    "\"novelty.dim\":6,\"novelty.protos\":128,\"novelty.rho\":0.15,"
	    "\"novelty.rate\":0.1,\"novelty.average\":10,"
	    "\"novelty.history\":1000,\"novelty.learn\":300,"
	    "\"novelty.eps\":6e-06,"
	    "\"novelty.sigma_min\":0.005,\"novelty_long.scale\":12,"
	    "\"spatial.ramp\":200,\"novelty.holdoff\":200,"
	    "\"moves.k\":6,\"moves.burst\":2.3,"
	    "\"novelty.confirm\":2,\"novelty.settle\":750,\"novelty.joint\":0.5,"
	    "\"novelty.shape\":0.3}}");
	/* Parsed over other settings, it gives them back. */
	detect_settings_default(&t, 1000);
	t.detectors = 1;
	t.vote = DETECT_VOTE_ALL;
	t.alert = DETECT_ALERT_DETECTOR;
	t.param[DETECT_P_MA_K] = 1;
	assert_int_equal(proto_settings_parse(jsonbuf_text(&f->b),
	    f->b.len, &t, err, sizeof(err)), 0);
	assert_true(settings_equal(&s, &t));

	/* Random valid settings, odd doubles included. */
	for (i = 0; i < 500; i++) {
		detect_settings_default(&s, 4 + (uint32_t)(draw(&seed) % 1000));
		s.detectors = 1 + (uint32_t)(draw(&seed) % 63);
		switch (draw(&seed) % 4) {
		case 0: s.vote = DETECT_VOTE_MAJORITY; break;
		case 1: s.vote = DETECT_VOTE_ANY; break;
		case 2: s.vote = DETECT_VOTE_ALL; break;
		default:
			s.vote = DETECT_VOTE_ATLEAST;
			s.vote_k = 1 + (uint32_t)(draw(&seed) %
			    (uint64_t)__builtin_popcount(s.detectors));
		}
		s.alert = draw(&seed) % 2 ? DETECT_ALERT_VOTE :
		    DETECT_ALERT_DETECTOR + (uint32_t)(draw(&seed) %
		    DETECT_KINDS);
		s.param[DETECT_P_ZSCORE_K] = (double)(1 + draw(&seed) %
		    1000000) / (double)(1 + draw(&seed) % 999);
		s.param[DETECT_P_EWMA_LAMBDA] = 1.0 / (double)(1 + draw(&seed)
		    % 1000);
		s.param[DETECT_P_IFOREST_THRESHOLD] = (double)(1 + draw(&seed)
		    % 1000) / 1001;
		s.param[DETECT_P_MA_M] = (double)(1 + draw(&seed) % 50);
		s.param[DETECT_P_HOLDOFF] = (double)(draw(&seed) % 1000000000);
		assert_int_equal(detect_settings_check(&s, err, sizeof(err)),
		    0);
		jsonbuf_clear(&f->b);
		assert_int_equal(proto_settings_format(&f->b, &s), 0);
		detect_settings_default(&t, s.window);
		if (proto_settings_parse(jsonbuf_text(&f->b), f->b.len, &t,
		    err, sizeof(err)) != 0)
			fail_msg("%s: %s", jsonbuf_text(&f->b), err);
		if (!settings_equal(&s, &t))
			fail_msg("%s read back differently",
			    jsonbuf_text(&f->b));
	}

	/* Bad texts: an error, and s unchanged. */
	detect_settings_default(&s, 77);
	t = s;
	assert_int_equal(settings_parse("{\"detectors\":[\"nope\"]}",
	    &t, err, sizeof(err)), -1);
	assert_string_equal(err, "settings: unknown detector 'nope'");
	assert_int_equal(settings_parse("{\"params\":{\"zscore.k\":1},"
	    "\"vote\":\"x\"}", &t, err, sizeof(err)), -1);
	assert_int_equal(settings_parse("{\"vote\":", &t, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "settings: invalid JSON");
	assert_int_equal(settings_parse("[]", &t, err, sizeof(err)),
	    -1);
	assert_int_equal(settings_parse("{\"value\":1}", &t, err,
	    sizeof(err)), -1);
	assert_true(settings_equal(&s, &t));
	/* A window in the text does not touch s's. */
	assert_int_equal(settings_parse("{\"window\":40,\"vote\":\"any\"}",
	    &t, err, sizeof(err)), 0);
	assert_int_equal(t.window, 77);
	assert_int_equal(t.vote, DETECT_VOTE_ANY);
	assert_int_equal(settings_parse("{}", &t, err, sizeof(err)),
	    0);
	assert_int_equal(t.vote, DETECT_VOTE_ANY);
}

static void
test_parser_reuse(void **state)
{
	const struct proto_msg *m;
	struct proto_parser *p;

	/* After every kind of failure the next message is read afresh. */
	expect_invalid(state, "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":"
	    "{\"g\":{\"h\":{}}}}}}}}}", 0, "JSON nested deeper than 8");
	expect_reply(state, "{\"timestamp\": 1, \"value\": 2}", 0,
	    "{\"timestamp\":1,\"anomaly\":0}");
	expect_invalid(state, "{\"timestamp\": \"abc", 0, "invalid JSON");
	expect_reply(state, "{\"timestamp\": \"x\", \"value\": 2}", 0,
	    "{\"timestamp\":\"x\",\"anomaly\":0}");
	expect_invalid(state, "[{\"timestamp\": 1, \"value\": 2}, "
	    "[[[[[[1]]]]]]]", PROTO_V2, "JSON arrays nested deeper than 5");
	m = parse(state, "[{\"timestamp\": 1, \"value\": 2}]", PROTO_V2);
	assert_int_equal(m->kind, PROTO_BATCH);
	assert_int_equal(m->nitems, 1);
	m = parse(state, "{\"client_id\": \"x\", \"window\": 9}", 0);
	assert_int_equal(m->kind, PROTO_SETTINGS);
	m = parse(state, "{\"detail\": true}", 0);
	assert_int_equal(m->hello.has, PROTO_HAS_DETAIL);
	assert_string_equal(m->hello.client_id, "");
	assert_int_equal(m->hello.window, 0);

	/* The window bound is the parser's. */
	p = proto_parser_new(500);
	assert_non_null(p);
	m = proto_parse(p, "{\"window\": 501}", 15, 0);
	assert_string_equal(m->hello.error,
	    "window must be an integer from 4 to 500");
	m = proto_parse(p, "{\"window\": 500}", 15, 0);
	assert_string_equal(m->hello.error, "");
	assert_int_equal(m->hello.window, 500);
	proto_parser_free(p);
	proto_parser_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_session),
		cmocka_unit_test(test_invalid_json),
		cmocka_unit_test(test_whitespace_and_hash_in_strings),
		cmocka_unit_test(test_not_object),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_long_keys),
		cmocka_unit_test(test_point_errors),
		cmocka_unit_test(test_classification),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_string_escapes),
		cmocka_unit_test(test_number_echo),
		cmocka_unit_test(test_value_numbers),
		cmocka_unit_test(test_seq),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_hello_good),
		cmocka_unit_test(test_hello_bad),
		cmocka_unit_test(test_hello_preset),
		cmocka_unit_test(test_validators),
		cmocka_unit_test(test_format_strings),
		cmocka_unit_test(test_format_verdict),
		cmocka_unit_test(test_format_double),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_settings_roundtrip),
		cmocka_unit_test(test_parser_reuse),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
