/*
 * moves.h: a price series judged by its moves, as a trader would (the
 * `moves` detector, anomaly(7)).
 *
 * Each value is turned into its log-return r = log(x / x_prev) (values
 * must be positive: a value that is not gives no return and is not
 * judged).  The returns are judged against two estimates of their
 * variance: a slow one, an exponentially weighted mean of r^2 (weight
 * 1/128, about half a year of trading days) in which each r^2 counts at
 * most (3 sigma)^2, so that one crash or gap does not inflate it (the
 * guard), started from the median of the first 20 |r| (MAD-like); and a
 * fast one (weight 1/8) in which each r^2 counts at most (10 sigma)^2.
 * A point votes when its return is more than k slow sigmas (a crash, a
 * gap: moves.k) or when the fast volatility is more than `burst` times the
 * slow one (a burst of volatility: moves.burst).  A new high is nothing
 * special: only the size of moves matters.
 *
 * Fixed memory, a few operations and one log() per point; deterministic,
 * and the state saves and loads bit for bit.
 */
#ifndef ANOMALY_MOVES_H
#define ANOMALY_MOVES_H

#include <stddef.h>
#include <stdint.h>

#define MOVES_INIT	20	/* returns before the first judgement */

struct moves {
	double prev;		/* the last positive value, 0 before one */
	uint64_t nr;		/* returns seen */
	double s2;		/* slow variance of the returns */
	double f2;		/* fast variance */
	double first[MOVES_INIT];	/* |r| of the first returns */
};

/* Sets m to no values yet. */
void moves_init(struct moves *m);

/* Takes the value x (finite) and returns its statistic: the larger of
 * |r| / (k sigma) and (fast sigma) / (burst sigma), so that above 1 means
 * a vote; NAN when x is not judged (no return yet, the first MOVES_INIT
 * returns, a value that is not positive). */
double moves_push(struct moves *m, double x, double k, double burst);

/* The bytes moves_save() writes. */
size_t moves_state_size(void);

/* Writes m at buf (moves_state_size() bytes, little-endian). */
void moves_save(const struct moves *m, unsigned char *buf);

/* Reads m from the len bytes at buf; returns 0, or -1 when they are not a
 * state moves_save() could have written. */
int moves_load(struct moves *m, const unsigned char *buf, size_t len);

#endif
