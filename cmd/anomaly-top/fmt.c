/*
 * fmt.c: numbers, ages and series as text for anomaly-top (see fmt.h).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fmt.h"

char *
fmt_count(int64_t n, int width, char *buf, size_t size)
{
	static const char suffix[] = "kMGTPE";
	double d;
	int i, len, prec;

	len = snprintf(buf, size, "%lld", (long long)n);
	if (len <= width)
		return buf;
	d = (double)n;
	for (i = 0; i < 6; i++) {
		d /= 1000.0;
		if (fabs(d) >= 999.5)
			continue;
		/* as many decimals as fit, at most two */
		for (prec = 2; prec >= 0; prec--) {
			len = snprintf(buf, size, "%.*f%c", prec, d, suffix[i]);
			if (len <= width)
				return buf;
		}
	}
	snprintf(buf, size, "%.*s", width, "##########");
	return buf;
}

char *
fmt_value(double v, int width, char *buf, size_t size)
{
	int prec, len;

	if (isnan(v)) {
		snprintf(buf, size, "-");
		return buf;
	}
	for (prec = 6; prec >= 1; prec--) {
		len = snprintf(buf, size, "%.*g", prec, v);
		if (len <= width)
			return buf;
	}
	/* the exponent form is the last resort: 1e+300 */
	for (prec = 2; prec >= 0; prec--) {
		len = snprintf(buf, size, "%.*e", prec, v);
		if (len <= width)
			return buf;
	}
	snprintf(buf, size, "%.*s", width, "##########");
	return buf;
}

char *
fmt_rate(double r, char *buf, size_t size)
{
	if (isnan(r) || r < 0)
		snprintf(buf, size, "-");
	else if (r < 100)
		snprintf(buf, size, "%.1f", r);
	else if (r < 99999.5)
		snprintf(buf, size, "%.0f", r);
	else if (r < 999.95e3)
		snprintf(buf, size, "%.1fk", r / 1e3);
	else
		snprintf(buf, size, "%.1fM", r / 1e6);
	return buf;
}

char *
fmt_percent(int64_t part, int64_t whole, char *buf, size_t size)
{
	if (whole <= 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.2f%%", 100.0 * (double)part /
		    (double)whole);
	return buf;
}

char *
fmt_age(int64_t ms, char *buf, size_t size)
{
	int64_t s = ms / 1000;

	if (s < 1)
		snprintf(buf, size, "now");
	else if (s < 100)
		snprintf(buf, size, "%llds", (long long)s);
	else if (s < 100 * 60)
		snprintf(buf, size, "%lldm", (long long)(s / 60));
	else if (s < 100 * 3600)
		snprintf(buf, size, "%lldh", (long long)(s / 3600));
	else if (s < 10000LL * 86400)
		snprintf(buf, size, "%lldd", (long long)(s / 86400));
	else
		snprintf(buf, size, "long");
	return buf;
}

char *
fmt_clock(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, size, "-");
	return buf;
}

size_t
fmt_utf8(uint32_t cp, char *buf)
{
	if (cp < 0x80) {
		buf[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		buf[0] = (char)(0xc0 | (cp >> 6));
		buf[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		buf[0] = (char)(0xe0 | (cp >> 12));
		buf[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		buf[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	buf[0] = (char)(0xf0 | (cp >> 18));
	buf[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	buf[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	buf[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

int
fmt_range(const double *v, size_t n, double *lo, double *hi)
{
	size_t i;
	int any = 0;
	double pad;

	for (i = 0; i < n; i++) {
		if (!isfinite(v[i]))
			continue;
		if (!any || v[i] < *lo)
			*lo = v[i];
		if (!any || v[i] > *hi)
			*hi = v[i];
		any = 1;
	}
	if (!any)
		return -1;
	if (*lo == *hi) {
		pad = fabs(*lo) > 0 ? fabs(*lo) * 0.05 : 1.0;
		*lo -= pad;
		*hi += pad;
	}
	return 0;
}

/* The level (0 .. levels-1) of x in [lo, hi]. */
static int
level(double x, double lo, double hi, int levels)
{
	double f;
	int l;

	if (!(hi > lo))
		return 0;
	f = (x - lo) / (hi - lo);
	l = (int)floor(f * levels);
	if (l < 0)
		l = 0;
	if (l >= levels)
		l = levels - 1;
	return l;
}

void
fmt_sparkline(const double *v, const unsigned char *flags, size_t n,
    int utf8, int mark, uint32_t *out)
{
	static const char ascii[] = "_.-~=+*#";
	double lo = 0, hi = 0;
	size_t i;
	int l, any = 0;

	/* the raw range: a flat series draws on the lowest level */
	for (i = 0; i < n; i++) {
		if (!isfinite(v[i]))
			continue;
		if (!any || v[i] < lo)
			lo = v[i];
		if (!any || v[i] > hi)
			hi = v[i];
		any = 1;
	}
	for (i = 0; i < n; i++) {
		if (!isfinite(v[i])) {
			out[i] = ' ';
			continue;
		}
		if (mark && flags != NULL && (flags[i] & FMT_ANOMALY)) {
			out[i] = '!';
			continue;
		}
		l = level(v[i], lo, hi, 8);
		out[i] = utf8 ? 0x2581 + (uint32_t)l : (uint32_t)ascii[l];
	}
}

size_t
fmt_chart_points(int cols, int utf8)
{
	return cols <= 0 ? 0 : (size_t)cols * (utf8 ? 2 : 1);
}

/* Braille dot bit for the dot column dx (0, 1) and dot row dy (0 top .. 3)
 * of a cell, as Unicode numbers the dots. */
static uint32_t
braille_bit(int dx, int dy)
{
	static const uint32_t bits[2][4] = {
		{ 0x01, 0x02, 0x04, 0x40 },
		{ 0x08, 0x10, 0x20, 0x80 }
	};

	return bits[dx][dy];
}

void
fmt_chart(const double *v, const unsigned char *flags, size_t n,
    double lo, double hi, int rows, int cols, int utf8, uint32_t *cells,
    unsigned char *cellflags)
{
	size_t cap, first, i;
	int sub = utf8 ? 4 : 1, per = utf8 ? 2 : 1;
	int height, x, y, prev = -1, from, to, cx, cy;
	uint32_t *dots = cells;

	if (rows <= 0 || cols <= 0)
		return;
	for (i = 0; i < (size_t)rows * (size_t)cols; i++) {
		cells[i] = 0;
		cellflags[i] = 0;
	}
	if (hi <= lo) {
		double pad = fabs(lo) > 0 ? fabs(lo) * 0.05 : 1.0;

		lo -= pad;
		hi += pad;
	}
	height = rows * sub;
	cap = fmt_chart_points(cols, utf8);
	first = n > cap ? n - cap : 0;
	for (i = first; i < n; i++) {
		/* x: the dot column, right-aligned */
		x = (int)(cap - (n - i));
		cx = x / per;
		if (!isfinite(v[i])) {
			prev = -1;
			continue;
		}
		/* y: dot row from the top */
		y = height - 1 - level(v[i], lo, hi, height);
		from = to = y;
		if (prev >= 0) {
			/* join to the previous point: the run between them */
			if (prev < y)
				from = prev + 1;
			else if (prev > y)
				to = prev - 1;
		}
		for (int yy = from; yy <= to; yy++) {
			cy = yy / sub;
			if (utf8)
				dots[cy * cols + cx] |= braille_bit(x % 2,
				    yy % 4);
			else
				dots[cy * cols + cx] = yy == y ? '*' : '|';
		}
		if (flags != NULL)
			cellflags[(y / sub) * cols + cx] |= flags[i] &
			    (FMT_ANOMALY | FMT_ALERT);
		prev = y;
	}
	for (i = 0; i < (size_t)rows * (size_t)cols; i++) {
		if (utf8)
			cells[i] = cells[i] != 0 ? 0x2800 + cells[i] : ' ';
		else if (cells[i] == 0)
			cells[i] = ' ';
	}
}
