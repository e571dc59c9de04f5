/*
 * wire.c: anomaly-send's libwebsockets client, the ring of rows in flight,
 * reconnecting and sending again.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>
#include <unistd.h>

#include "clock.h"
#include "input.h"
#include "keys.h"
#include "output.h"
#include "reply.h"
#include "wire.h"

#ifndef BATCH_MAX
#define BATCH_MAX	64	/* points per message, at most */
#endif
#define BACKOFF_MIN_MS	250
#define BACKOFF_MAX_MS	5000
#define RX_MAX		(64 << 20)	/* bytes of a reply message */

/* After traffic, poll(2) without sleeping this long (µs): the verdict of
 * a send-and-wait round trip then finds this process awake, which saves a
 * wake-up per round trip (as anomalyd does on its side). */
#define SPIN_US		100

/* Sends s->out as a text message and logs it; returns 0 or -1 (close). */
static int
send_text(struct sender *s, struct lws *wsi)
{
	size_t len = s->out.len;

	output_log_msg(s, '>', jsonbuf_text(&s->out), len);
	if (lws_write(wsi, (unsigned char *)jsonbuf_text(&s->out), len,
	    LWS_WRITE_TEXT) < (int)len)
		return -1;
	return 0;
}

/* Appends raw text to the output buffer; returns 0 or -1 (no memory). */
static int
put_raw(struct sender *s, const char *text, size_t len)
{
	size_t need = s->out.headroom + s->out.len + len + 1;
	char *m;

	if (need > s->out.cap) {
		size_t cap = s->out.cap ? s->out.cap : 4096;

		while (cap < need)
			cap *= 2;
		if ((m = realloc(s->out.mem, cap)) == NULL)
			return -1;
		s->out.mem = m;
		s->out.cap = cap;
	}
	memcpy(s->out.mem + s->out.headroom + s->out.len, text, len);
	s->out.len += len;
	s->out.mem[s->out.headroom + s->out.len] = '\0';
	return 0;
}

/* Appends row w as a point object; returns 0 or -1 (no memory). */
static int
format_point(struct sender *s, const struct row *w)
{
	char head[48];
	int n;

	n = snprintf(head, sizeof(head), "{\"seq\":%lld,\"timestamp\":",
	    (long long)w->seq);
	if (put_raw(s, head, (size_t)n) == -1)
		return -1;
	if (w->ts_num ? put_raw(s, w->ts, w->ts_len) :
	    jsonbuf_put_string(&s->out, w->ts, w->ts_len))
		return -1;
	if (put_raw(s, ",\"value\":", 9) == -1 ||
	    jsonbuf_put_double(&s->out, w->v) == -1 ||
	    put_raw(s, "}", 1) == -1)
		return -1;
	return 0;
}

/* Sends the next batch of unsent rows; returns 0 or -1 (close). */
static int
send_points(struct sender *s, struct lws *wsi)
{
	size_t k, i, n = s->count - s->sent;

	if (n > BATCH_MAX)
		n = BATCH_MAX;
	jsonbuf_clear(&s->out);
	if (n > 1 && put_raw(s, "[", 1) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		k = (s->head + s->sent + i) % s->inflight;
		if ((i > 0 && put_raw(s, ",", 1) == -1) ||
		    format_point(s, &s->ring[k]) == -1)
			return -1;
	}
	if (n > 1 && put_raw(s, "]", 1) == -1)
		return -1;
	s->sent += n;
	return send_text(s, wsi);
}

/* Sends the settings message with the token, the claim and the key;
 * returns 0 or -1 (close). */
static int
send_settings(struct sender *s, struct lws *wsi)
{
	jsonbuf_clear(&s->out);
	if (put_raw(s, "{\"version\":2,\"detail\":true,\"claim\":true,",
	    40) == -1 || (s->key[0] != '\0' && (put_raw(s, "\"key\":", 6) ==
	    -1 || jsonbuf_put_string(&s->out, s->key, strlen(s->key)) == -1 ||
	    put_raw(s, ",", 1) == -1)) || put_raw(s, "\"token\":", 8) == -1 ||
	    jsonbuf_put_string(&s->out, s->token, strlen(s->token)) == -1 ||
	    put_raw(s, "}", 1) == -1)
		return -1;
	s->settings_sent = 1;
	return send_text(s, wsi);
}

/* With --resume, at the first ready: where to resume from.  Returns 0, or
 * -1 having said why it cannot. */
static int
resume_from(struct sender *s, const struct reply *r)
{
	int cmp;

	switch (r->last_ts_kind) {
	case LAST_TS_ABSENT:
		warnx("%s: cannot resume: the server does not say its last "
		    "timestamp (an anomalyd older than --resume)",
		    s->client_id);
		return -1;
	case LAST_TS_NULL:
		s->resume_none = s->resume_known = 1;
		snprintf(s->resume_text, sizeof(s->resume_text), "nothing");
		return 0;
	default:
		break;
	}
	memcpy(s->resume_text, r->last_ts, r->last_ts_len + 1);
	s->resume_ts = (struct timefmt_ts){ s->resume_text, r->last_ts_len,
	    r->last_ts_kind == LAST_TS_NUMBER };
	if (timefmt_compare(&s->resume_ts, &s->resume_ts, &cmp) == -1) {
		warnx("%s: cannot resume: the last stored timestamp '%s' is "
		    "neither a number nor a date", s->client_id,
		    s->resume_text);
		return -1;
	}
	s->resume_known = 1;
	return 0;
}

/* At a ready: keeps the key the server issued in the key file, says once
 * per job what became of the claim when it was not granted. */
static void
claimed(struct sender *s, const struct reply *r)
{
	char e[512];

	if (r->key[0] != '\0') {
		snprintf(s->key, sizeof(s->key), "%s", r->key);
		if (!s->key_file_ok || keys_put(s->key_file,
		    s->key_file_opt == NULL, s->url_canon, s->client_id,
		    r->key, e, sizeof(e)) == -1)
			warnx("%s: cannot keep the key of this client id: %s; "
			    "without it a later run is refused: keep this "
			    "line in a key file (--key-file): %s %s %s",
			    s->client_id, s->key_file_ok ? e : s->key_file,
			    s->url_canon, s->client_id, r->key);
		return;
	}
	if (r->claim[0] != '\0' && strncmp(r->claim, "held", 4) != 0 &&
	    !s->said_claim && !s->quiet)
		warnx("%s: not claimed (%s): anyone on this server may "
		    "use this client id", s->client_id, r->claim);
	s->said_claim = 1;
}

/* Handles one reply object (arg: the sender).  Returns 0, 1 (a protocol
 * fault: close) or 2 (not stored: reconnect). */
static int
on_reply(void *arg, const struct reply *r)
{
	struct sender *s = arg;
	struct row *w;

	if (r->kind == REPLY_READY) {
		if (s->ready) {
			warnx("%s: a second ready", s->client_id);
			return 1;
		}
		s->ready = 1;
		claimed(s, r);
		if (!s->seq_known) {
			s->seq_known = 1;
			s->next_seq = r->last_seq + 1;
			if (s->resume && resume_from(s, r) == -1) {
				s->failed = 1;
				return 1;
			}
		}
		s->sent = 0;		/* send again what is in flight */
		return 0;
	}
	if (!s->ready) {
		warnx("%s: %s before ready", s->client_id,
		    r->kind == REPLY_ERROR ? r->error : "a reply");
		return 1;
	}
	if (s->sent == 0) {
		warnx("%s: a reply to nothing sent%s%s", s->client_id,
		    r->kind == REPLY_ERROR ? ": " : "",
		    r->kind == REPLY_ERROR ? r->error : "");
		return 1;
	}
	w = &s->ring[s->head];
	if (r->seq != w->seq) {
		warnx("%s: reply for seq %lld, expected %lld", s->client_id,
		    (long long)r->seq, (long long)w->seq);
		return 1;
	}
	if (r->kind == REPLY_ERROR &&
	    strncmp(r->error, "not stored", 10) == 0) {
		/* Storage trouble: start again from the first row not
		 * stored, on a new connection (SPEC §2.3). */
		snprintf(s->conn_error, sizeof(s->conn_error), "%s", r->error);
		s->lost = 1;
		return 2;
	}
	if (r->kind == REPLY_ERROR) {
		warnx("%s:%llu: server: %s", s->fname ? s->fname :
		    s->client_id, (unsigned long long)w->line, r->error);
		s->rejected++;
	} else if (r->kind == REPLY_VERDICT) {
		s->job_connected = 1;
		s->points++;
		s->anomalies += (uint64_t)r->anomaly;
		s->alerts += (uint64_t)r->alert;
		output_verdict(s, w, r);
		s->attempts = 0;
	} else {
		warnx("%s: unexpected reply", s->client_id);
		return 1;
	}
	s->head = (s->head + 1) % s->inflight;
	s->count--;
	s->sent--;
	return 0;
}

static void connection_ended(struct sender *s);

/* Connects (the timer s->sul, or called at the start of the job). */
static void
connect_now(lws_sorted_usec_list_t *sul)
{
	struct sender *s = lws_container_of(sul, struct sender, sul);
	struct lws_client_connect_info i;
	char path[2048];

	snprintf(path, sizeof(path), "/%s%sclient_id=%s&window=%u%s%s%s",
	    s->path, strchr(s->path, '?') != NULL ? "&" : "?", s->client_id,
	    (unsigned)s->window, s->token != NULL ? "" :
	    "&version=2&detail=1&claim=1", s->token == NULL &&
	    s->key[0] != '\0' ? "&key=" : "", s->token == NULL ? s->key : "");
	memset(&i, 0, sizeof(i));
	i.context = s->ctx;
	i.address = s->address;
	i.port = s->port;
	i.path = path;
	i.host = s->address;
	i.origin = s->address;
	i.local_protocol_name = "anomaly-send";
	i.ssl_connection = wire_ssl_flags(s);
	i.pwsi = &s->wsi;
	s->verify_err = 0;
	s->ready = 0;
	s->settings_sent = 0;
	s->close_code = 0;
	s->close_reason[0] = '\0';
	s->conn_error[0] = '\0';
	s->lost = 0;
	s->rxlen = 0;
	s->ended = 0;
	if (lws_client_connect_via_info(&i) == NULL && !s->ended) {
		if (s->conn_error[0] == '\0')
			snprintf(s->conn_error, sizeof(s->conn_error),
			    "cannot connect");
		connection_ended(s);
	}
}

int
wire_ssl_flags(const struct sender *s)
{
	if (!s->tls)
		return 0;
	if (s->insecure)
		return LCCSCF_USE_SSL | LCCSCF_ALLOW_SELFSIGNED |
		    LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
		    LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
	return LCCSCF_USE_SSL;
}

int
wire_tls_callback(struct sender *s, enum lws_callback_reasons reason,
    void *user, size_t len)
{
	int e;

	/* lws 4.1 asks protocol 0 with the X509_STORE_CTX as user and
	 * OpenSSL's preverify_ok as len; what lws let pass (-k) is X509_V_OK
	 * by then */
	if (reason != LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION ||
	    len != 0 || user == NULL)
		return 0;
	e = X509_STORE_CTX_get_error((X509_STORE_CTX *)user);
	if (e != X509_V_OK && s->verify_err == 0)
		s->verify_err = e;
	return 0;
}

/* Why the server's certificate was refused, in words, into why. */
static const char *
verify_cause(int e, char *why, size_t size)
{
	const char *what;

	switch (e) {
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		what = "unknown CA (the certificate's issuer is not trusted; "
		    "give it with --cacert, or -k not to verify)";
		break;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		what = "wrong host name (the certificate is not for the "
		    "host of the URL)";
		break;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		what = "expired certificate";
		break;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		what = "certificate not yet valid";
		break;
	default:
		what = NULL;
	}
	snprintf(why, size, "server certificate refused: %s", what != NULL ?
	    what : X509_verify_cert_error_string(e));
	return why;
}

/* What the server at fd answers a plain-text HTTP request: 1 it closes
 * at once without a byte (as anomalyd's TLS port does), 2 it answers in
 * plain HTTP, 0 else. */
static int
probe_plain(int fd)
{
	static const char req[] = "GET /healthz HTTP/1.0\r\n\r\n";
	char buf[512];
	size_t got = 0;
	ssize_t n = -1;

	if (write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1)
		return 0;
	while (got < sizeof(buf) - 1 && (n = read(fd, buf + got,
	    sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	if (got == 0 && n == 0)
		return 1;
	return strncmp(buf, "HTTP/", 5) == 0 ? 2 : 0;
}

const char *
wire_connect_error(struct sender *s, char *why, size_t size)
{
	struct addrinfo hints, *res = NULL, *a;
	struct timeval tv = { 2, 0 };
	char port[16];
	int fd, e = 0, probe = 0;

	if (s->verify_err != 0)
		return verify_cause(s->verify_err, why, size);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", s->port);
	if (getaddrinfo(s->address, port, &hints, &res) != 0) {
		snprintf(why, size, "unknown host %.200s", s->address);
		return why;
	}
	for (a = res; a != NULL; a = a->ai_next) {
		if ((fd = socket(a->ai_family, a->ai_socktype,
		    a->ai_protocol)) == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		e = connect(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
		if (e == 0)
			probe = probe_plain(fd);
		close(fd);
		if (e == 0)
			break;
	}
	freeaddrinfo(res);
	if (e == ECONNREFUSED)
		snprintf(why, size, "connection refused");
	else if (e != 0)
		snprintf(why, size, "%s", strerror(e));
	else if (!s->tls && probe == 1)
		snprintf(why, size, "the server closed the connection without "
		    "a word: a TLS port? use wss://");
	else if (s->tls && probe == 2)
		snprintf(why, size, "TLS handshake failed: the server speaks "
		    "plain text on this port: use ws://");
	else
		snprintf(why, size, "no WebSocket endpoint there (%.100s)",
		    s->conn_error[0] ? s->conn_error : "handshake failed");
	return why;
}

/* After the connection ended: reconnect later, or end the job. */
static void
connection_ended(struct sender *s)
{
	int code = s->close_code, delay, k;

	if (s->ended)
		return;
	s->ended = 1;
	s->wsi = NULL;
	if (s->closing) {
		s->job_over = 1;
		return;
	}
	if (code == 4003 && strncmp(s->close_reason, "client_id is claimed",
	    20) == 0) {
		warnx("%s: refused by the server: this client id is claimed "
		    "and %s", s->client_id, s->key[0] != '\0' ?
		    "the key kept for it is not its key" :
		    "no key for it is kept here");
		warnx("%s: the key is in the key file of the anomaly-send "
		    "that claimed it (%s here; choose another with "
		    "--key-file); or an operator deletes the client "
		    "(anomaly-send --delete -i %s with the operator "
		    "token), which frees the id", s->client_id,
		    s->key_file_ok ? s->key_file : "none", s->client_id);
		s->failed = 1;
		s->job_over = 1;
		return;
	}
	if (code == 4001 || code == 4002 || code == 4003 || code == 4009) {
		warnx("%s: closed by the server with %d (%s)", s->client_id,
		    code, s->close_reason);
		s->failed = 1;
		s->job_over = 1;
		return;
	}
	if (!s->job_connected && !s->wait_first) {
		/* Never connected: no server there, or not this one. */
		char why[256];

		warnx("cannot connect to %s: %s", s->url_canon,
		    wire_connect_error(s, why, sizeof(why)));
		s->failed = 1;
		s->job_over = 1;
		return;
	}
	if (code != 0 && code != 1001 && code != 1006 && code != 1011 &&
	    code != 1013 && code != 4008 && code != 4029 && !s->lost) {
		warnx("%s: closed by the server with %d (%s)", s->client_id,
		    code, s->close_reason);
		s->failed = 1;
		s->job_over = 1;
		return;
	}
	if (s->attempts >= s->retries) {
		if (code != 0)
			warnx("%s: %s: closed with %d (%s)%s", s->client_id,
			    s->url, code, s->close_reason, s->retries > 0 ?
			    ", retries exhausted" : "");
		else
			warnx("%s: %s%s", s->url, s->conn_error[0] ?
			    s->conn_error : "connection lost", s->retries > 0 ?
			    ", retries exhausted" : "");
		s->failed = 1;
		s->job_over = 1;
		return;
	}
	for (delay = BACKOFF_MIN_MS, k = 0; k < s->attempts &&
	    delay < BACKOFF_MAX_MS; k++)
		delay *= 2;
	if (delay > BACKOFF_MAX_MS)
		delay = BACKOFF_MAX_MS;
	s->attempts++;
	if (!s->quiet)
		warnx("%s: %s; reconnecting in %d ms (%d of %d)", s->client_id,
		    code != 0 ? (snprintf(s->conn_error, sizeof(s->conn_error),
		    "closed with %d%s%s", code, s->close_reason[0] ? ": " : "",
		    s->close_reason), s->conn_error) : s->conn_error[0] ?
		    s->conn_error : "connection lost (1006)", delay,
		    s->attempts, s->retries);
	lws_sul_schedule(s->ctx, 0, &s->sul, connect_now,
	    (lws_usec_t)delay * LWS_US_PER_MS);
}

/* Takes a fragment of a reply message; a whole message is logged and
 * read.  Returns 0, or -1 to close the connection. */
static int
receive(struct sender *s, struct lws *wsi, const char *in, size_t len)
{
	int rc;

	if (lws_is_first_fragment(wsi))
		s->rxlen = 0;
	if (s->rxlen + len + 1 > s->rxcap) {
		size_t cap = s->rxcap ? s->rxcap : 65536;
		char *m;

		while (cap < s->rxlen + len + 1)
			cap *= 2;
		if (cap > RX_MAX || (m = realloc(s->rx, cap)) == NULL) {
			warnx("%s: reply too long", s->client_id);
			s->failed = 1;
			s->closing = 1;
			return -1;
		}
		s->rx = m;
		s->rxcap = cap;
	}
	memcpy(s->rx + s->rxlen, in, len);
	s->rxlen += len;
	if (!lws_is_final_fragment(wsi) ||
	    lws_remaining_packet_payload(wsi) > 0)
		return 0;
	s->rx[s->rxlen] = '\0';
	output_log_msg(s, '<', s->rx, s->rxlen);
	rc = reply_read(s->rx, s->rxlen, on_reply, s);
	if (rc == 2)		/* not stored: reconnect */
		return -1;
	if (rc != 0) {
		if (rc == -1)
			warnx("%s: a reply that is not JSON: %.80s",
			    s->client_id, s->rx);
		s->failed = 1;
		s->closing = 1;
		return -1;
	}
	lws_callback_on_writable(wsi);
	return 0;
}

/* Writes what is due: the settings, the next batch, or the close at the
 * end.  Returns 0, or -1 to close the connection. */
static int
writeable(struct sender *s, struct lws *wsi)
{
	if (s->token != NULL && !s->settings_sent)
		return send_settings(s, wsi);
	if (!s->ready)
		return 0;
	input_fill(s);
	if (s->count > s->sent) {
		if (send_points(s, wsi) == -1)
			return -1;
		if (s->count > s->sent || s->count < s->inflight)
			lws_callback_on_writable(wsi);
		return 0;
	}
	if (s->input_done && s->count == 0) {
		s->closing = 1;
		lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL,
		    (unsigned char *)"done", 4);
		return -1;
	}
	return 0;
}

/* The libwebsockets callbacks of the job's connection. */
static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct sender *s;

	switch (reason) {
	case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
		return wire_tls_callback(lws_context_user(lws_get_context(wsi)),
		    reason, user, len);
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		s = lws_context_user(lws_get_context(wsi));
		snprintf(s->conn_error, sizeof(s->conn_error), "%s",
		    in != NULL ? (const char *)in : "cannot connect");
		connection_ended(s);
		return 0;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		s = lws_context_user(lws_get_context(wsi));
		s->job_connected = 1;
		if (s->token != NULL)
			lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		s = lws_context_user(lws_get_context(wsi));
		s->active_us = clock_mono_us();
		return receive(s, wsi, in, len);
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		s = lws_context_user(lws_get_context(wsi));
		s->active_us = clock_mono_us();
		return writeable(s, wsi);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		s = lws_context_user(lws_get_context(wsi));
		if (len >= 2) {
			const unsigned char *p = in;

			s->close_code = p[0] << 8 | p[1];
			snprintf(s->close_reason, sizeof(s->close_reason),
			    "%.*s", (int)(len - 2), (const char *)in + 2);
			/* lws 4.1 turns a 1013 (try again later) into 1002;
			 * the reason tells */
			if (s->close_code == 1002 && strcmp(s->close_reason,
			    "memory budget exhausted") == 0)
				s->close_code = 1013;
		}
		return 0;
	case LWS_CALLBACK_CLIENT_CLOSED:
		s = lws_context_user(lws_get_context(wsi));
		if (wsi == s->wsi || s->wsi == NULL)
			connection_ended(s);
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
wire_protocols(void)
{
	return protocols;
}

/* With --loop, every 100 ms (the timer s->tick_sul): acts on a signal.
 * The first stops reading and lets the rows in flight be answered before
 * the close; a second ends at once. */
static void
tick(lws_sorted_usec_list_t *sul)
{
	struct sender *s = lws_container_of(sul, struct sender, tick_sul);

	if (*s->signals > 0 && !s->stopping) {
		s->stopping = 1;
		s->input_done = 1;
		s->pending = 0;
		if (s->wsi != NULL)
			lws_callback_on_writable(s->wsi);
		else {
			lws_sul_schedule(s->ctx, 0, &s->sul, connect_now,
			    LWS_SET_TIMER_USEC_CANCEL);
			s->job_over = 1;
		}
	} else if (*s->signals > 1)
		s->job_over = 1;
	lws_sul_schedule(s->ctx, 0, &s->tick_sul, tick,
	    100 * LWS_US_PER_MS);
}

void
wire_run(struct sender *s)
{
	if (s->loop)
		tick(&s->tick_sul);
	connect_now(&s->sul);
	while (!s->job_over)
		if (lws_service(s->ctx, clock_mono_us() - s->active_us <
		    SPIN_US ? -1 : 0) < 0)
			break;
	lws_sul_schedule(s->ctx, 0, &s->tick_sul, tick,
	    LWS_SET_TIMER_USEC_CANCEL);
}
