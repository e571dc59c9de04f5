/*
 * detect_state.c: a detector's state as bytes (detect_state.h): the
 * settings it was made with (to refuse a state of others), its running
 * sums, the ring of its last values, the moves detector's state, and its
 * forest and novelty models.
 * The window's order statistics and the deques of residuals are not
 * stored: they are rebuilt from the ring on load.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deque.h"
#include "detect_impl.h"
#include "detect_state.h"
#include "errmsg.h"
#include "iforest.h"
#include "le.h"
#include "moves.h"
#include "novelty.h"
#include "ordstat.h"

/* A cursor over a state buffer; all numbers little-endian. */
struct cursor {
	unsigned char *w;
	const unsigned char *r;
	size_t left;
	int bad;
};

/* Writes v at the cursor. */
static void
put_u64(struct cursor *c, uint64_t v)
{
	c->w = le_put64(c->w, v);
}

/* Writes the bits of x at the cursor. */
static void
put_f64(struct cursor *c, double x)
{
	put_u64(c, le_double_bits(x));
}

/* Reads 8 bytes at the cursor; 0 and c->bad set when there are none. */
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

/* Reads the bits of a double at the cursor (as get_u64()). */
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

/* Bytes of the state before the ring of values and the models. */
static size_t
state_fixed_size(void)
{
	return 8 * (2 + 4 + DETECT_PARAMS + 4 + 2 * 6 + 2 + 2 + 2 + 1 + 3 +
	    6 + NOVELTY_DIM_MAX + 2 + 1 + 1);
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
	return s + moves_state_size();
}

/* Writes (reads) the running sums m but their count. */
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
	put_u64(&c, d->nov_run[0]);
	put_u64(&c, d->nov_run[1]);
	put_u64(&c, d->last_extreme);
	put_u64(&c, d->nov_near);
	for (t = d->n - kept + 1; t <= d->n; t++)
		put_f64(&c, hist_at(d, t));
	moves_save(&d->mv, c.w);
	c.w += moves_state_size();
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

int
detect_state_load(struct detector *d, const unsigned char *buf,
    size_t buflen, char *err, size_t errlen)
{
	struct cursor c = { NULL, buf, buflen, 0 };
	unsigned char *mine = NULL;
	uint64_t kept, t, forest_size, rescount, nov_size, slow_size, run[2];
	uint32_t wl;
	size_t fixed = state_fixed_size();

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
	run[0] = get_u64(&c);
	run[1] = get_u64(&c);
	if (run[0] > d->set.param[DETECT_P_NOVELTY_CONFIRM] ||
	    run[1] > d->set.param[DETECT_P_NOVELTY_CONFIRM])
		goto damaged;
	d->nov_run[0] = (uint32_t)run[0];
	d->nov_run[1] = (uint32_t)run[1];
	if ((d->last_extreme = get_u64(&c)) > d->n)
		goto damaged;
	if ((d->nov_near = get_u64(&c)) > d->n)
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
	if (c.left != kept * 8 + moves_state_size() + forest_size + nov_size +
	    slow_size)
		goto damaged;
	for (t = d->n - kept + 1; t <= d->n; t++) {
		double x = get_f64(&c);

		if (!isfinite(x))
			goto damaged;
		d->hist[(t - 1) % d->hcap] = x;
	}
	if (moves_load(&d->mv, c.r, moves_state_size()) == -1)
		goto damaged;
	c.r += moves_state_size();
	c.left -= moves_state_size();
	for (t = d->n - wl + 1; t <= d->n; t++)
		if (detector_sorted_insert(d, hist_at(d, t)) == -1)
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
	return 0;
damaged:
	errmsg_set(err, errlen, "detector state is damaged");
fail:
	free(mine);
	return -1;
}
