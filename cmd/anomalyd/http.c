/*
 * http.c: the HTTP side of anomalyd (SPEC §5): /healthz, /metrics, the
 * JSON API, server-rendered pages and /static/ files, on the WebSocket's
 * port.  Every client string is escaped for where it goes; every response
 * carries a CSP and nosniff.  GET and HEAD are served; other methods get
 * 405 and the connection is closed (their body is never read).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "clients.h"
#include "clock.h"
#include "commit.h"
#include "http.h"
#include "log.h"
#include "server.h"
#include "static.h"
#include "timefmt.h"

#define CHUNK		65536	/* bytes per HTTP write */
#define LIMIT_DEFAULT	1000
#define LIMIT_MAX	100000
#define PAGE_POINTS	100	/* rows of the client page's table */
#define CHART_POINTS	1000	/* points of the client page's chart */
#define EVENTS_PAGE	50	/* anomalies and alerts per page */
#define EVENTS_MAX	1000	/* at most, per /events request */
#define WWW_DEFAULT	"share/anomaly/www"
#define STATIC_MAX	(16 * 1024 * 1024)	/* bytes of a /static/ file */

/* An HTTP connection's response being written. */
struct http_session {
	struct jsonbuf body;	/* LWS_PRE bytes of headroom */
	size_t		 off;
	int		 close;		/* close the connection after it */
};

static void
put(struct jsonbuf *b, const char *s, size_t n)
{
	jsonbuf_put_raw(b, s, n);		/* a failure is kept in b->oom */
}

static void
puts_(struct jsonbuf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void
printf_(struct jsonbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
printf_(struct jsonbuf *b, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(b, buf, (size_t)n < sizeof(buf) ? (size_t)n :
		    sizeof(buf) - 1);
}

/* s as HTML text or attribute value. */
static void
put_html(struct jsonbuf *b, const char *s, size_t n)
{
	size_t i, run = 0;
	const char *e;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&#39;"; break;
		default: continue;
		}
		put(b, s + run, i - run);
		puts_(b, e);
		run = i + 1;
	}
	put(b, s + run, n - run);
}

/* s as one URL path segment: everything but unreserved characters
 * (RFC 3986) percent-encoded, so it is safe in an attribute too. */
static void
put_url(struct jsonbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;
	char e[3];

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			put(b, s + i, 1);
			continue;
		}
		e[0] = '%';
		e[1] = hex[c >> 4];
		e[2] = hex[c & 0xf];
		put(b, e, 3);
	}
}

static void
put_jstring(struct jsonbuf *b, const char *s, size_t n)
{
	jsonbuf_put_string(b, s, n);
}

/* d as a JSON number (null when not finite); a real keeps a fraction
 * when real is set, so that it reads back as a real. */
static void
put_number(struct jsonbuf *b, double d, int real)
{
	size_t from = b->len;

	if (jsonbuf_put_double(b, d) == -1)
		return;
	if (real && strpbrk(jsonbuf_text(b) + from, ".eEn") == NULL)
		puts_(b, ".0");
}

/* A stored timestamp as JSON (typed as stored) or as HTML text. */
static void
put_ts(struct jsonbuf *b, const struct store_ts *ts, int html)
{
	switch (ts->type) {
	case STORE_TS_INTEGER:
		printf_(b, "%" PRId64, ts->i);
		break;
	case STORE_TS_REAL:
		put_number(b, ts->r, 1);
		break;
	case STORE_TS_TEXT:
		if (html)
			put_html(b, ts->text, ts->len);
		else
			put_jstring(b, ts->text, ts->len);
		break;
	}
}

static void
put_time(struct jsonbuf *b, int64_t ms)
{
	char buf[TIMEFMT_BUFSIZE];

	timefmt_format(ms, buf, sizeof(buf));
	puts_(b, buf);
}

/* ------------------------------------------------------------ metrics */

struct totals {
	int64_t	 points, anomalies, alerts, active, inactive;
};

static int
add_client(void *arg, const struct store_client *c)
{
	struct totals *t = arg;

	t->points += c->points;
	t->anomalies += c->anomalies;
	t->alerts += c->alerts;
	if (c->active)
		t->active++;
	else
		t->inactive++;
	return 0;
}

static void
metric(struct jsonbuf *b, const char *name, const char *type, const char *help)
{
	printf_(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Prometheus text format 0.0.4: the totals of the clients table (no scan
 * of points) and the counters of this process. */
static int
metrics(struct server *srv, struct jsonbuf *b, const char **why)
{
	const struct commit_stats *cs = &srv->commits;
	struct totals t = { 0 };
	char err[256];
	size_t i;

	if (store_clients_each(srv->st, add_client, &t, err, sizeof(err)) ==
	    -1) {
		logmsg(0, "http: %s", err);
		*why = "database error";
		return 500;
	}
	metric(b, "anomalyd_points_total", "counter",
	    "Points stored, all clients.");
	printf_(b, "anomalyd_points_total %" PRId64 "\n", t.points);
	metric(b, "anomalyd_anomalies_total", "counter",
	    "Stored points with anomaly 1.");
	printf_(b, "anomalyd_anomalies_total %" PRId64 "\n", t.anomalies);
	metric(b, "anomalyd_alerts_total", "counter",
	    "Stored points with alert 1.");
	printf_(b, "anomalyd_alerts_total %" PRId64 "\n", t.alerts);
	metric(b, "anomalyd_clients", "gauge", "Stored clients by state.");
	printf_(b, "anomalyd_clients{state=\"active\"} %" PRId64 "\n"
	    "anomalyd_clients{state=\"inactive\"} %" PRId64 "\n", t.active,
	    t.inactive);
	metric(b, "anomalyd_sessions", "gauge",
	    "WebSocket connections open, with or without a hello.");
	printf_(b, "anomalyd_sessions %zu\n", srv->nsessions);
	metric(b, "anomalyd_commits_total", "counter",
	    "Group commits timed since start.");
	printf_(b, "anomalyd_commits_total %" PRIu64 "\n", cs->count);
	metric(b, "anomalyd_commit_points_total", "counter",
	    "Points in the timed group commits.");
	printf_(b, "anomalyd_commit_points_total %" PRIu64 "\n", cs->points);
	metric(b, "anomalyd_commit_duration_seconds", "histogram",
	    "Time to commit a group of points.");
	for (i = 0; i < COMMIT_BUCKETS; i++)
		printf_(b, "anomalyd_commit_duration_seconds_bucket"
		    "{le=\"%g\"} %" PRIu64 "\n", commit_le[i] / 1e6,
		    cs->le[i]);
	printf_(b, "anomalyd_commit_duration_seconds_bucket{le=\"+Inf\"} %"
	    PRIu64 "\n", cs->count);
	printf_(b, "anomalyd_commit_duration_seconds_sum %.6f\n",
	    cs->usec / 1e6);
	printf_(b, "anomalyd_commit_duration_seconds_count %" PRIu64 "\n",
	    cs->count);
	return 200;
}

/* ------------------------------------------------------------- static */

/* The file name (as after /static/) of the www directory into b. */
static int
static_file(struct server *srv, const char *name, struct jsonbuf *b,
    const char **ctype)
{
	const char *www = srv->cfg.www != NULL ? srv->cfg.www : WWW_DEFAULT;
	off_t size;
	ssize_t n;
	size_t got = 0;
	int fd;

	if ((fd = static_open(www, name, &size)) == -1)
		return 404;
	if (size > STATIC_MAX) {
		close(fd);
		logmsg(0, "http: %s/%s: over %d bytes", www, name,
		    STATIC_MAX);
		return 500;
	}
	while (!b->oom && got < (size_t)size) {
		char buf[16384];

		if ((n = read(fd, buf, sizeof(buf))) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			break;	/* shorter than it was: serve what is there */
		}
		put(b, buf, (size_t)n);
		got += (size_t)n;
	}
	close(fd);
	*ctype = static_type(name);
	return 200;
}

/* ---------------------------------------------------------------- API */

/* c as the JSON object of /api/clients. */
static void
json_client_object(struct jsonbuf *b, const struct store_client *c)
{
	puts_(b, "{\"client_id\":");
	put_jstring(b, c->client_id, strlen(c->client_id));
	printf_(b, ",\"window\":%" PRId64 ",\"settings\":", c->window);
	if (c->settings[0] == '{')
		puts_(b, c->settings);	/* as proto_settings_format() wrote */
	else
		put_jstring(b, c->settings, strlen(c->settings));
	printf_(b, ",\"active\":%d,\"first_seen_ms\":%" PRId64
	    ",\"last_seen_ms\":%" PRId64 ",\"points\":%" PRId64
	    ",\"anomalies\":%" PRId64 ",\"alerts\":%" PRId64
	    ",\"last_alert_n\":", c->active, c->first_seen_ms,
	    c->last_seen_ms, c->points, c->anomalies, c->alerts);
	if (c->last_alert_n > 0)
		printf_(b, "%" PRId64, c->last_alert_n);
	else
		puts_(b, "null");
	puts_(b, ",\"last_value\":");
	put_number(b, c->last_value, 0);
	printf_(b, ",\"last_seq\":%" PRId64 ",\"peer\":", c->last_seq);
	put_jstring(b, c->peer, strlen(c->peer));
	puts_(b, "}");
}

static int
json_client(void *arg, const struct store_client *c)
{
	struct jsonbuf *b = arg;

	if (b->len > 1)
		puts_(b, ",");
	json_client_object(b, c);
	return 0;
}

static int
api_clients(struct server *srv, struct jsonbuf *b, const char **why)
{
	char err[256];

	puts_(b, "[");
	if (store_clients_each(srv->st, json_client, b, err, sizeof(err)) ==
	    -1) {
		logmsg(0, "http: %s", err);
		*why = "database error";
		return 500;
	}
	puts_(b, "]\n");
	return 200;
}

/* /api/clients/{id}: the client's object alone. */
static int
api_client(struct server *srv, const char *id, struct jsonbuf *b,
    const char **why)
{
	struct store_client *c;
	char err[256];
	int rc;

	if ((c = malloc(sizeof(*c))) == NULL)
		return 500;
	rc = store_client_get(srv->st, id, c, err, sizeof(err));
	if (rc == 1) {
		json_client_object(b, c);
		puts_(b, "\n");
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

/* Reads the URL arguments after and limit into r (the last of each
 * counts; other keys are ignored).  Returns NULL, or what is wrong. */
static const char *
points_query(struct lws *wsi, struct store_range *r)
{
	char arg[4200];		/* above lws's 4096 bytes of headers */
	int64_t v;
	int i, big;

	for (i = 0; i < 1000; i++) {
		if (lws_hdr_copy_fragment(wsi, arg, sizeof(arg),
		    WSI_TOKEN_HTTP_URI_ARGS, i) < 0) {
			if (lws_hdr_fragment_length(wsi,
			    WSI_TOKEN_HTTP_URI_ARGS, i) > 0)
				return "URL argument too long";
			break;
		}
		if (strncmp(arg, "after=", 6) == 0) {
			if (decimal(arg + 6, &v, &big) == -1 || big)
				return "after must be a whole number";
			r->after = v;
		} else if (strncmp(arg, "limit=", 6) == 0) {
			if (decimal(arg + 6, &v, &big) == -1 || v < 1)
				return "limit must be a whole number from 1";
			r->limit = v > LIMIT_MAX ? LIMIT_MAX : v;
		}
	}
	return NULL;
}

static void
json_point(struct jsonbuf *b, const struct store_point *p)
{
	printf_(b, "{\"n\":%" PRId64 ",\"seq\":", p->n);
	if (p->seq > 0)
		printf_(b, "%" PRId64, p->seq);
	else
		puts_(b, "null");
	puts_(b, ",\"timestamp\":");
	put_ts(b, &p->ts, 0);
	puts_(b, ",\"t_ms\":");
	if (p->has_t_ms)
		printf_(b, "%" PRId64, p->t_ms);
	else
		puts_(b, "null");
	puts_(b, ",\"value\":");
	put_number(b, p->value, 0);
	printf_(b, ",\"anomaly\":%d,\"alert\":%d,\"score\":", p->anomaly,
	    p->alert);
	put_number(b, p->score, 1);
	printf_(b, ",\"votes\":%" PRIu32 ",\"received_ms\":%" PRId64 "}",
	    p->votes, p->received_ms);
}

static int
api_points(struct server *srv, struct lws *wsi, const char *id,
    struct jsonbuf *b, const char **why)
{
	struct store_client *c;
	struct store_range r = { .limit = LIMIT_DEFAULT };
	struct store_point p;
	char err[256];
	int rc, first = 1;

	if ((*why = points_query(wsi, &r)) != NULL)
		return 400;
	if ((c = malloc(sizeof(*c))) == NULL)
		return 500;
	rc = store_client_get(srv->st, id, c, err, sizeof(err));
	free(c);
	if (rc == 0) {
		*why = "no such client";
		return 404;
	}
	if (rc == -1 || store_points_open(srv->st, id, &r, err,
	    sizeof(err)) == -1)
		goto fail;
	puts_(b, "[");
	while ((rc = store_points_next(srv->st, &p, err, sizeof(err))) == 1) {
		if (!first)
			puts_(b, ",");
		first = 0;
		json_point(b, &p);
	}
	store_points_close(srv->st);
	if (rc == -1)
		goto fail;
	puts_(b, "]\n");
	return 200;
fail:
	logmsg(0, "http: %s", err);
	*why = "database error";
	return 500;
}

/* The cursor of an events list: n > after and n < before (0: no bound),
 * at most limit, newest first unless asc. */
struct events_q {
	int64_t	 after, before, limit;
	int	 asc;
};

/* Opens the store's cursor on the anomalies and alerts of id with after < n
 * < before (0: no bound), at most limit, newest first when descending.
 * Returns 0 or -1 with err set. */
static int
events_open(struct store *st, const char *id, int64_t after, int64_t before,
    int64_t limit, int descending, char *err, size_t errlen)
{
	struct store_range r = { .after = after, .before = before,
	    .limit = limit, .descending = descending };

	return store_flagged_open(st, id, &r, STORE_FLAG_ANOMALY |
	    STORE_FLAG_ALERT, err, errlen);
}

/* Reads the URL arguments after, before, limit (up to max) and order of
 * an events list into q (the last of each counts; other keys are ignored).
 * Returns NULL, or what is wrong. */
static const char *
events_query(struct lws *wsi, struct events_q *q, int64_t max)
{
	char arg[4200];
	int64_t v;
	int i, big;

	for (i = 0; i < 1000; i++) {
		if (lws_hdr_copy_fragment(wsi, arg, sizeof(arg),
		    WSI_TOKEN_HTTP_URI_ARGS, i) < 0) {
			if (lws_hdr_fragment_length(wsi,
			    WSI_TOKEN_HTTP_URI_ARGS, i) > 0)
				return "URL argument too long";
			break;
		}
		if (strncmp(arg, "after=", 6) == 0) {
			if (decimal(arg + 6, &v, &big) == -1 || big)
				return "after must be a whole number";
			q->after = v;
		} else if (strncmp(arg, "before=", 7) == 0) {
			if (decimal(arg + 7, &v, &big) == -1 || big || v < 1)
				return "before must be a whole number from 1";
			q->before = v;
		} else if (strncmp(arg, "limit=", 6) == 0) {
			if (decimal(arg + 6, &v, &big) == -1 || v < 1)
				return "limit must be a whole number from 1";
			q->limit = v > max ? max : v;
		} else if (strcmp(arg, "order=asc") == 0)
			q->asc = 1;
		else if (strcmp(arg, "order=desc") == 0)
			q->asc = 0;
		else if (strncmp(arg, "order=", 6) == 0)
			return "order must be asc or desc";
	}
	return NULL;
}

/* /api/clients/{id}/events: the client's anomalies and alerts, newest
 * first (order=asc: oldest first), n above after and below before, at most
 * limit (default EVENTS_PAGE, at most EVENTS_MAX). */
static int
api_events(struct server *srv, struct lws *wsi, const char *id,
    struct jsonbuf *b, const char **why)
{
	struct store_client *c;
	struct events_q q = { .limit = EVENTS_PAGE };
	struct store_point p;
	char err[256];
	int rc, first = 1;

	if ((*why = events_query(wsi, &q, EVENTS_MAX)) != NULL)
		return 400;
	if ((c = malloc(sizeof(*c))) == NULL)
		return 500;
	rc = store_client_get(srv->st, id, c, err, sizeof(err));
	free(c);
	if (rc == 0) {
		*why = "no such client";
		return 404;
	}
	if (rc == -1 || events_open(srv->st, id, q.after, q.before, q.limit,
	    !q.asc, err, sizeof(err)) == -1)
		goto fail;
	puts_(b, "[");
	while ((rc = store_points_next(srv->st, &p, err, sizeof(err))) == 1) {
		if (!first)
			puts_(b, ",");
		first = 0;
		json_point(b, &p);
	}
	store_points_close(srv->st);
	if (rc == -1)
		goto fail;
	puts_(b, "]\n");
	return 200;
fail:
	logmsg(0, "http: %s", err);
	*why = "database error";
	return 500;
}

/* -------------------------------------------------------------- pages */

/* The page's head, its title escaped, and the start of its body.  The
 * body's data-page names the page for /static/app.js. */
static void
page_head(struct jsonbuf *b, const char *title, size_t tlen,
    const char *page)
{
	puts_(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n"
	    "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
	put_html(b, title, tlen);
	puts_(b, " \xc2\xb7 anomalyd</title>\n<link rel=\"icon\" "
	    "href=\"/static/favicon.svg\" type=\"image/svg+xml\">\n"
	    "<link rel=\"stylesheet\" href=\"/static/style.css\">\n");
	if (strcmp(page, "client") == 0)
		puts_(b, "<link rel=\"stylesheet\" "
		    "href=\"/static/uplot/uPlot.min.css\">\n");
	printf_(b, "</head>\n<body data-page=\"%s\">\n<header class=\"bar\">"
	    "<a class=\"brand\" href=\"/\">anomalyd</a>"
	    "<span class=\"live\" id=\"live\" hidden></span></header>\n"
	    "<main>\n", page);
}

/* The end of a page: its data as JSON in a script block that is never
 * run (every '<' in it is escaped by the JSON writer, so "</script>"
 * cannot end it early), and the page's code, a static file (the CSP
 * forbids inline script). */
static void
page_tail(struct jsonbuf *b, const struct jsonbuf *data, int chart)
{
	puts_(b, "</main>\n<footer><a href=\"/api/clients\">JSON</a> "
	    "\xc2\xb7 <a href=\"/metrics\">metrics</a></footer>\n");
	if (data != NULL) {
		puts_(b, "<script type=\"application/json\" id=\"page-data\">");
		put(b, jsonbuf_text(data), data->len);
		puts_(b, "</script>\n");
	}
	if (chart)
		puts_(b, "<script src=\"/static/uplot/uPlot.iife.min.js\">"
		    "</script>\n");
	puts_(b, "<script src=\"/static/app.js\"></script>\n</body></html>\n");
}

/* How long ago ms was, as now - ms reads to a person. */
static void
put_ago(struct jsonbuf *b, int64_t now, int64_t ms)
{
	int64_t s = (now - ms) / 1000;

	if (ms <= 0)
		puts_(b, "never");
	else if (s < 2)
		puts_(b, "just now");
	else if (s < 60)
		printf_(b, "%" PRId64 " s ago", s);
	else if (s < 3600)
		printf_(b, "%" PRId64 " min ago", s / 60);
	else if (s < 86400)
		printf_(b, "%" PRId64 " h ago", s / 3600);
	else
		printf_(b, "%" PRId64 " d ago", s / 86400);
}

/* A moment as relative time, the exact UTC time in its attributes. */
static void
put_when(struct jsonbuf *b, int64_t now, int64_t ms)
{
	puts_(b, "<time datetime=\"");
	put_time(b, ms);
	puts_(b, "\" title=\"");
	put_time(b, ms);
	printf_(b, "\" data-ms=\"%" PRId64 "\">", ms);
	put_ago(b, now, ms);
	puts_(b, "</time>");
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
				printf_(b, "<tr class=\"none\"><td colspan=\"7\">"
				    "No %s client.</td></tr>\n",
				    name[ix->section]);
			puts_(b, "</tbody></table></div>\n</section>\n");
		}
		if (ix->section + 1 == 3)
			break;
		printf_(b, "<section id=\"%s\">\n<h2>%s</h2>\n",
		    name[ix->section + 1], title[ix->section + 1]);
		puts_(b, index_th);
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
	puts_(b, "<tr><td data-label=\"client\"><a href=\"/client/");
	put_url(b, c->client_id, n);
	puts_(b, "\">");
	put_html(b, c->client_id, n);
	printf_(b, "</a></td><td class=\"num\" data-label=\"window\">%" PRId64
	    "</td><td class=\"num\" data-label=\"points\">%" PRId64 "</td>"
	    "<td class=\"num\" data-label=\"anomalies\">%" PRId64 "</td>"
	    "<td class=\"num\" data-label=\"alerts\">%" PRId64 "</td>"
	    "<td class=\"num\" data-label=\"last value\">",
	    c->window, c->points, c->anomalies, c->alerts);
	if (!isnan(c->last_value))
		put_number(b, c->last_value, 0);
	puts_(b, "</td><td data-label=\"last seen\">");
	put_when(b, ix->now, c->last_seen_ms);
	puts_(b, "</td></tr>\n");
	return 0;
}

static int
page_index(struct server *srv, struct jsonbuf *b, const char **why)
{
	struct index ix = { .b = b, .now = clock_wall_ms() };
	struct jsonbuf data;
	char err[256];

	page_head(b, "clients", 7, "index");
	puts_(b, "<h1>Clients</h1>\n");
	if (store_clients_each(srv->st, html_client_row, &ix, err,
	    sizeof(err)) == -1) {
		logmsg(0, "http: %s", err);
		*why = "database error";
		return 500;
	}
	index_section(&ix, 3);
	jsonbuf_init(&data, 0);
	printf_(&data, "{\"page\":\"index\",\"now_ms\":%" PRId64 "}", ix.now);
	page_tail(b, &data, 0);
	if (data.oom)
		b->oom = 1;
	jsonbuf_free(&data);
	return 200;
}

/* A stat of the client page: a label and a value that app.js updates. */
static void
stat_open(struct jsonbuf *b, const char *key, const char *label)
{
	printf_(b, "<div class=\"stat\"><div class=\"k\">%s</div>"
	    "<div class=\"v\" data-stat=\"%s\">", label, key);
}

#define STAT_CLOSE	"</div></div>\n"

static void
client_stats(struct jsonbuf *b, const struct store_client *c, int64_t now)
{
	puts_(b, "<div class=\"stats\">\n");
	stat_open(b, "points", "points");
	printf_(b, "%" PRId64 STAT_CLOSE, c->points);
	stat_open(b, "anomalies", "anomalies");
	printf_(b, "%" PRId64, c->anomalies);
	if (c->points > 0)
		printf_(b, " <small>(%.1f%%)</small>",
		    100.0 * (double)c->anomalies / (double)c->points);
	puts_(b, STAT_CLOSE);
	stat_open(b, "alerts", "alerts");
	printf_(b, "%" PRId64 STAT_CLOSE, c->alerts);
	stat_open(b, "last_value", "last value");
	if (!isnan(c->last_value))
		put_number(b, c->last_value, 0);
	puts_(b, STAT_CLOSE);
	stat_open(b, "last_seen", "last seen");
	put_when(b, now, c->last_seen_ms);
	puts_(b, STAT_CLOSE);
	stat_open(b, "window", "window");
	printf_(b, "%" PRId64 STAT_CLOSE, c->window);
	puts_(b, "</div>\n");
}

/* What the chart without JavaScript draws of a point. */
struct dot {
	double	 value;
	int	 anomaly, alert;
};

#define SVG_W	1000
#define SVG_H	260
#define SVG_PAD	10

/* The values of dots as a static SVG chart: the picture the page shows
 * when JavaScript is off (app.js replaces it with the live uPlot chart). */
static void
svg_chart(struct jsonbuf *b, const struct dot *d, size_t n)
{
	double lo = INFINITY, hi = -INFINITY, half, x, y;
	size_t i;

	printf_(b, "<svg class=\"static-chart\" viewBox=\"0 0 %d %d\" "
	    "role=\"img\" aria-label=\"values of the latest %zu points\">",
	    SVG_W, SVG_H, n);
	for (i = 0; i < n; i++) {
		if (d[i].value < lo)
			lo = d[i].value;
		if (d[i].value > hi)
			hi = d[i].value;
	}
	/* hi - lo overflows for values near +-DBL_MAX: scale by halves,
	 * which cannot (|v / 2 - lo / 2| <= DBL_MAX); a range too small to
	 * tell apart is drawn flat */
	half = hi / 2 - lo / 2;
#define SX(i)	(SVG_PAD + (n > 1 ? (double)(i) * (SVG_W - 2 * SVG_PAD) / \
		    (double)(n - 1) : (SVG_W - 2 * SVG_PAD) / 2.0))
#define SY(v)	(half > 0 ? SVG_PAD + (1 - fmin(1, fmax(0, ((v) / 2 - lo / 2) / \
		    half))) * (SVG_H - 2 * SVG_PAD) : SVG_H / 2.0)
	for (i = 0; i < n; i++)
		if (d[i].alert)
			printf_(b, "<line class=\"alert\" x1=\"%.1f\" y1=\"0\" "
			    "x2=\"%.1f\" y2=\"%d\"/>", SX(i), SX(i), SVG_H);
	if (n > 0) {
		puts_(b, "<polyline class=\"values\" points=\"");
		for (i = 0; i < n; i++) {
			x = SX(i);
			y = SY(d[i].value);
			printf_(b, "%s%.1f,%.1f", i ? " " : "", x, y);
		}
		puts_(b, "\"/>");
	}
	for (i = 0; i < n; i++)
		if (d[i].anomaly)
			printf_(b, "<circle class=\"anomaly\" cx=\"%.1f\" "
			    "cy=\"%.1f\" r=\"4\"/>", SX(i), SY(d[i].value));
#undef SX
#undef SY
	puts_(b, "</svg>");
	if (n > 0) {
		puts_(b, "<p class=\"range\">min ");
		put_number(b, lo, 0);
		puts_(b, " \xc2\xb7 max ");
		put_number(b, hi, 0);
		puts_(b, "</p>");
	}
}

/* The chart's points into data (a JSON array) and dots; their count in
 * *ndots.  Returns 0 or -1 (err set). */
static int
chart_points(struct server *srv, const struct store_client *c,
    struct jsonbuf *data, struct dot *dots, size_t *ndots, char *err,
    size_t errlen)
{
	struct store_range r = { .limit = CHART_POINTS };
	struct store_point p;
	int rc;

	r.after = c->points > CHART_POINTS ? c->points - CHART_POINTS : 0;
	*ndots = 0;
	if (store_points_open(srv->st, c->client_id, &r, err, errlen) == -1)
		return -1;
	puts_(data, "[");
	while ((rc = store_points_next(srv->st, &p, err, errlen)) == 1 &&
	    *ndots < CHART_POINTS) {
		if (*ndots > 0)
			puts_(data, ",");
		json_point(data, &p);
		dots[*ndots].value = p.value;
		dots[*ndots].anomaly = p.anomaly;
		dots[*ndots].alert = p.alert;
		(*ndots)++;
	}
	store_points_close(srv->st);
	puts_(data, "]");
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

	if (store_points_open(srv->st, id, &r, err, errlen) == -1)
		return -1;
	while ((rc = store_points_next(srv->st, &p, err, errlen)) == 1) {
		printf_(b, "<tr%s><td class=\"num\">%" PRId64 "</td><td>",
		    p.alert ? " class=\"alert\"" : p.anomaly ?
		    " class=\"anomaly\"" : "", p.n);
		put_ts(b, &p.ts, 1);
		puts_(b, "</td><td class=\"num\">");
		put_number(b, p.value, 0);
		puts_(b, "</td><td class=\"num\">");
		printf_(b, "%.2f", p.score);
		printf_(b, "</td><td>%s</td></tr>\n", p.alert ? "alert" :
		    p.anomaly ? "anomaly" : "");
	}
	store_points_close(srv->st);
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
			puts_(b, " ");
		first = 0;
		puts_(b, name);
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
	if (events_open(srv->st, id, after, before, 1, 0, err,
	    errlen) == -1)
		return -1;
	rc = store_points_next(srv->st, &p, err, errlen);
	store_points_close(srv->st);
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
	puts_(b, "<p class=\"explain\">An <strong>anomaly</strong> is one "
	    "point that the vote of the detectors (");
	detect_vote_text(&set, tmp, sizeof(tmp));
	put_html(b, tmp, strlen(tmp));
	puts_(b, " of ");
	for (k = 0; (name = detect_kind_name(k)) != NULL; k++)
		if (set.detectors & (1u << k)) {
			printf_(b, "%s%s", first ? "" : ", ", name);
			first = 0;
		}
	puts_(b, ") finds unusual; an <strong>alert</strong> is the "
	    "de-duplicated event a person would be paged for: a signal of ");
	alert = detect_alert_mask(&set);
	if (alert == 0)
		puts_(b, "that vote");
	else {
		puts_(b, "the alert detectors (");
		for (k = 0, first = 1; (name = detect_kind_name(k)) != NULL;
		    k++)
			if (alert & (1u << k)) {
				printf_(b, "%s%s", first ? "" : ", ", name);
				first = 0;
			}
		puts_(b, "),");
	}
	printf_(b, " after which no other alert is raised for %g points "
	    "(hold-off).</p>\n", set.param[DETECT_P_HOLDOFF]);
}

/* What app.js needs of the events list, into the page's data: the
 * detectors' names by bit, the page's length, and whether it is the newest
 * page (then new anomalies and alerts go on top of it). */
static void
events_data(struct lws *wsi, struct jsonbuf *data)
{
	struct events_q q = { 0 };
	const char *name;
	unsigned k;

	if (events_query(wsi, &q, EVENTS_PAGE) != NULL)
		q = (struct events_q){ 0 };
	printf_(data, ",\"events_page\":%d,\"events_live\":%s,"
	    "\"detectors\":[", EVENTS_PAGE, q.before == 0 && q.after == 0 ?
	    "true" : "false");
	for (k = 0; (name = detect_kind_name(k)) != NULL; k++)
		printf_(data, "%s\"%s\"", k ? "," : "", name);
	puts_(data, "]");
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
	struct events_q q = { .limit = EVENTS_PAGE };
	size_t idlen = strlen(c->client_id), nrows = 0, i;
	int64_t lo, hi;
	int rc = 0, older = 0, newer = 0;

	if (events_query(wsi, &q, EVENTS_PAGE) != NULL)
		q = (struct events_q){ .limit = EVENTS_PAGE };	/* the top */
	/* before wins; after alone pages towards the newer ones */
	q.asc = q.before == 0 && q.after > 0;
	if ((rows = malloc(EVENTS_PAGE * sizeof(*rows))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (events_open(srv->st, c->client_id, q.asc ? q.after : 0,
	    q.before, EVENTS_PAGE, !q.asc, err, errlen) == -1)
		goto fail;
	while (nrows < EVENTS_PAGE && (rc = store_points_next(srv->st,
	    &rows[nrows], err, errlen)) == 1)
		nrows++;
	store_points_close(srv->st);
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

	puts_(b, "<section id=\"events\">\n<h2>Anomalies and alerts</h2>\n");
	events_sentence(b, c);
	printf_(b, "<p class=\"sub\">%" PRId64 " %s and %" PRId64 " %s in "
	    "all, newest first, %d a page \xc2\xb7 <a href=\"/api/clients/",
	    c->anomalies, c->anomalies == 1 ? "anomaly" : "anomalies",
	    c->alerts, c->alerts == 1 ? "alert" : "alerts", EVENTS_PAGE);
	put_url(b, c->client_id, idlen);
	puts_(b, "/events\">JSON</a></p>\n<div class=\"scroll\">"
	    "<table class=\"points events\">\n<thead><tr>"
	    "<th class=\"num\">n</th><th>timestamp</th>"
	    "<th class=\"num\">value</th><th>verdict</th>"
	    "<th>detectors that voted</th></tr></thead>\n"
	    "<tbody id=\"events-rows\">\n");
	for (i = 0; i < nrows; i++) {
		const struct store_point *p = &rows[i];

		printf_(b, "<tr class=\"%s\"><td class=\"num\">%" PRId64
		    "</td><td>", p->alert ? "alert" : "anomaly", p->n);
		put_ts(b, &p->ts, 1);
		puts_(b, "</td><td class=\"num\">");
		put_number(b, p->value, 0);
		printf_(b, "</td><td>%s</td><td>", p->anomaly && p->alert ?
		    "anomaly, alert" : p->alert ? "alert" : "anomaly");
		put_votes(b, p->votes);
		puts_(b, "</td></tr>\n");
	}
	if (nrows == 0)
		puts_(b, "<tr class=\"none\"><td colspan=\"5\">No anomaly or "
		    "alert here.</td></tr>\n");
	puts_(b, "</tbody></table></div>\n<p class=\"pager\">");
	if (newer) {
		puts_(b, "<a rel=\"prev\" id=\"events-newer\" href=\"/client/");
		put_url(b, c->client_id, idlen);
		printf_(b, "?after=%" PRId64 "#events\">&larr; newer</a> ", hi);
	}
	if (q.before != 0 || q.after != 0) {
		puts_(b, "<a href=\"/client/");
		put_url(b, c->client_id, idlen);
		puts_(b, "#events\">newest</a> ");
	}
	if (older) {
		puts_(b, "<a rel=\"next\" id=\"events-older\" href=\"/client/");
		put_url(b, c->client_id, idlen);
		printf_(b, "?before=%" PRId64 "#events\">older &rarr;</a>", lo);
	}
	puts_(b, "</p>\n</section>\n");
	free(rows);
	return 0;
fail:
	free(rows);
	return -1;
}

static int
page_client(struct server *srv, struct lws *wsi, const char *id,
    struct jsonbuf *b, const char **why)
{
	struct store_client *c;
	struct jsonbuf data;
	struct dot *dots = NULL;
	char err[256];
	size_t idlen, ndots = 0;
	int64_t now = clock_wall_ms();
	int rc, status = 500;

	jsonbuf_init(&data, 0);
	if ((c = malloc(sizeof(*c))) == NULL ||
	    (dots = malloc(CHART_POINTS * sizeof(*dots))) == NULL)
		goto done;
	if ((rc = store_client_get(srv->st, id, c, err, sizeof(err))) != 1) {
		if (rc == 0) {
			*why = "no such client";
			status = 404;
			goto done;
		}
		goto fail;
	}
	idlen = strlen(c->client_id);
	puts_(&data, "{\"page\":\"client\",\"chart_points\":");
	printf_(&data, "%d,\"table_points\":%d,\"client\":", CHART_POINTS,
	    PAGE_POINTS);
	json_client_object(&data, c);
	events_data(wsi, &data);
	puts_(&data, ",\"points\":");
	if (chart_points(srv, c, &data, dots, &ndots, err, sizeof(err)) == -1)
		goto fail;
	printf_(&data, ",\"now_ms\":%" PRId64 "}", now);

	page_head(b, c->client_id, idlen, "client");
	puts_(b, "<p class=\"back\"><a href=\"/\">&larr; all clients</a></p>\n"
	    "<h1><span class=\"id\">");
	put_html(b, c->client_id, idlen);
	printf_(b, "</span> <span class=\"state %s\" data-stat=\"state\">%s"
	    "</span></h1>\n", c->active ? "active" : "inactive",
	    c->active ? "active" : "inactive");
	client_stats(b, c, now);
	puts_(b, "<section class=\"chart-box\">\n<div id=\"chart\" "
	    "class=\"chart\">");
	svg_chart(b, dots, ndots);
	printf_(b, "</div>\n<p class=\"hint\"><span class=\"keys\">"
	    "<span class=\"key-line\"></span> value "
	    "<span class=\"key-anomaly\"></span> anomaly "
	    "<span class=\"key-alert\"></span> alert</span> "
	    "<span class=\"how\">the latest %d points"
	    "<span class=\"zoom\">: drag to zoom, double-click to reset"
	    "</span></span></p>\n</section>\n", CHART_POINTS);
	if (events_section(srv, wsi, c, b, err, sizeof(err)) == -1)
		goto fail;
	printf_(b, "<h2>Latest points</h2>\n<p class=\"sub\">newest first, "
	    "at most %d \xc2\xb7 <a href=\"/api/clients/", PAGE_POINTS);
	put_url(b, c->client_id, idlen);
	puts_(b, "/points\">JSON</a></p>\n");
	puts_(b, points_th);
	if (points_rows(srv, c->client_id, b, err, sizeof(err)) == -1)
		goto fail;
	puts_(b, "</tbody></table></div>\n<h2>Settings</h2>\n"
	    "<table class=\"kv\">\n<tr><th>first seen</th><td>");
	put_when(b, now, c->first_seen_ms);
	printf_(b, "</td></tr>\n<tr><th>last seq</th><td data-stat=\"last_seq\">"
	    "%" PRId64 "</td></tr>\n<tr><th>peer</th><td>", c->last_seq);
	put_html(b, c->peer, strlen(c->peer));
	puts_(b, "</td></tr>\n<tr><th>detection</th><td><code>");
	put_html(b, c->settings, strlen(c->settings));
	puts_(b, "</code></td></tr>\n</table>\n");
	page_tail(b, &data, 1);
	if (data.oom)
		b->oom = 1;
	status = 200;
	goto done;
fail:
	logmsg(0, "http: %s", err);
	*why = "database error";
	status = 500;
done:
	jsonbuf_free(&data);
	free(dots);
	free(c);
	return status;
}

/* ------------------------------------------------------------ delete */

/* DELETE /api/clients/{id}: the client, its points and its detector
 * state, when the token allows it and the client is not connected.  The
 * writer is idle (route() drained it), so no batch holds its points. */
static int
api_delete(struct server *srv, struct lws *wsi, const char *id,
    struct jsonbuf *b, const char **why)
{
	char err[256];
	int64_t points;
	int rc;

	if (!token_authorized(srv, wsi)) {
		*why = "token missing or wrong: send Authorization: Bearer "
		    "TOKEN";
		return 401;
	}
	if (client_connected(srv, id)) {
		*why = "the client is connected: stop its sender, then delete";
		return 409;
	}
	rc = store_client_delete(srv->st, id, &points, err, sizeof(err));
	if (rc == 0) {
		*why = "no such client";
		return 404;
	}
	if (rc == -1) {
		logmsg(0, "http: %s", err);
		*why = "database error";
		return 500;
	}
	logmsg(0, "client %s deleted with its %lld points", id,
	    (long long)points);
	puts_(b, "{\"deleted\":");
	put_jstring(b, id, strlen(id));
	printf_(b, ",\"points\":%lld}\n", (long long)points);
	return 200;
}

/* ------------------------------------------------------------ routing */

enum method { M_GET, M_HEAD, M_DELETE, M_OTHER };

static enum method
method_of(struct lws *wsi)
{
	if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0)
		return M_GET;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0)
		return M_HEAD;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_DELETE_URI) > 0)
		return M_DELETE;
	return M_OTHER;
}

/* The id in path after prefix, up to end (or the end of path). */
static int
id_in(const char *path, const char *prefix, const char *suffix, char *id)
{
	size_t plen = strlen(prefix), slen = strlen(suffix), n;

	if (strncmp(path, prefix, plen) != 0)
		return 0;
	path += plen;
	n = strlen(path);
	if (n < slen || strcmp(path + n - slen, suffix) != 0)
		return 0;
	n -= slen;
	if (proto_check_client_id(path, n, NULL, 0) == -1)
		return -1;	/* no such client can exist */
	memcpy(id, path, n);
	id[n] = '\0';
	return 1;
}

/* Whether path is /api/clients/{id}, where DELETE is allowed too. */
static int
deletable(const char *path)
{
	char id[PROTO_ID_MAX + 1];

	return id_in(path, "/api/clients/", "", id) != 0 &&
	    strchr(path + 13, '/') == NULL;
}

/* Builds the response to path in b; returns its status, its content type
 * and, for an error, a short reason (static text) in *why. */
static int
route(struct server *srv, struct lws *wsi, enum method m, const char *path,
    struct jsonbuf *b, const char **ctype, const char **why,
    char *subject, size_t sublen)
{
	char id[PROTO_ID_MAX + 1];
	int rc;

	*ctype = "application/json";
	if (m == M_DELETE) {
		/* no batch holds the client's points */
		commit_drain(srv);
		*why = "no such client";
		if ((rc = id_in(path, "/api/clients/", "", id)) == 1)
			return api_delete(srv, wsi, id, b, why);
		if (!token_authorized(srv, wsi)) {
			*why = "token missing or wrong: send Authorization: "
			    "Bearer TOKEN";
			return 401;
		}
		return 404;
	}
	if (strcmp(path, "/healthz") == 0) {
		*ctype = "text/plain; charset=utf-8";
		if (srv->gone) {
			/* the body is the cause, not an error page */
			printf_(b, "error: %s: points are not stored\n",
			    srv->gone_why);
			return 503;
		}
		puts_(b, "ok\n");
		return 200;
	}
	if (strncmp(path, "/static/", 8) == 0)
		return static_file(srv, path + 8, b, ctype);
	/* all received is committed; the store is ours */
	commit_drain(srv);
	if (strcmp(path, "/metrics") == 0) {
		*ctype = "text/plain; version=0.0.4; charset=utf-8";
		return metrics(srv, b, why);
	}
	if (strcmp(path, "/api/clients") == 0)
		return api_clients(srv, b, why);
	if ((rc = id_in(path, "/api/clients/", "/points", id)) != 0) {
		*why = "no such client";
		return rc == 1 ? api_points(srv, wsi, id, b, why) : 404;
	}
	if ((rc = id_in(path, "/api/clients/", "/events", id)) != 0) {
		*why = "no such client";
		return rc == 1 ? api_events(srv, wsi, id, b, why) : 404;
	}
	if ((rc = id_in(path, "/api/clients/", "", id)) != 0) {
		*why = "no such client";
		return rc == 1 ? api_client(srv, id, b, why) : 404;
	}
	*ctype = "text/html; charset=utf-8";
	if (strcmp(path, "/") == 0)
		return page_index(srv, b, why);
	if ((rc = id_in(path, "/client/", "", id)) != 0 ||
	    (rc = id_in(path, "/clients/", "", id)) != 0) {
		*why = "no such client";
		snprintf(subject, sublen, "%s", strchr(path + 1, '/') + 1);
		return rc == 1 ? page_client(srv, wsi, id, b, why) : 404;
	}
	return 404;
}

static const char *
status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/* Replaces b by the error page of status: JSON under /api/, else HTML. */
static void
error_body(struct jsonbuf *b, const char *path, int status, const char *why,
    const char *subject, const char **ctype)
{
	jsonbuf_clear(b);
	if (why == NULL)
		why = status_text(status);
	if (strncmp(path, "/api/", 5) == 0) {
		*ctype = "application/json";
		puts_(b, "{\"error\":");
		put_jstring(b, why, strlen(why));
		puts_(b, "}\n");
		return;
	}
	*ctype = "text/html; charset=utf-8";
	page_head(b, "error", 5, "error");
	printf_(b, "<h1>%d %s</h1>\n<p>", status, status_text(status));
	if (subject[0] != '\0') {
		puts_(b, "No client is named <code>");
		put_html(b, subject, strlen(subject));
		puts_(b, "</code>.");
	} else
		put_html(b, why, strlen(why));
	puts_(b, "</p>\n<p><a href=\"/\">&larr; all clients</a></p>\n");
	page_tail(b, NULL, 0);
}


static int
respond(struct server *srv, struct lws *wsi, struct http_session *hs,
    const char *path)
{
	/* scripts and styles only from files of this server (no inline
	 * code, no eval), nothing embedded, framed or posted anywhere */
	static const char csp[] = "default-src 'self'; script-src 'self'; "
	    "style-src 'self'; img-src 'self'; object-src 'none'; "
	    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
	unsigned char buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *p = start,
	    *end = buf + sizeof(buf) - 1;
	const char *ctype, *why = NULL, *allow;
	char subject[128] = "";
	enum method m = method_of(wsi);
	/* pages and the API change every second; files revalidate */
	const char *cache = strncmp(path, "/static/", 8) != 0 ? "no-store" :
	    "no-cache";
	int status;

	hs->body.headroom = LWS_PRE;
	jsonbuf_clear(&hs->body);
	hs->off = 0;
	/* a body is never read: the connection ends with the answer */
	hs->close = m == M_OTHER || (m == M_DELETE &&
	    (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 ||
	    lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0));
	allow = deletable(path) ? "GET, HEAD, DELETE" : "GET, HEAD";
	if (m == M_OTHER || (m == M_DELETE && !deletable(path))) {
		status = 405;
		hs->close = 1;
		why = m == M_DELETE ? "DELETE is served for /api/clients/ID "
		    "only" : "only GET, HEAD and DELETE are served";
	} else
		status = route(srv, wsi, m, path, &hs->body, &ctype, &why,
		    subject, sizeof(subject));
	if (status != 200 && status != 503)
		error_body(&hs->body, path, status, why, subject, &ctype);
	if (hs->body.oom)
		return -1;
	logmsg(2, "http %s %d", path, status);
	if (lws_add_http_common_headers(wsi, (unsigned)status, ctype,
	    hs->body.len, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)
	    "content-security-policy:", (const unsigned char *)csp,
	    sizeof(csp) - 1, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)
	    "x-content-type-options:", (const unsigned char *)"nosniff", 7,
	    &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)
	    "referrer-policy:", (const unsigned char *)"no-referrer", 11,
	    &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)
	    "cache-control:", (const unsigned char *)cache,
	    (int)strlen(cache), &p, end) ||
	    (status == 405 && lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"allow:", (const unsigned char *)allow,
	    (int)strlen(allow), &p, end)) ||
	    (status == 401 && lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"www-authenticate:", (const unsigned char *)
	    "Bearer", 6, &p, end)) ||
	    (hs->close && lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"connection:", (const unsigned char *)
	    "close", 5, &p, end)) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	if (m == M_HEAD) {
		/* the headers of GET, no body */
		jsonbuf_free(&hs->body);
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	}
	lws_callback_on_writable(wsi);
	return 0;
}

static int
write_body(struct lws *wsi, struct http_session *hs)
{
	size_t n = hs->body.len - hs->off;
	int final = 1;

	if (n > CHUNK) {
		n = CHUNK;
		final = 0;
	}
	/* the LWS_PRE bytes before a later chunk were sent already */
	if (lws_write(wsi, (unsigned char *)jsonbuf_text(&hs->body) + hs->off,
	    n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
		return -1;
	hs->off += n;
	if (!final) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	jsonbuf_free(&hs->body);
	hs->off = 0;
	if (hs->close)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct server *srv = lws_context_user(lws_get_context(wsi));
	struct http_session *hs = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		if (srv->stopping)
			return -1;
		return respond(srv, wsi, hs, in != NULL ? in : "/");
	case LWS_CALLBACK_HTTP_BODY:
		return 0;	/* a body is never read: 405 */
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (hs != NULL && hs->body.mem != NULL)
			lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (hs == NULL || hs->body.mem == NULL)
			return -1;
		return write_body(wsi, hs);
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (hs != NULL)
			jsonbuf_free(&hs->body);
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

const struct lws_protocols http_protocol = {
	.name = "http",
	.callback = callback,
	.per_session_data_size = sizeof(struct http_session),
	.rx_buffer_size = 0,
};
