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
#include <time.h>
#include <unistd.h>

#include "anomalyd.h"
#include "timefmt.h"

#define CHUNK		65536	/* bytes per HTTP write */
#define LIMIT_DEFAULT	1000
#define LIMIT_MAX	100000
#define PAGE_POINTS	100
#define WWW_DEFAULT	"share/anomaly/www"
#define STATIC_MAX	(16 * 1024 * 1024)	/* bytes of a /static/ file */

/* Upper bounds of the commit latency histogram, microseconds. */
static const uint64_t commit_le[COMMIT_BUCKETS] = {
	250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 1000000
};

/* An HTTP connection's response being written. */
struct http_session {
	struct proto_buf body;	/* LWS_PRE bytes of headroom */
	size_t		 off;
	int		 close;		/* close the connection after it */
};

static void
put(struct proto_buf *b, const char *s, size_t n)
{
	proto_put_raw(b, s, n);		/* a failure is kept in b->oom */
}

static void
puts_(struct proto_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void
printf_(struct proto_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
printf_(struct proto_buf *b, const char *fmt, ...)
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
put_html(struct proto_buf *b, const char *s, size_t n)
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
put_url(struct proto_buf *b, const char *s, size_t n)
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
put_jstring(struct proto_buf *b, const char *s, size_t n)
{
	proto_put_string(b, s, n);
}

/* d as a JSON number (null when not finite); a real keeps a fraction
 * when real is set, so that it reads back as a real. */
static void
put_number(struct proto_buf *b, double d, int real)
{
	size_t from = b->len;

	if (proto_put_double(b, d) == -1)
		return;
	if (real && strpbrk(proto_buf_text(b) + from, ".eEn") == NULL)
		puts_(b, ".0");
}

/* A stored timestamp as JSON (typed as stored) or as HTML text. */
static void
put_ts(struct proto_buf *b, const struct store_ts *ts, int html)
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
put_time(struct proto_buf *b, int64_t ms)
{
	char buf[TIMEFMT_BUFSIZE];

	timefmt_format(ms, buf, sizeof(buf));
	puts_(b, buf);
}

/* ------------------------------------------------------------ metrics */

void
flush_counted(struct server *srv)
{
	struct commit_stats *cs = &srv->commits;
	struct timespec t0, t1;
	int64_t d;
	uint64_t us;
	size_t points, i;

	if (!srv->in_tx) {
		flush(srv);
		return;
	}
	points = store_pending(srv->st);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	flush(srv);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	d = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000;
	us = d > 0 ? (uint64_t)d : 0;
	cs->count++;
	cs->points += points;
	cs->usec += us;
	for (i = 0; i < COMMIT_BUCKETS; i++)
		if (us <= commit_le[i])
			cs->le[i]++;
}

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
metric(struct proto_buf *b, const char *name, const char *type, const char *help)
{
	printf_(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Prometheus text format 0.0.4: the totals of the clients table (no scan
 * of points) and the counters of this process. */
static int
metrics(struct server *srv, struct proto_buf *b, const char **why)
{
	const struct commit_stats *cs = &srv->commits;
	struct totals t = { 0 };
	char err[256];
	size_t i;

	if (store_clients_each(srv->st, add_client, &t, err, sizeof(err)) ==
	    -1) {
		logmsg(srv, 0, "http: %s", err);
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
static_file(struct server *srv, const char *name, struct proto_buf *b,
    const char **ctype)
{
	const char *www = srv->cfg.www != NULL ? srv->cfg.www : WWW_DEFAULT;
	int64_t size;
	ssize_t n;
	size_t got = 0;
	int fd;

	if ((fd = static_open(www, name, &size)) == -1)
		return 404;
	if (size > STATIC_MAX) {
		close(fd);
		logmsg(srv, 0, "http: %s/%s: over %d bytes", www, name,
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

static int
json_client(void *arg, const struct store_client *c)
{
	struct proto_buf *b = arg;

	if (b->len > 1)
		puts_(b, ",");
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
	return 0;
}

static int
api_clients(struct server *srv, struct proto_buf *b, const char **why)
{
	char err[256];

	puts_(b, "[");
	if (store_clients_each(srv->st, json_client, b, err, sizeof(err)) ==
	    -1) {
		logmsg(srv, 0, "http: %s", err);
		*why = "database error";
		return 500;
	}
	puts_(b, "]\n");
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
json_point(struct proto_buf *b, const struct store_point *p)
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
    struct proto_buf *b, const char **why)
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
	logmsg(srv, 0, "http: %s", err);
	*why = "database error";
	return 500;
}

/* -------------------------------------------------------------- pages */

static void
page_head(struct proto_buf *b, const char *title, size_t tlen)
{
	puts_(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n<title>");
	put_html(b, title, tlen);
	puts_(b, "</title>\n<link rel=\"stylesheet\" "
	    "href=\"/static/style.css\">\n</head>\n<body>\n");
}

struct index {
	struct proto_buf	*b;
	int		 section;	/* 0: none yet, 1: active, 2: inactive */
};

static const char index_th[] = "<div class=\"scroll\"><table>\n<tr>"
    "<th>client</th><th class=\"num\">window</th><th class=\"num\">points"
    "</th><th class=\"num\">anomalies</th><th class=\"num\">alerts</th>"
    "<th class=\"num\">last value</th><th>last seen</th></tr>\n";

static int
html_client_row(void *arg, const struct store_client *c)
{
	struct index *ix = arg;
	struct proto_buf *b = ix->b;
	size_t n = strlen(c->client_id);
	int section = c->active ? 1 : 2;

	if (ix->section != section) {
		if (ix->section != 0)
			puts_(b, "</table></div>\n");
		puts_(b, section == 1 ? "<h2>Active</h2>\n" :
		    "<h2>Inactive</h2>\n");
		puts_(b, index_th);
		ix->section = section;
	}
	puts_(b, "<tr><td><a href=\"/client/");
	put_url(b, c->client_id, n);
	puts_(b, "\">");
	put_html(b, c->client_id, n);
	printf_(b, "</a></td><td class=\"num\">%" PRId64 "</td>"
	    "<td class=\"num\">%" PRId64 "</td><td class=\"num\">%" PRId64
	    "</td><td class=\"num\">%" PRId64 "</td><td class=\"num\">",
	    c->window, c->points, c->anomalies, c->alerts);
	if (!isnan(c->last_value))
		put_number(b, c->last_value, 0);
	puts_(b, "</td><td>");
	put_time(b, c->last_seen_ms);
	puts_(b, "</td></tr>\n");
	return 0;
}

static int
page_index(struct server *srv, struct proto_buf *b, const char **why)
{
	struct index ix = { .b = b };
	char err[256];

	page_head(b, "anomalyd", 8);
	puts_(b, "<h1>Clients</h1>\n");
	if (store_clients_each(srv->st, html_client_row, &ix, err,
	    sizeof(err)) == -1) {
		logmsg(srv, 0, "http: %s", err);
		*why = "database error";
		return 500;
	}
	puts_(b, ix.section != 0 ? "</table></div>\n" :
	    "<p>No client has connected yet.</p>\n");
	puts_(b, "<p><a href=\"/api/clients\">JSON</a> &middot; "
	    "<a href=\"/metrics\">metrics</a></p>\n</body></html>\n");
	return 200;
}

static int
page_client(struct server *srv, const char *id, struct proto_buf *b,
    const char **why)
{
	struct store_client *c;
	struct store_range r = { .limit = PAGE_POINTS, .descending = 1 };
	struct store_point p;
	char err[256];
	size_t idlen;
	int rc;

	if ((c = malloc(sizeof(*c))) == NULL)
		return 500;
	if ((rc = store_client_get(srv->st, id, c, err, sizeof(err))) != 1) {
		free(c);
		if (rc == 0) {
			*why = "no such client";
			return 404;
		}
		goto fail;
	}
	idlen = strlen(c->client_id);
	page_head(b, c->client_id, idlen);
	puts_(b, "<p><a href=\"/\">all clients</a></p>\n<h1>");
	put_html(b, c->client_id, idlen);
	printf_(b, "</h1>\n<div class=\"scroll\"><table class=\"stats\">\n"
	    "<tr><th>state</th><td>%s</td></tr>\n"
	    "<tr><th>window</th><td>%" PRId64 "</td></tr>\n"
	    "<tr><th>points</th><td>%" PRId64 "</td></tr>\n"
	    "<tr><th>anomalies</th><td>%" PRId64 "</td></tr>\n"
	    "<tr><th>alerts</th><td>%" PRId64 "</td></tr>\n"
	    "<tr><th>last seq</th><td>%" PRId64 "</td></tr>\n"
	    "<tr><th>first seen</th><td>", c->active ? "active" : "inactive",
	    c->window, c->points, c->anomalies, c->alerts, c->last_seq);
	put_time(b, c->first_seen_ms);
	puts_(b, "</td></tr>\n<tr><th>last seen</th><td>");
	put_time(b, c->last_seen_ms);
	puts_(b, "</td></tr>\n<tr><th>settings</th><td><code>");
	put_html(b, c->settings, strlen(c->settings));
	puts_(b, "</code></td></tr>\n</table></div>\n<h2>Latest points</h2>\n"
	    "<p><a href=\"/api/clients/");
	put_url(b, c->client_id, idlen);
	puts_(b, "/points\">JSON</a></p>\n"
	    "<div class=\"scroll\"><table class=\"points\">\n<tr>"
	    "<th class=\"num\">n</th><th class=\"num\">seq</th>"
	    "<th>timestamp</th><th class=\"num\">value</th>"
	    "<th class=\"num\">anomaly</th><th class=\"num\">alert</th>"
	    "<th class=\"num\">score</th></tr>\n");
	free(c);
	if (store_points_open(srv->st, id, &r, err, sizeof(err)) == -1)
		goto fail;
	while ((rc = store_points_next(srv->st, &p, err, sizeof(err))) == 1) {
		printf_(b, "<tr%s><td class=\"num\">%" PRId64 "</td>"
		    "<td class=\"num\">", p.alert ? " class=\"alert\"" :
		    p.anomaly ? " class=\"anomaly\"" : "", p.n);
		if (p.seq > 0)
			printf_(b, "%" PRId64, p.seq);
		puts_(b, "</td><td>");
		put_ts(b, &p.ts, 1);
		puts_(b, "</td><td class=\"num\">");
		put_number(b, p.value, 0);
		printf_(b, "</td><td class=\"num\">%d</td><td class=\"num\">%d"
		    "</td><td class=\"num\">", p.anomaly, p.alert);
		put_number(b, p.score, 1);
		puts_(b, "</td></tr>\n");
	}
	store_points_close(srv->st);
	if (rc == -1)
		goto fail;
	puts_(b, "</table></div>\n</body></html>\n");
	return 200;
fail:
	logmsg(srv, 0, "http: %s", err);
	*why = "database error";
	return 500;
}

/* ------------------------------------------------------------ routing */

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

/* Builds the response to path in b; returns its status, its content type
 * and, for an error, a short reason (static text) in *why. */
static int
route(struct server *srv, struct lws *wsi, const char *path, struct proto_buf *b,
    const char **ctype, const char **why)
{
	char id[PROTO_ID_MAX + 1];
	int rc;

	*ctype = "application/json";
	if (strcmp(path, "/healthz") == 0) {
		*ctype = "text/plain; charset=utf-8";
		puts_(b, "ok\n");
		return 200;
	}
	if (strncmp(path, "/static/", 8) == 0)
		return static_file(srv, path + 8, b, ctype);
	flush_counted(srv);	/* show only what is committed */
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
	*ctype = "text/html; charset=utf-8";
	if (strcmp(path, "/") == 0)
		return page_index(srv, b, why);
	if ((rc = id_in(path, "/client/", "", id)) != 0 ||
	    (rc = id_in(path, "/clients/", "", id)) != 0) {
		*why = "no such client";
		return rc == 1 ? page_client(srv, id, b, why) : 404;
	}
	return 404;
}

static const char *
status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	default: return "Internal Server Error";
	}
}

/* Replaces b by the error page of status: JSON under /api/, else HTML. */
static void
error_body(struct proto_buf *b, const char *path, int status, const char *why,
    const char **ctype)
{
	proto_buf_clear(b);
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
	page_head(b, "error", 5);
	printf_(b, "<h1>%d %s</h1>\n<p>", status, status_text(status));
	put_html(b, why, strlen(why));
	puts_(b, "</p>\n<p><a href=\"/\">all clients</a></p>\n"
	    "</body></html>\n");
}

enum method { M_GET, M_HEAD, M_OTHER };

static enum method
method_of(struct lws *wsi)
{
	if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0)
		return M_GET;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0)
		return M_HEAD;
	return M_OTHER;
}

static int
respond(struct server *srv, struct lws *wsi, struct http_session *hs,
    const char *path)
{
	static const char csp[] = "default-src 'self'";
	unsigned char buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *p = start,
	    *end = buf + sizeof(buf) - 1;
	const char *ctype, *why = NULL;
	enum method m = method_of(wsi);
	int status;

	hs->body.headroom = LWS_PRE;
	proto_buf_clear(&hs->body);
	hs->off = 0;
	hs->close = m == M_OTHER;
	if (m == M_OTHER) {
		status = 405;
		why = "only GET and HEAD are served";
	} else
		status = route(srv, wsi, path, &hs->body, &ctype, &why);
	if (status != 200)
		error_body(&hs->body, path, status, why, &ctype);
	if (hs->body.oom)
		return -1;
	logmsg(srv, 2, "http %s %d", path, status);
	if (lws_add_http_common_headers(wsi, (unsigned)status, ctype,
	    hs->body.len, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)
	    "content-security-policy:", (const unsigned char *)csp,
	    sizeof(csp) - 1, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)
	    "x-content-type-options:", (const unsigned char *)"nosniff", 7,
	    &p, end) ||
	    (status == 405 && lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"allow:", (const unsigned char *)
	    "GET, HEAD", 9, &p, end)) ||
	    (hs->close && lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"connection:", (const unsigned char *)
	    "close", 5, &p, end)) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	if (m == M_HEAD) {
		/* the headers of GET, no body */
		proto_buf_free(&hs->body);
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
	if (lws_write(wsi, (unsigned char *)proto_buf_text(&hs->body) + hs->off,
	    n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
		return -1;
	hs->off += n;
	if (!final) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	proto_buf_free(&hs->body);
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
			proto_buf_free(&hs->body);
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
