/*
 * ws.c: the WebSocket side of anomalyd (see ws.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "budget.h"
#include "claim.h"
#include "clients.h"
#include "clock.h"
#include "commit.h"
#include "guard.h"
#include "log.h"
#include "reply.h"
#include "ws.h"

#define RX_KEEP		16384	/* an assembly buffer above this is freed */
#define SLICE_US	1000	/* a batch yields to the others after this */
#define STALL_MS	10000	/* a peer not reading, nothing written: too slow */
#define NO_TOKEN	"token missing or wrong"

/* Closes wsi from within its callback: the caller returns -1. */
static int
close_now(struct session *s, int code, const char *why)
{
	size_t len = strlen(why);

	if (len > 123)
		len = 123;
	logmsg(1, "close %s %d %.*s", s->client != NULL ?
	    s->client->id : s->peer, code, (int)len, why);
	lws_close_reason(s->wsi, (enum lws_close_status)code,
	    (unsigned char *)(uintptr_t)why, len);
	return -1;
}

void
session_close(struct session *s, int code, const char *reason, int drop)
{
	if (s->close_code != 0)
		return;
	s->close_code = code;
	snprintf(s->close_reason, sizeof(s->close_reason), "%s", reason);
	if (drop) {
		replyq_free(&s->waiting);
		replyq_free(&s->sendq);
		s->queued = 0;
		s->held = 0;
	}
	/* a peer that reads nothing never makes us writable again */
	lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, 5);
	lws_callback_on_writable(s->wsi);
}

static void batch_drop(struct server *srv, struct session *s, int resume);

/* Frees the message s was assembling and gives its memory back. */
static void
rx_release(struct server *srv, struct session *s)
{
	budget_give(&srv->budget, s->rxcap);
	free(s->rx);
	s->rx = NULL;
	s->rxlen = s->rxcap = 0;
	s->in_msg = 0;
}

/* Whether s's peer does not read its replies now: they wait in anomalyd
 * (paused), or in lws, which then reads nothing from it either until its
 * output is out. */
static int
peer_not_reading(const struct session *s)
{
	return s->paused || lws_partial_buffered(s->wsi);
}

/* Whether anomalyd holds s's input now: its peer does not read its
 * replies, a batch of it is judged in slices, the writer is behind
 * (backlog), or its client's detector is being rebuilt. */
static int
input_held(const struct server *srv, const struct session *s)
{
	return peer_not_reading(s) || s->bactive || srv->backlog ||
	    (s->client != NULL && (s->client->job != NULL || s->client->want));
}

void
ws_sweep(struct server *srv)
{
	struct session *s;
	int64_t now = clock_wall_ms();
	int64_t held = srv->swept_ms != 0 && now > srv->swept_ms ?
	    now - srv->swept_ms : 0;

	srv->swept_ms = now;
	TAILQ_FOREACH(s, &srv->sessions, all) {
		if (s->close_code != 0)
			continue;
		/* a message must be whole within --hello-timeout of the
		 * peer's own time: while anomalyd does not read it (a peer
		 * that does not read its replies, among others) the clock
		 * stops, so that such a peer is closed as too slow (4008),
		 * not for a message it could not send */
		if (s->in_msg && input_held(srv, s))
			s->msg_ms += held;
		if ((s->phase == PHASE_HELLO || s->deferred) &&
		    now - s->born_ms >= guard_hello_ms(srv))
			session_close(s, s->deferred ? 4003 : 4001,
			    !s->deferred ? "no hello" : s->authed ?
			    CLAIM_NO_KEY : NO_TOKEN, 0);
		else if (s->in_msg && now - s->msg_ms >=
		    (int64_t)srv->cfg.hello_timeout * 1000) {
			/* a message must be whole within --hello-timeout */
			logmsg(0, "%s: message of %zu bytes not complete in "
			    "%u s", s->client != NULL ? s->client->id :
			    s->peer, s->rxlen, srv->cfg.hello_timeout);
			session_close(s, 1008, "message not complete in time",
			    1);
			rx_release(srv, s);
		} else if (peer_not_reading(s) &&
		    now - s->wrote_ms >= STALL_MS) {
			logmsg(0, "%s: reads no replies: too slow",
			    s->client != NULL ? s->client->id : s->peer);
			session_close(s, 4008, "too slow", 1);
		}
	}
}

void
ws_shutdown(struct server *srv)
{
	struct session *s;

	TAILQ_FOREACH(s, &srv->sessions, all) {
		batch_drop(srv, s, 0);	/* the points left are not judged */
		session_close(s, 1001, "server shutdown", 0);
	}
}

/*
 * A send-and-wait client is answered faster when its verdict goes out
 * right after the commit than after one more poll(2) that only says the
 * socket is writable: this hands lws the POLLOUT event it would get.  The
 * reply is still written in the WRITEABLE callback; should the socket not
 * take it all, lws keeps the rest and finishes on a real POLLOUT.
 */
void
ws_write_now(struct server *srv)
{
	struct lws_pollfd pfd;
	struct session *s;

	while ((s = TAILQ_FIRST(&srv->kick)) != NULL) {
		TAILQ_REMOVE(&srv->kick, s, kick);
		s->is_kicked = 0;
		memset(&pfd, 0, sizeof(pfd));
		pfd.fd = lws_get_socket_fd(s->wsi);
		pfd.events = LWS_POLLIN | LWS_POLLOUT;
		pfd.revents = LWS_POLLOUT;
		if (pfd.fd >= 0 && lws_service_fd(srv->ctx, &pfd) < 0)
			break;
	}
}

/* -------------------------------------------------------------- token */

/* Whether the hello or settings object h carries the token. */
static int
hello_token(const struct server *srv, const struct proto_hello *h)
{
	return (h->has & PROTO_HAS_TOKEN) &&
	    token_equal(srv, h->token, h->token_len);
}

/* ------------------------------------------------------------ replies */

static int
ready(struct server *srv, struct session *s)
{
	struct jsonbuf out, alt;
	struct client *c = s->client;
	int holds;

	jsonbuf_init(&out, LWS_PRE);
	jsonbuf_init(&alt, LWS_PRE);
	client_ready(srv, c, &out);
	if (claim_ready(srv, s, &out, &alt, &holds) == -1) {
		jsonbuf_free(&out);
		jsonbuf_free(&alt);
		return -1;
	}
	return commit_reply(srv, s, &out, &alt, holds);
}

void
ws_ready(struct server *srv, struct session *s)
{
	if (s->v2 && s->client != NULL && s->close_code == 0 &&
	    ready(srv, s) == -1)
		session_close(s, 1011, "out of memory", 0);
}

/*
 * A batch (protocol 2) of many points is judged in slices of about
 * SLICE_US, so that one message never holds the loop for long: after the
 * first slice the points left are copied into the session (counted in
 * srv->budget), the session is not read from, and a timer judges the next
 * slice once the loop has served the others.  The reply is built in the
 * session and queued whole at the end, so replies and their order are
 * those of a batch judged at once.  A batch that failed meanwhile
 * (srv->nfailed) fails the rest of the message as srv->failed does.  A
 * session closed or taken over drops the points left, without a reply (a
 * protocol-2 client resends from ready's last seq).
 */

static void batch_slice(lws_sorted_usec_list_t *sul);

/* Judges up to n points of items into s's batch reply, for SLICE_US when
 * limited (at least one point).  Returns how many it judged. */
static size_t
judge(struct server *srv, struct session *s, const struct proto_point *items,
    size_t n, int limited)
{
	int64_t until = clock_mono_us() + SLICE_US;
	size_t i;

	for (i = 0; i < n; i++) {
		if (limited && i > 0 && clock_mono_us() >= until)
			break;
		proto_batch_next(&s->bout);
		proto_batch_next(&s->balt);
		client_point(srv, s, &items[i], &s->bout, &s->balt,
		    &s->bholds);
	}
	return i;
}

/* Frees the points left of s's batch; reads from s again when resume. */
static void
batch_drop(struct server *srv, struct session *s, int resume)
{
	if (!s->bactive)
		return;
	lws_sul_cancel(&s->bsul);
	free(s->bitems);
	s->bitems = NULL;
	budget_give(&srv->budget, s->bcharged);
	s->bcharged = 0;
	s->bn = s->bnext = 0;
	jsonbuf_free(&s->bout);
	jsonbuf_free(&s->balt);
	s->bactive = 0;
	if (resume && !s->paused)
		lws_rx_flow_control(s->wsi, 1);
}

/* Ends s's batch reply and queues it.  Returns 0, or -1 when memory is
 * short. */
static int
batch_end(struct server *srv, struct session *s)
{
	int rc;

	proto_batch_end(&s->bout);
	proto_batch_end(&s->balt);
	rc = commit_reply(srv, s, &s->bout, &s->balt, s->bholds);
	commit_message_done(srv);
	return rc;
}

/* Judges the next slice of s's batch (all of it when all): at its end
 * queues the reply and reads from s again, else schedules the next slice.
 * Returns 0, or -1 when memory is short. */
static int
batch_go_on(struct server *srv, struct session *s, int all)
{
	int rc;

	if (s->client == NULL || s->close_code != 0) {
		batch_drop(srv, s, 0);
		return 0;
	}
	srv->failed = s->bfailed || srv->nfailed != s->bfails;
	s->bnext += judge(srv, s, s->bitems + s->bnext, s->bn - s->bnext,
	    !all);
	if (s->bnext < s->bn) {
		s->bfailed = srv->failed;
		commit_message_done(srv);
		lws_sul_schedule(srv->ctx, 0, &s->bsul, batch_slice, 1);
		return 0;
	}
	rc = batch_end(srv, s);		/* takes bout and balt */
	batch_drop(srv, s, 1);
	return rc;
}

/* The timer of a batch's next slice. */
static void
batch_slice(lws_sorted_usec_list_t *sul)
{
	struct session *s = lws_container_of(sul, struct session, bsul);
	struct server *srv = lws_context_user(lws_get_context(s->wsi));

	if (batch_go_on(srv, s, 0) == -1)
		session_close(s, 1011, "out of memory", 1);
}

/* Answers batch m: the first slice now, the rest later if need be. */
static int
batch(struct server *srv, struct session *s, const struct proto_msg *m)
{
	uint64_t fails = srv->nfailed;
	size_t n, rest;

	jsonbuf_init(&s->bout, LWS_PRE);
	jsonbuf_init(&s->balt, LWS_PRE);
	s->bholds = 0;
	proto_batch_begin(&s->bout);
	proto_batch_begin(&s->balt);
	n = judge(srv, s, m->items, m->nitems, 1);
	if (n == m->nitems) {
		if (batch_end(srv, s) == -1)
			return close_now(s, 1011, "out of memory");
		return 0;
	}
	rest = (m->nitems - n) * sizeof(*m->items);
	if (budget_take(&srv->budget, rest) == -1) {
		jsonbuf_free(&s->bout);
		jsonbuf_free(&s->balt);
		commit_message_done(srv);
		logmsg(0, "%s: batch of %zu points refused: %s",
		    s->client->id, m->nitems, BUDGET_REASON);
		return close_now(s, BUDGET_CODE, BUDGET_REASON);
	}
	if ((s->bitems = malloc(rest)) == NULL) {
		budget_give(&srv->budget, rest);
		jsonbuf_free(&s->bout);
		jsonbuf_free(&s->balt);
		commit_message_done(srv);
		return close_now(s, 1011, "out of memory");
	}
	memcpy(s->bitems, m->items + n, rest);
	s->bcharged = rest;
	s->bn = m->nitems - n;
	s->bnext = 0;
	s->bactive = 1;
	s->bfailed = srv->failed;
	s->bfails = fails;
	commit_message_done(srv);
	lws_rx_flow_control(s->wsi, 0);
	lws_sul_schedule(srv->ctx, 0, &s->bsul, batch_slice, 1);
	return 0;
}

/* Answers the message m, after the hello. */
static int
points(struct server *srv, struct session *s, const struct proto_msg *m)
{
	struct jsonbuf out, alt;
	int holds = 0;

	if (m->kind == PROTO_BATCH)
		return batch(srv, s, m);
	jsonbuf_init(&out, LWS_PRE);
	jsonbuf_init(&alt, LWS_PRE);
	switch (m->kind) {
	case PROTO_INVALID:
		proto_format_error(&out, m->error, NULL, 0);
		break;
	case PROTO_SETTINGS:
		proto_format_error(&out, m->hello.has != 0 ?
		    "hello already received" : "missing timestamp", NULL, 0);
		break;
	case PROTO_POINT:
	default:
		client_point(srv, s, &m->point, &out, &alt, &holds);
		break;
	}
	if (commit_reply(srv, s, &out, &alt, holds) == -1) {
		commit_message_done(srv);
		return close_now(s, 1011, "out of memory");
	}
	commit_message_done(srv);
	return 0;
}

/* ------------------------------------------------------------- hellos */

/* client_hello(), once claim.c lets s have the id, and the close of the
 * session it took the client from: 0, 1 when the ready waits for a
 * rebuild (ws_ready()), -1. */
static int
hello(struct server *srv, struct session *s, const char *id,
    const struct proto_hello *h, int *code, char *why, size_t whylen)
{
	struct session *replaced;
	struct proto_hello own;
	int rc;

	if (s->client == NULL && !guard_client_room(srv)) {
		*code = 4029;
		snprintf(why, whylen, "too many clients");
		return -1;
	}
	if (claim_check(srv, s, id, h, &own, &h, code, why, whylen) == -1)
		return -1;
	rc = client_hello(srv, s, id, h, &replaced, code, why, whylen);
	if (replaced != NULL)
		session_close(replaced, 4002, "replaced", 1);
	if (rc >= 0)		/* 1: ready after a rebuild */
		claim_done(srv, s, id);
	return rc;
}

static int
hello_failed(struct session *s, int code, const char *what,
    const char *why)
{
	char reason[124];

	snprintf(reason, sizeof(reason), "%s%s", what, why);
	if (code == 4001)
		logmsg(1, "%s: bad hello: %s", s->peer, reason);
	return close_now(s, code, reason);
}

/* The first message without a hello in the URL. */
static int
hello_message(struct server *srv, struct session *s, const char *msg,
    size_t len)
{
	const struct proto_msg *m;
	const struct proto_hello *h;
	char why[PROTO_ERR_MAX];
	int code, rc;

	m = proto_parse(srv->parser, msg, len, 0);
	if (m->kind == PROTO_INVALID)
		return hello_failed(s, 4001, "hello: ", m->error);
	if (m->kind != PROTO_SETTINGS)
		return hello_failed(s, 4001, "hello expected, got ",
		    "a point");
	h = &m->hello;
	if (!s->authed && !hello_token(srv, h))
		return hello_failed(s, 4003, "", NO_TOKEN);
	s->authed = 1;
	if (h->error[0] != '\0')
		return hello_failed(s, 4001, "hello: ", h->error);
	if (!(h->has & PROTO_HAS_CLIENT_ID))
		return hello_failed(s, 4001, "hello: ",
		    "client_id missing");
	if (h->has & PROTO_HAS_VERSION)
		s->v2 = 1;
	if (h->has & PROTO_HAS_DETAIL)
		s->detail = h->detail;
	if ((rc = hello(srv, s, h->client_id, h, &code, why,
	    sizeof(why))) == -1)
		return hello_failed(s, code, code == 4001 ? "hello: " : "",
		    why);
	s->phase = PHASE_READY;
	if (rc == 0 && s->v2 && ready(srv, s) == -1)
		return close_now(s, 1011, "out of memory");
	return 0;
}

/* The first message after a hello in the URL without version=2. */
static int
first_message(struct server *srv, struct session *s, const char *msg,
    size_t len)
{
	const struct proto_msg *m;
	const struct proto_hello *h;
	struct proto_hello full;
	char why[PROTO_ERR_MAX];
	int code, rc = 0;

	m = proto_parse(srv->parser, msg, len, 0);
	s->phase = PHASE_READY;
	if (s->deferred && (m->kind != PROTO_SETTINGS ||
	    (!s->authed && !hello_token(srv, &m->hello))))
		return hello_failed(s, 4003, "", s->authed ? CLAIM_NO_KEY :
		    NO_TOKEN);
	if (m->kind != PROTO_SETTINGS)
		return points(srv, s, m);
	h = &m->hello;
	if (h->error[0] != '\0')
		return hello_failed(s, 4001, "settings: ", h->error);
	if ((h->has & PROTO_HAS_CLIENT_ID) &&
	    strcmp(h->client_id, s->url_id) != 0)
		return hello_failed(s, 4001, "settings: ",
		    "client_id differs from the URL's");
	if ((h->has & PROTO_HAS_WINDOW) && h->window != s->url_window)
		return hello_failed(s, 4001, "settings: ",
		    "window differs from the URL's");
	if (h->has & PROTO_HAS_VERSION)
		s->v2 = 1;
	if (h->has & PROTO_HAS_DETAIL)
		s->detail = h->detail;
	if (s->deferred) {
		/* the URL's hello, held until the token came */
		full = *h;
		full.has |= PROTO_HAS_CLIENT_ID | PROTO_HAS_WINDOW;
		memcpy(full.client_id, s->url_id, sizeof(full.client_id));
		full.window = s->url_window;
		if (!(h->has & PROTO_HAS_PRESET) && s->url_preset >= 0) {
			full.has |= PROTO_HAS_PRESET;
			full.preset = s->url_preset;
		}
		s->deferred = 0;
		s->authed = 1;
		h = &full;
	} else if (!(h->has & (PROTO_HAS_DETECTORS | PROTO_HAS_VOTE |
	    PROTO_HAS_ALERT | PROTO_HAS_PARAMS | PROTO_HAS_CLAIM |
	    PROTO_HAS_PRESET)))
		h = NULL;
	if (h != NULL && (rc = hello(srv, s, s->url_id, h, &code, why,
	    sizeof(why))) == -1)
		return hello_failed(s, code,
		    code == 4001 ? "settings: " : "", why);
	if (rc == 0 && s->v2 && ready(srv, s) == -1)
		return close_now(s, 1011, "out of memory");
	return 0;
}

/* Reads URL argument name ("window=") into out: 1 when there, 0 when not,
 * -1 when its value does not fit in outlen bytes with its NUL.  lws stops
 * looking at the first argument longer than its buffer, so on a miss every
 * argument is read here. */
static int
url_arg(struct lws *wsi, const char *name, char *out, size_t outlen)
{
	char buf[PROTO_ID_MAX + 64], *frag;
	const char *v;
	size_t nlen = strlen(name), vlen;
	int i, flen, rc = 0;

	if ((v = lws_get_urlarg_by_name(wsi, name, buf, sizeof(buf))) ==
	    NULL) {
		for (i = 0; rc == 0 && (flen = lws_hdr_fragment_length(wsi,
		    WSI_TOKEN_HTTP_URI_ARGS, i)) > 0; i++) {
			if ((frag = malloc((size_t)flen + 1)) == NULL)
				return -1;
			if (lws_hdr_copy_fragment(wsi, frag, flen + 1,
			    WSI_TOKEN_HTTP_URI_ARGS, i) >= 0 &&
			    strncmp(frag, name, nlen) == 0) {
				vlen = strlen(frag + nlen);
				rc = vlen < outlen ? 1 : -1;
				if (rc == 1)
					memcpy(out, frag + nlen, vlen + 1);
			}
			free(frag);
		}
		return rc;
	}
	if ((vlen = strlen(v)) >= outlen)
		return -1;
	memcpy(out, v, vlen + 1);
	return 1;
}

/* A hello in the URL, if any.  Returns 0 or -1 to close. */
static int
url_hello(struct server *srv, struct session *s)
{
	struct proto_hello h;
	char win[16], ver[8], det[8], pre[32], why[PROTO_ERR_MAX];
	int hid, hwin, hver, hdet, hpre, code, rc;

	hid = url_arg(s->wsi, "client_id=", s->url_id, sizeof(s->url_id));
	hwin = url_arg(s->wsi, "window=", win, sizeof(win));
	hver = url_arg(s->wsi, "version=", ver, sizeof(ver));
	hdet = url_arg(s->wsi, "detail=", det, sizeof(det));
	hpre = url_arg(s->wsi, "preset=", pre, sizeof(pre));
	s->url_preset = -1;
	if (hid == 0 && hwin == 0 && hver == 0 && hdet == 0) {
		s->phase = PHASE_HELLO;
		return 0;
	}
	if (hid == 0)
		return hello_failed(s, 4001, "URL: ", "client_id missing");
	if (hid == -1 || proto_check_client_id(s->url_id, strlen(s->url_id),
	    why, sizeof(why)) == -1)
		return hello_failed(s, 4001, "URL: ", "client_id must be "
		    "1 to 64 bytes of A-Z a-z 0-9 . _ : -");
	if (hwin == 0)
		return hello_failed(s, 4001, "URL: ", "window missing");
	if (hwin == -1 || proto_parse_window(win, strlen(win),
	    srv->cfg.max_window, &s->url_window, why, sizeof(why)) == -1) {
		proto_parse_window("", 0, srv->cfg.max_window, &s->url_window,
		    why, sizeof(why));
		return hello_failed(s, 4001, "URL: ", why);
	}
	if (hver != 0 && (hver == -1 || strcmp(ver, "2") != 0))
		return hello_failed(s, 4001, "URL: ", "version must be 2");
	if (hdet == 1 && (strcmp(det, "1") == 0 || strcmp(det, "true") == 0))
		s->detail = 1;
	else if (hdet != 0 && !(hdet == 1 && (strcmp(det, "0") == 0 ||
	    strcmp(det, "false") == 0)))
		return hello_failed(s, 4001, "URL: ",
		    "detail must be 0 or 1");
	if (hpre != 0 && (hpre == -1 ||
	    (s->url_preset = detect_preset_by_name(pre)) == -1))
		return hello_failed(s, 4001, "URL: ", "unknown preset");
	s->v2 = hver == 1;
	if (!s->authed) {
		/* protocol 2 goes on at once; else a settings message may
		 * still bring the token: no takeover before it is checked */
		if (s->v2)
			return hello_failed(s, 4003, "", NO_TOKEN);
		s->deferred = 1;
		s->phase = PHASE_FIRST;
		return 0;
	}
	if (!s->v2 && claim_needs_key(srv, s, s->url_id)) {
		/* the settings message may still bring the key */
		s->deferred = 1;
		s->phase = PHASE_FIRST;
		return 0;
	}
	memset(&h, 0, sizeof(h));
	h.has = PROTO_HAS_CLIENT_ID | PROTO_HAS_WINDOW;
	memcpy(h.client_id, s->url_id, sizeof(h.client_id));
	h.window = s->url_window;
	if (s->url_preset >= 0) {
		h.has |= PROTO_HAS_PRESET;
		h.preset = s->url_preset;
	}
	if ((rc = hello(srv, s, s->url_id, &h, &code, why,
	    sizeof(why))) == -1)
		return hello_failed(s, code, code == 4001 ? "URL: " : "",
		    why);
	if (s->v2) {
		s->phase = PHASE_READY;
		if (rc == 0 && ready(srv, s) == -1)
			return close_now(s, 1011, "out of memory");
	} else
		s->phase = PHASE_FIRST;
	return 0;
}

/* Sets s->authed when no token is required, or when the URL (token=) or
 * an Authorization: Bearer header carries it. */
static void
url_token(struct server *srv, struct session *s)
{
	char buf[PROTO_TOKEN_MAX + 64];

	if (srv->cfg.token == NULL) {
		s->authed = 1;
		return;
	}
	if (url_arg(s->wsi, "token=", buf, PROTO_TOKEN_MAX + 1) == 1 &&
	    token_equal(srv, buf, strlen(buf)))
		s->authed = 1;
	explicit_bzero(buf, sizeof(buf));
	if (token_authorized(srv, s->wsi))
		s->authed = 1;
}

/* ---------------------------------------------------------- callbacks */

static int
established(struct server *srv, struct session *s, struct lws *wsi)
{
	int rc;

	s->wsi = wsi;
	STAILQ_INIT(&s->waiting);
	STAILQ_INIT(&s->sendq);
	s->born_ms = clock_wall_ms();
	s->wrote_ms = s->born_ms;	/* the stall rule's start */
	lws_get_peer_simple(wsi, s->peer, sizeof(s->peer));
	TAILQ_INSERT_TAIL(&srv->sessions, s, all);
	s->registered = 1;
	srv->nsessions++;
	logmsg(1, "connect %s", s->peer);
	if (guard_ws_open(srv, s) != 0)
		return close_now(s, 4029, "too many clients");
	url_token(srv, s);
	claim_url(srv, s);
	rc = url_hello(srv, s);
	guard_ws_seen(srv, s);
	return rc;
}

static int
handle(struct server *srv, struct session *s, const char *msg, size_t len)
{
	switch (s->phase) {
	case PHASE_HELLO:
		return hello_message(srv, s, msg, len);
	case PHASE_FIRST:
		return first_message(srv, s, msg, len);
	default:
		return points(srv, s, proto_parse(srv->parser, msg, len,
		    s->v2 ? PROTO_V2 : 0));
	}
}

/* The largest message s may send, judged by its first bytes a and b. */
static size_t
limit(const struct server *srv, const struct session *s, const char *a,
    size_t alen, const char *b, size_t blen)
{
	size_t i;
	char c = 0;

	for (i = 0; i < alen + blen; i++) {
		c = i < alen ? a[i] : b[i - alen];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
	}
	if (s->v2 && s->phase == PHASE_READY && c == '[' &&
	    srv->cfg.max_batch > srv->cfg.max_message)
		return srv->cfg.max_batch;
	return srv->cfg.max_message;
}

static int
receive(struct server *srv, struct session *s, const char *in, size_t len)
{
	size_t need, cap;
	char *p;
	int final, rc;

	if (s->close_code != 0)
		return 0;
	/* lws delivered more while a batch is judged in slices: it ends
	 * first, so that the replies keep their order */
	if (s->bactive && batch_go_on(srv, s, 1) == -1)
		return close_now(s, 1011, "out of memory");
	if (lws_frame_is_binary(s->wsi))
		return close_now(s, 1003, "binary frames are not accepted");
	final = lws_is_final_fragment(s->wsi) &&
	    lws_remaining_packet_payload(s->wsi) == 0;
	if (!s->in_msg && final) {
		if (len > limit(srv, s, in, len, NULL, 0))
			return close_now(s, 1009, "message too big");
		return handle(srv, s, in, len);
	}
	if (!s->in_msg)
		s->msg_ms = clock_wall_ms();	/* see ws_sweep() */
	s->in_msg = 1;
	need = s->rxlen + len;
	if (need > limit(srv, s, s->rx, s->rxlen, in, len))
		return close_now(s, 1009, "message too big");
	if (need > s->rxcap) {
		for (cap = s->rxcap ? s->rxcap : 4096; cap < need; cap *= 2)
			;
		if (budget_take(&srv->budget, cap - s->rxcap) == -1) {
			logmsg(0, "%s: message of %zu bytes so far refused: %s",
			    s->client != NULL ? s->client->id : s->peer, need,
			    BUDGET_REASON);
			return close_now(s, BUDGET_CODE, BUDGET_REASON);
		}
		if ((p = realloc(s->rx, cap)) == NULL) {
			budget_give(&srv->budget, cap - s->rxcap);
			return close_now(s, 1011, "out of memory");
		}
		s->rx = p;
		s->rxcap = cap;
	}
	if (len > 0)
		memcpy(s->rx + s->rxlen, in, len);
	s->rxlen = need;
	if (!final)
		return 0;
	s->in_msg = 0;
	rc = handle(srv, s, s->rx, s->rxlen);
	s->rxlen = 0;
	if (s->rxcap > RX_KEEP)
		rx_release(srv, s);
	return rc;
}

static int
writeable(struct server *srv, struct session *s)
{
	struct reply *r;
	int n;

	if ((r = STAILQ_FIRST(&s->sendq)) == NULL) {
		if (s->close_code != 0)
			return close_now(s, s->close_code,
			    s->close_reason);
		return 0;
	}
	STAILQ_REMOVE_HEAD(&s->sendq, entry);
	s->queued -= r->len;
	n = lws_write(s->wsi, (unsigned char *)r->mem + LWS_PRE, r->len,
	    LWS_WRITE_TEXT);
	free(r->mem);
	free(r->alt);
	if (n < (int)r->len) {
		free(r);
		logmsg(1, "%s: write failed", s->peer);
		return -1;
	}
	free(r);
	s->wrote_ms = clock_wall_ms();
	if (s->paused) {
		if (s->queued + s->held <= srv->cfg.max_pending / 8) {
			s->paused = 0;
			if (!s->bactive)	/* else when the batch ends */
				lws_rx_flow_control(s->wsi, 1);
		}
	}
	if (!STAILQ_EMPTY(&s->sendq) || s->close_code != 0)
		lws_callback_on_writable(s->wsi);
	return 0;
}

static void
closed(struct server *srv, struct session *s)
{
	if (!s->registered)
		return;
	logmsg(1, "disconnect %s", s->client != NULL ? s->client->id :
	    s->peer);
	client_detach(srv, s);
	replyq_free(&s->waiting);
	replyq_free(&s->sendq);
	if (s->is_dirty)
		TAILQ_REMOVE(&srv->dirty, s, dirty);
	if (s->is_kicked)
		TAILQ_REMOVE(&srv->kick, s, kick);
	TAILQ_REMOVE(&srv->sessions, s, all);
	srv->nsessions--;
	batch_drop(srv, s, 0);
	rx_release(srv, s);
	s->registered = 0;
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct server *srv = lws_context_user(lws_get_context(wsi));
	struct session *s = user;
	char uri[16];
	int n;

	switch (reason) {
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return guard_confirm_upgrade(srv, wsi);
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		if (srv->stopping ||
		    lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) < 0 ||
		    strcmp(uri, "/ws") != 0)
			return 1;
		return 0;
	case LWS_CALLBACK_ESTABLISHED:
		return established(srv, s, wsi);
	case LWS_CALLBACK_RECEIVE:
		srv->rx_us = clock_mono_us();
		n = receive(srv, s, in, len);
		guard_ws_seen(srv, s);
		return n;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return writeable(srv, s);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len >= 2)
			logmsg(1, "%s: peer closes with %d",
			    s->client != NULL ? s->client->id : s->peer,
			    ((unsigned char *)in)[0] << 8 |
			    ((unsigned char *)in)[1]);
		return 0;
	case LWS_CALLBACK_CLOSED:
		closed(srv, s);
		return 0;
	default:
		return 0;
	}
}

const struct lws_protocols ws_protocol = {
	.name = "anomaly",
	.callback = callback,
	.per_session_data_size = sizeof(struct session),
	.rx_buffer_size = 4096,
};
