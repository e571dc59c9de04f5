/*
 * budget.h: the server-wide memory budget of --max-memory (issue 16): the
 * bytes every client's detector state and every message being assembled
 * or worked through may take together.  What would exceed it is refused
 * (close code 1013) rather than allocated.  Pure bookkeeping: the callers
 * say what they take and give back.
 */
#ifndef ANOMALYD_BUDGET_H
#define ANOMALYD_BUDGET_H

#include <stddef.h>
#include <stdint.h>

/* The close code and reason of what the budget refuses. */
#define BUDGET_CODE	1013
#define BUDGET_REASON	"memory budget exhausted"

struct budget {
	size_t		 max;		/* --max-memory */
	size_t		 used;		/* taken now */
	size_t		 peak;		/* the most ever taken */
	uint64_t	 refused;	/* takes refused since start */
};

/* The default --max-memory: half the physical memory (1 GiB when that is
 * not known). */
size_t budget_default(void);
/* Sets b up with max bytes, none used. */
void budget_init(struct budget *b, size_t max);
/* Takes n bytes: 0, or -1 when that would exceed the budget (then nothing
 * is taken and the refusal is counted). */
int budget_take(struct budget *b, size_t n);
/* Gives back n bytes taken before. */
void budget_give(struct budget *b, size_t n);

#endif
