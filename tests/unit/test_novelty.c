/*
 * test_novelty: the prototype model and its likelihood against a plain
 * reference (brute-force nearest prototype, two-pass statistics), and
 * restart-exactness of its saved state.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "novelty.h"

struct prng {
	uint64_t s;
};

static double
unit(struct prng *p)
{
	uint64_t z = (p->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) * 0x1.0p-53;
}

/* The reference: every prototype measured, statistics from scratch. */
struct ref {
	struct novelty_config c;
	double proto[64][8];
	uint64_t used[64];
	uint32_t count;
	double raws[1000], means[1000];
	uint64_t steps;
};

static void
ref_push(struct ref *r, const double *p, double *raw, double *z)
{
	uint32_t D = r->c.dim, k, j, bk = 0;
	double best = INFINITY, m = 0, mu = 0, var = 0, sd;
	uint64_t t = r->steps, i, n, held;

	if (p != NULL) {
		for (k = 0; k < r->count; k++) {
			double d = 0;

			for (j = 0; j < D; j++)
				d = fmax(d, fabs(p[j] - r->proto[k][j]));
			if (d < best) {
				best = d;
				bk = k;
			}
		}
		if (r->count == 0 || best > r->c.rho) {
			if (r->count < r->c.protos)
				bk = r->count++;
			else
				for (bk = 0, k = 1; k < r->count; k++)
					if (r->used[k] < r->used[bk])
						bk = k;
			memcpy(r->proto[bk], p, D * sizeof(double));
		} else
			for (j = 0; j < D; j++)
				r->proto[bk][j] += r->c.rate * (p[j] -
				    r->proto[bk][j]);
		r->used[bk] = t;
	}
	*raw = p == NULL ? 0 : best < 1 ? best : 1;
	r->raws[t] = *raw;
	n = t + 1 < r->c.average ? t + 1 : r->c.average;
	for (i = 0; i < n; i++)
		m += r->raws[t - i];
	m /= (double)n;
	held = t < r->c.history ? t : r->c.history;
	*z = NAN;
	if (held >= r->c.learn) {
		for (i = 1; i <= held; i++)
			mu += r->means[t - i];
		mu /= (double)held;
		for (i = 1; i <= held; i++)
			var += (r->means[t - i] - mu) * (r->means[t - i] - mu);
		sd = sqrt(var / (double)held);
		*z = (m - mu) / (sd < r->c.sigma_min ? r->c.sigma_min : sd);
	}
	r->means[t] = (float)m;		/* the history is held as float */
	r->steps = t + 1;
}

/* Patterns that wander, repeat and now and then jump, so prototypes are
 * created, learnt and replaced. */
static void
pattern(struct prng *g, uint64_t t, double *p, uint32_t D)
{
	uint32_t j;

	for (j = 0; j < D; j++)
		p[j] = 0.5 + 0.4 * sin((double)(t + j) * 0.7) +
		    0.05 * unit(g) + (t % 97 < 3 ? unit(g) : 0);
}

static void
test_against_reference(void **state)
{
	static const struct novelty_config cs[] = {
		{ 6, 64, 10, 300, 100, 0.15, 0.1, 0.005, 0.3 },
		{ 3, 4, 1, 50, 50, 0.05, 0.5, 0.01, 0 },  /* K full at once */
		{ 8, 16, 7, 200, 1, 0.3, 0, 1e-9, 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		struct novelty *nv = novelty_new(&cs[i]);
		struct ref *r = calloc(1, sizeof(*r));
		struct prng g = { i + 1 };
		double p[8], raw, z, rraw, rz;
		uint64_t t;

		assert_non_null(nv);
		assert_non_null(r);
		r->c = cs[i];
		for (t = 0; t < 1000; t++) {
			int none = t % 50 == 7;

			pattern(&g, t, p, cs[i].dim);
			novelty_push(nv, none ? NULL : p, &raw, &z);
			ref_push(r, none ? NULL : p, &rraw, &rz);
			if (raw != rraw)
				fail_msg("config %zu step %llu: raw %.17g, "
				    "reference %.17g", i,
				    (unsigned long long)t, raw, rraw);
			if (isnan(rz) ? !isnan(z) : fabs(z - rz) > 1e-9 *
			    (1 + fabs(rz)))
				fail_msg("config %zu step %llu: z %.17g, "
				    "reference %.17g", i,
				    (unsigned long long)t, z, rz);
			if (t % 100 == 99)
				novelty_rebase(nv);
		}
		novelty_free(nv);
		free(r);
	}
}

/* Saved and loaded at any step, the model goes on exactly as the one that
 * was never stopped; a damaged or short state is refused. */
static void
test_save_load(void **state)
{
	static const struct novelty_config c = { 5, 8, 4, 60, 30, 0.1, 0.2,
	    0.01, 0.3 };
	struct novelty *a = novelty_new(&c), *b = NULL;
	struct prng g = { 77 };
	unsigned char *buf;
	size_t size = novelty_state_size(a);
	double p[5], ra, za, rb, zb;
	uint64_t t;

	(void)state;
	assert_non_null(a);
	buf = malloc(size);
	assert_non_null(buf);
	for (t = 0; t < 600; t++) {
		pattern(&g, t, p, c.dim);
		if (t % 13 == 0) {
			novelty_free(b);
			novelty_save(a, buf);
			b = novelty_new(&c);
			assert_non_null(b);
			assert_int_equal(novelty_load(b, buf, size), 0);
		}
		novelty_push(a, p, &ra, &za);
		novelty_push(b, p, &rb, &zb);
		assert_true(memcmp(&ra, &rb, sizeof(ra)) == 0);
		assert_true(memcmp(&za, &zb, sizeof(za)) == 0);
		assert_int_equal(novelty_rescaled(a, 8), novelty_rescaled(b, 8));
	}
	novelty_save(a, buf);
	assert_int_equal(novelty_load(b, buf, size - 8), -1);
	memset(buf + size - 8, 0xff, 8);	/* a NaN mean */
	assert_int_equal(novelty_load(b, buf, size), -1);
	assert_true(novelty_memory(a) > size);
	free(buf);
	novelty_free(a);
	novelty_free(b);
}

/* The rows grow as prototypes are added: a model that has met one pattern
 * holds less than one that has met K, and a model saved and loaded while
 * its rows are still growing goes on exactly as the one never stopped. */
static void
test_rows_grow(void **state)
{
	static const struct novelty_config c = { 4, 100, 3, 50, 10, 0.05, 0.1,
	    0.01, 0.3 };
	struct novelty *a = novelty_new(&c), *b = NULL;
	struct prng g = { 5 };
	unsigned char *buf;
	size_t size = novelty_state_size(a), small = 0;
	double p[4], ra, za, rb, zb;
	uint64_t t;
	uint32_t j;

	(void)state;
	assert_non_null(a);
	buf = malloc(size);
	assert_non_null(buf);
	for (t = 0; t < 400; t++) {
		/* a new level every 3 steps, some coming back: about one
		 * new prototype in 3 steps, all K taken after 300 */
		for (j = 0; j < c.dim; j++)
			p[j] = (double)((t / 3) % 120) * 0.1 + 0.01 * unit(&g);
		if (t % 7 == 0) {
			novelty_free(b);
			novelty_save(a, buf);
			b = novelty_new(&c);
			assert_non_null(b);
			assert_int_equal(novelty_load(b, buf, size), 0);
			assert_true(novelty_memory(b) <= novelty_memory(a));
		}
		assert_int_equal(novelty_push(a, p, &ra, &za), 0);
		assert_int_equal(novelty_push(b, p, &rb, &zb), 0);
		assert_true(memcmp(&ra, &rb, sizeof(ra)) == 0);
		assert_true(memcmp(&za, &zb, sizeof(za)) == 0);
		if (t == 0)
			small = novelty_memory(a);
	}
	/* K rows of D + 2 numbers more than one row */
	assert_true(novelty_memory(a) >= small + 99 * 8 * (c.dim + 2));
	/* a row not held yet must be saved as 0 */
	{
		struct novelty *f = novelty_new(&c);
		size_t last_row = 64 + (size_t)(c.protos - 1) * c.dim * 8;

		assert_non_null(f);
		novelty_push(f, p, &ra, &za);
		novelty_save(f, buf);
		assert_int_equal(novelty_load(b, buf, size), 0);
		buf[last_row] = 1;
		novelty_free(b);
		b = novelty_new(&c);
		assert_non_null(b);
		assert_int_equal(novelty_load(b, buf, size), -1);
		novelty_free(f);
	}
	free(buf);
	novelty_free(a);
	novelty_free(b);
}

/* The values of step t of the shapes test: a spike of height h every 12
 * steps over a base of 0.1 with a little noise; from step 900 a square
 * wave (6 steps low, 6 high), a shape never met. */
static double
shapes_value(struct prng *g, uint64_t t)
{
	double h = t < 600 ? 0.4 : 0.7;

	if (t >= 900)
		return (t / 6) % 2 ? 0.1 + h : 0.1;
	return 0.1 + 0.01 * unit(g) + (t % 12 == 0 ? h : 0);
}

/* A novel pattern of a known shape at a new scale (taller spikes) is told
 * from one of a new shape (a square wave), and from nothing when the
 * shape tolerance is 0; a model saved and loaded tells them alike. */
static void
test_shapes(void **state)
{
	struct novelty_config c = { 6, 64, 10, 300, 100, 0.15, 0.1, 0.005,
	    0.3 };
	int taller, square, off;
	unsigned round;

	(void)state;
	for (round = 0; round < 2; round++) {
		struct novelty *nv, *b = NULL;
		struct prng g = { 3 };
		double v[1000], raw, z, rb, zb;
		unsigned char *buf;
		uint64_t t;

		c.shape = round == 0 ? 0.3 : 0;
		nv = novelty_new(&c);
		assert_non_null(nv);
		buf = malloc(novelty_state_size(nv));
		assert_non_null(buf);
		taller = square = off = 0;
		for (t = 0; t < 1000; t++) {
			v[t] = shapes_value(&g, t);
			if (t % 13 == 0) {
				novelty_free(b);
				novelty_save(nv, buf);
				assert_non_null(b = novelty_new(&c));
				assert_int_equal(novelty_load(b, buf,
				    novelty_state_size(nv)), 0);
			}
			assert_int_equal(novelty_push(nv, t >= 5 ?
			    v + t - 5 : NULL, &raw, &z), 0);
			assert_int_equal(novelty_push(b, t >= 5 ?
			    v + t - 5 : NULL, &rb, &zb), 0);
			assert_true(memcmp(&z, &zb, sizeof(z)) == 0);
			assert_int_equal(novelty_rescaled(nv, 20),
			    novelty_rescaled(b, 20));
			/* the first taller spikes are novel patterns */
			if (t >= 600 && t < 640 && raw > c.rho)
				taller++;
			if (t >= 600 && t < 640 && novelty_rescaled(nv, 20))
				off++;
			if (t >= 905 && t < 960 && novelty_rescaled(nv, 20))
				square++;
			if (t < 600 && t > 100 && novelty_rescaled(nv, 20))
				fail_msg("step %llu: rescaled before any "
				    "rescaling", (unsigned long long)t);
		}
		assert_true(taller > 0);
		if (round == 0) {
			assert_true(off > 0);	/* taller: a known shape */
			assert_true(square < 10); /* square: a new one */
		} else
			assert_int_equal(off + square, 0);
		novelty_free(nv);
		novelty_free(b);
		free(buf);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_against_reference),
		cmocka_unit_test(test_save_load),
		cmocka_unit_test(test_rows_grow),
		cmocka_unit_test(test_shapes),
	};

	return cmocka_run_group_tests_name("novelty", tests, NULL, NULL);
}
