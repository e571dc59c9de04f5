/*
 * timefmt.c: ISO 8601 dates to epoch milliseconds and back.
 *
 * Days are counted with Howard Hinnant's days_from_civil / civil_from_days
 * (proleptic Gregorian, 400-year eras), so no libc time function, time zone
 * or locale is involved.  Every sum that could leave int64 is checked first.
 */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "timefmt.h"

#define MS_PER_DAY	INT64_C(86400000)

/* Days from 1970-01-01 to y-m-d, for any year |y| < 2^50. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The date of day z counted from 1970-01-01, for any |z| < 2^58. */
static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
is_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static unsigned
month_days(int64_t y, unsigned m)
{
	static const unsigned char days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads exactly count digits at *p (before end) into *v; advances *p. */
static int
fixed_digits(const char **p, const char *end, int count, unsigned *v)
{
	unsigned x = 0;
	int i;

	if (end - *p < count)
		return -1;
	for (i = 0; i < count; i++) {
		if (!is_digit((*p)[i]))
			return -1;
		x = x * 10 + (unsigned)((*p)[i] - '0');
	}
	*p += count;
	*v = x;
	return 0;
}

/* Reads the year: four digits, or a sign and 6 to 9 digits. */
static int
read_year(const char **p, const char *end, int64_t *y)
{
	const char *q = *p;
	int64_t v = 0;
	unsigned u;
	int neg, nd;

	if (q < end && (*q == '+' || *q == '-')) {
		neg = *q++ == '-';
		for (nd = 0; q < end && is_digit(*q) && nd < 10; nd++)
			v = v * 10 + (*q++ - '0');
		if (nd < 6 || nd > 9 || (neg && v == 0))
			return -1;
		*y = neg ? -v : v;
		*p = q;
		return 0;
	}
	if (fixed_digits(p, end, 4, &u) == -1)
		return -1;
	*y = u;
	return 0;
}

static int
expect(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return -1;
	(*p)++;
	return 0;
}

/* Sets *ms to days * MS_PER_DAY + t, t any int64 of a few days at most,
 * unless that leaves int64. */
static int
combine(int64_t days, int64_t t, int64_t *ms)
{
	int64_t q = t / MS_PER_DAY, r = t % MS_PER_DAY, base;

	if (r < 0) {
		q--;
		r += MS_PER_DAY;
	}
	if ((q > 0 && days > INT64_MAX - q) || (q < 0 && days < INT64_MIN - q))
		return -1;
	days += q;
	/* Now 0 <= r < MS_PER_DAY.  For days < 0 go through days + 1 so that
	 * the product stays in range down to INT64_MIN. */
	if (days >= 0) {
		if (days > INT64_MAX / MS_PER_DAY)
			return -1;
		base = days * MS_PER_DAY;
		if (base > INT64_MAX - r)
			return -1;
		*ms = base + r;
	} else {
		if (days + 1 < INT64_MIN / MS_PER_DAY)
			return -1;
		base = (days + 1) * MS_PER_DAY;
		r -= MS_PER_DAY;	/* -MS_PER_DAY <= r < 0 */
		if (base < INT64_MIN - r)
			return -1;
		*ms = base + r;
	}
	return 0;
}

int
timefmt_parse(const char *s, size_t len, int64_t *ms)
{
	const char *p = s, *end = s + len;
	int64_t year, t;
	unsigned mon, day, hour = 0, min = 0, sec = 0, frac = 0;
	unsigned oh = 0, om = 0;
	int nonzero = 0, osign = 0, nd;

	if (s == NULL)
		return -1;
	if (read_year(&p, end, &year) == -1 || expect(&p, end, '-') == -1 ||
	    fixed_digits(&p, end, 2, &mon) == -1 ||
	    expect(&p, end, '-') == -1 ||
	    fixed_digits(&p, end, 2, &day) == -1)
		return -1;
	if (mon < 1 || mon > 12 || day < 1 || day > month_days(year, mon))
		return -1;
	if (p < end) {
		if (*p != 'T' && *p != 't' && *p != ' ')
			return -1;
		p++;
		if (fixed_digits(&p, end, 2, &hour) == -1 ||
		    expect(&p, end, ':') == -1 ||
		    fixed_digits(&p, end, 2, &min) == -1)
			return -1;
		if (p < end && *p == ':') {
			p++;
			if (fixed_digits(&p, end, 2, &sec) == -1)
				return -1;
			if (p < end && (*p == '.' || *p == ',')) {
				p++;
				for (nd = 0; p < end && is_digit(*p);
				    nd++, p++) {
					if (*p != '0')
						nonzero = 1;
					if (nd < 3)
						frac = frac * 10 +
						    (unsigned)(*p - '0');
				}
				if (nd == 0)
					return -1;
				for (; nd < 3; nd++)
					frac *= 10;
			}
		}
		if (p < end && (*p == 'Z' || *p == 'z'))
			p++;
		else if (p < end && (*p == '+' || *p == '-')) {
			osign = *p++ == '-' ? -1 : 1;
			if (fixed_digits(&p, end, 2, &oh) == -1)
				return -1;
			if (p < end && *p == ':') {
				p++;
				if (fixed_digits(&p, end, 2, &om) == -1)
					return -1;
			} else if (p < end && fixed_digits(&p, end, 2,
			    &om) == -1)
				return -1;
		}
	}
	if (p != end)
		return -1;
	if (hour > 24 || min > 59 || sec > 60 || oh > 23 || om > 59)
		return -1;
	if (hour == 24 && (min != 0 || sec != 0 || nonzero))
		return -1;

	t = (((int64_t)hour * 60 + min) * 60 + sec) * 1000 + frac;
	t -= (int64_t)osign * ((int64_t)oh * 60 + om) * 60000;
	return combine(days_from_civil(year, mon, day), t, ms);
}

int
timefmt_from_seconds(int64_t sec, int64_t *ms)
{
	if (sec > INT64_MAX / 1000 || sec < INT64_MIN / 1000)
		return -1;
	*ms = sec * 1000;
	return 0;
}

int
timefmt_from_seconds_real(double sec, int64_t *ms)
{
	double r;

	if (!isfinite(sec))
		return -1;
	r = round(sec * 1000.0);
	/* -2^63 is an int64, 2^63 is not; both are exact doubles. */
	if (!(r >= -9223372036854775808.0 && r < 9223372036854775808.0))
		return -1;
	*ms = (int64_t)r;
	return 0;
}

size_t
timefmt_format(int64_t ms, char *buf, size_t size)
{
	int64_t days = ms / MS_PER_DAY, r = ms % MS_PER_DAY, y;
	unsigned m, d, h, mi, s, f;
	int n;

	if (r < 0) {
		days--;
		r += MS_PER_DAY;
	}
	civil_from_days(days, &y, &m, &d);
	f = (unsigned)(r % 1000);
	r /= 1000;
	s = (unsigned)(r % 60);
	r /= 60;
	mi = (unsigned)(r % 60);
	h = (unsigned)(r / 60);
	if (y >= 0 && y <= 9999)
		n = snprintf(buf, size, "%04" PRId64
		    "-%02u-%02uT%02u:%02u:%02u.%03uZ", y, m, d, h, mi, s, f);
	else
		n = snprintf(buf, size, "%+07" PRId64
		    "-%02u-%02uT%02u:%02u:%02u.%03uZ", y, m, d, h, mi, s, f);
	return n < 0 ? 0 : (size_t)n;
}
