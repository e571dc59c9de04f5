/*
 * http.c: the HTTP side of anomalyd (SPEC §5): /healthz, the JSON API and
 * server-rendered pages, on the WebSocket's port.  Every client string is
 * escaped for where it goes; every response carries a CSP and nosniff.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anomalyd.h"
#include "timefmt.h"

#define CHUNK		65536	/* bytes per HTTP write */
#define LIMIT_DEFAULT	1000
#define LIMIT_MAX	100000
#define PAGE_POINTS	100

/* A response body with LWS_PRE bytes of headroom. */
struct body {
	char	*mem;
	size_t	 len, cap;
	int	 oom;
};

struct http_session {
	struct body	 body;
	size_t		 off;
};

static struct proto_buf scratch;	/* one thread */

static void
put(struct body *b, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if (b->oom)
		return;
	if (LWS_PRE + b->len + n + 1 > b->cap) {
		for (cap = b->cap ? b->cap : 4096; cap < LWS_PRE + b->len + n + 1;
		    cap *= 2)
			;
		if ((p = realloc(b->mem, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->mem = p;
		b->cap = cap;
	}
	memcpy(b->mem + LWS_PRE + b->len, s, n);
	b->len += n;
	b->mem[LWS_PRE + b->len] = '\0';
}

static void
puts_(struct body *b, const char *s)
{
	put(b, s, strlen(s));
}

static void
printf_(struct body *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
printf_(struct body *b, const char *fmt, ...)
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
put_html(struct body *b, const char *s, size_t n)
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

static void
put_jstring(struct body *b, const char *s, size_t n)
{
	proto_buf_clear(&scratch);
	if (proto_put_string(&scratch, s, n) == -1)
		b->oom = 1;
	else
		put(b, proto_buf_text(&scratch), scratch.len);
}

/* d as a JSON number (null when not finite); a real keeps a fraction
 * when real is set, so that it reads back as a real. */
static void
put_number(struct body *b, double d, int real)
{
	const char *t;

	proto_buf_clear(&scratch);
	if (proto_put_double(&scratch, d) == -1) {
		b->oom = 1;
		return;
	}
	t = proto_buf_text(&scratch);
	put(b, t, scratch.len);
	if (real && strpbrk(t, ".eEn") == NULL)
		puts_(b, ".0");
}

/* A stored timestamp as JSON (typed as stored) or as HTML text. */
static void
put_ts(struct body *b, const struct store_ts *ts, int html)
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
put_time(struct body *b, int64_t ms)
{
	char buf[TIMEFMT_BUFSIZE];

	timefmt_format(ms, buf, sizeof(buf));
	puts_(b, buf);
}

/* ------------------------------------------------------------- routes */

static int
json_client(void *arg, const struct store_client *c)
{
	struct body *b = arg;

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
api_clients(struct server *srv, struct body *b)
{
	char err[256];

	puts_(b, "[");
	if (store_clients_each(srv->st, json_client, b, err, sizeof(err)) ==
	    -1) {
		logmsg(srv, 0, "http: %s", err);
		return 500;
	}
	puts_(b, "]\n");
	return 200;
}

/* Reads URL argument name as an integer from lo to hi into *v (left alone
 * when absent).  Returns 0, or -1 when it is not such a number. */
static int
int_arg(struct lws *wsi, const char *name, int64_t lo, int64_t hi,
    int64_t *v)
{
	char buf[64], *end;
	const char *s;
	long long n;

	if ((s = lws_get_urlarg_by_name(wsi, name, buf, sizeof(buf))) == NULL)
		return 0;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < lo)
		return -1;
	*v = n > hi ? hi : n;
	return 0;
}

static void
json_point(struct body *b, const struct store_point *p)
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
    struct body *b)
{
	struct store_client *c;
	struct store_range r = { .limit = LIMIT_DEFAULT };
	struct store_point p;
	char err[256];
	int rc, first = 1;

	if (int_arg(wsi, "after=", 0, INT64_MAX, &r.after) == -1 ||
	    int_arg(wsi, "limit=", 1, LIMIT_MAX, &r.limit) == -1) {
		puts_(b, "{\"error\":\"after and limit must be integers\"}\n");
		return 400;
	}
	if ((c = malloc(sizeof(*c))) == NULL)
		return 500;
	rc = store_client_get(srv->st, id, c, err, sizeof(err));
	free(c);
	if (rc != 1)
		return rc == 0 ? 404 : 500;
	if (store_points_open(srv->st, id, &r, err, sizeof(err)) == -1)
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
	return 500;
}

static void
page_head(struct body *b, const char *title, size_t tlen)
{
	puts_(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"><title>");
	put_html(b, title, tlen);
	puts_(b, "</title></head>\n<body>\n");
}

static int
html_client_row(void *arg, const struct store_client *c)
{
	struct body *b = arg;
	size_t n = strlen(c->client_id);

	puts_(b, "<tr><td><a href=\"/client/");
	put_html(b, c->client_id, n);
	puts_(b, "\">");
	put_html(b, c->client_id, n);
	printf_(b, "</a></td><td>%s</td><td>%" PRId64 "</td><td>%" PRId64
	    "</td><td>%" PRId64 "</td><td>%" PRId64 "</td><td>",
	    c->active ? "active" : "inactive", c->window, c->points,
	    c->anomalies, c->alerts);
	if (!isnan(c->last_value))
		put_number(b, c->last_value, 0);
	puts_(b, "</td><td>");
	put_time(b, c->last_seen_ms);
	puts_(b, "</td></tr>\n");
	return 0;
}

static int
page_index(struct server *srv, struct body *b)
{
	char err[256];

	page_head(b, "anomalyd", 8);
	puts_(b, "<h1>Clients</h1>\n<table>\n<tr><th>client</th><th>state"
	    "</th><th>window</th><th>points</th><th>anomalies</th><th>alerts"
	    "</th><th>last value</th><th>last seen</th></tr>\n");
	if (store_clients_each(srv->st, html_client_row, b, err,
	    sizeof(err)) == -1) {
		logmsg(srv, 0, "http: %s", err);
		return 500;
	}
	puts_(b, "</table>\n</body></html>\n");
	return 200;
}

static int
page_client(struct server *srv, const char *id, struct body *b)
{
	struct store_client *c;
	struct store_range r = { .limit = PAGE_POINTS, .descending = 1 };
	struct store_point p;
	char err[256];
	int rc;

	if ((c = malloc(sizeof(*c))) == NULL)
		return 500;
	if ((rc = store_client_get(srv->st, id, c, err, sizeof(err))) != 1) {
		free(c);
		return rc == 0 ? 404 : 500;
	}
	page_head(b, c->client_id, strlen(c->client_id));
	puts_(b, "<p><a href=\"/\">all clients</a></p>\n<h1>");
	put_html(b, c->client_id, strlen(c->client_id));
	printf_(b, "</h1>\n<table>\n<tr><th>state</th><td>%s</td></tr>\n"
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
	puts_(b, "</code></td></tr>\n</table>\n<h2>Latest points</h2>\n"
	    "<table>\n<tr><th>n</th><th>seq</th><th>timestamp</th>"
	    "<th>value</th><th>anomaly</th><th>alert</th><th>score</th>"
	    "</tr>\n");
	free(c);
	if (store_points_open(srv->st, id, &r, err, sizeof(err)) == -1)
		goto fail;
	while ((rc = store_points_next(srv->st, &p, err, sizeof(err))) == 1) {
		printf_(b, "<tr%s><td>%" PRId64 "</td><td>", p.anomaly ?
		    " class=\"anomaly\"" : "", p.n);
		if (p.seq > 0)
			printf_(b, "%" PRId64, p.seq);
		puts_(b, "</td><td>");
		put_ts(b, &p.ts, 1);
		puts_(b, "</td><td>");
		put_number(b, p.value, 0);
		printf_(b, "</td><td>%d</td><td>%d</td><td>", p.anomaly,
		    p.alert);
		put_number(b, p.score, 1);
		puts_(b, "</td></tr>\n");
	}
	store_points_close(srv->st);
	if (rc == -1)
		goto fail;
	puts_(b, "</table>\n</body></html>\n");
	return 200;
fail:
	logmsg(srv, 0, "http: %s", err);
	return 500;
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

/* Builds the response to path in b; returns its status and content type. */
static int
route(struct server *srv, struct lws *wsi, const char *path, struct body *b,
    const char **ctype)
{
	char id[PROTO_ID_MAX + 1];
	int rc;

	*ctype = "application/json";
	if (strcmp(path, "/healthz") == 0) {
		*ctype = "text/plain; charset=utf-8";
		puts_(b, "ok\n");
		return 200;
	}
	flush(srv);		/* show only what is committed */
	if (strcmp(path, "/api/clients") == 0)
		return api_clients(srv, b);
	if ((rc = id_in(path, "/api/clients/", "/points", id)) != 0)
		return rc == 1 ? api_points(srv, wsi, id, b) : 404;
	*ctype = "text/html; charset=utf-8";
	if (strcmp(path, "/") == 0)
		return page_index(srv, b);
	if ((rc = id_in(path, "/client/", "", id)) != 0 ||
	    (rc = id_in(path, "/clients/", "", id)) != 0)
		return rc == 1 ? page_client(srv, id, b) : 404;
	return 404;
}

static int
respond(struct server *srv, struct lws *wsi, struct http_session *hs,
    const char *path)
{
	static const char csp[] = "default-src 'self'";
	unsigned char buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *p = start,
	    *end = buf + sizeof(buf) - 1;
	const char *ctype;
	int status;

	hs->body.len = 0;
	hs->body.oom = 0;
	hs->off = 0;
	status = route(srv, wsi, path, &hs->body, &ctype);
	if (status != 200) {
		hs->body.len = 0;
		ctype = "text/html; charset=utf-8";
		page_head(&hs->body, "error", 5);
		printf_(&hs->body, "<h1>%d %s</h1>\n</body></html>\n", status,
		    status == 404 ? "Not Found" : status == 400 ?
		    "Bad Request" : "Internal Server Error");
	}
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
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
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
	if (lws_write(wsi, (unsigned char *)hs->body.mem + LWS_PRE + hs->off,
	    n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
		return -1;
	hs->off += n;
	if (!final) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	free(hs->body.mem);
	memset(&hs->body, 0, sizeof(hs->body));
	hs->off = 0;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct server *srv = lws_context_user(lws_get_context(wsi));
	struct http_session *hs = user;

	(void)len;
	switch (reason) {
	case LWS_CALLBACK_HTTP:
		if (srv->stopping)
			return -1;
		return respond(srv, wsi, hs, in != NULL ? in : "/");
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (hs == NULL || hs->body.mem == NULL)
			return -1;
		return write_body(wsi, hs);
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (hs != NULL) {
			free(hs->body.mem);
			memset(&hs->body, 0, sizeof(hs->body));
		}
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	case LWS_CALLBACK_PROTOCOL_DESTROY:
		proto_buf_free(&scratch);
		return 0;
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
