/*
 * test_json.c: the strict JSON reader over LEJP (lib/json), each of its
 * workarounds for LEJP on its own: the RFC 8259 number grammar and the
 * 21-digit numbers LEJP refuses, the key and key path bounds, trailing
 * bytes, '#' comments, trailing commas, mismatched brackets, nesting, the
 * top-level {}, the array count LEJP loses, slices, and the events given.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

/* The events of a text, one letter each, with their depth and text:
 * { } [ ] k(ey) n(umber, i when integer) s(tring start) c(hunk) e(nd)
 * t(rue) f(alse) z(null). */
struct trace {
	char	 out[8192];
	size_t	 len;
	int	 stop_at;	/* stop at this event (from 1), 0 never */
	int	 count;
	char	 str[4096];	/* the strings' bytes, joined */
	size_t	 slen;
};

static int
record(void *arg, const struct json_event *ev)
{
	static const char letter[] = "{}[]knscetfz";
	struct trace *t = arg;
	char c = letter[ev->type];

	if (ev->type == JSON_NUMBER && ev->integer)
		c = 'i';
	t->len += (size_t)snprintf(t->out + t->len, sizeof(t->out) - t->len,
	    "%c%u", c, ev->depth);
	if (ev->type == JSON_KEY || ev->type == JSON_NUMBER)
		t->len += (size_t)snprintf(t->out + t->len,
		    sizeof(t->out) - t->len, "(%.*s)", (int)ev->len, ev->text);
	if (ev->type == JSON_NUMBER)
		assert_int_equal(ev->text[ev->len], '\0');
	if (ev->type == JSON_STRING_CHUNK || ev->type == JSON_STRING_END) {
		assert_true(t->slen + ev->len < sizeof(t->str));
		memcpy(t->str + t->slen, ev->text, ev->len);
		t->slen += ev->len;
		t->str[t->slen] = '\0';
	}
	t->len += (size_t)snprintf(t->out + t->len, sizeof(t->out) - t->len,
	    " ");
	return ++t->count == t->stop_at;
}

static enum json_status
run(const char *s, struct trace *t)
{
	memset(t, 0, sizeof(*t));
	return json_read(s, strlen(s), record, t);
}

/* The status of reading s. */
static enum json_status
status_of(const char *s)
{
	struct trace t;

	return run(s, &t);
}

/* s made of n copies of c. */
static char *
repeat(char *buf, char c, size_t n)
{
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

static void
test_events(void **state)
{
	struct trace t;

	(void)state;
	assert_int_equal(run("{\"a\":[1,true,null,-2.5e3],\"b\":{\"c\":\"x\"},"
	    "\"d\":false}", &t), JSON_OK);
	assert_string_equal(t.out, "{0 k1(a) [1 i2(1) t2 z2 n2(-2.5e3) ]2 "
	    "k1(b) {1 k2(c) s2 e2 }2 k1(d) f1 }1 ");
	assert_string_equal(t.str, "x");

	/* the path, as LEJP keeps it */
	assert_int_equal(run("[{\"seq\":1}]", &t), JSON_OK);
	assert_string_equal(t.out, "[0 {1 k2(seq) i2(1) }2 ]1 ");
}

static void
test_number_grammar(void **state)
{
	static const struct {
		const char *s;
		int c;
	} cases[] = {
		{ "0", 1 }, { "-0", 1 }, { "123", 1 }, { "-9", 1 },
		{ "1.5", 2 }, { "1e5", 2 }, { "1E+5", 2 }, { "-1.0e-7", 2 },
		{ "01", 0 }, { "-01", 0 }, { "1.", 0 }, { ".5", 0 },
		{ "+1", 0 }, { "-", 0 }, { "1e", 0 }, { "1e+", 0 },
		{ "1.e3", 0 }, { "0x10", 0 }, { "", 0 }, { "1 ", 0 },
	};
	char doc[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(json_number_class(cases[i].s,
		    strlen(cases[i].s)), cases[i].c);
	}
	/* what LEJP lets through, refused in a document */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].c != 0 || cases[i].s[0] == '\0' ||
		    strchr(cases[i].s, ' ') != NULL)
			continue;
		snprintf(doc, sizeof(doc), "{\"a\":%s}", cases[i].s);
		assert_int_not_equal(status_of(doc), JSON_OK);
	}
	assert_int_equal(status_of("{\"a\":01}"), JSON_E_SYNTAX);
	assert_int_equal(status_of("{\"a\":1.}"), JSON_E_SYNTAX);
	assert_int_equal(status_of("[-]"), JSON_E_SYNTAX);
}

static void
test_number_values(void **state)
{
	struct trace t;
	char doc[256], digits[128];
	int64_t i;

	(void)state;
	/* Python's json writes 1/7000 with 21 digits: LEJP alone refuses */
	assert_int_equal(run("{\"a\":0.00014285714285714287}", &t), JSON_OK);
	assert_string_equal(t.out, "{0 k1(a) n1(0.00014285714285714287) }1 ");
	assert_true(json_number_double("0.00014285714285714287", 22) ==
	    1.0 / 7000);
	assert_true(json_number_double("1e400", 5) > 1e308);
	assert_true(json_number_double("-2.5", 4) == -2.5);

	/* 100 bytes is the longest number, in slices or not */
	snprintf(doc, sizeof(doc), "[0.%s]", repeat(digits, '1', 98));
	assert_int_equal(status_of(doc), JSON_OK);
	snprintf(doc, sizeof(doc), "[0.%s]", repeat(digits, '1', 99));
	assert_int_equal(status_of(doc), JSON_E_NUMBER);
	snprintf(doc, sizeof(doc), "[%s]", repeat(digits, '7', 120));
	assert_int_equal(status_of(doc), JSON_E_NUMBER);

	assert_int_equal(json_number_int64("9223372036854775807", 19, &i), 0);
	assert_true(i == INT64_MAX);
	assert_int_equal(json_number_int64("-9223372036854775808", 20, &i),
	    0);
	assert_true(i == INT64_MIN);
	i = 5;
	assert_int_equal(json_number_int64("9223372036854775808", 19, &i),
	    -1);
	assert_true(i == 5);
}

static void
test_long_key_and_path(void **state)
{
	char doc[1024], k[300], k2[300];

	(void)state;
	snprintf(doc, sizeof(doc), "{\"%s\":1}", repeat(k, 'k', 64));
	assert_int_equal(status_of(doc), JSON_OK);
	snprintf(doc, sizeof(doc), "{\"%s\":1}", repeat(k, 'k', 65));
	assert_int_equal(status_of(doc), JSON_E_KEY);
	/* longer than LEJP's path: refused before it overflows */
	snprintf(doc, sizeof(doc), "{\"%s\":1}", repeat(k, 'k', 290));
	assert_int_equal(status_of(doc), JSON_E_KEY);
	/* keys of 50 bytes each, nested: a path of 100 bytes passes, one
	 * longer is refused at the end of the slice it passed 100 in */
	repeat(k, 'a', 50);
	repeat(k2, 'b', 49);
	snprintf(doc, sizeof(doc), "{\"%s\":{\"%s\":1}}", k, k2);
	assert_int_equal(status_of(doc), JSON_OK);	/* 100 bytes */
	repeat(k2, 'b', 50);
	snprintf(doc, sizeof(doc), "{\"%s\":{\"%s\":[1,2,3,4,5,6,7,8,9]}}",
	    k, k2);
	assert_int_equal(status_of(doc), JSON_E_PATH);	/* 101 bytes */
	snprintf(doc, sizeof(doc), "{\"%s\":{\"%s\":{\"%s\":1}}}", k, k2, k);
	assert_int_equal(status_of(doc), JSON_E_PATH);
}

static void
test_trailing_bytes(void **state)
{
	(void)state;
	assert_int_equal(status_of("{\"a\":1} \r\n\t"), JSON_OK);
	assert_int_equal(status_of("{\"a\":1} x"), JSON_E_SYNTAX);
	assert_int_equal(status_of("{\"a\":1}{}"), JSON_E_SYNTAX);
	assert_int_equal(status_of("[1]]"), JSON_E_SYNTAX);
	assert_int_equal(status_of("{\"a\":1}\"0123456789abcdef0123\""),
	    JSON_E_SYNTAX);
	/* and short of the end */
	assert_int_equal(status_of("{\"a\":1"), JSON_E_SYNTAX);
	assert_int_equal(status_of("[1,2"), JSON_E_SYNTAX);
	assert_int_equal(status_of(""), JSON_E_SYNTAX);
}

static void
test_comments(void **state)
{
	struct trace t;

	(void)state;
	assert_int_equal(status_of("{\"a\":1 # c\n}"), JSON_E_SYNTAX);
	assert_int_equal(status_of("#c\n{\"a\":1}"), JSON_E_SYNTAX);
	assert_int_equal(status_of("[1,#\n2]"), JSON_E_SYNTAX);
	assert_int_equal(status_of("{\"a\":1}#"), JSON_E_SYNTAX);
	assert_int_equal(status_of("{\"a\":1}/* c */"), JSON_E_SYNTAX);
	/* a '#' in a string is a character */
	assert_int_equal(run("{\"a#\":\"#1#\"}", &t), JSON_OK);
	assert_string_equal(t.str, "#1#");
	assert_string_equal(t.out, "{0 k1(a#) s1 e1 }1 ");
}

static void
test_commas_and_brackets(void **state)
{
	(void)state;
	assert_int_equal(status_of("[1,]"), JSON_E_SYNTAX);
	assert_int_equal(status_of("{\"a\":[1,2,]}"), JSON_E_SYNTAX);
	assert_int_equal(status_of("[[],]"), JSON_E_SYNTAX);
	assert_int_equal(status_of("[1]"), JSON_OK);
	assert_int_equal(status_of("[]"), JSON_OK);
	assert_int_equal(status_of("[[],[]]"), JSON_OK);
	assert_int_equal(status_of("{\"a\":[1}]}"), JSON_E_SYNTAX);
	assert_int_equal(status_of("[{\"a\":1]}"), JSON_E_SYNTAX);
	/* the top is an object or an array; {} there is an empty object */
	assert_int_equal(status_of("1"), JSON_E_TOP);
	assert_int_equal(status_of("\"x\""), JSON_E_TOP);
	assert_int_equal(status_of("{}"), JSON_OK);
	assert_int_equal(status_of(" {} \n"), JSON_OK);
	assert_int_equal(status_of("{} x"), JSON_E_SYNTAX);
	/* LEJP's count of open arrays is kept right */
	assert_int_equal(status_of("{\"a\":[],\"b\":[1],\"c\":[],\"d\":[2],"
	    "\"e\":[],\"f\":[3],\"g\":[[]]}"), JSON_OK);
}

static void
test_depth(void **state)
{
	(void)state;
	/* eight levels, not nine */
	assert_int_equal(status_of("{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":"
	    "{\"a\":{\"a\":1}}}}}}}}"), JSON_OK);
	assert_int_equal(status_of("{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":"
	    "{\"a\":{\"a\":{\"a\":1}}}}}}}}}"), JSON_E_DEPTH);
	assert_int_equal(status_of("[{\"a\":[{\"a\":[{\"a\":[{\"a\":[{}]}]}]}]}]"),
	    JSON_E_DEPTH);
	/* LEJP counts arrays apart: five, not six */
	assert_int_equal(status_of("[[[[[1]]]]]"), JSON_OK);
	assert_int_equal(status_of("[[[[[[1]]]]]]"), JSON_E_ARRAYS);
}

/* The same document, whatever falls at a 16-byte slice's edge. */
static void
test_slices(void **state)
{
	struct trace a, b;
	char doc[512], pad[64];
	size_t n;

	(void)state;
	assert_int_equal(run("{\"k\":[12345678901234567890.5,\"#]\",[]]}",
	    &a), JSON_OK);
	for (n = 0; n < 40; n++) {
		snprintf(doc, sizeof(doc),
		    "{\"%s\":1,\"k\":[12345678901234567890.5,\"#]\",[]]}",
		    repeat(pad, 'p', n + 1));
		assert_int_equal(run(doc, &b), JSON_OK);
		assert_non_null(strstr(b.out, a.out + 3));
		assert_string_equal(b.str, "#]");
		snprintf(doc, sizeof(doc), "{\"%s\":[1,2,]}",
		    repeat(pad, 'p', n + 1));
		assert_int_equal(status_of(doc), JSON_E_SYNTAX);
		snprintf(doc, sizeof(doc), "{\"%s\":1}#", repeat(pad, 'p',
		    n + 1));
		assert_int_equal(status_of(doc), JSON_E_SYNTAX);
	}
	/* a string longer than LEJP's chunk comes whole */
	memset(doc, 0, sizeof(doc));
	doc[0] = '[';
	doc[1] = '"';
	repeat(doc + 2, 's', 400);
	memcpy(doc + 402, "\"]", 3);
	assert_int_equal(run(doc, &a), JSON_OK);
	assert_int_equal(a.slen, 400);
}

static void
test_stop_and_surrogates(void **state)
{
	struct trace t;
	unsigned char s[] = "a\xed\xa0\xbd\xed\xb8\x80z";
	size_t n;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.stop_at = 3;
	assert_int_equal(json_read("[1,2,3]", 7, record, &t), JSON_STOPPED);
	assert_string_equal(t.out, "[0 i1(1) i1(2) ");
	/* a stop wins over what follows */
	memset(&t, 0, sizeof(t));
	t.stop_at = 1;
	assert_int_equal(json_read("{} x", 4, record, &t), JSON_STOPPED);

	n = json_join_surrogates(s, 8);
	assert_int_equal(n, 6);
	assert_memory_equal(s, "a\xf0\x9f\x98\x80z", 6);
	/* as LEJP decodes "\ud83d\ude00" */
	assert_int_equal(run("[\"\\ud83d\\ude00\"]", &t), JSON_OK);
	assert_int_equal(json_join_surrogates((unsigned char *)t.str,
	    t.slen), 4);
	assert_memory_equal(t.str, "\xf0\x9f\x98\x80", 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_number_grammar),
		cmocka_unit_test(test_number_values),
		cmocka_unit_test(test_long_key_and_path),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_commas_and_brackets),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_slices),
		cmocka_unit_test(test_stop_and_surrogates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
