/*
 * moves.c: the moves detector (moves.h): log-returns judged against a
 * guarded slow variance and a fast one.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "moves.h"

#define SLOW_WEIGHT	(1.0 / 128)
#define FAST_WEIGHT	(1.0 / 8)
#define SLOW_CLIP	3.0	/* sigmas a return counts at most, slow */
#define FAST_CLIP	10.0	/* and fast */
#define VAR_FLOOR	1e-14	/* variance of a series that never moved */

void
moves_init(struct moves *m)
{
	memset(m, 0, sizeof(*m));
}

/* Orders doubles for qsort(). */
static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The starting variance from the first returns: (median |r| / 0.6745)^2,
 * else their mean square when most did not move, never below the
 * floor. */
static double
start_variance(const double *first)
{
	double a[MOVES_INIT], s, v = 0;
	unsigned i;

	memcpy(a, first, sizeof(a));
	qsort(a, MOVES_INIT, sizeof(a[0]), cmp_double);
	s = 0.5 * (a[MOVES_INIT / 2 - 1] + a[MOVES_INIT / 2]) / 0.6745;
	v = s * s;
	if (v == 0) {
		for (i = 0; i < MOVES_INIT; i++)
			v += first[i] * first[i];
		v /= MOVES_INIT;
	}
	return v > VAR_FLOOR ? v : VAR_FLOOR;
}

double
moves_push(struct moves *m, double x, double k, double burst)
{
	double r, sigma, c, stat, fstat;

	if (!(x > 0))
		return NAN;
	if (!(m->prev > 0)) {
		m->prev = x;
		return NAN;
	}
	r = log(x / m->prev);
	m->prev = x;
	if (m->nr < MOVES_INIT) {
		m->first[m->nr++] = fabs(r);
		if (m->nr == MOVES_INIT)
			m->s2 = m->f2 = start_variance(m->first);
		return NAN;
	}
	m->nr++;
	sigma = sqrt(m->s2);
	stat = fabs(r) / (k * sigma);
	c = FAST_CLIP * sigma;
	m->f2 = (1 - FAST_WEIGHT) * m->f2 + FAST_WEIGHT * fmin(r * r, c * c);
	fstat = sqrt(m->f2 / m->s2) / burst;
	c = SLOW_CLIP * sigma;
	m->s2 = (1 - SLOW_WEIGHT) * m->s2 + SLOW_WEIGHT * fmin(r * r, c * c);
	if (m->s2 < VAR_FLOOR)
		m->s2 = VAR_FLOOR;
	return stat > fstat ? stat : fstat;
}

size_t
moves_state_size(void)
{
	return 8 * (4 + MOVES_INIT);
}

void
moves_save(const struct moves *m, unsigned char *buf)
{
	unsigned i;

	buf = le_put64(buf, le_double_bits(m->prev));
	buf = le_put64(buf, m->nr);
	buf = le_put64(buf, le_double_bits(m->s2));
	buf = le_put64(buf, le_double_bits(m->f2));
	for (i = 0; i < MOVES_INIT; i++)
		buf = le_put64(buf, le_double_bits(m->first[i]));
}

int
moves_load(struct moves *m, const unsigned char *buf, size_t len)
{
	unsigned i;

	if (len != moves_state_size())
		return -1;
	m->prev = le_bits_double(le_get64(buf));
	m->nr = le_get64(buf + 8);
	m->s2 = le_bits_double(le_get64(buf + 16));
	m->f2 = le_bits_double(le_get64(buf + 24));
	for (i = 0; i < MOVES_INIT; i++)
		m->first[i] = le_bits_double(le_get64(buf + 32 + 8 * i));
	if (!isfinite(m->prev) || m->prev < 0 || !isfinite(m->s2) ||
	    !isfinite(m->f2) || m->s2 < 0 || m->f2 < 0 ||
	    m->nr > (uint64_t)1 << 62 || (m->nr >= MOVES_INIT &&
	    m->s2 < VAR_FLOOR))
		return -1;
	for (i = 0; i < MOVES_INIT; i++)
		if (!isfinite(m->first[i]) || m->first[i] < 0)
			return -1;
	return 0;
}
