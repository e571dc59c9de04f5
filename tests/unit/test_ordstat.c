/*
 * test_ordstat.c: lib/ordstat against a plain sorted array.
 *
 * Every sequence of inserts and removes is applied to both an ordstat and a
 * reference (a sorted array kept with memmove), and every answer of the
 * ordstat is compared with the reference's.  Sequences mimic sliding windows
 * (insert the new value, remove the oldest) and random walks of the count,
 * over values with many duplicates, sorted runs, huge magnitudes and signed
 * zeros.  All randomness comes from fixed seeds.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ordstat.h"
#include "rng.h"

/* The reference: n values in ascending order at v, inside buf, which has
 * room for cap values on either side, so that inserts and removes move the
 * shorter side (sorted runs then cost O(1) a step). */
struct ref {
	double	*buf;
	double	*v;
	size_t	 n;
	size_t	 cap;
};

/* An ordstat, its reference and the FIFO order of a sliding window. */
struct pair {
	struct ordstat	*os;
	struct ref	 ref;
	double		*ring;
	size_t		 head;
	struct rng	 rng;
	uint32_t	*ranks;
	double		*out;
};

enum dist {
	D_UNIFORM,	/* uniform in [-1, 1) */
	D_SMALLINT,	/* integers 0..9: many duplicates */
	D_EQUAL,	/* always 3.5 */
	D_ASCENDING,	/* 0, 1, 2, ... */
	D_DESCENDING,	/* 0, -1, -2, ... */
	D_ALTERNATING,	/* large and small by turns, both drifting */
	D_HUGE,		/* +-1e300 magnitudes, DBL_MAX, DBL_MIN, denormals */
	D_ZEROS,	/* -0.0, 0.0 and a few +-1 */
	D_COUNT
};

static const size_t caps[] = {
	1, 2, 4, 5, 63, 64, 65, 127, 128, 129, 1000, 10000
};
#define NCAPS	(sizeof(caps) / sizeof(caps[0]))

static double
draw(struct rng *r, enum dist d, uint64_t i)
{
	switch (d) {
	case D_UNIFORM:
		return 2.0 * rng_double(r) - 1.0;
	case D_SMALLINT:
		return (double)rng_below(r, 10);
	case D_EQUAL:
		return 3.5;
	case D_ASCENDING:
		return (double)i;
	case D_DESCENDING:
		return -(double)i;
	case D_ALTERNATING:
		return (i & 1) ? 1e6 + (double)i : -1e6 - (double)i;
	case D_HUGE:
		switch (rng_below(r, 8)) {
		case 0:
			return 1e300;
		case 1:
			return -1e300;
		case 2:
			return DBL_MAX;
		case 3:
			return -DBL_MAX;
		case 4:
			return DBL_MIN;
		case 5:
			return -DBL_TRUE_MIN * rng_below(r, 4);
		default:
			return 1e300 * (2.0 * rng_double(r) - 1.0);
		}
	case D_ZEROS:
		switch (rng_below(r, 5)) {
		case 0:
		case 1:
			return -0.0;
		case 2:
		case 3:
			return 0.0;
		default:
			return rng_below(r, 2) ? 1.0 : -1.0;
		}
	default:
		return 0.0;
	}
}

/* Reference operations. */

static size_t
ref_lower(const struct ref *ref, double v)
{
	size_t lo = 0, hi = ref->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ref->v[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void
ref_clear(struct ref *ref)
{
	ref->v = ref->buf + ref->cap;
	ref->n = 0;
}

static void
ref_insert(struct ref *ref, double v)
{
	size_t p = ref_lower(ref, v);

	assert_true(ref->n < ref->cap);
	if (ref->v == ref->buf || ref->v + ref->n == ref->buf + 3 * ref->cap) {
		memmove(ref->buf + ref->cap, ref->v, ref->n * sizeof(double));
		ref->v = ref->buf + ref->cap;
	}
	if (p < ref->n / 2) {
		memmove(ref->v - 1, ref->v, p * sizeof(double));
		ref->v--;
	} else
		memmove(ref->v + p + 1, ref->v + p,
		    (ref->n - p) * sizeof(double));
	ref->v[p] = v;
	ref->n++;
}

static int
ref_remove(struct ref *ref, double v)
{
	size_t p = ref_lower(ref, v);

	if (p == ref->n || !(ref->v[p] == v))
		return -1;
	if (p < ref->n / 2) {
		memmove(ref->v + 1, ref->v, p * sizeof(double));
		ref->v++;
	} else
		memmove(ref->v + p, ref->v + p + 1,
		    (ref->n - p - 1) * sizeof(double));
	ref->n--;
	return 0;
}

static void
assert_same(double got, double want, const char *what, size_t k)
{
	if (!(got == want))
		fail_msg("%s(%zu): got %.17g, want %.17g", what, k, got, want);
}

static void
pair_init(struct pair *p, size_t cap, uint64_t seed)
{
	memset(p, 0, sizeof(*p));
	p->os = ordstat_new(cap);
	assert_non_null(p->os);
	p->ref.buf = malloc(3 * cap * sizeof(double));
	p->ref.cap = cap;
	ref_clear(&p->ref);
	p->ring = malloc(cap * sizeof(double));
	p->ranks = malloc(cap * sizeof(uint32_t));
	p->out = malloc(cap * sizeof(double));
	assert_non_null(p->ref.buf);
	assert_non_null(p->ring);
	assert_non_null(p->ranks);
	assert_non_null(p->out);
	p->rng.state = seed;
}

static void
pair_free(struct pair *p)
{
	ordstat_free(p->os);
	free(p->ref.buf);
	free(p->ring);
	free(p->ranks);
	free(p->out);
}

static void
pair_insert(struct pair *p, double v)
{
	assert_int_equal(ordstat_insert(p->os, v), 0);
	ref_insert(&p->ref, v);
}

static void
pair_remove(struct pair *p, double v)
{
	assert_int_equal(ordstat_remove(p->os, v), 0);
	assert_int_equal(ref_remove(&p->ref, v), 0);
}

/* Checks rank(v) and contains(v) against the reference. */
static void
check_rank(struct pair *p, double v)
{
	size_t got = ordstat_rank(p->os, v), want = ref_lower(&p->ref, v);
	int in = want < p->ref.n && p->ref.v[want] == v;

	if (got != want)
		fail_msg("rank(%.17g): got %zu, want %zu", v, got, want);
	if (ordstat_contains(p->os, v) != in)
		fail_msg("contains(%.17g): got %d, want %d", v,
		    ordstat_contains(p->os, v), in);
}

/* A finite value next to v, on a random side. */
static double
neighbour(struct rng *r, double v)
{
	double w = nextafter(v, rng_below(r, 2) ? HUGE_VAL : -HUGE_VAL);

	return isfinite(w) ? w : v;
}

/* Checks gather for a random increasing set of ranks. */
static void
check_gather(struct pair *p)
{
	size_t n = p->ref.n, m = 0, i;
	uint32_t keep;

	if (n == 0) {
		ordstat_gather(p->os, p->ranks, 0, p->out);
		return;
	}
	/* Keep each rank with probability keep / 64: all, half, few. */
	switch (rng_below(&p->rng, 4)) {
	case 0:
		keep = 64;
		break;
	case 1:
		keep = 32;
		break;
	case 2:
		keep = 4;
		break;
	default:
		keep = 0;
		break;
	}
	for (i = 0; i < n; i++)
		if (rng_below(&p->rng, 64) < keep)
			p->ranks[m++] = (uint32_t)i;
	if (m == 0)		/* one or two ranks, the ends included */
		p->ranks[m++] = rng_below(&p->rng, 2) ? 0 :
		    rng_below(&p->rng, (uint32_t)n);
	if (keep == 0 && p->ranks[0] != n - 1)
		p->ranks[m++] = (uint32_t)(n - 1);
	for (i = 0; i < m; i++)
		p->out[i] = NAN;
	ordstat_gather(p->os, p->ranks, m, p->out);
	for (i = 0; i < m; i++)
		assert_same(p->out[i], p->ref.v[p->ranks[i]], "gather",
		    p->ranks[i]);

	/* The same ranks as a bitmap, whose bits past n are junk. */
	{
		size_t bytes = (n + 63) / 64 * 8, got;
		unsigned char *bits = calloc(bytes, 1);

		assert_non_null(bits);
		for (i = n; i < bytes * 8; i++)
			bits[i / 8] |= (unsigned char)(1u << (i % 8));
		for (i = 0; i < m; i++)
			bits[p->ranks[i] / 8] |= (unsigned char)(1u <<
			    (p->ranks[i] % 8));
		for (i = 0; i < m; i++)
			p->out[i] = NAN;
		got = ordstat_gather_bits(p->os, bits, p->out);
		assert_int_equal(got, m);
		for (i = 0; i < m; i++)
			assert_same(p->out[i], p->ref.v[p->ranks[i]],
			    "gather_bits", p->ranks[i]);
		free(bits);
	}
}

/* Compares everything; all ranks when full is set, else a sample. */
static void
check(struct pair *p, int full)
{
	size_t n = p->ref.n, k, j;

	assert_int_equal(ordstat_count(p->os), n);
	if (n == 0) {
		check_rank(p, 0.0);
		check_rank(p, draw(&p->rng, D_UNIFORM, 0));
		return;
	}
	assert_same(ordstat_min(p->os), p->ref.v[0], "min", 0);
	assert_same(ordstat_max(p->os), p->ref.v[n - 1], "max", n - 1);
	if (full || n <= 16) {
		for (k = 0; k < n; k++) {
			assert_same(ordstat_select(p->os, k), p->ref.v[k],
			    "select", k);
			if (k > 0 && p->ref.v[k] == p->ref.v[k - 1])
				continue;	/* same rank as before */
			check_rank(p, p->ref.v[k]);
			check_rank(p, neighbour(&p->rng, p->ref.v[k]));
		}
		check_gather(p);
	} else {
		for (j = 0; j < 6; j++) {
			k = j == 0 ? n / 2 : rng_below(&p->rng, (uint32_t)n);
			assert_same(ordstat_select(p->os, k), p->ref.v[k],
			    "select", k);
			check_rank(p, p->ref.v[k]);
			check_rank(p, neighbour(&p->rng, p->ref.v[k]));
		}
	}
	check_rank(p, -DBL_MAX);
	check_rank(p, DBL_MAX);
	check_rank(p, draw(&p->rng, D_UNIFORM, 0));
}

/* Tries to remove a value that is not held: -1 and nothing changed. */
static void
check_remove_missing(struct pair *p)
{
	double v;
	size_t n = p->ref.n;

	if (n > 0) {
		v = neighbour(&p->rng, p->ref.v[rng_below(&p->rng,
		    (uint32_t)n)]);
		if (ref_lower(&p->ref, v) < n &&
		    p->ref.v[ref_lower(&p->ref, v)] == v)
			return;		/* happens to be held */
	} else
		v = 1.0;
	assert_int_equal(ordstat_remove(p->os, v), -1);
	check(p, n <= 1000);
}

/* The promise of ordstat.h on memory: below about 33 bytes per value of
 * capacity, whatever the values and operations were. */
static size_t
memory_bound(size_t cap)
{
	return 34 * cap + 4096;
}

/* A sliding window of capacity cap over steps values of distribution d. */
static void
run_fifo(size_t cap, enum dist d, uint64_t seed)
{
	struct pair p;
	size_t steps, i, every;
	double v = 0.0;

	pair_init(&p, cap, seed);
	steps = (cap < 3000 ? 3 * cap : cap + 3000) + 300;
	if (d == D_ASCENDING || d == D_DESCENDING || d == D_ALTERNATING)
		steps = cap < 500 ? steps : cap + 500;
	every = cap <= 5 ? 1 : cap <= 129 ? 4 : cap / 4;
	for (i = 0; i < steps; i++) {
		v = draw(&p.rng, d, i);
		if (p.ref.n == cap) {
			assert_int_equal(ordstat_insert(p.os, v), -1);
			pair_remove(&p, p.ring[p.head]);
		}
		pair_insert(&p, v);
		p.ring[p.head] = v;
		p.head = (p.head + 1) % cap;
		check(&p, i % every == 0);
		if (i % (every * 4) == 0)
			check_remove_missing(&p);
	}
	/* Drain the window, oldest first. */
	while (p.ref.n > 0) {
		pair_remove(&p, p.ring[p.head]);
		p.head = (p.head + 1) % cap;
		check(&p, p.ref.n % every == 0);
	}
	assert_int_equal(ordstat_remove(p.os, v), -1);
	assert_true(ordstat_memory(p.os) <= memory_bound(cap));
	pair_free(&p);
}

static void
test_fifo(void **state, enum dist d)
{
	size_t i;

	(void)state;
	for (i = 0; i < NCAPS; i++)
		run_fifo(caps[i], d, 0x5eed0000 + 977 * i + d);
}

static void test_fifo_uniform(void **s)     { test_fifo(s, D_UNIFORM); }
static void test_fifo_smallint(void **s)    { test_fifo(s, D_SMALLINT); }
static void test_fifo_equal(void **s)       { test_fifo(s, D_EQUAL); }
static void test_fifo_ascending(void **s)   { test_fifo(s, D_ASCENDING); }
static void test_fifo_descending(void **s)  { test_fifo(s, D_DESCENDING); }
static void test_fifo_alternating(void **s) { test_fifo(s, D_ALTERNATING); }
static void test_fifo_huge(void **s)        { test_fifo(s, D_HUGE); }
static void test_fifo_zeros(void **s)       { test_fifo(s, D_ZEROS); }

/*
 * Random inserts and removes of random held values; the count drifts up to
 * the capacity and down to zero in phases, so blocks split, merge and empty.
 */
static void
run_random(size_t cap, enum dist d, uint64_t seed, size_t steps)
{
	struct pair p;
	size_t i, every;
	uint32_t bias = 48;
	double v;

	pair_init(&p, cap, seed);
	every = cap <= 5 ? 1 : cap <= 129 ? 4 : cap / 4;
	for (i = 0; i < steps; i++) {
		if (p.ref.n == cap)
			bias = 16;	/* mostly remove now */
		else if (p.ref.n == 0)
			bias = 48;	/* mostly insert now */
		if (rng_below(&p.rng, 64) < bias) {
			v = draw(&p.rng, d, i);
			if (p.ref.n == cap) {
				assert_int_equal(ordstat_insert(p.os, v), -1);
			} else
				pair_insert(&p, v);
		} else if (p.ref.n > 0) {
			v = p.ref.v[rng_below(&p.rng, (uint32_t)p.ref.n)];
			pair_remove(&p, v);
		}
		check(&p, i % every == 0);
		if (i % (every * 8) == 0)
			check_remove_missing(&p);
	}
	assert_true(ordstat_memory(p.os) <= memory_bound(cap));
	pair_free(&p);
}

static void
test_random(void **state)
{
	static const size_t rcaps[] = { 1, 2, 5, 64, 129, 1000, 5000 };
	size_t i;
	int d;

	(void)state;
	for (i = 0; i < sizeof(rcaps) / sizeof(rcaps[0]); i++)
		for (d = 0; d < D_COUNT; d++)
			run_random(rcaps[i], (enum dist)d,
			    0xabcdef00 + 131 * i + d,
			    rcaps[i] < 1000 ? 10 * rcaps[i] + 200 :
			    3 * rcaps[i]);
}

/* An empty multiset: count 0, rank 0, removes fail, small memory. */
static void
test_empty(void **state)
{
	struct ordstat *os;

	(void)state;
	assert_null(ordstat_new(0));
	os = ordstat_new(100000);
	assert_non_null(os);
	assert_int_equal(ordstat_count(os), 0);
	assert_int_equal(ordstat_rank(os, 0.0), 0);
	assert_int_equal(ordstat_rank(os, -DBL_MAX), 0);
	assert_int_equal(ordstat_remove(os, 0.0), -1);
	assert_int_equal(ordstat_count(os), 0);
	ordstat_gather(os, NULL, 0, NULL);
	assert_true(ordstat_memory(os) > 0);
	assert_true(ordstat_memory(os) < 1024);
	ordstat_clear(os);
	assert_int_equal(ordstat_count(os), 0);
	ordstat_free(os);
	ordstat_free(NULL);
}

/* Fills to capacity: the next insert fails and changes nothing. */
static void
test_capacity(void **state)
{
	struct pair p;
	size_t i, c;

	(void)state;
	for (c = 0; c < NCAPS; c++) {
		pair_init(&p, caps[c], 77 + c);
		for (i = 0; i < caps[c]; i++)
			pair_insert(&p, draw(&p.rng, D_SMALLINT, i));
		check(&p, 1);
		assert_int_equal(ordstat_insert(p.os, -1.0), -1);
		assert_int_equal(ordstat_insert(p.os, 1e9), -1);
		assert_int_equal(ordstat_insert(p.os, p.ref.v[0]), -1);
		check(&p, 1);
		pair_remove(&p, p.ref.v[p.ref.n / 2]);
		pair_insert(&p, 1e9);
		assert_int_equal(ordstat_insert(p.os, 1e9), -1);
		check(&p, 1);
		pair_free(&p);
	}
}

/* Removes of values not held: below, between, above, and neighbours. */
static void
test_remove_missing(void **state)
{
	struct pair p;
	size_t i;

	(void)state;
	pair_init(&p, 1000, 4242);
	for (i = 0; i < 500; i++)
		pair_insert(&p, 2.0 * (double)rng_below(&p.rng, 300));
	check(&p, 1);
	assert_int_equal(ordstat_remove(p.os, -1.0), -1);
	assert_int_equal(ordstat_remove(p.os, 1e9), -1);
	assert_int_equal(ordstat_remove(p.os, 601.0), -1);
	for (i = 0; i < 300; i++) {
		assert_int_equal(ordstat_remove(p.os, 2.0 * (double)i + 1.0),
		    -1);
		assert_int_equal(ordstat_remove(p.os,
		    nextafter(2.0 * (double)i, 1e9)), -1);
	}
	check(&p, 1);
	for (i = 0; i < 200; i++)
		check_remove_missing(&p);
	pair_free(&p);
}

/* One value many times: every rank agrees, removes empty it exactly. */
static void
test_all_equal(void **state)
{
	struct ordstat *os;
	size_t i, n = 1000;
	uint32_t ranks[3] = { 0, 500, 999 };
	double out[3];

	(void)state;
	os = ordstat_new(n);
	assert_non_null(os);
	for (i = 0; i < n; i++)
		assert_int_equal(ordstat_insert(os, 7.0), 0);
	assert_int_equal(ordstat_rank(os, 7.0), 0);
	assert_int_equal(ordstat_rank(os, nextafter(7.0, 8.0)), n);
	assert_int_equal(ordstat_rank(os, nextafter(7.0, 6.0)), 0);
	for (i = 0; i < n; i += 37)
		assert_same(ordstat_select(os, i), 7.0, "select", i);
	ordstat_gather(os, ranks, 3, out);
	assert_same(out[0], 7.0, "gather", 0);
	assert_same(out[2], 7.0, "gather", 2);
	assert_int_equal(ordstat_remove(os, nextafter(7.0, 8.0)), -1);
	for (i = 0; i < n; i++) {
		assert_int_equal(ordstat_remove(os, 7.0), 0);
		assert_int_equal(ordstat_count(os), n - 1 - i);
	}
	assert_int_equal(ordstat_remove(os, 7.0), -1);
	ordstat_free(os);
}

/* -0.0 and 0.0 are one value. */
static void
test_negative_zero(void **state)
{
	struct ordstat *os;

	(void)state;
	os = ordstat_new(8);
	assert_non_null(os);
	assert_int_equal(ordstat_insert(os, -0.0), 0);
	assert_int_equal(ordstat_insert(os, 1.0), 0);
	assert_int_equal(ordstat_insert(os, -1.0), 0);
	assert_int_equal(ordstat_insert(os, 0.0), 0);
	assert_int_equal(ordstat_rank(os, 0.0), 1);
	assert_int_equal(ordstat_rank(os, -0.0), 1);
	assert_int_equal(ordstat_rank(os, DBL_TRUE_MIN), 3);
	assert_int_equal(ordstat_rank(os, -DBL_TRUE_MIN), 1);
	assert_true(ordstat_select(os, 1) == 0.0);
	assert_true(ordstat_select(os, 2) == 0.0);
	assert_int_equal(ordstat_remove(os, 0.0), 0);
	assert_int_equal(ordstat_remove(os, 0.0), 0);
	assert_int_equal(ordstat_remove(os, -0.0), -1);
	assert_int_equal(ordstat_count(os), 2);
	assert_int_equal(ordstat_insert(os, 0.0), 0);
	assert_int_equal(ordstat_remove(os, -0.0), 0);
	assert_int_equal(ordstat_remove(os, 0.0), -1);
	assert_same(ordstat_min(os), -1.0, "min", 0);
	assert_same(ordstat_max(os), 1.0, "max", 0);
	assert_int_equal(ordstat_remove(os, -1.0), 0);
	assert_int_equal(ordstat_remove(os, 1.0), 0);
	assert_int_equal(ordstat_insert(os, -0.0), 0);
	assert_true(ordstat_min(os) == 0.0);
	assert_true(ordstat_max(os) == 0.0);
	ordstat_free(os);
}

/* The extremes of the doubles keep their order. */
static void
test_huge(void **state)
{
	static const double v[] = {
		1e300, -1e300, DBL_MAX, -DBL_MAX, DBL_MIN, -DBL_MIN,
		DBL_TRUE_MIN, -DBL_TRUE_MIN, 0.0, 1e-300, -1e-300, 1.0
	};
	struct pair p;
	size_t i, n = sizeof(v) / sizeof(v[0]);

	(void)state;
	pair_init(&p, 100, 99);
	for (i = 0; i < 8 * n; i++)
		pair_insert(&p, v[(i * 7) % n]);
	check(&p, 1);
	assert_same(ordstat_min(p.os), -DBL_MAX, "min", 0);
	assert_same(ordstat_max(p.os), DBL_MAX, "max", 0);
	assert_int_equal(ordstat_rank(p.os, 1e300), 8 * (n - 2));
	for (i = 0; i < 8 * n; i++) {
		pair_remove(&p, v[(i * 5) % n]);
		check(&p, 1);
	}
	pair_free(&p);
}

/* Clear empties the multiset; it fills again to the same answers and the
 * same memory. */
static void
test_clear(void **state)
{
	struct pair p;
	size_t i, round, mem = 0;
	double v;

	(void)state;
	pair_init(&p, 3000, 31337);
	for (round = 0; round < 4; round++) {
		for (i = 0; i < 3000; i++)
			pair_insert(&p, draw(&p.rng, round & 1 ? D_SMALLINT :
			    D_UNIFORM, i));
		check(&p, 1);
		if (round == 0)
			mem = ordstat_memory(p.os);
		assert_true(ordstat_memory(p.os) <= mem + mem / 2);
		v = p.ref.v[p.ref.n / 2];
		ordstat_clear(p.os);
		ref_clear(&p.ref);
		check(&p, 1);
		assert_int_equal(ordstat_remove(p.os, v), -1);
		assert_int_equal(ordstat_rank(p.os, 1.0), 0);
	}
	pair_free(&p);
}

/* Gather over every kind of rank set, at sizes around the block size. */
static void
test_gather(void **state)
{
	static const size_t sizes[] = { 1, 2, 63, 64, 65, 200, 5000, 50000 };
	struct pair p;
	size_t i, s, t;

	(void)state;
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		pair_init(&p, sizes[s], 555 + s);
		for (i = 0; i < sizes[s]; i++)
			pair_insert(&p, draw(&p.rng, D_UNIFORM, i));
		for (t = 0; t < 40; t++)
			check_gather(&p);
		/* Every rank. */
		for (i = 0; i < sizes[s]; i++)
			p.ranks[i] = (uint32_t)i;
		ordstat_gather(p.os, p.ranks, sizes[s], p.out);
		assert_memory_equal(p.out, p.ref.v, sizes[s] * sizeof(double));
		/* Only the last, only the first. */
		p.ranks[0] = (uint32_t)(sizes[s] - 1);
		ordstat_gather(p.os, p.ranks, 1, p.out);
		assert_same(p.out[0], p.ref.v[sizes[s] - 1], "gather", 0);
		p.ranks[0] = 0;
		ordstat_gather(p.os, p.ranks, 1, p.out);
		assert_same(p.out[0], p.ref.v[0], "gather", 0);
		pair_free(&p);
	}
}

/*
 * Adversarial sequences: fills with values above (or below) all others,
 * which leave blocks half full after splits, then removes of all but every
 * keep-th of the new values, from the top down or from the bottom up, so
 * that blocks shrink while one or the other neighbour is still large.  The
 * values of earlier rounds stay.  Were nearly empty blocks not merged with
 * the neighbour on either side, they would pile up round after round; so
 * memory stays bounded and inserts up to the capacity keep succeeding.
 */
static void
adversary(struct pair *p, int below, int down)
{
	static const size_t keeps[] = { 32, 64, 16, 128, 2, 3 };
	size_t cap = p->ref.cap, i, m, round, keep, old, from, to;
	double hi = 0.0, lo = -1.0;

	for (round = 0; round < sizeof(keeps) / sizeof(keeps[0]); round++) {
		keep = keeps[round];
		old = p->ref.n;
		while (p->ref.n < cap) {
			if (below)
				pair_insert(p, lo--);
			else
				pair_insert(p, hi++);
		}
		check(p, 0);
		assert_true(ordstat_memory(p->os) <= memory_bound(cap));
		from = below ? 0 : old;
		to = below ? cap - old : cap;
		if (down) {
			for (i = to; i-- > from;)
				if ((i - from) % keep != 0)
					pair_remove(p, p->ref.v[i]);
		} else {
			for (i = from, m = 0; i < to; i++)
				if ((i - from) % keep != 0)
					p->out[m++] = p->ref.v[i];
			for (i = 0; i < m; i++)
				pair_remove(p, p->out[i]);
		}
		check(p, 1);
		assert_true(ordstat_memory(p->os) <= memory_bound(cap));
	}
}

static void
test_memory_bound(void **state)
{
	struct pair p;
	int below, down;

	(void)state;
	pair_init(&p, 10000, 1);
	for (below = 0; below < 2; below++)
		for (down = 0; down < 2; down++) {
			ordstat_clear(p.os);
			ref_clear(&p.ref);
			adversary(&p, below, down);
		}
	pair_free(&p);
}

/* Memory follows the values held, not the capacity. */
static void
test_memory_small(void **state)
{
	struct ordstat *os;
	struct rng r = { 2024 };
	size_t i, m;

	(void)state;
	os = ordstat_new(1000);
	assert_non_null(os);
	for (i = 0; i < 1000; i++)
		assert_int_equal(ordstat_insert(os, rng_double(&r)), 0);
	m = ordstat_memory(os);
	if (m >= 32768)
		fail_msg("1000 random values: %zu bytes", m);
	/* Replacing random values for a while keeps it small. */
	for (i = 0; i < 20000; i++) {
		assert_int_equal(ordstat_remove(os, ordstat_select(os,
		    rng_below(&r, 1000))), 0);
		assert_int_equal(ordstat_insert(os, rng_double(&r)), 0);
	}
	if (ordstat_memory(os) >= 32768)
		fail_msg("after 20000 steps: %zu bytes", ordstat_memory(os));
	ordstat_free(os);

	/* A small window needs no more than its values and a header. */
	os = ordstat_new(4);
	assert_non_null(os);
	for (i = 0; i < 4; i++)
		assert_int_equal(ordstat_insert(os, rng_double(&r)), 0);
	if (ordstat_memory(os) > 512)
		fail_msg("capacity 4: %zu bytes", ordstat_memory(os));
	ordstat_free(os);

	os = ordstat_new(1000000);
	assert_non_null(os);
	for (i = 0; i < 1000; i++)
		assert_int_equal(ordstat_insert(os, rng_double(&r)), 0);
	if (ordstat_memory(os) >= 32768)
		fail_msg("capacity 1e6, 1000 values: %zu bytes",
		    ordstat_memory(os));
	ordstat_free(os);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_remove_missing),
		cmocka_unit_test(test_all_equal),
		cmocka_unit_test(test_negative_zero),
		cmocka_unit_test(test_huge),
		cmocka_unit_test(test_clear),
		cmocka_unit_test(test_gather),
		cmocka_unit_test(test_fifo_uniform),
		cmocka_unit_test(test_fifo_smallint),
		cmocka_unit_test(test_fifo_equal),
		cmocka_unit_test(test_fifo_ascending),
		cmocka_unit_test(test_fifo_descending),
		cmocka_unit_test(test_fifo_alternating),
		cmocka_unit_test(test_fifo_huge),
		cmocka_unit_test(test_fifo_zeros),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_memory_bound),
		cmocka_unit_test(test_memory_small),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
