/*
 * novelty.h: pattern novelty scored by its anomaly likelihood.
 *
 * The raw score of a point is how far the pattern of the last D scaled values
 * lies from the nearest of at most K prototypes (the largest difference of
 * one value, L-infinity), which are learnt online: the nearest one moves
 * towards the pattern by the learning rate, or, when none is within the
 * vigilance rho, the pattern becomes a new prototype (replacing the least
 * recently used one when all K are taken).  This is the category learning of
 * adaptive resonance (ARTime) reduced to a fixed, small memory.
 *
 * A novel pattern (beyond rho of every prototype) is also compared by its
 * shape: the pattern brought to [0, 1] by its own range.  When that lies
 * within `shape` of a prototype's shape, the pattern is a known shape at
 * a new scale (a spike taller than the ones before, a dip of another
 * depth); a pattern or prototype spanning less than rho has no shape.
 *
 * Raw scores are then judged as Numenta's anomaly likelihood does: the mean
 * of the last S raw scores against the mean and standard deviation of the
 * last H such means (held as float), as z = (m - mu) / max(sigma, sigma_min); the caller
 * compares z with the normal quantile of its tail probability.
 *
 * Deterministic: the state after n pushes is a function of the n patterns
 * and the configuration, and it saves and loads bit for bit.
 */
#ifndef ANOMALY_NOVELTY_H
#define ANOMALY_NOVELTY_H

#include <stddef.h>
#include <stdint.h>

#define NOVELTY_DIM_MAX		32
#define NOVELTY_PROTOS_MAX	4096
#define NOVELTY_AVERAGE_MAX	100000
#define NOVELTY_HISTORY_MAX	1000000

struct novelty_config {
	uint32_t dim;		/* D, 1..NOVELTY_DIM_MAX */
	uint32_t protos;	/* K, 1..NOVELTY_PROTOS_MAX */
	uint32_t average;	/* S, 1..NOVELTY_AVERAGE_MAX */
	uint32_t history;	/* H, 1..NOVELTY_HISTORY_MAX */
	uint32_t learn;		/* means held before z is given, 1..H */
	double rho;		/* vigilance, > 0 */
	double rate;		/* learning rate, 0..1 */
	double sigma_min;	/* floor of the means' deviation, > 0 */
	double shape;		/* tolerance of a known shape, 0..1; 0: none */
};

struct novelty;

/* Returns an empty model for the configuration c (checked by the caller), or
 * NULL when memory is short. */
struct novelty *novelty_new(const struct novelty_config *c);

/* Frees nv; NULL is a no-op. */
void novelty_free(struct novelty *nv);

/* Makes room for the prototype the next novelty_push() may add (the rows
 * grow as they are needed).  Returns 0, or -1 when memory is short (then a
 * push must not be made). */
int novelty_reserve(struct novelty *nv);

/* Scores the pattern p (D values, oldest first; NULL when there is none yet:
 * then the raw score is 0 and nothing is learnt) and learns it.  Sets *raw to
 * the raw score (0..1) and *z to the standardised mean of the recent raw
 * scores against the means before it, NAN while fewer than `learn` means are
 * held; then the new mean joins them, the oldest leaving after H.  Returns
 * 0, or -1 when memory for a new prototype is short (then nothing changed;
 * never after novelty_reserve()). */
int novelty_push(struct novelty *nv, const double *p, double *raw,
    double *z);

/* Whether, of the last span patterns pushed, some novel one was a known
 * shape at a new scale and none was a novel shape (never when shape is
 * 0). */
int novelty_rescaled(const struct novelty *nv, uint64_t span);

/* Recomputes the running sums from the rings (the caller does it at fixed
 * ordinals, so that replays round alike). */
void novelty_rebase(struct novelty *nv);

/* The bytes novelty_save() writes. */
size_t novelty_state_size(const struct novelty *nv);

/* Writes nv's whole state to buf, machine independent. */
void novelty_save(const struct novelty *nv, unsigned char *buf);

/* Restores a state saved from a model of the same configuration.  Returns 0,
 * or -1 when len or the content does not fit (then nv is unusable). */
int novelty_load(struct novelty *nv, const unsigned char *buf, size_t len);

/* Bytes of heap memory nv holds. */
size_t novelty_memory(const struct novelty *nv);

/* The most bytes of heap memory a model of configuration c ever holds (all
 * K prototypes). */
size_t novelty_memory_max(const struct novelty_config *c);

#endif
