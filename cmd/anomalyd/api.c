/*
 * api.c: the JSON API of SPEC §5 (see api.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "auth.h"
#include "claim.h"
#include "clients.h"
#include "commit.h"
#include "log.h"
#include "put.h"

#define LIMIT_DEFAULT	1000
#define EVENTS_MAX	1000	/* at most, per /events request */

/* Reads the decimal digits at s into *v, saturated at INT64_MAX (then
 * *big is set).  Returns 0, or -1 when s is not 1 to 32 digits alone. */
static int
decimal(const char *s, int64_t *v, int *big)
{
	size_t i;

	*v = 0;
	*big = 0;
	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
		if (*v > (INT64_MAX - (s[i] - '0')) / 10)
			*big = 1;
		else
			*v = *v * 10 + (s[i] - '0');
	}
	if (i == 0 || i > 32 || s[i] != '\0')
		return -1;
	if (*big)
		*v = INT64_MAX;
	return 0;
}

void
api_client_json(struct jsonbuf *b, const struct store_client *c)
{
	put_str(b, "{\"client_id\":");
	put_jstring(b, c->client_id, strlen(c->client_id));
	put_fmt(b, ",\"window\":%" PRId64 ",\"settings\":", c->window);
	if (c->settings[0] == '{')
		/* as proto_settings_format() wrote it */
		put_str(b, c->settings);
	else
		put_jstring(b, c->settings, strlen(c->settings));
	put_fmt(b, ",\"active\":%d,\"first_seen_ms\":%" PRId64
	    ",\"last_seen_ms\":%" PRId64 ",\"points\":%" PRId64
	    ",\"anomalies\":%" PRId64 ",\"alerts\":%" PRId64
	    ",\"last_alert_n\":", c->active, c->first_seen_ms,
	    c->last_seen_ms, c->points, c->anomalies, c->alerts);
	if (c->last_alert_n > 0)
		put_fmt(b, "%" PRId64, c->last_alert_n);
	else
		put_str(b, "null");
	put_str(b, ",\"last_value\":");
	put_number(b, c->last_value, 0);
	put_fmt(b, ",\"last_seq\":%" PRId64 ",\"peer\":", c->last_seq);
	put_jstring(b, c->peer, strlen(c->peer));
	if (c->oldest_n >= 0)
		put_fmt(b, ",\"oldest_n\":%" PRId64, c->oldest_n);
	put_str(b, "}");
}

/* A URL argument "key=..." into v (vlen bytes with the NUL), decoded by
 * lws.  Returns 1 when it was key, 0 when not, -1 when too long. */
static int
arg_text(const char *arg, const char *key, char *v, size_t vlen)
{
	size_t klen = strlen(key), n;

	if (strncmp(arg, key, klen) != 0 || arg[klen] != '=')
		return 0;
	arg += klen + 1;
	if ((n = strlen(arg)) >= vlen)
		return -1;
	memcpy(v, arg, n + 1);
	return 1;
}

/* Copies the URL argument at index i ("key=value") into arg.  Returns 1,
 * 0 when there are no more (or 1000 were read), -1 when it is longer than
 * len bytes. */
static int
url_arg_at(struct lws *wsi, int i, char *arg, size_t len)
{
	if (i >= 1000)
		return 0;
	if (lws_hdr_copy_fragment(wsi, arg, (int)len,
	    WSI_TOKEN_HTTP_URI_ARGS, i) >= 0)
		return 1;
	return lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i) > 0 ?
	    -1 : 0;
}

const char *
api_clients_query(struct lws *wsi, struct api_clients_q *q)
{
	char arg[4200];		/* above lws's 4096 bytes of headers */
	int i, rc, big;
	int64_t v;

	memset(q, 0, sizeof(*q));
	q->limit = API_CLIENTS_PAGE;
	for (i = 0; (rc = url_arg_at(wsi, i, arg, sizeof(arg))) == 1; i++) {
		if ((rc = arg_text(arg, "after", q->after,
		    sizeof(q->after))) != 0) {
			if (rc == -1)
				return "after: a client_id is 1 to 64 bytes";
			q->before[0] = '\0';
		} else if ((rc = arg_text(arg, "before", q->before,
		    sizeof(q->before))) != 0) {
			if (rc == -1)
				return "before: a client_id is 1 to 64 bytes";
			q->after[0] = '\0';
		} else if (strncmp(arg, "limit=", 6) == 0) {
			if (decimal(arg + 6, &v, &big) == -1 || v < 1)
				return "limit must be a whole number from 1";
			q->limit = v > API_CLIENTS_MAX ? API_CLIENTS_MAX : v;
		} else if (strncmp(arg, "spark=", 6) == 0) {
			if (decimal(arg + 6, &v, &big) == -1 ||
			    v > API_SPARK_MAX)
				return "spark must be a whole number from 0 "
				    "to 160";
			q->spark = (int)v;
		}
	}
	return rc == -1 ? "URL argument too long" : NULL;
}

/* The ids of a page of clients. */
struct id_list {
	int	 n;
	char	 v[API_CLIENTS_MAX][STORE_ID_MAX + 1];
};

/* A page of clients on its way to fn, described in pg. */
struct page_walk {
	int	(*fn)(void *, const struct store_client *);
	void	*arg;
	struct api_clients_page *pg;
};

/* Notes c in the page's description and hands it to the walk's fn. */
static int
walk_one(void *arg, const struct store_client *c)
{
	struct page_walk *w = arg;

	if (w->pg->n++ == 0)
		snprintf(w->pg->first, sizeof(w->pg->first), "%s",
		    c->client_id);
	snprintf(w->pg->last, sizeof(w->pg->last), "%s", c->client_id);
	return w->fn(w->arg, c);
}

/* Counts c in the int at arg. */
static int
count_one(void *arg, const struct store_client *c)
{
	(void)c;
	++*(int *)arg;
	return 0;
}

int
api_clients_each(struct server *srv, const struct api_clients_q *q,
    int (*fn)(void *arg, const struct store_client *c), void *arg,
    struct api_clients_page *pg, char *err, size_t errlen)
{
	struct page_walk w = { fn, arg, pg };
	int rc;

	memset(pg, 0, sizeof(*pg));
	if ((rc = store_clients_page(srv->rd, q->after[0] != '\0' ? q->after :
	    NULL, q->before[0] != '\0' ? q->before : NULL, q->limit, walk_one,
	    &w, err, errlen)) != 0)
		return rc;
	if (pg->n == 0)
		return 0;
	/* whether there are pages before and after it: one row each */
	if (store_clients_page(srv->rd, NULL, pg->first, 1, count_one,
	    &pg->prev, err, errlen) == -1 || store_clients_page(srv->rd,
	    pg->last, NULL, 1, count_one, &pg->next, err, errlen) == -1)
		return -1;
	return 0;
}

/* c into the JSON array at arg, after a comma but for the first. */
static int
json_client(void *arg, const struct store_client *c)
{
	struct jsonbuf *b = arg;

	if (b->len > 1)
		put_str(b, ",");
	api_client_json(b, c);
	return 0;
}

/* Adds the id of c to the list at arg (API_CLIENTS_MAX at most). */
static int
collect_id(void *arg, const struct store_client *c)
{
	struct id_list *l = arg;

	if (l->n < API_CLIENTS_MAX)
		memcpy(l->v[l->n++], c->client_id, sizeof(l->v[0]));
	return 0;
}

/* c into the JSON array b as json_client() does, with its newest spark
 * points (oldest first) as "spark":[[value,anomaly,alert],...]: one range
 * of the primary key, newest first, with a LIMIT.  Returns 0 or -1 with a
 * message in err. */
static int
json_client_spark(struct server *srv, struct jsonbuf *b,
    const struct store_client *c, int spark, char *err, size_t errlen)
{
	struct store_range r = { .limit = spark, .descending = 1 };
	struct store_point *p;
	int k = 0, rc, i;

	if ((p = malloc((size_t)spark * sizeof(*p))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (store_points_open(srv->rd, c->client_id, &r, err, errlen) == -1) {
		free(p);
		return -1;
	}
	while (k < spark && (rc = store_points_next(srv->rd, &p[k], err,
	    errlen)) == 1)
		k++;
	store_points_close(srv->rd);
	if (k < spark && rc == -1) {
		free(p);
		return -1;
	}
	json_client(b, c);
	b->len--;			/* its "}" */
	put_str(b, ",\"spark\":[");
	for (i = k - 1; i >= 0; i--) {
		put_str(b, i == k - 1 ? "[" : ",[");
		put_number(b, p[i].value, 0);
		put_fmt(b, ",%d,%d]", p[i].anomaly, p[i].alert);
	}
	put_str(b, "]}");
	free(p);
	return 0;
}

/* The page of q with each client's sparkline (q->spark points) into b:
 * the ids first, then each client and its points, so that no two cursors
 * are open on srv->rd at once.  Returns 0 or -1. */
static int
clients_spark(struct server *srv, const struct api_clients_q *q,
    struct jsonbuf *b, struct api_clients_page *pg, char *err, size_t errlen)
{
	struct id_list *l;
	struct store_client *c;
	int i, rc = 0;

	if ((l = calloc(1, sizeof(*l))) == NULL || (c = malloc(sizeof(*c))) ==
	    NULL) {
		free(l);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (api_clients_each(srv, q, collect_id, l, pg, err, errlen) == -1)
		rc = -1;
	for (i = 0; rc == 0 && i < l->n; i++) {
		if ((rc = store_client_get(srv->rd, l->v[i], c, err,
		    errlen)) == 0)
			continue;	/* deleted meanwhile */
		if (rc == 1)
			rc = json_client_spark(srv, b, c, q->spark, err,
			    errlen);
	}
	free(c);
	free(l);
	return rc == -1 ? -1 : 0;
}

/* One link of a Link header to the page of /api/clients key=id. */
static void
put_link(struct jsonbuf *l, const char *key, const char *id, int64_t limit,
    const char *rel)
{
	if (l->len > 0)
		put_str(l, ", ");
	put_fmt(l, "</api/clients?%s=", key);
	put_url(l, id, strlen(id));
	put_fmt(l, "&limit=%" PRId64 ">; rel=\"%s\"", limit, rel);
}

int
api_clients(struct server *srv, struct lws *wsi, struct jsonbuf *b,
    struct jsonbuf *link, const char **why)
{
	struct api_clients_q q;
	struct api_clients_page pg;
	char err[256];

	if ((*why = api_clients_query(wsi, &q)) != NULL)
		return 400;
	put_str(b, "[");
	if ((q.spark > 0 ? clients_spark(srv, &q, b, &pg, err, sizeof(err)) :
	    api_clients_each(srv, &q, json_client, b, &pg, err,
	    sizeof(err))) == -1) {
		logmsg(0, "http: %s", err);
		*why = "database error";
		return 500;
	}
	put_str(b, "]\n");
	if (pg.prev)
		put_link(link, "before", pg.first, q.limit, "prev");
	if (pg.next)
		put_link(link, "after", pg.last, q.limit, "next");
	return 200;
}

int
api_client(struct server *srv, const char *id, struct jsonbuf *b,
    const char **why)
{
	struct store_client *c;
	char err[256];
	int rc;

	if ((c = malloc(sizeof(*c))) == NULL)
		return 500;
	rc = store_client_get(srv->rd, id, c, err, sizeof(err));
	if (rc == 1 && store_oldest(srv->rd, id, &c->oldest_n, err,
	    sizeof(err)) == -1)
		rc = -1;
	if (rc == 1) {
		api_client_json(b, c);
		put_str(b, "\n");
	}
	free(c);
	if (rc == 0) {
		*why = "no such client";
		return 404;
	}
	if (rc == -1) {
		logmsg(0, "http: %s", err);
		*why = "database error";
		return 500;
	}
	return 200;
}

/* Reads the URL arguments after, before, limit (up to max), order, since
 * and until into q, without events also anomalies=1, alerts=1 and events=K
 * (the last of each counts; other keys are ignored).  Returns NULL, or what
 * is wrong. */
static const char *
range_query(struct lws *wsi, struct api_events_q *q, int64_t max, int events)
{
	char arg[4200];		/* above lws's 4096 bytes of headers */
	int64_t v;
	int i, rc, big;

	for (i = 0; (rc = url_arg_at(wsi, i, arg, sizeof(arg))) == 1; i++) {
		if (strncmp(arg, "after=", 6) == 0) {
			if (decimal(arg + 6, &v, &big) == -1 || big)
				return "after must be a whole number";
			q->after = v;
		} else if (strncmp(arg, "limit=", 6) == 0) {
			if (decimal(arg + 6, &v, &big) == -1 || v < 1)
				return "limit must be a whole number from 1";
			q->limit = v > max ? max : v;
		} else if (!events && strcmp(arg, "anomalies=1") == 0)
			/* only the points that carry a flag: by the index
			 * of flagged points (store_flagged_open()) */
			q->flags |= STORE_FLAG_ANOMALY;
		else if (!events && strcmp(arg, "alerts=1") == 0)
			q->flags |= STORE_FLAG_ALERT;
		else if (!events && (strncmp(arg, "anomalies=", 10) == 0 ||
		    strncmp(arg, "alerts=", 7) == 0))
			return "anomalies and alerts take 1";
		else if (strncmp(arg, "before=", 7) == 0) {
			if (decimal(arg + 7, &v, &big) == -1 || big || v < 1)
				return "before must be a whole number from 1";
			q->before = v;
		} else if (strncmp(arg, "since=", 6) == 0) {
			if (decimal(arg + 6, &v, &big) == -1)
				return "since must be a whole number of "
				    "milliseconds";
			q->since = v;
			q->has_since = 1;
		} else if (strncmp(arg, "until=", 6) == 0) {
			if (decimal(arg + 6, &v, &big) == -1)
				return "until must be a whole number of "
				    "milliseconds";
			q->until = v;
			q->has_until = 1;
		} else if (!events && strncmp(arg, "events=", 7) == 0) {
			if (decimal(arg + 7, &v, &big) == -1 || v > EVENTS_MAX)
				return "events must be a whole number from 0 "
				    "to 1000";
			q->events = (int)v;
		} else if (strcmp(arg, "order=asc") == 0)
			q->asc = 1;
		else if (strcmp(arg, "order=desc") == 0)
			q->asc = 0;
		else if (strncmp(arg, "order=", 6) == 0)
			return "order must be asc or desc";
	}
	return rc == -1 ? "URL argument too long" : NULL;
}

void
api_point_json(struct jsonbuf *b, const struct store_point *p)
{
	put_fmt(b, "{\"n\":%" PRId64 ",\"seq\":", p->n);
	if (p->seq > 0)
		put_fmt(b, "%" PRId64, p->seq);
	else
		put_str(b, "null");
	put_str(b, ",\"timestamp\":");
	put_ts(b, &p->ts, 0);
	put_str(b, ",\"t_ms\":");
	if (p->has_t_ms)
		put_fmt(b, "%" PRId64, p->t_ms);
	else
		put_str(b, "null");
	put_str(b, ",\"value\":");
	put_number(b, p->value, 0);
	put_fmt(b, ",\"anomaly\":%d,\"alert\":%d,\"score\":", p->anomaly,
	    p->alert);
	put_number(b, p->score, 1);
	put_fmt(b, ",\"votes\":%" PRIu32 ",\"received_ms\":%" PRId64 "}",
	    p->votes, p->received_ms);
}

/* Starts stream s on client id's points in r: all of them, or with flags
 * only those that carry one (store_flagged_open()).  Returns the HTTP
 * status, with *why set when it is not 200. */
static int
points_stream(struct server *srv, const char *id, const struct store_range *r,
    int flags, struct api_stream *s, const char **why)
{
	struct store_client *c;
	char err[256];
	int rc;

	if ((c = malloc(sizeof(*c))) == NULL)
		return 500;
	rc = store_client_get(srv->rd, id, c, err, sizeof(err));
	free(c);
	if (rc == 0) {
		*why = "no such client";
		return 404;
	}
	if (rc == -1) {
		logmsg(0, "http: %s", err);
		*why = "database error";
		return 500;
	}
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "%s", id);
	s->flags = flags;
	s->descending = r->descending;
	s->after = r->after;
	s->before = r->before;
	s->left = r->limit;
	s->on = 1;
	return 200;
}

int
api_stream_next(struct server *srv, struct api_stream *s, struct jsonbuf *b)
{
	struct store_range r = { .after = s->after, .before = s->before,
	    .descending = s->descending };
	struct store_point p;
	char err[256];
	int64_t got = 0;
	int rc;

	if (s->done)
		return 0;
	if (s->rows == 0)
		put_str(b, "[");
	r.limit = s->left < API_STREAM_ROWS ? s->left : API_STREAM_ROWS;
	/* a cursor of its own for this piece only: the next one starts
	 * again from the last n, by the index */
	if (r.limit > 0) {
		if ((s->flags != 0 ? store_flagged_open(srv->rd, s->id, &r,
		    s->flags, err, sizeof(err)) : store_points_open(srv->rd,
		    s->id, &r, err, sizeof(err))) == -1)
			goto fail;
		while ((rc = store_points_next(srv->rd, &p, err,
		    sizeof(err))) == 1) {
			if (s->rows++ > 0)
				put_str(b, ",");
			api_point_json(b, &p);
			got++;
			if (s->descending)
				s->before = p.n;
			else
				s->after = p.n;
		}
		store_points_close(srv->rd);
		if (rc == -1)
			goto fail;
	}
	s->left -= got;
	if (got < r.limit || s->left <= 0 || (s->descending &&
	    s->before <= 1)) {
		if (s->suffix != NULL) {
			put_str(b, "]");
			put_raw(b, s->suffix, s->suffixlen);
		} else
			put_str(b, "]\n");
		s->done = 1;
	}
	return 0;
fail:
	logmsg(0, "http: %s", err);
	return -1;
}

void
api_stream_free(struct api_stream *s)
{
	free(s->suffix);
	s->suffix = NULL;
	s->suffixlen = 0;
	s->on = 0;
}

/* Narrows r (after < n < before) to the points of id that arrived at or
 * after q->since and before q->until, by store_arrival_n().  Returns 0, or
 * -1 with a message in err. */
static int
arrival_bounds(struct server *srv, const char *id,
    const struct api_events_q *q, struct store_range *r, char *err,
    size_t errlen)
{
	int64_t n;

	if (q->has_since) {
		if (store_arrival_n(srv->rd, id, q->since, &n, err,
		    errlen) == -1)
			return -1;
		if (n - 1 > r->after)
			r->after = n - 1;
	}
	if (q->has_until) {
		if (store_arrival_n(srv->rd, id, q->until, &n, err,
		    errlen) == -1)
			return -1;
		if (r->before == 0 || n < r->before)
			r->before = n;
	}
	if (r->before != 0 && r->before <= r->after + 1) {
		/* nothing in the bounds: an empty range */
		r->after = 0;
		r->before = 1;
	}
	return 0;
}

/* Starts stream s on the points of id that query q asks for (with flags,
 * only those that carry one), its range in r, narrowed by q's arrival
 * bounds.  Returns the HTTP status, with *why set when it is not 200. */
static int
range_stream(struct server *srv, const char *id,
    const struct api_events_q *q, int flags, struct store_range *r,
    struct api_stream *s, const char **why)
{
	char err[256];
	int status;

	*r = (struct store_range){ .after = q->after, .before = q->before,
	    .limit = q->limit, .descending = !q->asc };
	if ((status = points_stream(srv, id, r, flags, s, why)) != 200)
		return status;
	if (arrival_bounds(srv, id, q, r, err, sizeof(err)) == -1) {
		logmsg(0, "http: %s", err);
		*why = "database error";
		return 500;
	}
	s->after = r->after;
	s->before = r->before;
	return 200;
}

/* The object of events=K before the points' array into b: the client and
 * its newest K anomalies and alerts in r's bounds.  Returns the HTTP
 * status, with *why set when it is not 200. */
static int
detail_head(struct server *srv, const char *id, const struct store_range *r,
    int events, struct jsonbuf *b, const char **why)
{
	struct store_range e = { .after = r->after, .before = r->before,
	    .limit = events, .descending = 1 };
	struct store_client *c;
	struct store_point p;
	char err[256];
	int rc, k = 0;

	if ((c = malloc(sizeof(*c))) == NULL)
		return 500;
	rc = store_client_get(srv->rd, id, c, err, sizeof(err));
	if (rc == 1) {
		put_str(b, "{\"client\":");
		api_client_json(b, c);
	}
	free(c);
	if (rc == 0) {
		*why = "no such client";
		return 404;
	}
	if (rc == -1)
		goto fail;
	put_str(b, ",\"events\":[");
	if (store_flagged_open(srv->rd, id, &e, STORE_FLAG_ANOMALY |
	    STORE_FLAG_ALERT, err, sizeof(err)) == -1)
		goto fail;
	while ((rc = store_points_next(srv->rd, &p, err, sizeof(err))) == 1) {
		if (k++ > 0)
			put_str(b, ",");
		api_point_json(b, &p);
	}
	store_points_close(srv->rd);
	if (rc == -1)
		goto fail;
	put_str(b, "],\"points\":");
	return 200;
fail:
	logmsg(0, "http: %s", err);
	*why = "database error";
	return 500;
}

int
api_points(struct server *srv, struct lws *wsi, const char *id,
    struct jsonbuf *b, struct api_stream *s, const char **why)
{
	struct api_events_q q = { .limit = LIMIT_DEFAULT, .asc = 1 };
	struct store_range r;
	int status;

	if ((*why = range_query(wsi, &q, API_LIMIT_MAX, 0)) != NULL)
		return 400;
	if ((status = range_stream(srv, id, &q, q.flags, &r, s, why)) != 200)
		return status;
	if (q.events == 0)
		return 200;
	if ((status = detail_head(srv, id, &r, q.events, b, why)) != 200)
		return status;
	/* the stream ends the object */
	if ((s->suffix = strdup("}\n")) == NULL) {
		*why = "out of memory";
		return 500;
	}
	s->suffixlen = 2;
	return 200;
}

int
api_events_open(struct store *st, const char *id, int64_t after,
    int64_t before, int64_t limit, int descending, char *err, size_t errlen)
{
	struct store_range r = { .after = after, .before = before,
	    .limit = limit, .descending = descending };

	return store_flagged_open(st, id, &r, STORE_FLAG_ANOMALY |
	    STORE_FLAG_ALERT, err, errlen);
}

const char *
api_events_query(struct lws *wsi, struct api_events_q *q, int64_t max)
{
	return range_query(wsi, q, max, 1);
}

int
api_events(struct server *srv, struct lws *wsi, const char *id,
    struct api_stream *s, const char **why)
{
	struct api_events_q q = { .limit = API_EVENTS_PAGE };
	struct store_range r;

	if ((*why = api_events_query(wsi, &q, EVENTS_MAX)) != NULL)
		return 400;
	return range_stream(srv, id, &q, STORE_FLAG_ANOMALY | STORE_FLAG_ALERT,
	    &r, s, why);
}

int
api_delete(struct server *srv, struct lws *wsi, const char *id,
    uint64_t *ticket, const char **why)
{
	if (!claim_may_delete(srv, wsi)) {
		*why = "token missing or wrong: send Authorization: Bearer "
		    "TOKEN";
		return 401;
	}
	switch (client_deleting(srv, id)) {
	case 1:
		*why = "the client is connected: stop its sender, then delete";
		return 409;
	case -1:
		*why = "out of memory";
		return 500;
	}
	/* the writer deletes it after what the batches hold now */
	*ticket = ++srv->tickets;
	if (commit_delete(srv, id, *ticket) == -1) {
		clients_deleted(srv, id);
		*why = "out of memory";
		return 500;
	}
	return 0;
}

int
api_deleted(const char *id, int found, int64_t points, const char *err,
    struct jsonbuf *b, const char **why)
{
	if (found == 0) {
		*why = "no such client";
		return 404;
	}
	if (found == -1) {
		logmsg(0, "http: %s", err);
		*why = "database error";
		return 500;
	}
	logmsg(0, "client %s deleted with its %lld points", id,
	    (long long)points);
	put_str(b, "{\"deleted\":");
	put_jstring(b, id, strlen(id));
	put_fmt(b, ",\"points\":%lld}\n", (long long)points);
	return 200;
}

void
api_error(struct jsonbuf *b, const char *why)
{
	put_str(b, "{\"error\":");
	put_jstring(b, why, strlen(why));
	put_str(b, "}\n");
}

/* A client with alerts, for /api/alerts. */
struct alerting {
	char	 id[STORE_ID_MAX + 1];
	int64_t	 last_seen_ms;
};

/* The clients with alerts, growing. */
struct alerting_list {
	struct alerting *v;
	size_t	 n, cap;
	int	 oom;
};

/* Adds c to the list at arg when it has alerts. */
static int
collect_alerting(void *arg, const struct store_client *c)
{
	struct alerting_list *l = arg;
	struct alerting *v;

	if (c->alerts <= 0)
		return 0;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		if ((v = realloc(l->v, l->cap * sizeof(*v))) == NULL) {
			l->oom = 1;
			return 1;
		}
		l->v = v;
	}
	snprintf(l->v[l->n].id, sizeof(l->v[0].id), "%s", c->client_id);
	l->v[l->n++].last_seen_ms = c->last_seen_ms;
	return 0;
}

/* The latest seen first. */
static int
cmp_alerting(const void *a, const void *b)
{
	const struct alerting *x = a, *y = b;

	if (x->last_seen_ms != y->last_seen_ms)
		return x->last_seen_ms > y->last_seen_ms ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* An alert of the list: its client and its point. */
struct alert_row {
	int		 client;	/* index in the alerting list */
	struct store_point p;
};

/* Whether alert x comes before y: received later, then the higher n, then
 * the client seen later. */
static int
alert_before(const struct alert_row *x, const struct alert_row *y)
{
	if (x->p.received_ms != y->p.received_ms)
		return x->p.received_ms > y->p.received_ms;
	if (x->p.n != y->p.n)
		return x->p.n > y->p.n;
	return x->client < y->client;
}

int
api_alerts(struct server *srv, struct lws *wsi, struct jsonbuf *b,
    const char **why)
{
	struct api_events_q q = { .limit = API_EVENTS_PAGE };
	struct alerting_list l = { NULL, 0, 0, 0 };
	struct alert_row *rows = NULL, row;
	struct store_range r = { .descending = 1 };
	char err[256];
	size_t i, n = 0, k;
	int rc = 0;

	if ((*why = api_events_query(wsi, &q, EVENTS_MAX)) != NULL)
		return 400;
	if (store_clients_each(srv->rd, collect_alerting, &l, err,
	    sizeof(err)) == -1 && !l.oom) {
		logmsg(0, "http: %s", err);
		*why = "database error";
		free(l.v);
		return 500;
	}
	if (l.oom || (rows = malloc((size_t)q.limit * sizeof(*rows))) ==
	    NULL) {
		free(l.v);
		*why = "out of memory";
		return 500;
	}
	qsort(l.v, l.n, sizeof(*l.v), cmp_alerting);
	/* A client's alerts were received by its last_seen_ms: once the list
	 * is full of newer ones, the clients seen earlier have none to add.
	 * Each client's newest alerts come by the index of flagged points. */
	for (i = 0; i < l.n && rc == 0 && ((int64_t)n < q.limit ||
	    l.v[i].last_seen_ms >= rows[n - 1].p.received_ms); i++) {
		if (q.has_since && l.v[i].last_seen_ms < q.since)
			continue;	/* nothing received since */
		r = (struct store_range){ .limit = q.limit, .descending = 1 };
		if (arrival_bounds(srv, l.v[i].id, &q, &r, err,
		    sizeof(err)) == -1 || store_flagged_open(srv->rd,
		    l.v[i].id, &r, STORE_FLAG_ALERT, err, sizeof(err)) == -1) {
			rc = -1;
			break;
		}
		row.client = (int)i;
		while ((rc = store_points_next(srv->rd, &row.p, err,
		    sizeof(err))) == 1) {
			if ((int64_t)n == q.limit && !alert_before(&row,
			    &rows[n - 1]))
				break;	/* older than the whole list */
			if ((int64_t)n < q.limit)
				n++;
			for (k = n - 1; k > 0 && alert_before(&row,
			    &rows[k - 1]); k--)
				rows[k] = rows[k - 1];
			rows[k] = row;
		}
		store_points_close(srv->rd);
		if (rc == 1)
			rc = 0;
	}
	if (rc == -1) {
		logmsg(0, "http: %s", err);
		free(rows);
		free(l.v);
		*why = "database error";
		return 500;
	}
	put_str(b, "[");
	for (k = 0; k < n; k++) {
		put_str(b, k > 0 ? ",{\"client_id\":" : "{\"client_id\":");
		put_jstring(b, l.v[rows[k].client].id,
		    strlen(l.v[rows[k].client].id));
		put_str(b, ",\"point\":");
		api_point_json(b, &rows[k].p);
		put_str(b, "}");
	}
	put_str(b, "]\n");
	free(rows);
	free(l.v);
	return 200;
}
