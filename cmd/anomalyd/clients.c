/*
 * clients.c: the registry of connected clients, their detectors, the group
 * commit and the replies that wait for it (SPEC §3.1, §4).
 *
 * Points are judged here, on the event loop, and what must be stored goes
 * into the filling batch (srv->fill) as operations; the writer thread
 * (writer.h) commits the batches one at a time while the next one fills.
 * Every reply waits in its session's list, tagged with the filling batch,
 * until that batch is committed: so a verdict goes out only after its
 * point is committed (SPEC §4), and replies keep their order.  When a batch
 * fails, the batch filled meanwhile cannot be stored either (its ordinals
 * follow the failed ones): every waiting reply that answers stored points
 * is replaced by its error alternative, prepared with it, the filling batch
 * is dropped, and the detectors of the clients the two batches touched are
 * rebuilt from the database.  The loop uses srv->st itself (hellos,
 * rebuilds, duplicates) only after drain(), when no batch is in flight.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anomalyd.h"
#include "errmsg.h"

#define NBUCKETS	4096

/* A batch of at most this many operations found with the writer idle at
 * the end of a pass is committed on the loop itself: a lone send-and-wait
 * client's point then costs no handoff to the writer thread and back. */
#define INLINE_OPS	2

/* The error of a point that was not stored, with a placeholder reason:
 * jsonbuf_put_string() writes \001 as \u0001, which no client string can
 * produce after "error":" (a quote inside a string is escaped). */
static const char NOT_STORED[] = "not stored: \001";
static const char PLACEHOLDER[] = "\"error\":\"not stored: \\u0001\"";

static size_t
bucket_of(const struct server *srv, const char *id)
{
	uint32_t h = 2166136261u;

	while (*id != '\0')
		h = (h ^ (unsigned char)*id++) * 16777619u;
	return h % srv->nbuckets;
}

int
clients_init(struct server *srv)
{
	size_t i;

	srv->nbuckets = NBUCKETS;
	srv->buckets = calloc(srv->nbuckets, sizeof(*srv->buckets));
	if (srv->buckets == NULL)
		return -1;
	for (i = 0; i < srv->nbuckets; i++)
		LIST_INIT(&srv->buckets[i]);
	LIST_INIT(&srv->touched);
	batch_init(&srv->bufs[0], 1);
	batch_init(&srv->bufs[1], 0);
	srv->fill = &srv->bufs[0];
	return 0;
}

static void
client_free(struct client *c)
{
	LIST_REMOVE(c, hash);
	if (c->in_tx)
		LIST_REMOVE(c, touched);
	detector_free(c->det);
	free(c);
}

void
clients_free(struct server *srv)
{
	struct client *c;
	size_t i;

	for (i = 0; i < srv->nbuckets; i++)
		while ((c = LIST_FIRST(&srv->buckets[i])) != NULL)
			client_free(c);
	free(srv->buckets);
	srv->buckets = NULL;
	batch_free(&srv->bufs[0]);
	batch_free(&srv->bufs[1]);
}

static struct client *
client_find(struct server *srv, const char *id)
{
	struct client *c;

	LIST_FOREACH(c, &srv->buckets[bucket_of(srv, id)], hash)
		if (strcmp(c->id, id) == 0)
			return c;
	return NULL;
}

static void
touch(struct server *srv, struct client *c)
{
	c->batch = srv->fill->id;
	if (!c->in_tx) {
		c->in_tx = 1;
		LIST_INSERT_HEAD(&srv->touched, c, touched);
	}
}

/* Batch done was committed: its clients without operations in a later
 * batch are no longer touched. */
static void
untouch_upto(struct server *srv, uint64_t done)
{
	struct client *c, *next;

	for (c = LIST_FIRST(&srv->touched); c != NULL; c = next) {
		next = LIST_NEXT(c, touched);
		if (c->batch <= done) {
			LIST_REMOVE(c, touched);
			c->in_tx = 0;
		}
	}
}

/* A new operation of kind on client id in the filling batch, or NULL when
 * memory is short. */
static struct wop *
op_new(struct server *srv, enum wop_kind kind, const char *id)
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

/* ------------------------------------------------------------ rebuild */

static int
replay_one(void *arg, int64_t n, double value)
{
	struct detect_verdict v;

	(void)n;
	return detector_push(arg, value, &v, NULL, 0) == -1 ? 1 : 0;
}

/* Rebuilds c's detector from the stored client sc: from its snapshot when
 * snap_ok and one loads, else from nothing, then the stored values after
 * it.  Returns 0, or -1 with why (c->det is then NULL). */
static int
rebuild(struct server *srv, struct client *c, const struct store_client *sc,
    int snap_ok, char *why, size_t whylen)
{
	struct detector *d = NULL;
	unsigned char *blob = NULL;
	size_t len;
	int64_t n = 0, after = 0;
	int format, rc;

	detector_free(c->det);
	c->det = NULL;
	c->snap_n = 0;
	if (snap_ok && store_snapshot_get(srv->st, c->id, &n, &format, &blob,
	    &len, why, whylen) == 1 && format == DETECT_STATE_FORMAT &&
	    n <= sc->points) {
		d = detector_load(c->id, strlen(c->id), &c->set, blob, len,
		    NULL, 0);
		if (d != NULL)
			after = c->snap_n = n;
	}
	free(blob);
	if (d == NULL && (d = detector_new(c->id, strlen(c->id), &c->set,
	    why, whylen)) == NULL)
		return -1;
	rc = store_values_each(srv->st, c->id, after, replay_one, d, why,
	    whylen);
	if (rc == 0 && detector_count(d) != (uint64_t)sc->points) {
		errmsg_set(why, whylen, "client %s: stored points are not "
		    "contiguous", c->id);
		rc = -1;
	} else if (rc > 0)
		errmsg_set(why, whylen, "client %s: a stored value is not "
		    "finite", c->id);
	if (rc != 0) {
		detector_free(d);
		return -1;
	}
	detector_set_last_alert(d, (uint64_t)sc->last_alert_n);
	c->det = d;
	c->last_seq = sc->last_seq;
	logmsg(srv, 1, "client %s: rebuilt from %s at %lld, %lld points",
	    c->id, after > 0 ? "snapshot" : "start", (long long)after,
	    (long long)sc->points);
	return 0;
}

/* Rebuilds c from what the database holds now. */
static int
reload(struct server *srv, struct client *c, char *why, size_t whylen)
{
	struct store_client *sc;
	int rc;

	if ((sc = malloc(sizeof(*sc))) == NULL) {
		errmsg_set(why, whylen, "out of memory");
		return -1;
	}
	rc = store_client_get(srv->st, c->id, sc, why, whylen);
	if (rc == 0)
		errmsg_set(why, whylen, "client %s is not stored", c->id);
	rc = rc == 1 ? rebuild(srv, c, sc, 1, why, whylen) : -1;
	free(sc);
	return rc;
}

/* Adds c's snapshot to the filling batch, after c's points in it.  A
 * snapshot is only a cache: when memory is short there is none. */
static void
snapshot(struct server *srv, struct client *c)
{
	unsigned char *buf;
	struct wop *op;
	size_t len;
	int64_t n;

	if (c->det == NULL || (n = (int64_t)detector_count(c->det)) == 0 ||
	    n == c->snap_n)
		return;
	len = detector_state_size(c->det);
	if ((buf = malloc(len)) == NULL)
		return;
	if ((op = op_new(srv, WOP_SNAPSHOT, c->id)) == NULL) {
		free(buf);
		return;
	}
	detector_save(c->det, buf);
	op->n = n;
	op->format = DETECT_STATE_FORMAT;
	op->blob = buf;
	op->len = len;
	c->snap_n = n;	/* a failed batch rebuilds c, snap_n with it */
}

/* ------------------------------------------------------------ replies */

void
replyq_free(struct replyq *q)
{
	struct reply *r;

	while ((r = STAILQ_FIRST(q)) != NULL) {
		STAILQ_REMOVE_HEAD(q, entry);
		free(r->mem);
		free(r->alt);
		free(r);
	}
}

static void reply_fail(struct reply *r, const char *why);

int
reply_wait(struct server *srv, struct session *s, struct jsonbuf *out,
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

/* The first placeholder in [p, end), or NULL. */
static const char *
find(const char *p, const char *end)
{
	size_t n = sizeof(PLACEHOLDER) - 1;

	for (; (size_t)(end - p) >= n; p++)
		if (*p == '"' && memcmp(p, PLACEHOLDER, n) == 0)
			return p;
	return NULL;
}

/* Replaces r by its error alternative, the placeholder reason by why. */
static void
reply_fail(struct reply *r, const char *why)
{
	static const size_t plen = sizeof(PLACEHOLDER) - 1;
	struct jsonbuf e;
	char msg[300], *mem, *o;
	const char *t, *p, *end, *hit;
	size_t n = 0, elen;

	if (r->alt == NULL)
		return;
	snprintf(msg, sizeof(msg), "not stored: %s", why);
	jsonbuf_init(&e, 0);
	if (jsonbuf_put_string(&e, msg, strlen(msg)) == -1) {
		jsonbuf_free(&e);
		return;		/* the placeholder text stays */
	}
	elen = e.len + 8;	/* "error": and the string */
	t = r->alt + LWS_PRE;
	end = t + r->altlen;
	for (p = t; (hit = find(p, end)) !=
	    NULL; p = hit + plen)
		n++;
	if ((mem = malloc(LWS_PRE + r->altlen - n * plen + n * elen + 1)) ==
	    NULL) {
		jsonbuf_free(&e);
		return;
	}
	o = mem + LWS_PRE;
	for (p = t; p < end; p = hit + plen) {
		if ((hit = find(p, end)) ==
		    NULL) {
			memcpy(o, p, (size_t)(end - p));
			o += end - p;
			break;
		}
		memcpy(o, p, (size_t)(hit - p));
		o += hit - p;
		memcpy(o, "\"error\":", 8);
		memcpy(o + 8, jsonbuf_text(&e), e.len);
		o += elen;
	}
	*o = '\0';
	jsonbuf_free(&e);
	free(r->mem);
	free(r->alt);
	r->mem = mem;
	r->len = (size_t)(o - (mem + LWS_PRE));
	r->alt = NULL;
	r->altlen = 0;
}

/* Moves the waiting replies of batches up to upto to their send queues,
 * asks for writeable and marks their sessions for ws_write_now(). */
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
			logmsg(srv, 0, "%s: %zu bytes of replies wait: too slow",
			    s->client != NULL ? s->client->id : s->peer,
			    s->queued);
			session_close(s, 4008, "too slow", 1);
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
 * are rebuilt from the database; those that speak protocol 2 must resend
 * from their last stored seq + 1 (SPEC §2.3).  No batch is in flight. */
static void
fail_now(struct server *srv, const char *why)
{
	struct session *s;
	struct reply *r;
	struct client *c;
	char err[256];

	if (store_file_check(srv->st, err, sizeof(err)) == -1)
		db_gone(srv, err);	/* says it once */
	else
		logmsg(srv, 0, "store: %s", why);
	snprintf(srv->fail_why, sizeof(srv->fail_why), "%s", why);
	TAILQ_FOREACH(s, &srv->dirty, dirty)
		STAILQ_FOREACH(r, &s->waiting, entry)
			reply_fail(r, why);
	batch_clear(srv->fill);
	while ((c = LIST_FIRST(&srv->touched)) != NULL) {
		LIST_REMOVE(c, touched);
		c->in_tx = 0;
		if (reload(srv, c, err, sizeof(err)) == -1)
			logmsg(srv, 0, "client %s: rebuild: %s", c->id, err);
		if (c->sess != NULL && c->sess->v2)
			c->resend = 1;
	}
	release(srv, UINT64_MAX);
}

/* Takes back batch b, which the writer has run.  Returns 0, or -1 when it
 * failed. */
static int
complete(struct server *srv, struct batch *b)
{
	int rc = 0;

	if (b == NULL)
		return 0;
	if (b->points > 0)
		commit_counted(srv, b->points, b->usec);
	if (b->failed) {
		fail_now(srv, b->why);
		rc = -1;
	} else {
		untouch_upto(srv, b->id);
		release(srv, b->id);
	}
	batch_clear(b);
	return rc;
}

/* Hands the filling batch to the writer, which must be idle, and fills the
 * other one; releases the waiting replies instead when it is empty. */
static void
submit(struct server *srv)
{
	struct batch *b = srv->fill;

	if (b->nops == 0) {
		release(srv, UINT64_MAX);
		return;
	}
	srv->fill = b == &srv->bufs[0] ? &srv->bufs[1] : &srv->bufs[0];
	batch_clear(srv->fill);
	srv->fill->id = b->id + 1;
	writer_submit(srv->wr, b);
}

void
flush(struct server *srv)
{
	struct batch *b;
	struct session *s;

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
	if (b->nops == 0 || b->nops > INLINE_OPS) {
		submit(srv);
		return;
	}
	/* the writer is idle: the store is ours */
	srv->fill = b == &srv->bufs[0] ? &srv->bufs[1] : &srv->bufs[0];
	batch_clear(srv->fill);
	srv->fill->id = b->id + 1;
	batch_run(srv->st, b);
	complete(srv, b);
}

int
drain(struct server *srv)
{
	int rc = 0;

	if (complete(srv, writer_wait(srv->wr)) == -1)
		rc = -1;
	if (srv->fill->nops > 0) {
		submit(srv);
		if (complete(srv, writer_wait(srv->wr)) == -1)
			rc = -1;
	}
	release(srv, UINT64_MAX);
	return rc;
}

void
message_done(struct server *srv)
{
	struct batch *b = srv->fill;

	srv->failed = 0;
	complete(srv, writer_poll(srv->wr));
	if (b->nops == 0)
		return;
	if (b->points >= srv->cfg.batch_rows) {
		/* the writer lags: wait for it rather than grow */
		complete(srv, writer_wait(srv->wr));
		submit(srv);
	} else if (!writer_busy(srv->wr) &&
	    clock_mono_us() - b->since_us >= srv->cfg.batch_us)
		submit(srv);
}

/* ------------------------------------------------------------- points */

static void
both_error(struct jsonbuf *out, struct jsonbuf *alt, const char *error,
    const struct proto_point *pt)
{
	proto_format_error(out, error, &pt->ts, pt->seq);
	proto_format_error(alt, error, &pt->ts, pt->seq);
}

static void
to_proto_ts(struct proto_ts *ts, const struct store_ts *sts)
{
	switch (sts->type) {
	case STORE_TS_INTEGER:
		proto_ts_integer(ts, sts->i);
		break;
	case STORE_TS_REAL:
		proto_ts_real(ts, sts->r);
		break;
	case STORE_TS_TEXT:
		proto_ts_text(ts, sts->text, sts->len);
		break;
	}
}

/* A protocol-2 point whose seq is not above the client's last one. */
static void
duplicate(struct server *srv, struct session *s, const struct proto_point *pt,
    struct jsonbuf *out, struct jsonbuf *alt)
{
	struct client *c = s->client;
	struct store_point sp;
	struct detect_verdict v;
	struct proto_ts ts;
	double warm;
	char err[256], msg[300];
	unsigned flags = PROTO_DUPLICATE | (s->detail ? PROTO_DETAIL : 0);
	int rc;

	rc = store_point_by_seq(srv->st, c->id, pt->seq, &sp, err, sizeof(err));
	if (rc == 0) {
		both_error(out, alt, "seq already used", pt);
		return;
	}
	if (rc == -1) {
		logmsg(srv, 0, "client %s: %s", c->id, err);
		snprintf(msg, sizeof(msg), "cannot read the stored point: %s",
		    err);
		both_error(out, alt, msg, pt);
		return;
	}
	to_proto_ts(&ts, &sp.ts);
	memset(&v, 0, sizeof(v));
	warm = c->set.param[DETECT_P_MIN_POINTS];
	if (warm > c->set.window)
		warm = c->set.window;
	v.n = (uint64_t)sp.n;
	v.warmup = (double)sp.n <= warm;
	v.votes = sp.votes;
	v.anomaly = sp.anomaly;
	v.alert = sp.alert;
	v.score = sp.score;
	proto_format_verdict(out, &ts, pt->seq, &v,
	    detect_computed_mask(&c->set), flags);
	proto_format_verdict(alt, &ts, pt->seq, &v,
	    detect_computed_mask(&c->set), flags);
}

static void
store_ts_of(struct store_ts *sts, const struct proto_ts *ts)
{
	switch (ts->type) {
	case PROTO_TS_INTEGER:
		sts->type = STORE_TS_INTEGER;
		sts->i = ts->i;
		break;
	case PROTO_TS_REAL:
		sts->type = STORE_TS_REAL;
		sts->r = ts->r;
		break;
	default:
		sts->type = STORE_TS_TEXT;
		sts->len = ts->len;
		memcpy(sts->text, ts->text, ts->len);
		sts->text[ts->len] = '\0';
		break;
	}
}

void
client_point(struct server *srv, struct session *s,
    const struct proto_point *pt, struct jsonbuf *out,
    struct jsonbuf *alt, int *holds)
{
	struct client *c = s->client;
	struct detect_verdict v;
	struct store_point *sp;
	struct wop *op;
	char err[256], msg[300];

	if (pt->error != NULL) {
		both_error(out, alt, pt->error, pt);
		return;
	}
	if (srv->gone) {
		/* nothing is stored any more: no batch, no resend */
		snprintf(msg, sizeof(msg), "not stored: %s", srv->gone_why);
		both_error(out, alt, msg, pt);
		return;
	}
	if (srv->failed)
		goto not_stored;
	if (c->det == NULL || (s->v2 && pt->seq > 0 &&
	    pt->seq <= c->last_seq)) {
		/* the store must be current and ours (a failure rebuilds) */
		if (drain(srv) == -1) {
			srv->failed = 1;
			goto not_stored;
		}
		/* after a failure c->last_seq is right only once c is
		 * rebuilt */
		if (c->det == NULL && reload(srv, c, err, sizeof(err)) == -1)
			goto refuse;
	}
	if (s->v2 && pt->seq > 0 && pt->seq <= c->last_seq) {
		duplicate(srv, s, pt, out, alt);
		return;
	}
	if (c->resend) {
		if (pt->seq != c->last_seq + 1) {
			snprintf(msg, sizeof(msg), "not stored: resend from "
			    "seq %lld", (long long)c->last_seq + 1);
			both_error(out, alt, msg, pt);
			return;
		}
		c->resend = 0;
	}
	if ((op = op_new(srv, WOP_POINT, c->id)) == NULL) {
		errmsg_set(err, sizeof(err), "out of memory");
		goto refuse;
	}
	if (detector_push(c->det, pt->value, &v, err, sizeof(err)) == -1) {
		batch_drop_last(srv->fill);
		goto refuse;
	}
	touch(srv, c);
	sp = &op->p;
	sp->n = (int64_t)v.n;
	sp->seq = pt->seq;
	store_ts_of(&sp->ts, &pt->ts);
	sp->value = pt->value;
	sp->anomaly = v.anomaly;
	sp->alert = v.alert;
	sp->score = v.score;
	sp->votes = v.votes;
	sp->received_ms = clock_wall_ms();
	if (sp->n % srv->cfg.snapshot_every == 0)
		snapshot(srv, c);
	if (pt->seq > 0)
		c->last_seq = pt->seq;
	proto_format_verdict(out, &pt->ts, pt->seq, &v,
	    detect_computed_mask(&c->set), s->detail ? PROTO_DETAIL : 0);
	proto_format_error(alt, NOT_STORED, &pt->ts, pt->seq);
	*holds = 1;
	return;

not_stored:
	/* the reply becomes its alternative when the message ends */
	proto_format_error(out, NOT_STORED, &pt->ts, pt->seq);
	proto_format_error(alt, NOT_STORED, &pt->ts, pt->seq);
	*holds = 1;
	return;
refuse:
	logmsg(srv, 0, "client %s: %s", c->id, err);
	snprintf(msg, sizeof(msg), "not stored: %s", err);
	both_error(out, alt, msg, pt);
	if (s->v2)
		c->resend = 1;
}

/* -------------------------------------------------------------- hello */

static int
settings_text(const struct detect_settings *set, char *buf, size_t len)
{
	struct jsonbuf b;
	int rc = -1;

	jsonbuf_init(&b, 0);
	if (proto_settings_format(&b, set) == 0 && b.len < len) {
		memcpy(buf, jsonbuf_text(&b), b.len + 1);
		rc = 0;
	}
	jsonbuf_free(&b);
	return rc;
}

int
client_hello(struct server *srv, struct session *s, const char *id,
    const struct proto_hello *h, int *code, char *why, size_t whylen)
{
	struct store_client *sc;
	struct detect_settings set;
	struct client *c;
	struct session *old;
	char text[STORE_SETTINGS_MAX], err[256];
	int found, same, rc = -1;

	*code = 1011;
	if (srv->gone) {
		errmsg_set(why, whylen, "database error: %s", srv->gone_why);
		return -1;
	}
	if ((sc = malloc(sizeof(*sc))) == NULL) {
		errmsg_set(why, whylen, "out of memory");
		return -1;
	}
	drain(srv);		/* the database is current and ours, a
				 * taken over session's points are
				 * committed */
	if ((found = store_client_get(srv->st, id, sc, err, sizeof(err))) ==
	    -1)
		goto dberr;
	c = client_find(srv, id);
	if (c != NULL)
		set = c->set;
	else if (found) {
		detect_settings_default(&set, (uint32_t)sc->window);
		if (proto_settings_parse(sc->settings, strlen(sc->settings),
		    &set, err, sizeof(err)) == -1)
			goto dberr;
	} else
		set = srv->cfg.defaults;
	proto_hello_apply(h, &set);
	if (set.window == 0) {
		*code = 4001;
		errmsg_set(why, whylen, "window missing");
		goto out;
	}
	if (detect_settings_check(&set, err, sizeof(err)) == -1) {
		*code = 4001;
		errmsg_set(why, whylen, "%s", err);
		goto out;
	}
	if (settings_text(&set, text, sizeof(text)) == -1) {
		errmsg_set(why, whylen, "settings too long");
		goto out;
	}
	same = found && sc->window == set.window &&
	    strcmp(sc->settings, text) == 0;
	if (store_client_hello(srv->st, id, set.window, text, s->peer,
	    clock_wall_ms(), sc, err, sizeof(err)) == -1)
		goto dberr;

	if (c != NULL && (old = c->sess) != s && old != NULL) {
		logmsg(srv, 1, "client %s: taken over from %s by %s", id,
		    old->peer, s->peer);
		old->client = NULL;
		replyq_free(&old->waiting);
		old->held = 0;
		session_close(old, 4002, "replaced", 1);
	}
	if (c == NULL) {
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			errmsg_set(why, whylen, "out of memory");
			goto out;
		}
		snprintf(c->id, sizeof(c->id), "%s", id);
		LIST_INSERT_HEAD(&srv->buckets[bucket_of(srv, id)], c, hash);
	}
	if (c->sess != s)
		c->resend = 0;	/* ready tells the new session where to go on */
	c->sess = s;
	s->client = c;
	if (c->det == NULL || memcmp(&c->set, &set, sizeof(set)) != 0) {
		c->set = set;
		if (rebuild(srv, c, sc, same, err, sizeof(err)) == -1)
			goto dberr;
	}
	logmsg(srv, 1, "hello %s window %u from %s (%lld points)", id,
	    set.window, s->peer, (long long)sc->points);
	rc = 0;
	goto out;
dberr:
	logmsg(srv, 0, "client %s: %s", id, err);
	/* the cause (disk full, I/O error) tells the client to retry */
	errmsg_set(why, whylen, "database error: %.80s", err);
out:
	free(sc);
	return rc;
}

int
client_connected(struct server *srv, const char *id)
{
	struct client *c = client_find(srv, id);

	return c != NULL && c->sess != NULL;
}

void
client_ready(struct server *srv, struct client *c, struct jsonbuf *out)
{
	struct store_point sp;
	struct proto_ts ts;
	char err[256];
	uint64_t n = c->det != NULL ? detector_count(c->det) : 0;
	int rc = 0;

	ts.type = PROTO_TS_NONE;
	if (n > 0 && drain(srv) == 0 && (rc = store_point_get(srv->st, c->id,
	    (int64_t)n, &sp, err, sizeof(err))) == 1)
		to_proto_ts(&ts, &sp.ts);
	else if (rc == -1)
		logmsg(srv, 0, "client %s: %s", c->id, err);
	proto_format_ready(out, c->id, c->set.window, c->last_seq, n, &ts);
}

void
client_detach(struct server *srv, struct session *s)
{
	struct client *c = s->client;

	if (c == NULL)
		return;
	s->client = NULL;
	c->sess = NULL;
	snapshot(srv, c);
	if (op_new(srv, WOP_INACTIVE, c->id) == NULL)
		logmsg(srv, 0, "client %s: out of memory: stays active", c->id);
	client_free(c);
}
