/*
 * writer.h: the thread that writes batches to the database, so that
 * detection (the event loop) and storage (this thread) run on two cores
 * (SPEC §4: "the writer may run in its own thread (and checkpoints with
 * it)").
 *
 * The design, kept simple on purpose: a classic double-buffered group
 * commit.  The event loop fills a batch (struct batch) with operations
 * (points, snapshots, a client made inactive) instead of writing them; to
 * commit, it hands the whole batch to the writer with writer_submit() and
 * goes on filling the other one.  The writer runs it in one transaction
 * (store_begin, the operations, store_commit; a WAL checkpoint, when one
 * falls due, runs inside that commit, so on this thread too), then gives
 * it back, marked failed or not, and calls the wake function so the loop
 * leaves poll(2).  At most one batch is in flight.
 *
 * The writer's store is the writer thread's alone while anomalyd runs:
 * every write the loop causes (points, snapshots, hellos, inactive
 * clients, deletions) is an operation of a batch, so SQLite's busy waits
 * (another process holding the database) happen on this thread, never on
 * the loop, but for a small batch the loop commits inline when the store
 * is free at once (writer_store_try(): never between a pruning step's
 * statements).  The loop reads through a read-only connection of its own
 * (srv->rd: WAL readers never wait for a writer), detector rebuilds run on
 * a thread of their own (rebuild.h), and the loop waits for the writer
 * (writer_wait()) only at start and shutdown.  The handoff of a batch goes
 * through one mutex and two condition variables, which also orders the
 * memory of the batch between the threads; while a batch is in flight the
 * loop may read its operations, never change them.
 */
#ifndef ANOMALYD_WRITER_H
#define ANOMALYD_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

enum wop_kind {
	WOP_POINT,		/* store_add_point(id, p) */
	WOP_SNAPSHOT,		/* store_snapshot_put(id, n, format, blob) */
	WOP_INACTIVE,		/* store_client_set_active(id, 0) */
	WOP_HELLO,		/* store_client_hello(id, n, settings, peer,
				 * p.received_ms): blob holds the settings
				 * text, a NUL, the peer, a NUL */
	WOP_KEY,		/* store_client_set_key(id, blob): blob
				 * holds the key hash, NUL-terminated */
	WOP_DELETE		/* store_client_delete(id), in a batch of
				 * deletions only, each in a transaction of
				 * its own: the writer sets found (its
				 * return) and n (the points deleted) */
};

/* One operation of a batch. */
struct wop {
	enum wop_kind	 kind;
	char		 id[STORE_ID_MAX + 1];
	struct store_point p;		/* WOP_POINT */
	int64_t		 n;		/* WOP_SNAPSHOT */
	int		 format;
	unsigned char	*blob;		/* malloc'ed, the batch frees it;
					 * WOP_KEY: the key hash */
	size_t		 len;
	uint64_t	 ticket;	/* WOP_DELETE: whose answer waits */
	int		 found;		/* WOP_DELETE: 1 deleted, 0 none, -1
					 * failed (why in the batch's why) */
};

/* A batch of operations, committed together or not at all. */
struct batch {
	uint64_t	 id;		/* rises by one per batch */
	struct wop	*ops;
	size_t		 nops, cap;
	size_t		 points;	/* WOP_POINT operations */
	int64_t		 since_us;	/* monotonic us of the first one */
	int		 failed;	/* set by the writer */
	char		 why[256];	/* when failed */
	uint64_t	 usec;		/* how long the commit took */
};

/* Sets up an empty batch with that id. */
void batch_init(struct batch *b, uint64_t id);
/* Appends a zeroed operation to b and returns it, or NULL when memory is
 * short. */
struct wop *batch_add(struct batch *b);
/* Drops the last operation batch_add() returned (its blob is freed). */
void batch_drop_last(struct batch *b);
/* Empties b (freeing the blobs), keeping its memory; the id stays. */
void batch_clear(struct batch *b);
/* Frees what b holds. */
void batch_free(struct batch *b);

/* Runs batch b on st in the calling thread: begin, every operation, commit;
 * sets b->failed and b->why when it could not be stored (then nothing of
 * it is), and b->usec.  A batch of WOP_DELETE operations runs each in a
 * transaction of its own and is never failed: each op says how it went. */
void batch_run(struct store *st, struct batch *b);

struct writer;

/* Starts the writer thread on st, which calls wake(arg) each time it has
 * finished a batch.  Returns it, or NULL with a message in err. */
struct writer *writer_new(struct store *st, void (*wake)(void *), void *arg,
    char *err, size_t errlen);
/* Waits for the batch in flight, if any, stops and joins the thread.  NULL
 * is a no-op. */
void writer_free(struct writer *w);
/* Turns pruning on (store_prune()): between batches, never delaying one
 * by more than a step of a few thousand rows, the writer deletes the
 * points received more than retain_ms ago (0: none so) and those of a
 * client beyond its last keep_points (0: none so). */
void writer_retain(struct writer *w, int64_t retain_ms, int64_t keep_points);
/* Points pruning deleted since start, its steps that failed (each rolled
 * back, tried again a second later) and the last failure's message (""
 * none). */
void writer_prune_stats(struct writer *w, uint64_t *pruned, uint64_t *failed,
    char *why, size_t whylen);
/* Makes the writer call wake no more (before what it wakes goes away). */
void writer_quiet(struct writer *w);
/* Takes the writer's store for the calling thread, if no batch is in
 * flight and no pruning step runs: returns 1 when it did (then only the
 * caller uses it until writer_store_release()), 0 at once otherwise.
 * The loop commits a batch inline only so. */
int writer_store_try(struct writer *w);
/* Gives back the store writer_store_try() took, having committed that
 * many points with it (pruning keeps pace with them). */
void writer_store_release(struct writer *w, size_t points);
/* Whether a batch is in flight.  Only the loop calls the writer_*
 * functions. */
int writer_busy(const struct writer *w);
/* Hands b to the writer thread; none may be in flight. */
void writer_submit(struct writer *w, struct batch *b);
/* The batch in flight once it is done (then none is in flight), or NULL
 * when it is not done yet or none is in flight.  Does not block. */
struct batch *writer_poll(struct writer *w);
/* Waits for the batch in flight and returns it (then none is), or NULL when
 * none is in flight. */
struct batch *writer_wait(struct writer *w);

#endif
