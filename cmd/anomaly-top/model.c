/*
 * model.c: anomaly-top's data and its key handling (see model.h).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fmt.h"
#include "model.h"

void
model_init(struct top_model *m)
{
	memset(m, 0, sizeof(*m));
	m->sel_db = -1;
	m->detail_db = -1;
	m->page = 1;
	m->anom_page = 1;
	m->alert_page = 1;
}

void
model_free(struct top_model *m)
{
	free(m->clients);
	free(m->rows);
	memset(m, 0, sizeof(*m));
}

static int
cmp_key(int db1, const char *id1, int db2, const char *id2)
{
	if (db1 != db2)
		return db1 < db2 ? -1 : 1;
	return strcmp(id1, id2);
}

static int
cmp_client(const void *a, const void *b)
{
	const struct top_client *x = a, *y = b;

	return cmp_key(x->db, x->id, y->db, y->id);
}

/* The client (db, id), or NULL: a binary search over the sorted part, then
 * a walk over the clients added in this refresh. */
static struct top_client *
find(const struct top_model *m, int db, const char *id)
{
	size_t lo = 0, hi = m->nsorted, mid, i;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = cmp_key(db, id, m->clients[mid].db, m->clients[mid].id);
		if (c == 0)
			return &m->clients[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	for (i = m->nsorted; i < m->nclients; i++)
		if (cmp_key(db, id, m->clients[i].db, m->clients[i].id) == 0)
			return &m->clients[i];
	return NULL;
}

struct top_client *
model_find(const struct top_model *m, int db, const char *id)
{
	return find(m, db, id);
}

void
model_refresh_begin(struct top_model *m, int64_t now_ms)
{
	size_t i;

	if (m->refreshes == 0)
		m->start_ms = now_ms;
	m->now_ms = now_ms;
	m->refreshes++;
	for (i = 0; i < m->nclients; i++)
		m->clients[i].seen = 0;
}

/* Keeps a sample of c's counters at now: appended when the last kept one
 * is TOP_SAMPLE_MS old, the oldest dropped when full; the history restarts
 * when a counter went down (another database under the same path). */
static void
sample(struct top_client *c, int64_t now)
{
	struct top_sample s = { now, c->points, c->anomalies, c->alerts };
	struct top_sample *last;

	if (c->nhist > 0) {
		last = &c->hist[c->nhist - 1];
		if (s.points < last->points || s.anomalies < last->anomalies ||
		    s.alerts < last->alerts || now < last->t_ms)
			c->nhist = 0;
	}
	if (c->nhist > 0 && now - c->hist[c->nhist - 1].t_ms < TOP_SAMPLE_MS)
		return;
	if (c->nhist == TOP_SAMPLES) {
		memmove(c->hist, c->hist + 1, sizeof(c->hist[0]) *
		    (TOP_SAMPLES - 1));
		c->nhist--;
	}
	c->hist[c->nhist++] = s;
}

int
model_refresh_client(struct top_model *m, int db,
    const struct store_client *sc)
{
	struct top_client *c, *p;

	if ((c = find(m, db, sc->client_id)) == NULL) {
		if (m->nclients == m->capclients) {
			size_t cap = m->capclients ? m->capclients * 2 : 64;

			p = realloc(m->clients, cap * sizeof(*p));
			if (p == NULL)
				return -1;
			m->clients = p;
			m->capclients = cap;
		}
		c = &m->clients[m->nclients++];
		memset(c, 0, sizeof(*c));
		memcpy(c->id, sc->client_id, sizeof(c->id));
		c->db = db;
		c->spark_points = -1;
	}
	c->window = sc->window;
	c->active = sc->active;
	c->first_seen_ms = sc->first_seen_ms;
	c->last_seen_ms = sc->last_seen_ms;
	c->points = sc->points;
	c->anomalies = sc->anomalies;
	c->alerts = sc->alerts;
	c->last_value = sc->last_value;
	c->seen = 1;
	return 0;
}

/* The rate and the last minute's counts of c at now, from its samples. */
static void
derive(const struct top_model *m, struct top_client *c)
{
	const struct top_sample *s, *base = NULL;
	struct top_sample zero = { 0, 0, 0, 0 };
	int64_t now = m->now_ms;
	int i;

	/* the oldest sample of the last TOP_RATE_MS, else (refreshes further
	 * apart) the newest before now */
	c->rate = NAN;
	s = NULL;
	for (i = 0; i < c->nhist; i++)
		if (c->hist[i].t_ms < now) {
			s = &c->hist[i];
			if (now - s->t_ms <= TOP_RATE_MS)
				break;
		}
	if (s != NULL)
		c->rate = (double)(c->points - s->points) * 1000.0 /
		    (double)(now - s->t_ms);
	for (i = c->nhist - 1; i >= 0; i--)
		if (now - c->hist[i].t_ms >= TOP_MINUTE_MS) {
			base = &c->hist[i];
			break;
		}
	if (base == NULL) {
		/* a client that appeared while we watched: all of it */
		if (c->first_seen_ms >= m->start_ms || c->nhist == 0)
			base = &zero;
		else
			base = &c->hist[0];
	}
	c->minute_anomalies = c->anomalies - base->anomalies;
	c->minute_alerts = c->alerts - base->alerts;
}

void
model_refresh_end(struct top_model *m)
{
	size_t i, j;

	for (i = j = 0; i < m->nclients; i++) {
		if (!m->clients[i].seen)
			continue;
		if (i != j)
			m->clients[j] = m->clients[i];
		j++;
	}
	m->nclients = j;
	/* new clients were appended: sort only then (the structs are big) */
	for (i = 1; i < m->nclients; i++)
		if (cmp_client(&m->clients[i - 1], &m->clients[i]) > 0) {
			qsort(m->clients, m->nclients, sizeof(*m->clients),
			    cmp_client);
			break;
		}
	m->nsorted = m->nclients;
	for (i = 0; i < m->nclients; i++) {
		sample(&m->clients[i], m->now_ms);
		derive(m, &m->clients[i]);
	}
	model_relist(m);
}

struct top_client *
model_row(const struct top_model *m, size_t r)
{
	return r < m->nrows ? &m->clients[m->rows[r]] : NULL;
}

struct top_client *
model_detail_client(const struct top_model *m)
{
	size_t i;

	if (m->detail_db >= 0)
		return find(m, m->detail_db, m->detail_id);
	for (i = 0; i < m->nclients; i++)
		if (strcmp(m->clients[i].id, m->detail_id) == 0)
			return &m->clients[i];
	return NULL;
}

static double
percent(const struct top_client *c)
{
	return c->points > 0 ? (double)c->anomalies / (double)c->points : 0;
}

/* Orders the clients x and y for the table under sort: the biggest first,
 * then by id and database. */
static int
cmp_row(const struct top_client *x, const struct top_client *y,
    enum top_sort sort)
{
	double dx = 0, dy = 0;

	switch (sort) {
	case SORT_ID:
		break;
	case SORT_POINTS:
		dx = (double)x->points, dy = (double)y->points;
		break;
	case SORT_ANOMALIES:
		dx = (double)x->anomalies, dy = (double)y->anomalies;
		break;
	case SORT_ALERTS:
		dx = (double)x->alerts, dy = (double)y->alerts;
		break;
	case SORT_PERCENT:
		dx = percent(x), dy = percent(y);
		break;
	case SORT_RATE:
		dx = isnan(x->rate) ? -1 : x->rate;
		dy = isnan(y->rate) ? -1 : y->rate;
		break;
	case SORT_SEEN:
		dx = (double)x->last_seen_ms, dy = (double)y->last_seen_ms;
		break;
	case SORT_COUNT:
		break;
	}
	if (dx != dy)
		return dx > dy ? -1 : 1;
	return cmp_key(x->db, x->id, y->db, y->id);
}

/* Sorts the n row indices in rows by cmp_row() (a merge sort: qsort()
 * takes no context in C11), using tmp (n entries). */
static void
sort_rows(const struct top_client *cl, enum top_sort sort, size_t *rows,
    size_t *tmp, size_t n)
{
	size_t mid = n / 2, i = 0, j = mid, k = 0;

	if (n < 2)
		return;
	sort_rows(cl, sort, rows, tmp, mid);
	sort_rows(cl, sort, rows + mid, tmp, n - mid);
	while (i < mid && j < n)
		tmp[k++] = cmp_row(&cl[rows[j]], &cl[rows[i]], sort) < 0 ?
		    rows[j++] : rows[i++];
	while (i < mid)
		tmp[k++] = rows[i++];
	while (j < n)
		tmp[k++] = rows[j++];
	memcpy(rows, tmp, n * sizeof(*rows));
}

/* Whether id holds the filter text, ignoring case. */
static int
matches(const char *id, const char *filter)
{
	size_t n = strlen(filter), i;

	if (n == 0)
		return 1;
	for (i = 0; id[i] != '\0'; i++)
		if (strncasecmp(id + i, filter, n) == 0)
			return 1;
	return 0;
}

/* Keeps row sel between top and top + page. */
static void
scroll(struct top_model *m)
{
	if (m->nrows == 0) {
		m->sel = m->top = 0;
		return;
	}
	if (m->sel >= m->nrows)
		m->sel = m->nrows - 1;
	if (m->sel < m->top)
		m->top = m->sel;
	if (m->page > 0 && m->sel >= m->top + (size_t)m->page)
		m->top = m->sel - (size_t)m->page + 1;
	/* no blank rows at the end while rows are hidden above */
	if (m->page > 0 && m->top + (size_t)m->page > m->nrows)
		m->top = m->nrows > (size_t)m->page ?
		    m->nrows - (size_t)m->page : 0;
}

static void
remember_sel(struct top_model *m)
{
	struct top_client *c = model_row(m, m->sel);

	if (c != NULL) {
		memcpy(m->sel_id, c->id, sizeof(m->sel_id));
		m->sel_db = c->db;
	}
}

void
model_relist(struct top_model *m)
{
	size_t i, *r;

	if (m->nclients > 0) {
		r = realloc(m->rows, m->nclients * sizeof(*r));
		if (r == NULL) {
			m->nrows = 0;
			return;
		}
		m->rows = r;
	}
	m->nrows = 0;
	for (i = 0; i < m->nclients; i++) {
		if (!m->show_inactive && !m->clients[i].active)
			continue;
		if (!matches(m->clients[i].id, m->filter))
			continue;
		m->rows[m->nrows++] = i;
	}
	if (m->nrows > 1) {
		size_t *tmp = malloc(m->nrows * sizeof(*tmp));

		if (tmp != NULL)	/* else unsorted, still listed */
			sort_rows(m->clients, m->sort, m->rows, tmp,
			    m->nrows);
		free(tmp);
	}
	if (m->sel_id[0] != '\0')
		for (i = 0; i < m->nrows; i++) {
			struct top_client *c = &m->clients[m->rows[i]];

			if (c->db == m->sel_db && strcmp(c->id, m->sel_id) == 0) {
				m->sel = i;
				break;
			}
		}
	scroll(m);
	remember_sel(m);
}

size_t
model_hidden_matches(const struct top_model *m)
{
	size_t i, k = 0;

	if (m->show_inactive)
		return 0;
	for (i = 0; i < m->nclients; i++)
		if (!m->clients[i].active &&
		    matches(m->clients[i].id, m->filter))
			k++;
	return k;
}

void
model_alerts_clear(struct top_model *m)
{
	m->nalerts = 0;
}

/* Orders alerts x and y in the list: < 0 when x comes first (newer). */
static int
cmp_alert(const struct top_alert *x, const struct top_alert *y)
{
	if (x->received_ms != y->received_ms)
		return x->received_ms > y->received_ms ? -1 : 1;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return cmp_key(x->db, x->id, y->db, y->id);
}

int
model_alert_wanted(const struct top_model *m, int64_t received_ms)
{
	return m->nalerts < TOP_ALERTS_MAX ||
	    received_ms > m->alerts[m->nalerts - 1].received_ms;
}

void
model_alert_add(struct top_model *m, const struct top_alert *a)
{
	size_t lo = 0, hi = m->nalerts, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = cmp_alert(a, &m->alerts[mid])) == 0)
			return;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (lo >= TOP_ALERTS_MAX)
		return;
	if (m->nalerts == TOP_ALERTS_MAX)
		m->nalerts--;
	memmove(&m->alerts[lo + 1], &m->alerts[lo],
	    (m->nalerts - lo) * sizeof(*a));
	m->alerts[lo] = *a;
	m->nalerts++;
}

void
model_open_detail(struct top_model *m, const char *id, int db)
{
	snprintf(m->detail_id, sizeof(m->detail_id), "%s", id);
	m->detail_db = db;
	m->detail_back = m->view == VIEW_ALERTS ? VIEW_ALERTS : VIEW_TABLE;
	m->view = VIEW_DETAIL;
	m->detail_end = 0;
	m->anom_top = 0;
	m->nchart = m->nanoms = 0;
}

void
model_set_page(struct top_model *m, int rows)
{
	m->page = rows < 1 ? 1 : rows;
	scroll(m);
}

/* Moves the selection by delta rows (clamped). */
static enum top_action
move(struct top_model *m, long delta)
{
	size_t top = m->top;

	if (m->nrows == 0)
		return ACT_NONE;
	if (delta < 0 && (size_t)-delta > m->sel)
		m->sel = 0;
	else if (delta > 0 && m->sel + (size_t)delta >= m->nrows)
		m->sel = m->nrows - 1;
	else
		m->sel = (size_t)((long)m->sel + delta);
	scroll(m);
	remember_sel(m);
	return m->top != top ? ACT_FETCH : ACT_REDRAW;
}

static enum top_action
prompt_key(struct top_model *m, int key)
{
	size_t len = strlen(m->filter);

	switch (key) {
	case TOPK_ENTER:
	case '\r':
		m->prompt = 0;
		return ACT_REDRAW;
	case TOPK_ESC:
		m->prompt = 0;
		memcpy(m->filter, m->filter_saved, sizeof(m->filter));
		break;
	case TOPK_BACKSPACE:
	case '\b':
		if (len == 0)
			return ACT_NONE;
		m->filter[len - 1] = '\0';
		break;
	default:
		if (key < 0x20 || key > 0x7e || len >= TOP_FILTER_MAX)
			return ACT_NONE;
		m->filter[len] = (char)key;
		m->filter[len + 1] = '\0';
		break;
	}
	model_relist(m);
	return ACT_FETCH;
}

/* The last n of the detail chart: the live end or where it was panned. */
static int64_t
detail_last(const struct top_model *m)
{
	struct top_client *c = model_detail_client(m);

	if (m->detail_end > 0)
		return m->detail_end;
	return c != NULL ? c->points : 0;
}

static enum top_action
detail_key(struct top_model *m, int key)
{
	struct top_client *c = model_detail_client(m);
	int64_t width = m->detail_width > 0 ? (int64_t)m->detail_width : 1;
	int64_t points = c != NULL ? c->points : 0, end;
	int64_t oldest = points < width ? points : width;

	switch (key) {
	case TOPK_ESC:
	case TOPK_LEFT:
	case 'h':
		m->view = m->detail_back;
		m->nchart = m->nanoms = 0;
		return ACT_FETCH;
	case 'A':
		m->view = VIEW_ALERTS;
		m->nchart = m->nanoms = 0;
		return ACT_FETCH;
	case TOPK_UP:
	case 'k':
		if (m->anom_top == 0)
			return ACT_NONE;
		m->anom_top--;
		return ACT_REDRAW;
	case TOPK_DOWN:
	case 'j':
		if (m->anom_top + (size_t)m->anom_page >= m->nanoms)
			return ACT_NONE;
		m->anom_top++;
		return ACT_REDRAW;
	case TOPK_PGUP:
		end = detail_last(m) - width;
		m->detail_end = end < oldest ? oldest : end;
		if (m->detail_end >= points)
			m->detail_end = 0;
		m->anom_top = 0;
		return ACT_FETCH;
	case TOPK_PGDN:
		if (m->detail_end == 0)
			return ACT_NONE;
		m->detail_end += width;
		if (m->detail_end >= points)
			m->detail_end = 0;
		m->anom_top = 0;
		return ACT_FETCH;
	case TOPK_HOME:
		m->detail_end = oldest < points ? oldest : 0;
		m->anom_top = 0;
		return ACT_FETCH;
	case TOPK_END:
		m->detail_end = 0;
		m->anom_top = 0;
		return ACT_FETCH;
	default:
		return ACT_NONE;
	}
}

/* Moves the alerts view's selection by delta (clamped), keeping it on
 * screen. */
static enum top_action
alert_move(struct top_model *m, long delta)
{
	size_t page = m->alert_page > 0 ? (size_t)m->alert_page : 1;

	if (m->nalerts == 0)
		return ACT_NONE;
	if (delta < 0 && (size_t)-delta > m->alert_sel)
		m->alert_sel = 0;
	else if (delta > 0 && m->alert_sel + (size_t)delta >= m->nalerts)
		m->alert_sel = m->nalerts - 1;
	else
		m->alert_sel = (size_t)((long)m->alert_sel + delta);
	if (m->alert_sel < m->alert_top)
		m->alert_top = m->alert_sel;
	if (m->alert_sel >= m->alert_top + page)
		m->alert_top = m->alert_sel - page + 1;
	return ACT_REDRAW;
}

static enum top_action
alerts_key(struct top_model *m, int key)
{
	const struct top_alert *a;
	long page = m->alert_page > 0 ? m->alert_page : 1;

	switch (key) {
	case TOPK_ESC:
	case TOPK_LEFT:
	case 'h':
	case 'A':
		m->view = VIEW_TABLE;
		return ACT_FETCH;
	case TOPK_UP:
	case 'k':
		return alert_move(m, -1);
	case TOPK_DOWN:
	case 'j':
		return alert_move(m, 1);
	case TOPK_PGUP:
		return alert_move(m, -page);
	case TOPK_PGDN:
		return alert_move(m, page);
	case TOPK_HOME:
	case 'g':
		return alert_move(m, -(long)m->nalerts);
	case TOPK_END:
	case 'G':
		return alert_move(m, (long)m->nalerts);
	case TOPK_ENTER:
	case '\r':
	case TOPK_RIGHT:
	case 'l':
		if (m->alert_sel >= m->nalerts)
			return ACT_NONE;
		a = &m->alerts[m->alert_sel];
		model_open_detail(m, a->id, a->db);
		return ACT_FETCH;
	default:
		return ACT_NONE;
	}
}

enum top_action
model_key(struct top_model *m, int key)
{
	struct top_client *c;

	if (key == TOPK_NONE)
		return ACT_NONE;
	if (m->prompt)
		return prompt_key(m, key);
	if (key == 'q' || key == 'Q')
		return ACT_QUIT;
	if (m->help) {
		m->help = 0;
		return ACT_REDRAW;
	}
	switch (key) {
	case '?':
		m->help = 1;
		return ACT_REDRAW;
	case 'p':
	case ' ':
		m->paused = !m->paused;
		return ACT_REDRAW;
	case TOPK_RESIZE:
		return ACT_FETCH;
	}
	if (m->view == VIEW_DETAIL)
		return detail_key(m, key);
	if (m->view == VIEW_ALERTS)
		return alerts_key(m, key);
	switch (key) {
	case TOPK_UP:
	case 'k':
		return move(m, -1);
	case TOPK_DOWN:
	case 'j':
		return move(m, 1);
	case TOPK_PGUP:
		return move(m, -(long)m->page);
	case TOPK_PGDN:
		return move(m, m->page);
	case TOPK_HOME:
	case 'g':
		return move(m, -(long)m->nrows);
	case TOPK_END:
	case 'G':
		return move(m, (long)m->nrows);
	case TOPK_ENTER:
	case '\r':
	case TOPK_RIGHT:
	case 'l':
		if ((c = model_row(m, m->sel)) == NULL)
			return ACT_NONE;
		model_open_detail(m, c->id, c->db);
		return ACT_FETCH;
	case 's':
		m->sort = (m->sort + 1) % SORT_COUNT;
		model_relist(m);
		return ACT_FETCH;
	case '/':
		m->prompt = 1;
		memcpy(m->filter_saved, m->filter, sizeof(m->filter));
		return ACT_REDRAW;
	case 'a':
		m->show_inactive = !m->show_inactive;
		model_relist(m);
		return ACT_FETCH;
	case 'A':
		m->view = VIEW_ALERTS;
		return ACT_FETCH;
	case TOPK_ESC:
		if (m->filter[0] == '\0')
			return ACT_NONE;
		m->filter[0] = '\0';
		model_relist(m);
		return ACT_FETCH;
	default:
		return ACT_NONE;
	}
}

enum top_action
model_click(struct top_model *m, int r, int dbl)
{
	size_t row;
	struct top_client *c;

	if (m->view != VIEW_TABLE || m->help || m->prompt || r < 0)
		return ACT_NONE;
	row = m->top + (size_t)r;
	if (row >= m->nrows)
		return ACT_NONE;
	m->sel = row;
	remember_sel(m);
	if (!dbl)
		return ACT_REDRAW;
	c = model_row(m, row);
	model_open_detail(m, c->id, c->db);
	return ACT_FETCH;
}

void
model_totals(const struct top_model *m, struct top_totals *t)
{
	size_t i;
	int known = 0;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < m->nclients; i++) {
		const struct top_client *c = &m->clients[i];

		t->total++;
		if (c->active)
			t->active++;
		if (!isnan(c->rate)) {
			t->rate += c->rate;
			known = 1;
		}
		t->anomalies += c->minute_anomalies;
		t->alerts += c->minute_alerts;
	}
	if (!known)
		t->rate = NAN;
	t->span_ms = m->now_ms - m->start_ms;
	if (t->span_ms > TOP_MINUTE_MS)
		t->span_ms = TOP_MINUTE_MS;
}

const char *
model_sort_name(enum top_sort s)
{
	static const char *const names[SORT_COUNT] = {
		"id", "points", "anomalies", "alerts", "anomaly%", "rate",
		"seen"
	};

	return (unsigned)s < SORT_COUNT ? names[s] : "?";
}
