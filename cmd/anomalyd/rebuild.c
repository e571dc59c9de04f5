/*
 * rebuild.c: the rebuild thread (see rebuild.h).
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "errmsg.h"
#include "rebuild.h"

TAILQ_HEAD(rjobq, rjob);

struct rebuilder {
	struct store	*st;		/* read-only, the thread's */
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 work;		/* a job was queued, or stop set */
	struct rjobq	 todo, done;
	atomic_int	 stop;		/* also ends a replay under way */
	void		(*wake)(void *);
	void		*arg;
};

void
rjob_free(struct rjob *j)
{
	if (j == NULL)
		return;
	detector_free(j->det);
	free(j);
}

/* What a replay pushes into, and whether to give up. */
struct replay {
	struct detector	*d;
	atomic_int	*stop;
};

static int
replay_one(void *arg, int64_t n, double value)
{
	struct replay *r = arg;
	struct detect_verdict v;

	if (n % 65536 == 0 && atomic_load(r->stop))
		return -2;	/* anomalyd stops */
	return detector_push(r->d, value, &v, NULL, 0) == -1 ? 1 : 0;
}

/* Builds j's detector from what st holds: from the client's snapshot when
 * j->snap_ok and one loads, else from nothing, then the stored values
 * after it.  Sets j->det, or j->why when it fails. */
static void
run_job(struct store *st, atomic_int *stop, struct rjob *j)
{
	struct replay r;
	struct store_client *sc;
	struct store_point sp;
	struct detector *d = NULL;
	unsigned char *blob = NULL;
	size_t len;
	int64_t n = 0, after = 0, t0 = clock_mono_us();
	char perr[256];
	int format, rc;

	if ((sc = malloc(sizeof(*sc))) == NULL) {
		errmsg_set(j->why, sizeof(j->why), "out of memory");
		goto out;
	}
	if ((rc = store_client_get(st, j->id, sc, j->why,
	    sizeof(j->why))) != 1) {
		if (rc == 0)
			errmsg_set(j->why, sizeof(j->why), "client %s is not "
			    "stored", j->id);
		goto out;
	}
	if (j->snap_ok && store_snapshot_get(st, j->id, &n, &format, &blob,
	    &len, j->why, sizeof(j->why)) == 1 &&
	    format == DETECT_STATE_FORMAT && n <= sc->points) {
		d = detector_load(j->id, strlen(j->id), &j->set, blob, len,
		    NULL, 0);
		if (d != NULL)
			after = n;
	}
	free(blob);
	if (d == NULL && (d = detector_new(j->id, strlen(j->id), &j->set,
	    j->why, sizeof(j->why))) == NULL)
		goto out;
	r.d = d;
	r.stop = stop;
	rc = store_values_each(st, j->id, after, replay_one, &r, j->why,
	    sizeof(j->why));
	if (rc == 0 && after == 0 && detector_count(d) < (uint64_t)sc->points &&
	    store_oldest(st, j->id, &n, j->why, sizeof(j->why)) == 0 &&
	    (n > 1 || n == 0)) {
		if (n == 0)
			n = sc->points + 1;	/* all of them pruned */
		/* without its snapshot (other settings, or one of another
		 * version), a detector needs the whole history */
		errmsg_set(j->why, sizeof(j->why), "its snapshot cannot be "
		    "used and points before n = %lld were pruned: delete the "
		    "client", (long long)n);
		j->pruned = 1;
		rc = -1;
	} else if (rc == 0 && detector_count(d) != (uint64_t)sc->points) {
		errmsg_set(j->why, sizeof(j->why), "client %s: stored points "
		    "are not contiguous", j->id);
		rc = -1;
	} else if (rc > 0)
		errmsg_set(j->why, sizeof(j->why), "client %s: a stored value "
		    "is not finite", j->id);
	else if (rc == -2)
		errmsg_set(j->why, sizeof(j->why), "anomalyd stops");
	if (rc != 0) {
		detector_free(d);
		goto out;
	}
	/* for ready; without it ready has no timestamp, as before */
	if (sc->points > 0 && store_point_get(st, j->id, sc->points, &sp,
	    perr, sizeof(perr)) == 1) {
		j->ts = sp.ts;
		j->has_ts = 1;
	}
	detector_set_last_alert(d, (uint64_t)sc->last_alert_n);
	j->det = d;
	j->points = sc->points;
	j->last_seq = sc->last_seq;
	j->snap_n = after;
out:
	free(sc);
	j->usec = clock_mono_us() - t0;
}

static void *
rebuilder_main(void *arg)
{
	struct rebuilder *rb = arg;
	struct rjob *j;

	pthread_mutex_lock(&rb->mu);
	for (;;) {
		while (TAILQ_EMPTY(&rb->todo) && !atomic_load(&rb->stop))
			pthread_cond_wait(&rb->work, &rb->mu);
		if (atomic_load(&rb->stop))
			break;
		j = TAILQ_FIRST(&rb->todo);
		TAILQ_REMOVE(&rb->todo, j, entry);
		pthread_mutex_unlock(&rb->mu);
		run_job(rb->st, &rb->stop, j);
		pthread_mutex_lock(&rb->mu);
		TAILQ_INSERT_TAIL(&rb->done, j, entry);
		if (rb->wake != NULL)
			rb->wake(rb->arg);
	}
	pthread_mutex_unlock(&rb->mu);
	return NULL;
}

struct rebuilder *
rebuilder_new(const char *path, void (*wake)(void *), void *arg, char *err,
    size_t errlen)
{
	struct rebuilder *rb;
	sigset_t all, old;
	int rc;

	if ((rb = calloc(1, sizeof(*rb))) == NULL) {
		errmsg_set(err, errlen, "out of memory");
		return NULL;
	}
	if ((rb->st = store_open_reader(path, err, errlen)) == NULL) {
		free(rb);
		return NULL;
	}
	TAILQ_INIT(&rb->todo);
	TAILQ_INIT(&rb->done);
	atomic_init(&rb->stop, 0);
	rb->wake = wake;
	rb->arg = arg;
	pthread_mutex_init(&rb->mu, NULL);
	pthread_cond_init(&rb->work, NULL);
	/* signals go to the loop's thread, whose poll(2) they end */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&rb->thread, NULL, rebuilder_main, rb);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		errmsg_set(err, errlen, "cannot start the rebuild thread: %s",
		    strerror(rc));
		pthread_cond_destroy(&rb->work);
		pthread_mutex_destroy(&rb->mu);
		store_close(rb->st);
		free(rb);
		return NULL;
	}
	return rb;
}

void
rebuilder_quiet(struct rebuilder *rb)
{
	pthread_mutex_lock(&rb->mu);
	rb->wake = NULL;
	pthread_mutex_unlock(&rb->mu);
}

void
rebuilder_free(struct rebuilder *rb)
{
	struct rjob *j;

	if (rb == NULL)
		return;
	pthread_mutex_lock(&rb->mu);
	atomic_store(&rb->stop, 1);
	pthread_cond_signal(&rb->work);
	pthread_mutex_unlock(&rb->mu);
	pthread_join(rb->thread, NULL);
	while ((j = TAILQ_FIRST(&rb->todo)) != NULL) {
		TAILQ_REMOVE(&rb->todo, j, entry);
		rjob_free(j);
	}
	while ((j = TAILQ_FIRST(&rb->done)) != NULL) {
		TAILQ_REMOVE(&rb->done, j, entry);
		rjob_free(j);
	}
	pthread_cond_destroy(&rb->work);
	pthread_mutex_destroy(&rb->mu);
	store_close(rb->st);
	free(rb);
}

void
rebuilder_submit(struct rebuilder *rb, struct rjob *j)
{
	pthread_mutex_lock(&rb->mu);
	TAILQ_INSERT_TAIL(&rb->todo, j, entry);
	pthread_cond_signal(&rb->work);
	pthread_mutex_unlock(&rb->mu);
}

struct rjob *
rebuilder_poll(struct rebuilder *rb)
{
	struct rjob *j;

	pthread_mutex_lock(&rb->mu);
	if ((j = TAILQ_FIRST(&rb->done)) != NULL)
		TAILQ_REMOVE(&rb->done, j, entry);
	pthread_mutex_unlock(&rb->mu);
	return j;
}
