/*
 * test_csvin.c: lib/csvin on headers and column choice, RFC 4180 quoting,
 * CRLF, a BOM, bad rows with their line numbers, input fed in pieces of
 * every size, binary junk and a 1 MB line, and the FILE * iterator.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "csvin.h"
#include "rng.h"

/* What the callback saw, one line of text per record:
 * "LINE ts=TS v=VALUE n|s" or "LINE bad: WHY". */
struct seen {
	char	 text[8192];
	size_t	 len;
	int	 rows, bad;
};

static int
collect(void *arg, const struct csvin_record *rec)
{
	struct seen *s = arg;
	int n;

	if (rec->error != NULL) {
		s->bad++;
		n = snprintf(s->text + s->len, sizeof(s->text) - s->len,
		    "%llu bad: %s\n", (unsigned long long)rec->line,
		    rec->error);
	} else {
		s->rows++;
		assert_int_equal(strlen(rec->timestamp), rec->timestamp_len);
		assert_int_equal(strlen(rec->value), rec->value_len);
		n = snprintf(s->text + s->len, sizeof(s->text) - s->len,
		    "%llu ts=%s v=%.17g %c\n", (unsigned long long)rec->line,
		    rec->timestamp, rec->v, rec->timestamp_is_number ? 'n' :
		    's');
	}
	if (n > 0 && (size_t)n < sizeof(s->text) - s->len)
		s->len += (size_t)n;
	return 0;
}

/* Parses text with options o, fed in pieces of piece bytes (0: whole).
 * Returns the feed/finish status; s gets what was seen. */
static int
run(const struct csvin_options *o, const char *text, size_t len,
    size_t piece, struct seen *s, char *err)
{
	struct csvin *r;
	size_t pos, n;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	r = csvin_new(o, err, 128);
	assert_non_null(r);
	for (pos = 0; pos < len && rc == 0; pos += n) {
		n = piece == 0 || len - pos < piece ? len - pos : piece;
		rc = csvin_feed(r, text + pos, n, collect, s, err, 128);
	}
	if (rc == 0)
		rc = csvin_finish(r, collect, s, err, 128);
	csvin_free(r);
	return rc;
}

/* The same text fed whole and in pieces of 1..7 bytes gives want. */
static void
check(const struct csvin_options *o, const char *text, const char *want)
{
	static const size_t pieces[] = { 0, 1, 2, 3, 5, 7 };
	struct seen s;
	char err[128];
	size_t i;

	for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		assert_int_equal(run(o, text, strlen(text), pieces[i], &s,
		    err), 0);
		if (strcmp(s.text, want) != 0)
			fail_msg("piece %zu: got\n%swant\n%s", pieces[i],
			    s.text, want);
	}
}

static void
test_header_defaults(void **state)
{
	struct csvin_options o = { 0 };

	(void)state;
	check(&o, "timestamp,value\n1,2\n3,4.5\n",
	    "2 ts=1 v=2 n\n3 ts=3 v=4.5 n\n");
	/* Named columns anywhere, any ASCII case. */
	check(&o, "x,Value,TIMESTAMP\na,7,2014-07-01 00:00:00\n",
	    "2 ts=2014-07-01 00:00:00 v=7 s\n");
	/* No such names: the first and second columns. */
	check(&o, "when,what\n2014-07-01,3\n", "2 ts=2014-07-01 v=3 s\n");
	/* Header only, empty input. */
	check(&o, "timestamp,value\n", "");
	check(&o, "", "");
}

static void
test_columns(void **state)
{
	struct csvin_options o = { .time_column = "Date",
	    .value_column = "Close" };
	struct seen s;
	char err[128];
	struct csvin *r;

	(void)state;
	check(&o, "Date,Open,High,Low,Close,Adj Close,Volume\n"
	    "2020-01-02,74.06,75.15,73.79,75.09,73.06,135480400\n"
	    "2020-01-03,74.28,75.14,74.12,74.35,72.33,146322800\n",
	    "2 ts=2020-01-02 v=75.090000000000003 s\n"
	    "3 ts=2020-01-03 v=74.349999999999994 s\n");
	o.time_column = "1";
	o.value_column = "3";
	check(&o, "a,b,c\n10,x,30\n", "2 ts=10 v=30 n\n");
	o.no_header = 1;
	check(&o, "10,x,30\n11,y,31\n", "1 ts=10 v=30 n\n2 ts=11 v=31 n\n");
	o = (struct csvin_options){ .no_header = 1 };
	check(&o, "5,6\n", "1 ts=5 v=6 n\n");
	/* A missing name is fatal, with the header's line. */
	o = (struct csvin_options){ .value_column = "Close" };
	assert_int_equal(run(&o, "Date,Open\n1,2\n", 14, 0, &s, err), -1);
	assert_non_null(strstr(err, "Close"));
	assert_int_equal(s.rows + s.bad, 0);
	/* Names without a header, an empty or zero column: refused. */
	o = (struct csvin_options){ .value_column = "Close", .no_header = 1 };
	assert_null(csvin_new(&o, err, sizeof(err)));
	o = (struct csvin_options){ .value_column = "" };
	assert_null(csvin_new(&o, err, sizeof(err)));
	o = (struct csvin_options){ .time_column = "0" };
	assert_null(csvin_new(&o, err, sizeof(err)));
	o = (struct csvin_options){ .time_column = "7" };
	r = csvin_new(&o, err, sizeof(err));
	assert_non_null(r);
	csvin_free(r);
}

static void
test_quoting_and_line_ends(void **state)
{
	struct csvin_options o = { 0 };

	(void)state;
	/* RFC 4180: quotes, doubled quotes, commas and line breaks inside;
	 * the row after a two-line field starts on line 5. */
	check(&o, "timestamp,value\r\n\"a,\"\"b\"\"\",\"1.5\"\r\n"
	    "\"x\ny\",2\r\n3,\" 4 \"\r\n",
	    "2 ts=a,\"b\" v=1.5 s\n3 bad: timestamp holds a control "
	    "character\n5 ts=3 v=4 n\n");
	/* CR only, blank lines, no line end at the end. */
	check(&o, "timestamp,value\r1,1\r\r\n\n2,2",
	    "2 ts=1 v=1 n\n5 ts=2 v=2 n\n");
	/* A UTF-8 BOM before the header. */
	check(&o, "\xef\xbb\xbftimestamp,value\n1,2\n", "2 ts=1 v=2 n\n");
	/* Something that only starts like a BOM is data. */
	o.no_header = 1;
	check(&o, "\xef\xbb,2\n", "1 ts=\xef\xbb v=2 s\n");
	/* Timestamps: JSON numbers or not. */
	check(&o, "007,1\n-1.5e3,1\n1.,1\n1e999,1\n0,1\n",
	    "1 ts=007 v=1 s\n2 ts=-1.5e3 v=1 n\n3 ts=1. v=1 s\n"
	    "4 ts=1e999 v=1 s\n5 ts=0 v=1 n\n");
}

static void
test_bad_rows(void **state)
{
	struct csvin_options o = { 0 };
	char ts65[80];

	(void)state;
	memset(ts65, 'a', 65);
	ts65[65] = '\0';
	check(&o, "timestamp,value\n1,abc\n2\n3,1e999\n4,NaN\n5,0x10\n"
	    ",6\n7,\n8,inf\n9, -2.5e-3 \n",
	    "2 bad: value is not a finite number\n"
	    "3 bad: no value column (column 2)\n"
	    "4 bad: value is not a finite number\n"
	    "5 bad: value is not a finite number\n"
	    "6 bad: value is not a finite number\n"
	    "7 bad: empty timestamp\n"
	    "8 bad: value is not a finite number\n"
	    "9 bad: value is not a finite number\n"
	    "10 ts=9 v=-0.0025000000000000001 n\n");
	{
		char text[256], want[256];

		snprintf(text, sizeof(text), "timestamp,value\n%s,1\n%.64s,2\n",
		    ts65, ts65);
		snprintf(want, sizeof(want), "2 bad: timestamp over 64 bytes\n"
		    "3 ts=%.64s v=2 s\n", ts65);
		check(&o, text, want);
	}
}

static void
test_long_line_and_junk(void **state)
{
	struct csvin_options o = { 0 };
	struct seen s;
	char err[128];
	size_t big = 1 << 20, i, len;
	char *text;
	struct rng rng = { 42 };

	(void)state;
	/* A 1 MB timestamp, a 1 MB quoted value, then a good row. */
	text = malloc(2 * big + 100);
	assert_non_null(text);
	len = (size_t)sprintf(text, "timestamp,value\n");
	memset(text + len, 'x', big);
	len += big;
	len += (size_t)sprintf(text + len, ",1\n2,\"");
	memset(text + len, '5', big);
	len += big;
	len += (size_t)sprintf(text + len, "\"\n3,3\n");
	assert_int_equal(run(&o, text, len, 0, &s, err), 0);
	assert_string_equal(s.text, "2 bad: timestamp over 64 bytes\n"
	    "3 bad: value is not a finite number\n4 ts=3 v=3 n\n");
	/* Random bytes: never a crash; rows good or bad, no fatal error. */
	for (i = 0; i < 2 * big; i++)
		text[i] = (char)(rng_next(&rng) & 0xff);
	assert_int_equal(run(&o, text, 2 * big, 0, &s, err), 0);
	assert_int_equal(run(&o, text, 100000, 3, &s, err), 0);
	free(text);
}

static void
test_iterator(void **state)
{
	struct csvin_options o = { .time_column = "t", .value_column = "v" };
	struct csvin_record rec;
	struct csvin *r;
	char err[128];
	FILE *fp;

	(void)state;
	fp = tmpfile();
	assert_non_null(fp);
	fputs("t,v\n1,10\nbad,x\n3,30", fp);
	fflush(fp);
	rewind(fp);
	r = csvin_new(&o, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(csvin_next(r, fp, &rec, err, sizeof(err)), CSVIN_ROW);
	assert_int_equal(rec.line, 2);
	assert_string_equal(rec.timestamp, "1");
	assert_true(rec.v == 10);
	assert_int_equal(csvin_next(r, fp, &rec, err, sizeof(err)), CSVIN_BAD);
	assert_int_equal(rec.line, 3);
	assert_int_equal(csvin_next(r, fp, &rec, err, sizeof(err)), CSVIN_ROW);
	assert_int_equal(rec.line, 4);
	assert_string_equal(rec.value, "30");
	assert_int_equal(csvin_next(r, fp, &rec, err, sizeof(err)), CSVIN_EOF);
	assert_int_equal(csvin_next(r, fp, &rec, err, sizeof(err)), CSVIN_EOF);
	assert_int_equal(csvin_offset(r), 19);
	csvin_free(r);
	fclose(fp);
}

/* Reads text through csvin_start() with o; returns its status, the columns
 * in c, and the reader in *rp (freed by the caller). */
static int
start_text(const struct csvin_options *o, const char *text,
    struct csvin **rp, FILE **fpp, struct csvin_columns *c, char *err,
    size_t errlen)
{
	FILE *fp = tmpfile();
	int rc;

	assert_non_null(fp);
	fputs(text, fp);
	fflush(fp);
	rewind(fp);
	*rp = csvin_new(o, err, errlen);
	assert_non_null(*rp);
	rc = csvin_start(*rp, fp, err, errlen);
	if (rc == 0 && csvin_columns(*rp, c) == -1)
		rc = 1;
	*fpp = fp;
	return rc;
}

/* Issue 14 item 7: what is guessed, and said. */
static void
test_guesses(void **state)
{
	static const char yahoo[] =
	    "Date,Open,High,Low,Close,Adj Close,Volume\n"
	    "2020-01-02,74.06,75.15,73.79,75.09,73.06,135480400\n";
	struct csvin_options o = { 0 };
	struct csvin_columns c;
	struct csvin_record rec;
	struct csvin *r;
	char err[512];
	FILE *fp;

	(void)state;
	/* A download without -v: Adj Close, said to be a guess. */
	check(&o, yahoo, "2 ts=2020-01-02 v=73.060000000000002 s\n");
	assert_int_equal(start_text(&o, yahoo, &r, &fp, &c, err, sizeof(err)),
	    0);
	assert_int_equal(c.value_index, 5);
	assert_string_equal(c.value_name, "Adj Close");
	assert_string_equal(c.time_name, "Date");
	assert_true(c.time_guessed && c.value_guessed);
	assert_false(c.first_row_is_data);
	assert_int_equal(c.ncols, 7);
	assert_true(c.yahoo);		/* issue 19: a price series */
	assert_int_equal(csvin_next(r, fp, &rec, err, sizeof(err)), CSVIN_ROW);
	assert_int_equal(rec.line, 2);
	csvin_free(r);
	fclose(fp);
	/* the layout without Adj Close, in another case, is one too; a
	 * file without Volume is not */
	assert_int_equal(start_text(&o, "date,open,high,low,close,volume\n"
	    "2020-01-02,1,2,1,2,100\n", &r, &fp, &c, err, sizeof(err)), 0);
	assert_true(c.yahoo);
	csvin_free(r);
	fclose(fp);
	assert_int_equal(start_text(&o, "Date,Open,High,Low,Close\n"
	    "2020-01-02,1,2,1,2\n", &r, &fp, &c, err, sizeof(err)), 0);
	assert_false(c.yahoo);
	csvin_free(r);
	fclose(fp);
	/* Close when there is no Adj Close. */
	check(&o, "Date,Open,Close\n2020-01-02,1,2\n",
	    "2 ts=2020-01-02 v=2 s\n");
	/* timestamp,value: nothing guessed. */
	assert_int_equal(start_text(&o, "timestamp,value\n1,2\n", &r, &fp, &c,
	    err, sizeof(err)), 0);
	assert_false(c.time_guessed || c.value_guessed);
	assert_false(c.yahoo);
	csvin_free(r);
	fclose(fp);
	/* A headerless file: its first row is data, said so. */
	check(&o, "1600000060,50.5\n1600000120,51\n",
	    "1 ts=1600000060 v=50.5 n\n2 ts=1600000120 v=51 n\n");
	check(&o, "2020-01-02,74.06,75.15\n",
	    "1 ts=2020-01-02 v=74.060000000000002 s\n");
	assert_int_equal(start_text(&o, "1,2\n3,4\n", &r, &fp, &c, err,
	    sizeof(err)), 0);
	assert_true(c.first_row_is_data);
	assert_null(c.time_name);
	assert_int_equal(csvin_next(r, fp, &rec, err, sizeof(err)), CSVIN_ROW);
	assert_int_equal(rec.line, 1);
	assert_string_equal(rec.timestamp, "1");
	csvin_free(r);
	fclose(fp);
	/* ... but not when a column is asked for by name. */
	o.value_column = "v";
	assert_int_equal(start_text(&o, "1,2\n", &r, &fp, &c, err,
	    sizeof(err)), -1);
	csvin_free(r);
	fclose(fp);
}

/* Issue 14 item 6: one clear error for a column that is not there. */
static void
test_column_errors(void **state)
{
	static const char yahoo[] =
	    "Date,Open,High,Low,Close,Adj Close,Volume\n"
	    "2020-01-02,74.06,75.15,73.79,75.09,73.06,135480400\n"
	    "2020-01-03,74.06,75.15,73.79,75.09,73.06,135480400\n";
	struct csvin_options o = { .time_column = "Date",
	    .value_column = "Closee" };
	struct csvin_columns c;
	struct seen s;
	struct csvin *r;
	char err[512];
	FILE *fp;

	(void)state;
	assert_int_equal(start_text(&o, yahoo, &r, &fp, &c, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "line 1: no value column named 'Closee'; "
	    "the columns are 'Date', 'Open', 'High', 'Low', 'Close', "
	    "'Adj Close', 'Volume'");
	csvin_free(r);
	fclose(fp);
	/* -t 9 on 7 columns: one fatal error, no bad rows. */
	o = (struct csvin_options){ .time_column = "9" };
	assert_int_equal(run(&o, yahoo, strlen(yahoo), 0, &s, err), -1);
	assert_int_equal(s.rows + s.bad, 0);
	assert_non_null(strstr(err, "timestamp column 9: the header has 7 "
	    "columns: 'Date', "));
	o = (struct csvin_options){ .value_column = "3", .no_header = 1 };
	assert_int_equal(run(&o, "1,2\n3,4\n", 8, 0, &s, err), -1);
	assert_int_equal(s.rows + s.bad, 0);
	assert_string_equal(err, "value column 3: the first row has 2 fields");
	/* The defaults are not fatal: rows without them are bad rows. */
	o = (struct csvin_options){ 0 };
	check(&o, "timestamp\n1\n", "2 bad: no value column (column 2)\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_defaults),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_quoting_and_line_ends),
		cmocka_unit_test(test_bad_rows),
		cmocka_unit_test(test_long_line_and_junk),
		cmocka_unit_test(test_iterator),
		cmocka_unit_test(test_guesses),
		cmocka_unit_test(test_column_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
