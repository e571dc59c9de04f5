/*
 * webhook.c: --webhook (see webhook.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "jsonbuf.h"
#include "log.h"
#include "settings.h"
#include "webhook.h"

struct payload {
	char		*body;
	size_t		 len;
};

struct webhook {
	struct server	*srv;
	char		 buf[1024];	/* the URL, cut by lws_parse_uri() */
	const char	*proto, *address, *path;
	int		 port, tls;
	char		 host[300];	/* Host: header */
	struct payload	*q;		/* WEBHOOK_QUEUE of them, a ring */
	size_t		 head, count;
	struct lws	*wsi;		/* the request under way, or NULL */
	int		 status;	/* its HTTP status, 0 before */
	int		 done;		/* it was answered or failed */
	size_t		 sent;		/* body bytes written */
	unsigned	 backoff_ms;	/* 0: no failure since the last 2xx */
	int		 waiting;	/* the retry timer is set */
	lws_sorted_usec_list_t retry;
	struct webhook_stats st;
};

static struct webhook *the;	/* lws callbacks find it here */

int
webhook_check(const char *url, char *err, size_t len)
{
	char buf[1024];
	const char *proto, *address, *path;
	int port;

	if (strlen(url) >= sizeof(buf)) {
		snprintf(err, len, "URL too long");
		return -1;
	}
	memcpy(buf, url, strlen(url) + 1);
	if (lws_parse_uri(buf, &proto, &address, &port, &path) != 0 ||
	    (strcmp(proto, "http") != 0 && strcmp(proto, "https") != 0) ||
	    strncmp(url, proto, strlen(proto)) != 0 || address[0] == '\0') {
		snprintf(err, len, "'%s' is not an http:// or https:// URL",
		    url);
		return -1;
	}
	return 0;
}

int
webhook_init(struct server *srv)
{
	struct webhook *w;

	if (srv->cfg.webhook == NULL)
		return 0;
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->q = calloc(WEBHOOK_QUEUE, sizeof(*w->q))) == NULL) {
		free(w);
		return -1;
	}
	w->srv = srv;
	snprintf(w->buf, sizeof(w->buf), "%s", srv->cfg.webhook);
	if (lws_parse_uri(w->buf, &w->proto, &w->address, &w->port,
	    &w->path) != 0) {	/* webhook_check() said it parses */
		free(w->q);
		free(w);
		return -1;
	}
	w->tls = strcmp(w->proto, "https") == 0;
	if ((w->tls && w->port == 443) || (!w->tls && w->port == 80))
		snprintf(w->host, sizeof(w->host), "%s", w->address);
	else
		snprintf(w->host, sizeof(w->host), "%s:%d", w->address,
		    w->port);
	srv->webhook = w;
	the = w;
	return 0;
}

static void send_first(struct webhook *w);

static void
retry_cb(lws_sorted_usec_list_t *sul)
{
	struct webhook *w = lws_container_of(sul, struct webhook, retry);

	w->waiting = 0;
	send_first(w);
}

/* The request under way ended: drops its payload on a 2xx, else waits
 * before trying it again. */
static void
finished(struct webhook *w, const char *why)
{
	struct payload *p = &w->q[w->head];

	w->wsi = NULL;
	if (why == NULL && w->status >= 200 && w->status < 300) {
		free(p->body);
		p->body = NULL;
		w->head = (w->head + 1) % WEBHOOK_QUEUE;
		w->count--;
		w->st.sent++;
		if (w->backoff_ms > 0)
			logmsg(0, "webhook: %s answers again", w->host);
		w->backoff_ms = 0;
		send_first(w);
		return;
	}
	w->st.failed++;
	w->backoff_ms = w->backoff_ms == 0 ? 500 : w->backoff_ms * 2;
	if (w->backoff_ms > WEBHOOK_BACKOFF_MAX_MS)
		w->backoff_ms = WEBHOOK_BACKOFF_MAX_MS;
	if (why != NULL)
		logmsg(w->backoff_ms == 500 ? 0 : 1, "webhook: %s: %s; "
		    "%zu alerts wait, retrying in %u ms", w->host, why,
		    w->count, w->backoff_ms);
	else
		logmsg(w->backoff_ms == 500 ? 0 : 1, "webhook: %s: HTTP "
		    "status %d; %zu alerts wait, retrying in %u ms", w->host,
		    w->status, w->count, w->backoff_ms);
	w->waiting = 1;
	lws_sul_schedule(w->srv->ctx, 0, &w->retry, retry_cb,
	    (lws_usec_t)w->backoff_ms * LWS_US_PER_MS);
}

/* POSTs the first payload, unless a request is under way, the retry timer
 * is set or nothing waits. */
static void
send_first(struct webhook *w)
{
	struct lws_client_connect_info i;
	char path[1024];

	if (w->wsi != NULL || w->waiting || w->count == 0 ||
	    w->srv->stopping)
		return;
	snprintf(path, sizeof(path), "/%s", w->path);
	memset(&i, 0, sizeof(i));
	i.context = w->srv->ctx;
	i.address = w->address;
	i.port = w->port;
	i.path = path;
	i.host = w->host;
	i.origin = w->host;
	i.method = "POST";
	i.ssl_connection = w->tls ? LCCSCF_USE_SSL : 0;
	i.protocol = webhook_protocol.name;
	i.local_protocol_name = webhook_protocol.name;
	i.pwsi = &w->wsi;
	w->status = 0;
	w->done = 0;
	w->sent = 0;
	if (lws_client_connect_via_info(&i) == NULL && !w->done) {
		/* not yet said by LWS_CALLBACK_CLIENT_CONNECTION_ERROR */
		w->done = 1;
		finished(w, "cannot connect");
	}
}

/* The libwebsockets callbacks of the webhook's requests. */
static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct webhook *w = the;
	struct payload *p;
	unsigned char **pp, *end;
	char buf[LWS_PRE + 1024], *px, cl[32];
	unsigned char *out;
	int n;

	(void)user;
	if (w == NULL || wsi != w->wsi)
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	p = &w->q[w->head];
	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (!w->done) {
			w->done = 1;
			finished(w, in != NULL ? (const char *)in :
			    "cannot connect");
		}
		return 0;
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		pp = (unsigned char **)in;
		end = *pp + len;
		n = snprintf(cl, sizeof(cl), "%zu", p->len);
		if (lws_add_http_header_by_token(wsi,
		    WSI_TOKEN_HTTP_CONTENT_TYPE,
		    (const unsigned char *)"application/json", 16, pp, end) ||
		    lws_add_http_header_by_token(wsi,
		    WSI_TOKEN_HTTP_CONTENT_LENGTH, (unsigned char *)cl, n, pp,
		    end))
			return -1;
		lws_client_http_body_pending(wsi, 1);
		lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
		if ((out = malloc(LWS_PRE + p->len)) == NULL)
			return -1;
		memcpy(out + LWS_PRE, p->body, p->len);
		n = lws_write(wsi, out + LWS_PRE, p->len, LWS_WRITE_HTTP_FINAL);
		free(out);
		if (n < (int)p->len)
			return -1;
		lws_client_http_body_pending(wsi, 0);
		return 0;
	case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
		w->status = (int)lws_http_client_http_response(wsi);
		return 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
		return 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
		px = buf + LWS_PRE;
		n = (int)sizeof(buf) - LWS_PRE;
		if (lws_http_client_read(wsi, &px, &n) < 0)
			return -1;
		return 0;
	case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
		if (!w->done) {
			w->done = 1;
			finished(w, NULL);
		}
		return -1;	/* one request per connection */
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
		if (!w->done) {
			w->done = 1;
			finished(w, w->status != 0 ? NULL :
			    "connection closed");
		}
		return 0;
	default:
		return 0;
	}
}

const struct lws_protocols webhook_protocol = {
	.name = "anomaly-webhook",
	.callback = callback,
	.rx_buffer_size = 0,
};

/* The JSON of alert it into b. */
static void
payload_of(struct server *srv, const struct alert_item *it,
    struct jsonbuf *b)
{
	char url[300];
	const char *name;
	uint32_t k;
	int first = 1;

	jsonbuf_put_raw(b, "{\"client_id\":", 13);
	jsonbuf_put_string(b, it->id, strlen(it->id));
	jsonbuf_put_raw(b, ",\"n\":", 5);
	jsonbuf_put_int(b, it->n);
	jsonbuf_put_raw(b, ",\"timestamp\":", 13);
	switch (it->ts.type) {
	case STORE_TS_INTEGER:
		jsonbuf_put_int(b, it->ts.i);
		break;
	case STORE_TS_REAL:
		jsonbuf_put_real(b, it->ts.r);
		break;
	default:
		jsonbuf_put_string(b, it->ts.text, it->ts.len);
		break;
	}
	jsonbuf_put_raw(b, ",\"value\":", 9);
	jsonbuf_put_real(b, it->value);
	jsonbuf_put_raw(b, ",\"alert\":1,\"detectors\":[", 24);
	for (k = 0; k < DETECT_KINDS; k++)
		if (it->votes & (1u << k)) {
			if (!first)
				jsonbuf_put_raw(b, ",", 1);
			first = 0;
			name = detect_kind_name(k);
			jsonbuf_put_string(b, name, strlen(name));
		}
	jsonbuf_put_raw(b, "],\"url\":", 8);
	alert_url(srv, it->id, url, sizeof(url));
	jsonbuf_put_string(b, url, strlen(url));
	jsonbuf_put_raw(b, "}", 1);
}

void
webhook_committed(struct server *srv, const struct batch *b)
{
	struct webhook *w = srv->webhook;
	struct alert_item it;
	struct jsonbuf jb;
	struct payload *p;
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; i < b->nops; i++) {
		if (b->ops[i].kind != WOP_POINT || !b->ops[i].p.alert)
			continue;
		if (w->count == WEBHOOK_QUEUE) {
			if (w->st.dropped++ == 0)
				logmsg(0, "webhook: %d alerts wait: alerts "
				    "dropped (counted in /metrics)",
				    WEBHOOK_QUEUE);
			continue;
		}
		alert_of(&it, &b->ops[i]);
		jsonbuf_init(&jb, 0);
		payload_of(srv, &it, &jb);
		p = &w->q[(w->head + w->count) % WEBHOOK_QUEUE];
		if (jb.oom || jb.len == 0 || (p->body = strdup(jsonbuf_text(&jb))) ==
		    NULL) {
			jsonbuf_free(&jb);
			w->st.dropped++;
			continue;
		}
		p->len = jb.len;
		jsonbuf_free(&jb);
		w->count++;
	}
	send_first(w);
}

void
webhook_stats(const struct server *srv, struct webhook_stats *st)
{
	if (srv->webhook == NULL)
		memset(st, 0, sizeof(*st));
	else {
		*st = srv->webhook->st;
		st->queued = srv->webhook->count;
	}
}

void
webhook_free(struct server *srv)
{
	struct webhook *w = srv->webhook;
	size_t i;

	if (w == NULL)
		return;
	if (w->count > 0)
		logmsg(0, "webhook: %zu alerts not sent at shutdown", w->count);
	for (i = 0; i < w->count; i++)
		free(w->q[(w->head + i) % WEBHOOK_QUEUE].body);
	free(w->q);
	free(w);
	srv->webhook = NULL;
	the = NULL;
}
