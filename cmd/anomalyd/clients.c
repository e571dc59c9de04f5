/*
 * clients.c: the registry of connected clients and their detectors (SPEC
 * §3.1): hellos, points judged and handed to the group commit (commit.h),
 * detectors rebuilt from the database when a batch fails.
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

void
clients_committed(struct server *srv, uint64_t upto)
{
	struct client *c, *next;

	for (c = LIST_FIRST(&srv->touched); c != NULL; c = next) {
		next = LIST_NEXT(c, touched);
		if (c->batch <= upto) {
			LIST_REMOVE(c, touched);
			c->in_tx = 0;
		}
	}
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
	logmsg(1, "client %s: rebuilt from %s at %lld, %lld points",
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

void
clients_failed(struct server *srv)
{
	struct client *c;
	char err[256];

	while ((c = LIST_FIRST(&srv->touched)) != NULL) {
		LIST_REMOVE(c, touched);
		c->in_tx = 0;
		if (reload(srv, c, err, sizeof(err)) == -1)
			logmsg(0, "client %s: rebuild: %s", c->id, err);
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
		if (commit_drain(srv) == -1) {
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
	sp->received_ms = clock_wall_ms();
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

int
client_hello(struct server *srv, struct session *s, const char *id,
    const struct proto_hello *h, struct session **replaced, int *code,
    char *why, size_t whylen)
{
	struct store_client *sc;
	struct detect_settings set;
	struct client *c;
	struct session *old;
	char text[STORE_SETTINGS_MAX], err[256];
	int found, same, rc = -1;

	*replaced = NULL;
	*code = 1011;
	if (srv->gone) {
		errmsg_set(why, whylen, "database error: %s", srv->gone_why);
		return -1;
	}
	if ((sc = malloc(sizeof(*sc))) == NULL) {
		errmsg_set(why, whylen, "out of memory");
		return -1;
	}
	commit_drain(srv);		/* the database is current and ours, a
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
		logmsg(1, "client %s: taken over from %s by %s", id,
		    old->peer, s->peer);
		old->client = NULL;
		replyq_free(&old->waiting);
		old->held = 0;
		*replaced = old;
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
	logmsg(1, "hello %s window %u from %s (%lld points)", id,
	    set.window, s->peer, (long long)sc->points);
	rc = 0;
	goto out;
dberr:
	logmsg(0, "client %s: %s", id, err);
	/* the cause (disk full, I/O error) tells the client to retry */
	errmsg_set(why, whylen, "database error: %.80s", err);
out:
	free(sc);
	return rc;
}

struct session *
client_session(struct server *srv, const char *id)
{
	struct client *c = client_find(srv, id);

	return c != NULL ? c->sess : NULL;
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
	if (n > 0 && commit_drain(srv) == 0 && (rc = store_point_get(srv->st,
	    c->id, (int64_t)n, &sp, err, sizeof(err))) == 1)
		to_proto_ts(&ts, &sp.ts);
	else if (rc == -1)
		logmsg(0, "client %s: %s", c->id, err);
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
	if (commit_op(srv, WOP_INACTIVE, c->id) == NULL)
		logmsg(0, "client %s: out of memory: stays active", c->id);
	client_free(c);
}
