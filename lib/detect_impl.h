/*
 * detect_impl.h: the inside of a struct detector, shared by detect.c (the
 * detectors) and detect_state.c (saving and loading it) and by nothing
 * else: no other file may include it.  The few functions both need to
 * read the window are static inline here, so each file keeps a single
 * header of its own that is its whole interface.
 */
#ifndef ANOMALY_DETECT_IMPL_H
#define ANOMALY_DETECT_IMPL_H

#include <math.h>
#include <stdint.h>

#include "dd.h"
#include "deque.h"
#include "moves.h"
#include "novelty.h"
#include "ordstat.h"
#include "settings.h"

struct iforest;
struct ordstat;

/* Shifted running sums over a window: s1 = sum(x - shift), s2 = sum((x -
 * shift)^2) in double-double, each term computed the same way when it is
 * added and when it is removed. */
struct moments {
	double shift;
	struct dd s1, s2;
	double peak;		/* largest s2 since the last rebase */
	uint32_t count;
};

struct detector {
	struct detect_settings set;
	uint64_t key;		/* hash of the client_id: seeds the forest */
	uint64_t n;		/* points pushed */
	uint64_t last_alert;	/* ordinal of the last alert, 0 if none */
	uint64_t last_extreme;	/* of the last alert with a vote of the alert
				 * source but novelty and novelty_long, 0 if
				 * none */
	uint32_t active;	/* enabled detectors and the alert's source */
	uint32_t enabled;	/* popcount of set.detectors */
	uint32_t warmup;	/* P = min(min_points, W) */
	uint32_t ma_m;
	uint32_t hcap;		/* ring capacity: max(W + m, D) with ma, else
				 * max(W, D): a residual is recomputed from
				 * the ring when it is needed again */
	double *hist;		/* value of ordinal t at hist[(t - 1) % hcap] */
	struct ordstat *sorted;	/* the window's values */
	uint32_t levels;	/* distinct values in the window (rebuilt, not
				 * stored, on load) */
	struct moments val;	/* of the window's values */

	double lambda, decay;	/* EWMA weight and 1 - weight */
	struct dd ew;		/* sum of decay^(L-i) (w_i - val.shift) */
	struct dd decay_l1;	/* decay^(L-1), L = window length */
	struct dd decay_l;	/* decay^L */

	int ma;			/* ma is active: residuals are kept */
	struct moments res;	/* of the window's defined residuals */
	struct deque dq_max;	/* the window's largest residual in front */
	struct deque dq_min;	/* and its smallest */

	struct iforest *forest;

	double seen_lo, seen_hi;	/* range of all values so far */
	struct novelty *novelty;
	uint32_t nov_dim;
	double nov_zstar;	/* z whose normal upper tail is novelty.eps */
	/* points in a row, up to novelty.confirm, whose likelihood z was
	 * beyond nov_zstar: of novelty [0] and novelty_long [1] */
	uint32_t nov_run[2];
	/* ordinal of the last point whose novelty z reached novelty.joint
	 * of nov_zstar, 0 if none */
	uint64_t nov_near;

	/* novelty_long: blocks of `scale` values, each reduced to its extreme
	 * farthest from a running mean of block means */
	struct novelty *slow;
	uint32_t scale;
	double blk_lo, blk_hi, blk_sum;	/* of the block so far */
	double blk_ma;		/* running mean of block means */
	double agg[NOVELTY_DIM_MAX];	/* block extremes, ring */
	uint64_t nagg;		/* blocks ended */

	struct moves mv;	/* moves: its whole state (moves.h) */
};

/* Inserts v into d's sorted window, counting a new distinct value in
 * d->levels; -1 when memory is short (then nothing changed). */
static inline int
detector_sorted_insert(struct detector *d, double v)
{
	int fresh = !ordstat_contains(d->sorted, v);

	if (ordstat_insert(d->sorted, v) == -1)
		return -1;
	d->levels += fresh;
	return 0;
}

/* The value of ordinal t, still in the ring. */
static inline double
hist_at(const struct detector *d, uint64_t t)
{
	return d->hist[(t - 1) % d->hcap];
}

/* The number of values in the window now. */
static inline uint32_t
window_len(const struct detector *d)
{
	return d->n < d->set.window ? (uint32_t)d->n : d->set.window;
}

/* The moving-average residual of x at ordinal n (n > m): x minus the mean
 * of the m values before it, as the mean of the differences so that nearby
 * values cancel exactly. */
static inline struct dd
ma_residual(const struct detector *d, uint64_t n, double x)
{
	struct dd sum = dd_from(0);
	uint32_t j, at = (uint32_t)((n - 2) % d->hcap);	/* of n - 1 */

	for (j = 1; j <= d->ma_m; j++) {
		sum = dd_add(sum, dd_two_sum(x, -d->hist[at]));
		at = at == 0 ? d->hcap - 1 : at - 1;
	}
	return dd_div_d(sum, d->ma_m);
}

/* The residual of the value of ordinal t, still in the ring with the m
 * values before it; hi NAN when it has none (t <= m).  The same as when it
 * was first computed, bit for bit. */
static inline struct dd
resid_at(const struct detector *d, uint64_t t)
{
	struct dd none = { NAN, 0 };

	return t > d->ma_m ? ma_residual(d, t, hist_at(d, t)) : none;
}

#endif
