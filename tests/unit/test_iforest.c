/*
 * test_iforest.c: unit tests of lib/iforest.c.
 *
 * Besides the promises of iforest.h, two references: a naive pointer-style
 * tree grown with the same draws in the same order, whose scores must match
 * the compact trees exactly (this checks the layout, the virtual extension
 * of external nodes and the descent), and the exact expected path length of
 * the isolation process, computed by enumeration, which the mean over many
 * trees must approach (this checks the sampling and the split distribution
 * without mirroring any of the code).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iforest.h"
#include "ordstat.h"
#include "rng.h"

#define NORMAL_N	1000

struct fixture {
	double		 normal[NORMAL_N];	/* N(0, 1), deterministic */
	struct ordstat	*window;		/* the same values */
};

/* Fills v with n N(0, 1) values (Box-Muller on the generator of rng.h). */
static void
fill_normal(double *v, size_t n, uint64_t seed)
{
	struct rng r = { seed };
	double u1, u2;
	size_t i;

	for (i = 0; i < n; i++) {
		u1 = 1.0 - rng_double(&r);	/* (0, 1] */
		u2 = rng_double(&r);
		v[i] = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
	}
}

static struct ordstat *
window_of(const double *v, size_t n, size_t capacity)
{
	struct ordstat *w = ordstat_new(capacity);
	size_t i;

	assert_non_null(w);
	for (i = 0; i < n; i++)
		assert_int_equal(ordstat_insert(w, v[i]), 0);
	return w;
}

static struct iforest *
forest_new(unsigned trees, unsigned max_sample, size_t capacity)
{
	struct iforest *f = iforest_new(trees, max_sample, capacity);

	assert_non_null(f);
	return f;
}

static void
grow_all(struct iforest *f, const struct ordstat *w, uint64_t key)
{
	unsigned t;

	for (t = 0; t < iforest_trees(f); t++)
		assert_int_equal(iforest_grow(f, t, w, rng_seed(key, 0, t)), 0);
	assert_true(iforest_ready(f));
}

static int
same_double(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

/* c(n), written independently of the module. */
static double
c_ref(size_t n)
{
	if (n < 2)
		return 0.0;
	if (n == 2)
		return 1.0;
	return 2.0 * (log((double)(n - 1)) + 0.5772156649015329) -
	    2.0 * (double)(n - 1) / (double)n;
}

static int
group_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	size_t i;

	if (fx == NULL)
		return -1;
	fill_normal(fx->normal, NORMAL_N, 42);
	if ((fx->window = ordstat_new(NORMAL_N)) == NULL)
		return -1;
	for (i = 0; i < NORMAL_N; i++)
		if (ordstat_insert(fx->window, fx->normal[i]) == -1)
			return -1;
	*state = fx;
	return 0;
}

static int
group_teardown(void **state)
{
	struct fixture *fx = *state;

	ordstat_free(fx->window);
	free(fx);
	return 0;
}

/*
 * The naive reference: the same sampling and the same draws in the same
 * order (preorder), but an explicit tree descended until an external node.
 */

struct ref_node {
	int		 internal;
	double		 split;
	size_t		 left, right;	/* node indices */
	unsigned	 depth;
	size_t		 size;
};

struct ref_tree {
	struct ref_node	*node;
	size_t		 n;
	size_t		 psi;
	unsigned	 depth;		/* D */
	struct rng	 rng;
	const double	*s;		/* halved when halved */
	int		 halved;	/* hi - lo overflows */
	double		 base, step;	/* split = base + fraction * step */
};

/* The position of x in the tree's range, as iforest.c defines it. */
static double
ref_position(const struct ref_tree *rt, double x)
{
	double xs = rt->halved ? x / 2 : x, inv = 1.0 / rt->step;

	return isfinite(inv) ? (xs - rt->base) * inv : (xs - rt->base) /
	    rt->step;
}

static size_t
ref_grow(struct ref_tree *rt, size_t i, size_t j, unsigned d)
{
	const double *s = rt->s;
	size_t id = rt->n++, m;
	struct ref_node *nd = &rt->node[id];
	double split = 0;
	float fr;
	int tries, ok = 0;

	nd->internal = 0;
	nd->depth = d;
	nd->size = j - i;
	if (j - i <= 1 || d == rt->depth || s[i] == s[j - 1])
		return id;
	fr = (float)(s[i] + rng_double(&rt->rng) * (s[j - 1] - s[i]));
	for (tries = 0; tries <= 4; tries++) {
		split = (double)fr;
		if (s[i] < split && split <= s[j - 1]) {
			ok = 1;
			break;
		}
		fr = nextafterf(fr, split <= s[i] ? 1.0f : 0.0f);
	}
	if (!ok)
		return id;
	for (m = i; s[m] < split; m++)
		;
	nd->internal = 1;
	nd->split = split;
	nd->left = ref_grow(rt, i, m, d + 1);
	rt->node[id].right = ref_grow(rt, m, j, d + 1);
	return id;
}

/* Floyd's choice of k of [0, count) into taken[], plainly. */
static void
ref_floyd(struct rng *r, char *taken, size_t count, size_t k)
{
	size_t j, t;

	for (j = count - k; j < count; j++) {
		t = rng_below(r, (uint32_t)(j + 1));
		taken[taken[t] ? j : t] = 1;
	}
}

/* Grows the reference of what iforest_grow(f, t, w, seed) grows, into a
 * fresh ref_tree whose node and sample arrays the caller frees. */
static void
ref_tree_grow(struct ref_tree *rt, const struct ordstat *w, size_t max_sample,
    uint64_t seed)
{
	size_t count = ordstat_count(w), psi, i, j, n, t;
	double *s;
	char *taken;

	psi = count < max_sample ? count : max_sample;
	rt->rng.state = seed;
	rt->psi = psi;
	s = malloc(psi * sizeof(*s));
	assert_non_null(s);
	if (psi == count) {
		for (i = 0; i < psi; i++)
			s[i] = ordstat_select(w, i);
	} else {
		taken = calloc(count, 1);
		assert_non_null(taken);
		if (2 * psi > count) {
			/* most: Floyd chooses the ones left out */
			ref_floyd(&rt->rng, taken, count, count - psi);
			for (i = 0; i < count; i++)
				taken[i] = !taken[i];
		} else if (4 * psi >= count) {
			/* 7-bit lanes of each random word below thr, then
			 * random ranks dropped or added */
			size_t thr = (psi * 128 + count / 2) / count, have = 0;

			for (i = 0; i < (count + 7) / 8; i++) {
				uint64_t r = rng_next(&rt->rng);

				for (j = 0; j < 8 && 8 * i + j < count; j++) {
					taken[8 * i + j] =
					    ((r >> (8 * j)) & 0x7f) < thr;
					have += (size_t)taken[8 * i + j];
				}
			}
			while (have != psi) {
				t = rng_below(&rt->rng, (uint32_t)count);
				if (taken[t] == (have > psi)) {
					taken[t] = !taken[t];
					have += have > psi ? (size_t)-1 : 1;
				}
			}
		} else {
			ref_floyd(&rt->rng, taken, count, psi);
		}
		for (i = 0, n = 0; i < count; i++)
			if (taken[i])
				s[n++] = ordstat_select(w, i);
		assert_int_equal(n, psi);
		free(taken);
	}
	for (rt->depth = 0; ((size_t)1 << rt->depth) < psi; rt->depth++)
		;
	rt->node = malloc(2 * psi * sizeof(*rt->node));
	assert_non_null(rt->node);
	rt->n = 0;
	rt->halved = !isfinite(s[psi - 1] - s[0]);
	rt->base = rt->halved ? s[0] / 2 : s[0];
	rt->step = rt->halved ? s[psi - 1] / 2 - s[0] / 2 : s[psi - 1] - s[0];
	if (s[0] != s[psi - 1])
		for (i = 0; i < psi; i++)
			s[i] = ref_position(rt, s[i]);
	rt->s = s;
	ref_grow(rt, 0, psi, 0);
}

static void
ref_tree_free(struct ref_tree *rt)
{
	free(rt->node);
	free((double *)rt->s);
}

/* h(x) / c(psi) of the reference tree, 1 when c(psi) = 0. */
static double
ref_ratio(const struct ref_tree *rt, double x)
{
	const struct ref_node *nd = &rt->node[0];

	x = ref_position(rt, x);
	while (nd->internal)
		nd = &rt->node[x >= nd->split ? nd->right : nd->left];
	if (rt->psi < 2)
		return 1.0;
	return ((double)nd->depth + c_ref(nd->size)) / c_ref(rt->psi);
}

static int
close_rel(double a, double b, double tol)
{
	return fabs(a - b) <= tol * fmax(fabs(a), fabs(b));
}

/* Checks tree 0 of a one-tree forest against the reference for many seeds
 * and every x of xs. */
static void
check_against_reference(const struct ordstat *w, unsigned max_sample,
    const double *xs, size_t nx, unsigned seeds)
{
	struct iforest *f = forest_new(1, max_sample, ordstat_count(w));
	struct ref_tree rt;
	double got, want;
	unsigned seed;
	size_t i;

	for (seed = 0; seed < seeds; seed++) {
		assert_int_equal(iforest_grow(f, 0, w, rng_seed(7, seed, 0)),
		    0);
		ref_tree_grow(&rt, w, max_sample, rng_seed(7, seed, 0));
		for (i = 0; i < nx; i++) {
			got = iforest_score(f, xs[i]);
			want = exp2(-ref_ratio(&rt, xs[i]));
			if (!close_rel(got, want, 1e-12))
				fail_msg("seed %u x %.17g: score %.17g, "
				    "reference %.17g", seed, xs[i], got, want);
		}
		ref_tree_free(&rt);
	}
	iforest_free(f);
}

/* The values of w and points around and between them. */
static double *
probe_points(const struct ordstat *w, size_t *nx)
{
	size_t n = ordstat_count(w), i, k = 0;
	double *xs = malloc((3 * n + 8) * sizeof(*xs));
	double lo = ordstat_min(w), hi = ordstat_max(w), a, b;

	assert_non_null(xs);
	for (i = 0; i < n; i++) {
		a = ordstat_select(w, i);
		xs[k++] = a;
		xs[k++] = nextafter(a, -INFINITY);
		if (i + 1 < n) {
			b = ordstat_select(w, i + 1);
			xs[k++] = a / 2 + b / 2;
		}
	}
	xs[k++] = lo - (hi - lo) - 1.0;
	xs[k++] = hi + (hi - lo) + 1.0;
	xs[k++] = -INFINITY;
	xs[k++] = INFINITY;
	xs[k++] = -DBL_MAX;
	xs[k++] = DBL_MAX;
	*nx = k;
	return xs;
}

static void
check_window_against_reference(const double *v, size_t n, unsigned max_sample,
    unsigned seeds)
{
	struct ordstat *w = window_of(v, n, n);
	size_t nx;
	double *xs = probe_points(w, &nx);

	check_against_reference(w, max_sample, xs, nx, seeds);
	free(xs);
	ordstat_free(w);
}

/*
 * The exact expectation of h(x) over the isolation process (a split uniform
 * between the node's smallest and largest value, depth limit D), averaged
 * over every subsample of psi values.
 */

static double
exact_h(const double *v, size_t i, size_t j, unsigned d, unsigned depth,
    double x)
{
	double total, gap, pl, pr, e = 0.0;
	size_t m;

	if (j - i <= 1 || d == depth || v[i] == v[j - 1])
		return d + c_ref(j - i);
	total = v[j - 1] - v[i];
	for (m = i + 1; m < j; m++) {
		/* The split falls in (v[m - 1], v[m]]: left [i, m), right
		 * [m, j); x goes right when x >= split. */
		if ((gap = v[m] - v[m - 1]) == 0.0)
			continue;
		if (x <= v[m - 1]) {
			pl = gap;
			pr = 0.0;
		} else if (x > v[m]) {
			pl = 0.0;
			pr = gap;
		} else {
			pl = v[m] - x;
			pr = x - v[m - 1];
		}
		if (pl > 0.0)
			e += pl / total * exact_h(v, i, m, d + 1, depth, x);
		if (pr > 0.0)
			e += pr / total * exact_h(v, m, j, d + 1, depth, x);
	}
	return e;
}

static double
exact_h_sampled(const double *v, size_t count, size_t psi, double x)
{
	size_t idx[16], i, k, combos = 0;
	double sub[16], sum = 0.0;
	unsigned depth = 0;

	assert_true(psi <= 16 && psi <= count);
	while (((size_t)1 << depth) < psi)
		depth++;
	for (i = 0; i < psi; i++)
		idx[i] = i;
	for (;;) {
		for (i = 0; i < psi; i++)
			sub[i] = v[idx[i]];
		sum += exact_h(sub, 0, psi, 0, depth, x);
		combos++;
		/* The next combination in lexicographic order. */
		for (k = psi; k > 0 && idx[k - 1] == count - psi + k - 1; k--)
			;
		if (k == 0)
			break;
		idx[k - 1]++;
		for (i = k; i < psi; i++)
			idx[i] = idx[i - 1] + 1;
	}
	return sum / (double)combos;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Grows a one-tree forest ntrees times and compares the mean h(x) with the
 * exact expectation. */
static void
check_expected_h(const double *values, size_t count, unsigned max_sample,
    const double *xs, size_t nx)
{
	enum { NTREES = 20000 };
	struct ordstat *w = window_of(values, count, count);
	struct iforest *f = forest_new(1, max_sample, count);
	double v[16], *sum, *sq, want, mean, sd, h, cpsi;
	size_t psi = count < max_sample ? count : max_sample, i;
	unsigned t;

	assert_true(count <= 16);
	memcpy(v, values, count * sizeof(*v));
	qsort(v, count, sizeof(*v), cmp_double);
	cpsi = c_ref(psi);
	sum = calloc(nx, sizeof(*sum));
	sq = calloc(nx, sizeof(*sq));
	assert_non_null(sum);
	assert_non_null(sq);
	for (t = 0; t < NTREES; t++) {
		assert_int_equal(iforest_grow(f, 0, w, rng_seed(99, t, count)),
		    0);
		for (i = 0; i < nx; i++) {
			h = -log2(iforest_score(f, xs[i])) * cpsi;
			sum[i] += h;
			sq[i] += h * h;
		}
	}
	for (i = 0; i < nx; i++) {
		want = exact_h_sampled(v, count, psi, xs[i]);
		mean = sum[i] / NTREES;
		sd = sqrt(fmax(sq[i] / NTREES - mean * mean, 0.0));
		if (fabs(mean - want) > 5.0 * sd / sqrt(NTREES) + 1e-3)
			fail_msg("psi %zu x %g: mean h %.5f, exact %.5f "
			    "(sd %.3f)", psi, xs[i], mean, want, sd);
	}
	free(sum);
	free(sq);
	iforest_free(f);
	ordstat_free(w);
}

/*
 * The tests.
 */

static void
test_new_rejects_bad_arguments(void **state)
{
	struct iforest *f;

	(void)state;
	assert_null(iforest_new(0, 256, 1000));
	assert_null(iforest_new(IFOREST_TREES_MAX + 1, 256, 1000));
	assert_null(iforest_new(100, 1, 1000));
	assert_null(iforest_new(100, IFOREST_SAMPLE_MAX + 1, 1000));
	assert_null(iforest_new(100, 256, 0));
	f = forest_new(IFOREST_TREES_MAX, IFOREST_SAMPLE_MAX, 1);
	assert_int_equal(iforest_trees(f), IFOREST_TREES_MAX);
	iforest_free(f);
	f = forest_new(1, 2, 1);
	assert_int_equal(iforest_trees(f), 1);
	iforest_free(f);
	iforest_free(NULL);
}

static void
test_grow_rejects_bad_input(void **state)
{
	struct fixture *fx = *state;
	struct iforest *f = forest_new(4, 256, 500);
	struct ordstat *empty = ordstat_new(10);
	struct ordstat *small = window_of(fx->normal, 300, 300);
	double before[3];
	unsigned t;

	assert_non_null(empty);
	assert_false(iforest_ready(f));
	assert_int_equal(iforest_grow(f, 4, small, 1), -1);
	assert_int_equal(iforest_grow(f, 0, empty, 1), -1);
	assert_int_equal(iforest_grow(f, 0, fx->window, 1), -1); /* 1000 */
	for (t = 0; t < 3; t++) {
		assert_int_equal(iforest_grow(f, t, small, t), 0);
		assert_false(iforest_ready(f));
	}
	assert_int_equal(iforest_grow(f, 3, small, 3), 0);
	assert_true(iforest_ready(f));
	before[0] = iforest_score(f, 0.0);
	before[1] = iforest_score(f, 2.5);
	before[2] = iforest_score(f, -7.0);
	/* A failed grow leaves the tree as it was. */
	assert_int_equal(iforest_grow(f, 0, empty, 12345), -1);
	assert_int_equal(iforest_grow(f, 0, fx->window, 12345), -1);
	assert_true(iforest_ready(f));
	assert_true(same_double(iforest_score(f, 0.0), before[0]));
	assert_true(same_double(iforest_score(f, 2.5), before[1]));
	assert_true(same_double(iforest_score(f, -7.0), before[2]));
	/* Regrowing a grown tree keeps the forest ready. */
	assert_int_equal(iforest_grow(f, 2, small, 77), 0);
	assert_true(iforest_ready(f));
	iforest_clear(f);
	assert_false(iforest_ready(f));
	iforest_free(f);
	ordstat_free(small);
	ordstat_free(empty);
}

static void
test_unready_trees_count_as_half(void **state)
{
	struct fixture *fx = *state;
	struct iforest *f = forest_new(10, 256, NORMAL_N);
	double x;

	for (x = -100.0; x <= 100.0; x += 12.5)
		assert_true(iforest_score(f, x) == 0.5);
	grow_all(f, fx->window, 3);
	assert_true(iforest_score(f, 50.0) > 0.6);
	iforest_clear(f);
	assert_true(iforest_score(f, 50.0) == 0.5);
	iforest_free(f);
}

static void
test_determinism(void **state)
{
	struct fixture *fx = *state;
	struct iforest *a = forest_new(100, 256, NORMAL_N);
	struct iforest *b = forest_new(100, 256, NORMAL_N);
	double x, sa;
	int differ = 0;

	grow_all(a, fx->window, 11);
	grow_all(b, fx->window, 11);
	for (x = -12.0; x <= 12.0; x += 0.01)
		assert_true(same_double(iforest_score(a, x),
		    iforest_score(b, x)));
	/* One tree grown with another seed differs somewhere. */
	assert_int_equal(iforest_grow(b, 37, fx->window, 12), 0);
	for (x = -12.0; x <= 12.0; x += 0.01) {
		sa = iforest_score(a, x);
		if (!same_double(sa, iforest_score(b, x)))
			differ = 1;
	}
	assert_true(differ);
	/* And back: the same seed gives the same tree again. */
	assert_int_equal(iforest_grow(b, 37, fx->window, rng_seed(11, 0, 37)),
	    0);
	for (x = -12.0; x <= 12.0; x += 0.01)
		assert_true(same_double(iforest_score(a, x),
		    iforest_score(b, x)));
	iforest_free(a);
	iforest_free(b);
}

static void
test_regrow_leaves_nothing_behind(void **state)
{
	struct fixture *fx = *state;
	struct iforest *a = forest_new(6, 256, NORMAL_N);
	struct iforest *b = forest_new(6, 256, NORMAL_N);
	struct ordstat *small = window_of(fx->normal, 5, NORMAL_N);
	size_t size = iforest_state_size(a);
	unsigned char *sa = malloc(size), *sb = malloc(size);
	double x;

	assert_non_null(sa);
	assert_non_null(sb);
	/* a: big trees first, then small ones over them; b: small only. */
	grow_all(a, fx->window, 1);
	grow_all(a, small, 2);
	grow_all(b, small, 2);
	for (x = -4.0; x <= 4.0; x += 0.001)
		assert_true(same_double(iforest_score(a, x),
		    iforest_score(b, x)));
	iforest_save(a, sa);
	iforest_save(b, sb);
	assert_memory_equal(sa, sb, size);
	free(sa);
	free(sb);
	ordstat_free(small);
	iforest_free(a);
	iforest_free(b);
}

static void
test_save_load_round_trip(void **state)
{
	struct fixture *fx = *state;
	struct iforest *a = forest_new(100, 256, NORMAL_N);
	struct iforest *b = forest_new(100, 256, NORMAL_N);
	struct iforest *c = forest_new(100, 256, 50);
	size_t size = iforest_state_size(a);
	unsigned char *buf = malloc(size), *again = malloc(size);
	double x;
	unsigned t;

	assert_non_null(buf);
	assert_non_null(again);
	assert_int_equal(iforest_state_size(b), size);
	grow_all(a, fx->window, 5);
	iforest_save(a, buf);
	assert_int_equal(iforest_load(b, buf, size), 0);
	assert_true(iforest_ready(b));
	for (x = -12.0; x <= 12.0; x += 0.003)
		assert_true(same_double(iforest_score(a, x),
		    iforest_score(b, x)));
	iforest_save(b, again);
	assert_memory_equal(buf, again, size);
	/* The window capacity is no part of the state. */
	assert_int_equal(iforest_load(c, buf, size), 0);
	assert_true(same_double(iforest_score(a, 4.0), iforest_score(c, 4.0)));

	/* A forest partly grown stays partly grown. */
	iforest_clear(a);
	for (t = 0; t < 100; t += 3)
		assert_int_equal(iforest_grow(a, t, fx->window, t), 0);
	iforest_save(a, buf);
	assert_int_equal(iforest_load(b, buf, size), 0);
	assert_false(iforest_ready(b));
	for (t = 0; t < 100; t++)
		if (t % 3 != 0)
			assert_int_equal(iforest_grow(a, t, fx->window, t), 0);
	for (t = 0; t < 100; t++)
		if (t % 3 != 0)
			assert_int_equal(iforest_grow(b, t, fx->window, t), 0);
	assert_true(iforest_ready(a));
	assert_true(iforest_ready(b));
	for (x = -12.0; x <= 12.0; x += 0.003)
		assert_true(same_double(iforest_score(a, x),
		    iforest_score(b, x)));
	free(buf);
	free(again);
	iforest_free(a);
	iforest_free(b);
	iforest_free(c);
}

static void
test_load_rejects_other_parameters(void **state)
{
	struct fixture *fx = *state;
	struct iforest *a = forest_new(10, 256, NORMAL_N);
	struct iforest *trees = forest_new(11, 256, NORMAL_N);
	struct iforest *sample = forest_new(10, 255, NORMAL_N);
	struct iforest *other = forest_new(10, 200, NORMAL_N);
	size_t size = iforest_state_size(a);
	unsigned char *buf = malloc(size);

	assert_non_null(buf);
	grow_all(a, fx->window, 5);
	grow_all(trees, fx->window, 5);
	grow_all(sample, fx->window, 5);
	grow_all(other, fx->window, 5);
	iforest_save(a, buf);
	assert_int_equal(iforest_load(trees, buf, size), -1);
	assert_false(iforest_ready(trees));
	/* Same size of state, other max_sample: the header tells. */
	assert_int_equal(iforest_state_size(sample), size);
	assert_int_equal(iforest_load(sample, buf, size), -1);
	assert_false(iforest_ready(sample));
	assert_int_equal(iforest_state_size(other), size);
	assert_int_equal(iforest_load(other, buf, size), -1);
	assert_false(iforest_ready(other));
	assert_true(iforest_score(other, 100.0) == 0.5);
	free(buf);
	iforest_free(a);
	iforest_free(trees);
	iforest_free(sample);
	iforest_free(other);
}

static void
test_load_rejects_truncated(void **state)
{
	struct fixture *fx = *state;
	struct iforest *a = forest_new(3, 64, NORMAL_N);
	size_t size = iforest_state_size(a), len;
	unsigned char *buf = malloc(size + 1), *cut;

	assert_non_null(buf);
	grow_all(a, fx->window, 8);
	iforest_save(a, buf);
	buf[size] = 0;
	for (len = 0; len < size; len++) {
		/* An exact-size copy, so ASan sees any read past len. */
		cut = malloc(len ? len : 1);
		assert_non_null(cut);
		memcpy(cut, buf, len);
		assert_int_equal(iforest_load(a, cut, len), -1);
		assert_false(iforest_ready(a));
		free(cut);
	}
	assert_int_equal(iforest_load(a, buf, size + 1), -1);
	assert_int_equal(iforest_load(a, buf, size), 0);
	assert_true(iforest_ready(a));
	free(buf);
	iforest_free(a);
}

/* Byte offsets in the saved state of a forest with max_sample 16 (Dmax 4). */
#define OFF_TREE(t)	(12 + (size_t)(t) * (20 + 4 * 15 + 2 * 16))
#define OFF_GROWN(t)	(OFF_TREE(t))
#define OFF_DEPTH(t)	(OFF_TREE(t) + 1)
#define OFF_PSI(t)	(OFF_TREE(t) + 2)
#define OFF_LO(t)	(OFF_TREE(t) + 4)
#define OFF_HI(t)	(OFF_TREE(t) + 12)
#define OFF_FRAC(t, k)	(OFF_TREE(t) + 20 + 4 * ((size_t)(k) - 1))
#define OFF_LEAF(t, i)	(OFF_TREE(t) + 20 + 4 * 15 + 2 * (size_t)(i))

static void
put_le(unsigned char *p, uint64_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get_le(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = n; i > 0; i--)
		v = v << 8 | p[i - 1];
	return v;
}

static uint32_t
float_bits(float v)
{
	uint32_t b;

	memcpy(&b, &v, sizeof(b));
	return b;
}

static uint64_t
double_bits(double v)
{
	uint64_t b;

	memcpy(&b, &v, sizeof(b));
	return b;
}

static void
expect_rejected(struct iforest *f, const unsigned char *good, size_t size,
    size_t off, uint64_t v, size_t n)
{
	unsigned char *bad = malloc(size);

	assert_non_null(bad);
	memcpy(bad, good, size);
	put_le(bad + off, v, n);
	if (iforest_load(f, bad, size) != -1)
		fail_msg("accepted %#llx at offset %zu", (unsigned long long)v,
		    off);
	assert_false(iforest_ready(f));
	assert_true(iforest_score(f, 1e9) == 0.5);
	free(bad);
}

static void
test_load_rejects_corrupt_fields(void **state)
{
	struct fixture *fx = *state;
	struct iforest *f = forest_new(3, 16, NORMAL_N);
	struct ordstat *w9 = window_of(fx->normal, 9, 9);
	size_t size = iforest_state_size(f), i;
	unsigned char *good = malloc(size);
	unsigned psi, depth, word;

	assert_non_null(good);
	assert_int_equal(size, OFF_TREE(3));
	/* Trees 0, 1: psi 16, D 4; tree 2: psi 9, D 4. */
	assert_int_equal(iforest_grow(f, 0, fx->window, 1), 0);
	assert_int_equal(iforest_grow(f, 1, fx->window, 2), 0);
	assert_int_equal(iforest_grow(f, 2, w9, 3), 0);
	iforest_save(f, good);
	assert_int_equal(iforest_load(f, good, size), 0);
	assert_true(iforest_ready(f));
	assert_int_equal(good[OFF_GROWN(0)], 1);
	assert_int_equal(good[OFF_DEPTH(0)], 4);
	assert_int_equal(get_le(good + OFF_PSI(0), 2), 16);
	assert_int_equal(get_le(good + OFF_PSI(2), 2), 9);
	assert_true(get_le(good + OFF_LO(0), 8) != 0);

	expect_rejected(f, good, size, 0, 'B', 1);		/* magic */
	expect_rejected(f, good, size, 4, 4, 4);		/* trees */
	expect_rejected(f, good, size, 8, 17, 4);		/* max_sample */
	expect_rejected(f, good, size, OFF_GROWN(1), 2, 1);
	expect_rejected(f, good, size, OFF_DEPTH(1), 5, 1);
	expect_rejected(f, good, size, OFF_DEPTH(1), 3, 1);
	expect_rejected(f, good, size, OFF_PSI(1), 17, 2);
	expect_rejected(f, good, size, OFF_PSI(1), 0, 2);
	expect_rejected(f, good, size, OFF_PSI(1), 8, 2);	/* D 3 */
	expect_rejected(f, good, size, OFF_LO(1), double_bits(INFINITY), 8);
	expect_rejected(f, good, size, OFF_HI(1), double_bits(NAN), 8);
	expect_rejected(f, good, size, OFF_LO(1), double_bits(1e300), 8);
	expect_rejected(f, good, size, OFF_FRAC(1, 1), float_bits(1.5f), 4);
	expect_rejected(f, good, size, OFF_FRAC(1, 9), float_bits(-0.25f), 4);
	expect_rejected(f, good, size, OFF_FRAC(1, 9), float_bits(INFINITY),
	    4);
	/* Leaf words of tree 2 (psi 9, D 4): size 10, depth 5. */
	expect_rejected(f, good, size, OFF_LEAF(2, 0), 9, 2);
	expect_rejected(f, good, size, OFF_LEAF(2, 0), 5u << 12, 2);
	/* A tree not grown must be all 0. */
	iforest_clear(f);
	assert_int_equal(iforest_grow(f, 0, fx->window, 1), 0);
	iforest_save(f, good);
	assert_int_equal(iforest_load(f, good, size), 0);
	expect_rejected(f, good, size, OFF_PSI(2), 1, 2);
	expect_rejected(f, good, size, OFF_LEAF(2, 3), 1, 2);
	expect_rejected(f, good, size, OFF_FRAC(1, 2), float_bits(0.5f), 4);

	/* The grown tree's record itself is sane: leaf words within psi and
	 * D, fractions in [0, 1] or NaN. */
	psi = (unsigned)get_le(good + OFF_PSI(0), 2);
	depth = good[OFF_DEPTH(0)];
	for (i = 0; i < 16; i++) {
		word = (unsigned)get_le(good + OFF_LEAF(0, i), 2);
		assert_true((word >> 12) <= depth);
		assert_true((word & 0xfff) + 1 <= psi);
	}
	for (i = 1; i < 16; i++) {
		float v;
		uint32_t b = (uint32_t)get_le(good + OFF_FRAC(0, i), 4);

		memcpy(&v, &b, sizeof(v));
		assert_true(isnan(v) || (v >= 0.0f && v <= 1.0f));
	}
	assert_int_equal(iforest_load(f, good, size), 0);
	free(good);

	/* psi 9, D 4 in a layout of Dmax 5: what D does not reach is 0. */
	iforest_free(f);
	f = forest_new(1, 32, NORMAL_N);
	size = iforest_state_size(f);
	assert_int_equal(size, 12 + 20 + 4 * 31 + 2 * 32);
	good = malloc(size);
	assert_non_null(good);
	assert_int_equal(iforest_grow(f, 0, w9, 3), 0);
	iforest_save(f, good);
	assert_int_equal(iforest_load(f, good, size), 0);
	expect_rejected(f, good, size, 12 + 20 + 4 * (16 - 1),
	    float_bits(0.5f), 4);			/* slot 16 */
	expect_rejected(f, good, size, 12 + 20 + 4 * 31 + 2 * 16, 1, 2);
	assert_int_equal(iforest_load(f, good, size), 0);
	free(good);
	ordstat_free(w9);
	iforest_free(f);
}

static void
fuzz_state(struct iforest *f, const unsigned char *good, size_t size,
    unsigned rounds, uint64_t seed)
{
	struct rng r = { seed };
	unsigned char *bad = malloc(size);
	unsigned round, flips, i, accepted = 0;
	double x, s;

	assert_non_null(bad);
	for (round = 0; round < rounds; round++) {
		memcpy(bad, good, size);
		flips = 1 + rng_below(&r, 4);
		for (i = 0; i < flips; i++) {
			size_t at = rng_below(&r, (uint32_t)size);

			if (rng_below(&r, 2))
				bad[at] ^= (unsigned char)(1u <<
				    rng_below(&r, 8));
			else
				bad[at] = (unsigned char)rng_next(&r);
		}
		if (iforest_load(f, bad, size) == -1) {
			assert_false(iforest_ready(f));
			continue;
		}
		accepted++;
		for (x = -20.0; x <= 20.0; x += 0.25) {
			s = iforest_score(f, x);
			assert_true(s > 0.0 && s <= 1.0);
		}
	}
	assert_true(accepted > 0);	/* some flips are harmless */
	free(bad);
}

static void
test_load_fuzz(void **state)
{
	struct fixture *fx = *state;
	struct iforest *f = forest_new(5, 16, NORMAL_N);
	struct iforest *big = forest_new(100, 256, NORMAL_N);
	struct ordstat *w3 = window_of(fx->normal, 3, 3);
	size_t size = iforest_state_size(f);
	unsigned char *good = malloc(size), *bigstate;

	assert_non_null(good);
	grow_all(f, fx->window, 4);
	assert_int_equal(iforest_grow(f, 4, w3, 9), 0);
	iforest_save(f, good);
	fuzz_state(f, good, size, 600, 1);

	grow_all(big, fx->window, 4);
	bigstate = malloc(iforest_state_size(big));
	assert_non_null(bigstate);
	iforest_save(big, bigstate);
	fuzz_state(big, bigstate, iforest_state_size(big), 300, 2);
	free(bigstate);
	free(good);
	ordstat_free(w3);
	iforest_free(f);
	iforest_free(big);
}

static void
test_scores_normal(void **state)
{
	struct fixture *fx = *state;
	struct iforest *f = forest_new(100, 256, NORMAL_N);
	double s0, s3, s10, sm3, sm10;

	grow_all(f, fx->window, 2024);
	s0 = iforest_score(f, 0.0);
	s3 = iforest_score(f, 3.0);
	s10 = iforest_score(f, 10.0);
	sm3 = iforest_score(f, -3.0);
	sm10 = iforest_score(f, -10.0);
	assert_true(s0 < 0.55);
	assert_true(s0 > 0.3);
	assert_true(s10 > 0.75);
	assert_true(sm10 > 0.75);
	/* Every x beyond the window's range takes the same path (this
	 * window's largest value is 2.67, its smallest -3.51). */
	assert_true(s10 >= s3 && s3 > s0);
	assert_true(sm10 > sm3 && sm3 > s0);
	assert_true(s3 > iforest_score(f, 2.0));
	assert_true(iforest_score(f, 2.0) > iforest_score(f, 1.0));
	assert_true(iforest_score(f, 1e9) > 0.75);
	assert_true(iforest_score(f, -1e300) > 0.75);
	assert_true(iforest_score(f, INFINITY) > 0.75);
	assert_true(iforest_score(f, 0.5) < 0.55);
	assert_true(iforest_score(f, -0.5) < 0.55);
	iforest_free(f);
}

static void
test_flat_window(void **state)
{
	static const double xs[] = { 3.25, 3.0, 3.5, -1e300, 1e300, 0.0,
	    INFINITY };
	double v[300];
	struct ordstat *w;
	struct iforest *f;
	size_t i;

	(void)state;
	for (i = 0; i < 300; i++)
		v[i] = 3.25;
	w = window_of(v, 300, 300);
	f = forest_new(100, 256, 300);
	grow_all(f, w, 6);
	for (i = 0; i < sizeof(xs) / sizeof(xs[0]); i++)
		assert_true(iforest_score(f, xs[i]) == 0.5);
	iforest_free(f);
	ordstat_free(w);
}

static void
test_window_sizes(void **state)
{
	static const size_t sizes[] = { 1, 2, 3, 4, 5, 255, 256, 257 };
	static const unsigned samples[] = { 2, 3, 256, 4096 };
	struct fixture *fx = *state;
	struct ordstat *w;
	struct iforest *f;
	double lo, hi, med, x, s, smed;
	size_t i, j, psi;

	for (j = 0; j < sizeof(samples) / sizeof(samples[0]); j++) {
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			w = window_of(fx->normal, sizes[i], 300);
			f = forest_new(50, samples[j], 300);
			grow_all(f, w, sizes[i]);
			lo = ordstat_min(w);
			hi = ordstat_max(w);
			med = ordstat_select(w, sizes[i] / 2);
			psi = sizes[i] < samples[j] ? sizes[i] : samples[j];
			smed = iforest_score(f, med);
			for (x = lo - 5.0; x <= hi + 5.0; x += 0.0625) {
				s = iforest_score(f, x);
				assert_true(s > 0.0 && s <= 1.0);
				/* psi 1 and 2: h = c(psi) for every x. */
				if (psi <= 2)
					assert_true(s == 0.5);
			}
			if (psi >= 3) {
				assert_true(iforest_score(f, hi + 1.0) > smed);
				assert_true(iforest_score(f, lo - 1.0) > smed);
			}
			iforest_free(f);
			ordstat_free(w);
		}
	}
}

static void
check_isolates(const double *v, size_t n, double beyond_lo, double beyond_hi)
{
	struct ordstat *w = window_of(v, n, n);
	struct iforest *f = forest_new(100, 256, n);
	double med, smed, s;

	grow_all(f, w, 31);
	med = ordstat_select(w, n / 2);
	smed = iforest_score(f, med);
	assert_true(smed < 0.6);
	s = iforest_score(f, beyond_hi);
	if (!(s > smed + 0.1))
		fail_msg("beyond %.17g: %g, median %.17g: %g", beyond_hi, s,
		    med, smed);
	s = iforest_score(f, beyond_lo);
	if (!(s > smed + 0.1))
		fail_msg("beyond %.17g: %g, median %.17g: %g", beyond_lo, s,
		    med, smed);
	iforest_free(f);
	ordstat_free(w);
}

static void
test_huge_magnitudes(void **state)
{
	struct fixture *fx = *state;
	double v[NORMAL_N];
	struct rng r = { 5 };
	size_t i;

	for (i = 0; i < NORMAL_N; i++)
		v[i] = 1e12 + 1e-3 * fx->normal[i];
	check_isolates(v, NORMAL_N, 1e12 - 0.01, 1e12 + 0.01);
	for (i = 0; i < NORMAL_N; i++)
		v[i] = 1e300 * fx->normal[i];
	check_isolates(v, NORMAL_N, -1e302, 1e302);
	for (i = 0; i < NORMAL_N; i++)
		v[i] = -1e300 + 1e285 * fx->normal[i];
	check_isolates(v, NORMAL_N, -1.01e300, -0.99e300);
	/* The range overflows a double. */
	for (i = 0; i < NORMAL_N; i++)
		v[i] = (rng_double(&r) * 2.0 - 1.0) * 1.6e308;
	check_isolates(v, NORMAL_N, -DBL_MAX, DBL_MAX);
	for (i = 0; i < NORMAL_N; i++)
		v[i] = 1e-310 * fx->normal[i];
	check_isolates(v, NORMAL_N, -1e-300, 1e-300);
}

static void
test_matches_naive_reference(void **state)
{
	struct fixture *fx = *state;
	double v[NORMAL_N];
	struct rng r = { 17 };
	size_t i, n;

	/* The whole window sampled down to 256, and 4096 of a bigger one. */
	check_window_against_reference(fx->normal, NORMAL_N, 256, 12);
	check_window_against_reference(fx->normal, 300, 64, 20);
	/* Small windows with many ties, sampled and not. */
	for (n = 1; n <= 24; n++) {
		for (i = 0; i < n; i++)
			v[i] = (double)rng_below(&r, 6);
		check_window_against_reference(v, n, 8, 40);
		check_window_against_reference(v, n, 32, 10);
	}
	/* Adjacent doubles: the splits are sample values themselves. */
	for (i = 0; i < 5; i++)
		v[i] = 1.0 + (double)i * 0x1.0p-52;
	check_window_against_reference(v, 5, 4, 200);
	check_window_against_reference(v, 5, 8, 200);
	/* Huge and tiny magnitudes. */
	for (i = 0; i < 300; i++)
		v[i] = 1e12 + 1e-3 * fx->normal[i];
	check_window_against_reference(v, 300, 256, 10);
	for (i = 0; i < 300; i++)
		v[i] = (rng_double(&r) * 2.0 - 1.0) * 1.7e308;
	check_window_against_reference(v, 300, 256, 10);
	for (i = 0; i < 300; i++)
		v[i] = 1e-310 * fx->normal[i];
	check_window_against_reference(v, 300, 256, 10);
	/* max_sample 4096 (Dmax 12) on a smaller window: D 9 or 10. */
	check_window_against_reference(fx->normal, NORMAL_N, 4096, 3);
	check_window_against_reference(fx->normal, 300, 4096, 3);
}

static void
test_mixed_forest_matches_reference(void **state)
{
	static const size_t sizes[] = { 1, 2, 3, 7, 40, 300, 900 };
	enum { NT = sizeof(sizes) / sizeof(sizes[0]) };
	struct fixture *fx = *state;
	struct iforest *f = forest_new(NT, 128, NORMAL_N);
	struct ref_tree rt[NT];
	struct ordstat *w;
	double x, sum, want, got;
	unsigned t;

	/* Each tree from a window of another size, so psi and D differ. */
	for (t = 0; t < NT; t++) {
		w = window_of(fx->normal + 100, sizes[t], NORMAL_N);
		assert_int_equal(iforest_grow(f, t, w, t + 1000), 0);
		ref_tree_grow(&rt[t], w, 128, t + 1000);
		ordstat_free(w);
	}
	assert_true(iforest_ready(f));
	for (x = -6.0; x <= 6.0; x += 0.0078125) {
		for (sum = 0.0, t = 0; t < NT; t++)
			sum += ref_ratio(&rt[t], x);
		want = exp2(-sum / NT);
		got = iforest_score(f, x);
		if (!close_rel(got, want, 1e-12))
			fail_msg("x %g: score %.17g, reference %.17g", x, got,
			    want);
	}
	for (t = 0; t < NT; t++)
		ref_tree_free(&rt[t]);
	iforest_free(f);
}

static void
test_expected_path_length(void **state)
{
	static const double a[] = { 0, 1, 1.5, 4, 4.2, 4.2, 9, 20 };
	static const double xa[] = { -3, 0, 1.2, 1.5, 4.2, 6, 20, 30 };
	static const double b[] = { 3, 8, 1, 9, 2, 7, 4.5, 5, 6, 0 };
	static const double xb[] = { -1, 0, 4.5, 4.75, 9, 12 };
	static const double c[] = { 10, 11, 12, 13, 14, 15, 100, 101, 102 };
	static const double xc[] = { 9, 12.5, 15, 50, 101, 200 };

	(void)state;
	/* psi 8, D 3, no sampling, ties. */
	check_expected_h(a, 8, 8, xa, sizeof(xa) / sizeof(xa[0]));
	/* psi 4 of 10, D 2. */
	check_expected_h(b, 10, 4, xb, sizeof(xb) / sizeof(xb[0]));
	/* psi 5 of 6, D 3. */
	check_expected_h(b, 6, 5, xb, sizeof(xb) / sizeof(xb[0]));
	/* psi 9, D 4 in a layout of Dmax 5: two clusters. */
	check_expected_h(c, 9, 32, xc, sizeof(xc) / sizeof(xc[0]));
}

static void
test_memory_bound(void **state)
{
	struct iforest *f = forest_new(100, 256, 1000);
	size_t m = iforest_memory(f);

	(void)state;
	assert_true(m <= 160 * 1024);
	/* It counts at least the trees' fractions and leaves. */
	assert_true(m >= 100 * (255 * 4 + 256 * 2));
	iforest_free(f);
	f = forest_new(100, 256, 100000);
	assert_true(iforest_memory(f) >= m + 12000);	/* the bitmap */
	iforest_free(f);
	f = forest_new(1000, 4096, 1);
	assert_true(iforest_memory(f) >= (size_t)1000 * (4095 * 4 + 4096 * 2));
	iforest_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_rejects_bad_arguments),
		cmocka_unit_test(test_grow_rejects_bad_input),
		cmocka_unit_test(test_unready_trees_count_as_half),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_regrow_leaves_nothing_behind),
		cmocka_unit_test(test_save_load_round_trip),
		cmocka_unit_test(test_load_rejects_other_parameters),
		cmocka_unit_test(test_load_rejects_truncated),
		cmocka_unit_test(test_load_rejects_corrupt_fields),
		cmocka_unit_test(test_load_fuzz),
		cmocka_unit_test(test_scores_normal),
		cmocka_unit_test(test_flat_window),
		cmocka_unit_test(test_window_sizes),
		cmocka_unit_test(test_huge_magnitudes),
		cmocka_unit_test(test_matches_naive_reference),
		cmocka_unit_test(test_mixed_forest_matches_reference),
		cmocka_unit_test(test_expected_path_length),
		cmocka_unit_test(test_memory_bound),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
