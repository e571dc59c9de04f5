/*
 * apiclient.c: GET requests to anomalyd's JSON API over libwebsockets'
 * HTTP client (see apiclient.h).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "apiclient.h"
#include "errmsg.h"
#include "json.h"
#include "jsonbuf.h"

struct apiclient {
	struct lws_context *ctx;
	char		 url[512];
	char		 address[256];
	int		 port;
	int		 tls;
	int		 insecure;
	char		 base[256];	/* the URL's path, without a final / */
	char		*auth;		/* "Bearer TOKEN", or NULL */
	struct apianswer page;		/* the answers of the readers */
	/* the request under way */
	struct lws	*wsi;		/* its connection */
	struct apianswer *ans;
	int		 done;
	int		 failed;	/* cut, or too long */
	char		 error[256];
	int		 shards;	/* X-Anomaly-Shards of the last answer */
};

/* The header by which the HAProxy of a cluster of anomalyd shards
 * (share/anomaly/cluster/) names their number, as lws names it. */
#define SHARDS_HEADER	"x-anomaly-shards:"

/* Adds the len bytes at in to the body of c's answer. */
static int
body_add(struct apiclient *c, const void *in, size_t len)
{
	struct apianswer *a = c->ans;
	size_t cap;
	char *b;

	if (a->len + len + 1 > a->cap) {
		if (a->len + len + 1 > APICLIENT_BODY_MAX) {
			snprintf(c->error, sizeof(c->error), "answer longer "
			    "than %u bytes", APICLIENT_BODY_MAX);
			return -1;
		}
		cap = a->cap ? a->cap : 65536;
		while (cap < a->len + len + 1)
			cap *= 2;
		if ((b = realloc(a->body, cap)) == NULL) {
			snprintf(c->error, sizeof(c->error), "out of memory");
			return -1;
		}
		a->body = b;
		a->cap = cap;
	}
	memcpy(a->body + a->len, in, len);
	a->len += len;
	a->body[a->len] = '\0';
	return 0;
}

/* Gives a an empty body when it has none.  Returns 0 or -1. */
static int
body_add_empty(struct apianswer *a)
{
	if ((a->body = malloc(1)) == NULL)
		return -1;
	a->body[0] = '\0';
	a->cap = 1;
	return 0;
}

/* The libwebsockets callbacks of a request. */
static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct apiclient *c = lws_context_user(lws_get_context(wsi));
	char buf[LWS_PRE + 16384], *px;
	unsigned char **p, *end;
	int n;

	(void)user;
	/* the close of an earlier request's connection is not this one's */
	if (c == NULL || c->ans == NULL || wsi != c->wsi)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		snprintf(c->error, sizeof(c->error), "%s", in != NULL &&
		    len > 0 ? (const char *)in : "cannot connect");
		c->failed = 1;
		c->done = 1;
		return 0;
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		if (c->auth == NULL)
			return 0;
		p = (unsigned char **)in;
		end = *p + len;
		if (lws_add_http_header_by_token(wsi,
		    WSI_TOKEN_HTTP_AUTHORIZATION, (unsigned char *)c->auth,
		    (int)strlen(c->auth), p, end))
			return -1;
		return 0;
	case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
		c->ans->status = (int)lws_http_client_http_response(wsi);
		/* the cluster's HAProxy names its shards (anomaly(7)) */
		c->shards = 0;
		if ((n = lws_hdr_custom_copy(wsi, buf, 16, SHARDS_HEADER,
		    (int)sizeof(SHARDS_HEADER) - 1)) > 0 && n < 3 &&
		    strspn(buf, "0123456789") == (size_t)n)
			c->shards = atoi(buf);
		return 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
		if (body_add(c, in, len) == -1) {
			c->failed = 1;
			c->done = 1;
			return -1;
		}
		return 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
		px = buf + LWS_PRE;
		n = (int)sizeof(buf) - LWS_PRE;
		if (lws_http_client_read(wsi, &px, &n) < 0)
			return -1;
		return 0;
	case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
		c->done = 1;
		return 0;
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
		/* the end of a streamed answer (Connection: close); one cut
		 * short is not whole JSON, which its reader sees */
		if (!c->done && c->ans->status == 0) {
			snprintf(c->error, sizeof(c->error), "connection "
			    "closed without an answer");
			c->failed = 1;
		}
		c->done = 1;
		return 0;
	default:
		return 0;
	}
}

static const struct lws_protocols protocols[] = {
	{ .name = "anomaly-api", .callback = callback,
	  .rx_buffer_size = 65536 },
	{ .name = NULL }
};

struct apiclient *
apiclient_new(const char *url, const char *token, const char *cacert,
    int insecure, char *err, size_t errlen)
{
	struct lws_context_creation_info info;
	struct apiclient *c;
	const char *prot, *ads, *path;
	char copy[512];
	int port;
	size_t n;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		errmsg_set(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(c->url, sizeof(c->url), "%s", url);
	snprintf(copy, sizeof(copy), "%s%s", strstr(url, "://") == NULL ?
	    "http://" : "", url);
	if (strlen(url) > 400 || lws_parse_uri(copy, &prot, &ads, &port,
	    &path) != 0 || (strcmp(prot, "http") != 0 &&
	    strcmp(prot, "https") != 0) || *ads == '\0') {
		errmsg_set(err, errlen, "%.400s: not an http:// or https:// URL",
		    url);
		free(c);
		return NULL;
	}
	c->tls = strcmp(prot, "https") == 0;
	if (c->tls && strstr(copy, "://") != NULL && port == 80 &&
	    strstr(url, ":80") == NULL)
		port = 443;
	snprintf(c->address, sizeof(c->address), "%s", ads);
	c->port = port;
	while (*path == '/')
		path++;
	snprintf(c->base, sizeof(c->base), "%s%s", *path ? "/" : "", path);
	n = strlen(c->base);
	while (n > 0 && c->base[n - 1] == '/')
		c->base[--n] = '\0';
	c->insecure = insecure;
	if (token != NULL) {
		n = strlen(token) + 8;
		if ((c->auth = malloc(n)) == NULL) {
			errmsg_set(err, errlen, "out of memory");
			free(c);
			return NULL;
		}
		snprintf(c->auth, n, "Bearer %s", token);
	}
	lws_set_log_level(0, NULL);	/* lib/ prints nothing */
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.user = c;
	info.gid = -1;
	info.uid = -1;
	if (c->tls) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.client_ssl_ca_filepath = cacert;
	}
	if ((c->ctx = lws_create_context(&info)) == NULL) {
		errmsg_set(err, errlen, "%s: cannot create the HTTP client",
		    url);
		free(c->auth);
		free(c);
		return NULL;
	}
	return c;
}

const char *
apiclient_url(const struct apiclient *c)
{
	return c->url;
}

int
apiclient_get(struct apiclient *c, const char *path, struct apianswer *a,
    char *err, size_t errlen)
{
	struct lws_client_connect_info i;
	char full[4096];

	if ((size_t)snprintf(full, sizeof(full), "%s%s", c->base, path) >=
	    sizeof(full)) {
		errmsg_set(err, errlen, "URL too long");
		return -1;
	}
	a->status = 0;
	a->len = 0;
	if (a->body != NULL)
		a->body[0] = '\0';
	c->ans = a;
	c->done = c->failed = 0;
	c->error[0] = '\0';
	memset(&i, 0, sizeof(i));
	i.context = c->ctx;
	i.address = c->address;
	i.port = c->port;
	i.path = full;
	i.host = c->address;
	i.origin = c->address;
	i.method = "GET";
	i.alpn = "http/1.1";
	i.protocol = protocols[0].name;
	i.local_protocol_name = protocols[0].name;
	i.pwsi = &c->wsi;
	if (c->tls) {
		i.ssl_connection = LCCSCF_USE_SSL;
		if (c->insecure)
			i.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED |
			    LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
			    LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
	}
	if (lws_client_connect_via_info(&i) == NULL && !c->done) {
		snprintf(c->error, sizeof(c->error), "cannot connect");
		c->failed = 1;
	} else
		while (!c->done)
			if (lws_service(c->ctx, 0) < 0)
				break;
	c->ans = NULL;
	c->wsi = NULL;
	if (c->failed || a->status == 0) {
		errmsg_set(err, errlen, "%s%s", c->error[0] ? c->error :
		    "no answer", c->tls && strstr(c->error, "SSL") != NULL ?
		    " (TLS handshake failed: the server's certificate is not "
		    "trusted, names another host or has expired (see --cacert"
		    ", -k), or the server does not speak TLS)" : "");
		return -1;
	}
	if (a->body == NULL && body_add_empty(a) == -1) {
		errmsg_set(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int
apiclient_shards(struct apiclient *c, char *err, size_t errlen)
{
	if (apiclient_get(c, "/api/clients?limit=1", &c->page, err,
	    errlen) == -1)
		return -1;
	if (c->page.status != 200) {
		errmsg_set(err, errlen, "HTTP %d", c->page.status);
		return -1;
	}
	return c->shards;
}

void
apianswer_free(struct apianswer *a)
{
	free(a->body);
	memset(a, 0, sizeof(*a));
}

void
apiclient_free(struct apiclient *c)
{
	if (c == NULL)
		return;
	lws_context_destroy(c->ctx);
	apianswer_free(&c->page);
	free(c->auth);
	free(c);
}

int
apiclient_urlenc(char *buf, size_t size, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(buf);

	for (; *s != '\0'; s++) {
		if (n + 4 > size)
			return -1;
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || strchr("-._~", *s) != NULL)
			buf[n++] = *s;
		else {
			buf[n++] = '%';
			buf[n++] = hex[(unsigned char)*s >> 4];
			buf[n++] = hex[(unsigned char)*s & 15];
		}
	}
	buf[n] = '\0';
	return 0;
}

/* The rows of an answer being read: an array of clients or of points. */
struct rows {
	int		 points;	/* rows of points, else of clients */
	struct store_client cl;
	struct apispark	 sp;
	struct store_point pt;
	char		 key[JSON_KEY_MAX + 1];
	char		 str[STORE_SETTINGS_MAX];	/* a string value */
	size_t		 slen;
	int		 nest;		/* containers open in "settings" */
	struct jsonbuf	 set;		/* "settings" as compact JSON */
	int		 spark_i;	/* place in a spark entry */
	int		 bad;		/* a value of the wrong form */
	int		 (*client_fn)(void *, const struct store_client *,
			    const struct apispark *);
	int		 (*point_fn)(void *, const struct store_point *);
	int		 (*alert_fn)(void *, const char *,
			    const struct store_point *);
	void		*arg;
	int		 want_spark;
	int		 in_point;	/* in an alert's "point" */
	int64_t		 count;
};

/* Whether the key read is k. */
static int
key_is(const struct rows *r, const char *k)
{
	return strcmp(r->key, k) == 0;
}

/* The integer of a number event, 0 for null. */
static int64_t
ev_int(struct rows *r, const struct json_event *ev)
{
	int64_t v = 0;

	if (ev->type == JSON_NUMBER && (!ev->integer ||
	    json_number_int64(ev->text, ev->len, &v) == -1))
		r->bad = 1;
	return v;
}

/* The double of a number event, NAN for null. */
static double
ev_double(const struct json_event *ev)
{
	return ev->type == JSON_NUMBER ? json_number_double(ev->text,
	    ev->len) : NAN;
}

/* A value of an element of the array: into the client or the point. */
static void
row_value(struct rows *r, const struct json_event *ev)
{
	struct store_client *c = &r->cl;
	struct store_point *p = &r->pt;

	if (r->points) {
		if (key_is(r, "n"))
			p->n = ev_int(r, ev);
		else if (key_is(r, "seq"))
			p->seq = ev_int(r, ev);
		else if (key_is(r, "timestamp") && ev->type == JSON_NUMBER) {
			if (ev->integer) {
				p->ts.type = STORE_TS_INTEGER;
				p->ts.i = ev_int(r, ev);
			} else {
				p->ts.type = STORE_TS_REAL;
				p->ts.r = ev_double(ev);
			}
		} else if (key_is(r, "t_ms")) {
			p->has_t_ms = ev->type == JSON_NUMBER;
			p->t_ms = ev_int(r, ev);
		} else if (key_is(r, "value"))
			p->value = ev_double(ev);
		else if (key_is(r, "anomaly"))
			p->anomaly = (int)ev_int(r, ev);
		else if (key_is(r, "alert"))
			p->alert = (int)ev_int(r, ev);
		else if (key_is(r, "score"))
			p->score = ev_double(ev);
		else if (key_is(r, "votes"))
			p->votes = (uint32_t)ev_int(r, ev);
		else if (key_is(r, "received_ms"))
			p->received_ms = ev_int(r, ev);
		return;
	}
	if (key_is(r, "window"))
		c->window = ev_int(r, ev);
	else if (key_is(r, "active"))
		c->active = (int)ev_int(r, ev);
	else if (key_is(r, "first_seen_ms"))
		c->first_seen_ms = ev_int(r, ev);
	else if (key_is(r, "last_seen_ms"))
		c->last_seen_ms = ev_int(r, ev);
	else if (key_is(r, "points"))
		c->points = ev_int(r, ev);
	else if (key_is(r, "anomalies"))
		c->anomalies = ev_int(r, ev);
	else if (key_is(r, "alerts"))
		c->alerts = ev_int(r, ev);
	else if (key_is(r, "last_alert_n"))
		c->last_alert_n = ev_int(r, ev);
	else if (key_is(r, "last_value"))
		c->last_value = ev_double(ev);
	else if (key_is(r, "last_seq"))
		c->last_seq = ev_int(r, ev);
	else if (key_is(r, "oldest_n"))
		c->oldest_n = ev_int(r, ev);
}

/* A string value of an element, whole in r->str. */
static void
row_string(struct rows *r)
{
	size_t n = r->slen;

	if (r->points) {
		if (key_is(r, "client_id") && n <= STORE_ID_MAX)
			memcpy(r->cl.client_id, r->str, n + 1);
		else if (key_is(r, "timestamp") && n <= STORE_TS_MAX) {
			r->pt.ts.type = STORE_TS_TEXT;
			memcpy(r->pt.ts.text, r->str, n + 1);
			r->pt.ts.len = n;
		}
		return;
	}
	if (key_is(r, "client_id") && n <= STORE_ID_MAX)
		memcpy(r->cl.client_id, r->str, n + 1);
	else if (key_is(r, "settings") && n < sizeof(r->cl.settings))
		memcpy(r->cl.settings, r->str, n + 1);
	else if (key_is(r, "peer") && n < sizeof(r->cl.peer))
		memcpy(r->cl.peer, r->str, n + 1);
}

/* Gathers the pieces of a string value in r->str (what does not fit is
 * cut).  Returns 1 at its end, with r->str NUL-terminated and r->slen its
 * length after joining surrogate pairs, else 0. */
static int
string_piece(struct rows *r, const struct json_event *ev)
{
	if (ev->type == JSON_STRING_START) {
		r->slen = 0;
		return 0;
	}
	if (r->slen + ev->len < sizeof(r->str)) {
		memcpy(r->str + r->slen, ev->text, ev->len);
		r->slen += ev->len;
	}
	if (ev->type != JSON_STRING_END)
		return 0;
	r->slen = json_join_surrogates((unsigned char *)r->str, r->slen);
	r->str[r->slen] = '\0';
	return 1;
}

/* An event inside "settings": its compact JSON text again. */
static void
settings_event(struct rows *r, const struct json_event *ev)
{
	struct jsonbuf *b = &r->set;
	char last = b->len > 0 ? jsonbuf_text(b)[b->len - 1] : '{';
	int value = ev->type != JSON_OBJECT_END &&
	    ev->type != JSON_ARRAY_END && ev->type != JSON_STRING_CHUNK &&
	    ev->type != JSON_STRING_END;

	if (value && ev->type != JSON_KEY && last != '{' && last != '[' &&
	    last != ':')
		jsonbuf_put_raw(b, ",", 1);
	switch (ev->type) {
	case JSON_OBJECT_START:
		jsonbuf_put_raw(b, "{", 1);
		r->nest++;
		break;
	case JSON_ARRAY_START:
		jsonbuf_put_raw(b, "[", 1);
		r->nest++;
		break;
	case JSON_OBJECT_END:
		jsonbuf_put_raw(b, "}", 1);
		r->nest--;
		break;
	case JSON_ARRAY_END:
		jsonbuf_put_raw(b, "]", 1);
		r->nest--;
		break;
	case JSON_KEY:
		if (last != '{')
			jsonbuf_put_raw(b, ",", 1);
		jsonbuf_put_string(b, ev->text, ev->len);
		jsonbuf_put_raw(b, ":", 1);
		break;
	case JSON_NUMBER:
		jsonbuf_put_raw(b, ev->text, ev->len);
		break;
	case JSON_STRING_START:
	case JSON_STRING_CHUNK:
	case JSON_STRING_END:
		if (string_piece(r, ev))
			jsonbuf_put_string(b, r->str, r->slen);
		break;
	case JSON_TRUE:
		jsonbuf_put_raw(b, "true", 4);
		break;
	case JSON_FALSE:
		jsonbuf_put_raw(b, "false", 5);
		break;
	case JSON_NULL:
		jsonbuf_put_raw(b, "null", 4);
		break;
	}
	if (r->nest == 0) {
		if (!b->oom && b->len < sizeof(r->cl.settings)) {
			memcpy(r->cl.settings, jsonbuf_text(b), b->len);
			r->cl.settings[b->len] = '\0';
		}
		jsonbuf_clear(b);
	}
}

static void rows_value(struct rows *r, const struct json_event *ev);

/* json_read()'s callback for an array of clients, points or alerts. */
static int
rows_event(void *arg, const struct json_event *ev)
{
	struct rows *r = arg;

	if (r->nest > 0) {
		settings_event(r, ev);
		return 0;
	}
	if (ev->depth == 1 && ev->type == JSON_OBJECT_START) {
		memset(&r->cl, 0, sizeof(r->cl));
		r->cl.oldest_n = -1;
		memset(&r->pt, 0, sizeof(r->pt));
		r->cl.last_value = NAN;
		r->sp.n = 0;
		r->key[0] = '\0';
		return 0;
	}
	if (r->alert_fn != NULL) {
		/* {"client_id":ID,"point":{...}} */
		if (ev->depth == 2 && ev->type == JSON_OBJECT_START) {
			r->in_point = 1;
			return 0;
		}
		if (ev->depth == 3 && ev->type == JSON_OBJECT_END) {
			r->in_point = 0;
			return 0;
		}
		if (ev->depth == 2 && ev->type == JSON_OBJECT_END) {
			r->count++;
			return r->alert_fn(r->arg, r->cl.client_id, &r->pt);
		}
		if (ev->depth == 3 && ev->type == JSON_KEY) {
			snprintf(r->key, sizeof(r->key), "%.*s", (int)ev->len,
			    ev->text);
			return 0;
		}
		if (ev->depth == 3 && r->in_point) {
			rows_value(r, ev);
			return 0;
		}
	}
	if (ev->depth == 2 && ev->type == JSON_OBJECT_END) {
		r->count++;
		if (r->points)
			return r->point_fn(r->arg, &r->pt);
		return r->client_fn(r->arg, &r->cl, r->want_spark ? &r->sp :
		    NULL);
	}
	if (ev->depth == 2 && ev->type == JSON_KEY) {
		snprintf(r->key, sizeof(r->key), "%.*s", (int)ev->len,
		    ev->text);
		return 0;
	}
	if (ev->depth == 2 && ev->type == JSON_OBJECT_START &&
	    key_is(r, "settings")) {
		settings_event(r, ev);
		return 0;
	}
	if (!r->points && key_is(r, "spark")) {
		/* [[value,anomaly,alert],...] */
		if (ev->depth == 3 && ev->type == JSON_ARRAY_START)
			r->spark_i = 0;
		else if (ev->depth == 4 && ev->type == JSON_ARRAY_END) {
			if (r->sp.n < APICLIENT_SPARK_MAX)
				r->sp.n++;
		} else if (ev->depth == 4 && r->sp.n < APICLIENT_SPARK_MAX) {
			if (r->spark_i == 0)
				r->sp.value[r->sp.n] = ev_double(ev);
			else if (r->spark_i == 1)
				r->sp.anomaly[r->sp.n] = ev_int(r, ev) != 0;
			else if (r->spark_i == 2)
				r->sp.alert[r->sp.n] = ev_int(r, ev) != 0;
			r->spark_i++;
		}
		return 0;
	}
	if (ev->depth != 2)
		return 0;
	rows_value(r, ev);
	return 0;
}

/* A value (or a piece of a string) of the object being read. */
static void
rows_value(struct rows *r, const struct json_event *ev)
{
	switch (ev->type) {
	case JSON_NUMBER:
	case JSON_NULL:
		row_value(r, ev);
		break;
	case JSON_STRING_START:
	case JSON_STRING_CHUNK:
	case JSON_STRING_END:
		if (string_piece(r, ev))
			row_string(r);
		break;
	default:
		break;
	}
}

/* A message for an answer that is not 200: the status and the server's
 * reason (its first line). */
static void
status_error(const struct apianswer *a, char *err, size_t errlen)
{
	const char *e = a->body != NULL ? strstr(a->body, "\"error\":\"") :
	    NULL;

	if (e != NULL)
		errmsg_set(err, errlen, "HTTP %d: %.*s", a->status,
		    (int)strcspn(e + 9, "\"\r\n"), e + 9);
	else
		errmsg_set(err, errlen, "HTTP %d%s", a->status, a->status ==
		    401 ? ": not authorised (wrong or missing "
		    "--read-token-file)" : "");
}

/* GETs path into c->page.  Returns 1 when it answered 200, 0 when it
 * answered 404 and absent is set, else -1 with a message in err. */
static int
get_page(struct apiclient *c, const char *path, int absent, char *err,
    size_t errlen)
{
	if (apiclient_get(c, path, &c->page, err, errlen) == -1)
		return -1;
	if (absent && c->page.status == 404)
		return 0;
	if (c->page.status != 200) {
		status_error(&c->page, err, errlen);
		return -1;
	}
	return 1;
}

/* GETs path and reads the array of its answer into r.  Returns 0, or -1
 * with a message in err. */
static int
get_rows(struct apiclient *c, const char *path, struct rows *r, char *err,
    size_t errlen)
{
	enum json_status st;

	if (get_page(c, path, 0, err, errlen) == -1)
		return -1;
	jsonbuf_init(&r->set, 0);
	st = json_read(c->page.body, c->page.len, rows_event, r);
	jsonbuf_free(&r->set);
	if (st == JSON_STOPPED) {
		errmsg_set(err, errlen, "stopped");
		return -1;
	}
	if (st != JSON_OK || r->bad) {
		errmsg_set(err, errlen, "the answer to %.200s is cut short or "
		    "not the JSON expected", path);
		return -1;
	}
	return 0;
}

int
apiclient_clients(struct apiclient *c, const char *after, int limit,
    int spark, int (*fn)(void *arg, const struct store_client *cl,
    const struct apispark *sp), void *arg, int *count, char *err,
    size_t errlen)
{
	struct rows *r;
	char path[512];
	int rc;

	snprintf(path, sizeof(path), "/api/clients?limit=%d", limit);
	if (spark > 0)
		snprintf(path + strlen(path), sizeof(path) - strlen(path),
		    "&spark=%d", spark);
	if (after != NULL) {
		strcat(path, "&after=");
		apiclient_urlenc(path, sizeof(path), after);
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		errmsg_set(err, errlen, "out of memory");
		return -1;
	}
	r->client_fn = fn;
	r->arg = arg;
	r->want_spark = spark > 0;
	rc = get_rows(c, path, r, err, errlen);
	*count = (int)r->count;
	free(r);
	return rc;
}

/* Keeps the one client of an answer. */
static int
keep_client(void *arg, const struct store_client *cl,
    const struct apispark *sp)
{
	(void)sp;
	memcpy(arg, cl, sizeof(*cl));
	return 0;
}

int
apiclient_client(struct apiclient *c, const char *id,
    struct store_client *cl, char *err, size_t errlen)
{
	struct rows *r;
	char path[512] = "/api/clients/";
	size_t n;
	int rc;

	apiclient_urlenc(path, sizeof(path), id);
	if ((rc = get_page(c, path, 1, err, errlen)) != 1)
		return rc;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		errmsg_set(err, errlen, "out of memory");
		return -1;
	}
	r->client_fn = keep_client;
	r->arg = cl;
	/* the object alone: read it as the one element of an array */
	n = c->page.len;
	if (n + 3 > c->page.cap) {
		char *b = realloc(c->page.body, n + 3);

		if (b == NULL) {
			free(r);
			errmsg_set(err, errlen, "out of memory");
			return -1;
		}
		c->page.body = b;
		c->page.cap = n + 3;
	}
	memmove(c->page.body + 1, c->page.body, n);
	c->page.body[0] = '[';
	c->page.body[n + 1] = ']';
	c->page.body[n + 2] = '\0';
	jsonbuf_init(&r->set, 0);
	rc = json_read(c->page.body, n + 2, rows_event, r) == JSON_OK &&
	    !r->bad && r->count == 1 ? 1 : -1;
	jsonbuf_free(&r->set);
	free(r);
	if (rc == -1)
		errmsg_set(err, errlen, "the answer to %.200s is not the JSON "
		    "expected", path);
	return rc;
}

int
apiclient_points(struct apiclient *c, const char *id, int64_t after,
    int64_t limit, int flags, int (*fn)(void *arg,
    const struct store_point *p), void *arg, int64_t *count, char *err,
    size_t errlen)
{
	char path[512] = "/api/clients/";

	apiclient_urlenc(path, sizeof(path), id);
	snprintf(path + strlen(path), sizeof(path) - strlen(path),
	    "/points?after=%" PRId64 "&limit=%" PRId64 "%s%s", after, limit,
	    flags & STORE_FLAG_ANOMALY ? "&anomalies=1" : "",
	    flags & STORE_FLAG_ALERT ? "&alerts=1" : "");
	return apiclient_read_points(c, path, fn, arg, count, err, errlen);
}

int
apiclient_read_points(struct apiclient *c, const char *path,
    int (*fn)(void *arg, const struct store_point *p), void *arg,
    int64_t *count, char *err, size_t errlen)
{
	struct rows *r;
	int rc;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		errmsg_set(err, errlen, "out of memory");
		return -1;
	}
	r->points = 1;
	r->point_fn = fn;
	r->arg = arg;
	rc = get_rows(c, path, r, err, errlen);
	*count = r->count;
	free(r);
	return rc;
}

int
apiclient_alerts(struct apiclient *c, int limit, int (*fn)(void *arg,
    const char *id, const struct store_point *p), void *arg, char *err,
    size_t errlen)
{
	struct rows *r;
	char path[64];
	int rc;

	snprintf(path, sizeof(path), "/api/alerts?limit=%d", limit);
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		errmsg_set(err, errlen, "out of memory");
		return -1;
	}
	r->points = 1;
	r->alert_fn = fn;
	r->arg = arg;
	rc = get_rows(c, path, r, err, errlen);
	free(r);
	return rc;
}

/* The answer of /points?events=K being read: which member the events are
 * in, handed to rows_event() as if each array were alone. */
struct detail {
	struct rows	*r;
	int		 section;	/* 0 none, 1 client, 2 events, 3 points */
	int		 (*client_fn)(void *, const struct store_client *);
	int		 (*event_fn)(void *, const struct store_point *);
	int		 (*point_fn)(void *, const struct store_point *);
	void		*arg;
	int		 clients;	/* client objects read */
};

/* rows_event()'s client callback for a detail: the client to its fn. */
static int
detail_client(void *arg, const struct store_client *cl,
    const struct apispark *sp)
{
	struct detail *d = arg;

	(void)sp;
	d->clients++;
	return d->client_fn(d->arg, cl);
}

/* rows_event()'s point callback for a detail: an event or a point to its
 * fn. */
static int
detail_point(void *arg, const struct store_point *p)
{
	struct detail *d = arg;

	return d->section == 2 ? d->event_fn(d->arg, p) : d->point_fn(d->arg,
	    p);
}

/* json_read()'s callback for {"client":{..},"events":[..],"points":[..]}:
 * the client as the one element of an array of clients, each array as an
 * array of points (one level up). */
static int
detail_event(void *arg, const struct json_event *ev)
{
	struct detail *d = arg;
	struct json_event e;

	if (d->r->nest == 0 && ev->depth <= 1) {
		if (ev->depth == 1 && ev->type == JSON_KEY) {
			d->section = ev->len == 6 && memcmp(ev->text, "client",
			    6) == 0 ? 1 : ev->len == 6 && memcmp(ev->text,
			    "events", 6) == 0 ? 2 : ev->len == 6 &&
			    memcmp(ev->text, "points", 6) == 0 ? 3 : 0;
			d->r->points = d->section >= 2;
		}
		if (!(d->section == 1 && ev->depth == 1 &&
		    ev->type == JSON_OBJECT_START))
			return 0;
	}
	if (d->section == 1)
		return rows_event(d->r, ev);
	if (d->section < 2 || ev->depth < 2)
		return 0;
	e = *ev;
	e.depth--;
	return rows_event(d->r, &e);
}

int
apiclient_detail(struct apiclient *c, const char *id, int64_t before,
    int64_t limit, int events,
    int (*client_fn)(void *arg, const struct store_client *cl),
    int (*event_fn)(void *arg, const struct store_point *p),
    int (*point_fn)(void *arg, const struct store_point *p), void *arg,
    char *err, size_t errlen)
{
	struct detail d = { NULL, 0, client_fn, event_fn, point_fn, arg, 0 };
	char path[512] = "/api/clients/";
	enum json_status st;
	size_t n;
	int rc;

	apiclient_urlenc(path, sizeof(path), id);
	n = strlen(path);
	snprintf(path + n, sizeof(path) - n, "/points?order=desc&limit=%"
	    PRId64 "&events=%d", limit, events);
	if (before > 0) {
		n = strlen(path);
		snprintf(path + n, sizeof(path) - n, "&before=%" PRId64,
		    before);
	}
	if ((rc = get_page(c, path, 1, err, errlen)) != 1)
		return rc;
	if ((d.r = calloc(1, sizeof(*d.r))) == NULL) {
		errmsg_set(err, errlen, "out of memory");
		return -1;
	}
	d.r->client_fn = detail_client;
	d.r->point_fn = detail_point;
	d.r->arg = &d;
	jsonbuf_init(&d.r->set, 0);
	st = json_read(c->page.body, c->page.len, detail_event, &d);
	jsonbuf_free(&d.r->set);
	if (st == JSON_STOPPED) {
		free(d.r);
		errmsg_set(err, errlen, "stopped");
		return -1;
	}
	if (st == JSON_OK && d.clients == 0 && c->page.body[strspn(
	    c->page.body, " \t\r\n")] == '[') {
		/* an anomalyd before events=K: the points' array alone */
		free(d.r);
		return 2;
	}
	if (st != JSON_OK || d.r->bad || d.clients != 1) {
		free(d.r);
		errmsg_set(err, errlen, "the answer to %.200s is cut short or "
		    "not the JSON expected (an anomalyd older than this "
		    "client?)", path);
		return -1;
	}
	free(d.r);
	return 1;
}
