/*
 * rebuild.h: the thread that rebuilds detectors from the database, off
 * the event loop (issue 16 item 3).  A client whose detector must be
 * rebuilt (a hello with changed settings, a client not in memory, a
 * failed batch) gets a job; the thread reads, through a read-only
 * connection of its own, the client's row, its snapshot and the values
 * after it, replays them into a new detector and hands the job back,
 * calling the wake function so that the loop leaves poll(2).  The loop
 * submits a job only once every operation of the client is committed, so
 * what the thread reads is the client's whole history.  Jobs run one at a
 * time, in the order submitted.
 */
#ifndef ANOMALYD_REBUILD_H
#define ANOMALYD_REBUILD_H

#include <sys/queue.h>

#include <stdint.h>

#include "detect.h"
#include "store.h"

/* A rebuild: what the loop asks, what the thread answers. */
struct rjob {
	TAILQ_ENTRY(rjob) entry;
	void		*owner;		/* the loop's: its client, NULL once
					 * the result is unwanted */
	char		 id[STORE_ID_MAX + 1];
	struct detect_settings set;
	int		 snap_ok;	/* its snapshot may be used */
	/* the answer */
	struct detector	*det;		/* NULL when it failed */
	char		 why[256];	/* when it failed */
	int		 pruned;	/* it failed for want of the points
					 * retention pruned: for good */
	int64_t		 points;	/* stored points */
	int64_t		 last_seq;
	int64_t		 snap_n;	/* ordinal of the snapshot used, 0 */
	int		 has_ts;	/* ts is the last point's timestamp */
	struct store_ts	 ts;
	int64_t		 usec;		/* how long it took */
};

struct rebuilder;

/* Opens a read-only connection to the database at path and starts the
 * thread, which calls wake(arg) each time it has finished a job.  Returns
 * it, or NULL with a message in err. */
struct rebuilder *rebuilder_new(const char *path, void (*wake)(void *),
    void *arg, char *err, size_t errlen);
/* Makes the thread call wake no more (before what it wakes goes away). */
void rebuilder_quiet(struct rebuilder *rb);
/* Stops the thread (a replay under way gives up within 65536 values),
 * frees the jobs not taken back and closes its connection.  NULL is a
 * no-op. */
void rebuilder_free(struct rebuilder *rb);
/* Queues job j (id, set, snap_ok and owner filled in). */
void rebuilder_submit(struct rebuilder *rb, struct rjob *j);
/* A finished job, or NULL when none is.  Does not block. */
struct rjob *rebuilder_poll(struct rebuilder *rb);
/* Frees job j and the detector it holds. */
void rjob_free(struct rjob *j);

#endif
