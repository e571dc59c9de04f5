/*
 * timefmt.c: ISO 8601 dates to epoch milliseconds and back.
 *
 * Days are counted with Howard Hinnant's days_from_civil / civil_from_days
 * (proleptic Gregorian, 400-year eras), so no libc time function, time zone
 * or locale is involved.  Every sum that could leave int64 is checked first.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ------------------------------------------------- comparing, shifting */

/* Whether the len bytes at s are an optional '-' and decimal digits. */
static int
is_integer_text(const char *s, size_t len)
{
	size_t i = len > 0 && s[0] == '-';

	if (i == len)
		return 0;
	for (; i < len; i++)
		if (!is_digit(s[i]))
			return 0;
	return 1;
}

/* Reads a number's text (at most 64 bytes) into *d, and into *i when it
 * is an integer that fits int64 (*is_int then 1). */
static int
read_number(const char *s, size_t len, double *d, int64_t *i, int *is_int)
{
	char buf[72], *end;
	long long ll;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	*is_int = 0;
	if (is_integer_text(buf, len)) {
		errno = 0;
		ll = strtoll(buf, &end, 10);
		if (errno == 0 && *end == '\0') {
			*i = ll;
			*is_int = 1;
		}
	}
	errno = 0;
	*d = strtod(buf, &end);
	if (*end != '\0' || !isfinite(*d))
		return -1;
	return 0;
}

/* A timestamp as a number (kind 1: *d, *i) or a date (kind 2: *ms). */
static int
ts_kind(const struct timefmt_ts *t, double *d, int64_t *i, int *is_int,
    int64_t *ms)
{
	if (t->is_number || is_integer_text(t->text, t->len))
		return read_number(t->text, t->len, d, i, is_int) == 0 ? 1 : 0;
	return timefmt_parse(t->text, t->len, ms) == 0 ? 2 : 0;
}

int
timefmt_compare(const struct timefmt_ts *a, const struct timefmt_ts *b,
    int *cmp)
{
	double da = 0, db = 0;
	int64_t ia = 0, ib = 0, ma = 0, mb = 0;
	int inta = 0, intb = 0, ka, kb;

	ka = ts_kind(a, &da, &ia, &inta, &ma);
	kb = ts_kind(b, &db, &ib, &intb, &mb);
	if (ka == 0 || kb == 0)
		return -1;
	if (ka == 1 && kb == 1) {
		if (inta && intb)
			*cmp = ia < ib ? -1 : ia > ib;
		else
			*cmp = da < db ? -1 : da > db;
		return 0;
	}
	if (ka == 1 && timefmt_from_seconds_real(da, &ma) == -1)
		return -1;
	if (kb == 1 && timefmt_from_seconds_real(db, &mb) == -1)
		return -1;
	*cmp = ma < mb ? -1 : ma > mb;
	return 0;
}

enum timefmt_unit
timefmt_number_unit(double v)
{
	double a = fabs(v);

	if (a < 1e8)
		return TIMEFMT_SEQUENCE;
	if (a < 1e11)
		return TIMEFMT_SECONDS;
	if (a < 1e14)
		return TIMEFMT_MILLIS;
	if (a < 1e17)
		return TIMEFMT_MICROS;
	return TIMEFMT_NANOS;
}

int
timefmt_number_ms(double v, int64_t *ms)
{
	double m;

	switch (timefmt_number_unit(v)) {
	case TIMEFMT_SEQUENCE:
		return -1;
	case TIMEFMT_SECONDS:
		return timefmt_from_seconds_real(v, ms);
	case TIMEFMT_MILLIS:
		m = v;
		break;
	case TIMEFMT_MICROS:
		m = v / 1e3;
		break;
	default:
		m = v / 1e6;
		break;
	}
	if (!(fabs(m) < 9e18))
		return -1;
	*ms = llround(m);
	return 0;
}

/* Writes the shortest text of d that reads back as d. */
static int
shortest(double d, char *out, size_t size)
{
	int p, n = -1;

	for (p = 1; p <= 17; p++) {
		n = snprintf(out, size, "%.*g", p, d);
		if (n < 0 || (size_t)n >= size)
			return -1;
		if (strtod(out, NULL) == d)
			break;
	}
	return 0;
}

int
timefmt_scale_number(const char *s, size_t len, int digits, char *out,
    size_t size)
{
	char buf[72], dig[96], num[112];
	const char *dot;
	size_t ilen, flen, nd = 0, o = 0, point, z, first;
	double d;
	int64_t i;
	int is_int, neg;

	if (digits < 0 || digits > 9 ||
	    read_number(s, len, &d, &i, &is_int) == -1)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (strpbrk(buf, "eE") != NULL)
		return shortest(d / pow(10, digits), out, size);
	neg = buf[0] == '-';
	dot = strchr(buf, '.');
	ilen = (dot != NULL ? (size_t)(dot - buf) : len) - (size_t)neg;
	flen = dot != NULL ? len - (size_t)(dot - buf) - 1 : 0;
	/* The digits with the point moved left: zeros in front when the
	 * integer part is shorter than the shift. */
	for (z = ilen; z < (size_t)digits; z++)
		dig[nd++] = '0';
	memcpy(dig + nd, buf + neg, ilen);
	nd += ilen;
	memcpy(dig + nd, dot != NULL ? dot + 1 : "", flen);
	nd += flen;
	point = nd - flen - (size_t)digits;
	for (first = 0; first + 1 < point && dig[first] == '0'; first++)
		;
	if (neg)
		num[o++] = '-';
	if (point == 0)
		num[o++] = '0';
	memcpy(num + o, dig + first, point - first);
	o += point - first;
	while (nd > point && dig[nd - 1] == '0')
		nd--;
	if (nd > point) {
		num[o++] = '.';
		memcpy(num + o, dig + point, nd - point);
		o += nd - point;
	}
	num[o] = '\0';
	if (strcmp(num, "-0") == 0)
		strcpy(num, "0");
	if (o >= size)
		return -1;
	memcpy(out, num, o + 1);
	return 0;
}

/* Writes the epoch-seconds number ts moved by shift ms to out. */
static int
shift_number(const char *ts, size_t len, int64_t shift, char *out,
    size_t size)
{
	double d;
	int64_t i;
	int is_int, n;
	size_t k;

	if (read_number(ts, len, &d, &i, &is_int) == -1)
		return -1;
	if (is_int && shift % 1000 == 0 &&
	    !((shift / 1000 > 0 && i > INT64_MAX - shift / 1000) ||
	    (shift / 1000 < 0 && i < INT64_MIN - shift / 1000))) {
		n = snprintf(out, size, "%" PRId64, i + shift / 1000);
		return n < 0 || (size_t)n >= size ? -1 : 0;
	}
	n = snprintf(out, size, "%.3f", d + (double)shift / 1000);
	if (n < 0 || (size_t)n >= size)
		return -1;
	for (k = (size_t)n; out[k - 1] == '0'; k--)
		out[k - 1] = '\0';
	if (out[k - 1] == '.')
		out[k - 1] = '\0';
	return 0;
}

static int
all_digits(const char *s, size_t n)
{
	for (; n > 0; n--, s++)
		if (!is_digit(*s))
			return 0;
	return 1;
}

/* Writes the date ts (len bytes, ms its time) moved by shift ms to out,
 * in ts's layout. */
static int
shift_date(const char *ts, size_t len, int64_t ms, int64_t shift, char *out,
    size_t size)
{
	char iso[TIMEFMT_BUFSIZE];
	int64_t wall;
	size_t p, fd = 0, zone;
	int n;

	if (len < 10 || ts[4] != '-' || !all_digits(ts, 4)) {
		/* An expanded year: ISO 8601 in UTC. */
		if (timefmt_format(ms + shift, iso, sizeof(iso)) >= size)
			return -1;
		strcpy(out, iso);
		return 0;
	}
	if (len == 10) {
		timefmt_format(ms + shift, iso, sizeof(iso));
		if (iso[0] == '+' || iso[0] == '-' || size < 11)
			return -1;
		snprintf(out, size, "%.10s", iso);
		return 0;
	}
	/* YYYY-MM-DDThh:mm[:ss[.f...]][zone] */
	p = 16;
	if (p < len && ts[p] == ':')
		p += 3;
	if (p < len && (ts[p] == '.' || ts[p] == ',')) {
		for (fd = 0; p + 1 + fd < len && is_digit(ts[p + 1 + fd]);
		    fd++)
			;
	}
	zone = p + (fd > 0 ? 1 + fd : 0);
	/* The wall clock of the zone: the text without it read as UTC. */
	if (timefmt_parse(ts, zone, &wall) == -1)
		wall = ms;
	if ((shift > 0 && wall > INT64_MAX - shift) ||
	    (shift < 0 && wall < INT64_MIN - shift))
		return -1;
	timefmt_format(wall + shift, iso, sizeof(iso));
	if (iso[0] == '+' || iso[0] == '-')
		return -1;
	/* iso: YYYY-MM-DDThh:mm:ss.mmmZ */
	n = snprintf(out, size, "%.10s%c%.*s", iso, ts[10],
	    p >= 19 ? 8 : 5, iso + 11);
	if (n < 0)
		return -1;
	if (fd > 0)
		n += snprintf(out + n, size > (size_t)n ? size - (size_t)n : 0,
		    "%c%.*s%.*s", ts[p], (int)(fd < 3 ? fd : 3), iso + 20,
		    (int)(fd > 3 ? fd - 3 : 0), "000000000000000000000000000000"
		    "000000000000000000000000000000000000");
	n += snprintf(out + n, size > (size_t)n ? size - (size_t)n : 0,
	    "%.*s", (int)(len - zone), ts + zone);
	return (size_t)n < size ? 0 : -1;
}

int
timefmt_shift(const struct timefmt_ts *ts, int64_t shift_ms, char *out,
    size_t size)
{
	int64_t ms;

	if (ts->is_number)
		return shift_number(ts->text, ts->len, shift_ms, out, size);
	if (timefmt_parse(ts->text, ts->len, &ms) == -1)
		return -1;
	if ((shift_ms > 0 && ms > INT64_MAX - shift_ms) ||
	    (shift_ms < 0 && ms < INT64_MIN - shift_ms))
		return -1;
	return shift_date(ts->text, ts->len, ms, shift_ms, out, size);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int64_t
timefmt_lap_ms(int64_t *times, size_t n)
{
	int64_t lo, hi, med = 0, shift;
	size_t i;

	if (n == 0)
		return 1000;
	lo = hi = times[0];
	for (i = 1; i < n; i++) {
		if (times[i] < lo)
			lo = times[i];
		if (times[i] > hi)
			hi = times[i];
		times[i - 1] = times[i] - times[i - 1];
	}
	if (n > 1) {
		qsort(times, n - 1, sizeof(*times), cmp_i64);
		med = times[(n - 2) / 2];
	}
	shift = hi - lo + med;
	return shift > 0 ? shift : 1000;
}

double
timefmt_lap_level(double *values, size_t n)
{
	double first, last;
	size_t i;

	if (n < 2)
		return 0;
	first = values[0];
	last = values[n - 1];
	for (i = 1; i < n; i++)
		values[i - 1] = values[i] - values[i - 1];
	qsort(values, n - 1, sizeof(*values), cmp_double);
	n--;				/* steps */
	return last - first + (n % 2 ? values[n / 2] :
	    (values[n / 2 - 1] + values[n / 2]) / 2);
}

int
timefmt_value_like(double v, const char *like, char *out, size_t size)
{
	const char *dot = strchr(like, '.');
	int p, n = 0;

	if (strpbrk(like, "eE") == NULL) {
		n = snprintf(out, size, "%.*f", dot != NULL ?
		    (int)strspn(dot + 1, "0123456789") : 0, v);
		if (fabs(strtod(out, NULL) - v) <= 1e-9 * fabs(v))
			return n < 0 || (size_t)n >= size ? -1 : 0;
	}
	for (p = 1; p <= 17; p++) {
		n = snprintf(out, size, "%.*g", p, v);
		if (strtod(out, NULL) == v)
			break;
	}
	return n < 0 || (size_t)n >= size ? -1 : 0;
}
