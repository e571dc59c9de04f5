/*
 * iforest.h: a streaming Isolation Forest on one-dimensional values.
 *
 * T trees, each grown from a random subsample (without replacement) of
 * psi = min(window size, max_sample) values of the window, depth limit
 * ceil(log2 psi).  The caller regrows one tree per point, round robin
 * (SPEC §3.2), so scoring never waits for a full refit.  Trees are stored
 * compactly: per tree two doubles for the root's range, a float32 split per
 * internal node of an implicit complete binary tree (the split's fraction of
 * the tree's range) and a uint16 per bottom leaf (depth and size of the
 * external node).  At T = 100, psi = 256 that is about 153 KiB, 158 KiB
 * with the tables and the scratch space of growing (iforest_memory()).
 * Everything is deterministic: the same window and seed grow the same tree.
 */
#ifndef ANOMALY_IFOREST_H
#define ANOMALY_IFOREST_H

#include <stddef.h>
#include <stdint.h>

#include "ordstat.h"

#define IFOREST_TREES_MAX	1000
#define IFOREST_SAMPLE_MAX	4096

struct iforest;

/* Returns a forest of trees trees (1..IFOREST_TREES_MAX), none grown yet, that
 * subsamples at most max_sample (2..IFOREST_SAMPLE_MAX) values from windows of
 * at most window_capacity (1..UINT32_MAX) values; NULL on a bad argument or
 * short memory.  Free it with iforest_free(). */
struct iforest *iforest_new(unsigned trees, unsigned max_sample,
    size_t window_capacity);

/* Frees f and everything it holds; NULL is a no-op. */
void iforest_free(struct iforest *f);

/* Marks every tree as not grown. */
void iforest_clear(struct iforest *f);

/* The number of trees. */
unsigned iforest_trees(const struct iforest *f);

/* Regrows tree t from the values held in window (1..window_capacity of them):
 * a subsample of psi = min(count, max_sample) of them chosen without
 * replacement by a generator seeded with seed and nothing else, split at
 * values drawn uniformly between the node's smallest and largest value.
 * Returns 0, or -1 when t is out of range or the window is empty or too
 * large (then the tree is unchanged). */
int iforest_grow(struct iforest *f, unsigned t, const struct ordstat *window,
    uint64_t seed);

/* Returns 1 when every tree has been grown since iforest_new() or
 * iforest_clear(), else 0. */
int iforest_ready(const struct iforest *f);

/* The anomaly score s(x) = 2^(-mean over trees of h_t(x) / c(psi_t)) in
 * (0, 1]: about 0.5 and below for inliers, towards 1 for values the trees
 * isolate quickly.  h_t is the depth of x's external node plus c(size of that
 * node); c(n) = 2(ln(n-1) + 0.5772156649) - 2(n-1)/n for n > 2, c(2) = 1,
 * c(n) = 0 for n < 2; a tree with c(psi) = 0 counts as h/c = 1, and so does
 * a tree not grown (a forest with no tree grown scores 0.5): the score is
 * meant for a forest that is iforest_ready(), but is safe on any.  Trees
 * grown from flat windows (all values equal) score exactly 0.5 for every x. */
double iforest_score(const struct iforest *f, double x);

/* The number of bytes iforest_save() writes. */
size_t iforest_state_size(const struct iforest *f);

/* Writes the whole forest (grown flags included) to buf, exactly
 * iforest_state_size() bytes, in a byte order independent of the machine. */
void iforest_save(const struct iforest *f, unsigned char *buf);

/* Restores a forest saved by iforest_save() from a forest created with the
 * same trees and max_sample.  Returns 0, or -1 when len or the content does
 * not fit f (then f is cleared). */
int iforest_load(struct iforest *f, const unsigned char *buf, size_t len);

/* Bytes of heap memory f holds. */
size_t iforest_memory(const struct iforest *f);

/* The bytes of heap memory iforest_new(trees, max_sample, window_capacity)
 * holds (it never grows). */
size_t iforest_memory_for(unsigned trees, unsigned max_sample,
    size_t window_capacity);

#endif
