/*
 * detect.c: the detectors of SPEC §3 and their ensemble.
 *
 * The window is held three ways: a ring of the last values (which one leaves
 * next), an ordstat multiset (order statistics for iqr, mzscore, the flat
 * test and the forest's sorted samples) and shifted double-double running
 * sums (mean, variance, the EWMA over the window, the moving-average
 * residuals).  The sums are rebased, recomputed from the window around its
 * mean, whenever n is a multiple of W and whenever a departing value had
 * dominated them, so their error stays far below 1e-9 relative.  A
 * residual is not stored: the ring holds m values more than the window, and
 * a residual needed again (leaving the window, a rebase, a restart) is
 * recomputed from them, bit for bit; only the monotone deques of the
 * window's largest and smallest residuals hold values (deque.c), few on
 * most data.  The alert detectors keep the range of every value so far
 * (spatial, and the scale of novelty's patterns) and novelty's model
 * (novelty.c).  All of it is a function of the client's values and
 * settings: nothing depends on time or on where memory lies.  The struct
 * is in detect_impl.h, shared only with detect_state.c, which saves and
 * loads it; the settings and their names are settings.c's.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dd.h"
#include "deque.h"
#include "detect.h"
#include "detect_impl.h"
#include "errmsg.h"
#include "iforest.h"
#include "moves.h"
#include "novelty.h"
#include "ordstat.h"
#include "rng.h"

/* ------------------------------------------------------------ moments */

static void
moments_reset(struct moments *m, double shift)
{
	m->shift = shift;
	m->s1 = dd_from(0);
	m->s2 = dd_from(0);
	m->peak = 0;
	m->count = 0;
}

static void
moments_add(struct moments *m, struct dd x)
{
	struct dd d = dd_add_d(x, -m->shift);

	m->s1 = dd_add(m->s1, d);
	m->s2 = dd_add(m->s2, dd_mul(d, d));
	if (m->s2.hi > m->peak)
		m->peak = m->s2.hi;
	m->count++;
}

static void
moments_remove(struct moments *m, struct dd x)
{
	struct dd d = dd_add_d(x, -m->shift);

	m->s1 = dd_add(m->s1, dd_neg(d));
	m->s2 = dd_add(m->s2, dd_neg(dd_mul(d, d)));
	m->count--;
}

/* Whether a rebase is due: cancellation has eaten much of s2 (a dominating
 * value left), or the mean has wandered so far from the shift that the
 * rounding of x - shift would show in the variance. */
static int
moments_worn(const struct moments *m)
{
	double mo, var;

	if (m->count == 0)
		return 0;
	if (m->s2.hi < m->peak * 0x1p-40)
		return 1;
	mo = m->s1.hi / m->count;
	var = m->s2.hi / m->count - mo * mo;
	return mo * mo > 0x1p20 * var;
}

/* The mean minus the shift, as a double-double. */
static struct dd
moments_mean_off(const struct moments *m)
{
	return dd_div_d(m->s1, (double)m->count);
}

/* The population variance, never negative. */
static double
moments_var(const struct moments *m)
{
	struct dd q = dd_div_d(dd_mul(m->s1, m->s1), (double)m->count);
	struct dd v = dd_add(m->s2, dd_neg(q));
	double var = v.hi / (double)m->count;

	return var > 0 ? var : 0;
}

/* ------------------------------------------------------------ window */

/* Recomputes every running sum from the window around its mean. */
static void
rebase(struct detector *d)
{
	uint32_t len = window_len(d), i;
	uint64_t first = d->n - len + 1, t;
	struct dd sum = dd_from(0), ew = dd_from(0);
	double shift;

	for (t = first; t <= d->n; t++)
		sum = dd_add_d(sum, hist_at(d, t));
	shift = dd_div_d(sum, len).hi;
	moments_reset(&d->val, shift);
	for (t = first; t <= d->n; t++) {
		double x = hist_at(d, t);

		moments_add(&d->val, dd_from(x));
		ew = dd_add_d(dd_mul_d(ew, d->decay), x - shift);
	}
	d->ew = ew;
	if (!d->ma)
		return;
	sum = dd_from(0);
	i = 0;
	for (t = first > d->ma_m ? first : d->ma_m + 1; t <= d->n; t++) {
		sum = dd_add(sum, resid_at(d, t));
		i++;
	}
	moments_reset(&d->res, i > 0 ? dd_div_d(sum, i).hi : 0);
	for (t = first > d->ma_m ? first : d->ma_m + 1; t <= d->n; t++)
		moments_add(&d->res, resid_at(d, t));
}

/* Lets x, the value of ordinal n = d->n + 1 with residual r (NAN if none),
 * enter the window; the value of ordinal n - W leaves. */
static void
window_enter(struct detector *d, double x, struct dd r)
{
	uint64_t n = d->n + 1, out = 0;
	uint32_t W = d->set.window;
	double old = 0;
	struct dd ro = { NAN, 0 };

	if (d->val.count == 0)
		moments_reset(&d->val, x);
	if (n > W) {
		out = n - W;
		old = hist_at(d, out);
		ordstat_remove(d->sorted, old);
		d->levels -= !ordstat_contains(d->sorted, old);
		moments_remove(&d->val, dd_from(old));
		d->ew = dd_add(d->ew, dd_neg(dd_mul_d(d->decay_l1,
		    old - d->val.shift)));
		/* before x takes the place of a value it needs */
		if (d->ma)
			ro = resid_at(d, out);
	} else if (n > 1) {
		d->decay_l1 = d->decay_l;
		d->decay_l = dd_mul_d(d->decay_l, d->decay);
	}
	d->hist[(n - 1) % d->hcap] = x;
	(void)detector_sorted_insert(d, x);
	moments_add(&d->val, dd_from(x));
	d->ew = dd_add_d(dd_mul_d(d->ew, d->decay), x - d->val.shift);

	if (d->ma) {
		if (out != 0) {
			deque_expire(&d->dq_max, out);
			deque_expire(&d->dq_min, out);
			if (!isnan(ro.hi))
				moments_remove(&d->res, ro);
		}
		if (!isnan(r.hi)) {
			if (d->res.count == 0)
				moments_reset(&d->res, r.hi);
			moments_add(&d->res, r);
			deque_push(&d->dq_max, n, r, 1);
			deque_push(&d->dq_min, n, r, -1);
		}
		deque_shrink(&d->dq_max);
		deque_shrink(&d->dq_min);
	}
	d->n = n;
	if (n == 1 || x < d->seen_lo)
		d->seen_lo = x;
	if (n == 1 || x > d->seen_hi)
		d->seen_hi = x;
	if (d->novelty != NULL && n % W == 0)
		novelty_rebase(d->novelty);
	if (d->slow != NULL && n % W == 0)
		novelty_rebase(d->slow);
	if (n % W == 0 || moments_worn(&d->val) ||
	    (d->ma && moments_worn(&d->res)))
		rebase(d);
}

/* ------------------------------------------------------------ judging */

static double
margin_of(double stat, double thr)
{
	double a = fabs(thr);

	return (stat - thr) / (a > 1e-300 ? a : 1e-300);
}

/* A quantile of the window by linear interpolation (type 7), as its lower
 * neighbour s[j] and the offset frac * (s[j+1] - s[j]) above it. */
struct quantile {
	double base, off;
};

static struct quantile
quantile_of(const struct ordstat *os, uint32_t len, double p)
{
	double h = (len - 1) * p;
	uint32_t j = (uint32_t)h;
	double frac = h - j;
	struct quantile q;

	q.base = ordstat_select(os, j);
	q.off = 0;
	if (frac > 0 && j + 1 < len)
		q.off = frac * (ordstat_select(os, j + 1) - q.base);
	return q;
}

/* The distance of the value of rank i from the median med. */
static double
dev_at(const struct ordstat *os, uint32_t i, struct quantile med)
{
	return fabs((ordstat_select(os, i) - med.base) - med.off);
}

/* The k-th smallest (from 0) of the distances of the window's values from
 * med: the k+1 values nearest med are a run s[l..l+k] of the sorted window
 * that holds the middle; binary search for the run whose ends balance. */
static double
kth_deviation(const struct ordstat *os, uint32_t len, uint32_t k,
    struct quantile med, uint32_t mid)
{
	uint32_t lo, hi, l;
	double best;

	/* runs [l, l+k] with l <= mid <= l + k */
	lo = mid > k ? mid - k : 0;
	hi = mid < len - 1 - k ? mid : len - 1 - k;
	/* first l in [lo, hi] where the left end is no farther than the right */
	while (lo < hi) {
		l = lo + (hi - lo) / 2;
		if (dev_at(os, l, med) <= dev_at(os, l + k, med))
			hi = l;
		else
			lo = l + 1;
	}
	l = lo;
	best = fmax(dev_at(os, l, med), dev_at(os, l + k, med));
	if (l > 0 && l - 1 + k < len) {
		double prev = fmax(dev_at(os, l - 1, med),
		    dev_at(os, l - 1 + k, med));

		if (prev < best)
			best = prev;
	}
	return best;
}

static double
median_abs_deviation(const struct ordstat *os, uint32_t len,
    struct quantile med)
{
	double h = (len - 1) * 0.5;
	uint32_t j = (uint32_t)h, mid = j;
	double a = kth_deviation(os, len, j, med, mid);

	if (h > j) {
		double b = kth_deviation(os, len, j + 1, med, mid);

		return a + 0.5 * (b - a);
	}
	return a;
}

/* Scores the pattern of the last novelty.dim values ending with x, the
 * value of ordinal n, scaled by the range of the values before it, and
 * returns its likelihood z (NAN while the model is learning). */
static double
novelty_z(struct detector *d, uint64_t n, double x)
{
	double p[NOVELTY_DIM_MAX], span = d->seen_hi - d->seen_lo, raw, z;
	uint32_t D = d->nov_dim, j;

	if (n > D && span > 0) {
		/* ordinals n-D+1 .. n-1 from one division, then wrapping */
		uint32_t at = (uint32_t)((n - D) % d->hcap);

		for (j = 0; j + 1 < D; j++) {
			p[j] = (d->hist[at] - d->seen_lo) / span;
			if (++at == d->hcap)
				at = 0;
		}
		/* x alone may lie outside the range; far outside is the same
		 * (and stays finite) */
		p[D - 1] = (x - d->seen_lo) / span;
		if (!(p[D - 1] < 1e9))
			p[D - 1] = 1e9;
		else if (p[D - 1] < -1e9)
			p[D - 1] = -1e9;
		(void)novelty_push(d->novelty, p, &raw, &z);
	} else
		(void)novelty_push(d->novelty, NULL, &raw, &z);
	return z;
}

/* novelty_long's step at the value x of ordinal n: x joins its block; when
 * the block ends (n a multiple of the scale) its extreme joins the ring and
 * the pattern of the last novelty.dim extremes, scaled by the range of the
 * values before x, is scored.  Returns the likelihood z (NAN while
 * learning). */
static double
novelty_long_z(struct detector *d, uint64_t n, double x)
{
	double p[NOVELTY_DIM_MAX], span = d->seen_hi - d->seen_lo, raw, z;
	double mean, a;
	uint32_t D = d->nov_dim, j;
	const double *pat = NULL;

	if ((n - 1) % d->scale == 0) {
		d->blk_lo = d->blk_hi = x;
		d->blk_sum = 0;
	}
	if (x < d->blk_lo)
		d->blk_lo = x;
	if (x > d->blk_hi)
		d->blk_hi = x;
	d->blk_sum += x;
	if (n % d->scale == 0) {
		mean = d->blk_sum / d->scale;
		if (d->nagg == 0)
			d->blk_ma = mean;
		d->blk_ma = 0.5 * (d->blk_ma + mean);
		a = fabs(d->blk_hi - d->blk_ma) < fabs(d->blk_lo - d->blk_ma) ?
		    d->blk_lo : d->blk_hi;
		d->agg[d->nagg % NOVELTY_DIM_MAX] = a;
		d->nagg++;
		if (d->nagg > D && span > 0) {
			for (j = 0; j < D; j++) {
				p[j] = (d->agg[(d->nagg - D + j) %
				    NOVELTY_DIM_MAX] - d->seen_lo) / span;
				if (!(p[j] < 1e9))
					p[j] = 1e9;
				else if (p[j] < -1e9)
					p[j] = -1e9;
			}
			pat = p;
		}
	}
	(void)novelty_push(d->slow, pat, &raw, &z);
	return z;
}

/* The z above which the standard normal's upper tail is below eps. */
static double
normal_upper_quantile(double eps)
{
	double lo = 0, hi = 40, mid;
	int i;

	for (i = 0; i < 100; i++) {
		mid = 0.5 * (lo + hi);
		if (0.5 * erfc(mid / sqrt(2)) > eps)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

/* What the detectors of one point share: the window's length, whether it
 * is flat (all its values equal, lo), and for zscore and ewma the mean
 * (less the shift) and the standard deviation of its values. */
struct window_view {
	uint32_t len;
	double lo;
	int flat;
	struct dd mean_off;
	double sigma;
	double xo;		/* x less the shift */
};

/* Records detector k's margin and, when yes, its vote. */
static void
cast(struct detect_verdict *v, unsigned k, double margin, int yes)
{
	v->margin[k] = margin;
	if (yes)
		v->votes |= 1u << k;
}

/* Records detector k's vote on a flat window: any other value than the
 * window's is an anomaly, decided by rule. */
static void
cast_flat(struct detect_verdict *v, unsigned k, double x, double lo)
{
	cast(v, k, x != lo ? INFINITY : -INFINITY, x != lo);
}

/* zscore: |x - mean| > k sigma. */
static void
judge_zscore(const struct detector *d, double x, const struct window_view *w,
    struct detect_verdict *v)
{
	double stat, thr;

	if (w->flat) {
		cast_flat(v, DETECT_ZSCORE, x, w->lo);
		return;
	}
	stat = fabs(dd_add(dd_from(w->xo), dd_neg(w->mean_off)).hi);
	thr = d->set.param[DETECT_P_ZSCORE_K] * w->sigma;
	cast(v, DETECT_ZSCORE, margin_of(stat, thr), stat > thr);
}

/* ewma: the EWMA of the window and x strays from the mean by more than L
 * times its own standard deviation. */
static void
judge_ewma(const struct detector *d, double x, const struct window_view *w,
    struct detect_verdict *v)
{
	double first, stat, thr;
	struct dd el, e;

	if (w->flat) {
		cast_flat(v, DETECT_EWMA, x, w->lo);
		return;
	}
	/* e_L - shift = lambda*ew + decay^L (w_1 - shift) */
	first = hist_at(d, d->n - w->len + 1);
	el = dd_add(dd_mul_d(d->ew, d->lambda),
	    dd_mul_d(d->decay_l, first - d->val.shift));
	e = dd_add(dd_two_prod(d->lambda, w->xo), dd_mul_d(el, d->decay));
	stat = fabs(dd_add(e, dd_neg(w->mean_off)).hi);
	thr = d->set.param[DETECT_P_EWMA_L] * w->sigma * sqrt(d->lambda /
	    (2 - d->lambda));
	cast(v, DETECT_EWMA, margin_of(stat, thr), stat > thr);
}

/* iqr: x lies more than k IQR below the first or above the third
 * quartile. */
static void
judge_iqr(const struct detector *d, double x, const struct window_view *w,
    struct detect_verdict *v)
{
	struct quantile q1, q3;
	double below, above, iqr, stat, thr;

	if (w->flat) {
		cast_flat(v, DETECT_IQR, x, w->lo);
		return;
	}
	q1 = quantile_of(d->sorted, w->len, 0.25);
	q3 = quantile_of(d->sorted, w->len, 0.75);
	below = (q1.base - x) + q1.off;
	above = (x - q3.base) - q3.off;
	iqr = (q3.base - q1.base) + (q3.off - q1.off);
	stat = below > above ? below : above;
	thr = d->set.param[DETECT_P_IQR_K] * iqr;
	cast(v, DETECT_IQR, margin_of(stat, thr), stat > thr);
}

/* mzscore: 0.6745 |x - median| / MAD > k; no vote when MAD is 0. */
static void
judge_mzscore(const struct detector *d, double x,
    const struct window_view *w, struct detect_verdict *v)
{
	struct quantile med = quantile_of(d->sorted, w->len, 0.5);
	double mad = w->flat ? 0 : median_abs_deviation(d->sorted, w->len, med);
	double stat, thr;

	if (mad == 0) {
		cast(v, DETECT_MZSCORE, -INFINITY, 0);
		return;
	}
	stat = 0.6745 * fabs((x - med.base) - med.off) / mad;
	thr = d->set.param[DETECT_P_MZSCORE_K];
	cast(v, DETECT_MZSCORE, margin_of(stat, thr), stat > thr);
}

/* ma: x's moving-average residual r strays from the mean of the window's
 * residuals by more than k of their standard deviations (any distance
 * when they are all equal); no vote without a residual. */
static void
judge_ma(const struct detector *d, double x, struct dd r,
    const struct window_view *w, struct detect_verdict *v)
{
	struct dd rmax, rmin, ro, mo;
	double stat, thr;

	if (w->flat) {
		cast_flat(v, DETECT_MA, x, w->lo);
		return;
	}
	if (isnan(r.hi) || d->res.count == 0) {
		cast(v, DETECT_MA, -INFINITY, 0);
		return;
	}
	rmax = d->dq_max.e[d->dq_max.head].r;
	rmin = d->dq_min.e[d->dq_min.head].r;
	if (!dd_greater(rmax, rmin)) {
		/* all residuals equal: std 0 exactly */
		stat = fabs(dd_add(r, dd_neg(rmax)).hi);
		cast(v, DETECT_MA, margin_of(stat, 0), stat > 0);
		return;
	}
	ro = dd_add_d(r, -d->res.shift);
	mo = moments_mean_off(&d->res);
	stat = fabs(dd_add(ro, dd_neg(mo)).hi);
	thr = d->set.param[DETECT_P_MA_K] * sqrt(moments_var(&d->res));
	cast(v, DETECT_MA, margin_of(stat, thr), stat > thr);
}

/* spatial's view of x: *stat how far x lies beyond the range of every
 * value so far, *thr spatial.tol of that range's span (widened while the
 * range is young), *res the window's resolution when its values are a few
 * levels (each taken twice on average, or more): the mean step between
 * them; 0 else (a continuous series, or fewer than two levels).  Returns
 * -1 when the span is 0 (nothing set), else 0. */
static int
spatial_of(const struct detector *d, double x, double *stat, double *thr,
    double *res)
{
	const double *par = d->set.param;
	double span = d->seen_hi - d->seen_lo;

	if (span == 0)
		return -1;
	*stat = fmax(d->seen_lo - x, x - d->seen_hi);
	/* the range of the first values is narrower than the stream's: up to
	 * point spatial.ramp the tolerance is widened by ramp / n */
	*thr = par[DETECT_P_SPATIAL_TOL] * span;
	if ((double)(d->n + 1) < par[DETECT_P_SPATIAL_RAMP])
		*thr *= par[DETECT_P_SPATIAL_RAMP] / (double)(d->n + 1);
	*res = d->levels > 1 && 2 * d->levels <= window_len(d) ?
	    (ordstat_max(d->sorted) - ordstat_min(d->sorted)) /
	    (double)(d->levels - 1) : 0;
	return 0;
}

/* spatial: x lies beyond the range of every value so far by more than
 * spatial.tol of its span and by more than the window's resolution (a
 * series of a few levels that steps to the next one past its range has
 * not left it by more than its own grain). */
static void
judge_spatial(const struct detector *d, double x, struct detect_verdict *v)
{
	double stat, thr, res;

	if (spatial_of(d, x, &stat, &thr, &res) == -1) {
		cast_flat(v, DETECT_SPATIAL, x, d->seen_lo);
		return;
	}
	thr = fmax(thr, res);
	cast(v, DETECT_SPATIAL, margin_of(stat, thr), stat > thr);
}

/* Whether x is a new extreme by spatial.tol but within the window's
 * resolution (no vote of spatial, see judge_spatial). */
static int
spatial_step(const struct detector *d, double x)
{
	double stat, thr, res;

	return (d->active & (1u << DETECT_SPATIAL)) &&
	    spatial_of(d, x, &stat, &thr, &res) == 0 &&
	    stat > thr && stat <= res;
}

/* Counts the points in a row (up to novelty.confirm) whose likelihood z of
 * the novelty model kind k (0 novelty, 1 novelty_long) is beyond the one of
 * novelty.eps. */
static void
count_run(struct detector *d, unsigned k, double z)
{
	uint32_t confirm = (uint32_t)d->set.param[DETECT_P_NOVELTY_CONFIRM];

	if (z > d->nov_zstar)
		d->nov_run[k] += d->nov_run[k] < confirm;
	else
		d->nov_run[k] = 0;
}

/* novelty and novelty_long (kind k, run of model m): the likelihood z of
 * the pattern has been beyond the one of novelty.eps for the last
 * novelty.confirm points (a single point beyond is mostly a passing
 * wobble of the average); no vote while the model learns (z NAN).  The
 * margin is z's, but 0 while z is beyond and not yet confirmed. */
static void
judge_novelty(const struct detector *d, unsigned k, unsigned m, double z,
    struct detect_verdict *v)
{
	int yes = d->nov_run[m] >= (uint32_t)d->set.param[
	    DETECT_P_NOVELTY_CONFIRM];
	double margin;

	if (isnan(z)) {
		cast(v, k, -INFINITY, 0);
		return;
	}
	margin = margin_of(z, d->nov_zstar);
	cast(v, k, yes || margin <= 0 ? margin : 0, yes);
}

/* moves: the statistic of x's move (moves.h) is above 1; no vote while
 * it is not judged (st NAN). */
static void
judge_moves(unsigned k, double st, struct detect_verdict *v)
{
	if (isnan(st)) {
		cast(v, k, -INFINITY, 0);
		return;
	}
	cast(v, k, margin_of(st, 1), st > 1);
}

/* iforest: the forest's score s(x) reaches iforest.threshold. */
static void
judge_iforest(const struct detector *d, double x, struct detect_verdict *v)
{
	double tau = d->set.param[DETECT_P_IFOREST_THRESHOLD];

	v->iforest_score = iforest_score(d->forest, x);
	cast(v, DETECT_IFOREST, margin_of(v->iforest_score, tau),
	    v->iforest_score >= tau);
}

/* Every computed detector's vote on x (residual r, novelty z nz and nzl,
 * moves statistic mst) against the window, into v. */
static void
judge(const struct detector *d, double x, struct dd r, double nz, double nzl,
    double mst, struct detect_verdict *v)
{
	uint32_t a = d->active;
	struct window_view w;

	w.len = window_len(d);
	w.lo = ordstat_min(d->sorted);
	w.flat = w.lo == ordstat_max(d->sorted);
	w.mean_off = dd_from(0);
	w.sigma = 0;
	w.xo = x - d->val.shift;
	if (a & ((1u << DETECT_ZSCORE) | (1u << DETECT_EWMA))) {
		w.mean_off = moments_mean_off(&d->val);
		w.sigma = sqrt(moments_var(&d->val));
	}
	if (a & (1u << DETECT_ZSCORE))
		judge_zscore(d, x, &w, v);
	if (a & (1u << DETECT_EWMA))
		judge_ewma(d, x, &w, v);
	if (a & (1u << DETECT_IQR))
		judge_iqr(d, x, &w, v);
	if (a & (1u << DETECT_MZSCORE))
		judge_mzscore(d, x, &w, v);
	if (a & (1u << DETECT_MA))
		judge_ma(d, x, r, &w, v);
	if (a & (1u << DETECT_SPATIAL))
		judge_spatial(d, x, v);
	if (a & (1u << DETECT_NOVELTY))
		judge_novelty(d, DETECT_NOVELTY, 0, nz, v);
	if (a & (1u << DETECT_NOVELTY_LONG))
		judge_novelty(d, DETECT_NOVELTY_LONG, 1, nzl, v);
	if (a & (1u << DETECT_MOVES))
		judge_moves(DETECT_MOVES, mst, v);
	if (a & (1u << DETECT_IFOREST))
		judge_iforest(d, x, v);
}

/* Whether c votes of the enabled detectors make an anomaly under s's
 * vote rule. */
static int
vote_result(const struct detect_settings *s, uint32_t votes,
    uint32_t enabled)
{
	switch (s->vote) {
	case DETECT_VOTE_ANY:
		return votes >= 1;
	case DETECT_VOTE_ALL:
		return votes == enabled;
	case DETECT_VOTE_ATLEAST:
		return votes >= s->vote_k;
	default:
		return votes * 2 > enabled;
	}
}

/* Grows tree t of the forest from the window, seeded by the client and
 * the ordinal n. */
static void
grow_tree(struct detector *d, unsigned t, uint64_t n)
{
	iforest_grow(d->forest, t, d->sorted, rng_seed(d->key, n, t));
}

/* Whether the alert signal of votes comes from novelty or novelty_long
 * alone (no other detector of the alert source voted). */
static int
novelty_alone(const struct detect_settings *s, uint32_t votes)
{
	const uint32_t nov = (1u << DETECT_NOVELTY) |
	    (1u << DETECT_NOVELTY_LONG);

	return s->alert != DETECT_ALERT_VOTE &&
	    (votes & detect_alert_mask(s) & ~nov) == 0;
}

/* The points an alert signal raised by votes must wait after the last
 * alert: holdoff, or novelty.holdoff when larger and the signal comes from
 * novelty or novelty_long alone (a novel pattern lingers for a while after a
 * change, as its average and its pattern still hold it, and the learner
 * meets more of the new shape; a new extreme is over at once). */
static uint64_t
holdoff_of(const struct detect_settings *s, uint32_t votes)
{
	double h = s->param[DETECT_P_HOLDOFF];

	if (novelty_alone(s, votes) && s->param[DETECT_P_NOVELTY_HOLDOFF] > h)
		h = s->param[DETECT_P_NOVELTY_HOLDOFF];
	return (uint64_t)h;
}

/* Whether the signal of votes comes from novelty alone (novelty_long
 * neither) and the novel patterns of its last two averaging spans were
 * only known shapes at a new scale: a spike taller than the ones before,
 * a dip of another depth, the same motion over a wider range.  The range
 * of the values is spatial's to judge; such a pattern alone is no alert. */
static int
rescaled_only(const struct detector *d, uint32_t votes)
{
	return d->novelty != NULL && d->set.alert != DETECT_ALERT_VOTE &&
	    (votes & detect_alert_mask(&d->set)) == (1u << DETECT_NOVELTY) &&
	    novelty_rescaled(d->novelty,
	    2 * (uint64_t)d->set.param[DETECT_P_NOVELTY_AVERAGE]);
}

/* Whether the novelty model and spatial each came within novelty.joint of
 * their thresholds together: x lies beyond the range of the values so far
 * by more than (1 - joint) of spatial's tolerance, and novelty's z reached
 * (1 - joint) of the one of novelty.eps within the last novelty.average
 * points (the span of the mean it judges).  Two faint signs at once are
 * rare in normal data, and each alone is not enough.  Only with spatial
 * and novelty both in the alert source; remembers the point of such a z. */
static int
joint(struct detector *d, uint64_t n, const struct detect_verdict *v)
{
	const uint32_t both = (1u << DETECT_SPATIAL) | (1u << DETECT_NOVELTY);
	double f = d->set.param[DETECT_P_NOVELTY_JOINT];
	double mn = v->margin[DETECT_NOVELTY];

	if (f <= 0 || d->set.alert == DETECT_ALERT_VOTE ||
	    (detect_alert_mask(&d->set) & both) != both)
		return 0;
	if (!isnan(mn) && mn >= -f)
		d->nov_near = n;
	return d->nov_near != 0 && n - d->nov_near <
	    (uint64_t)d->set.param[DETECT_P_NOVELTY_AVERAGE] &&
	    v->margin[DETECT_SPATIAL] >= -f;
}

/* The ensemble's verdict on point n from the detectors' votes in v:
 * anomaly and score by the vote rule, alert from the alert source after
 * the hold-off (which it then restarts); step: x was a new extreme within
 * the window's resolution (spatial_step). */
static void
decide(struct detector *d, uint64_t n, struct detect_verdict *v, int step)
{
	uint32_t votes = v->votes & d->set.detectors;
	uint32_t c = (uint32_t)__builtin_popcount(votes);
	int signal;

	v->anomaly = vote_result(&d->set, c, d->enabled);
	v->score = (double)c / d->enabled;
	if (d->set.alert == DETECT_ALERT_VOTE)
		signal = v->anomaly;
	else
		signal = (v->votes & detect_alert_mask(&d->set)) != 0;
	/* for novelty.settle points after an alert of a new extreme, the
	 * series settles into its new range: the novel patterns it makes
	 * meanwhile are the new normal, not another alert */
	if (signal && novelty_alone(&d->set, v->votes) &&
	    d->last_extreme != 0 && n - d->last_extreme <=
	    (uint64_t)d->set.param[DETECT_P_NOVELTY_SETTLE])
		signal = 0;
	if (signal && rescaled_only(d, v->votes))
		signal = 0;
	/* a step to the next level past the range is a new extreme too,
	 * too small to alert: the series settles after it all the same */
	if (step && d->set.alert != DETECT_ALERT_VOTE &&
	    (detect_alert_mask(&d->set) & (1u << DETECT_SPATIAL)))
		d->last_extreme = n;
	if (!signal && joint(d, n, v))
		signal = 1;
	if (signal && (d->last_alert == 0 || n - d->last_alert >
	    holdoff_of(&d->set, v->votes))) {
		v->alert = 1;
		d->last_alert = n;
		if (d->set.alert != DETECT_ALERT_VOTE &&
		    !novelty_alone(&d->set, v->votes))
			d->last_extreme = n;
	}
}

int
detector_push(struct detector *d, double x, struct detect_verdict *v,
    char *err, size_t errlen)
{
	uint64_t n = d->n + 1;
	struct dd r = { NAN, 0 };
	double nz = NAN, nzl = NAN, mst = NAN;
	unsigned k, trees;
	int step = 0;

	if (!isfinite(x)) {
		errmsg_set(err, errlen, "value is not a finite number");
		return -1;
	}
	memset(v, 0, sizeof(*v));
	v->n = n;
	v->iforest_score = NAN;
	for (k = 0; k < DETECT_KINDS; k++)
		v->margin[k] = (d->active & (1u << k)) ? -INFINITY : NAN;
	/* the memory a point may need, before anything changes */
	if ((d->ma && (deque_reserve(&d->dq_max, d->set.window + 1) == -1 ||
	    deque_reserve(&d->dq_min, d->set.window + 1) == -1)) ||
	    (d->novelty != NULL && novelty_reserve(d->novelty) == -1) ||
	    (d->slow != NULL && novelty_reserve(d->slow) == -1)) {
		errmsg_set(err, errlen, "out of memory");
		return -1;
	}
	if (d->ma && n > d->ma_m)
		r = ma_residual(d, n, x);
	if (d->novelty != NULL) {
		nz = novelty_z(d, n, x);
		count_run(d, 0, nz);
	}
	if (d->slow != NULL) {
		nzl = novelty_long_z(d, n, x);
		count_run(d, 1, nzl);
	}
	if (d->active & (1u << DETECT_MOVES))
		mst = moves_push(&d->mv, x, d->set.param[DETECT_P_MOVES_K],
		    d->set.param[DETECT_P_MOVES_BURST]);

	if (n <= d->warmup) {
		v->warmup = 1;
	} else {
		if (d->forest != NULL && !iforest_ready(d->forest)) {
			trees = iforest_trees(d->forest);
			for (k = 0; k < trees; k++)
				grow_tree(d, k, n - 1);
		}
		judge(d, x, r, nz, nzl, mst, v);
		step = spatial_step(d, x);
	}
	window_enter(d, x, r);
	if (d->forest != NULL && !v->warmup) {
		trees = iforest_trees(d->forest);
		grow_tree(d, (unsigned)(n % trees), n);
	}

	v->score = 0;
	if (!v->warmup)
		decide(d, n, v, step);
	return 0;
}

/* ------------------------------------------------------------ lifetime */

/* The configuration of the novelty models of settings s. */
static void
novelty_config_of(const struct detect_settings *s, struct novelty_config *nc)
{
	nc->dim = (uint32_t)s->param[DETECT_P_NOVELTY_DIM];
	nc->protos = (uint32_t)s->param[DETECT_P_NOVELTY_PROTOS];
	nc->average = (uint32_t)s->param[DETECT_P_NOVELTY_AVERAGE];
	nc->history = (uint32_t)s->param[DETECT_P_NOVELTY_HISTORY];
	nc->learn = s->param[DETECT_P_NOVELTY_LEARN] < nc->history ?
	    (uint32_t)s->param[DETECT_P_NOVELTY_LEARN] : nc->history;
	nc->rho = s->param[DETECT_P_NOVELTY_RHO];
	nc->rate = s->param[DETECT_P_NOVELTY_RATE];
	nc->sigma_min = s->param[DETECT_P_NOVELTY_SIGMA_MIN];
	nc->shape = s->param[DETECT_P_NOVELTY_SHAPE];
}

size_t
detect_settings_memory(const struct detect_settings *s)
{
	struct novelty_config nc;
	uint32_t active = detect_computed_mask(s), W = s->window;
	size_t hcap = W, m = sizeof(struct detector);

	if (active & ((1u << DETECT_NOVELTY) | (1u << DETECT_NOVELTY_LONG))) {
		novelty_config_of(s, &nc);
		if (nc.dim > hcap)
			hcap = nc.dim;
		if (active & (1u << DETECT_NOVELTY))
			m += novelty_memory_max(&nc);
		if (active & (1u << DETECT_NOVELTY_LONG))
			m += novelty_memory_max(&nc);
	}
	if (active & (1u << DETECT_MA)) {
		if ((size_t)W + (uint32_t)s->param[DETECT_P_MA_M] > hcap)
			hcap = (size_t)W + (uint32_t)s->param[DETECT_P_MA_M];
		/* each deque: at most W + 1 entries (deque_reserve) */
		m += 2 * ((size_t)W + 1) * sizeof(struct deque_entry);
	}
	m += hcap * sizeof(double) + ordstat_memory_max(W);
	if (active & (1u << DETECT_IFOREST))
		m += iforest_memory_for((unsigned)s->param[DETECT_P_IFOREST_TREES],
		    (unsigned)s->param[DETECT_P_IFOREST_SAMPLE], W);
	return m;
}

struct detector *
detector_new(const char *client_id, size_t len,
    const struct detect_settings *s, char *err, size_t errlen)
{
	struct detector *d;
	uint32_t W;

	if (detect_settings_check(s, err, errlen) == -1)
		return NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		goto nomem;
	d->set = *s;
	W = s->window;
	d->key = rng_hash(client_id, len);
	d->active = detect_computed_mask(s);
	d->enabled = (uint32_t)__builtin_popcount(s->detectors);
	d->warmup = s->param[DETECT_P_MIN_POINTS] < W ?
	    (uint32_t)s->param[DETECT_P_MIN_POINTS] : W;
	d->ma_m = (uint32_t)s->param[DETECT_P_MA_M];
	d->hcap = W;
	if (d->active & ((1u << DETECT_NOVELTY) | (1u << DETECT_NOVELTY_LONG))) {
		struct novelty_config nc;

		novelty_config_of(s, &nc);
		d->nov_dim = nc.dim;
		d->nov_zstar = normal_upper_quantile(
		    s->param[DETECT_P_NOVELTY_EPS]);
		if (nc.dim > d->hcap)
			d->hcap = nc.dim;
		d->scale = (uint32_t)s->param[DETECT_P_NOVELTY_LONG_SCALE];
		if ((d->active & (1u << DETECT_NOVELTY)) &&
		    (d->novelty = novelty_new(&nc)) == NULL)
			goto nomem;
		if ((d->active & (1u << DETECT_NOVELTY_LONG)) &&
		    (d->slow = novelty_new(&nc)) == NULL)
			goto nomem;
	}
	if (d->active & (1u << DETECT_MA)) {
		d->ma = 1;
		if (W + d->ma_m > d->hcap)
			d->hcap = W + d->ma_m;
	}
	if ((d->hist = malloc((size_t)d->hcap * sizeof(double))) == NULL ||
	    (d->sorted = ordstat_new(W)) == NULL)
		goto nomem;
	if (d->active & (1u << DETECT_IFOREST)) {
		d->forest = iforest_new((unsigned)s->param[DETECT_P_IFOREST_TREES],
		    (unsigned)s->param[DETECT_P_IFOREST_SAMPLE], W);
		if (d->forest == NULL)
			goto nomem;
	}
	d->lambda = s->param[DETECT_P_EWMA_LAMBDA];
	d->decay = 1 - d->lambda;
	d->decay_l1 = dd_from(1);
	d->decay_l = dd_from(d->decay);
	moments_reset(&d->val, 0);
	moments_reset(&d->res, 0);
	moves_init(&d->mv);
	return d;
nomem:
	errmsg_set(err, errlen, "out of memory for a window of %u", s->window);
	detector_free(d);
	return NULL;
}

void
detector_free(struct detector *d)
{
	if (d == NULL)
		return;
	free(d->hist);
	deque_free(&d->dq_max);
	deque_free(&d->dq_min);
	ordstat_free(d->sorted);
	iforest_free(d->forest);
	novelty_free(d->novelty);
	novelty_free(d->slow);
	free(d);
}

uint64_t
detector_count(const struct detector *d)
{
	return d->n;
}

const struct detect_settings *
detector_settings(const struct detector *d)
{
	return &d->set;
}

uint64_t
detector_last_alert(const struct detector *d)
{
	return d->last_alert;
}

void
detector_set_last_alert(struct detector *d, uint64_t n)
{
	d->last_alert = n;
}

size_t
detector_memory(const struct detector *d)
{
	size_t m = sizeof(*d) + (size_t)d->hcap * sizeof(double) +
	    ordstat_memory(d->sorted);

	m += ((size_t)d->dq_max.cap + d->dq_min.cap) *
	    sizeof(struct deque_entry);
	if (d->forest != NULL)
		m += iforest_memory(d->forest);
	if (d->novelty != NULL)
		m += novelty_memory(d->novelty);
	if (d->slow != NULL)
		m += novelty_memory(d->slow);
	return m;
}

struct detector *
detector_load(const char *client_id, size_t len,
    const struct detect_settings *s, const unsigned char *buf, size_t buflen,
    char *err, size_t errlen)
{
	struct detector *d;

	if ((d = detector_new(client_id, len, s, err, errlen)) == NULL)
		return NULL;
	if (detect_state_load(d, buf, buflen, err, errlen) == -1) {
		detector_free(d);
		return NULL;
	}
	return d;
}
