/*
 * test_timefmt.c: lib/timefmt against known dates, a day-by-day calendar
 * walk, libc's gmtime_r (as an independent reference, in the test only),
 * round trips over the whole int64 range, and inputs that are not dates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "rng.h"
#include "timefmt.h"

#define DAY	INT64_C(86400000)

static int
parse(const char *s, int64_t *ms)
{
	return timefmt_parse(s, strlen(s), ms);
}

static void
assert_date(const char *s, int64_t want)
{
	int64_t ms = INT64_C(0x5555555555555555);

	if (parse(s, &ms) != 0)
		fail_msg("'%s' is not read as a date", s);
	if (ms != want)
		fail_msg("'%s' -> %lld, want %lld", s, (long long)ms,
		    (long long)want);
}

static void
assert_not_date(const char *s)
{
	int64_t ms = 12345;

	if (parse(s, &ms) != -1)
		fail_msg("'%s' is read as the date %lld", s, (long long)ms);
	assert_int_equal(ms, 12345);	/* untouched */
}

static void
test_known_dates(void **state)
{
	(void)state;
	assert_date("1970-01-01", 0);
	assert_date("1970-01-01T00:00:00Z", 0);
	assert_date("1970-01-01 00:00:00", 0);
	assert_date("1970-01-01t00:00:00z", 0);
	assert_date("2014-07-01", INT64_C(1404172800000));
	assert_date("2014-07-01 00:00:00", INT64_C(1404172800000));
	assert_date("2014-07-01T00:00:00Z", INT64_C(1404172800000));
	assert_date("2014-07-01 00:30:00", INT64_C(1404174600000));
	assert_date("2014-07-01T00:30", INT64_C(1404174600000));
	assert_date("2020-01-02T00:00:00", INT64_C(1577923200000));
	assert_date("1969-12-31T23:59:59.999Z", -1);
	assert_date("1969-12-31", -DAY);
	assert_date("2000-03-01", INT64_C(951868800000));
	assert_date("2038-01-19T03:14:07Z", INT64_C(2147483647000));
	assert_date("2038-01-19T03:14:08Z", INT64_C(2147483648000));
	assert_date("0000-01-01", INT64_C(-62167219200000));
	assert_date("9999-12-31T23:59:59.999Z", INT64_C(253402300799999));
	assert_date("1900-01-01", INT64_C(-2208988800000));
	assert_date("1600-03-01", INT64_C(-11670912000000));
}

static void
test_fractions(void **state)
{
	(void)state;
	assert_date("1970-01-01T00:00:00.5Z", 500);
	assert_date("1970-01-01T00:00:00.05", 50);
	assert_date("1970-01-01T00:00:00.123", 123);
	assert_date("1970-01-01T00:00:00,25", 250);
	assert_date("1970-01-01T00:00:00.123456789Z", 123);
	assert_date("1970-01-01T00:00:00.999999999999999999999", 999);
	assert_date("1970-01-01T00:00:01.000000", 1000);
	/* cut towards the past, also before 1970 */
	assert_date("1969-12-31T23:59:59.9999", -1);
	assert_date("1969-12-31T23:59:59.0001", -1000);
	assert_not_date("1970-01-01T00:00:00.");
	assert_not_date("1970-01-01T00:00:00.Z");
	assert_not_date("1970-01-01T00:00.5");
	assert_not_date("1970-01-01T00:00:00.5.5");
}

static void
test_offsets(void **state)
{
	int64_t base = INT64_C(1404172800000);

	(void)state;
	assert_date("2014-07-01T02:00:00+02:00", base);
	assert_date("2014-07-01T02:00:00+0200", base);
	assert_date("2014-07-01T02:00:00+02", base);
	assert_date("2014-06-30T18:30:00-0530", base);
	assert_date("2014-06-30T18:30:00-05:30", base);
	assert_date("2014-06-30T18:30-05:30", base);
	assert_date("2014-07-01T00:00:00+00:00", base);
	assert_date("2014-07-01T00:00:00-00:00", base);
	assert_date("2014-07-01T00:00:00.250+01:00", base - 3600000 + 250);
	/* offsets that move across days, months and years */
	assert_date("2015-01-01T05:00:00+23:59", INT64_C(1420070400000) +
	    5 * 3600000 - (23 * 60 + 59) * 60000);
	assert_date("2014-12-31T20:00:00-23:59", INT64_C(1420070400000) -
	    4 * 3600000 + (23 * 60 + 59) * 60000);
	assert_not_date("2014-07-01T00:00:00+24:00");
	assert_not_date("2014-07-01T00:00:00+02:60");
	assert_not_date("2014-07-01T00:00:00+2:00");
	assert_not_date("2014-07-01T00:00:00+02:0");
	assert_not_date("2014-07-01T00:00:00+020");
	assert_not_date("2014-07-01T00:00:00+02:00:00");
	assert_not_date("2014-07-01T00:00:00+");
	assert_not_date("2014-07-01T00:00:00Z+02:00");
	assert_not_date("2014-07-01+02:00");
}

static void
test_calendar_rules(void **state)
{
	static const char *const bad[] = {
		"2014-00-10", "2014-13-01", "2014-01-00", "2014-01-32",
		"2014-02-29", "1900-02-29", "2100-02-29", "2014-04-31",
		"2014-06-31", "2014-09-31", "2014-11-31",
		"2014-07-01T24:00:01", "2014-07-01T24:01:00",
		"2014-07-01T24:00:00.001", "2014-07-01T25:00:00",
		"2014-07-01T23:60:00", "2014-07-01T23:59:61",
		"2014-07-01T99:99:99",
	};
	size_t i;

	(void)state;
	assert_date("2000-02-29", INT64_C(951782400000));
	assert_date("2400-02-29", INT64_C(13574563200000));
	assert_date("2016-02-29", INT64_C(1456704000000));
	assert_date("0000-02-29", INT64_C(-62162121600000));
	assert_date("2014-01-31", INT64_C(1391126400000));
	assert_date("2014-12-31", INT64_C(1419984000000));
	/* 24:00 is the next midnight, second 60 the next minute */
	assert_date("2014-06-30T24:00:00", INT64_C(1404172800000));
	assert_date("2014-06-30T24:00", INT64_C(1404172800000));
	assert_date("2014-06-30T24:00:00.000Z", INT64_C(1404172800000));
	assert_date("2014-12-31T24:00:00Z", INT64_C(1420070400000));
	assert_date("2016-12-31T23:59:60Z", INT64_C(1483228800000));
	assert_date("2016-12-31T23:59:60.5Z", INT64_C(1483228800500));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_not_date(bad[i]);
}

static void
test_not_dates(void **state)
{
	static const char *const bad[] = {
		"", "sensor reading 5", "007", "5", "1404172800",
		"1404172800.5", "20140701", "20140701T000000Z", "2014",
		"2014-07", "2014-7-01", "2014-07-1", "14-07-01",
		"2014/07/01", "2014-07-01T", "2014-07-01 ", " 2014-07-01",
		"2014-07-01\n", "2014-07-01T00", "2014-07-01T00:",
		"2014-07-01T0:00",
		"2014-07-01T00:0", "2014-07-01T00:00:0", "2014-07-01T00:00:000",
		"2014-07-01X00:00:00", "2014-07-01  00:00:00",
		"2014-07-01T00:00:00ZZ", "2014-07-01T00:00:00 Z",
		"2014-07-01Z", "2014-07-01T00:00:00 UTC", "+02:00", "-0530",
		"Z", "T", "-", "+", "2O14-07-01", "２０１４-07-01",
		"2014-07-01T00:00:00+02:00 ", "-000000-01-01",
		"+1234567890-01-01", "+12345-01-01", "-2014-07-01",
		"+002014", "2014-07-01T00:00:00-", "NaN", "inf",
		"2014-07-01T00:00:00.+01:00", "2014-07-01t", "t00:00:00",
		"\xff\xfe", "2014-07-01T00:00:00\xc2\xa0",
	};
	size_t i;
	int64_t ms = 7;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_not_date(bad[i]);
	/* Lengths are honoured: a NUL inside is not the end, and bytes past
	 * len are not read. */
	assert_int_equal(timefmt_parse("2014-07-01\0junk", 15, &ms), -1);
	assert_int_equal(timefmt_parse("2014-07-01junk", 10, &ms), 0);
	assert_int_equal(ms, INT64_C(1404172800000));
	assert_int_equal(timefmt_parse("2014-07-01", 9, &ms), -1);
	assert_int_equal(timefmt_parse(NULL, 0, &ms), -1);
}

/* Walks every day from 1600 to 2600 with a naive calendar and checks both
 * directions against it. */
static void
test_day_walk(void **state)
{
	static const int mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	char buf[TIMEFMT_BUFSIZE], want[80];
	int64_t ms, day;
	int y = 1600, m = 1, d = 1, leap, dim;

	(void)state;
	assert_int_equal(parse("1600-01-01", &ms), 0);
	day = ms / DAY;
	assert_int_equal(ms % DAY, 0);
	while (y < 2600) {
		snprintf(want, sizeof(want), "%04d-%02d-%02dT00:00:00.000Z", y,
		    m, d);
		assert_int_equal(timefmt_format(day * DAY, buf, sizeof(buf)),
		    strlen(want));
		assert_string_equal(buf, want);
		want[10] = '\0';
		assert_int_equal(parse(want, &ms), 0);
		assert_int_equal(ms, day * DAY);
		leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		dim = mdays[m - 1] + (m == 2 && leap);
		if (++d > dim) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
		day++;
	}
}

/* Compares the text of random instants with gmtime_r's. */
static void
test_against_libc(void **state)
{
	struct rng r = { 7 };
	char buf[TIMEFMT_BUFSIZE], want[80];
	struct tm tm;
	int64_t ms, back;
	time_t t;
	int i;

	(void)state;
	if (sizeof(time_t) < 8)
		skip();
	for (i = 0; i < 200000; i++) {
		/* years 0000..9999 */
		ms = (int64_t)(rng_next(&r) % UINT64_C(315537897600000)) -
		    INT64_C(62167219200000);
		t = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
		if (gmtime_r(&t, &tm) == NULL)
			fail_msg("gmtime_r(%lld)", (long long)t);
		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d."
		    "%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		    tm.tm_hour, tm.tm_min, tm.tm_sec,
		    (int)(ms - (int64_t)t * 1000));
		timefmt_format(ms, buf, sizeof(buf));
		assert_string_equal(buf, want);
		assert_int_equal(parse(buf, &back), 0);
		assert_int_equal(back, ms);
	}
}

/* format then parse gives the instant back, over the whole int64 range. */
static void
test_round_trip(void **state)
{
	static const int64_t edge[] = {
		0, 1, -1, 999, -999, 1000, -1000, DAY - 1, DAY, -DAY,
		-DAY - 1, INT64_C(253402300799999), INT64_C(253402300800000),
		INT64_C(-62167219200000), INT64_C(-62167219200001),
		INT64_MAX, INT64_MAX - 1, INT64_MIN, INT64_MIN + 1,
		INT64_MAX / DAY * DAY, INT64_MIN / DAY * DAY,
		INT64_MIN / DAY * DAY - 1,
	};
	struct rng r = { 11 };
	char buf[TIMEFMT_BUFSIZE];
	int64_t ms, back;
	size_t i, len;
	int k;

	(void)state;
	for (i = 0; i < sizeof(edge) / sizeof(edge[0]); i++) {
		len = timefmt_format(edge[i], buf, sizeof(buf));
		assert_true(len < TIMEFMT_BUFSIZE);
		assert_int_equal(len, strlen(buf));
		if (timefmt_parse(buf, len, &back) != 0)
			fail_msg("'%s' (%lld) does not read back", buf,
			    (long long)edge[i]);
		assert_int_equal(back, edge[i]);
	}
	for (k = 0; k < 300000; k++) {
		switch (k % 3) {
		case 0:		/* anywhere */
			ms = (int64_t)rng_next(&r);
			break;
		case 1:		/* within a few thousand years */
			ms = (int64_t)(rng_next(&r) >> 18) - (INT64_C(1) << 45);
			break;
		default:	/* around 1970 */
			ms = (int64_t)(rng_next(&r) >> 30) - (INT64_C(1) << 33);
			break;
		}
		len = timefmt_format(ms, buf, sizeof(buf));
		assert_true(len < TIMEFMT_BUFSIZE);
		assert_int_equal(timefmt_parse(buf, len, &back), 0);
		assert_int_equal(back, ms);
	}
}

static void
test_format(void **state)
{
	char buf[TIMEFMT_BUFSIZE], small[8];
	size_t len;

	(void)state;
	timefmt_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
	timefmt_format(INT64_C(1404172800123), buf, sizeof(buf));
	assert_string_equal(buf, "2014-07-01T00:00:00.123Z");
	timefmt_format(-1, buf, sizeof(buf));
	assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
	timefmt_format(INT64_C(-62167219200001), buf, sizeof(buf));
	assert_string_equal(buf, "-000001-12-31T23:59:59.999Z");
	timefmt_format(INT64_C(253402300800000), buf, sizeof(buf));
	assert_string_equal(buf, "+010000-01-01T00:00:00.000Z");
	timefmt_format(INT64_MAX, buf, sizeof(buf));
	assert_string_equal(buf, "+292278994-08-17T07:12:55.807Z");
	timefmt_format(INT64_MIN, buf, sizeof(buf));
	assert_string_equal(buf, "-292275055-05-16T16:47:04.192Z");
	/* a short buffer: cut and terminated, the full length returned */
	len = timefmt_format(0, small, sizeof(small));
	assert_int_equal(len, 24);
	assert_string_equal(small, "1970-01");
	assert_int_equal(timefmt_format(0, NULL, 0), 24);
}

static void
test_range_limits(void **state)
{
	(void)state;
	/* the expanded years just inside and outside int64 */
	assert_date("+292278994-08-17T07:12:55.807Z", INT64_MAX);
	assert_not_date("+292278994-08-17T07:12:55.808Z");
	assert_not_date("+292278994-08-18");
	assert_not_date("+999999999-12-31T23:59:59.999Z");
	assert_date("-292275055-05-16T16:47:04.192Z", INT64_MIN);
	assert_not_date("-292275055-05-16T16:47:04.191Z");
	assert_not_date("-292275055-05-15");
	assert_not_date("-999999999-01-01");
	/* an offset can carry the instant out of range too */
	assert_not_date("+292278994-08-17T07:12:55.807-00:01");
	assert_date("+292278994-08-17T07:13:55.807+00:01", INT64_MAX);
	assert_not_date("-292275055-05-16T16:47:04.192+00:01");
	assert_date("+012345-01-01", INT64_C(327403382400000));
	assert_date("-000001-12-31T23:59:59.999Z", INT64_C(-62167219200001));
}

static void
test_seconds(void **state)
{
	int64_t ms = 5;

	(void)state;
	assert_int_equal(timefmt_from_seconds(0, &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(timefmt_from_seconds(1577923200, &ms), 0);
	assert_int_equal(ms, INT64_C(1577923200000));
	assert_int_equal(timefmt_from_seconds(-1, &ms), 0);
	assert_int_equal(ms, -1000);
	assert_int_equal(timefmt_from_seconds(INT64_MAX / 1000, &ms), 0);
	assert_int_equal(ms, INT64_MAX / 1000 * 1000);
	assert_int_equal(timefmt_from_seconds(INT64_MIN / 1000, &ms), 0);
	assert_int_equal(ms, INT64_MIN / 1000 * 1000);
	ms = 5;
	assert_int_equal(timefmt_from_seconds(INT64_MAX / 1000 + 1, &ms), -1);
	assert_int_equal(timefmt_from_seconds(INT64_MIN / 1000 - 1, &ms), -1);
	assert_int_equal(timefmt_from_seconds(INT64_MAX, &ms), -1);
	assert_int_equal(timefmt_from_seconds(INT64_MIN, &ms), -1);
	assert_int_equal(ms, 5);

	assert_int_equal(timefmt_from_seconds_real(1.5, &ms), 0);
	assert_int_equal(ms, 1500);
	assert_int_equal(timefmt_from_seconds_real(1577923200.123, &ms), 0);
	assert_int_equal(ms, INT64_C(1577923200123));
	assert_int_equal(timefmt_from_seconds_real(1404172800.001, &ms), 0);
	assert_int_equal(ms, INT64_C(1404172800001));
	assert_int_equal(timefmt_from_seconds_real(-0.0015, &ms), 0);
	assert_int_equal(ms, -2);
	assert_int_equal(timefmt_from_seconds_real(0.0004, &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(timefmt_from_seconds_real(-1e-300, &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(timefmt_from_seconds_real(9.2e15, &ms), 0);
	assert_int_equal(ms, INT64_C(9200000000000000000));
	assert_int_equal(timefmt_from_seconds_real(-9.2233720368547758e15,
	    &ms), 0);
	assert_int_equal(ms, INT64_MIN);
	ms = 5;
	assert_int_equal(timefmt_from_seconds_real(9.2233720368547758e15,
	    &ms), -1);
	assert_int_equal(timefmt_from_seconds_real(-9.3e15, &ms), -1);
	assert_int_equal(timefmt_from_seconds_real(1e300, &ms), -1);
	assert_int_equal(timefmt_from_seconds_real(-1e300, &ms), -1);
	assert_int_equal(timefmt_from_seconds_real(1.0 / 0.0, &ms), -1);
	assert_int_equal(timefmt_from_seconds_real(-1.0 / 0.0, &ms), -1);
	assert_int_equal(timefmt_from_seconds_real(0.0 / 0.0, &ms), -1);
	assert_int_equal(ms, 5);
}

/* cmp of timestamps a and b (a number when the text starts with #). */
static int
compare(const char *a, const char *b, int *cmp)
{
	struct timefmt_ts x = { a, strlen(a), 0 }, y = { b, strlen(b), 0 };

	if (*a == '#')
		x = (struct timefmt_ts){ a + 1, strlen(a) - 1, 1 };
	if (*b == '#')
		y = (struct timefmt_ts){ b + 1, strlen(b) - 1, 1 };
	return timefmt_compare(&x, &y, cmp);
}

static void
assert_cmp(const char *a, const char *b, int want)
{
	int cmp = 99;

	if (compare(a, b, &cmp) != 0)
		fail_msg("'%s' and '%s' are not comparable", a, b);
	if (cmp != want)
		fail_msg("'%s' vs '%s': %d, want %d", a, b, cmp, want);
}

/* --resume and the backwards warning compare timestamps by their time. */
static void
test_compare(void **state)
{
	int cmp;

	(void)state;
	assert_cmp("#1600000060", "#1600000060", 0);
	assert_cmp("#1600000060", "#1600000120", -1);
	assert_cmp("#1600000120.5", "#1600000120", 1);
	assert_cmp("#10", "#9", 1);			/* not as text */
	assert_cmp("#9223372036854775807", "#9223372036854775806", 1);
	assert_cmp("10", "9", 1);			/* sequence strings */
	assert_cmp("#10", "9", 1);
	assert_cmp("2020-01-10", "2020-01-09", 1);
	assert_cmp("2020-01-02 00:00:00", "2020-01-02T00:00:00Z", 0);
	assert_cmp("2020-01-02T01:00:00+02:00", "2020-01-01 23:30:00", -1);
	assert_cmp("2020-01-02", "2020-01-01 23:59:59.999", 1);
	assert_cmp("#1577923200", "2020-01-02", 0);	/* seconds vs date */
	assert_int_equal(compare("sensor reading 5", "#1", &cmp), -1);
	assert_int_equal(compare("#1", "abc", &cmp), -1);
	assert_int_equal(compare("2020-13-01", "2020-01-01", &cmp), -1);
	assert_int_equal(compare("", "1", &cmp), -1);
}

static void
assert_unit(double v, enum timefmt_unit want)
{
	if (timefmt_number_unit(v) != want)
		fail_msg("%.17g: unit %d, want %d", v,
		    (int)timefmt_number_unit(v), (int)want);
}

static void
assert_scaled(const char *s, int digits, const char *want)
{
	char out[64];

	if (timefmt_scale_number(s, strlen(s), digits, out, sizeof(out)) != 0)
		fail_msg("%s / 10^%d: failed", s, digits);
	if (strcmp(out, want) != 0)
		fail_msg("%s / 10^%d: %s, want %s", s, digits, out, want);
}

/* The epoch ms of a number read in the unit of its magnitude. */
static void
test_number_ms(void **state)
{
	int64_t ms = 7;

	(void)state;
	assert_int_equal(timefmt_number_ms(3, &ms), -1);
	assert_int_equal(timefmt_number_ms(-99999999, &ms), -1);
	assert_int_equal(ms, 7);
	assert_int_equal(timefmt_number_ms(1600000000, &ms), 0);
	assert_int_equal(ms, 1600000000000LL);
	assert_int_equal(timefmt_number_ms(1600000000.1234, &ms), 0);
	assert_int_equal(ms, 1600000000123LL);
	assert_int_equal(timefmt_number_ms(1600000000123.0, &ms), 0);
	assert_int_equal(ms, 1600000000123LL);
	assert_int_equal(timefmt_number_ms(1600000000123456.0, &ms), 0);
	assert_int_equal(ms, 1600000000123LL);
	assert_int_equal(timefmt_number_ms(1600000000123456789.0, &ms), 0);
	assert_int_equal(ms, 1600000000123LL);
	assert_int_equal(timefmt_number_ms(-1600000000, &ms), 0);
	assert_int_equal(ms, -1600000000000LL);
	assert_int_equal(timefmt_number_ms(1e300, &ms), -1);
	assert_int_equal(timefmt_number_ms(-1e300, &ms), -1);
}

/* Epoch milliseconds, steps and sequence numbers told by magnitude. */
static void
test_number_unit(void **state)
{
	char out[8];

	(void)state;
	assert_unit(1, TIMEFMT_SEQUENCE);
	assert_unit(0, TIMEFMT_SEQUENCE);
	assert_unit(99999999, TIMEFMT_SEQUENCE);
	assert_unit(-5, TIMEFMT_SEQUENCE);
	assert_unit(100000000, TIMEFMT_SECONDS);	/* 1973-03-03 */
	assert_unit(1600000000, TIMEFMT_SECONDS);
	assert_unit(99999999999.0, TIMEFMT_SECONDS);
	assert_unit(1600000000000.0, TIMEFMT_MILLIS);
	assert_unit(1600000000000000.0, TIMEFMT_MICROS);
	assert_unit(1600000000000000000.0, TIMEFMT_NANOS);
	assert_scaled("1600000000123", 3, "1600000000.123");
	assert_scaled("1600000000000", 3, "1600000000");
	assert_scaled("1600000000120", 3, "1600000000.12");
	assert_scaled("1600000000123.5", 3, "1600000000.1235");
	assert_scaled("-1600000000123", 3, "-1600000000.123");
	assert_scaled("5", 3, "0.005");
	assert_scaled("0", 3, "0");
	assert_scaled("1600000000123456", 6, "1600000000.123456");
	assert_scaled("1.6e12", 3, "1.6e+09");
	assert_scaled("42", 0, "42");
	assert_int_equal(timefmt_scale_number("abc", 3, 3, out, sizeof(out)),
	    -1);
	assert_int_equal(timefmt_scale_number("1600000000123", 13, 3, out,
	    sizeof(out)), -1);			/* too small */
}

static void
assert_shift(const char *ts, int num, int64_t shift, const char *want)
{
	struct timefmt_ts t = { ts, strlen(ts), num };
	char out[80];

	if (timefmt_shift(&t, shift, out, sizeof(out)) != 0)
		fail_msg("%s + %lld: failed", ts, (long long)shift);
	if (strcmp(out, want) != 0)
		fail_msg("%s + %lld: %s, want %s", ts, (long long)shift, out,
		    want);
}

/* --loop's laps: timestamps shifted in their own layout, values too. */
static void
test_shift_and_laps(void **state)
{
	struct timefmt_ts bad = { "sensor 5", 8, 0 };
	int64_t times[] = { 0, 60000, 120000, 180000, 300000 };
	double values[] = { 100, 101, 102, 104, 110 };
	double flat[] = { 5, 1, 5, 1, 5 };
	char out[80];

	(void)state;
	assert_shift("1600000060", 1, 300000, "1600000360");
	assert_shift("1600000060", 1, 1500, "1600000061.5");
	assert_shift("1.5", 1, 1000, "2.5");
	assert_shift("2014-07-01 00:04:00", 0, 300000, "2014-07-01 00:09:00");
	assert_shift("2014-07-01T23:59Z", 0, 60000, "2014-07-02T00:00Z");
	assert_shift("2014-07-01T00:00:00.5+02:00", 0, 1000,
	    "2014-07-01T00:00:01.5+02:00");
	assert_shift("2014-07-01", 0, 86400000, "2014-07-02");
	assert_shift("2020-01-07", 0, 6 * DAY, "2020-01-13");
	assert_int_equal(timefmt_shift(&bad, 1000, out, sizeof(out)), -1);
	/* span 300 s + median step 60 s */
	assert_int_equal(timefmt_lap_ms(times, 5), 360000);
	assert_int_equal(timefmt_lap_ms(times, 0), 1000);
	/* 110 - 100 + median step 1.5 (steps 1, 1, 2, 6) */
	assert_true(timefmt_lap_level(values, 5) == 11.5);
	/* ends where it started, steps -4, 4, -4, 4: no shift */
	assert_true(timefmt_lap_level(flat, 5) == 0);
	assert_true(timefmt_lap_level(flat, 1) == 0);
}

static void
assert_value_like(double v, const char *like, const char *want)
{
	char out[80];

	if (timefmt_value_like(v, like, out, sizeof(out)) != 0)
		fail_msg("%.17g like %s: failed", v, like);
	if (strcmp(out, want) != 0)
		fail_msg("%.17g like %s: %s, want %s", v, like, out, want);
}

/* --loop's shifted values written like the input's. */
static void
test_value_like(void **state)
{
	char out[8];

	(void)state;
	assert_value_like(111.5, "101.50", "111.50");	/* decimals kept */
	assert_value_like(7, "5", "7");
	assert_value_like(-3, "2.000", "-3.000");
	assert_value_like(0.1 + 0.2, "0.1", "0.3");	/* float noise */
	assert_value_like(111.5, "100", "111.5");	/* would lose .5 */
	assert_value_like(1.25, "1.2", "1.25");
	assert_value_like(1500, "1e3", "1.5e+03");	/* exponent: %g */
	assert_value_like(2.5e-7, "1E-7", "2.5e-07");
	assert_value_like(0, "0", "0");
	assert_int_equal(timefmt_value_like(123456789.5, "1.5", out,
	    sizeof(out)), -1);				/* cut */
	assert_int_equal(strlen(out), sizeof(out) - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_dates),
		cmocka_unit_test(test_fractions),
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_calendar_rules),
		cmocka_unit_test(test_not_dates),
		cmocka_unit_test(test_day_walk),
		cmocka_unit_test(test_against_libc),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_range_limits),
		cmocka_unit_test(test_seconds),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_number_unit),
		cmocka_unit_test(test_number_ms),
		cmocka_unit_test(test_shift_and_laps),
		cmocka_unit_test(test_value_like),
	};

	return cmocka_run_group_tests_name("timefmt", tests, NULL, NULL);
}
