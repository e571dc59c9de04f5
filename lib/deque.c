/*
 * deque.c: the monotone deque of residuals (deque.h).
 */
#include <stdint.h>
#include <stdlib.h>

#include "dd.h"
#include "deque.h"

void
deque_expire(struct deque *q, uint64_t t)
{
	if (q->len > 0 && q->e[q->head].t == t) {
		if (++q->head == q->cap)
			q->head = 0;
		q->len--;
	}
}

/* Moves q's entries, in order, to a new ring of cap >= len entries.
 * Returns 0, or -1 when memory is short (then q is unchanged). */
static int
deque_resize(struct deque *q, uint32_t cap)
{
	struct deque_entry *e;
	uint32_t i, j;

	if ((e = malloc((size_t)cap * sizeof(*e))) == NULL)
		return -1;
	for (i = 0, j = q->head; i < q->len; i++) {
		e[i] = q->e[j];
		if (++j == q->cap)
			j = 0;
	}
	free(q->e);
	q->e = e;
	q->cap = cap;
	q->head = 0;
	return 0;
}

int
deque_reserve(struct deque *q, uint32_t max)
{
	uint32_t cap;

	if (q->len < q->cap)
		return 0;
	cap = q->cap == 0 ? 8 : q->cap * 2;
	if (cap > max)
		cap = max;
	if (cap <= q->cap)
		return 0;
	return deque_resize(q, cap);
}

void
deque_shrink(struct deque *q)
{
	uint32_t cap = q->cap;

	while (cap > 8 && q->len <= cap / 4)
		cap /= 2;
	if (cap != q->cap)
		(void)deque_resize(q, cap);
}

void
deque_push(struct deque *q, uint64_t t, struct dd r, int sign)
{
	uint32_t i;

	while (q->len > 0) {
		i = q->head + q->len - 1;
		if (i >= q->cap)
			i -= q->cap;
		if (sign > 0 ? dd_greater(q->e[i].r, r) :
		    dd_greater(r, q->e[i].r))
			break;
		q->len--;
	}
	i = q->head + q->len;
	if (i >= q->cap)
		i -= q->cap;
	q->e[i].r = r;
	q->e[i].t = t;
	q->len++;
}

void
deque_free(struct deque *q)
{
	free(q->e);
	q->e = NULL;
	q->cap = q->head = q->len = 0;
}
