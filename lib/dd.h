/*
 * dd.h: double-double arithmetic, about 106 bits of significand.
 *
 * The running sums of the detectors are kept as unevaluated sums hi + lo so
 * that adding and later removing a huge value leaves the small ones intact
 * (SPEC §3.4: 1e12-magnitude and heavy-tailed streams keep full precision).
 * Error-free transformations after Knuth (TwoSum) and the fused multiply-add
 * (TwoProduct); results are the same on every IEEE 754 machine.
 */
#ifndef ANOMALY_DD_H
#define ANOMALY_DD_H

#include <math.h>

struct dd {
	double hi, lo;
};

/* Returns a + b exactly as hi + lo. */
static inline struct dd
dd_two_sum(double a, double b)
{
	double s = a + b, bb = s - a;
	struct dd r = { s, (a - (s - bb)) + (b - bb) };

	return r;
}

/* Returns a * b exactly as hi + lo (barring overflow and underflow). */
static inline struct dd
dd_two_prod(double a, double b)
{
	double p = a * b;
	struct dd r = { p, fma(a, b, -p) };

	return r;
}

/* Returns x as a double-double. */
static inline struct dd
dd_from(double x)
{
	struct dd r = { x, 0.0 };

	return r;
}

/* Returns a + b. */
static inline struct dd
dd_add_d(struct dd a, double b)
{
	struct dd s = dd_two_sum(a.hi, b);

	s.lo += a.lo;
	return dd_two_sum(s.hi, s.lo);
}

/* Returns a + b. */
static inline struct dd
dd_add(struct dd a, struct dd b)
{
	struct dd s = dd_two_sum(a.hi, b.hi);
	struct dd t = dd_two_sum(a.lo, b.lo);

	s.lo += t.hi;
	s = dd_two_sum(s.hi, s.lo);
	s.lo += t.lo;
	return dd_two_sum(s.hi, s.lo);
}

/* Returns -a. */
static inline struct dd
dd_neg(struct dd a)
{
	struct dd r = { -a.hi, -a.lo };

	return r;
}

/* Returns a * b. */
static inline struct dd
dd_mul_d(struct dd a, double b)
{
	struct dd p = dd_two_prod(a.hi, b);

	p.lo += a.lo * b;
	return dd_two_sum(p.hi, p.lo);
}

/* Returns a * b. */
static inline struct dd
dd_mul(struct dd a, struct dd b)
{
	struct dd p = dd_two_prod(a.hi, b.hi);

	p.lo += a.hi * b.lo + a.lo * b.hi;
	return dd_two_sum(p.hi, p.lo);
}

/* Returns a / b, b != 0. */
static inline struct dd
dd_div_d(struct dd a, double b)
{
	double q1 = a.hi / b;
	struct dd r = dd_add(a, dd_neg(dd_two_prod(q1, b)));
	double q2 = r.hi / b;

	return dd_two_sum(q1, q2);
}

/* Whether a > b. */
static inline int
dd_greater(struct dd a, struct dd b)
{
	return a.hi > b.hi || (a.hi == b.hi && a.lo > b.lo);
}

#endif
