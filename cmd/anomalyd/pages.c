/*
 * pages.c: the pages of SPEC §5, rendered on the server (see pages.h).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "chart.h"
#include "clock.h"
#include "log.h"
#include "pages.h"
#include "put.h"

#define PAGE_POINTS	100	/* rows of the client page's table */
#define CHART_POINTS	1000	/* points of the client page's chart */
#define EVENTS_PAGE	API_EVENTS_PAGE	/* the API's page of events */

/* The page's head, its title escaped, and the start of its body.  The
 * body's data-page names the page for /static/app.js. */
static void
page_head(struct jsonbuf *b, const char *title, size_t tlen,
    const char *page)
{
	put_str(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n"
	    "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
	put_html(b, title, tlen);
	put_str(b, " \xc2\xb7 anomalyd</title>\n<link rel=\"icon\" "
	    "href=\"/static/favicon.svg\" type=\"image/svg+xml\">\n"
	    "<link rel=\"stylesheet\" href=\"/static/style.css\">\n");
	if (strcmp(page, "client") == 0)
		put_str(b, "<link rel=\"stylesheet\" "
		    "href=\"/static/uplot/uPlot.min.css\">\n");
	put_fmt(b, "</head>\n<body data-page=\"%s\">\n<header class=\"bar\">"
	    "<a class=\"brand\" href=\"/\">anomalyd</a>"
	    "<span class=\"live\" id=\"live\" hidden></span></header>\n"
	    "<main>\n", page);
}

/* The end of a page: its data as JSON in a script block that is never
 * run (every '<' in it is escaped by the JSON writer, so "</script>"
 * cannot end it early), and the page's code, a static file (the CSP
 * forbids inline script).  With rest, what follows the data goes there
 * instead of b (the client page streams the data's points between). */
static void
page_tail(struct jsonbuf *b, const struct jsonbuf *data, int chart,
    struct jsonbuf *rest)
{
	put_str(b, "</main>\n<footer><a href=\"/api/clients\">JSON</a> "
	    "\xc2\xb7 <a href=\"/metrics\">metrics</a></footer>\n");
	if (data != NULL) {
		put_str(b, "<script type=\"application/json\" "
		    "id=\"page-data\">");
		put_raw(b, jsonbuf_text(data), data->len);
		if (rest != NULL)
			b = rest;
		put_str(b, "</script>\n");
	}
	if (chart)
		put_str(b, "<script src=\"/static/uplot/uPlot.iife.min.js\">"
		    "</script>\n");
	put_str(b, "<script src=\"/static/app.js\"></script>\n"
	    "</body></html>\n");
}

/* How long ago ms was, as now - ms reads to a person. */
static void
put_ago(struct jsonbuf *b, int64_t now, int64_t ms)
{
	int64_t s = (now - ms) / 1000;

	if (ms <= 0)
		put_str(b, "never");
	else if (s < 2)
		put_str(b, "just now");
	else if (s < 60)
		put_fmt(b, "%" PRId64 " s ago", s);
	else if (s < 3600)
		put_fmt(b, "%" PRId64 " min ago", s / 60);
	else if (s < 86400)
		put_fmt(b, "%" PRId64 " h ago", s / 3600);
	else
		put_fmt(b, "%" PRId64 " d ago", s / 86400);
}

/* A moment as relative time, the exact UTC time in its attributes. */
static void
put_when(struct jsonbuf *b, int64_t now, int64_t ms)
{
	put_str(b, "<time datetime=\"");
	put_time(b, ms);
	put_str(b, "\" title=\"");
	put_time(b, ms);
	put_fmt(b, "\" data-ms=\"%" PRId64 "\">", ms);
	put_ago(b, now, ms);
	put_str(b, "</time>");
}

struct index {
	struct jsonbuf	*b;
	int64_t		 now;
	int		 section;	/* 0: none yet, 1: active, 2: inactive */
	int64_t		 count[3];
};

static const char index_th[] = "<div class=\"scroll\"><table class=\"clients\">"
    "\n<thead><tr><th>client</th><th class=\"num\">window</th>"
    "<th class=\"num\">points</th><th class=\"num\">anomalies</th>"
    "<th class=\"num\">alerts</th><th class=\"num\">last value</th>"
    "<th>last seen</th></tr></thead>\n<tbody>\n";

static void
index_section(struct index *ix, int section)
{
	static const char *const name[] = { "", "active", "inactive" },
	    *const title[] = { "", "Active", "Inactive" };
	struct jsonbuf *b = ix->b;

	for (; ix->section < section; ix->section++) {
		if (ix->section != 0) {
			if (ix->count[ix->section] == 0)
				put_fmt(b, "<tr class=\"none\"><td colspan=\"7\">"
				    "No %s client.</td></tr>\n",
				    name[ix->section]);
			put_str(b, "</tbody></table></div>\n</section>\n");
		}
		if (ix->section + 1 == 3)
			break;
		put_fmt(b, "<section id=\"%s\">\n<h2>%s</h2>\n",
		    name[ix->section + 1], title[ix->section + 1]);
		put_str(b, index_th);
	}
}

static int
html_client_row(void *arg, const struct store_client *c)
{
	struct index *ix = arg;
	struct jsonbuf *b = ix->b;
	size_t n = strlen(c->client_id);
	int section = c->active ? 1 : 2;

	index_section(ix, section);
	ix->count[section]++;
	put_str(b, "<tr><td data-label=\"client\"><a href=\"/client/");
	put_url(b, c->client_id, n);
	put_str(b, "\">");
	put_html(b, c->client_id, n);
	put_fmt(b, "</a></td><td class=\"num\" data-label=\"window\">%" PRId64
	    "</td><td class=\"num\" data-label=\"points\">%" PRId64 "</td>"
	    "<td class=\"num\" data-label=\"anomalies\">%" PRId64 "</td>"
	    "<td class=\"num\" data-label=\"alerts\">%" PRId64 "</td>"
	    "<td class=\"num\" data-label=\"last value\">",
	    c->window, c->points, c->anomalies, c->alerts);
	if (!isnan(c->last_value))
		put_number(b, c->last_value, 0);
	put_str(b, "</td><td data-label=\"last seen\">");
	put_when(b, ix->now, c->last_seen_ms);
	put_str(b, "</td></tr>\n");
	return 0;
}

/* A link of the index's pager to the page of clients key=id; ids only in
 * the pager at the bottom (bottom set). */
static void
pager_link(struct jsonbuf *b, int bottom, const char *rel, const char *key,
    const char *id, int64_t limit, const char *text)
{
	put_fmt(b, "<a rel=\"%s\"", rel);
	if (bottom)
		put_fmt(b, " id=\"clients-%s\"", rel);
	put_fmt(b, " href=\"/?%s=", key);
	put_url(b, id, strlen(id));
	if (limit != API_CLIENTS_PAGE)
		put_fmt(b, "&amp;limit=%" PRId64, limit);
	put_fmt(b, "\">%s</a> ", text);
}

/* The index's pager: how many clients there are, and the links to the
 * pages around this one. */
static void
index_pager(struct jsonbuf *b, int bottom, const struct api_clients_q *q,
    const struct api_clients_page *pg, const struct store_totals *t)
{
	put_fmt(b, "<p class=\"pager\"%s><span class=\"count\">%" PRId64
	    " %s in all (%" PRId64 " active), by name, %" PRId64
	    " a page</span> ", bottom ? " id=\"clients-pager\"" : "",
	    t->clients, t->clients == 1 ? "client" : "clients", t->active,
	    q->limit);
	if (pg->prev)
		pager_link(b, bottom, "prev", "before", pg->first, q->limit,
		    "&larr; previous");
	if (q->after[0] != '\0' || q->before[0] != '\0')
		put_str(b, "<a href=\"/\">first</a> ");
	if (pg->next)
		pager_link(b, bottom, "next", "after", pg->last, q->limit,
		    "next &rarr;");
	put_str(b, "</p>\n");
}

int
page_index(struct server *srv, struct lws *wsi, struct jsonbuf *b,
    const char **why)
{
	struct index ix = { .now = clock_wall_ms() };
	struct api_clients_q q;
	struct api_clients_page pg;
	struct store_totals t;
	struct jsonbuf data, rows;
	char err[256];

	if (api_clients_query(wsi, &q) != NULL) {
		/* the first page */
		memset(&q, 0, sizeof(q));
		q.limit = API_CLIENTS_PAGE;
	}
	store_totals(srv->st, &t);
	/* the rows first: the pager above them needs the page */
	jsonbuf_init(&rows, 0);
	ix.b = &rows;
	if (api_clients_each(srv, &q, html_client_row, &ix, &pg, err,
	    sizeof(err)) == -1) {
		jsonbuf_free(&rows);
		logmsg(0, "http: %s", err);
		*why = "database error";
		return 500;
	}
	index_section(&ix, 3);
	page_head(b, "clients", 7, "index");
	put_str(b, "<h1>Clients</h1>\n");
	if (pg.prev || pg.next)
		index_pager(b, 0, &q, &pg, &t);
	if (rows.len > 0)
		put_raw(b, jsonbuf_text(&rows), rows.len);
	if (rows.oom)
		b->oom = 1;
	jsonbuf_free(&rows);
	index_pager(b, 1, &q, &pg, &t);
	jsonbuf_init(&data, 0);
	put_fmt(&data, "{\"page\":\"index\",\"now_ms\":%" PRId64 "}", ix.now);
	page_tail(b, &data, 0, NULL);
	if (data.oom)
		b->oom = 1;
	jsonbuf_free(&data);
	return 200;
}

/* A stat of the client page: a label and a value that app.js updates. */
static void
stat_open(struct jsonbuf *b, const char *key, const char *label)
{
	put_fmt(b, "<div class=\"stat\"><div class=\"k\">%s</div>"
	    "<div class=\"v\" data-stat=\"%s\">", label, key);
}

#define STAT_CLOSE	"</div></div>\n"

static void
client_stats(struct jsonbuf *b, const struct store_client *c, int64_t now)
{
	put_str(b, "<div class=\"stats\">\n");
	stat_open(b, "points", "points");
	put_fmt(b, "%" PRId64 STAT_CLOSE, c->points);
	stat_open(b, "anomalies", "anomalies");
	put_fmt(b, "%" PRId64, c->anomalies);
	if (c->points > 0)
		put_fmt(b, " <small>(%.1f%%)</small>",
		    100.0 * (double)c->anomalies / (double)c->points);
	put_str(b, STAT_CLOSE);
	stat_open(b, "alerts", "alerts");
	put_fmt(b, "%" PRId64 STAT_CLOSE, c->alerts);
	stat_open(b, "last_value", "last value");
	if (!isnan(c->last_value))
		put_number(b, c->last_value, 0);
	put_str(b, STAT_CLOSE);
	stat_open(b, "last_seen", "last seen");
	put_when(b, now, c->last_seen_ms);
	put_str(b, STAT_CLOSE);
	stat_open(b, "window", "window");
	put_fmt(b, "%" PRId64 STAT_CLOSE, c->window);
	put_str(b, "</div>\n");
}

/* The chart's points into dots, their count in *ndots, and the stream s
 * set to write the same points as JSON, at the end of the page.  Returns
 * 0 or -1 (err set). */
static int
chart_points(struct server *srv, const struct store_client *c,
    struct chart_dot *dots, size_t *ndots, struct api_stream *s, char *err,
    size_t errlen)
{
	struct store_range r = { .limit = CHART_POINTS };
	struct store_point p;
	int64_t first = 0, last = 0;
	int rc;

	r.after = c->points > CHART_POINTS ? c->points - CHART_POINTS : 0;
	*ndots = 0;
	if (store_points_open(srv->rd, c->client_id, &r, err, errlen) == -1)
		return -1;
	while ((rc = store_points_next(srv->rd, &p, err, errlen)) == 1 &&
	    *ndots < CHART_POINTS) {
		if (*ndots == 0)
			first = p.n;
		last = p.n;
		dots[*ndots].value = p.value;
		dots[*ndots].anomaly = p.anomaly;
		dots[*ndots].alert = p.alert;
		(*ndots)++;
	}
	store_points_close(srv->rd);
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "%s", c->client_id);
	s->after = first - 1;
	s->before = last + 1;
	s->left = (int64_t)*ndots;
	return rc == -1 ? -1 : 0;
}

static const char points_th[] = "<div class=\"scroll\"><table class=\"points\">"
    "\n<thead><tr><th class=\"num\">n</th><th>timestamp</th>"
    "<th class=\"num\">value</th><th class=\"num\">score</th>"
    "<th>verdict</th></tr></thead>\n<tbody id=\"points\">\n";

/* The latest PAGE_POINTS points of id as table rows, newest first. */
static int
points_rows(struct server *srv, const char *id, struct jsonbuf *b,
    char *err, size_t errlen)
{
	struct store_range r = { .limit = PAGE_POINTS, .descending = 1 };
	struct store_point p;
	int rc;

	if (store_points_open(srv->rd, id, &r, err, errlen) == -1)
		return -1;
	while ((rc = store_points_next(srv->rd, &p, err, errlen)) == 1) {
		put_fmt(b, "<tr%s><td class=\"num\">%" PRId64 "</td><td>",
		    p.alert ? " class=\"alert\"" : p.anomaly ?
		    " class=\"anomaly\"" : "", p.n);
		put_ts(b, &p.ts, 1);
		put_str(b, "</td><td class=\"num\">");
		put_number(b, p.value, 0);
		put_str(b, "</td><td class=\"num\">");
		put_fmt(b, "%.2f", p.score);
		put_fmt(b, "</td><td>%s</td></tr>\n", p.alert ? "alert" :
		    p.anomaly ? "anomaly" : "");
	}
	store_points_close(srv->rd);
	return rc == -1 ? -1 : 0;
}

/* The names of the detectors in votes, space-separated, as HTML. */
static void
put_votes(struct jsonbuf *b, uint32_t votes)
{
	const char *name;
	unsigned k;
	int first = 1;

	for (k = 0; (name = detect_kind_name(k)) != NULL; k++) {
		if (!(votes & (1u << k)))
			continue;
		if (!first)
			put_str(b, " ");
		first = 0;
		put_str(b, name);
	}
}

/* Whether client id has an event with after < n < before. */
static int
event_exists(struct server *srv, const char *id, int64_t after,
    int64_t before, char *err, size_t errlen)
{
	struct store_point p;
	int rc;

	if (before != 0 && before <= after + 1)
		return 0;
	if (api_events_open(srv->rd, id, after, before, 1, 0, err,
	    errlen) == -1)
		return -1;
	rc = store_points_next(srv->rd, &p, err, errlen);
	store_points_close(srv->rd);
	return rc;
}

/* One sentence of what an anomaly and an alert are, for the client's
 * settings. */
static void
events_sentence(struct jsonbuf *b, const struct store_client *c)
{
	struct detect_settings set;
	char tmp[64];
	const char *name;
	uint32_t alert;
	unsigned k;
	int first = 1;

	detect_settings_default(&set, (uint32_t)c->window);
	proto_settings_parse(c->settings, strlen(c->settings), &set, NULL, 0);
	put_str(b, "<p class=\"explain\">An <strong>anomaly</strong> is one "
	    "point that the vote of the detectors (");
	detect_vote_text(&set, tmp, sizeof(tmp));
	put_html(b, tmp, strlen(tmp));
	put_str(b, " of ");
	for (k = 0; (name = detect_kind_name(k)) != NULL; k++)
		if (set.detectors & (1u << k)) {
			put_fmt(b, "%s%s", first ? "" : ", ", name);
			first = 0;
		}
	put_str(b, ") finds unusual; an <strong>alert</strong> is the "
	    "de-duplicated event a person would be paged for: a signal of ");
	alert = detect_alert_mask(&set);
	if (alert == 0)
		put_str(b, "that vote");
	else {
		put_str(b, "the alert detectors (");
		for (k = 0, first = 1; (name = detect_kind_name(k)) != NULL;
		    k++)
			if (alert & (1u << k)) {
				put_fmt(b, "%s%s", first ? "" : ", ", name);
				first = 0;
			}
		put_str(b, "),");
	}
	put_fmt(b, " after which no other alert is raised for %g points "
	    "(hold-off).</p>\n", set.param[DETECT_P_HOLDOFF]);
}

/* What app.js needs of the events list, into the page's data: the
 * detectors' names by bit, the page's length, and whether it is the newest
 * page (then new anomalies and alerts go on top of it). */
static void
events_data(struct lws *wsi, struct jsonbuf *data)
{
	struct api_events_q q = { 0 };
	const char *name;
	unsigned k;

	if (api_events_query(wsi, &q, EVENTS_PAGE) != NULL)
		q = (struct api_events_q){ 0 };
	put_fmt(data, ",\"events_page\":%d,\"events_live\":%s,"
	    "\"detectors\":[", EVENTS_PAGE, q.before == 0 && q.after == 0 ?
	    "true" : "false");
	for (k = 0; (name = detect_kind_name(k)) != NULL; k++)
		put_fmt(data, "%s\"%s\"", k ? "," : "", name);
	put_str(data, "]");
}

/* The client's anomalies and alerts, a page of EVENTS_PAGE by the cursor
 * of the URL (before=N: below N, newest first; after=N: the ones just
 * above N), with links to the older and newer pages. */
static int
events_section(struct server *srv, struct lws *wsi,
    const struct store_client *c, struct jsonbuf *b, char *err,
    size_t errlen)
{
	struct store_point *rows;
	struct api_events_q q = { .limit = EVENTS_PAGE };
	size_t idlen = strlen(c->client_id), nrows = 0, i;
	int64_t lo, hi;
	int rc = 0, older = 0, newer = 0;

	if (api_events_query(wsi, &q, EVENTS_PAGE) != NULL)
		/* the top */
		q = (struct api_events_q){ .limit = EVENTS_PAGE };
	/* before wins; after alone pages towards the newer ones */
	q.asc = q.before == 0 && q.after > 0;
	if ((rows = malloc(EVENTS_PAGE * sizeof(*rows))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (api_events_open(srv->rd, c->client_id, q.asc ? q.after : 0,
	    q.before, EVENTS_PAGE, !q.asc, err, errlen) == -1)
		goto fail;
	while (nrows < EVENTS_PAGE && (rc = store_points_next(srv->rd,
	    &rows[nrows], err, errlen)) == 1)
		nrows++;
	store_points_close(srv->rd);
	if (rc == -1)
		goto fail;
	if (q.asc)	/* newest first on the page too */
		for (i = 0; i < nrows / 2; i++) {
			struct store_point t = rows[i];

			rows[i] = rows[nrows - 1 - i];
			rows[nrows - 1 - i] = t;
		}
	if (nrows > 0) {
		hi = rows[0].n;
		lo = rows[nrows - 1].n;
		if ((older = event_exists(srv, c->client_id, 0, lo, err,
		    errlen)) == -1 || (newer = event_exists(srv, c->client_id,
		    hi, 0, err, errlen)) == -1)
			goto fail;
	} else
		lo = hi = 0;

	put_str(b, "<section id=\"events\">\n<h2>Anomalies and alerts</h2>\n");
	events_sentence(b, c);
	put_fmt(b, "<p class=\"sub\">%" PRId64 " %s and %" PRId64 " %s in "
	    "all, newest first, %d a page \xc2\xb7 <a href=\"/api/clients/",
	    c->anomalies, c->anomalies == 1 ? "anomaly" : "anomalies",
	    c->alerts, c->alerts == 1 ? "alert" : "alerts", EVENTS_PAGE);
	put_url(b, c->client_id, idlen);
	put_str(b, "/events\">JSON</a></p>\n<div class=\"scroll\">"
	    "<table class=\"points events\">\n<thead><tr>"
	    "<th class=\"num\">n</th><th>timestamp</th>"
	    "<th class=\"num\">value</th><th>verdict</th>"
	    "<th>detectors that voted</th></tr></thead>\n"
	    "<tbody id=\"events-rows\">\n");
	for (i = 0; i < nrows; i++) {
		const struct store_point *p = &rows[i];

		put_fmt(b, "<tr class=\"%s\"><td class=\"num\">%" PRId64
		    "</td><td>", p->alert ? "alert" : "anomaly", p->n);
		put_ts(b, &p->ts, 1);
		put_str(b, "</td><td class=\"num\">");
		put_number(b, p->value, 0);
		put_fmt(b, "</td><td>%s</td><td>", p->anomaly && p->alert ?
		    "anomaly, alert" : p->alert ? "alert" : "anomaly");
		put_votes(b, p->votes);
		put_str(b, "</td></tr>\n");
	}
	if (nrows == 0)
		put_str(b, "<tr class=\"none\"><td colspan=\"5\">No anomaly or "
		    "alert here.</td></tr>\n");
	put_str(b, "</tbody></table></div>\n<p class=\"pager\">");
	if (newer) {
		put_str(b, "<a rel=\"prev\" id=\"events-newer\" "
		    "href=\"/client/");
		put_url(b, c->client_id, idlen);
		put_fmt(b, "?after=%" PRId64 "#events\">&larr; newer</a> ", hi);
	}
	if (q.before != 0 || q.after != 0) {
		put_str(b, "<a href=\"/client/");
		put_url(b, c->client_id, idlen);
		put_str(b, "#events\">newest</a> ");
	}
	if (older) {
		put_str(b, "<a rel=\"next\" id=\"events-older\" "
		    "href=\"/client/");
		put_url(b, c->client_id, idlen);
		put_fmt(b, "?before=%" PRId64 "#events\">older &rarr;</a>", lo);
	}
	put_str(b, "</p>\n</section>\n");
	free(rows);
	return 0;
fail:
	free(rows);
	return -1;
}

int
page_client(struct server *srv, struct lws *wsi, const char *id,
    struct jsonbuf *b, struct api_stream *stream, const char **why)
{
	struct store_client *c;
	struct jsonbuf data, rest;
	struct chart_dot *dots = NULL;
	char err[256];
	size_t idlen, ndots = 0;
	int64_t now = clock_wall_ms();
	int rc, status = 500;

	jsonbuf_init(&data, 0);
	jsonbuf_init(&rest, 0);
	if ((c = malloc(sizeof(*c))) == NULL ||
	    (dots = malloc(CHART_POINTS * sizeof(*dots))) == NULL)
		goto done;
	if ((rc = store_client_get(srv->rd, id, c, err, sizeof(err))) != 1) {
		if (rc == 0) {
			*why = "no such client";
			status = 404;
			goto done;
		}
		goto fail;
	}
	if (store_oldest(srv->rd, id, &c->oldest_n, err, sizeof(err)) == -1)
		goto fail;
	idlen = strlen(c->client_id);
	put_str(&data, "{\"page\":\"client\",\"chart_points\":");
	put_fmt(&data, "%d,\"table_points\":%d,\"client\":", CHART_POINTS,
	    PAGE_POINTS);
	api_client_json(&data, c);
	events_data(wsi, &data);
	put_str(&data, ",\"points\":");
	if (chart_points(srv, c, dots, &ndots, stream, err, sizeof(err)) == -1)
		goto fail;
	/* the points' array is streamed between data and rest */
	put_fmt(&rest, ",\"now_ms\":%" PRId64 "}", now);

	page_head(b, c->client_id, idlen, "client");
	put_str(b, "<p class=\"back\"><a href=\"/\">&larr; all clients</a>"
	    "</p>\n"
	    "<h1><span class=\"id\">");
	put_html(b, c->client_id, idlen);
	put_fmt(b, "</span> <span class=\"state %s\" data-stat=\"state\">%s"
	    "</span></h1>\n", c->active ? "active" : "inactive",
	    c->active ? "active" : "inactive");
	client_stats(b, c, now);
	put_str(b, "<section class=\"chart-box\">\n<div id=\"chart\" "
	    "class=\"chart\">");
	chart_svg(b, dots, ndots);
	put_fmt(b, "</div>\n<p class=\"hint\"><span class=\"keys\">"
	    "<span class=\"key-line\"></span> value "
	    "<span class=\"key-anomaly\"></span> anomaly "
	    "<span class=\"key-alert\"></span> alert</span> "
	    "<span class=\"how\">the latest %d points"
	    "<span class=\"zoom\">: drag to zoom, double-click to reset"
	    "</span></span></p>\n</section>\n", CHART_POINTS);
	if (events_section(srv, wsi, c, b, err, sizeof(err)) == -1)
		goto fail;
	put_fmt(b, "<h2>Latest points</h2>\n<p class=\"sub\">newest first, "
	    "at most %d \xc2\xb7 <a href=\"/api/clients/", PAGE_POINTS);
	put_url(b, c->client_id, idlen);
	put_str(b, "/points\">JSON</a></p>\n");
	put_str(b, points_th);
	if (points_rows(srv, c->client_id, b, err, sizeof(err)) == -1)
		goto fail;
	put_str(b, "</tbody></table></div>\n<h2>Settings</h2>\n"
	    "<table class=\"kv\">\n<tr><th>first seen</th><td>");
	put_when(b, now, c->first_seen_ms);
	put_fmt(b, "</td></tr>\n<tr><th>last seq</th><td data-stat=\"last_seq\">"
	    "%" PRId64 "</td></tr>\n<tr><th>peer</th><td>", c->last_seq);
	put_html(b, c->peer, strlen(c->peer));
	if (c->oldest_n > 1)
		put_fmt(b, "</td></tr>\n<tr><th>stored</th><td>points stored "
		    "from n = %" PRId64 " to %" PRId64 " (the older ones were "
		    "pruned: --retain)", c->oldest_n, c->points);
	put_str(b, "</td></tr>\n<tr><th>detection</th><td><code>");
	put_html(b, c->settings, strlen(c->settings));
	put_str(b, "</code></td></tr>\n</table>\n");
	page_tail(b, &data, 1, &rest);
	if (data.oom || rest.oom)
		b->oom = 1;
	else {
		/* the stream owns rest's text from now on */
		stream->suffix = rest.mem;
		stream->suffixlen = rest.len;
		if (rest.headroom > 0)
			memmove(rest.mem, rest.mem + rest.headroom, rest.len);
		jsonbuf_init(&rest, 0);
		stream->on = 1;
	}
	status = 200;
	goto done;
fail:
	logmsg(0, "http: %s", err);
	*why = "database error";
	status = 500;
done:
	jsonbuf_free(&data);
	jsonbuf_free(&rest);
	free(dots);
	free(c);
	return status;
}

void
page_error(struct jsonbuf *b, int status, const char *title,
    const char *why, const char *subject)
{
	page_head(b, "error", 5, "error");
	put_fmt(b, "<h1>%d %s</h1>\n<p>", status, title);
	if (subject[0] != '\0') {
		put_str(b, "No client is named <code>");
		put_html(b, subject, strlen(subject));
		put_str(b, "</code>.");
	} else
		put_html(b, why, strlen(why));
	put_str(b, "</p>\n<p><a href=\"/\">&larr; all clients</a></p>\n");
	page_tail(b, NULL, 0, NULL);
}

void
page_login(struct jsonbuf *b, int failed)
{
	page_head(b, "log in", 6, "login");
	put_str(b, "<h1>Log in</h1>\n");
	if (failed)
		put_str(b, "<p class=\"error\">That is not the read token."
		    "</p>\n");
	put_str(b, "<p>This server asks for its read token.</p>\n"
	    "<form method=\"post\" action=\"/login\">\n"
	    "<label for=\"token\">Read token</label>\n"
	    "<input type=\"password\" id=\"token\" name=\"token\" "
	    "autocomplete=\"current-password\" required autofocus>\n"
	    "<button type=\"submit\">Log in</button>\n</form>\n");
	page_tail(b, NULL, 0, NULL);
}
