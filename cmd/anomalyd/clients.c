/*
 * clients.c: the registry of connected clients and their detectors (SPEC
 * §3.1): hellos, points judged and handed to the group commit (commit.h),
 * detectors rebuilt from the database (rebuild.h) when a hello changes the
 * settings or finds the client not in memory, or a batch fails.
 *
 * The loop only reads the database, through srv->rd, which sees what is
 * committed; what it needs of what is not (yet) is in memory.  A client
 * that disconnects is kept until its operations are committed, so that
 * one reconnecting at once finds its detector; a duplicate seq is looked
 * up in the batches first; ready's timestamp is kept with the client.  A
 * rebuild waits until the client's operations are committed, and its
 * session is not read meanwhile (RXFLOW_REBUILD).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients.h"
#include "clock.h"
#include "commit.h"
#include "errmsg.h"
#include "log.h"
#include "reply.h"
#include "writer.h"

#define NBUCKETS	4096
/* Bytes of disconnect snapshots one batch may hold: when many clients
 * leave at once, those beyond it leave none (issue 16). */
#define SNAP_CAP	(8u << 20)

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
	return 0;
}


/* The bytes of the memory budget a client of settings set holds: its
 * detector at its largest, and itself. */
static size_t
client_cost(const struct detect_settings *set)
{
	return sizeof(struct client) + detect_settings_memory(set);
}

/* Charges the budget for client c (NULL: a new one) about to judge by
 * set: takes what it needs beyond what it holds, into *taken.  Returns
 * 0, or -1 with code 1013 and why when the budget cannot hold it
 * (nothing taken). */
static int
client_charge(struct server *srv, const struct client *c, const char *id,
    const struct detect_settings *set, size_t *taken, int *code, char *why,
    size_t whylen)
{
	size_t need = client_cost(set), had = c != NULL ? c->charged : 0;

	*taken = 0;
	if (need <= had)
		return 0;
	if (budget_take(&srv->budget, need - had) == -1) {
		logmsg(0, "client %s: hello refused: %s (%zu bytes wanted, "
		    "%zu of %zu used)", id, BUDGET_REASON, need - had,
		    srv->budget.used, srv->budget.max);
		*code = BUDGET_CODE;
		errmsg_set(why, whylen, BUDGET_REASON);
		return -1;
	}
	*taken = need - had;
	return 0;
}

/* Client c now judges by set and holds what client_charge() took: gives
 * back what it held beyond that. */
static void
client_charged(struct server *srv, struct client *c,
    const struct detect_settings *set)
{
	size_t need = client_cost(set);

	if (c->charged > need)
		budget_give(&srv->budget, c->charged - need);
	c->charged = need;
}

/* Drops the rebuild c waits for, if any. */
static void
cancel(struct client *c)
{
	if (c->job != NULL)
		c->job->owner = NULL;	/* freed when it comes back */
	c->job = NULL;
	c->want = 0;
}

static void
client_free(struct server *srv, struct client *c)
{
	budget_give(&srv->budget, c->charged);
	cancel(c);
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
			client_free(srv, c);
	free(srv->buckets);
	srv->buckets = NULL;
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

/* ------------------------------------------------------------ rebuild */

/* Holds (or reads again) the input of c's session while its detector is
 * being rebuilt. */
static void
hold_input(struct client *c, int hold)
{
	if (c->sess != NULL && c->sess->wsi != NULL)
		lws_rx_flow_control(c->sess->wsi, (hold ?
		    LWS_RXFLOW_REASON_APPLIES_DISABLE :
		    LWS_RXFLOW_REASON_APPLIES_ENABLE) | RXFLOW_REBUILD);
}

/* Hands c's rebuild to the rebuild thread once it is wanted and c has no
 * operation left to commit. */
static void
start_rebuild(struct server *srv, struct client *c)
{
	struct rjob *j;

	if (!c->want || c->in_tx || c->job != NULL)
		return;
	c->want = 0;
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		snprintf(c->why, sizeof(c->why), "out of memory");
		logmsg(0, "client %s: rebuild: out of memory", c->id);
		if (c->greet && c->sess != NULL)
			srv->hooks->close(c->sess, 1011, "out of memory", 1);
		c->greet = 0;
		hold_input(c, 0);
		return;
	}
	j->owner = c;
	snprintf(j->id, sizeof(j->id), "%s", c->id);
	j->set = c->set;
	j->snap_ok = c->snap_ok;
	c->job = j;
	rebuilder_submit(srv->rb, j);
}

/* Rebuilds c's detector from the database, off the loop: drops the one it
 * has, holds its session's input, and starts once c's operations are
 * committed. */
static void
want_rebuild(struct server *srv, struct client *c, int snap_ok)
{
	cancel(c);
	detector_free(c->det);
	c->det = NULL;
	c->snap_n = 0;
	c->want = 1;
	c->snap_ok = snap_ok;
	c->why[0] = '\0';
	hold_input(c, 1);
	start_rebuild(srv, c);
}

void
clients_committed(struct server *srv, uint64_t upto)
{
	struct client *c, *next;

	for (c = LIST_FIRST(&srv->touched); c != NULL; c = next) {
		next = LIST_NEXT(c, touched);
		if (c->hello_batch <= upto)
			c->hello_batch = 0;
		if (c->batch > upto)
			continue;
		LIST_REMOVE(c, touched);
		c->in_tx = 0;
		if (c->sess == NULL && !c->deleting)
			client_free(srv, c);	/* disconnected, all stored */
		else
			start_rebuild(srv, c);
	}
}

void
clients_poll(struct server *srv)
{
	struct client *c;
	struct rjob *j;
	char reason[124];

	while ((j = rebuilder_poll(srv->rb)) != NULL) {
		if ((c = j->owner) == NULL) {
			rjob_free(j);	/* no longer wanted */
			continue;
		}
		c->job = NULL;
		if (j->det == NULL) {
			logmsg(0, "client %s: rebuild: %s", c->id, j->why);
			snprintf(c->why, sizeof(c->why), "%.120s", j->why);
			if (c->greet && c->sess != NULL && j->pruned)
				/* no retry can help */
				srv->hooks->close(c->sess, 4001, j->why, 1);
			else if (c->greet && c->sess != NULL) {
				/* the cause (disk full, I/O error) tells the
				 * client to retry */
				snprintf(reason, sizeof(reason),
				    "database error: %.80s", j->why);
				srv->hooks->close(c->sess, 1011, reason, 1);
			}
		} else {
			c->det = j->det;
			j->det = NULL;
			c->last_seq = j->last_seq;
			c->snap_n = j->snap_n;
			c->has_ts = j->has_ts;
			c->last_ts = j->ts;
			logmsg(1, "client %s: rebuilt from %s at %lld, %lld "
			    "points in %lld ms", c->id, j->snap_n > 0 ?
			    "snapshot" : "start", (long long)j->snap_n,
			    (long long)j->points, (long long)(j->usec / 1000));
			if (c->greet && c->sess != NULL)
				srv->hooks->ready(srv, c->sess);
		}
		c->greet = 0;
		hold_input(c, 0);
		rjob_free(j);
	}
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
	if ((op = commit_op(srv, WOP_SNAPSHOT, c->id)) == NULL) {
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

/* The snapshot of client c at its disconnect, unless the filling batch
 * already holds SNAP_CAP bytes of them: a snapshot is only a cache (a
 * restart replays the points after the previous one), and a mass
 * disconnect must not hold clients x state in memory. */
static void
detach_snapshot(struct server *srv, struct client *c)
{
	size_t len;

	if (c->det == NULL || detector_count(c->det) == 0 ||
	    (int64_t)detector_count(c->det) == c->snap_n)
		return;
	if (srv->snap_batch != srv->fill->id) {
		srv->snap_batch = srv->fill->id;
		srv->snap_bytes = 0;
	}
	len = detector_state_size(c->det);
	if (srv->snap_bytes + len > SNAP_CAP) {
		if (srv->snap_skipped++ % 1000 == 0)
			logmsg(1, "client %s: no snapshot at disconnect: %zu "
			    "bytes of them wait for a commit already", c->id,
			    srv->snap_bytes);
		return;
	}
	srv->snap_bytes += len;
	snapshot(srv, c);
}

void
clients_failed(struct server *srv)
{
	struct client *c;
	char reason[124];

	while ((c = LIST_FIRST(&srv->touched)) != NULL) {
		LIST_REMOVE(c, touched);
		c->in_tx = 0;
		if (c->deleting)
			continue;	/* clients_deleted() frees it */
		if (c->sess == NULL) {
			client_free(srv, c);	/* the database tells the rest */
			continue;
		}
		if (c->hello_batch != 0 && c->sess != NULL) {
			/* its hello is not stored either */
			c->hello_batch = 0;
			logmsg(0, "client %s: %s", c->id, srv->fail_why);
			snprintf(reason, sizeof(reason), "database error: %.80s",
			    srv->fail_why);
			cancel(c);
			c->greet = 0;
			srv->hooks->close(c->sess, 1011, reason, 1);
			continue;
		}
		c->greet = 0;
		want_rebuild(srv, c, 1);
		if (c->sess != NULL && c->sess->v2)
			c->resend = 1;
	}
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

/* Finds the point of client id with that seq among the operations of
 * the batches not yet taken back from the writer (the flying one is only
 * read, as the writer does).  Returns 1 with it in *sp, or 0. */
static int
batch_find(struct server *srv, const char *id, int64_t seq,
    struct store_point *sp)
{
	const struct batch *b;
	const struct wop *op;
	size_t i, k;

	for (k = 0; k < 2; k++) {
		b = &srv->bufs[k];
		for (i = b->nops; i-- > 0; ) {
			op = &b->ops[i];
			if (op->kind == WOP_POINT && op->p.seq == seq &&
			    strcmp(op->id, id) == 0) {
				*sp = op->p;
				return 1;
			}
		}
	}
	return 0;
}

/* A protocol-2 point whose seq is not above the client's last one: its
 * stored verdict, from the batches when it is not committed yet (then the
 * reply holds: it becomes "not stored" if that batch fails), else from the
 * database. */
static void
duplicate(struct server *srv, struct session *s, const struct proto_point *pt,
    struct jsonbuf *out, struct jsonbuf *alt, int *holds)
{
	struct client *c = s->client;
	struct store_point sp;
	struct detect_verdict v;
	struct proto_ts ts;
	double warm;
	char err[256], msg[300];
	unsigned flags = PROTO_DUPLICATE | (s->detail ? PROTO_DETAIL : 0);
	int rc, inflight;

	inflight = c->in_tx && batch_find(srv, c->id, pt->seq, &sp);
	rc = inflight ? 1 : store_point_by_seq(srv->rd, c->id, pt->seq, &sp,
	    err, sizeof(err));
	if (rc == 0) {
		both_error(out, alt, "seq already used", pt);
		return;
	}
	if (rc == -1) {
		logmsg(0, "client %s: %s", c->id, err);
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
	if (inflight) {
		proto_format_error(alt, REPLY_NOT_STORED, &pt->ts, pt->seq);
		*holds = 1;
	} else
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
	if (c->det == NULL) {
		/* its input is held while it is rebuilt: here only when the
		 * rebuild failed, or before the hold took effect */
		if (c->job == NULL && !c->want && c->why[0] != '\0') {
			errmsg_set(err, sizeof(err), "%s", c->why);
			want_rebuild(srv, c, 1);	/* try again */
		} else
			errmsg_set(err, sizeof(err), "the detector is being "
			    "rebuilt");
		goto refuse;
	}
	if (s->v2 && pt->seq > 0 && pt->seq <= c->last_seq) {
		duplicate(srv, s, pt, out, alt, holds);
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
	if ((op = commit_op(srv, WOP_POINT, c->id)) == NULL) {
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
	/* non-decreasing in n even if the wall clock steps back
	 * (store_arrival_n()) */
	sp->received_ms = clock_wall_ms();
	if (sp->received_ms < c->last_ms)
		sp->received_ms = c->last_ms;
	c->last_ms = sp->received_ms;
	c->last_ts = sp->ts;
	c->has_ts = 1;
	if (sp->n % srv->cfg.snapshot_every == 0)
		snapshot(srv, c);
	if (pt->seq > 0)
		c->last_seq = pt->seq;
	proto_format_verdict(out, &pt->ts, pt->seq, &v,
	    detect_computed_mask(&c->set), s->detail ? PROTO_DETAIL : 0);
	proto_format_error(alt, REPLY_NOT_STORED, &pt->ts, pt->seq);
	*holds = 1;
	return;

not_stored:
	/* the reply becomes its alternative when the message ends */
	proto_format_error(out, REPLY_NOT_STORED, &pt->ts, pt->seq);
	proto_format_error(alt, REPLY_NOT_STORED, &pt->ts, pt->seq);
	*holds = 1;
	return;
refuse:
	logmsg(0, "client %s: %s", c->id, err);
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

/* Sets *oldest to the ordinal of client id's oldest stored point, or to
 * its points + 1 when retention pruned them all, 0 when it has none
 * (sc: its row, NULL when not read).  Returns 0, or -1 with a message in
 * err. */
static int
oldest_stored(struct server *srv, const char *id,
    const struct store_client *sc, int64_t *oldest, char *err,
    size_t errlen)
{
	struct store_client *row;
	int rc;

	if (store_oldest(srv->rd, id, oldest, err, errlen) == -1)
		return -1;
	if (*oldest != 0)
		return 0;
	if (sc != NULL) {
		*oldest = sc->points > 0 ? sc->points + 1 : 0;
		return 0;
	}
	if ((row = malloc(sizeof(*row))) == NULL) {
		errmsg_set(err, errlen, "out of memory");
		return -1;
	}
	rc = store_client_get(srv->rd, id, row, err, errlen);
	if (rc == 1 && row->points > 0)
		*oldest = row->points + 1;
	free(row);
	return rc == -1 ? -1 : 0;
}

/* Adds the hello of c's session s with settings set (text) to the
 * filling batch.  Returns 0, or -1 when memory is short. */
static int
hello_op(struct server *srv, struct session *s, const char *id,
    const struct detect_settings *set, const char *text)
{
	struct wop *op;
	size_t tlen = strlen(text), plen = strlen(s->peer);
	unsigned char *blob;

	if ((blob = malloc(tlen + plen + 2)) == NULL)
		return -1;
	if ((op = commit_op(srv, WOP_HELLO, id)) == NULL) {
		free(blob);
		return -1;
	}
	memcpy(blob, text, tlen + 1);
	memcpy(blob + tlen + 1, s->peer, plen + 1);
	op->blob = blob;
	op->len = tlen + plen + 2;
	op->n = set->window;
	op->p.received_ms = clock_wall_ms();
	return 0;
}

int
client_hello(struct server *srv, struct session *s, const char *id,
    const struct proto_hello *h, struct session **replaced, int *code,
    char *why, size_t whylen)
{
	struct store_client *sc = NULL;
	struct detect_settings set;
	struct client *c;
	struct session *old;
	char text[STORE_SETTINGS_MAX], err[256];
	size_t taken = 0;
	int64_t oldest;
	int found = 0, same, fresh = 0, rc = -1;

	*replaced = NULL;
	*code = 1011;
	if (srv->gone) {
		errmsg_set(why, whylen, "database error: %s", srv->gone_why);
		return -1;
	}
	c = client_find(srv, id);
	if (c != NULL && c->deleting) {
		errmsg_set(why, whylen, "database error: client %s is being "
		    "deleted", id);
		return -1;
	}
	if (c != NULL)
		set = c->set;	/* stored, or in a batch to be */
	else {
		/* not in memory: nothing of it waits for a commit, the
		 * database has it all (or nothing) */
		if ((sc = malloc(sizeof(*sc))) == NULL) {
			errmsg_set(why, whylen, "out of memory");
			return -1;
		}
		if ((found = store_client_get(srv->rd, id, sc, err,
		    sizeof(err))) == -1)
			goto dberr;
		if (found) {
			detect_settings_default(&set, (uint32_t)sc->window);
			if (proto_settings_parse(sc->settings,
			    strlen(sc->settings), &set, err, sizeof(err)) == -1)
				goto dberr;
		} else
			set = srv->cfg.defaults;
	}
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
	if (client_charge(srv, c, id, &set, &taken, code, why, whylen) == -1)
		goto out;
	if (c != NULL)
		same = memcmp(&c->set, &set, sizeof(set)) == 0;
	else
		same = found && sc->window == set.window &&
		    strcmp(sc->settings, text) == 0;
	if (!same && (c != NULL || found)) {
		/* other settings replay the whole history: refused before
		 * they are stored when retention pruned its start (the
		 * client may still come back with the stored ones) */
		if (oldest_stored(srv, id, sc, &oldest, err,
		    sizeof(err)) == -1)
			goto dberr;
		if (oldest > 1) {
			logmsg(0, "client %s: hello from %s with other "
			    "settings refused: its points before n = %lld "
			    "were pruned (--retain), the detector cannot be "
			    "rebuilt with others", id, s->peer,
			    (long long)oldest);
			*code = 4001;
			errmsg_set(why, whylen, "settings differ from the "
			    "stored ones and points before n = %lld were "
			    "pruned: keep them or delete the client",
			    (long long)oldest);
			goto out;
		}
	}
	/* stored by the writer; ready waits for that commit */
	if (hello_op(srv, s, id, &set, text) == -1) {
		errmsg_set(why, whylen, "out of memory");
		goto out;
	}

	if (c != NULL && (old = c->sess) != s && old != NULL) {
		logmsg(1, "client %s: taken over from %s by %s", id,
		    old->peer, s->peer);
		old->client = NULL;
		replyq_free(&old->waiting);
		old->held = 0;
		*replaced = old;
	}
	if (c == NULL) {
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			batch_drop_last(srv->fill);
			errmsg_set(why, whylen, "out of memory");
			goto out;
		}
		snprintf(c->id, sizeof(c->id), "%s", id);
		LIST_INSERT_HEAD(&srv->buckets[bucket_of(srv, id)], c, hash);
		fresh = 1;
		if (found)
			c->last_ms = sc->last_seen_ms;
	}
	if (c->sess != s)
		c->resend = 0;	/* ready tells the new session where to go on */
	c->sess = s;
	s->client = c;
	client_charged(srv, c, &set);
	taken = 0;
	touch(srv, c);
	c->hello_batch = srv->fill->id;
	logmsg(1, "hello %s window %u from %s (%lld points)", id,
	    set.window, s->peer, (long long)(sc != NULL ? sc->points :
	    c->det != NULL ? (int64_t)detector_count(c->det) : 0));
	rc = 0;
	if (c->det != NULL && same)
		goto out;		/* its detector goes on */
	c->set = set;
	if (fresh && !found) {
		/* a new client: nothing to replay */
		if ((c->det = detector_new(c->id, strlen(c->id), &c->set, err,
		    sizeof(err))) == NULL) {
			rc = -1;
			goto dberr;
		}
		goto out;
	}
	c->greet = 1;
	want_rebuild(srv, c, same);
	rc = 1;
	goto out;
dberr:
	logmsg(0, "client %s: %s", id, err);
	/* the cause (disk full, I/O error) tells the client to retry */
	errmsg_set(why, whylen, "database error: %.80s", err);
out:
	budget_give(&srv->budget, taken);
	free(sc);
	return rc;
}

struct session *
client_session(struct server *srv, const char *id)
{
	struct client *c = client_find(srv, id);

	return c != NULL ? c->sess : NULL;
}

const char *
client_key_hash(struct server *srv, const char *id)
{
	struct client *c = client_find(srv, id);

	return c != NULL ? c->key_hash : NULL;
}

void
client_set_key_hash(struct server *srv, const char *id, const char *hash)
{
	struct client *c = client_find(srv, id);

	if (c != NULL)
		snprintf(c->key_hash, sizeof(c->key_hash), "%s", hash);
}

int
client_deleting(struct server *srv, const char *id)
{
	struct client *c = client_find(srv, id);

	if (c != NULL && c->sess != NULL)
		return 1;
	if (c == NULL) {
		/* a placeholder that refuses hellos until it is done */
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return -1;
		snprintf(c->id, sizeof(c->id), "%s", id);
		LIST_INSERT_HEAD(&srv->buckets[bucket_of(srv, id)], c, hash);
	}
	c->deleting++;
	cancel(c);
	return 0;
}

void
clients_deleted(struct server *srv, const char *id)
{
	struct client *c = client_find(srv, id);

	if (c == NULL || c->deleting == 0)
		return;
	if (--c->deleting == 0 && c->sess == NULL && !c->in_tx)
		client_free(srv, c);
}

void
client_ready(struct server *srv, struct client *c, struct jsonbuf *out)
{
	struct proto_ts ts;
	uint64_t n = c->det != NULL ? detector_count(c->det) : 0;

	(void)srv;
	ts.type = PROTO_TS_NONE;
	if (n > 0 && c->has_ts)
		to_proto_ts(&ts, &c->last_ts);
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
	c->greet = 0;
	detach_snapshot(srv, c);
	if (commit_op(srv, WOP_INACTIVE, c->id) == NULL)
		logmsg(0, "client %s: out of memory: stays active", c->id);
	else
		touch(srv, c);
	if (c->in_tx) {
		/* kept until committed: a reconnect at once finds it */
		cancel(c);
		return;
	}
	client_free(srv, c);
}
