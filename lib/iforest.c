/*
 * iforest.c: a streaming Isolation Forest on one-dimensional values.
 *
 * A tree is grown on a sorted subsample s[0..psi) of the window, so a node
 * is a contiguous range [i, j) of it whose smallest value is s[i] and whose
 * largest is s[j - 1].  Values are compared by their position in the tree's
 * range [lo, hi] = [s[0], s[psi - 1]], computed by position() both when
 * growing and when scoring, so both take the same path; a split is a
 * float32 position, and a node whose values no float32 separates is
 * external.  Values below the split go left, the
 * others right.  The subsample is chosen in a bitmap of ranks (Floyd's
 * algorithm, or for a large share of the window a word of random bits per
 * eight ranks corrected to exactly psi) and read from the window in order.
 *
 * The layout is an implicit complete binary tree of depth D = ceil(log2 psi):
 * internal slot k (root 1, children 2k and 2k + 1) holds a fraction, the 2^D
 * bottom slots hold a leaf word (depth << 12 | (size - 1)).  An external node
 * above depth D is extended virtually: the internal slots below it hold NaN,
 * which no value compares >= to, so a descent always goes left there and
 * reaches the leaf slot of the node's leftmost bottom descendant, where its
 * depth and size are stored.  Scoring therefore descends exactly D levels,
 * without branches that depend on x.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "iforest.h"
#include "le.h"
#include "rng.h"

#define EULER_GAMMA	0.5772156649015329
#define LEAF_SHIFT	12		/* depth << 12 | (size - 1) */
#define LEAF_MASK	0x0fffu
#define SPLIT_TRIES	4		/* nudges of a fraction, at most */
#define LINEAR_MAX	16		/* longest range counted value by value */
#define STRIDE		8		/* values per stride of longer ones */
#define SCORE_BATCH	8		/* trees descending in lockstep */
#define BITMAP_BYTES(n)	(((n) + 63) / 64 * 8)	/* whole words of bits */
#define FRAC_NAN_BITS	0x7fc00000u	/* the NaN iforest_save() writes */

#define STATE_HEADER	12		/* magic, trees, max_sample */
#define STATE_TREE	20		/* grown, D, psi, lo, hi */

static const unsigned char state_magic[4] = { 'A', 'I', 'F', '1' };

struct tree {
	double		 lo;		/* smallest value of the sample */
	double		 hi;		/* largest value of the sample */
	double		 base;		/* x's position is (x - base) / step, */
	double		 step;		/* x halved when hi - lo would */
	double		 inv_step;	/* overflow; 1 / step, or 0 when that */
	uint8_t		 halved;	/* overflows (then a division) */
	uint16_t	 psi;		/* sample size, 0 when not grown */
	uint8_t		 depth;		/* D = ceil(log2 psi) */
	uint8_t		 grown;
};

struct iforest {
	unsigned	 ntrees;
	unsigned	 max_sample;
	unsigned	 ngrown;	/* trees with grown set */
	size_t		 capacity;	/* largest window */
	size_t		 ninternal;	/* 2^Dmax - 1 fractions per tree */
	size_t		 nleaf;		/* 2^Dmax leaf words per tree */
	struct tree	*tree;		/* [ntrees] */
	float		*frac;		/* [ntrees * ninternal] */
	uint16_t	*leaf;		/* [ntrees * nleaf] */
	double		*cleaf;		/* cleaf[n - 1] = c(n) */
	double		*sample;	/* [max_sample] scratch */
	unsigned char	*bitmap;	/* [BITMAP_BYTES(capacity)], all 0 */
};

struct grow {
	const double	*s;		/* the positions of the sorted sample */
	float		*frac;		/* the tree's fractions (slot k: k-1) */
	uint16_t	*leaf;		/* the tree's leaf words */
	unsigned	 depth;		/* D */
	struct rng	 rng;
};

static unsigned
ceil_log2(size_t n)
{
	unsigned d = 0;

	while (((size_t)1 << d) < n)
		d++;
	return d;
}

/* c(n): the average path length of an unsuccessful search in a binary
 * search tree of n keys. */
static double
avg_path(size_t n)
{
	double m;

	if (n > 2) {
		m = (double)n;
		return 2.0 * (log(m - 1.0) + EULER_GAMMA) - 2.0 * (m - 1.0) / m;
	}
	return n == 2 ? 1.0 : 0.0;
}

/* The position of x in tree tr: (x - lo) / (hi - lo), computed the same
 * way when growing and when scoring, so both take the same path; a
 * non-decreasing function of x, so a tree grown on positions isolates the
 * values as one grown on them would, and a split is a float32 position.
 * Values that the division cannot tell apart cannot be split, like equal
 * ones.  Never overflows to NaN for finite x. */
static inline double
position(const struct tree *tr, double x)
{
	double xs = tr->halved ? x / 2 : x;

	return tr->inv_step != 0 ? (xs - tr->base) * tr->inv_step :
	    (xs - tr->base) / tr->step;
}


/* The first index of [i, j) whose value is >= v; s[j - 1] >= v. */
static size_t
lower_bound(const double *s, size_t i, size_t j, double v)
{
	size_t q, e, c = 0;

	/*
	 * Counting, without branches or chains of dependent loads (a halving
	 * search is one such chain, of a load and a compare per step): first
	 * the strides of STRIDE values whose last value is below v, all of
	 * whose values are then below v, then the values below v in the
	 * stride after them, which holds the answer.
	 */
	if (j - i > LINEAR_MAX) {
		for (q = i + STRIDE - 1; q < j; q += STRIDE)
			c += s[q] < v;
		i += STRIDE * c;
		if (j > i + STRIDE)
			j = i + STRIDE;
	}
	for (q = i, e = j; q < e; q++)
		i += s[q] < v;
	return i;
}

/* Makes slot k at depth d an external node of size n, extended virtually
 * down to depth D: the internal slots below it are still NaN and the leaf
 * words still 0 from iforest_grow(), so only the leftmost leaf is written. */
static void
grow_external(struct grow *g, size_t k, unsigned d, size_t n)
{
	size_t first = (k << (g->depth - d)) - ((size_t)1 << g->depth);

	g->leaf[first] = (uint16_t)(d << LEAF_SHIFT | (unsigned)(n - 1));
}

/* Grows the subtree of slot k at depth d on s[i..j). */
static void grow_node(struct grow *g, size_t k, unsigned d, size_t i,
    size_t j);

/* Grows the child slot k at depth d on s[i..j): an external node is written
 * at once, without a call (half the nodes are). */
static inline void
grow_child(struct grow *g, size_t k, unsigned d, size_t i, size_t j)
{
	if (j - i <= 1 || d == g->depth || g->s[i] == g->s[j - 1])
		grow_external(g, k, d, j - i);
	else
		grow_node(g, k, d, i, j);
}

static void
grow_node(struct grow *g, size_t k, unsigned d, size_t i, size_t j)
{
	double a = g->s[i], b = g->s[j - 1], split;
	float fr;
	size_t m;
	int tries;

	/* positions of the sample lie in [0, 1] */
	fr = (float)(a + rng_double(&g->rng) * (b - a));
	for (tries = 0;; tries++) {
		split = (double)fr;
		if (a < split && split <= b)
			break;
		if (tries == SPLIT_TRIES) {
			grow_external(g, k, d, j - i);
			return;
		}
		fr = nextafterf(fr, split <= a ? 1.0f : 0.0f);
	}
	m = lower_bound(g->s, i, j, split);
	g->frac[k - 1] = fr;
	grow_child(g, 2 * k, d + 1, i, m);
	grow_child(g, 2 * k + 1, d + 1, m, j);
}

/* The number of bits set in b. */
static unsigned
popcount64(uint64_t b)
{
	b = b - ((b >> 1) & 0x5555555555555555ULL);
	b = (b & 0x3333333333333333ULL) + ((b >> 2) & 0x3333333333333333ULL);
	b = (b + (b >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (unsigned)((b * 0x0101010101010101ULL) >> 56);
}

/* Sets psi bits of the first count of the bitmap, a uniformly random
 * psi-subset, when psi / count is from 1/4 to 1/2: each rank is taken with
 * probability about psi / count, eight ranks per random word; then ranks
 * drawn uniformly are dropped if taken (or added if not) until psi are.
 * Given how many were taken, each subset of that size was equally likely,
 * and so is each subset of psi after the correction. */
static void
sample_dense(unsigned char *bm, struct rng *r, uint32_t count, uint32_t psi)
{
	/* lanes of 7 random bits below thr: probability thr / 128 */
	uint64_t thr = ((uint64_t)psi * 128 + count / 2) / count, y, lanes;
	size_t nbytes = ((size_t)count + 7) / 8, i;
	uint32_t taken = 0, t, bit;

	lanes = (0x80 - thr) * 0x0101010101010101ULL;
	for (i = 0; i < nbytes; i++) {
		y = ~((rng_next(r) & 0x7f7f7f7f7f7f7f7fULL) + lanes) &
		    0x8080808080808080ULL;
		/* the lanes' top bits gathered into one byte, lane i bit i */
		bm[i] = (unsigned char)((y * 0x0002040810204081ULL) >> 56);
	}
	if (count % 8 != 0)
		bm[nbytes - 1] &= (unsigned char)((1u << (count % 8)) - 1);
	for (i = 0; i < nbytes; i += 8) {
		/* whole words: the bitmap is allocated in them, and a count
		 * does not depend on the byte order */
		uint64_t w;

		memcpy(&w, bm + i, sizeof(w));
		taken += popcount64(w);
	}
	while (taken != psi) {
		t = rng_below(r, count);
		bit = (bm[t >> 3] >> (t & 7)) & 1;
		if (bit == (taken > psi)) {
			bm[t >> 3] ^= (unsigned char)(1u << (t & 7));
			taken += taken > psi ? (uint32_t)-1 : 1;
		}
	}
}

/* Sets psi bits of the first count of the bitmap, a uniformly random
 * psi-subset (Floyd's algorithm). */
static void
sample_floyd(unsigned char *bm, struct rng *r, uint32_t count, uint32_t psi)
{
	uint32_t j, t;

	/* Bytes, not words: updates of the same byte are rare, of the same
	 * word frequent, and they would serialise the loop through memory. */
	for (j = count - psi; j < count; j++) {
		t = rng_below(r, j + 1);
		/* t = taken ? j : t, without a branch. */
		t ^= (t ^ j) & -(uint32_t)((bm[t >> 3] >> (t & 7)) & 1);
		bm[t >> 3] |= (unsigned char)(1u << (t & 7));
	}
}

/* Chooses psi of the ranks [0, count) uniformly without replacement, sets
 * their bits in f->bitmap and writes their values, ascending, to f->sample;
 * leaves the bitmap all 0. */
static void
sample_values(struct iforest *f, struct rng *r, const struct ordstat *window,
    uint32_t count, uint32_t psi)
{
	unsigned char *bm = f->bitmap;
	uint32_t j;

	if (psi == count || 2 * (uint64_t)psi > count) {
		/* most ranks: choose the ones left out */
		sample_floyd(bm, r, count, count - psi);
		for (j = 0; j < count / 8; j++)
			bm[j] = (unsigned char)~bm[j];
		for (j = count / 8 * 8; j < count; j++)
			bm[j >> 3] ^= (unsigned char)(1u << (j & 7));
	} else if (4 * (uint64_t)psi >= count) {
		sample_dense(bm, r, count, psi);
	} else {
		sample_floyd(bm, r, count, psi);
	}
	ordstat_gather_bits(window, bm, f->sample);
	memset(bm, 0, BITMAP_BYTES(count));
}

/* Makes tree t the placeholder of a tree not grown: no splits, one leaf of
 * size 1, counted as h/c = 1 by iforest_score(). */
static void
tree_reset(struct iforest *f, unsigned t)
{
	struct tree *tr = &f->tree[t];

	tr->lo = tr->hi = 0.0;
	tr->psi = 0;
	tr->depth = 0;
	tr->grown = 0;
	f->leaf[(size_t)t * f->nleaf] = 0;
}

static void
tree_set(struct iforest *f, unsigned t, double lo, double hi, unsigned psi)
{
	struct tree *tr = &f->tree[t];

	tr->lo = lo;
	tr->hi = hi;
	/* Splits are fractions of [lo, hi]; when hi - lo overflows, of
	 * [lo/2, hi/2], against values halved too (exact for normal values). */
	tr->halved = !isfinite(hi - lo);
	tr->base = tr->halved ? lo / 2 : lo;
	tr->step = tr->halved ? hi / 2 - lo / 2 : hi - lo;
	tr->inv_step = 1.0 / tr->step;
	if (!isfinite(tr->inv_step))	/* a flat or subnormal range */
		tr->inv_step = 0;
	tr->psi = (uint16_t)psi;
	tr->depth = (uint8_t)ceil_log2(psi);
	if (!tr->grown)
		f->ngrown++;
	tr->grown = 1;
}

/* Returns a forest of trees trees (1..IFOREST_TREES_MAX), none grown yet,
 * that subsamples at most max_sample (2..IFOREST_SAMPLE_MAX) values from
 * windows of at most window_capacity (1..UINT32_MAX) values; NULL on a bad
 * argument or short memory.  Free it with iforest_free(). */
struct iforest *
iforest_new(unsigned trees, unsigned max_sample, size_t window_capacity)
{
	struct iforest *f;
	unsigned dmax, t, n;

	if (trees < 1 || trees > IFOREST_TREES_MAX || max_sample < 2 ||
	    max_sample > IFOREST_SAMPLE_MAX || window_capacity < 1 ||
	    window_capacity > UINT32_MAX)
		return NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	dmax = ceil_log2(max_sample);
	f->ntrees = trees;
	f->max_sample = max_sample;
	f->capacity = window_capacity;
	f->nleaf = (size_t)1 << dmax;
	f->ninternal = f->nleaf - 1;
	f->tree = calloc(trees, sizeof(*f->tree));
	f->frac = calloc((size_t)trees * f->ninternal, sizeof(*f->frac));
	f->leaf = calloc((size_t)trees * f->nleaf, sizeof(*f->leaf));
	f->cleaf = calloc(max_sample, sizeof(*f->cleaf));
	f->sample = calloc(max_sample, sizeof(*f->sample));
	f->bitmap = calloc(BITMAP_BYTES(window_capacity), 1);
	if (f->tree == NULL || f->frac == NULL || f->leaf == NULL ||
	    f->cleaf == NULL || f->sample == NULL ||
	    f->bitmap == NULL)
		goto fail;
	for (n = 1; n <= max_sample; n++)
		f->cleaf[n - 1] = avg_path(n);
	for (t = 0; t < trees; t++)
		tree_reset(f, t);
	return f;
fail:
	iforest_free(f);
	return NULL;
}

/* Frees f and everything it holds; NULL is a no-op. */
void
iforest_free(struct iforest *f)
{
	if (f == NULL)
		return;
	free(f->tree);
	free(f->frac);
	free(f->leaf);
	free(f->cleaf);
	free(f->sample);
	free(f->bitmap);
	free(f);
}

/* Marks every tree as not grown. */
void
iforest_clear(struct iforest *f)
{
	unsigned t;

	for (t = 0; t < f->ntrees; t++)
		tree_reset(f, t);
	f->ngrown = 0;
}

/* The number of trees. */
unsigned
iforest_trees(const struct iforest *f)
{
	return f->ntrees;
}

/* Regrows tree t from a sample of psi = min(count, max_sample) values of
 * window drawn with a generator seeded with seed and nothing else.  Returns
 * 0, or -1 when t is out of range or the window is empty or holds more than
 * window_capacity values (then the tree is unchanged). */
int
iforest_grow(struct iforest *f, unsigned t, const struct ordstat *window,
    uint64_t seed)
{
	struct grow g;
	const struct tree *tr;
	size_t count = ordstat_count(window), n, m;
	double base, inv;
	uint32_t psi, i;

	if (t >= f->ntrees || count == 0 || count > f->capacity)
		return -1;
	g.rng.state = seed;
	psi = count < f->max_sample ? (uint32_t)count : f->max_sample;
	sample_values(f, &g.rng, window, (uint32_t)count, psi);

	tree_set(f, t, f->sample[0], f->sample[psi - 1], psi);
	tr = &f->tree[t];
	if (psi >= 2 && f->sample[0] != f->sample[psi - 1]) {
		if (!tr->halved && tr->inv_step != 0) {
			/* position() with its tests out of the loop */
			base = tr->base;
			inv = tr->inv_step;
			for (i = 0; i < psi; i++)
				f->sample[i] = (f->sample[i] - base) * inv;
		} else {
			for (i = 0; i < psi; i++)
				f->sample[i] = position(tr, f->sample[i]);
		}
	}
	g.s = f->sample;
	g.frac = f->frac + (size_t)t * f->ninternal;
	g.leaf = f->leaf + (size_t)t * f->nleaf;
	g.depth = ceil_log2(psi);
	n = (size_t)1 << g.depth;
	/* n - 1 NaN fractions, by doubling copies */
	if (n > 1) {
		g.frac[0] = NAN;
		for (m = 1; m < n - 1; m *= 2)
			memcpy(g.frac + m, g.frac, (m < n - 1 - m ? m :
			    n - 1 - m) * sizeof(*g.frac));
	}
	memset(g.leaf, 0, n * sizeof(*g.leaf));
	grow_child(&g, 1, 0, 0, psi);
	return 0;
}

/* Returns 1 when every tree has been grown since iforest_new() or
 * iforest_clear(), else 0. */
int
iforest_ready(const struct iforest *f)
{
	return f->ngrown == f->ntrees;
}

/* The leaf word tree t reaches from x's position xs after depth levels
 * (the general case: one tree alone). */
static inline unsigned
descend(const struct iforest *f, unsigned t, double xs, unsigned depth)
{
	const float *fr = f->frac + (size_t)t * f->ninternal;
	size_t k = 1;
	unsigned d;

	for (d = 0; d < depth; d++)
		k = 2 * k + (xs >= (double)fr[k - 1]);
	return f->leaf[(size_t)t * f->nleaf + k - ((size_t)1 << depth)];
}

/* The leaf words of the SCORE_BATCH trees from t, all of depth depth, at
 * x's positions xs: they descend in lockstep, one level of every tree after
 * the other, in registers.  A level of one tree is a chain of dependent
 * operations (load, convert, compare, index); the chains of different trees
 * overlap only when they are interleaved. */
static inline void
descend_batch(const struct iforest *f, unsigned t, const double *xs,
    unsigned depth, unsigned *w)
{
	const float *fr = f->frac + (size_t)t * f->ninternal;
	size_t k[SCORE_BATCH], first, ni = f->ninternal;
	unsigned d, b;

	for (b = 0; b < SCORE_BATCH; b++)
		k[b] = 1;
	/* k = 2k + (x >= split): an index, not a branch on x, which would be
	 * mispredicted half the time. */
	for (d = 0; d < depth; d++) {
#define STEP(b) k[b] = 2 * k[b] + (xs[b] >= (double)fr[(b) * ni + k[b] - 1])
		STEP(0); STEP(1); STEP(2); STEP(3);
		STEP(4); STEP(5); STEP(6); STEP(7);
#undef STEP
	}
	first = (size_t)t * f->nleaf - ((size_t)1 << depth);
	for (b = 0; b < SCORE_BATCH; b++)
		w[b] = f->leaf[first + b * f->nleaf + k[b]];
}

/* The anomaly score 2^(-mean over trees of h_t(x) / c(psi_t)) in (0, 1]; a
 * tree not grown counts as h/c = 1.  The terms are summed in the order of
 * the trees, whatever the batches. */
double
iforest_score(const struct iforest *f, double x)
{
	const struct tree *tr;
	double xs[SCORE_BATCH], sum = 0.0, h;
	unsigned w[SCORE_BATCH], t, b, nb;

	for (t = 0; t < f->ntrees; t += nb) {
		nb = f->ntrees - t < SCORE_BATCH ? f->ntrees - t : SCORE_BATCH;
		for (b = 0; b < nb; b++) {
			tr = &f->tree[t + b];
			xs[b] = tr->psi >= 2 ? position(tr, x) : 0;
		}
		for (b = 0; b < nb && f->tree[t + b].depth == tr->depth; b++)
			;
		if (b == SCORE_BATCH)
			descend_batch(f, t, xs, tr->depth, w);
		else
			for (b = 0; b < nb; b++)
				w[b] = descend(f, t + b, xs[b],
				    f->tree[t + b].depth);
		for (b = 0; b < nb; b++) {
			tr = &f->tree[t + b];
			h = (double)(w[b] >> LEAF_SHIFT) +
			    f->cleaf[w[b] & LEAF_MASK];
			/* A division, not a product with 1/c: c/c is exactly
			 * 1, so a flat window scores exactly 0.5. */
			sum += tr->psi >= 2 ? h / f->cleaf[tr->psi - 1] : 1.0;
		}
	}
	return exp2(-sum / f->ntrees);
}

/*
 * The saved state, little endian: "AIF1", u32 trees, u32 max_sample, then per
 * tree u8 grown, u8 D, u16 psi, u64 lo, u64 hi (IEEE 754 bits), u32
 * fraction[2^Dmax - 1] (float bits, slot k at k - 1), u16 leaf[2^Dmax].
 * Everything a tree does not use, and all of a tree not grown, is 0.
 */

static uint32_t
float_bits(float v)
{
	uint32_t b;

	if (isnan(v))
		return FRAC_NAN_BITS;
	memcpy(&b, &v, sizeof(b));
	return b;
}

static float
bits_float(uint32_t b)
{
	float v;

	memcpy(&v, &b, sizeof(v));
	return v;
}

/* The number of bytes iforest_save() writes. */
size_t
iforest_state_size(const struct iforest *f)
{
	return STATE_HEADER + (size_t)f->ntrees *
	    (STATE_TREE + 4 * f->ninternal + 2 * f->nleaf);
}

/* Writes the whole forest to buf, exactly iforest_state_size() bytes, in a
 * byte order independent of the machine. */
void
iforest_save(const struct iforest *f, unsigned char *buf)
{
	const struct tree *tr;
	const float *fr;
	const uint16_t *lf;
	unsigned char *p = buf;
	size_t k, used;
	unsigned t;

	memcpy(p, state_magic, sizeof(state_magic));
	p = le_put32(p + sizeof(state_magic), f->ntrees);
	p = le_put32(p, f->max_sample);
	for (t = 0; t < f->ntrees; t++) {
		tr = &f->tree[t];
		fr = f->frac + (size_t)t * f->ninternal;
		lf = f->leaf + (size_t)t * f->nleaf;
		*p++ = tr->grown;
		*p++ = tr->depth;
		p = le_put16(p, tr->psi);
		p = le_put64(p, tr->grown ? le_double_bits(tr->lo) : 0);
		p = le_put64(p, tr->grown ? le_double_bits(tr->hi) : 0);
		used = tr->grown ? (size_t)1 << tr->depth : 0;
		for (k = 1; k <= f->ninternal; k++)
			p = le_put32(p, k < used ? float_bits(fr[k - 1]) : 0);
		for (k = 0; k < f->nleaf; k++)
			p = le_put16(p, k < used ? lf[k] : 0);
	}
}

/* Reads tree t from p (the record of one tree) into f.  Returns 0, or -1 when
 * the record is not one iforest_save() can write. */
static int
load_tree(struct iforest *f, unsigned t, const unsigned char *p)
{
	float *fr = f->frac + (size_t)t * f->ninternal;
	uint16_t *lf = f->leaf + (size_t)t * f->nleaf;
	unsigned grown = p[0], depth = p[1], psi = le_get16(p + 2), d, n;
	uint64_t lobits = le_get64(p + 4), hibits = le_get64(p + 12);
	double lo = le_bits_double(lobits), hi = le_bits_double(hibits);
	size_t k, used;
	uint32_t b;
	uint16_t w;
	float v;

	if (grown > 1)
		return -1;
	if (!grown) {
		if (depth != 0 || psi != 0 || lobits != 0 || hibits != 0)
			return -1;
		used = 0;
	} else {
		if (psi < 1 || psi > f->max_sample || depth != ceil_log2(psi) ||
		    !isfinite(lo) || !isfinite(hi) || lo > hi)
			return -1;
		used = (size_t)1 << depth;
	}
	p += STATE_TREE;
	for (k = 1; k <= f->ninternal; k++, p += 4) {
		b = le_get32(p);
		v = bits_float(b);
		if (k < used ? !isnan(v) && !(v >= 0.0f && v <= 1.0f) : b != 0)
			return -1;
		fr[k - 1] = v;
	}
	for (k = 0; k < f->nleaf; k++, p += 2) {
		w = le_get16(p);
		d = w >> LEAF_SHIFT;
		n = (w & LEAF_MASK) + 1;
		if (k < used ? d > depth || n > psi : w != 0)
			return -1;
		lf[k] = w;
	}
	if (grown)
		tree_set(f, t, lo, hi, psi);
	else
		tree_reset(f, t);
	return 0;
}

/* Restores a forest saved by iforest_save() from a forest created with the
 * same trees and max_sample.  Returns 0, or -1 when len or the content does
 * not fit f (then f is cleared). */
int
iforest_load(struct iforest *f, const unsigned char *buf, size_t len)
{
	size_t rec = STATE_TREE + 4 * f->ninternal + 2 * f->nleaf;
	unsigned t;

	iforest_clear(f);
	if (len != iforest_state_size(f) ||
	    memcmp(buf, state_magic, sizeof(state_magic)) != 0 ||
	    le_get32(buf + 4) != f->ntrees || le_get32(buf + 8) != f->max_sample)
		goto fail;
	for (t = 0; t < f->ntrees; t++)
		if (load_tree(f, t, buf + STATE_HEADER + t * rec) == -1)
			goto fail;
	return 0;
fail:
	iforest_clear(f);
	return -1;
}

/* Bytes of heap memory f holds. */
size_t
iforest_memory_for(unsigned trees, unsigned max_sample,
    size_t window_capacity)
{
	size_t nleaf = (size_t)1 << ceil_log2(max_sample);

	return sizeof(struct iforest) + trees * sizeof(struct tree) +
	    (size_t)trees * (nleaf - 1) * sizeof(float) +
	    (size_t)trees * nleaf * sizeof(uint16_t) +
	    max_sample * 2 * sizeof(double) + BITMAP_BYTES(window_capacity);
}

size_t
iforest_memory(const struct iforest *f)
{
	return sizeof(*f) + f->ntrees * sizeof(*f->tree) +
	    (size_t)f->ntrees * f->ninternal * sizeof(*f->frac) +
	    (size_t)f->ntrees * f->nleaf * sizeof(*f->leaf) +
	    f->max_sample * (sizeof(*f->cleaf) +
	    sizeof(*f->sample)) +
	    BITMAP_BYTES(f->capacity);
}
