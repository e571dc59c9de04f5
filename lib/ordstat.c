/*
 * ordstat.c: a multiset of doubles that answers order statistics.
 *
 * The values live in sorted blocks of at most BCAP values.  A directory,
 * indexed by the position of a block in sorted order, holds for each block
 * the pool slot of its values, its size and its last (largest) value.  A
 * Fenwick tree over the sizes, in directory order, turns a rank into a block
 * and a block into the number of values before it.
 *
 * Two neighbouring blocks always hold more than BCAP / 2 values together:
 * a remove that breaks this merges the block with a neighbour, a full block
 * that must take one more value is split in two halves.  Hence at most
 * 2 * (n / (BCAP / 2 + 1)) + 1 blocks for n values.  A block is born with at
 * most BCAP / 2 values and needs BCAP / 2 inserts to split, so splits, and
 * merges (one block less each), cost O(blocks) once per BCAP / 2 inserts at
 * most, amortized.
 *
 * The pool of block slots and the directory are allocated as the blocks
 * need them, a quarter more at a time, up to what the capacity can need
 * (a single block of capacity values when that is all), and never shrink;
 * freed slots go on a stack for reuse.
 */
#include <stdlib.h>
#include <string.h>

#include "ordstat.h"

#define BCAP	64		/* values per block, even */
#define BHALF	(BCAP / 2)

struct ordstat {
	size_t	  capacity;
	size_t	  count;
	uint32_t  nblk;		/* blocks in the directory */
	uint32_t  top;		/* largest power of 2 <= nblk, 0 if none */
	uint32_t  maxblk;	/* most blocks capacity values can need */
	uint32_t  nslot;	/* slots in pool and entries in the directory */
	uint32_t  nfresh;	/* slots handed out since the last clear */
	uint32_t  nfree;	/* slots given back, in freeslot[] */
	double	 *pool;		/* nslot blocks of BCAP values */
	void	 *meta;		/* the arrays below, one allocation */
	double	 *last;		/* last[i]: largest value of block i */
	uint32_t *size;		/* size[i]: values in block i */
	uint32_t *slot;		/* slot[i]: pool slot of block i */
	uint32_t *fen;		/* Fenwick tree of size[], fen[1..nblk] */
	uint32_t *freeslot;	/* stack of slots given back */
};

static size_t
meta_bytes(size_t n)
{
	return n * sizeof(double) + (4 * n + 1) * sizeof(uint32_t);
}

/* Bytes of pool for n slots: one block of at most capacity values when
 * that is all capacity can need, else n blocks of BCAP. */
static size_t
pool_bytes(const struct ordstat *os, size_t n)
{
	if (os->maxblk == 1)
		return os->capacity * sizeof(double);
	return n * BCAP * sizeof(double);
}

static double *
block(const struct ordstat *os, uint32_t i)
{
	return os->pool + (size_t)os->slot[i] * BCAP;
}

/* The first index in a[0..n) whose value is not below v, else n. */
static uint32_t
lower_bound(const double *a, uint32_t n, double v)
{
	const double *b = a;

	if (n == 0)
		return 0;
	while (n > 1) {
		uint32_t half = n / 2;

		b = b[half - 1] < v ? b + half : b;
		n -= half;
	}
	return (uint32_t)(b - a) + (*b < v);
}

static void
set_top(struct ordstat *os)
{
	uint32_t t = os->top;

	if (t == 0)
		t = 1;
	while (t > os->nblk)
		t >>= 1;
	while (t != 0 && t <= os->nblk / 2)
		t <<= 1;
	os->top = t;
}

/* Adds d (1, or -1 as (uint32_t)-1) to the size of block i in the
 * Fenwick tree. */
static void
fen_add(struct ordstat *os, uint32_t i, uint32_t d)
{
	uint32_t j;

	for (j = i + 1; j <= os->nblk; j += j & -j)
		os->fen[j] += d;
}

/* Recomputes the Fenwick tree for blocks from..nblk-1 after the directory
 * changed there; entries before stay valid.  Amortized O(1) per entry. */
static void
fen_rebuild(struct ordstat *os, uint32_t from)
{
	uint32_t j, c, lb, x;

	for (j = from + 1; j <= os->nblk; j++) {
		x = os->size[j - 1];
		lb = j & -j;
		for (c = 1; c < lb; c <<= 1)
			x += os->fen[j - c];
		os->fen[j] = x;
	}
}

/* The number of values in blocks 0..i-1. */
static size_t
fen_prefix(const struct ordstat *os, uint32_t i)
{
	size_t s = 0;

	for (; i > 0; i &= i - 1)
		s += os->fen[i];
	return s;
}

/* Finds the block holding rank *k and turns *k into the offset in it. */
static uint32_t
fen_find(const struct ordstat *os, size_t *k)
{
	uint32_t pos = 0, step;
	size_t r = *k;

	for (step = os->top; step != 0; step >>= 1) {
		if (pos + step <= os->nblk && os->fen[pos + step] <= r) {
			pos += step;
			r -= os->fen[pos];
		}
	}
	*k = r;
	return pos;
}

/* Lays the directory arrays for n slots out in meta and moves the live
 * entries there. */
static void
meta_move(struct ordstat *os, void *meta, uint32_t n)
{
	double *last = meta;
	uint32_t *size = (uint32_t *)(last + n);
	uint32_t *slot = size + n;
	uint32_t *freeslot = slot + n;
	uint32_t *fen = freeslot + n;

	if (os->nblk > 0) {
		memcpy(last, os->last, os->nblk * sizeof(double));
		memcpy(size, os->size, os->nblk * sizeof(uint32_t));
		memcpy(slot, os->slot, os->nblk * sizeof(uint32_t));
		memcpy(fen, os->fen, (os->nblk + 1) * sizeof(uint32_t));
	}
	if (os->nfree > 0)
		memcpy(freeslot, os->freeslot, os->nfree * sizeof(uint32_t));
	free(os->meta);
	os->meta = meta;
	os->last = last;
	os->size = size;
	os->slot = slot;
	os->freeslot = freeslot;
	os->fen = fen;
}

/* Makes room for at least one more block: 0, or -1 with nothing changed. */
static int
grow(struct ordstat *os)
{
	uint32_t n;
	double *pool;
	void *meta;

	if (os->nslot >= os->maxblk)
		return -1;
	n = os->nslot / 4 < 4 ? 4 : os->nslot / 4;
	n = os->maxblk - os->nslot < n ? os->maxblk : os->nslot + n;
	if ((meta = malloc(meta_bytes(n))) == NULL)
		return -1;
	if ((pool = realloc(os->pool, pool_bytes(os, n))) == NULL) {
		free(meta);
		return -1;
	}
	os->pool = pool;
	meta_move(os, meta, n);
	os->nslot = n;
	return 0;
}

static uint32_t
take_slot(struct ordstat *os)
{
	if (os->nfree > 0)
		return os->freeslot[--os->nfree];
	return os->nfresh++;
}

/* Opens directory entry i, moving entries i.. one up. */
static void
dir_open(struct ordstat *os, uint32_t i)
{
	uint32_t n = os->nblk - i;

	memmove(os->last + i + 1, os->last + i, n * sizeof(double));
	memmove(os->size + i + 1, os->size + i, n * sizeof(uint32_t));
	memmove(os->slot + i + 1, os->slot + i, n * sizeof(uint32_t));
	os->nblk++;
	set_top(os);
}

/* Closes directory entry i and gives its slot back. */
static void
dir_close(struct ordstat *os, uint32_t i)
{
	uint32_t n = os->nblk - i - 1;

	os->freeslot[os->nfree++] = os->slot[i];
	memmove(os->last + i, os->last + i + 1, n * sizeof(double));
	memmove(os->size + i, os->size + i + 1, n * sizeof(uint32_t));
	memmove(os->slot + i, os->slot + i + 1, n * sizeof(uint32_t));
	os->nblk--;
	set_top(os);
}

/* Splits full block i into two halves, i and i + 1.  A slot must be free. */
static void
split(struct ordstat *os, uint32_t i)
{
	uint32_t s = take_slot(os);
	double *a = block(os, i);

	memcpy(os->pool + (size_t)s * BCAP, a + BHALF, BHALF * sizeof(double));
	dir_open(os, i + 1);
	os->slot[i + 1] = s;
	os->size[i + 1] = BHALF;
	os->last[i + 1] = os->last[i];
	os->size[i] = BHALF;
	os->last[i] = a[BHALF - 1];
}

/* Moves the values of block i + 1 to the end of block i. */
static void
merge(struct ordstat *os, uint32_t i)
{
	memcpy(block(os, i) + os->size[i], block(os, i + 1),
	    os->size[i + 1] * sizeof(double));
	os->size[i] += os->size[i + 1];
	os->last[i] = os->last[i + 1];
	dir_close(os, i + 1);
}

/* Puts v in its place in block i, which is not full. */
static void
put(struct ordstat *os, uint32_t i, double v)
{
	double *b = block(os, i);
	uint32_t n = os->size[i], p = lower_bound(b, n, v);

	memmove(b + p + 1, b + p, (n - p) * sizeof(double));
	b[p] = v;
	os->size[i] = n + 1;
	os->last[i] = b[n];
}

/*
 * Returns an empty multiset that can hold up to capacity values, or NULL
 * when capacity is 0 or above UINT32_MAX, or memory is short.
 */
struct ordstat *
ordstat_new(size_t capacity)
{
	struct ordstat *os;
	size_t maxblk;

	if (capacity == 0 || capacity > UINT32_MAX)
		return NULL;
	maxblk = 2 * (capacity / (BHALF + 1)) + 1;
	if (maxblk > SIZE_MAX / (BCAP * sizeof(double) + meta_bytes(1)))
		return NULL;
	if ((os = calloc(1, sizeof(*os))) == NULL)
		return NULL;
	os->capacity = capacity;
	os->maxblk = (uint32_t)maxblk;
	return os;
}

/* Frees os and everything it holds; NULL is a no-op. */
void
ordstat_free(struct ordstat *os)
{
	if (os == NULL)
		return;
	free(os->pool);
	free(os->meta);
	free(os);
}

/* Removes every value and keeps the memory for the next ones. */
void
ordstat_clear(struct ordstat *os)
{
	os->count = 0;
	os->nblk = 0;
	os->top = 0;
	os->nfresh = 0;
	os->nfree = 0;
}

/* Returns the number of values held. */
size_t
ordstat_count(const struct ordstat *os)
{
	return os->count;
}

/* Adds one copy of v: 0, or -1 when full or memory is short (no change). */
int
ordstat_insert(struct ordstat *os, double v)
{
	uint32_t i;

	if (os->count >= os->capacity)
		return -1;
	if (os->nblk == 0) {
		if (os->nslot == 0 && grow(os) == -1)
			return -1;
		os->nblk = 1;
		os->top = 1;
		os->slot[0] = take_slot(os);
		os->size[0] = 0;
		put(os, 0, v);
		os->fen[1] = 1;
		os->count = 1;
		return 0;
	}
	i = lower_bound(os->last, os->nblk, v);
	if (i == os->nblk)
		i--;
	if (os->size[i] == BCAP) {
		if (os->nblk == os->nslot && grow(os) == -1)
			return -1;
		split(os, i);
		put(os, v > os->last[i] ? i + 1 : i, v);
		fen_rebuild(os, i);
	} else {
		put(os, i, v);
		fen_add(os, i, 1);
	}
	os->count++;
	return 0;
}

/* Removes one copy of v: 0, or -1 when no value equals v (no change). */
int
ordstat_remove(struct ordstat *os, double v)
{
	uint32_t i, j, n, p;
	int left, right;
	double *b;

	if (os->nblk == 0)
		return -1;
	i = lower_bound(os->last, os->nblk, v);
	if (i == os->nblk)
		return -1;
	b = block(os, i);
	n = os->size[i];
	p = lower_bound(b, n, v);
	if (!(b[p] == v))
		return -1;
	memmove(b + p, b + p + 1, (n - p - 1) * sizeof(double));
	os->size[i] = --n;
	os->count--;
	if (n == 0) {
		dir_close(os, i);
		fen_rebuild(os, i);
		return 0;
	}
	os->last[i] = b[n - 1];
	left = i > 0 && os->size[i - 1] + n <= BHALF;
	right = i + 1 < os->nblk && n + os->size[i + 1] <= BHALF;
	if (left || right) {
		j = left && (!right || os->size[i - 1] <= os->size[i + 1]) ?
		    i - 1 : i;
		merge(os, j);
		fen_rebuild(os, j);
	} else
		fen_add(os, i, (uint32_t)-1);
	return 0;
}

/* Returns the value of rank k, 0 being the smallest; k < count. */
double
ordstat_select(const struct ordstat *os, size_t k)
{
	uint32_t i = fen_find(os, &k);

	return block(os, i)[k];
}

/* Returns the smallest value; the multiset must not be empty. */
double
ordstat_min(const struct ordstat *os)
{
	return block(os, 0)[0];
}

/* Returns the largest value; the multiset must not be empty. */
double
ordstat_max(const struct ordstat *os)
{
	return os->last[os->nblk - 1];
}

/* Whether v is in the multiset: the first block whose largest value is not
 * below v holds the first value not below v. */
int
ordstat_contains(const struct ordstat *os, double v)
{
	uint32_t i, k;

	if (os->nblk == 0)
		return 0;
	i = lower_bound(os->last, os->nblk, v);
	if (i == os->nblk)
		return 0;
	k = lower_bound(block(os, i), os->size[i], v);
	return k < os->size[i] && block(os, i)[k] == v;
}

/* Returns the number of values strictly less than v. */
size_t
ordstat_rank(const struct ordstat *os, double v)
{
	uint32_t i;

	if (os->nblk == 0)
		return 0;
	i = lower_bound(os->last, os->nblk, v);
	if (i == os->nblk)
		return os->count;
	return fen_prefix(os, i) + lower_bound(block(os, i), os->size[i], v);
}

/* Writes the values of the n increasing ranks[] to out[0..n). */
void
ordstat_gather(const struct ordstat *os, const uint32_t *ranks, size_t n,
    double *out)
{
	size_t j, base, lg, k;
	uint32_t i, t;

	for (lg = 0, t = os->top; t != 0; t >>= 1)
		lg++;
	if (n * lg < os->nblk) {
		/* Few ranks among many blocks: look each one up. */
		for (j = 0; j < n; j++) {
			k = ranks[j];
			i = fen_find(os, &k);
			out[j] = block(os, i)[k];
		}
		return;
	}
	i = 0;
	base = 0;
	for (j = 0; j < n; j++) {
		while (ranks[j] - base >= os->size[i])
			base += os->size[i++];
		out[j] = block(os, i)[ranks[j] - base];
	}
}

/* The 64 bits of the bitmap from bit 64 w on, whatever the byte order. */
static uint64_t
bits_word(const unsigned char *bits, size_t w)
{
	uint64_t b = 0;
	size_t i;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	(void)i;
	memcpy(&b, bits + 8 * w, sizeof(b));
#else
	for (i = 0; i < 8; i++)
		b |= (uint64_t)bits[8 * w + i] << (8 * i);
#endif
	return b;
}

size_t
ordstat_gather_bits(const struct ordstat *os, const unsigned char *bits,
    double *out)
{
	size_t base = 0, n = 0, w, off;
	uint64_t b;
	uint32_t i;
	const double *v;

	for (i = 0; i < os->nblk; base += os->size[i++]) {
		/* the block's bits: at most BCAP = 64 of them, in one or two
		 * words of the bitmap */
		w = base / 64;
		off = base % 64;
		b = bits_word(bits, w) >> off;
		if (off + os->size[i] > 64)
			b |= bits_word(bits, w + 1) << (64 - off);
		if (os->size[i] < 64)
			b &= ((uint64_t)1 << os->size[i]) - 1;
		v = block(os, i);
		while (b != 0) {
			out[n++] = v[__builtin_ctzll(b)];
			b &= b - 1;
		}
	}
	return n;
}

size_t
ordstat_memory_max(size_t capacity)
{
	struct ordstat os;
	size_t maxblk;

	if (capacity == 0 || capacity > UINT32_MAX)
		return 0;
	maxblk = 2 * (capacity / (BHALF + 1)) + 1;
	memset(&os, 0, sizeof(os));
	os.capacity = capacity;
	os.maxblk = (uint32_t)maxblk;
	return sizeof(os) + pool_bytes(&os, maxblk) + meta_bytes(maxblk);
}

/* Returns the bytes of heap memory os holds now. */
size_t
ordstat_memory(const struct ordstat *os)
{
	size_t bytes = sizeof(*os);

	if (os->nslot > 0)
		bytes += pool_bytes(os, os->nslot) + meta_bytes(os->nslot);
	return bytes;
}
