/*
 * commit.h: the group commit of SPEC §4, on the event loop's side.
 *
 * What must be stored goes into the filling batch (srv->fill) as
 * operations; the writer thread (writer.h) commits the batches one at a
 * time while the next one fills.  Every reply waits in its session's list,
 * tagged with the filling batch, until that batch is committed: so a
 * verdict goes out only after its point is committed, and replies keep
 * their order.  When a batch fails, the batch filled meanwhile cannot be
 * stored either (its ordinals follow the failed ones): every waiting reply
 * that answers stored points is replaced by its error alternative, the
 * filling batch is dropped, and the hooks' failed() rebuilds what the two
 * batches touched.  The loop never writes srv->st itself and never waits
 * for the writer but at start and shutdown (commit_drain()): when the
 * filling batch is full while the writer is busy, the sessions that fill
 * it stop being read (RXFLOW_BACKLOG) until the writer takes it.
 */
#ifndef ANOMALYD_COMMIT_H
#define ANOMALYD_COMMIT_H

#include <stddef.h>
#include <stdint.h>

#include "jsonbuf.h"
#include "server.h"
#include "writer.h"

/* Reasons of lws_rx_flow_control() besides lws's user bool (the
 * session's paused): the filling batch is full (commit.c), the client's
 * detector is being rebuilt (clients.c). */
#define RXFLOW_BACKLOG	(1 << 2)
#define RXFLOW_REBUILD	(1 << 3)

/* What the commit asks of the files above it, set at start-up. */
struct commit_hooks {
	/* The batches up to upto are committed. */
	void	(*committed)(struct server *srv, uint64_t upto);
	/* A batch failed and the filling one was dropped: the clients they
	 * touched must be rebuilt.  No batch is in flight. */
	void	(*failed)(struct server *srv);
	/* Asks that s be closed with code and reason once it is writable,
	 * dropping what it had queued when drop is set. */
	void	(*close)(struct session *s, int code, const char *reason,
		    int drop);
	/* The detector of s's client is rebuilt after its hello: its
	 * ready may go out. */
	void	(*ready)(struct server *srv, struct session *s);
	/* The deletion of client id with that ticket is done: found is 1
	 * (points deleted), 0 (no such client) or -1 (why says what
	 * failed). */
	void	(*deleted)(struct server *srv, const char *id, uint64_t ticket,
		    int found, int64_t points, const char *why);
};

/* Upper bounds of the commit latency histogram of srv->commits,
 * microseconds. */
extern const uint64_t commit_le[COMMIT_BUCKETS];

/* Sets up the two batches and the hooks (which must outlive srv). */
void commit_init(struct server *srv, const struct commit_hooks *hooks);
/* Frees the batches. */
void commit_free(struct server *srv);
/* A new operation of kind on client id in the filling batch, or NULL when
 * memory is short. */
struct wop *commit_op(struct server *srv, enum wop_kind kind, const char *id);
/* Queues the deletion of client id, which runs once what the batches
 * hold now is committed; hooks->deleted answers ticket.  Returns 0, or -1
 * when memory is short. */
int commit_delete(struct server *srv, const char *id, uint64_t ticket);
/* Appends a reply (out, with alt when holds) to s's waiting list; takes
 * the memory of both buffers.  Returns 0 or -1 when memory is short. */
int commit_reply(struct server *srv, struct session *s, struct jsonbuf *out,
    struct jsonbuf *alt, int holds);
/* Ends the message being handled: takes back a batch the writer has
 * finished, and hands the filling one to the writer when batch_rows points
 * are pending or the first of them has waited batch_ms, if the writer is
 * idle; when batch_rows are pending and the writer is busy, the sessions
 * with waiting replies are read no more until it takes the batch. */
void commit_message_done(struct server *srv);
/* Does not block: takes back a batch the writer has finished (its replies
 * go out, or become errors and rebuilds when it failed); then, when the
 * writer is idle, hands it the filling batch, or releases the waiting
 * replies when that one is empty.  Released replies move to their send
 * queue, ask for writeable and mark the session for ws_write_now(). */
void commit_flush(struct server *srv);
/* Blocks until everything judged so far is committed (or failed) and every
 * waiting reply is released: afterwards the writer is idle.  For start and
 * shutdown only: never on a path a peer can trigger.  Returns 0, or -1
 * when a batch failed. */
int commit_drain(struct server *srv);
/* The database file is gone (why says how): logs it once and sets
 * srv->gone, after which /healthz fails and points get "not stored". */
void commit_db_gone(struct server *srv, const char *why);

#endif
