/*
 * delete.c: anomaly-send --delete, an HTTP client over libwebsockets.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delete.h"
#include "json.h"
#include "wire.h"

/* The HTTP request's state. */
struct delete_req {
	int		 done;
	int		 status;	/* HTTP status, 0 before */
	char		 body[1024];
	size_t		 len;
	char		 error[256];	/* the connection failed */
};

/* The request under way on wsi's context, or NULL after it. */
static struct delete_req *
request(struct lws *wsi)
{
	struct sender *s = lws_context_user(lws_get_context(wsi));

	return s->del;
}

/* The libwebsockets callbacks of the --delete request. */
static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	char buf[LWS_PRE + 1024], *px;
	unsigned char **p, *end;
	struct sender *s;
	struct delete_req *d;
	int n;

	switch (reason) {
	case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
		return wire_tls_callback(lws_context_user(lws_get_context(wsi)),
		    reason, user, len);
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if ((d = request(wsi)) == NULL)
			return 0;
		snprintf(d->error, sizeof(d->error), "%s",
		    in != NULL ? (const char *)in : "cannot connect");
		d->done = 1;
		return 0;
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		s = lws_context_user(lws_get_context(wsi));
		if (s->token == NULL)
			return 0;
		p = (unsigned char **)in;
		end = *p + len;
		snprintf(buf, sizeof(buf), "Bearer %s", s->token);
		if (lws_add_http_header_by_token(wsi,
		    WSI_TOKEN_HTTP_AUTHORIZATION, (unsigned char *)buf,
		    (int)strlen(buf), p, end))
			return -1;
		return 0;
	case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
		if ((d = request(wsi)) == NULL)
			return 0;
		d->status = (int)lws_http_client_http_response(wsi);
		return 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
		if ((d = request(wsi)) == NULL)
			return 0;
		n = (int)len;
		if ((size_t)n > sizeof(d->body) - 1 - d->len)
			n = (int)(sizeof(d->body) - 1 - d->len);
		memcpy(d->body + d->len, in, (size_t)n);
		d->len += (size_t)n;
		d->body[d->len] = '\0';
		return 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
		px = buf + LWS_PRE;
		n = (int)sizeof(buf) - LWS_PRE;
		if (lws_http_client_read(wsi, &px, &n) < 0)
			return -1;
		return 0;
	case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
		if ((d = request(wsi)) == NULL)
			return 0;
		d->done = 1;
		return 0;
	default:
		return 0;
	}
}

static const struct lws_protocols protocols[] = {
	{ .name = "anomaly-send", .callback = callback,
	  .rx_buffer_size = 65536 },
	{ .name = NULL }
};

const struct lws_protocols *
delete_protocols(void)
{
	return protocols;
}

/* What the server's JSON answer says: its top-level "error" text and
 * "points" count, each when present. */
struct answer {
	char		 error[256];
	size_t		 elen;
	int		 in_error;	/* reading the "error" string */
	int		 in_points;	/* the next value is "points" */
	unsigned long long points;
};

/* json_read()'s callback: keeps the answer's "error" and "points". */
static int
answer_event(void *arg, const struct json_event *ev)
{
	struct answer *a = arg;
	size_t n;

	switch (ev->type) {
	case JSON_KEY:
		a->in_error = ev->depth == 1 && ev->len == 5 &&
		    memcmp(ev->text, "error", 5) == 0;
		a->in_points = ev->depth == 1 && ev->len == 6 &&
		    memcmp(ev->text, "points", 6) == 0;
		return 0;
	case JSON_STRING_CHUNK:
	case JSON_STRING_END:
		if (!a->in_error)
			return 0;
		n = sizeof(a->error) - 1 - a->elen;
		if (ev->len < n)
			n = ev->len;
		memcpy(a->error + a->elen, ev->text, n);
		a->elen += n;
		a->error[a->elen] = '\0';
		if (ev->type == JSON_STRING_END)
			a->in_error = 0;
		return 0;
	case JSON_NUMBER:
		if (a->in_points && ev->integer)
			a->points = strtoull(ev->text, NULL, 10);
		a->in_points = 0;
		return 0;
	default:
		a->in_points = 0;
		return 0;
	}
}

int
delete_client(struct sender *s)
{
	struct lws_client_connect_info i;
	struct delete_req d;
	struct answer ans;
	char path[256], why[256];
	const char *what;

	memset(&d, 0, sizeof(d));
	snprintf(path, sizeof(path), "/api/clients/%s", s->client_id);
	memset(&i, 0, sizeof(i));
	i.context = s->ctx;
	i.address = s->address;
	i.port = s->port;
	i.path = path;
	i.host = s->address;
	i.origin = s->address;
	i.method = "DELETE";
	i.alpn = "http/1.1";
	i.protocol = "anomaly-send";
	i.local_protocol_name = "anomaly-send";
	i.ssl_connection = wire_ssl_flags(s);
	s->verify_err = 0;
	s->del = &d;
	if (lws_client_connect_via_info(&i) == NULL && !d.done)
		snprintf(d.error, sizeof(d.error), "cannot connect");
	else
		while (!d.done)
			if (lws_service(s->ctx, 0) < 0)
				break;
	s->del = NULL;
	if (d.status == 0) {
		snprintf(s->conn_error, sizeof(s->conn_error), "%s",
		    d.error[0] ? d.error : "no answer");
		warnx("cannot connect to %s://%s:%d: %s", s->tls ? "https" :
		    "http", s->address, s->port, wire_connect_error(s, why, sizeof(why)));
		return 1;
	}
	memset(&ans, 0, sizeof(ans));
	if (json_read(d.body, d.len, answer_event, &ans) != JSON_OK)
		memset(&ans, 0, sizeof(ans));	/* not the JSON expected */
	if (d.status == 200) {
		printf("deleted client %s and its %llu points\n",
		    s->client_id, ans.points);
		return 0;
	}
	what = d.status == 401 ? "not authorised (wrong or missing "
	    "--token-file)" : d.status == 404 ? "no such client" :
	    d.status == 409 ? "the client is connected" : "refused";
	if (ans.elen > 0)
		snprintf(why, sizeof(why), "%s", ans.error);
	else
		snprintf(why, sizeof(why), "%.*s", (int)strcspn(d.body, "\r\n"),
		    d.body);
	warnx("cannot delete %s: %d %s%s%s", s->client_id, d.status, what,
	    why[0] ? ": " : "", why);
	return 1;
}
