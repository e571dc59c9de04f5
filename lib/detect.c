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
 * window's largest and smallest residuals hold values, few on most data.
 * The alert
 * detectors keep the range of every value so far (spatial, and the scale of
 * novelty's patterns) and novelty's model (novelty.c).  All of it
 * is a function of the client's values and settings: nothing depends on time
 * or on where memory lies.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd.h"
#include "detect.h"
#include "errmsg.h"
#include "iforest.h"
#include "le.h"
#include "novelty.h"
#include "ordstat.h"
#include "rng.h"

/* Shifted running sums over a window: s1 = sum(x - shift), s2 = sum((x -
 * shift)^2) in double-double, each term computed the same way when it is
 * added and when it is removed. */
struct moments {
	double shift;
	struct dd s1, s2;
	double peak;		/* largest s2 since the last rebase */
	uint32_t count;
};

/* A monotone deque of residuals, a ring that grows as it fills (it
 * holds few on most data, up to W when residuals only fall or only rise). */
struct deque_entry {
	struct dd r;
	uint64_t t;		/* ordinal of the residual */
};

struct deque {
	struct deque_entry *e;
	uint32_t cap, head, len;
};

struct detector {
	struct detect_settings set;
	uint64_t key;		/* hash of the client_id: seeds the forest */
	uint64_t n;		/* points pushed */
	uint64_t last_alert;	/* ordinal of the last alert, 0 if none */
	uint32_t active;	/* enabled detectors and the alert's source */
	uint32_t enabled;	/* popcount of set.detectors */
	uint32_t warmup;	/* P = min(min_points, W) */
	uint32_t ma_m;
	uint32_t hcap;		/* ring capacity: max(W + m, D) with ma, else
				 * max(W, D): a residual is recomputed from
				 * the ring when it is needed again */
	double *hist;		/* value of ordinal t at hist[(t - 1) % hcap] */
	struct ordstat *sorted;	/* the window's values */
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

	/* novelty_long: blocks of `scale` values, each reduced to its extreme
	 * farthest from a running mean of block means */
	struct novelty *slow;
	uint32_t scale;
	double blk_lo, blk_hi, blk_sum;	/* of the block so far */
	double blk_ma;		/* running mean of block means */
	double agg[NOVELTY_DIM_MAX];	/* block extremes, ring */
	uint64_t nagg;		/* blocks ended */
};

static const char *const kind_names[DETECT_KINDS] = {
	"zscore", "iqr", "ewma", "ma", "iforest", "mzscore", "spatial", "novelty",
	"novelty_long"
};

/* Params table: key, default, minimum, maximum, whole number. */
static const struct param_info {
	const char *name;
	double def, min, max;
	int whole;
	int open_min;		/* the minimum itself is not allowed */
} param_info[DETECT_PARAMS] = {
	[DETECT_P_ZSCORE_K] = { "zscore.k", 6, 0, 1e9, 0, 1 },
	[DETECT_P_IQR_K] = { "iqr.k", 3, 0, 1e9, 0, 1 },
	[DETECT_P_EWMA_LAMBDA] = { "ewma.lambda", 0.3, 0, 1, 0, 1 },
	[DETECT_P_EWMA_L] = { "ewma.l", 6, 0, 1e9, 0, 1 },
	[DETECT_P_MA_M] = { "ma.m", 5, 1, DETECT_WINDOW_MAX, 1, 0 },
	[DETECT_P_MA_K] = { "ma.k", 6, 0, 1e9, 0, 1 },
	[DETECT_P_MZSCORE_K] = { "mzscore.k", 7, 0, 1e9, 0, 1 },
	[DETECT_P_IFOREST_TREES] = { "iforest.trees", 100, 1,
	    IFOREST_TREES_MAX, 1, 0 },
	[DETECT_P_IFOREST_SAMPLE] = { "iforest.sample", 256, 2,
	    IFOREST_SAMPLE_MAX, 1, 0 },
	[DETECT_P_IFOREST_THRESHOLD] = { "iforest.threshold", 0.8, 0, 1,
	    0, 1 },
	[DETECT_P_MIN_POINTS] = { "min_points", 50, 1, DETECT_WINDOW_MAX,
	    1, 0 },
	[DETECT_P_HOLDOFF] = { "holdoff", 100, 0, 1e15, 1, 0 },
	[DETECT_P_SPATIAL_TOL] = { "spatial.tol", 0.02, 0, 1e9, 0, 0 },
	[DETECT_P_NOVELTY_DIM] = { "novelty.dim", 6, 1, NOVELTY_DIM_MAX, 1, 0 },
	[DETECT_P_NOVELTY_PROTOS] = { "novelty.protos", 128, 1,
	    NOVELTY_PROTOS_MAX, 1, 0 },
	[DETECT_P_NOVELTY_RHO] = { "novelty.rho", 0.15, 0, 1e9, 0, 1 },
	[DETECT_P_NOVELTY_RATE] = { "novelty.rate", 0.1, 0, 1, 0, 0 },
	[DETECT_P_NOVELTY_AVERAGE] = { "novelty.average", 10, 1,
	    NOVELTY_AVERAGE_MAX, 1, 0 },
	[DETECT_P_NOVELTY_HISTORY] = { "novelty.history", 1000, 1,
	    NOVELTY_HISTORY_MAX, 1, 0 },
	[DETECT_P_NOVELTY_LEARN] = { "novelty.learn", 300, 1,
	    NOVELTY_HISTORY_MAX, 1, 0 },
	[DETECT_P_NOVELTY_EPS] = { "novelty.eps", 6e-6, 0, 0.5, 0, 1 },
	[DETECT_P_NOVELTY_SIGMA_MIN] = { "novelty.sigma_min", 0.005, 0, 1e9, 0,
	    1 },
	[DETECT_P_NOVELTY_LONG_SCALE] = { "novelty_long.scale", 12, 1,
	    DETECT_WINDOW_MAX, 1, 0 },
	[DETECT_P_SPATIAL_RAMP] = { "spatial.ramp", 200, 0, 1e15, 1, 0 },
	[DETECT_P_NOVELTY_HOLDOFF] = { "novelty.holdoff", 150, 0, 1e15, 1, 0 },
};

uint32_t
detect_alert_mask(const struct detect_settings *s)
{
	if (s->alert == DETECT_ALERT_VOTE)
		return 0;
	if (s->alert & DETECT_ALERT_ANY)
		return s->alert & ~DETECT_ALERT_ANY;
	return 1u << (s->alert - DETECT_ALERT_DETECTOR);
}

uint32_t
detect_computed_mask(const struct detect_settings *s)
{
	return s->detectors | detect_alert_mask(s);
}

/* ------------------------------------------------------------ settings */

void
detect_settings_default(struct detect_settings *s, uint32_t w)
{
	unsigned p;

	memset(s, 0, sizeof(*s));
	s->window = w;
	s->detectors = DETECT_DEFAULT_MASK;
	s->vote = DETECT_VOTE_MAJORITY;
	s->alert = DETECT_DEFAULT_ALERT;
	for (p = 0; p < DETECT_PARAMS; p++)
		s->param[p] = param_info[p].def;
}

static int
param_check(unsigned p, double v, char *err, size_t errlen)
{
	const struct param_info *pi = &param_info[p];

	if (!isfinite(v) || v < pi->min || v > pi->max ||
	    (pi->open_min && v == pi->min)) {
		if (pi->whole)
			errmsg_set(err, errlen, "%s must be a whole number from "
			    "%.15g to %.15g", pi->name, pi->min, pi->max);
		else
			errmsg_set(err, errlen, "%s must be a number %s %.15g "
			    "and at most %.15g", pi->name,
			    pi->open_min ? "above" : "from", pi->min, pi->max);
		return -1;
	}
	if (pi->whole && v != floor(v)) {
		errmsg_set(err, errlen, "%s must be a whole number", pi->name);
		return -1;
	}
	return 0;
}

int
detect_settings_check(const struct detect_settings *s, char *err,
    size_t errlen)
{
	unsigned p, enabled;

	if (s->window < DETECT_WINDOW_MIN || s->window > DETECT_WINDOW_MAX) {
		errmsg_set(err, errlen, "window must be from %d to %d",
		    DETECT_WINDOW_MIN, DETECT_WINDOW_MAX);
		return -1;
	}
	if (s->detectors == 0 || (s->detectors >> DETECT_KINDS) != 0) {
		errmsg_set(err, errlen, "detectors must name at least one "
		    "detector");
		return -1;
	}
	enabled = (unsigned)__builtin_popcount(s->detectors);
	switch (s->vote) {
	case DETECT_VOTE_MAJORITY:
	case DETECT_VOTE_ANY:
	case DETECT_VOTE_ALL:
		break;
	case DETECT_VOTE_ATLEAST:
		if (s->vote_k >= 1 && s->vote_k <= enabled)
			break;
		errmsg_set(err, errlen, "vote %u needs from 1 to %u detectors",
		    s->vote_k, enabled);
		return -1;
	default:
		errmsg_set(err, errlen, "vote rule is not known");
		return -1;
	}
	if (s->alert & DETECT_ALERT_ANY ? __builtin_popcount(s->alert &
	    ~DETECT_ALERT_ANY) < 2 || ((s->alert & ~DETECT_ALERT_ANY) >>
	    DETECT_KINDS) != 0 : s->alert != DETECT_ALERT_VOTE &&
	    s->alert >= DETECT_ALERT_DETECTOR + DETECT_KINDS) {
		errmsg_set(err, errlen, "alert source is not known");
		return -1;
	}
	{
		char text[64];

		if (strlen(detect_alert_text(s, text, sizeof(text))) >=
		    DETECT_ALERT_TEXT_MAX) {
			errmsg_set(err, errlen, "alert lists too many "
			    "detectors");
			return -1;
		}
	}
	for (p = 0; p < DETECT_PARAMS; p++)
		if (param_check(p, s->param[p], err, errlen) == -1)
			return -1;
	return 0;
}

const char *
detect_kind_name(unsigned k)
{
	return k < DETECT_KINDS ? kind_names[k] : NULL;
}

int
detect_kind_by_name(const char *name)
{
	int k;

	for (k = 0; k < DETECT_KINDS; k++)
		if (strcmp(name, kind_names[k]) == 0)
			return k;
	return -1;
}

int
detect_parse_detectors(struct detect_settings *s, const char *list,
    char *err, size_t errlen)
{
	char name[32];
	const char *p = list, *end;
	uint32_t mask = 0;
	size_t len;
	int k;

	for (;;) {
		end = strchr(p, ',');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len == 0 || len >= sizeof(name)) {
			errmsg_set(err, errlen, "detectors: expected a comma-"
			    "separated list of zscore, iqr, ewma, ma, iforest, "
			    "mzscore, spatial, novelty, novelty_long");
			return -1;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		if ((k = detect_kind_by_name(name)) == -1) {
			errmsg_set(err, errlen, "unknown detector '%s'", name);
			return -1;
		}
		mask |= 1u << k;
		if (end == NULL)
			break;
		p = end + 1;
	}
	s->detectors = mask;
	return 0;
}

int
detect_parse_vote(struct detect_settings *s, const char *rule, char *err,
    size_t errlen)
{
	char *end;
	unsigned long k;

	if (strcmp(rule, "majority") == 0)
		s->vote = DETECT_VOTE_MAJORITY;
	else if (strcmp(rule, "any") == 0)
		s->vote = DETECT_VOTE_ANY;
	else if (strcmp(rule, "all") == 0)
		s->vote = DETECT_VOTE_ALL;
	else {
		if (rule[0] < '1' || rule[0] > '9' || strlen(rule) > 2)
			goto bad;
		k = strtoul(rule, &end, 10);
		if (*end != '\0' || k < 1 || k > DETECT_KINDS)
			goto bad;
		s->vote = DETECT_VOTE_ATLEAST;
		s->vote_k = (uint32_t)k;
	}
	return 0;
bad:
	errmsg_set(err, errlen, "vote must be any, majority, all or a count from "
	    "1 to %d, not '%.32s'", DETECT_KINDS, rule);
	return -1;
}

int
detect_parse_alert(struct detect_settings *s, const char *source, char *err,
    size_t errlen)
{
	char name[32];
	const char *p = source, *end;
	uint32_t mask = 0;
	size_t len;
	int k;

	if (strcmp(source, "vote") == 0) {
		s->alert = DETECT_ALERT_VOTE;
		return 0;
	}
	for (;;) {
		end = strchr(p, ',');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		k = -1;
		if (len > 0 && len < sizeof(name)) {
			memcpy(name, p, len);
			name[len] = '\0';
			k = detect_kind_by_name(name);
		}
		if (k == -1) {
			errmsg_set(err, errlen, "alert must be vote, a detector "
			    "name or a comma-separated list of them, not "
			    "'%.32s'", source);
			return -1;
		}
		mask |= 1u << k;
		if (end == NULL)
			break;
		p = end + 1;
	}
	if (__builtin_popcount(mask) == 1)
		s->alert = DETECT_ALERT_DETECTOR +
		    (uint32_t)__builtin_ctz(mask);
	else
		s->alert = DETECT_ALERT_ANY | mask;
	return 0;
}

const char *
detect_vote_text(const struct detect_settings *s, char *buf, size_t len)
{
	switch (s->vote) {
	case DETECT_VOTE_ANY:
		snprintf(buf, len, "any");
		break;
	case DETECT_VOTE_ALL:
		snprintf(buf, len, "all");
		break;
	case DETECT_VOTE_ATLEAST:
		snprintf(buf, len, "%u", s->vote_k);
		break;
	default:
		snprintf(buf, len, "majority");
		break;
	}
	return buf;
}

const char *
detect_alert_text(const struct detect_settings *s, char *buf, size_t len)
{
	uint32_t mask = detect_alert_mask(s);
	size_t used = 0;
	unsigned k;

	if (len > 0)
		buf[0] = '\0';
	if (mask == 0) {
		snprintf(buf, len, "vote");
		return buf;
	}
	for (k = 0; k < DETECT_KINDS; k++) {
		if (!(mask & (1u << k)) || used >= len)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
		    used > 0 ? "," : "", kind_names[k]);
	}
	return buf;
}

const char *
detect_param_name(unsigned p)
{
	return p < DETECT_PARAMS ? param_info[p].name : NULL;
}

int
detect_param_by_name(const char *name)
{
	int p;

	for (p = 0; p < DETECT_PARAMS; p++)
		if (strcmp(name, param_info[p].name) == 0)
			return p;
	return -1;
}

int
detect_param_set(struct detect_settings *s, unsigned p, double value,
    char *err, size_t errlen)
{
	if (p >= DETECT_PARAMS) {
		errmsg_set(err, errlen, "unknown parameter");
		return -1;
	}
	if (param_check(p, value, err, errlen) == -1)
		return -1;
	s->param[p] = value;
	return 0;
}

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

static double
hist_at(const struct detector *d, uint64_t t)
{
	return d->hist[(t - 1) % d->hcap];
}

static uint32_t
window_len(const struct detector *d)
{
	return d->n < d->set.window ? (uint32_t)d->n : d->set.window;
}

/* The moving-average residual of x at ordinal n (n > m): x minus the mean
 * of the m values before it, as the mean of the differences so that nearby
 * values cancel exactly. */
static struct dd
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
static struct dd
resid_at(const struct detector *d, uint64_t t)
{
	struct dd none = { NAN, 0 };

	return t > d->ma_m ? ma_residual(d, t, hist_at(d, t)) : none;
}

/* Whether a > b. */
static int
dd_greater(struct dd a, struct dd b)
{
	return a.hi > b.hi || (a.hi == b.hi && a.lo > b.lo);
}

/* Drops the front of q when it is the residual of ordinal t, the one that
 * leaves the window now. */
static void
deque_expire(struct deque *q, uint64_t t)
{
	if (q->len > 0 && q->e[q->head].t == t) {
		if (++q->head == q->cap)
			q->head = 0;
		q->len--;
	}
}

/* Moves q's entries, in order, to a new ring of cap >= len entries.
 * Returns 0, or -1 when memory is short (then q is unchanged). */
static int
deque_resize(struct deque *q, uint32_t cap)
{
	struct deque_entry *e;
	uint32_t i, j;

	if ((e = malloc((size_t)cap * sizeof(*e))) == NULL)
		return -1;
	for (i = 0, j = q->head; i < q->len; i++) {
		e[i] = q->e[j];
		if (++j == q->cap)
			j = 0;
	}
	free(q->e);
	q->e = e;
	q->cap = cap;
	q->head = 0;
	return 0;
}

/* Makes room in q for one more entry (up to max entries in all).  Returns
 * 0, or -1 when memory is short (then q is unchanged). */
static int
deque_reserve(struct deque *q, uint32_t max)
{
	uint32_t cap;

	if (q->len < q->cap)
		return 0;
	cap = q->cap == 0 ? 8 : q->cap * 2;
	if (cap > max)
		cap = max;
	if (cap <= q->cap)
		return 0;
	return deque_resize(q, cap);
}

/* Gives back most of q's room when it holds a quarter of it or less, so a
 * deque that grew long on a stretch of rising (falling) residuals does not
 * keep its size for ever.  Keeps it as it is when memory is short. */
static void
deque_shrink(struct deque *q)
{
	uint32_t cap = q->cap;

	while (cap > 8 && q->len <= cap / 4)
		cap /= 2;
	if (cap != q->cap)
		(void)deque_resize(q, cap);
}

/* Pushes the residual r of ordinal t (room reserved); sign 1 keeps the
 * largest residual of the window at the front, -1 the smallest. */
static void
deque_push(struct deque *q, uint64_t t, struct dd r, int sign)
{
	uint32_t i;

	while (q->len > 0) {
		i = q->head + q->len - 1;
		if (i >= q->cap)
			i -= q->cap;
		if (sign > 0 ? dd_greater(q->e[i].r, r) :
		    dd_greater(r, q->e[i].r))
			break;
		q->len--;
	}
	i = q->head + q->len;
	if (i >= q->cap)
		i -= q->cap;
	q->e[i].r = r;
	q->e[i].t = t;
	q->len++;
}

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
	ordstat_insert(d->sorted, x);
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

static void
judge(struct detector *d, double x, struct dd r, double nz, double nzl,
    struct detect_verdict *v)
{
	const double *par = d->set.param;
	uint32_t len = window_len(d), a = d->active;
	double lo = ordstat_min(d->sorted), hi = ordstat_max(d->sorted);
	int flat = lo == hi;
	struct dd mean_off = dd_from(0);
	double sigma = 0, xo = x - d->val.shift, stat, thr;

	if (a & ((1u << DETECT_ZSCORE) | (1u << DETECT_EWMA))) {
		mean_off = moments_mean_off(&d->val);
		sigma = sqrt(moments_var(&d->val));
	}
	if (a & (1u << DETECT_ZSCORE)) {
		if (flat) {
			v->margin[DETECT_ZSCORE] = x != lo ? INFINITY : -INFINITY;
			if (x != lo)
				v->votes |= 1u << DETECT_ZSCORE;
		} else {
			stat = fabs(dd_add(dd_from(xo), dd_neg(mean_off)).hi);
			thr = par[DETECT_P_ZSCORE_K] * sigma;
			v->margin[DETECT_ZSCORE] = margin_of(stat, thr);
			if (stat > thr)
				v->votes |= 1u << DETECT_ZSCORE;
		}
	}
	if (a & (1u << DETECT_EWMA)) {
		if (flat) {
			v->margin[DETECT_EWMA] = x != lo ? INFINITY : -INFINITY;
			if (x != lo)
				v->votes |= 1u << DETECT_EWMA;
		} else {
			/* e_L - shift = lambda*ew + decay^L (w_1 - shift) */
			double first = hist_at(d, d->n - len + 1);
			struct dd el = dd_add(dd_mul_d(d->ew, d->lambda),
			    dd_mul_d(d->decay_l, first - d->val.shift));
			struct dd e = dd_add(dd_two_prod(d->lambda, xo),
			    dd_mul_d(el, d->decay));

			stat = fabs(dd_add(e, dd_neg(mean_off)).hi);
			thr = par[DETECT_P_EWMA_L] * sigma * sqrt(d->lambda /
			    (2 - d->lambda));
			v->margin[DETECT_EWMA] = margin_of(stat, thr);
			if (stat > thr)
				v->votes |= 1u << DETECT_EWMA;
		}
	}
	if (a & (1u << DETECT_IQR)) {
		if (flat) {
			v->margin[DETECT_IQR] = x != lo ? INFINITY : -INFINITY;
			if (x != lo)
				v->votes |= 1u << DETECT_IQR;
		} else {
			struct quantile q1 = quantile_of(d->sorted, len, 0.25);
			struct quantile q3 = quantile_of(d->sorted, len, 0.75);
			double below = (q1.base - x) + q1.off;
			double above = (x - q3.base) - q3.off;
			double iqr = (q3.base - q1.base) + (q3.off - q1.off);

			stat = below > above ? below : above;
			thr = par[DETECT_P_IQR_K] * iqr;
			v->margin[DETECT_IQR] = margin_of(stat, thr);
			if (stat > thr)
				v->votes |= 1u << DETECT_IQR;
		}
	}
	if (a & (1u << DETECT_MZSCORE)) {
		struct quantile med = quantile_of(d->sorted, len, 0.5);
		double mad = flat ? 0 : median_abs_deviation(d->sorted, len,
		    med);

		if (mad == 0) {
			v->margin[DETECT_MZSCORE] = -INFINITY;
		} else {
			stat = 0.6745 * fabs((x - med.base) - med.off) / mad;
			thr = par[DETECT_P_MZSCORE_K];
			v->margin[DETECT_MZSCORE] = margin_of(stat, thr);
			if (stat > thr)
				v->votes |= 1u << DETECT_MZSCORE;
		}
	}
	if (a & (1u << DETECT_MA)) {
		if (flat) {
			v->margin[DETECT_MA] = x != lo ? INFINITY : -INFINITY;
			if (x != lo)
				v->votes |= 1u << DETECT_MA;
		} else if (isnan(r.hi) || d->res.count == 0) {
			v->margin[DETECT_MA] = -INFINITY;
		} else {
			struct dd rmax = d->dq_max.e[d->dq_max.head].r;
			struct dd rmin = d->dq_min.e[d->dq_min.head].r;

			if (!dd_greater(rmax, rmin)) {
				/* all residuals equal: std 0 exactly */
				stat = fabs(dd_add(r, dd_neg(rmax)).hi);
				v->margin[DETECT_MA] = margin_of(stat, 0);
				if (stat > 0)
					v->votes |= 1u << DETECT_MA;
			} else {
				struct dd ro = dd_add_d(r, -d->res.shift);
				struct dd mo = moments_mean_off(&d->res);

				stat = fabs(dd_add(ro, dd_neg(mo)).hi);
				thr = par[DETECT_P_MA_K] *
				    sqrt(moments_var(&d->res));
				v->margin[DETECT_MA] = margin_of(stat, thr);
				if (stat > thr)
					v->votes |= 1u << DETECT_MA;
			}
		}
	}
	if (a & (1u << DETECT_SPATIAL)) {
		double span = d->seen_hi - d->seen_lo;

		if (span == 0) {
			v->margin[DETECT_SPATIAL] = x != d->seen_lo ? INFINITY :
			    -INFINITY;
			if (x != d->seen_lo)
				v->votes |= 1u << DETECT_SPATIAL;
		} else {
			stat = fmax(d->seen_lo - x, x - d->seen_hi);
			/* the range of the first values is narrower than the
			 * stream's: up to point spatial.ramp the tolerance is
			 * widened by ramp / n */
			thr = par[DETECT_P_SPATIAL_TOL] * span;
			if ((double)(d->n + 1) < par[DETECT_P_SPATIAL_RAMP])
				thr *= par[DETECT_P_SPATIAL_RAMP] /
				    (double)(d->n + 1);
			v->margin[DETECT_SPATIAL] = margin_of(stat, thr);
			if (stat > thr)
				v->votes |= 1u << DETECT_SPATIAL;
		}
	}
	if (a & (1u << DETECT_NOVELTY)) {
		if (isnan(nz))
			v->margin[DETECT_NOVELTY] = -INFINITY;
		else {
			v->margin[DETECT_NOVELTY] = margin_of(nz, d->nov_zstar);
			if (nz > d->nov_zstar)
				v->votes |= 1u << DETECT_NOVELTY;
		}
	}
	if (a & (1u << DETECT_NOVELTY_LONG)) {
		if (isnan(nzl))
			v->margin[DETECT_NOVELTY_LONG] = -INFINITY;
		else {
			v->margin[DETECT_NOVELTY_LONG] = margin_of(nzl,
			    d->nov_zstar);
			if (nzl > d->nov_zstar)
				v->votes |= 1u << DETECT_NOVELTY_LONG;
		}
	}
	if (a & (1u << DETECT_IFOREST)) {
		double tau = par[DETECT_P_IFOREST_THRESHOLD];

		v->iforest_score = iforest_score(d->forest, x);
		v->margin[DETECT_IFOREST] = margin_of(v->iforest_score, tau);
		if (v->iforest_score >= tau)
			v->votes |= 1u << DETECT_IFOREST;
	}
}

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

static void
grow_tree(struct detector *d, unsigned t, uint64_t n)
{
	iforest_grow(d->forest, t, d->sorted, rng_seed(d->key, n, t));
}

/* The points an alert signal raised by votes must wait after the last
 * alert: holdoff, or novelty.holdoff when larger and the signal comes from
 * novelty or novelty_long alone (a novel pattern lingers for a while after a
 * change, as its average and its pattern still hold it, and the learner
 * meets more of the new shape; a new extreme is over at once). */
static uint64_t
holdoff_of(const struct detect_settings *s, uint32_t votes)
{
	const uint32_t nov = (1u << DETECT_NOVELTY) |
	    (1u << DETECT_NOVELTY_LONG);
	double h = s->param[DETECT_P_HOLDOFF];

	if (s->alert != DETECT_ALERT_VOTE &&
	    (votes & detect_alert_mask(s) & ~nov) == 0 &&
	    s->param[DETECT_P_NOVELTY_HOLDOFF] > h)
		h = s->param[DETECT_P_NOVELTY_HOLDOFF];
	return (uint64_t)h;
}

int
detector_push(struct detector *d, double x, struct detect_verdict *v,
    char *err, size_t errlen)
{
	uint64_t n = d->n + 1;
	struct dd r = { NAN, 0 };
	double nz = NAN, nzl = NAN;
	unsigned k, trees;

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
	if (d->novelty != NULL)
		nz = novelty_z(d, n, x);
	if (d->slow != NULL)
		nzl = novelty_long_z(d, n, x);

	if (n <= d->warmup) {
		v->warmup = 1;
	} else {
		if (d->forest != NULL && !iforest_ready(d->forest)) {
			trees = iforest_trees(d->forest);
			for (k = 0; k < trees; k++)
				grow_tree(d, k, n - 1);
		}
		judge(d, x, r, nz, nzl, v);
	}
	window_enter(d, x, r);
	if (d->forest != NULL && !v->warmup) {
		trees = iforest_trees(d->forest);
		grow_tree(d, (unsigned)(n % trees), n);
	}

	v->score = 0;
	if (!v->warmup) {
		uint32_t votes = v->votes & d->set.detectors;
		uint32_t c = (uint32_t)__builtin_popcount(votes);
		int signal;

		v->anomaly = vote_result(&d->set, c, d->enabled);
		v->score = (double)c / d->enabled;
		if (d->set.alert == DETECT_ALERT_VOTE)
			signal = v->anomaly;
		else
			signal = (v->votes & detect_alert_mask(&d->set)) != 0;
		if (signal && (d->last_alert == 0 || n - d->last_alert >
		    holdoff_of(&d->set, v->votes))) {
			v->alert = 1;
			d->last_alert = n;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ lifetime */

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

		nc.dim = (uint32_t)s->param[DETECT_P_NOVELTY_DIM];
		nc.protos = (uint32_t)s->param[DETECT_P_NOVELTY_PROTOS];
		nc.average = (uint32_t)s->param[DETECT_P_NOVELTY_AVERAGE];
		nc.history = (uint32_t)s->param[DETECT_P_NOVELTY_HISTORY];
		nc.learn = s->param[DETECT_P_NOVELTY_LEARN] < nc.history ?
		    (uint32_t)s->param[DETECT_P_NOVELTY_LEARN] : nc.history;
		nc.rho = s->param[DETECT_P_NOVELTY_RHO];
		nc.rate = s->param[DETECT_P_NOVELTY_RATE];
		nc.sigma_min = s->param[DETECT_P_NOVELTY_SIGMA_MIN];
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
	free(d->dq_max.e);
	free(d->dq_min.e);
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

/* ------------------------------------------------------------ state */

/* A cursor over a state buffer; all numbers little-endian. */
struct cursor {
	unsigned char *w;
	const unsigned char *r;
	size_t left;
	int bad;
};

static void
put_u64(struct cursor *c, uint64_t v)
{
	c->w = le_put64(c->w, v);
}

static void
put_f64(struct cursor *c, double x)
{
	put_u64(c, le_double_bits(x));
}

static uint64_t
get_u64(struct cursor *c)
{
	uint64_t v;

	if (c->left < 8) {
		c->bad = 1;
		return 0;
	}
	v = le_get64(c->r);
	c->r += 8;
	c->left -= 8;
	return v;
}

static double
get_f64(struct cursor *c)
{
	return le_bits_double(get_u64(c));
}

#define STATE_MAGIC	0x3174656461776e61ULL	/* "anwadet1" */

/* Numbers that make up the settings, so a state of other settings is
 * refused. */
static void
put_settings(struct cursor *c, const struct detector *d)
{
	unsigned p;

	put_u64(c, d->set.window);
	put_u64(c, d->set.detectors);
	put_u64(c, (uint64_t)d->set.vote << 32 | d->set.vote_k);
	put_u64(c, d->set.alert);
	for (p = 0; p < DETECT_PARAMS; p++)
		put_f64(c, d->set.param[p]);
}

static size_t
state_fixed_size(void)
{
	return 8 * (2 + 4 + DETECT_PARAMS + 4 + 2 * 6 + 2 + 2 + 2 + 1 + 3 +
	    6 + NOVELTY_DIM_MAX);
}

size_t
detector_state_size(const struct detector *d)
{
	uint64_t kept = d->n < d->hcap ? d->n : d->hcap;
	size_t s = state_fixed_size() + (size_t)kept * 8;

	if (d->forest != NULL)
		s += iforest_state_size(d->forest);
	if (d->novelty != NULL)
		s += novelty_state_size(d->novelty);
	if (d->slow != NULL)
		s += novelty_state_size(d->slow);
	return s;
}

static void
put_moments(struct cursor *c, const struct moments *m)
{
	put_f64(c, m->shift);
	put_f64(c, m->s1.hi);
	put_f64(c, m->s1.lo);
	put_f64(c, m->s2.hi);
	put_f64(c, m->s2.lo);
	put_f64(c, m->peak);
}

static void
get_moments(struct cursor *c, struct moments *m)
{
	m->shift = get_f64(c);
	m->s1.hi = get_f64(c);
	m->s1.lo = get_f64(c);
	m->s2.hi = get_f64(c);
	m->s2.lo = get_f64(c);
	m->peak = get_f64(c);
}

void
detector_save(const struct detector *d, unsigned char *buf)
{
	struct cursor c = { buf, NULL, 0, 0 };
	uint64_t kept = d->n < d->hcap ? d->n : d->hcap, t;

	put_u64(&c, STATE_MAGIC);
	put_u64(&c, DETECT_STATE_FORMAT);
	put_settings(&c, d);
	put_u64(&c, d->key);
	put_u64(&c, d->n);
	put_u64(&c, d->last_alert);
	put_u64(&c, d->forest != NULL ? iforest_state_size(d->forest) : 0);
	put_moments(&c, &d->val);
	put_moments(&c, &d->res);
	put_f64(&c, d->ew.hi);
	put_f64(&c, d->ew.lo);
	put_f64(&c, d->decay_l1.hi);
	put_f64(&c, d->decay_l1.lo);
	put_f64(&c, d->decay_l.hi);
	put_f64(&c, d->decay_l.lo);
	put_u64(&c, d->res.count);
	put_f64(&c, d->seen_lo);
	put_f64(&c, d->seen_hi);
	put_u64(&c, d->novelty != NULL ? novelty_state_size(d->novelty) : 0);
	put_u64(&c, d->slow != NULL ? novelty_state_size(d->slow) : 0);
	put_f64(&c, d->blk_lo);
	put_f64(&c, d->blk_hi);
	put_f64(&c, d->blk_sum);
	put_f64(&c, d->blk_ma);
	put_u64(&c, d->nagg);
	for (t = 0; t < NOVELTY_DIM_MAX; t++)
		put_f64(&c, d->agg[t]);
	for (t = d->n - kept + 1; t <= d->n; t++)
		put_f64(&c, hist_at(d, t));
	if (d->forest != NULL) {
		iforest_save(d->forest, c.w);
		c.w += iforest_state_size(d->forest);
	}
	if (d->novelty != NULL) {
		novelty_save(d->novelty, c.w);
		c.w += novelty_state_size(d->novelty);
	}
	if (d->slow != NULL)
		novelty_save(d->slow, c.w);
}

struct detector *
detector_load(const char *client_id, size_t len,
    const struct detect_settings *s, const unsigned char *buf, size_t buflen,
    char *err, size_t errlen)
{
	struct detector *d;
	struct cursor c = { NULL, buf, buflen, 0 };
	unsigned char *mine = NULL;
	uint64_t kept, t, forest_size, rescount, nov_size, slow_size;
	uint32_t wl;
	size_t fixed = state_fixed_size();

	if ((d = detector_new(client_id, len, s, err, errlen)) == NULL)
		return NULL;
	/* The header and settings must equal what this detector would write. */
	if ((mine = malloc(fixed)) == NULL) {
		errmsg_set(err, errlen, "out of memory");
		goto fail;
	}
	{
		struct cursor w = { mine, NULL, 0, 0 };

		put_u64(&w, STATE_MAGIC);
		put_u64(&w, DETECT_STATE_FORMAT);
		put_settings(&w, d);
		put_u64(&w, d->key);
		if (buflen < (size_t)(w.w - mine) ||
		    memcmp(buf, mine, (size_t)(w.w - mine)) != 0) {
			errmsg_set(err, errlen, "detector state is of another "
			    "format, client or settings");
			goto fail;
		}
		c.r += w.w - mine;
		c.left -= (size_t)(w.w - mine);
	}
	d->n = get_u64(&c);
	d->last_alert = get_u64(&c);
	forest_size = get_u64(&c);
	get_moments(&c, &d->val);
	get_moments(&c, &d->res);
	d->ew.hi = get_f64(&c);
	d->ew.lo = get_f64(&c);
	d->decay_l1.hi = get_f64(&c);
	d->decay_l1.lo = get_f64(&c);
	d->decay_l.hi = get_f64(&c);
	d->decay_l.lo = get_f64(&c);
	rescount = get_u64(&c);
	d->seen_lo = get_f64(&c);
	d->seen_hi = get_f64(&c);
	nov_size = get_u64(&c);
	slow_size = get_u64(&c);
	d->blk_lo = get_f64(&c);
	d->blk_hi = get_f64(&c);
	d->blk_sum = get_f64(&c);
	d->blk_ma = get_f64(&c);
	d->nagg = get_u64(&c);
	for (t = 0; t < NOVELTY_DIM_MAX; t++)
		if (!isfinite(d->agg[t] = get_f64(&c)))
			goto damaged;
	if (c.bad || d->n > (uint64_t)1 << 62 || d->last_alert > d->n ||
	    forest_size != (d->forest != NULL ?
	    iforest_state_size(d->forest) : 0) ||
	    nov_size != (d->novelty != NULL ?
	    novelty_state_size(d->novelty) : 0) ||
	    slow_size != (d->slow != NULL ?
	    novelty_state_size(d->slow) : 0) ||
	    !isfinite(d->blk_lo) || !isfinite(d->blk_hi) ||
	    !isfinite(d->blk_sum) || !isfinite(d->blk_ma) ||
	    !isfinite(d->seen_lo) || !isfinite(d->seen_hi) ||
	    d->seen_lo > d->seen_hi)
		goto damaged;
	kept = d->n < d->hcap ? d->n : d->hcap;
	wl = window_len(d);
	if (c.left != kept * 8 + forest_size + nov_size + slow_size)
		goto damaged;
	for (t = d->n - kept + 1; t <= d->n; t++) {
		double x = get_f64(&c);

		if (!isfinite(x))
			goto damaged;
		d->hist[(t - 1) % d->hcap] = x;
	}
	for (t = d->n - wl + 1; t <= d->n; t++)
		if (ordstat_insert(d->sorted, hist_at(d, t)) == -1)
			goto damaged;
	d->val.count = wl;
	if (d->ma) {
		uint32_t have = 0;

		for (t = d->n - wl + 1; t <= d->n; t++) {
			struct dd r = resid_at(d, t);

			if (isnan(r.hi))
				continue;
			have++;
			if (deque_reserve(&d->dq_max, d->set.window + 1) == -1 ||
			    deque_reserve(&d->dq_min, d->set.window + 1) == -1) {
				errmsg_set(err, errlen, "out of memory");
				goto fail;
			}
			deque_push(&d->dq_max, t, r, 1);
			deque_push(&d->dq_min, t, r, -1);
		}
		if (have != rescount)
			goto damaged;
		d->res.count = have;
	}
	if (d->forest != NULL) {
		if (iforest_load(d->forest, c.r, forest_size) == -1)
			goto damaged;
		c.r += forest_size;
		c.left -= forest_size;
		if ((d->n > d->warmup) != (iforest_ready(d->forest) != 0))
			goto damaged;
	}
	if (d->novelty != NULL) {
		if (novelty_load(d->novelty, c.r, nov_size) == -1)
			goto damaged;
		c.r += nov_size;
		c.left -= nov_size;
	}
	if (d->slow != NULL && novelty_load(d->slow, c.r, slow_size) == -1)
		goto damaged;
	free(mine);
	return d;
damaged:
	errmsg_set(err, errlen, "detector state is damaged");
fail:
	free(mine);
	detector_free(d);
	return NULL;
}
