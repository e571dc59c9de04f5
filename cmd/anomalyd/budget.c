/*
 * budget.c: the memory budget of --max-memory (see budget.h).
 */
#include <unistd.h>

#include "budget.h"

size_t
budget_default(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	if (pages <= 0 || size <= 0)
		return (size_t)1 << 30;
	if ((unsigned long long)pages > SIZE_MAX / (unsigned long long)size)
		return SIZE_MAX / 2;
	return (size_t)pages * (size_t)size / 2;
}

void
budget_init(struct budget *b, size_t max)
{
	b->max = max;
	b->used = 0;
	b->peak = 0;
	b->refused = 0;
}

int
budget_take(struct budget *b, size_t n)
{
	if (n > b->max || b->used > b->max - n) {
		b->refused++;
		return -1;
	}
	b->used += n;
	if (b->used > b->peak)
		b->peak = b->used;
	return 0;
}

void
budget_give(struct budget *b, size_t n)
{
	b->used = n > b->used ? 0 : b->used - n;
}
