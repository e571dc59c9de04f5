/*
 * http.c: the HTTP side of anomalyd (see http.h): routing, the headers of
 * every response, /healthz and /static/ files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "clock.h"
#include "auth.h"
#include "clients.h"
#include "commit.h"
#include "guard.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "pages.h"
#include "put.h"
#include "server.h"
#include "static.h"

#define CHUNK		65536	/* bytes per HTTP write */
#define STALL_S		30	/* seconds a response may wait for its
				 * reader */
#define WWW_DEFAULT	"share/anomaly/www"
#define STATIC_MAX	(16 * 1024 * 1024)	/* bytes of a /static/ file */
#define LOGIN_MAX	1024	/* bytes of the login form's body */
/* While WebSocket messages come in (one within BUSY_US), the pieces of
 * streamed responses together take at most 1 / PACE of the loop's time:
 * after a piece that took d us the next one, of any stream, waits
 * (PACE - 1) * d us, PACE_MAX_US at most (a piece whose thread was
 * preempted does not stall the reads).  Without the pacing an export
 * holds the loop as long as its reader keeps up, and the latency of
 * ingest suffers (with PACE 8 the half-load p99 of make bench still rose
 * 2.4x while an export ran; with 32 it stayed within noise). */
#define PACE		32
#define PACE_MAX_US	20000
#define BUSY_US		100000

/* A /static/ file being sent, read a piece at a time. */
struct file_out {
	int		 open;		/* fd is open */
	int		 fd;
	size_t		 left;		/* bytes still to read */
};

/* An HTTP connection's response being written: the body whole, or with
 * a stream or a file, its pieces one after the other. */
struct http_session {
	struct jsonbuf body;	/* LWS_PRE bytes of headroom */
	size_t		 off;
	int		 close;		/* close the connection after it */
	struct api_stream stream;	/* a body written in pieces */
	struct file_out	 file;		/* or a file's */
	lws_sorted_usec_list_t pace;	/* its next piece waits (PACE) */
	/* a DELETE whose answer waits for the writer (srv->http_waits) */
	LIST_ENTRY(http_session) wait;
	int		 waiting;
	uint64_t	 ticket;
	int		 status;	/* its status once done, else 0 */
	const char	*why;
	struct lws	*wsi;
	/* the login form's POST, its body read (LWS_CALLBACK_HTTP_BODY) */
	int		 posting;
	int		 postbig;	/* over LOGIN_MAX bytes */
	size_t		 plen;
	char		 post[LOGIN_MAX];
	const char	*location;	/* a Location header, or NULL */
	char		 cookie[160];	/* a Set-Cookie header, or "" */
};

/*
 * The headers of every response, lws's own error pages included (main.c
 * makes them the vhost's): scripts and styles only from files of this
 * server (no inline code, no eval), nothing embedded, framed or posted
 * anywhere but to this server (the login form); nosniff; no referrer; and cache-control, no-store unless
 * respond() sets another value for its response.
 */
#define CSP	"default-src 'self'; script-src 'self'; style-src 'self'; " \
		"img-src 'self'; object-src 'none'; base-uri 'none'; " \
		"form-action 'self'; frame-ancestors 'none'"
static struct lws_protocol_vhost_options hdr_cache = {
	NULL, NULL, "cache-control:", "no-store"
};
static struct lws_protocol_vhost_options hdr_referrer = {
	&hdr_cache, NULL, "referrer-policy:", "no-referrer"
};
static struct lws_protocol_vhost_options hdr_nosniff = {
	&hdr_referrer, NULL, "x-content-type-options:", "nosniff"
};
static struct lws_protocol_vhost_options hdr_csp = {
	&hdr_nosniff, NULL, "content-security-policy:", CSP
};
const struct lws_protocol_vhost_options *const http_headers = &hdr_csp;

/* The reason of a 401 for want of the read token: the same for every
 * path (error_body() knows it by its address). */
static const char READ_WHY[] = "read token missing or wrong: send "
    "Authorization: Bearer TOKEN, or log in at /login";

/* The value of the hex digit c, or -1. */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ------------------------------------------------------------- static */

/* Opens the file name (as after /static/) of the www directory into f,
 * to be read a piece at a time as it is sent. */
static int
static_file(struct server *srv, const char *name, struct file_out *f,
    const char **ctype)
{
	const char *www = srv->cfg.www != NULL ? srv->cfg.www : WWW_DEFAULT;
	off_t size;
	int fd;

	if ((fd = static_open(www, name, &size)) == -1)
		return 404;
	if (size > STATIC_MAX) {
		close(fd);
		logmsg(0, "http: %s/%s: over %d bytes", www, name,
		    STATIC_MAX);
		return 500;
	}
	*ctype = static_type(name);
	if (size == 0) {
		close(fd);
		return 200;
	}
	f->open = 1;
	f->fd = fd;
	f->left = (size_t)size;
	return 200;
}

/* Closes f's file, if open. */
static void
file_close(struct file_out *f)
{
	if (f->open)
		close(f->fd);
	f->open = 0;
	f->left = 0;
}

/* The next piece of f's file into b.  Returns 0, or -1 when it cannot be
 * read or is shorter than it was (its length is sent already). */
static int
file_piece(struct file_out *f, struct jsonbuf *b)
{
	char buf[16384];
	ssize_t n;

	do
		n = read(f->fd, buf, f->left < sizeof(buf) ? f->left :
		    sizeof(buf));
	while (n == -1 && errno == EINTR);
	if (n <= 0) {
		file_close(f);
		return -1;
	}
	put_raw(b, buf, (size_t)n);
	f->left -= (size_t)n;
	if (f->left == 0)
		file_close(f);
	return 0;
}

/* ------------------------------------------------------------ routing */

enum method { M_GET, M_HEAD, M_DELETE, M_POST, M_OTHER };

static enum method
method_of(struct lws *wsi)
{
	if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0)
		return M_GET;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0)
		return M_HEAD;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_DELETE_URI) > 0)
		return M_DELETE;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0)
		return M_POST;
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
    struct jsonbuf *b, struct api_stream *stream, struct file_out *file,
    struct jsonbuf *link, const char **ctype, const char **why,
    char *subject, size_t sublen, uint64_t *ticket)
{
	char id[PROTO_ID_MAX + 1];
	int rc;

	*ctype = "application/json";
	if (m == M_DELETE) {
		/* 0: answered once the writer has deleted it */
		*why = "no such client";
		if ((rc = id_in(path, "/api/clients/", "", id)) == 1)
			return api_delete(srv, wsi, id, ticket, why);
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
			put_fmt(b, "error: %s: points are not stored\n",
			    srv->gone_why);
			return 503;
		}
		put_str(b, "ok\n");
		return 200;
	}
	if (strncmp(path, "/static/", 8) == 0)
		return static_file(srv, path + 8, file, ctype);
	/* the rest reads srv->rd: what is committed, never waiting for the
	 * writer */
	if (strcmp(path, "/metrics") == 0) {
		*ctype = "text/plain; version=0.0.4; charset=utf-8";
		return metrics_text(srv, b, why);
	}
	if (strcmp(path, "/api/clients") == 0)
		return api_clients(srv, wsi, b, link, why);
	if (strcmp(path, "/api/alerts") == 0)
		return api_alerts(srv, wsi, b, why);
	if ((rc = id_in(path, "/api/clients/", "/points", id)) != 0) {
		*why = "no such client";
		return rc == 1 ? api_points(srv, wsi, id, b, stream, why) :
		    404;
	}
	if ((rc = id_in(path, "/api/clients/", "/events", id)) != 0) {
		*why = "no such client";
		return rc == 1 ? api_events(srv, wsi, id, stream, why) : 404;
	}
	if ((rc = id_in(path, "/api/clients/", "", id)) != 0) {
		*why = "no such client";
		return rc == 1 ? api_client(srv, id, b, why) : 404;
	}
	*ctype = "text/html; charset=utf-8";
	if (strcmp(path, "/") == 0)
		return page_index(srv, wsi, b, why);
	if ((rc = id_in(path, "/client/", "", id)) != 0 ||
	    (rc = id_in(path, "/clients/", "", id)) != 0) {
		*why = "no such client";
		snprintf(subject, sublen, "%s", strchr(path + 1, '/') + 1);
		return rc == 1 ? page_client(srv, wsi, id, b, stream, why) :
		    404;
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
	case 403: return "Forbidden";
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
	if (status == 401 && why == READ_WHY &&
	    strncmp(path, "/api/", 5) != 0) {
		/* the same page whatever the path: nothing of a client */
		*ctype = "text/html; charset=utf-8";
		page_login(b, 0);
		return;
	}
	if (strncmp(path, "/api/", 5) == 0) {
		*ctype = "application/json";
		api_error(b, why);
		return;
	}
	*ctype = "text/html; charset=utf-8";
	page_error(b, status, status_text(status), why, subject);
}

/* The end of a response on a connection kept alive: -1 to close it. */
static int
completed(struct lws *wsi)
{
	if (lws_http_transaction_completed(wsi))
		return -1;
	guard_idle(wsi);
	return 0;
}

/* Writes the headers of hs's response (status, ctype, the Link header
 * link, which it frees, and the body or stream) to path, and asks for
 * writeable to write the body. */
static int
head(struct lws *wsi, struct http_session *hs, const char *path,
    enum method m, int status, const char *ctype, struct jsonbuf *link)
{
	unsigned char buf[LWS_PRE + 2048], *start = buf + LWS_PRE, *p = start,
	    *end = buf + sizeof(buf) - 1;
	const char *allow = deletable(path) ? "GET, HEAD, DELETE" :
	    "GET, HEAD";
	/* pages and the API change every second; files revalidate */
	const char *cache = strncmp(path, "/static/", 8) != 0 ? "no-store" :
	    "no-cache";
	int rc;

	logmsg(2, "http %s %d", path, status);
	/* a stream's length is not known: no Content-Length, and lws adds
	 * "Connection: close", the end of the body is the end of the
	 * connection; a HEAD has no body to end, it keeps the connection */
	if (hs->stream.on && m != M_HEAD)
		hs->close = 1;
	/* the vhost's headers (http_headers) go with the status line */
	hdr_cache.value = cache;
	rc = hs->stream.on && m == M_HEAD ?
	    lws_add_http_header_status(wsi, (unsigned)status, &p, end) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
	    (const unsigned char *)ctype, (int)strlen(ctype), &p, end) :
	    lws_add_http_common_headers(wsi, (unsigned)status, ctype,
	    hs->stream.on ? LWS_ILLEGAL_HTTP_CONTENT_LEN : hs->file.open ?
	    hs->file.left : hs->body.len, &p, end);
	hdr_cache.value = "no-store";
	if (rc != 0 || (link->len > 0 && lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"link:", (const unsigned char *)
	    jsonbuf_text(link), (int)link->len, &p, end)) ||
	    (status == 405 && lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"allow:", (const unsigned char *)allow,
	    (int)strlen(allow), &p, end)) ||
	    (status == 401 && lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"www-authenticate:", (const unsigned char *)
	    "Bearer", 6, &p, end)) ||
	    (hs->location != NULL && lws_add_http_header_by_token(wsi,
	    WSI_TOKEN_HTTP_LOCATION, (const unsigned char *)hs->location,
	    (int)strlen(hs->location), &p, end)) ||
	    (hs->cookie[0] != '\0' && lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"set-cookie:", (const unsigned char *)
	    hs->cookie, (int)strlen(hs->cookie), &p, end)) ||
	    (hs->close && !hs->stream.on && lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"connection:", (const unsigned char *)
	    "close", 5, &p, end)) ||
	    lws_finalize_write_http_header(wsi, start, &p, end)) {
		jsonbuf_free(link);
		return -1;
	}
	jsonbuf_free(link);
	hs->location = NULL;
	explicit_bzero(hs->cookie, sizeof(hs->cookie));
	if (m == M_HEAD) {
		/* the headers of GET, no body */
		jsonbuf_free(&hs->body);
		file_close(&hs->file);
		api_stream_free(&hs->stream);
		return completed(wsi);
	}
	lws_callback_on_writable(wsi);
	return 0;
}

void
http_deleted(struct server *srv, const char *id, uint64_t ticket, int found,
    int64_t points, const char *why)
{
	struct http_session *hs;

	clients_deleted(srv, id);
	LIST_FOREACH(hs, &srv->http_waits, wait)
		if (hs->ticket == ticket)
			break;
	if (hs == NULL)
		return;		/* its connection is gone */
	hs->why = NULL;
	hs->status = api_deleted(id, found, points, why, &hs->body, &hs->why);
	lws_set_timeout(hs->wsi, NO_PENDING_TIMEOUT, 0);
	lws_callback_on_writable(hs->wsi);
}

/* Answers a DELETE once the writer is done (http_deleted()). */
static int
deleted_head(struct lws *wsi, struct http_session *hs)
{
	const char *ctype = "application/json";
	const char *path = "/api/clients/";
	struct jsonbuf link;

	LIST_REMOVE(hs, wait);
	hs->waiting = 0;
	if (hs->status != 200)
		error_body(&hs->body, path, hs->status, hs->why, "", &ctype);
	if (hs->body.oom)
		return -1;
	jsonbuf_init(&link, 0);
	return head(wsi, hs, path, M_DELETE, hs->status, ctype, &link);
}

/* Whether path is served without the read token: /healthz, the login
 * page and the files it uses (/static/, the same for everyone), and a
 * DELETE where --token-file or --admin-token-file guards it. */
static int
read_open(const struct server *srv, enum method m, const char *path)
{
	if (srv->cfg.read == NULL)
		return 1;
	if (m == M_DELETE)
		return srv->cfg.token != NULL || srv->cfg.admin != NULL;
	return strcmp(path, "/healthz") == 0 || strcmp(path, "/login") == 0 ||
	    strncmp(path, "/static/", 8) == 0;
}

/* The value of the field name in the form body b (len bytes,
 * application/x-www-form-urlencoded), decoded into out (size bytes);
 * -1 when it is missing or longer. */
static int
form_field(const char *b, size_t len, const char *name, char *out,
    size_t size)
{
	size_t nlen = strlen(name), i = 0, o = 0;
	int hi, lo;

	while (i < len) {
		if (len - i > nlen && memcmp(b + i, name, nlen) == 0 &&
		    b[i + nlen] == '=') {
			for (i += nlen + 1; i < len && b[i] != '&'; i++) {
				if (o + 1 >= size)
					return -1;
				if (b[i] == '+')
					out[o++] = ' ';
				else if (b[i] == '%' && i + 2 < len &&
				    (hi = hexval(b[i + 1])) >= 0 &&
				    (lo = hexval(b[i + 2])) >= 0) {
					out[o++] = (char)(hi << 4 | lo);
					i += 2;
				} else
					out[o++] = b[i];
			}
			out[o] = '\0';
			return 0;
		}
		while (i < len && b[i] != '&')
			i++;
		i++;
	}
	return -1;
}

/* Answers the login form's POST once its body is read: with the read
 * token, 303 to / with the read cookie; else 401 and the form again. */
static int
login_answer(struct server *srv, struct lws *wsi, struct http_session *hs)
{
	char token[PROTO_TOKEN_MAX + 2], value[READ_COOKIE_LEN + 1];
	const char *ctype = "text/html; charset=utf-8";
	struct jsonbuf link;
	int status, ok;

	hs->posting = 0;
	ok = !hs->postbig && form_field(hs->post, hs->plen, "token", token,
	    sizeof(token)) == 0 && read_equal(srv, token, strlen(token)) &&
	    read_cookie(srv, value) == 0;
	explicit_bzero(token, sizeof(token));
	explicit_bzero(hs->post, sizeof(hs->post));
	hs->plen = 0;
	hs->body.headroom = LWS_PRE;
	jsonbuf_clear(&hs->body);
	hs->off = 0;
	jsonbuf_init(&link, 0);
	if (ok) {
		status = 303;
		hs->location = "/";
		/* Secure under TLS: the browser sends it over https only */
		snprintf(hs->cookie, sizeof(hs->cookie), "%s=%s; Path=/; "
		    "HttpOnly; SameSite=Strict%s", READ_COOKIE, value,
		    srv->cfg.tls_cert != NULL ? "; Secure" : "");
		explicit_bzero(value, sizeof(value));
		put_str(&hs->body, "<!DOCTYPE html>\n<p><a href=\"/\">"
		    "all clients</a></p>\n");
	} else {
		srv->read_refused++;
		status = 401;
		page_login(&hs->body, 1);
	}
	if (hs->body.oom)
		return -1;
	return head(wsi, hs, "/login", M_POST, status, ctype, &link);
}

/* The login form's POST: its body is read by LWS_CALLBACK_HTTP_BODY and
 * answered at its end; one without a length, or too long, is answered
 * now (a wrong token) and its connection closed. */
static int
login_start(struct server *srv, struct lws *wsi, struct http_session *hs)
{
	char cl[32];
	long n = -1;

	hs->plen = 0;
	hs->postbig = 0;
	hs->posting = 1;
	hs->close = 1;
	if (lws_hdr_copy(wsi, cl, sizeof(cl),
	    WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
		n = strtol(cl, NULL, 10);
	if (n <= 0 || n > LOGIN_MAX) {
		hs->postbig = 1;
		return login_answer(srv, wsi, hs);
	}
	return 0;
}

static int
respond(struct server *srv, struct lws *wsi, struct http_session *hs,
    const char *path)
{
	const char *ctype, *why = NULL;
	char subject[128] = "";
	struct jsonbuf link;
	enum method m = method_of(wsi);
	int status;

	hs->body.headroom = LWS_PRE;
	jsonbuf_clear(&hs->body);
	hs->off = 0;
	api_stream_free(&hs->stream);
	memset(&hs->stream, 0, sizeof(hs->stream));
	file_close(&hs->file);
	jsonbuf_init(&link, 0);
	/* a body is never read: the connection ends with the answer */
	hs->close = m == M_OTHER || (m == M_DELETE &&
	    (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 ||
	    lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0));
	if (m == M_POST)
		hs->close = 1;
	if ((status = guard_host(srv, wsi, &why)) != 0)
		hs->close = 1;
	else if (m == M_POST && srv->cfg.read != NULL &&
	    strcmp(path, "/login") == 0) {
		jsonbuf_free(&link);
		return login_start(srv, wsi, hs);
	} else if (m == M_OTHER || m == M_POST || (m == M_DELETE &&
	    !deletable(path))) {
		status = 405;
		hs->close = 1;
		why = m == M_DELETE ? "DELETE is served for /api/clients/ID "
		    "only" : "only GET, HEAD and DELETE are served";
	} else if (!read_open(srv, m, path) && !read_authorized(srv, wsi)) {
		srv->read_refused++;
		status = 401;
		why = READ_WHY;
	} else if (srv->cfg.read != NULL && strcmp(path, "/login") == 0) {
		ctype = "text/html; charset=utf-8";
		page_login(&hs->body, 0);
		status = 200;
	} else
		status = route(srv, wsi, m, path, &hs->body, &hs->stream,
		    &hs->file, &link, &ctype, &why, subject, sizeof(subject),
		    &hs->ticket);
	if (status == 0) {
		/* a deletion, queued: the loop goes on meanwhile */
		jsonbuf_free(&link);
		hs->waiting = 1;
		hs->status = 0;
		hs->wsi = wsi;
		LIST_INSERT_HEAD(&srv->http_waits, hs, wait);
		lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, 120);
		return 0;
	}
	if (status != 200 && status != 503) {
		api_stream_free(&hs->stream);
		file_close(&hs->file);
		error_body(&hs->body, path, status, why, subject, &ctype);
	}
	if (hs->body.oom || link.oom) {
		jsonbuf_free(&link);
		return -1;
	}
	return head(wsi, hs, path, m, status, ctype, &link);
}

/* The timer of a stream's paced piece (PACE): asks for its write. */
static void
pace_done(lws_sorted_usec_list_t *sul)
{
	struct http_session *hs = lws_container_of(sul, struct http_session,
	    pace);

	lws_callback_on_writable(hs->wsi);
}

/* Writes the next CHUNK bytes of the response, with a stream the next
 * piece once the last one is out (paced, PACE): so a reader holds at
 * most one piece, however long its response. */
static int
write_body(struct server *srv, struct lws *wsi, struct http_session *hs)
{
	int64_t t0, now;
	size_t n;
	int final = 1;

	if (hs->off == hs->body.len && ((hs->stream.on &&
	    !hs->stream.done) || hs->file.open)) {
		t0 = clock_mono_us();
		if (hs->stream.on && t0 < srv->stream_next_us) {
			/* another piece took the loop's share: later */
			hs->wsi = wsi;
			srv->stream_deferred++;
			lws_sul_schedule(srv->ctx, 0, &hs->pace, pace_done,
			    srv->stream_next_us - t0);
			return 0;
		}
		jsonbuf_clear(&hs->body);
		hs->off = 0;
		if ((hs->file.open ? file_piece(&hs->file, &hs->body) :
		    api_stream_next(srv, &hs->stream, &hs->body)) == -1 ||
		    hs->body.oom)
			return -1;
		now = clock_mono_us();
		if (hs->stream.on && now - srv->rx_us < BUSY_US)
			srv->stream_next_us = now + ((PACE - 1) * (now - t0) <
			    PACE_MAX_US ? (PACE - 1) * (now - t0) :
			    PACE_MAX_US);
	}
	n = hs->body.len - hs->off;
	if (n > CHUNK) {
		n = CHUNK;
		final = 0;
	}
	if ((hs->stream.on && !hs->stream.done) || hs->file.open)
		final = 0;
	/* the LWS_PRE bytes before a later chunk were sent already */
	if (lws_write(wsi, (unsigned char *)jsonbuf_text(&hs->body) + hs->off,
	    n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
		return -1;
	hs->off += n;
	if (!final) {
		/* a reader that takes nothing for that long is dropped; one
		 * that reads, however slowly, is not */
		lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, STALL_S);
		lws_callback_on_writable(wsi);
		return 0;
	}
	lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
	jsonbuf_free(&hs->body);
	hs->off = 0;
	api_stream_free(&hs->stream);
	if (hs->close)
		return -1;
	return completed(wsi);
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct server *srv = lws_context_user(lws_get_context(wsi));
	struct http_session *hs = user;

	switch (reason) {
	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
		return guard_accept(srv, (const struct sockaddr *)&((const
		    struct lws_filter_network_conn_args *)user)->cli_addr) ? 1 :
		    0;
	case LWS_CALLBACK_WSI_CREATE:
		guard_created(srv, wsi);
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		/* user is a session after an upgrade: not ours */
		guard_destroyed(srv, wsi);
		return 0;
	case LWS_CALLBACK_RAW_ADOPT:
		/* CONNECT, or bytes that are not HTTP: lws made it a raw
		 * socket, its bytes come next */
		return 0;
	case LWS_CALLBACK_RAW_RX:
		return guard_raw(srv, wsi, in, len);
	case LWS_CALLBACK_HTTP:
		guard_request(wsi);
		if (srv->stopping)
			return -1;
		return respond(srv, wsi, hs, in != NULL ? in : "/");
	case LWS_CALLBACK_HTTP_BODY:
		/* read for the login form only; other bodies are never
		 * read: 405 */
		if (hs != NULL && hs->posting) {
			if (len > sizeof(hs->post) - hs->plen)
				hs->postbig = 1;
			else {
				memcpy(hs->post + hs->plen, in, len);
				hs->plen += len;
			}
		}
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (hs != NULL && hs->posting)
			return login_answer(srv, wsi, hs);
		if (hs != NULL && (hs->body.mem != NULL || hs->stream.on ||
		    hs->file.open))
			lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (hs != NULL && hs->waiting)
			return hs->status == 0 ? 0 : deleted_head(wsi, hs);
		if (hs == NULL || (hs->body.mem == NULL && !hs->stream.on &&
		    !hs->file.open))
			return -1;
		return write_body(srv, wsi, hs);
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (hs != NULL && hs->waiting) {
			LIST_REMOVE(hs, wait);
			hs->waiting = 0;
		}
		if (hs != NULL) {
			lws_sul_cancel(&hs->pace);
			jsonbuf_free(&hs->body);
			api_stream_free(&hs->stream);
			file_close(&hs->file);
		}
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
