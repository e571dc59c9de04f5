/*
 * query.c: anomaly-top's reads of the databases (see query.h).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiclient.h"
#include "clock.h"
#include "fmt.h"
#include "query.h"
#include "store.h"

#define REMOTE_CLIENTS	1000	/* clients per request (API_CLIENTS_MAX) */

struct fill {
	struct top_model *m;
	int	 db;
	int	 oom;
	int	 spark;		/* sparkline points asked of servers */
	char	 last[STORE_ID_MAX + 1];	/* the last id of a page */
};

static int
add_client(void *arg, const struct store_client *c)
{
	struct fill *f = arg;

	if (model_refresh_client(f->m, f->db, c) == -1) {
		f->oom = 1;
		return 1;
	}
	return 0;
}

/* apiclient_clients()' callback: the client of a server and its
 * sparkline, as query_spark() would read them. */
static int
add_remote(void *arg, const struct store_client *sc,
    const struct apispark *sp)
{
	struct fill *f = arg;
	struct top_client *c;
	int i;

	if (add_client(arg, sc) != 0)
		return 1;
	memcpy(f->last, sc->client_id, sizeof(f->last));
	if (sp == NULL || (c = model_find(f->m, f->db, sc->client_id)) == NULL)
		return 0;
	for (i = 0; i < sp->n && i < TOP_SPARK_MAX; i++) {
		c->spark[i] = (float)sp->value[i];
		c->sparkflags[i] = (sp->anomaly[i] ? FMT_ANOMALY : 0) |
		    (sp->alert[i] ? FMT_ALERT : 0);
	}
	c->nspark = i;
	c->spark_points = c->points;
	c->spark_asked = f->spark;
	return 0;
}

/* Reads the clients of server api into f, page by page.  Returns 0, or -1
 * with a message in err. */
static int
remote_clients(struct apiclient *api, struct fill *f, char *err,
    size_t errlen)
{
	char last[STORE_ID_MAX + 1] = "";
	int n;

	do {
		if (apiclient_clients(api, last[0] != '\0' ? last : NULL,
		    REMOTE_CLIENTS, f->spark, add_remote, f, &n, err,
		    errlen) == -1)
			return -1;
		memcpy(last, f->last, sizeof(last));
	} while (n == REMOTE_CLIENTS);
	return 0;
}

int
query_clients(struct top_dbs *dbs, struct top_model *m, int64_t now_ms,
    char *err, size_t errlen)
{
	struct fill f = { m, 0, 0, 0, "" };
	char e[256];
	size_t len = 0;
	int i, rc = 0;

	f.spark = dbs->spark > m->spark_width ? dbs->spark : m->spark_width;
	if (f.spark > TOP_SPARK_MAX)
		f.spark = TOP_SPARK_MAX;
	if (errlen > 0)
		err[0] = '\0';
	model_refresh_begin(m, now_ms);
	for (i = 0; i < dbs->n; i++) {
		f.db = i;
		if (dbs->apis != NULL && dbs->apis[i] != NULL) {
			/* a server down: named, and the others shown */
			if (remote_clients(dbs->apis[i], &f, e,
			    sizeof(e)) == -1 && !f.oom) {
				if (len < errlen)
					len += (size_t)snprintf(err + len,
					    errlen - len, "%s%s: unreachable "
					    "(%s)", len > 0 ? "; " : "",
					    dbs->paths[i], e);
				rc = -1;
				continue;
			}
		} else if (store_clients_each(dbs->stores[i], add_client, &f,
		    err, errlen) != 0 && !f.oom) {
			rc = -1;
			break;
		}
		if (f.oom) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
			break;
		}
	}
	model_refresh_end(m);
	return rc;
}

int
query_spark(struct top_dbs *dbs, struct top_client *c, int width, char *err,
    size_t errlen)
{
	struct store *st = dbs->stores[c->db];
	struct store_range r = { 0, 0, 0, 0, 1 };
	struct store_point p;
	int k = 0, rc, i;

	if (width > TOP_SPARK_MAX)
		width = TOP_SPARK_MAX;
	if (width <= 0)
		return 0;
	if (c->spark_points == c->points && c->spark_asked >= width)
		return 0;
	if (st == NULL)
		return 0;	/* a server's: read with its clients */
	r.limit = width;
	if (store_points_open(st, c->id, &r, err, errlen) == -1)
		return -1;
	/* newest first: fill from the right, then move to the left */
	while (k < width && (rc = store_points_next(st, &p, err, errlen)) == 1) {
		c->spark[width - 1 - k] = (float)p.value;
		c->sparkflags[width - 1 - k] = (p.anomaly ? FMT_ANOMALY : 0) |
		    (p.alert ? FMT_ALERT : 0);
		k++;
	}
	store_points_close(st);
	if (k < width && rc == -1)
		return -1;
	for (i = 0; i < k; i++) {
		c->spark[i] = c->spark[width - k + i];
		c->sparkflags[i] = c->sparkflags[width - k + i];
	}
	c->nspark = k;
	c->spark_points = c->points;
	c->spark_asked = width;
	return 0;
}

int
query_sparks(struct top_dbs *dbs, struct top_model *m, char *err,
    size_t errlen)
{
	size_t r;
	struct top_client *c;

	for (r = m->top; r < m->top + (size_t)m->page && r < m->nrows; r++) {
		c = model_row(m, r);
		if (query_spark(dbs, c, m->spark_width, err, errlen) == -1)
			return -1;
	}
	return 0;
}

/* The timestamp t as text. */
static void
ts_text(const struct store_ts *t, char *buf, size_t size)
{
	switch (t->type) {
	case STORE_TS_INTEGER:
		snprintf(buf, size, "%lld", (long long)t->i);
		break;
	case STORE_TS_REAL:
		snprintf(buf, size, "%.15g", t->r);
		break;
	case STORE_TS_TEXT:
		snprintf(buf, size, "%s", t->text);
		break;
	}
}

/* The detail view being read from a server: where its points go. */
struct remote_detail {
	struct top_model *m;
	size_t	 width, k;
	int	 db;
};

/* apiclient_read_points()' callback for the chart: newest first, from the
 * right. */
static int
remote_chart(void *arg, const struct store_point *p)
{
	struct remote_detail *d = arg;
	struct top_point *t;

	if (d->k >= d->width)
		return 0;
	t = &d->m->chart[d->width - 1 - d->k++];
	t->n = p->n;
	t->value = p->value;
	t->flags = (p->anomaly ? FMT_ANOMALY : 0) | (p->alert ? FMT_ALERT : 0);
	return 0;
}

/* apiclient_read_points()' callback for the list of anomalies. */
static int
remote_anomaly(void *arg, const struct store_point *p)
{
	struct remote_detail *d = arg;
	struct top_anomaly *a;

	if (d->m->nanoms >= TOP_ANOM_MAX)
		return 0;
	a = &d->m->anoms[d->m->nanoms++];
	a->n = p->n;
	ts_text(&p->ts, a->ts, sizeof(a->ts));
	a->value = p->value;
	a->score = p->score;
	a->votes = p->votes;
	a->anomaly = p->anomaly;
	a->alert = p->alert;
	a->received_ms = p->received_ms;
	return 0;
}

/* apiclient_detail()'s callback: the client's counters into the model. */
static int
remote_client(void *arg, const struct store_client *sc)
{
	struct remote_detail *d = arg;

	if (model_update_client(d->m, d->db, sc, clock_wall_ms()) == -1)
		return 1;
	/* retention's stored range; an older server does not say: all */
	d->m->detail_oldest = sc->oldest_n >= 0 ? sc->oldest_n : 1;
	return 0;
}

/* remote_detail() from an anomalyd older than events=K: the client, its
 * points and its events in three requests.  Returns 1, 0 when there is no
 * such client, -1. */
static int
remote_detail_old(struct apiclient *api, struct top_model *m, const char *id,
    struct remote_detail *d, char *err, size_t errlen)
{
	struct store_client *sc;
	char path[512], bound[32] = "";
	int64_t got;
	size_t n;
	int rc;

	if ((sc = malloc(sizeof(*sc))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = apiclient_client(api, id, sc, err, errlen);
	if (rc == 1 && remote_client(d, sc) != 0) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	free(sc);
	if (rc != 1)
		return rc;
	if (m->detail_end > 0)
		snprintf(bound, sizeof(bound), "&before=%lld",
		    (long long)m->detail_end + 1);
	snprintf(path, sizeof(path), "/api/clients/");
	apiclient_urlenc(path, sizeof(path), id);
	n = strlen(path);
	if (d->width > 0) {
		snprintf(path + n, sizeof(path) - n, "/points?order=desc&"
		    "limit=%zu%s", d->width, bound);
		if (apiclient_read_points(api, path, remote_chart, d, &got,
		    err, errlen) == -1)
			return -1;
	}
	snprintf(path + n, sizeof(path) - n, "/events?limit=%d%s",
	    TOP_ANOM_MAX, bound);
	if (apiclient_read_points(api, path, remote_anomaly, d, &got, err,
	    errlen) == -1)
		return -1;
	return 1;
}

/* query_detail() for a client of server api: the client, its newest
 * points up to m->detail_end and its anomalies and alerts, newest first,
 * in one request.  Returns 0 or -1. */
static int
remote_detail(struct top_dbs *dbs, struct top_model *m,
    const struct top_client *c, size_t width, char *err, size_t errlen)
{
	struct remote_detail d = { m, width, 0, c->db };
	char id[STORE_ID_MAX + 1];
	size_t i;
	int rc;

	/* c moves if the model grows: its id is kept */
	memcpy(id, c->id, sizeof(id));
	struct apiclient *api = dbs->apis[c->db];
	uint64_t bit = c->db < 64 ? (uint64_t)1 << c->db : 0;

	rc = 2;
	if (!(dbs->old_api & bit))
		rc = apiclient_detail(api, id, m->detail_end > 0 ?
		    m->detail_end + 1 : 0, width > 0 ? (int64_t)width : 1,
		    TOP_ANOM_MAX, remote_client, remote_anomaly, remote_chart,
		    &d, err, errlen);
	if (rc == 2) {
		dbs->old_api |= bit;
		rc = remote_detail_old(api, m, id, &d, err, errlen);
	}
	if (rc == -1)
		return -1;
	if (rc == 0) {
		m->detail_found = 0;
		return 0;
	}
	if (width == 0)
		d.k = 0;
	for (i = 0; i < d.k; i++)
		m->chart[i] = m->chart[width - d.k + i];
	m->nchart = d.k;
	if (m->anom_top >= m->nanoms)
		m->anom_top = 0;
	return 0;
}

int
query_detail(struct top_dbs *dbs, struct top_model *m, char *err,
    size_t errlen)
{
	struct top_client *c = model_detail_client(m);
	struct store_range r = { 0, 0, 0, 0, 1 };
	struct store_point p;
	struct store *st;
	size_t width = m->detail_width, k = 0, i;
	int rc = 0;

	m->nchart = m->nanoms = 0;
	m->detail_found = c != NULL;
	if (c == NULL)
		return 0;
	st = dbs->stores[c->db];
	if (width > TOP_CHART_MAX)
		width = TOP_CHART_MAX;
	if (st == NULL)
		return remote_detail(dbs, m, c, width, err, errlen);
	if (store_oldest(st, c->id, &m->detail_oldest, err, errlen) == -1)
		return -1;
	r.before = m->detail_end > 0 ? m->detail_end + 1 : 0;
	r.limit = (int64_t)width;
	if (width > 0) {
		if (store_points_open(st, c->id, &r, err, errlen) == -1)
			return -1;
		while (k < width &&
		    (rc = store_points_next(st, &p, err, errlen)) == 1) {
			struct top_point *t = &m->chart[width - 1 - k];

			t->n = p.n;
			t->value = p.value;
			t->flags = (p.anomaly ? FMT_ANOMALY : 0) |
			    (p.alert ? FMT_ALERT : 0);
			k++;
		}
		store_points_close(st);
		if (rc == -1)
			return -1;
		for (i = 0; i < k; i++)
			m->chart[i] = m->chart[width - k + i];
		m->nchart = k;
	}
	/* the anomalies and the alerts (an alert need not be an anomaly) */
	r.limit = TOP_ANOM_MAX;
	if (store_flagged_open(st, c->id, &r, STORE_FLAG_ANOMALY |
	    STORE_FLAG_ALERT, err, errlen) == -1)
		return -1;
	while (m->nanoms < TOP_ANOM_MAX &&
	    (rc = store_points_next(st, &p, err, errlen)) == 1) {
		struct top_anomaly *a = &m->anoms[m->nanoms++];

		a->n = p.n;
		ts_text(&p.ts, a->ts, sizeof(a->ts));
		a->value = p.value;
		a->score = p.score;
		a->votes = p.votes;
		a->anomaly = p.anomaly;
		a->alert = p.alert;
		a->received_ms = p.received_ms;
	}
	store_points_close(st);
	if (rc == -1)
		return -1;
	if (m->anom_top >= m->nanoms)
		m->anom_top = 0;
	return 0;
}

/* Orders clients with alerts by last_seen_ms, the latest first. */
static int
cmp_seen(const void *a, const void *b)
{
	const struct top_client *x = *(struct top_client *const *)a;
	const struct top_client *y = *(struct top_client *const *)b;

	if (x->last_seen_ms != y->last_seen_ms)
		return x->last_seen_ms > y->last_seen_ms ? -1 : 1;
	return 0;
}

/* An alert of a server on its way to the list. */
struct remote_alerts {
	struct top_model *m;
	int	 db;
};

/* apiclient_alerts()' callback: the alert into the list. */
static int
remote_alert(void *arg, const char *id, const struct store_point *p)
{
	struct remote_alerts *ra = arg;
	struct top_alert a;

	if (!model_alert_wanted(ra->m, p->received_ms))
		return 0;
	memset(&a, 0, sizeof(a));
	snprintf(a.id, sizeof(a.id), "%s", id);
	a.db = ra->db;
	a.n = p->n;
	ts_text(&p->ts, a.ts, sizeof(a.ts));
	a.value = p->value;
	a.votes = p->votes;
	a.anomaly = p->anomaly;
	a.received_ms = p->received_ms;
	model_alert_add(ra->m, &a);
	return 0;
}

int
query_alerts(struct top_dbs *dbs, struct top_model *m, char *err,
    size_t errlen)
{
	struct remote_alerts ra = { m, 0 };
	int j;
	struct store_range r = { 0, 0, TOP_ALERTS_MAX, 0, 1 };
	struct top_client **by_seen;
	struct top_alert a, sel;
	struct store_point p;
	struct store *st;
	size_t i, n = 0;
	int rc = 0, has_sel = m->alert_sel < m->nalerts;

	if (has_sel)
		sel = m->alerts[m->alert_sel];
	model_alerts_clear(m);
	if (m->nclients == 0)
		return 0;
	if ((by_seen = malloc(m->nclients * sizeof(*by_seen))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < m->nclients; i++)
		if (m->clients[i].alerts > 0 &&
		    dbs->stores[m->clients[i].db] != NULL)
			by_seen[n++] = &m->clients[i];
	qsort(by_seen, n, sizeof(*by_seen), cmp_seen);
	/* A client's alerts were received by its last_seen_ms: once the list
	 * is full of newer ones, the clients seen earlier have none to add. */
	for (i = 0; i < n && model_alert_wanted(m, by_seen[i]->last_seen_ms);
	    i++) {
		st = dbs->stores[by_seen[i]->db];
		if (store_flagged_open(st, by_seen[i]->id, &r,
		    STORE_FLAG_ALERT, err, errlen) == -1) {
			rc = -1;
			break;
		}
		while ((rc = store_points_next(st, &p, err, errlen)) == 1 &&
		    model_alert_wanted(m, p.received_ms)) {
			memset(&a, 0, sizeof(a));
			memcpy(a.id, by_seen[i]->id, sizeof(a.id));
			a.db = by_seen[i]->db;
			a.n = p.n;
			ts_text(&p.ts, a.ts, sizeof(a.ts));
			a.value = p.value;
			a.votes = p.votes;
			a.anomaly = p.anomaly;
			a.received_ms = p.received_ms;
			model_alert_add(m, &a);
		}
		store_points_close(st);
		if (rc == -1)
			break;
		rc = 0;
	}
	free(by_seen);
	/* each server's newest alerts: one request each */
	for (j = 0; rc == 0 && dbs->apis != NULL && j < dbs->n; j++) {
		if (dbs->apis[j] == NULL)
			continue;
		ra.db = j;
		if (apiclient_alerts(dbs->apis[j], TOP_ALERTS_MAX,
		    remote_alert, &ra, err, errlen) == -1)
			rc = -1;
	}
	/* the selection stays on its alert, else in the list */
	if (has_sel)
		for (i = 0; i < m->nalerts; i++)
			if (m->alerts[i].n == sel.n && m->alerts[i].db == sel.db &&
			    strcmp(m->alerts[i].id, sel.id) == 0) {
				m->alert_sel = i;
				break;
			}
	if (m->alert_sel >= m->nalerts)
		m->alert_sel = m->nalerts > 0 ? m->nalerts - 1 : 0;
	if (m->alert_top > m->alert_sel)
		m->alert_top = m->alert_sel;
	if (m->alert_page > 0 && m->alert_sel >= m->alert_top +
	    (size_t)m->alert_page)
		m->alert_top = m->alert_sel - (size_t)m->alert_page + 1;
	return rc;
}
