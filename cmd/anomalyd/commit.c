/*
 * commit.c: the group commit, the replies that wait for it and the commit
 * histogram (see commit.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "alert.h"
#include "commit.h"
#include "log.h"
#include "reply.h"
#include "webhook.h"
#include "writer.h"

/* A batch of at most this many operations found with the writer idle at
 * the end of a pass is committed on the loop itself, if the database is
 * free at once and the writer is not pruning (writer_store_try()): a lone
 * send-and-wait client's point then costs no handoff to the writer thread
 * and back.  If another process holds the database, or a pruning step
 * runs, the batch goes to the writer; the loop never waits. */
#define INLINE_OPS	2

const uint64_t commit_le[COMMIT_BUCKETS] = {
	250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 1000000
};

void
commit_init(struct server *srv, const struct commit_hooks *hooks)
{
	srv->hooks = hooks;
	batch_init(&srv->bufs[0], 1);
	batch_init(&srv->bufs[1], 0);
	batch_init(&srv->dels, 0);
	srv->fill = &srv->bufs[0];
}

void
commit_free(struct server *srv)
{
	batch_free(&srv->bufs[0]);
	batch_free(&srv->bufs[1]);
	batch_free(&srv->dels);
}

int
commit_delete(struct server *srv, const char *id, uint64_t ticket)
{
	struct wop *op;

	if ((op = batch_add(&srv->dels)) == NULL)
		return -1;
	op->kind = WOP_DELETE;
	snprintf(op->id, sizeof(op->id), "%s", id);
	op->ticket = ticket;
	return 0;
}

struct wop *
commit_op(struct server *srv, enum wop_kind kind, const char *id)
{
	struct batch *b = srv->fill;
	struct wop *op;

	if ((op = batch_add(b)) == NULL)
		return NULL;
	op->kind = kind;
	snprintf(op->id, sizeof(op->id), "%s", id);
	if (b->nops == 1)
		b->since_us = clock_mono_us();
	if (kind == WOP_POINT)
		b->points++;
	return op;
}

/* Counts a commit of that many points that took us microseconds, for
 * /metrics. */
static void
counted(struct server *srv, size_t points, uint64_t us)
{
	struct commit_stats *cs = &srv->commits;
	size_t i;

	cs->count++;
	cs->points += points;
	cs->usec += us;
	for (i = 0; i < COMMIT_BUCKETS; i++)
		if (us <= commit_le[i])
			cs->le[i]++;
}

void
commit_db_gone(struct server *srv, const char *why)
{
	if (srv->gone)
		return;
	srv->gone = 1;
	snprintf(srv->gone_why, sizeof(srv->gone_why), "%s", why);
	logmsg(0, "%s: %s: points are no longer stored or acknowledged; "
	    "restart anomalyd", srv->dbpath, why);
}

int
commit_reply(struct server *srv, struct session *s, struct jsonbuf *out,
    struct jsonbuf *alt, int holds)
{
	struct reply *r;

	if (out->oom || (holds && alt->oom) || out->mem == NULL ||
	    (r = calloc(1, sizeof(*r))) == NULL) {
		jsonbuf_free(out);
		jsonbuf_free(alt);
		return -1;
	}
	r->mem = out->mem;
	r->len = out->len;
	jsonbuf_init(out, out->headroom);
	if (holds) {
		r->alt = alt->mem;
		r->altlen = alt->len;
		jsonbuf_init(alt, alt->headroom);
	} else
		jsonbuf_free(alt);
	r->batch = srv->fill->id;
	if (srv->failed)	/* a batch failed while the message was read */
		reply_fail(r, srv->fail_why);
	STAILQ_INSERT_TAIL(&s->waiting, r, entry);
	r->held = r->len;
	s->held += r->len;
	if (!s->is_dirty) {
		s->is_dirty = 1;
		TAILQ_INSERT_TAIL(&srv->dirty, s, dirty);
	}
	return 0;
}

/* Moves the waiting replies of batches up to upto to their send queues,
 * asks for writeable and marks their sessions for ws_write_now(); closes
 * those too slow to read them. */
static void
release(struct server *srv, uint64_t upto)
{
	struct session *s, *next;
	struct reply *r;
	int moved;

	for (s = TAILQ_FIRST(&srv->dirty); s != NULL; s = next) {
		next = TAILQ_NEXT(s, dirty);
		moved = 0;
		while ((r = STAILQ_FIRST(&s->waiting)) != NULL &&
		    r->batch <= upto) {
			STAILQ_REMOVE_HEAD(&s->waiting, entry);
			s->held -= r->held;
			free(r->alt);
			r->alt = NULL;
			STAILQ_INSERT_TAIL(&s->sendq, r, entry);
			s->queued += r->len;
			moved = 1;
		}
		if (STAILQ_EMPTY(&s->waiting)) {
			TAILQ_REMOVE(&srv->dirty, s, dirty);
			s->is_dirty = 0;
		}
		if (!moved)
			continue;
		if (s->close_code == 0 && s->queued > srv->cfg.max_pending &&
		    STAILQ_NEXT(STAILQ_FIRST(&s->sendq), entry) != NULL) {
			logmsg(0, "%s: %zu bytes of replies wait: too slow",
			    s->client != NULL ? s->client->id : s->peer,
			    s->queued);
			srv->hooks->close(s, 4008, "too slow", 1);
		} else if (!s->paused && s->queued > srv->cfg.max_pending / 2) {
			/* read no more from it until its replies drain */
			s->paused = 1;
			s->wrote_ms = clock_wall_ms();
			lws_rx_flow_control(s->wsi, 0);
		}
		lws_callback_on_writable(s->wsi);
		if (!s->is_kicked) {
			s->is_kicked = 1;
			TAILQ_INSERT_TAIL(&srv->kick, s, kick);
		}
	}
}

/* A batch failed (and was rolled back), so the filling one cannot be
 * stored either: every waiting reply that answers stored points becomes
 * its error, the filling batch is dropped, and the clients the two touched
 * are rebuilt (hooks->failed).  No batch is in flight. */
static void
fail_now(struct server *srv, const char *why)
{
	struct session *s;
	struct reply *r;
	char err[256];

	if (store_file_check(srv->st, err, sizeof(err)) == -1)
		commit_db_gone(srv, err);	/* says it once */
	else
		logmsg(0, "store: %s", why);
	snprintf(srv->fail_why, sizeof(srv->fail_why), "%s", why);
	srv->nfailed++;		/* a batch message in slices learns of it */
	TAILQ_FOREACH(s, &srv->dirty, dirty)
		STAILQ_FOREACH(r, &s->waiting, entry)
			reply_fail(r, why);
	batch_clear(srv->fill);
	srv->hooks->failed(srv);
	release(srv, UINT64_MAX);
}

/* Takes back batch b, which the writer has run.  Returns 0, or -1 when it
 * failed. */
static int
complete(struct server *srv, struct batch *b)
{
	size_t i;
	int rc = 0;

	if (b == NULL)
		return 0;
	if (b->nops > 0 && b->ops[0].kind == WOP_DELETE) {
		for (i = 0; i < b->nops; i++)
			srv->hooks->deleted(srv, b->ops[i].id, b->ops[i].ticket,
			    b->ops[i].found, b->ops[i].n, b->why);
		batch_clear(b);
		return 0;
	}
	if (b->points > 0)
		counted(srv, b->points, b->usec);
	if (b->failed) {
		fail_now(srv, b->why);
		rc = -1;
	} else {
		srv->hooks->committed(srv, b->id);
		alert_committed(srv, b);
		webhook_committed(srv, b);
		release(srv, b->id);
	}
	batch_clear(b);
	return rc;
}

/* Reads the sessions held by the backlog again. */
static void
backlog_end(struct server *srv)
{
	struct session *s;

	if (!srv->backlog)
		return;
	srv->backlog = 0;
	TAILQ_FOREACH(s, &srv->sessions, all)
		lws_rx_flow_control(s->wsi, LWS_RXFLOW_REASON_APPLIES_ENABLE |
		    RXFLOW_BACKLOG);
}

/* Hands the filling batch to the writer, which must be idle, and fills the
 * other one; releases the waiting replies instead when it is empty. */
static void
submit(struct server *srv)
{
	struct batch *b = srv->fill;
	struct wop *ops;
	size_t cap;

	if (b->nops == 0) {
		release(srv, UINT64_MAX);
		backlog_end(srv);
		if (srv->dels.nops == 0)
			return;
		/* what was judged before the deletions is committed: they
		 * go in the empty filling batch, alone */
		ops = b->ops;
		cap = b->cap;
		b->ops = srv->dels.ops;
		b->nops = srv->dels.nops;
		b->cap = srv->dels.cap;
		srv->dels.ops = ops;
		srv->dels.cap = cap;
		srv->dels.nops = 0;
	}
	srv->fill = b == &srv->bufs[0] ? &srv->bufs[1] : &srv->bufs[0];
	batch_clear(srv->fill);
	srv->fill->id = b->id + 1;
	writer_submit(srv->wr, b);
	backlog_end(srv);
}

void
commit_flush(struct server *srv)
{
	struct batch *b;
	struct session *s;
	int busy;

	/* at the end of a pass, as release() does for what it queues: the
	 * replies that wait for a commit count too, since the writer may
	 * hold them over several passes */
	TAILQ_FOREACH(s, &srv->dirty, dirty)
		if (!s->paused && s->queued + s->held >
		    srv->cfg.max_pending / 2) {
			s->paused = 1;
			s->wrote_ms = clock_wall_ms();
			lws_rx_flow_control(s->wsi, 0);
		}
	complete(srv, writer_poll(srv->wr));
	if (writer_busy(srv->wr))
		return;
	b = srv->fill;
	if (b->nops == 0 || b->nops > INLINE_OPS ||
	    !writer_store_try(srv->wr)) {
		/* or the writer is pruning: it takes the batch next */
		submit(srv);
		return;
	}
	/* the writer is idle: the store is ours, but for no busy wait */
	srv->fill = b == &srv->bufs[0] ? &srv->bufs[1] : &srv->bufs[0];
	batch_clear(srv->fill);
	srv->fill->id = b->id + 1;
	store_busy_wait(srv->st, 0);
	batch_run(srv->st, b);
	store_busy_wait(srv->st, -1);
	busy = b->failed && store_busy(srv->st);
	writer_store_release(srv->wr, b->failed ? 0 : b->points);
	if (busy) {
		/* locked by another process: nothing of it is stored; the
		 * writer tries again, and waits */
		b->failed = 0;
		b->why[0] = '\0';
		writer_submit(srv->wr, b);
		return;
	}
	complete(srv, b);
}

int
commit_drain(struct server *srv)
{
	int rc = 0;

	if (complete(srv, writer_wait(srv->wr)) == -1)
		rc = -1;
	while (srv->fill->nops > 0 || srv->dels.nops > 0) {
		submit(srv);
		if (complete(srv, writer_wait(srv->wr)) == -1)
			rc = -1;
	}
	release(srv, UINT64_MAX);
	return rc;
}

/* The writer lags (or waits for a lock): rather than let the filling
 * batch grow, or wait for the writer, reads no more from the sessions
 * that fill it until the writer takes it (backlog_end()). */
static void
backlog(struct server *srv)
{
	struct session *s;

	srv->backlog = 1;
	TAILQ_FOREACH(s, &srv->dirty, dirty)
		lws_rx_flow_control(s->wsi, LWS_RXFLOW_REASON_APPLIES_DISABLE |
		    RXFLOW_BACKLOG);
}

void
commit_message_done(struct server *srv)
{
	struct batch *b = srv->fill;

	srv->failed = 0;
	complete(srv, writer_poll(srv->wr));
	if (b->nops == 0)
		return;
	if (b->points >= srv->cfg.batch_rows) {
		if (!writer_busy(srv->wr))
			submit(srv);
		else
			backlog(srv);
	} else if (!writer_busy(srv->wr) &&
	    clock_mono_us() - b->since_us >= srv->cfg.batch_us)
		submit(srv);
}
