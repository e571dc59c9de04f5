/*
 * test_reply.c: anomaly-send's reader of the server's replies
 * (cmd/anomaly-send/reply.c, included whole): every detector the server
 * names in "votes" comes through, whatever its name, and the ready
 * message's last_timestamp as a number, a string, null or absent; and
 * the replies are read as strictly as the server reads (lib/json).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../cmd/anomaly-send/reply.c"

static struct reply got[4];
static int ngot;

static int
keep(void *arg, const struct reply *r)
{
	(void)arg;
	if (ngot < 4)
		got[ngot++] = *r;
	return 0;
}

static void
read_one(const char *msg)
{
	ngot = 0;
	assert_int_equal(reply_read(msg, strlen(msg), keep, NULL), 0);
	assert_int_equal(ngot, 1);
}

/* Issue 14: --json shows every detector that voted, the alert's sources
 * included, by the names the server sends. */
static void
test_votes_pass_through(void **state)
{
	static const char *names[] = { "zscore", "iqr", "ewma", "ma",
	    "iforest", "spatial", "novelty", "novelty_long", "a_future_one" };
	int i;

	(void)state;
	read_one("{\"seq\":7,\"timestamp\":1,\"anomaly\":1,\"alert\":1,"
	    "\"score\":0.6,\"votes\":{\"zscore\":1,\"iqr\":1,\"ewma\":0,"
	    "\"ma\":1,\"iforest\":0,\"spatial\":1,\"novelty\":0,"
	    "\"novelty_long\":1,\"a_future_one\":1}}");
	assert_int_equal(got[0].kind, REPLY_VERDICT);
	assert_int_equal(got[0].alert, 1);
	assert_int_equal(got[0].nvotes, 9);
	for (i = 0; i < 9; i++)
		assert_string_equal(got[0].vote_name[i], names[i]);
	assert_int_equal(got[0].vote[5], 1);
	assert_int_equal(got[0].vote[6], 0);
}

/* Issue 14: ready's last_timestamp, the contract --resume relies on. */
static void
test_last_timestamp(void **state)
{
	(void)state;
	read_one("{\"ready\":true,\"client_id\":\"a\",\"window\":10,"
	    "\"last_seq\":3,\"points\":3,\"last_timestamp\":1600000060.5}");
	assert_int_equal(got[0].kind, REPLY_READY);
	assert_int_equal(got[0].last_ts_kind, LAST_TS_NUMBER);
	assert_string_equal(got[0].last_ts, "1600000060.5");
	assert_int_equal(got[0].last_ts_len, 12);
	read_one("{\"ready\":true,\"last_seq\":3,"
	    "\"last_timestamp\":\"2014-07-01 00:04:00\",\"points\":3}");
	assert_int_equal(got[0].last_ts_kind, LAST_TS_STRING);
	assert_string_equal(got[0].last_ts, "2014-07-01 00:04:00");
	assert_int_equal(got[0].last_seq, 3);
	read_one("{\"ready\":true,\"last_seq\":0,\"last_timestamp\":null}");
	assert_int_equal(got[0].last_ts_kind, LAST_TS_NULL);
	read_one("{\"ready\":true,\"last_seq\":0,\"points\":0}");
	assert_int_equal(got[0].last_ts_kind, LAST_TS_ABSENT);
	assert_string_equal(got[0].key, "");
	assert_string_equal(got[0].claim, "");
	/* the key of a claim, and what became of one */
	read_one("{\"ready\":true,\"last_seq\":0,\"points\":0,"
	    "\"key\":\"00112233445566778899aabbccddeeff\","
	    "\"claim\":\"granted\"}");
	assert_int_equal(got[0].kind, REPLY_READY);
	assert_string_equal(got[0].key, "00112233445566778899aabbccddeeff");
	assert_string_equal(got[0].claim, "granted");
	read_one("{\"ready\":true,\"claim\":\"refused: id has history\"}");
	assert_string_equal(got[0].key, "");
	assert_string_equal(got[0].claim, "refused: id has history");
	/* A string longer than the buffer is cut, not overrun. */
	read_one("{\"ready\":true,\"last_timestamp\":\"0123456789012345678901"
	    "23456789012345678901234567890123456789012345678901234567890123"
	    "456789\"}");
	assert_int_equal(got[0].last_ts_len, sizeof(got[0].last_ts) - 1);
}

/* Issue 15: the replies go through the same strict reader as the
 * server's messages, not LEJP alone. */
static void
test_strict_json(void **state)
{
	static const char *bad[] = {
		"{\"seq\":1,\"anomaly\":0} x",	/* trailing bytes */
		"[{\"seq\":1,\"anomaly\":0},]",	/* trailing comma */
		"{\"seq\":1,\"anomaly\":01}",	/* not RFC 8259 */
		"{\"seq\":1,\"anomaly\":0 # c\n}",	/* a comment */
		"[{\"seq\":1,\"anomaly\":0}}",	/* mismatched */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ngot = 0;
		assert_int_equal(reply_read(bad[i], strlen(bad[i]), keep,
		    NULL), -1);
	}
	/* 21 digits, as Python writes 1/7000: LEJP alone refuses it */
	read_one("{\"seq\":2,\"anomaly\":1,\"score\":0.00014285714285714287}");
	assert_int_equal(got[0].kind, REPLY_VERDICT);
	assert_true(got[0].score == 1.0 / 7000);
	read_one("{}");
	assert_int_equal(got[0].kind, REPLY_OTHER);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_votes_pass_through),
		cmocka_unit_test(test_last_timestamp),
		cmocka_unit_test(test_strict_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
