/*
 * novelty.c: prototype novelty and its anomaly likelihood (novelty.h).
 *
 * Prototypes are rows of D doubles, also kept in the order of their means
 * (ties by row), an order that is a function of the rows alone and so is
 * rebuilt, not saved.  The rows are allocated as they are needed, doubling
 * up to K, so a model that meets few patterns stays small.  Since |mean(p) - mean(row)| <= the L-infinity
 * distance, a search starts with the last winner (consecutive patterns are
 * alike), then walks outwards from p's mean in that order and stops when the
 * gap of means reaches the best distance so far; a prototype's measuring
 * stops as soon as one difference does.  A point costs a few prototypes,
 * not K.  The history of means is held as float (half the memory; a mean
 * of raw scores in [0, 1] needs no more, and NAB's verdicts are the same),
 * summed as the doubles those floats are.  The two rings (raw scores, their
 * means) keep plain double running sums that the caller rebases at fixed ordinals; the values are in [0, 1],
 * so their rounding stays near 1e-16.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "novelty.h"

struct novelty {
	struct novelty_config c;
	uint64_t steps;		/* patterns pushed (NULL ones included) */
	uint32_t count;		/* prototypes held */
	uint32_t cap;		/* rows allocated, count..K */
	uint32_t last;		/* the last winner */
	double *proto;		/* K rows of D */
	uint64_t *used;		/* step of each prototype's last use */
	double *key;		/* mean of each row */
	uint32_t *order;	/* rows by (key, row) */
	uint32_t *pos;		/* where each row is in order */
	double *raws;		/* ring of S raw scores */
	float *means;		/* ring of H means, as float */
	uint32_t rpos, mpos;	/* steps % S and steps % H */
	double rsum;		/* sum of raws */
	double msum, msum2;	/* sums of the held means and their squares */
	uint64_t novel_shape;	/* steps after the last novel pattern of a
				   novel shape, 0 if none */
	uint64_t known_shape;	/* and of a known shape at a new scale */
};

struct novelty *
novelty_new(const struct novelty_config *c)
{
	struct novelty *nv;

	if ((nv = calloc(1, sizeof(*nv))) == NULL)
		return NULL;
	nv->c = *c;
	nv->raws = calloc(c->average, sizeof(double));
	nv->means = calloc(c->history, sizeof(float));
	if (nv->raws == NULL || nv->means == NULL) {
		novelty_free(nv);
		return NULL;
	}
	return nv;
}

/* Allocates rows for at least want prototypes (at most K).  Returns 0, or
 * -1 when memory is short (then the rows held are unchanged, some arrays
 * maybe longer). */
static int
reserve_rows(struct novelty *nv, uint32_t want)
{
	uint32_t cap = nv->cap == 0 ? 8 : nv->cap, D = nv->c.dim;
	double *proto, *key;
	uint64_t *used;
	uint32_t *order, *pos;

	if (want <= nv->cap)
		return 0;
	while (cap < want)
		cap *= 2;
	if (cap > nv->c.protos)
		cap = nv->c.protos;
	if ((proto = realloc(nv->proto, (size_t)cap * D * sizeof(*proto))) ==
	    NULL)
		return -1;
	nv->proto = proto;
	if ((used = realloc(nv->used, cap * sizeof(*used))) == NULL)
		return -1;
	nv->used = used;
	if ((key = realloc(nv->key, cap * sizeof(*key))) == NULL)
		return -1;
	nv->key = key;
	if ((order = realloc(nv->order, cap * sizeof(*order))) == NULL)
		return -1;
	nv->order = order;
	if ((pos = realloc(nv->pos, cap * sizeof(*pos))) == NULL)
		return -1;
	nv->pos = pos;
	nv->cap = cap;
	return 0;
}

int
novelty_reserve(struct novelty *nv)
{
	return nv->count < nv->c.protos ? reserve_rows(nv, nv->count + 1) : 0;
}

void
novelty_free(struct novelty *nv)
{
	if (nv == NULL)
		return;
	free(nv->proto);
	free(nv->used);
	free(nv->key);
	free(nv->order);
	free(nv->pos);
	free(nv->raws);
	free(nv->means);
	free(nv);
}

/* The L-infinity distance of p from row, or a value >= bound once it is
 * known to reach bound. */
static double
distance(const double *p, const double *row, uint32_t D, double bound)
{
	double dist = 0;
	uint32_t j;

	for (j = 0; j < D; j++) {
		double a = fabs(p[j] - row[j]);

		if (a > dist) {
			dist = a;
			if (dist >= bound)
				break;
		}
	}
	return dist;
}

static double
mean_of(const double *p, uint32_t D)
{
	double sum = 0;
	uint32_t j;

	for (j = 0; j < D; j++)
		sum += p[j];
	return sum / D;
}

/* Whether row a goes before row b in order. */
static int
before(const struct novelty *nv, uint32_t a, uint32_t b)
{
	return nv->key[a] < nv->key[b] || (nv->key[a] == nv->key[b] && a < b);
}

/* Moves row k, at position i of order, to its place after its key
 * changed. */
static void
reorder(struct novelty *nv, uint32_t k)
{
	uint32_t i = nv->pos[k];

	while (i > 0 && before(nv, k, nv->order[i - 1])) {
		nv->order[i] = nv->order[i - 1];
		nv->pos[nv->order[i]] = i;
		i--;
	}
	while (i + 1 < nv->count && before(nv, nv->order[i + 1], k)) {
		nv->order[i] = nv->order[i + 1];
		nv->pos[nv->order[i]] = i;
		i++;
	}
	nv->order[i] = k;
	nv->pos[k] = i;
}

/* The row nearest to p (by L-infinity distance, ties to the first met) and
 * its distance in *best; count must be above 0. */
static uint32_t
nearest(const struct novelty *nv, const double *p, double *best)
{
	uint32_t D = nv->c.dim, lo = 0, hi = nv->count, mid, k, best_k;
	double pm = mean_of(p, D), d, gl, gr;
	uint32_t left, right;

	best_k = nv->last;
	*best = distance(p, nv->proto + (size_t)best_k * D, D, INFINITY);
	while (lo < hi) {		/* first position with key >= pm */
		mid = lo + (hi - lo) / 2;
		if (nv->key[nv->order[mid]] < pm)
			lo = mid + 1;
		else
			hi = mid;
	}
	left = lo;			/* positions left-1, left-2... */
	right = lo;			/* positions right, right+1... */
	for (;;) {
		gl = left > 0 ? pm - nv->key[nv->order[left - 1]] : INFINITY;
		gr = right < nv->count ? nv->key[nv->order[right]] - pm :
		    INFINITY;
		if (gl <= gr) {
			if (gl >= *best)
				break;
			k = nv->order[--left];
		} else {
			if (gr >= *best)
				break;
			k = nv->order[right++];
		}
		if (k == nv->last)
			continue;
		d = distance(p, nv->proto + (size_t)k * D, D, *best);
		if (d < *best) {
			*best = d;
			best_k = k;
		}
	}
	return best_k;
}

/* The lowest and highest of the D values of p. */
static void
range_of(const double *p, uint32_t D, double *lo, double *hi)
{
	uint32_t j;

	*lo = *hi = p[0];
	for (j = 1; j < D; j++) {
		if (p[j] < *lo)
			*lo = p[j];
		if (p[j] > *hi)
			*hi = p[j];
	}
}

/* Whether the shape of p (p brought to [0, 1] by its own range) lies
 * within the shape tolerance of some prototype's shape; never when p spans
 * less than rho. */
static int
shape_known(const struct novelty *nv, const double *p)
{
	uint32_t D = nv->c.dim, k, j;
	double q[NOVELTY_DIM_MAX], lo, hi, rlo, rhi, ramp, d;

	range_of(p, D, &lo, &hi);
	if (hi - lo < nv->c.rho)
		return 0;
	for (j = 0; j < D; j++)
		q[j] = (p[j] - lo) / (hi - lo);
	for (k = 0; k < nv->count; k++) {
		const double *row = nv->proto + (size_t)k * D;

		range_of(row, D, &rlo, &rhi);
		if ((ramp = rhi - rlo) < nv->c.rho)
			continue;
		ramp = 1 / ramp;
		for (d = 0, j = 0; j < D && d < nv->c.shape; j++) {
			double a = fabs(q[j] - (row[j] - rlo) * ramp);

			if (a > d)
				d = a;
		}
		if (d < nv->c.shape)
			return 1;
	}
	return 0;
}

/* The raw score of pattern p, after which p is learnt. */
static double
score_and_learn(struct novelty *nv, const double *p)
{
	uint32_t D = nv->c.dim, k, j, best_k = 0;
	double best = INFINITY, *row;

	if (nv->count > 0)
		best_k = nearest(nv, p, &best);
	if (nv->count == 0 || best > nv->c.rho) {
		if (nv->c.shape > 0 && nv->count > 0 && shape_known(nv, p))
			nv->known_shape = nv->steps + 1;
		else
			nv->novel_shape = nv->steps + 1;
		/* a new category: the first free row, or the least recently
		 * used one (the first of equals) */
		if (nv->count < nv->c.protos) {
			best_k = nv->count++;
			nv->order[best_k] = best_k;
			nv->pos[best_k] = best_k;
		} else {
			best_k = 0;
			for (k = 1; k < nv->count; k++)
				if (nv->used[k] < nv->used[best_k])
					best_k = k;
		}
		memcpy(nv->proto + (size_t)best_k * D, p, D * sizeof(double));
	} else {
		row = nv->proto + (size_t)best_k * D;
		for (j = 0; j < D; j++)
			row[j] += nv->c.rate * (p[j] - row[j]);
	}
	nv->key[best_k] = mean_of(nv->proto + (size_t)best_k * D, D);
	reorder(nv, best_k);
	nv->used[best_k] = nv->steps;
	nv->last = best_k;
	return best < 1 ? best : 1;
}

int
novelty_push(struct novelty *nv, const double *p, double *raw, double *z)
{
	uint64_t t = nv->steps;
	uint32_t S = nv->c.average, H = nv->c.history;
	uint64_t held = t < H ? t : H;
	double r = 0, m, old;

	if (p != NULL && novelty_reserve(nv) == -1)
		return -1;
	if (p != NULL)
		r = score_and_learn(nv, p);
	old = nv->raws[nv->rpos];
	nv->rsum += r - old;
	nv->raws[nv->rpos] = r;
	if (++nv->rpos == S)
		nv->rpos = 0;
	m = nv->rsum / (double)(t + 1 < S ? t + 1 : S);

	*z = NAN;
	if (held >= nv->c.learn) {
		double mu = nv->msum / (double)held;
		double var = nv->msum2 / (double)held - mu * mu;
		double sd = var > 0 ? sqrt(var) : 0;

		if (sd < nv->c.sigma_min)
			sd = nv->c.sigma_min;
		*z = (m - mu) / sd;
	}
	if (t >= H) {
		old = nv->means[nv->mpos];
		nv->msum -= old;
		nv->msum2 -= old * old;
	}
	nv->means[nv->mpos] = (float)m;
	if (++nv->mpos == H)
		nv->mpos = 0;
	old = nv->means[(nv->mpos + H - 1) % H];
	nv->msum += old;
	nv->msum2 += old * old;
	nv->steps = t + 1;
	*raw = r;
	return 0;
}

int
novelty_rescaled(const struct novelty *nv, uint64_t span)
{
	return nv->known_shape != 0 && nv->steps - nv->known_shape < span &&
	    (nv->novel_shape == 0 || nv->steps - nv->novel_shape >= span);
}

void
novelty_rebase(struct novelty *nv)
{
	uint64_t i, n;

	nv->rsum = 0;
	n = nv->steps < nv->c.average ? nv->steps : nv->c.average;
	for (i = 0; i < n; i++)
		nv->rsum += nv->raws[i];
	nv->msum = nv->msum2 = 0;
	n = nv->steps < nv->c.history ? nv->steps : nv->c.history;
	for (i = 0; i < n; i++) {
		nv->msum += (double)nv->means[i];
		nv->msum2 += (double)nv->means[i] * nv->means[i];
	}
}

size_t
novelty_state_size(const struct novelty *nv)
{
	const struct novelty_config *c = &nv->c;

	return 8 * (3 + 3 + 2 + (size_t)c->protos * (c->dim + 1) +
	    c->average) + 4 * (size_t)c->history;
}

void
novelty_save(const struct novelty *nv, unsigned char *buf)
{
	const struct novelty_config *c = &nv->c;
	size_t i;

	buf = le_put64(buf, nv->steps);
	buf = le_put64(buf, nv->count);
	buf = le_put64(buf, nv->last);
	buf = le_put64(buf, le_double_bits(nv->rsum));
	buf = le_put64(buf, le_double_bits(nv->msum));
	buf = le_put64(buf, le_double_bits(nv->msum2));
	buf = le_put64(buf, nv->novel_shape);
	buf = le_put64(buf, nv->known_shape);
	for (i = 0; i < (size_t)c->protos * c->dim; i++)
		buf = le_put64(buf, i < (size_t)nv->count * c->dim ?
		    le_double_bits(nv->proto[i]) : 0);
	for (i = 0; i < c->protos; i++)
		buf = le_put64(buf, i < nv->count ? nv->used[i] : 0);
	for (i = 0; i < c->average; i++)
		buf = le_put64(buf, le_double_bits(nv->raws[i]));
	for (i = 0; i < c->history; i++) {
		uint32_t b;

		memcpy(&b, &nv->means[i], sizeof(b));
		buf = le_put32(buf, b);
	}
}

/* Reads the next double, flagging one that is not finite. */
static double
get_finite(const unsigned char **p, int *bad)
{
	double x = le_bits_double(le_get64(*p));

	*p += 8;
	if (!isfinite(x))
		*bad = 1;
	return x;
}

int
novelty_load(struct novelty *nv, const unsigned char *buf, size_t len)
{
	const struct novelty_config *c = &nv->c;
	int bad = 0;
	size_t i;

	if (len != novelty_state_size(nv))
		return -1;
	nv->steps = le_get64(buf);
	nv->rpos = (uint32_t)(nv->steps % c->average);
	nv->mpos = (uint32_t)(nv->steps % c->history);
	nv->count = (uint32_t)le_get64(buf + 8);
	nv->last = (uint32_t)le_get64(buf + 16);
	if (le_get64(buf + 8) > c->protos || le_get64(buf + 16) >= c->protos ||
	    (nv->count > 0 && nv->last >= nv->count))
		return -1;
	if (reserve_rows(nv, nv->count) == -1)
		return -1;
	buf += 24;
	nv->rsum = get_finite(&buf, &bad);
	nv->msum = get_finite(&buf, &bad);
	nv->msum2 = get_finite(&buf, &bad);
	nv->novel_shape = le_get64(buf);
	nv->known_shape = le_get64(buf + 8);
	if (nv->novel_shape > nv->steps || nv->known_shape > nv->steps)
		bad = 1;
	buf += 16;
	/* rows not held yet are saved as 0 */
	for (i = 0; i < (size_t)c->protos * c->dim; i++) {
		double x = get_finite(&buf, &bad);

		if (i < (size_t)nv->count * c->dim)
			nv->proto[i] = x;
		else if (x != 0)
			bad = 1;
	}
	for (i = 0; i < c->protos; i++) {
		if (i < nv->count)
			nv->used[i] = le_get64(buf);
		else if (le_get64(buf) != 0)
			bad = 1;
		buf += 8;
	}
	for (i = 0; i < c->average; i++)
		nv->raws[i] = get_finite(&buf, &bad);
	for (i = 0; i < c->history; i++) {
		uint32_t b = le_get32(buf);

		memcpy(&nv->means[i], &b, sizeof(b));
		buf += 4;
		if (!isfinite(nv->means[i]))
			bad = 1;
	}
	if (bad)
		return -1;
	/* the order, by insertion as rows were added */
	{
		uint32_t k, n = nv->count;

		for (k = 0; k < n; k++) {
			nv->key[k] = mean_of(nv->proto + (size_t)k * c->dim,
			    c->dim);
			nv->count = k + 1;
			nv->order[k] = k;
			nv->pos[k] = k;
			reorder(nv, k);
		}
		nv->count = n;
	}
	return 0;
}

size_t
novelty_memory_max(const struct novelty_config *c)
{
	return sizeof(struct novelty) + 8 * ((size_t)c->protos * (c->dim + 2) +
	    c->average) + 8 * (size_t)c->protos + 4 * (size_t)c->history;
}

size_t
novelty_memory(const struct novelty *nv)
{
	const struct novelty_config *c = &nv->c;

	return sizeof(*nv) + 8 * ((size_t)nv->cap * (c->dim + 2) +
	    c->average) + 8 * (size_t)nv->cap + 4 * (size_t)c->history;
}
