/*
 * deque.h: a monotone deque of double-double residuals with their
 * ordinals, the window's largest (or smallest) in front (lib/detect's ma
 * detector).  A ring that grows as it fills and gives back room when it
 * empties: it holds few entries on most data, up to the window's length
 * when residuals only fall or only rise.  Pure computation: no I/O.
 */
#ifndef ANOMALY_DEQUE_H
#define ANOMALY_DEQUE_H

#include <stdint.h>

#include "dd.h"

struct deque_entry {
	struct dd r;
	uint64_t t;		/* ordinal of the residual */
};

struct deque {
	struct deque_entry *e;
	uint32_t cap, head, len;
};

/* Drops the front of q when it is the residual of ordinal t, the one that
 * leaves the window now. */
void deque_expire(struct deque *q, uint64_t t);

/* Makes room in q for one more entry (up to max entries in all).  Returns
 * 0, or -1 when memory is short (then q is unchanged). */
int deque_reserve(struct deque *q, uint32_t max);

/* Gives back most of q's room when it holds a quarter of it or less, so a
 * deque that grew long on a stretch of rising (falling) residuals does not
 * keep its size for ever.  Keeps it as it is when memory is short. */
void deque_shrink(struct deque *q);

/* Pushes the residual r of ordinal t (room reserved); sign 1 keeps the
 * largest residual at the front, -1 the smallest. */
void deque_push(struct deque *q, uint64_t t, struct dd r, int sign);

/* Frees q's room; q is then empty. */
void deque_free(struct deque *q);

#endif
