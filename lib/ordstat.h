/*
 * ordstat.h: a multiset of doubles that answers order statistics.
 *
 * The sliding window of a detector lives here as well as in a ring buffer:
 * the ring knows which value leaves next, this module knows the sorted order.
 * Select and rank cost O(log n), insert and remove O(log n) amortized (small
 * sorted blocks indexed by a Fenwick tree of their sizes; the rare split or
 * merge of a block costs O(n / 64)); min and max cost O(1).  Values must be
 * finite; the module never looks at anything but their order, so -0.0 and
 * 0.0 are the same value.  Memory is taken as values arrive, kept until
 * ordstat_free(), and stays below about 33 bytes per value of capacity.
 */
#ifndef ANOMALY_ORDSTAT_H
#define ANOMALY_ORDSTAT_H

#include <stddef.h>
#include <stdint.h>

struct ordstat;

/* Returns an empty multiset that can hold up to capacity values
 * (1 <= capacity <= UINT32_MAX), or NULL when capacity is out of that range
 * or memory is short.  Free it with ordstat_free(). */
struct ordstat *ordstat_new(size_t capacity);

/* Frees os and everything it holds; NULL is a no-op. */
void ordstat_free(struct ordstat *os);

/* Removes every value; the capacity stays. */
void ordstat_clear(struct ordstat *os);

/* The number of values held. */
size_t ordstat_count(const struct ordstat *os);

/* Adds one copy of v.  Returns 0, or -1 when the multiset already holds
 * capacity values or memory is short (then nothing changed). */
int ordstat_insert(struct ordstat *os, double v);

/* Removes one copy of v.  Returns 0, or -1 when no value equal to v is held
 * (then nothing changed). */
int ordstat_remove(struct ordstat *os, double v);

/* The value of rank k, 0 being the smallest; k must be < ordstat_count(). */
double ordstat_select(const struct ordstat *os, size_t k);

/* The smallest and the largest value; the multiset must not be empty. */
double ordstat_min(const struct ordstat *os);
double ordstat_max(const struct ordstat *os);

/* Whether the multiset holds a copy of v. */
int ordstat_contains(const struct ordstat *os, double v);

/* The number of values strictly less than v. */
size_t ordstat_rank(const struct ordstat *os, double v);

/* Writes the values of the n ranks ranks[0] < ranks[1] < ... (each below
 * ordstat_count()) to out[0..n), in that order.  Costs O(n + blocks), so a
 * sorted sample of the window is cheap. */
void ordstat_gather(const struct ordstat *os, const uint32_t *ranks, size_t n,
    double *out);

/* Writes, in ascending order, the values whose ranks are set in the bitmap
 * bits (rank r is bit r % 8 of byte r / 8; bits past ordstat_count() are
 * ignored; the bitmap must be readable in whole 8-byte words covering
 * ordstat_count() bits) to out, and returns how many.  Costs O(chosen +
 * blocks). */
size_t ordstat_gather_bits(const struct ordstat *os,
    const unsigned char *bits, double *out);

/* Bytes of heap memory os holds now. */
size_t ordstat_memory(const struct ordstat *os);

/* The most bytes of heap memory a multiset of that capacity ever holds
 * (0 when ordstat_new() would refuse the capacity). */
size_t ordstat_memory_max(size_t capacity);

#endif
