/*
 * writer.c: the writer thread and its batches (see writer.h for the
 * design).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "errmsg.h"
#include "writer.h"

struct writer {
	struct store	*st;
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_mutex_t	 store_mu;	/* held while st is used: by the
					 * writer for a batch or a pruning
					 * step, by the loop (trylock only)
					 * for a batch it commits inline */
	pthread_cond_t	 work;		/* job or stop was set */
	pthread_cond_t	 done_cv;	/* done was set */
	struct batch	*job;		/* handed over, not started */
	struct batch	*done;		/* finished, not taken back */
	int		 stop;
	void		(*wake)(void *);
	void		*arg;
	struct batch	*flying;	/* the loop's view: submitted, not
					 * taken back */
	int		 retain;	/* pruning is on: */
	int64_t		 retain_ms;	/* --retain, 0 none */
	struct store_retain rt;
	int64_t		 prune_due_us;	/* monotonic us of the next step */
	int64_t		 pass_deleted;	/* points deleted in this pass */
	int64_t		 owed;		/* points committed and not yet
					 * matched by as many deleted, and */
	int64_t		 batch_us;	/* monotonic us of the last commit
					 * of points: both under store_mu */
	_Atomic uint64_t pruned;	/* points deleted since start */
	uint64_t	 prune_failed;	/* steps failed since start, and */
	char		 prune_why[256];	/* the last failure's message:
						 * both under mu */
};

/* Rows a pruning step deletes at most, in one transaction: a few ms of
 * the writer thread when no point arrives, and a ms or so while points
 * arrive (the longest a batch waits for a step). */
#define PRUNE_ROWS	2000
#define PRUNE_ROWS_BUSY	500
/* While points arrive (a batch in the last PRUNE_BUSY_US), pruning keeps
 * pace with them (a step at once while fewer points were deleted than
 * committed, PRUNE_OWED_MAX at most, even between two batches when one
 * already waits) and beyond that, to catch up on a
 * backlog, rests PRUNE_REST times as long as each step took: a twentieth of
 * the writer's time, which it shares with the loop on a small machine. */
#define PRUNE_BUSY_US	1000000
#define PRUNE_OWED_MAX	100000
#define PRUNE_REST	19
/* How long the writer waits after a pass over every client found nothing
 * to prune, or after a step failed. */
#define PRUNE_IDLE_US	1000000

void
batch_init(struct batch *b, uint64_t id)
{
	memset(b, 0, sizeof(*b));
	b->id = id;
}

struct wop *
batch_add(struct batch *b)
{
	struct wop *op, *ops;
	size_t cap;

	if (b->nops == b->cap) {
		cap = b->cap == 0 ? 256 : 2 * b->cap;
		if ((ops = realloc(b->ops, cap * sizeof(*ops))) == NULL)
			return NULL;
		b->ops = ops;
		b->cap = cap;
	}
	op = &b->ops[b->nops++];
	memset(op, 0, sizeof(*op));
	return op;
}

void
batch_drop_last(struct batch *b)
{
	struct wop *op;

	if (b->nops == 0)
		return;
	op = &b->ops[--b->nops];
	free(op->blob);
	if (op->kind == WOP_POINT)
		b->points--;
}

void
batch_clear(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->nops; i++)
		free(b->ops[i].blob);
	b->nops = 0;
	b->points = 0;
	b->since_us = 0;
	b->failed = 0;
	b->why[0] = '\0';
	b->usec = 0;
}

void
batch_free(struct batch *b)
{
	batch_clear(b);
	free(b->ops);
	b->ops = NULL;
	b->cap = 0;
}

void
batch_run(struct store *st, struct batch *b)
{
	struct wop *op;
	int64_t t0 = clock_mono_us(), d;
	size_t i;
	int rc = 0;

	b->failed = 0;
	if (b->nops > 0 && b->ops[0].kind == WOP_DELETE) {
		/* each in a transaction of its own; the error, if any, in
		 * why */
		for (i = 0; i < b->nops; i++) {
			op = &b->ops[i];
			rc = store_client_delete(st, op->id, &op->n, b->why,
			    sizeof(b->why));
			op->found = rc;
		}
		goto out;
	}
	if (store_begin(st, b->why, sizeof(b->why)) == -1) {
		b->failed = 1;
		goto out;
	}
	for (i = 0; i < b->nops && rc == 0; i++) {
		op = &b->ops[i];
		switch (op->kind) {
		case WOP_POINT:
			rc = store_add_point(st, op->id, &op->p, b->why,
			    sizeof(b->why));
			break;
		case WOP_SNAPSHOT:
			rc = store_snapshot_put(st, op->id, op->n, op->format,
			    op->blob, op->len, b->why, sizeof(b->why));
			break;
		case WOP_INACTIVE:
			rc = store_client_set_active(st, op->id, 0, b->why,
			    sizeof(b->why));
			break;
		case WOP_HELLO:
			rc = store_client_hello(st, op->id, op->n,
			    (const char *)op->blob, (const char *)op->blob +
			    strlen((const char *)op->blob) + 1,
			    op->p.received_ms, NULL, b->why, sizeof(b->why));
			break;
		case WOP_KEY:
			rc = store_client_set_key(st, op->id,
			    (const char *)op->blob, b->why, sizeof(b->why));
			break;
		case WOP_DELETE:	/* in batches of their own */
			break;
		}
	}
	if (rc == -1) {
		store_rollback(st);	/* already done by a failed write */
		b->failed = 1;
	} else if (store_commit(st, b->why, sizeof(b->why)) == -1)
		b->failed = 1;
out:
	d = clock_mono_us() - t0;
	b->usec = d > 0 ? (uint64_t)d : 0;
}

/* Counts that many points committed, for pruning to keep pace with
 * (store_mu held).  Returns whether pruning owes a step's worth. */
static int
committed(struct writer *w, size_t points)
{
	if (points > 0) {
		w->batch_us = clock_mono_us();
		w->owed += (int64_t)points;
		if (w->owed > PRUNE_OWED_MAX)
			w->owed = PRUNE_OWED_MAX;
	}
	return w->owed >= PRUNE_ROWS_BUSY;
}

/* Runs one pruning step (store_prune()) and sets when the next one is
 * due: at once while there is more to delete and no point arrives, or
 * while fewer points were deleted than arrived; else after a rest of
 * PRUNE_REST times the step (see PRUNE_REST); after PRUNE_IDLE_US when a
 * whole pass deleted nothing or the step failed (nothing of it is then
 * deleted, what is stored stays). */
static void
prune_step(struct writer *w)
{
	int64_t deleted = 0, now = clock_mono_us(), took;
	int wrapped = 0, busy = now - w->batch_us < PRUNE_BUSY_US;
	char why[256];

	w->rt.before_ms = w->retain_ms > 0 ? clock_wall_ms() - w->retain_ms :
	    0;
	if (store_prune(w->st, &w->rt, busy ? PRUNE_ROWS_BUSY : PRUNE_ROWS,
	    &deleted, &wrapped, why, sizeof(why)) == -1) {
		pthread_mutex_lock(&w->mu);
		w->prune_failed++;
		snprintf(w->prune_why, sizeof(w->prune_why), "%s", why);
		pthread_mutex_unlock(&w->mu);
		w->prune_due_us = now + PRUNE_IDLE_US;
		return;
	}
	w->pruned += (uint64_t)deleted;
	w->pass_deleted += deleted;
	w->owed = w->owed > deleted ? w->owed - deleted : 0;
	took = clock_mono_us() - now;
	w->prune_due_us = busy && w->owed == 0 ? now + took +
	    PRUNE_REST * took : now;
	if (wrapped) {
		if (w->pass_deleted == 0)
			w->prune_due_us = now + PRUNE_IDLE_US;
		w->pass_deleted = 0;
	}
}

/* Waits on cv until the monotonic time due_us (CLOCK_REALTIME is what
 * the condition variable measures by). */
static void
wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t due_us)
{
	struct timespec ts;
	int64_t left = due_us - clock_mono_us();

	if (left <= 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(left / 1000000);
	ts.tv_nsec += (long)(left % 1000000) * 1000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(cv, mu, &ts);
}

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	struct batch *b;
	int owe = 0;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		/* a batch first; a pruning step only while none waits, or
		 * between two batches while pruning owes many points to
		 * those committed (else a writer that always has a batch
		 * waiting would never prune) */
		while (w->job == NULL && !w->stop) {
			if (!w->retain) {
				pthread_cond_wait(&w->work, &w->mu);
				continue;
			}
			if (clock_mono_us() >= w->prune_due_us)
				break;
			wait_until(&w->work, &w->mu, w->prune_due_us);
		}
		if (w->job == NULL && w->stop)
			break;		/* stop, nothing left */
		if (w->job == NULL || (owe && w->retain && !w->stop &&
		    clock_mono_us() >= w->prune_due_us)) {
			owe = 0;
			pthread_mutex_unlock(&w->mu);
			pthread_mutex_lock(&w->store_mu);
			prune_step(w);
			pthread_mutex_unlock(&w->store_mu);
			pthread_mutex_lock(&w->mu);
			continue;
		}
		b = w->job;
		w->job = NULL;
		pthread_mutex_unlock(&w->mu);
		pthread_mutex_lock(&w->store_mu);
		batch_run(w->st, b);
		owe = committed(w, b->failed ? 0 : b->points);
		pthread_mutex_unlock(&w->store_mu);
		pthread_mutex_lock(&w->mu);
		w->done = b;
		pthread_cond_signal(&w->done_cv);
		if (w->wake != NULL)
			w->wake(w->arg);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct writer *
writer_new(struct store *st, void (*wake)(void *), void *arg, char *err,
    size_t errlen)
{
	struct writer *w;
	sigset_t all, old;
	int rc;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		errmsg_set(err, errlen, "out of memory");
		return NULL;
	}
	w->st = st;
	w->wake = wake;
	w->arg = arg;
	pthread_mutex_init(&w->mu, NULL);
	pthread_mutex_init(&w->store_mu, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->done_cv, NULL);
	/* signals go to the loop's thread, whose poll(2) they end */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->thread, NULL, writer_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		errmsg_set(err, errlen, "cannot start the writer thread: %s",
		    strerror(rc));
		pthread_cond_destroy(&w->done_cv);
		pthread_cond_destroy(&w->work);
		pthread_mutex_destroy(&w->store_mu);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return NULL;
	}
	return w;
}

void
writer_free(struct writer *w)
{
	if (w == NULL)
		return;
	writer_wait(w);
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->done_cv);
	pthread_cond_destroy(&w->work);
	pthread_mutex_destroy(&w->store_mu);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

void
writer_retain(struct writer *w, int64_t retain_ms, int64_t keep_points)
{
	pthread_mutex_lock(&w->mu);
	w->retain_ms = retain_ms;
	w->rt.keep_points = keep_points;
	w->retain = retain_ms > 0 || keep_points > 0;
	w->prune_due_us = clock_mono_us();
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
}

void
writer_prune_stats(struct writer *w, uint64_t *pruned, uint64_t *failed,
    char *why, size_t whylen)
{
	*pruned = w->pruned;
	pthread_mutex_lock(&w->mu);
	*failed = w->prune_failed;
	snprintf(why, whylen, "%s", w->prune_why);
	pthread_mutex_unlock(&w->mu);
}

void
writer_quiet(struct writer *w)
{
	pthread_mutex_lock(&w->mu);
	w->wake = NULL;
	pthread_mutex_unlock(&w->mu);
}

int
writer_store_try(struct writer *w)
{
	if (w->flying != NULL)
		return 0;
	return pthread_mutex_trylock(&w->store_mu) == 0;
}

void
writer_store_release(struct writer *w, size_t points)
{
	committed(w, points);
	pthread_mutex_unlock(&w->store_mu);
}

int
writer_busy(const struct writer *w)
{
	return w->flying != NULL;
}

void
writer_submit(struct writer *w, struct batch *b)
{
	w->flying = b;
	pthread_mutex_lock(&w->mu);
	w->job = b;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
}

struct batch *
writer_poll(struct writer *w)
{
	struct batch *b;

	if (w->flying == NULL)
		return NULL;
	pthread_mutex_lock(&w->mu);
	b = w->done;
	w->done = NULL;
	pthread_mutex_unlock(&w->mu);
	if (b != NULL)
		w->flying = NULL;
	return b;
}

struct batch *
writer_wait(struct writer *w)
{
	struct batch *b;

	if (w->flying == NULL)
		return NULL;
	pthread_mutex_lock(&w->mu);
	while (w->done == NULL)
		pthread_cond_wait(&w->done_cv, &w->mu);
	b = w->done;
	w->done = NULL;
	pthread_mutex_unlock(&w->mu);
	w->flying = NULL;
	return b;
}
