/*
 * guard.c: who may connect and how many (see guard.h).
 */
#include <sys/queue.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "guard.h"
#include "log.h"

#define HANDSHAKE_BUSY_MS 2000	/* the hello deadline under pressure */
#define HANDSHAKE_GRACE_MS 1000	/* a pending handshake is not closed for
				 * a newer one before this age */
#define FD_LWS		4	/* lws's own: listen sockets, its pipe */

enum conn_state { C_IDLE, C_HTTP, C_PENDING, C_CLIENT, C_DOOMED };

/* The connections of one peer address. */
struct peer {
	struct peer	*next;
	unsigned char	 addr[16];	/* IPv4 as ::ffff:a.b.c.d */
	uint32_t	 n;
};

/* An accepted connection. */
struct conn {
	struct conn	*hnext;		/* in its bucket of conns */
	TAILQ_ENTRY(conn) q;		/* in idle or pending, by age */
	struct peer	*peer;
	struct lws	*wsi;
	struct session	*sess;		/* pending or client */
	int64_t		 since_ms;	/* entered its state */
	enum conn_state	 state;
};
TAILQ_HEAD(connq, conn);

enum limit { L_PER_ADDR, L_FDS, L_HANDSHAKES, L_UPGRADE_FDS, L_HOST,
    L_ORIGIN, L_TLS, L_NLIMITS };

struct guard {
	struct peer	**buckets;
	size_t		 nbuckets;
	struct conn	**conns;	/* by wsi (lws resets the opaque
					 * user data after WSI_CREATE) */
	size_t		 nconnb;
	struct connq	 idle, pending;
	size_t		 nconns, npending, nclients;
	unsigned char	 next_addr[16];	/* accepted, its wsi to come */
	int		 has_next;
	size_t		 budget;	/* connections lws can hold */
	size_t		 reserve;	/* of them, only for HTTP */
	int		 loopback;
	int64_t		 logged_ms[L_NLIMITS];
	unsigned long	 quiet[L_NLIMITS];	/* refusals not logged */
};

/* ------------------------------------------------------------ logging */

/* One line for a refusal by limit l: at most one a second per limit, the
 * count of those left unsaid since in the next. */
static void __attribute__((format(printf, 3, 4)))
refused(struct guard *g, enum limit l, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int64_t now = clock_mono_us() / 1000;

	if (g->logged_ms[l] != 0 && now - g->logged_ms[l] < 1000) {
		g->quiet[l]++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (g->quiet[l] > 0)
		logmsg(0, "%s (and %lu more in the last %lld ms)", line,
		    g->quiet[l], (long long)(now - g->logged_ms[l]));
	else
		logmsg(0, "%s", line);
	g->logged_ms[l] = now;
	g->quiet[l] = 0;
}

/* -------------------------------------------------------------- peers */

/* The address of sa as 16 bytes (IPv4 mapped); -1 for another family. */
static int
addr_of(const struct sockaddr *sa, unsigned char out[16])
{
	memset(out, 0, 16);
	if (sa->sa_family == AF_INET) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &((const struct sockaddr_in *)(const void *)
		    sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)(const void *)
		    sa)->sin6_addr, 16);
		return 0;
	}
	return -1;
}

/* Address a as text into buf: dotted for IPv4, else IPv6. */
static void
addr_text(const unsigned char a[16], char *buf, size_t len)
{
	static const unsigned char v4[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	if (memcmp(a, v4, 12) == 0)
		inet_ntop(AF_INET, a + 12, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, a, buf, (socklen_t)len);
}

/* The bucket of address a (FNV-1a). */
static size_t
addr_hash(const struct guard *g, const unsigned char a[16])
{
	uint64_t h = 1469598103934665603ULL;
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ a[i]) * 1099511628211ULL;
	return (size_t)(h % g->nbuckets);
}

/* The peer of address a, made with create when there is none. */
static struct peer *
peer_find(struct guard *g, const unsigned char a[16], int create)
{
	struct peer *p, **b = &g->buckets[addr_hash(g, a)];

	for (p = *b; p != NULL; p = p->next)
		if (memcmp(p->addr, a, 16) == 0)
			return p;
	if (!create || (p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	memcpy(p->addr, a, 16);
	p->next = *b;
	*b = p;
	return p;
}

/* One connection of p less; p is freed with its last. */
static void
peer_put(struct guard *g, struct peer *p)
{
	struct peer **pp;

	if (--p->n > 0)
		return;
	for (pp = &g->buckets[addr_hash(g, p->addr)]; *pp != p;
	    pp = &(*pp)->next)
		;
	*pp = p->next;
	free(p);
}

/* -------------------------------------------------------------- conns */

/* The bucket of the record of wsi. */
static struct conn **
conn_slot(struct guard *g, const struct lws *wsi)
{
	uintptr_t h = (uintptr_t)wsi;

	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15ULL;
	return &g->conns[(h >> 20) % g->nconnb];
}

/* The record of wsi, or NULL. */
static struct conn *
conn_of(struct guard *g, const struct lws *wsi)
{
	struct conn *c;

	if (g == NULL)
		return NULL;
	for (c = *conn_slot(g, wsi); c != NULL && c->wsi != wsi; c = c->hnext)
		;
	return c;
}

/* -------------------------------------------------------------- state */

/* Moves c to state st, keeping the counts and queues. */
static void
set_state(struct guard *g, struct conn *c, enum conn_state st)
{
	if (c->state == C_IDLE)
		TAILQ_REMOVE(&g->idle, c, q);
	else if (c->state == C_PENDING) {
		TAILQ_REMOVE(&g->pending, c, q);
		g->npending--;
	} else if (c->state == C_CLIENT)
		g->nclients--;
	c->state = st;
	c->since_ms = clock_mono_us() / 1000;
	if (st == C_IDLE)
		TAILQ_INSERT_TAIL(&g->idle, c, q);
	else if (st == C_PENDING) {
		TAILQ_INSERT_TAIL(&g->pending, c, q);
		g->npending++;
	} else if (st == C_CLIENT)
		g->nclients++;
}

int
guard_init(struct server *srv, int loopback, unsigned fd_limit)
{
	struct guard *g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return -1;
	g->nbuckets = 1021;
	g->nconnb = 16381;
	if ((g->buckets = calloc(g->nbuckets, sizeof(*g->buckets))) == NULL ||
	    (g->conns = calloc(g->nconnb, sizeof(*g->conns))) == NULL) {
		free(g->buckets);
		free(g);
		return -1;
	}
	TAILQ_INIT(&g->idle);
	TAILQ_INIT(&g->pending);
	g->loopback = loopback;
	g->budget = fd_limit > FD_LWS + 8 ? fd_limit - FD_LWS : 8;
	g->reserve = 8 + g->budget / 32;
	if (g->reserve > g->budget / 2)
		g->reserve = g->budget / 2;
	srv->guard = g;
	return 0;
}

void
guard_free(struct server *srv)
{
	struct guard *g = srv->guard;
	struct peer *p, *next;
	struct conn *c;
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->nbuckets; i++)
		for (p = g->buckets[i]; p != NULL; p = next) {
			next = p->next;
			free(p);
		}
	for (i = 0; i < g->nconnb; i++)
		while ((c = g->conns[i]) != NULL) {
			g->conns[i] = c->hnext;
			free(c);
		}
	free(g->conns);
	free(g->buckets);
	free(g);
	srv->guard = NULL;
}

/* ------------------------------------------------------------- accept */

int
guard_accept(struct server *srv, const struct sockaddr *sa)
{
	struct guard *g = srv->guard;
	struct peer *p;
	struct conn *c;
	char text[INET6_ADDRSTRLEN];

	g->has_next = 0;
	if (srv->stopping || addr_of(sa, g->next_addr) == -1)
		return -1;
	if ((p = peer_find(g, g->next_addr, 0)) != NULL &&
	    p->n >= srv->cfg.max_per_addr) {
		addr_text(g->next_addr, text, sizeof(text));
		refused(g, L_PER_ADDR, "refused a connection from %s: "
		    "--max-per-addr %u reached", text, srv->cfg.max_per_addr);
		return -1;
	}
	if (g->nconns + 1 >= g->budget - g->reserve) {
		/* the reserve is for requests: the idle go first */
		if ((c = TAILQ_FIRST(&g->idle)) != NULL) {
			set_state(g, c, C_DOOMED);
			lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK,
			    LWS_TO_KILL_ASYNC);
			refused(g, L_FDS, "descriptors: %zu connections of "
			    "%zu: closed the oldest idle one", g->nconns,
			    g->budget);
		} else if (g->nconns + 1 >= g->budget) {
			refused(g, L_FDS, "refused a connection: descriptors:"
			    " all %zu in use", g->budget);
			return -1;
		}
	}
	g->has_next = 1;
	return 0;
}

void
guard_created(struct server *srv, struct lws *wsi)
{
	struct guard *g = srv->guard;
	struct conn *c, **slot;

	if (g == NULL || !g->has_next)
		return;		/* a listen socket */
	g->has_next = 0;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return;
	if ((c->peer = peer_find(g, g->next_addr, 1)) == NULL) {
		free(c);
		return;
	}
	c->peer->n++;
	c->wsi = wsi;
	c->state = C_HTTP;
	set_state(g, c, C_IDLE);
	g->nconns++;
	slot = conn_slot(g, wsi);
	c->hnext = *slot;
	*slot = c;
}

void
guard_destroyed(struct server *srv, struct lws *wsi)
{
	struct guard *g = srv->guard;
	struct conn *c, **pp;

	if (g == NULL)
		return;
	for (pp = conn_slot(g, wsi); *pp != NULL && (*pp)->wsi != wsi;
	    pp = &(*pp)->hnext)
		;
	if ((c = *pp) == NULL)
		return;
	*pp = c->hnext;
	set_state(g, c, C_DOOMED);
	peer_put(g, c->peer);
	g->nconns--;
	free(c);
}

void
guard_request(struct lws *wsi)
{
	struct server *srv = lws_context_user(lws_get_context(wsi));
	struct conn *c = conn_of(srv->guard, wsi);

	if (c != NULL && c->state == C_IDLE)
		set_state(srv->guard, c, C_HTTP);
}

void
guard_idle(struct lws *wsi)
{
	struct server *srv = lws_context_user(lws_get_context(wsi));
	struct conn *c = conn_of(srv->guard, wsi);

	if (c != NULL && c->state == C_HTTP)
		set_state(srv->guard, c, C_IDLE);
}

/* ------------------------------------------------------ host, origin */

/* Whether h (a Host header, len bytes) names this machine: localhost,
 * 127.x.y.z or [::1], each with an optional :port. */
static int
loopback_host(const char *h, size_t len)
{
	char name[64];
	struct in_addr a4;
	const char *colon;
	size_t n = len, i;

	if (len > 0 && h[0] == '[') {
		for (n = 1; n < len && h[n] != ']'; n++)
			;
		if (n == len || n - 1 != 3 || strncmp(h + 1, "::1", 3) != 0)
			return 0;
		n++;
	} else if ((colon = memchr(h, ':', len)) != NULL)
		n = (size_t)(colon - h);
	if (n < len) {
		if (h[n] != ':' || n + 1 == len)
			return 0;
		for (i = n + 1; i < len; i++)
			if (h[i] < '0' || h[i] > '9')
				return 0;
	}
	if (h[0] == '[')
		return 1;
	if (n == 0 || n >= sizeof(name))
		return 0;
	memcpy(name, h, n);
	name[n] = '\0';
	if (name[n - 1] == '.')
		name[n - 1] = '\0';
	if (strcasecmp(name, "localhost") == 0)
		return 1;
	return inet_pton(AF_INET, name, &a4) == 1 &&
	    (ntohl(a4.s_addr) >> 24) == 127;
}

int
guard_host(struct server *srv, struct lws *wsi, const char **why)
{
	char host[256];
	int n;

	if (!srv->guard->loopback ||
	    lws_hdr_total_length(wsi, WSI_TOKEN_HOST) == 0)
		return 0;	/* no Host: not a browser's request */
	if ((n = lws_hdr_copy(wsi, host, sizeof(host), WSI_TOKEN_HOST)) > 0 &&
	    loopback_host(host, (size_t)n))
		return 0;
	refused(srv->guard, L_HOST, "refused a request for Host '%.64s': "
	    "this server listens on loopback only", n > 0 ? host : "?");
	*why = "this server answers to localhost, 127.0.0.1 and [::1] only";
	return 403;
}

/* Whether origin o is the server's own: scheme://Host of the request. */
static int
own_origin(struct lws *wsi, const char *o)
{
	char host[256];
	const char *rest;
	int n;

	if (strncasecmp(o, "http://", 7) == 0)
		rest = o + 7;
	else if (strncasecmp(o, "https://", 8) == 0)
		rest = o + 8;
	else
		return 0;
	if ((n = lws_hdr_copy(wsi, host, sizeof(host), WSI_TOKEN_HOST)) <= 0)
		return 0;
	return strcasecmp(rest, host) == 0;
}

int
guard_upgrade(struct server *srv, struct lws *wsi, const char **why)
{
	struct guard *g = srv->guard;
	struct conn *old;
	char origin[512];
	size_t i, n;
	int status;

	if ((status = guard_host(srv, wsi, why)) != 0)
		return status;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) > 0) {
		if (lws_hdr_copy(wsi, origin, sizeof(origin),
		    WSI_TOKEN_ORIGIN) < 0)
			origin[0] = '\0';
		n = strlen(origin);
		if (n > 0 && origin[n - 1] == '/')
			origin[--n] = '\0';
		for (i = 0; i < srv->cfg.nallow_origin; i++)
			if (strcmp(srv->cfg.allow_origin[i], "*") == 0 ||
			    strcasecmp(srv->cfg.allow_origin[i], origin) == 0)
				break;
		if (i == srv->cfg.nallow_origin && !own_origin(wsi, origin)) {
			refused(g, L_ORIGIN, "refused a WebSocket from origin "
			    "'%.64s': not this server's (see --allow-origin)",
			    origin);
			*why = "cross-origin WebSocket refused";
			return 403;
		}
	}
	if (g->npending >= srv->cfg.max_handshakes) {
		/* the oldest goes, unless it is young: a burst of clients
		 * is not closed before their hellos can come */
		old = TAILQ_FIRST(&g->pending);
		if (clock_mono_us() / 1000 - old->since_ms <
		    HANDSHAKE_GRACE_MS) {
			refused(g, L_HANDSHAKES, "refused a WebSocket: "
			    "--max-handshakes %u pending, all for less than "
			    "%d ms", srv->cfg.max_handshakes,
			    HANDSHAKE_GRACE_MS);
			*why = "too many handshakes";
			return 503;
		}
		refused(g, L_HANDSHAKES, "--max-handshakes %u pending: closed "
		    "the oldest, from %s", srv->cfg.max_handshakes,
		    old->sess != NULL ? old->sess->peer : "?");
		set_state(g, old, C_DOOMED);
		lws_set_timeout(old->wsi, PENDING_TIMEOUT_USER_OK,
		    LWS_TO_KILL_ASYNC);
	}
	if (g->npending + g->nclients >= g->budget - g->reserve) {
		refused(g, L_UPGRADE_FDS, "refused a WebSocket: descriptors: "
		    "%zu WebSockets, the last %zu of %zu descriptors are for "
		    "HTTP", g->npending + g->nclients, g->reserve, g->budget);
		*why = "too many connections";
		return 503;
	}
	return 0;
}

/* ---------------------------------------------------------- WebSocket */

int
guard_ws_open(struct server *srv, struct session *s)
{
	struct guard *g = srv->guard;
	struct conn *c = conn_of(g, s->wsi);

	if (c == NULL)
		return 0;
	c->sess = s;
	if (!guard_client_room(srv)) {
		refused(g, L_HANDSHAKES, "refused a WebSocket from %s: "
		    "--max-clients %u connected", s->peer,
		    srv->cfg.max_clients);
		set_state(g, c, C_HTTP);
		return 4029;
	}
	set_state(g, c, C_PENDING);
	return 0;
}

int
guard_client_room(const struct server *srv)
{
	return srv->guard->nclients < srv->cfg.max_clients;
}

void
guard_ws_seen(struct server *srv, struct session *s)
{
	struct conn *c;

	if (s->client == NULL || s->wsi == NULL ||
	    (c = conn_of(srv->guard, s->wsi)) == NULL ||
	    c->state != C_PENDING)
		return;
	set_state(srv->guard, c, C_CLIENT);
}

int64_t
guard_hello_ms(const struct server *srv)
{
	int64_t ms = (int64_t)srv->cfg.hello_timeout * 1000;

	if (2 * srv->guard->npending > srv->cfg.max_handshakes &&
	    ms > HANDSHAKE_BUSY_MS)
		ms = HANDSHAKE_BUSY_MS;
	return ms;
}

/* -------------------------------------------------------- refusals */

int
guard_refuse(struct lws *wsi, int status, const char *why, int raw)
{
	unsigned char buf[LWS_PRE + 2048], *start = buf + LWS_PRE, *p = start,
	    *end = buf + sizeof(buf) - 1;
	char body[256];
	int n;

	n = snprintf(body, sizeof(body), "%d: %s\n", status, why);
	if (n < 0 || (size_t)n >= sizeof(body))
		n = (int)sizeof(body) - 1;
	logmsg(2, "http %s %d", raw ? "CONNECT" : "upgrade", status);
	if (lws_add_http_common_headers(wsi, (unsigned)status,
	    "text/plain; charset=utf-8", (lws_filepos_t)n, &p, end) ||
	    (status == 405 && lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"allow:", (const unsigned char *)
	    "GET, HEAD, DELETE", 17, &p, end)) ||
	    (status == 503 && lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"retry-after:", (const unsigned char *)"1",
	    1, &p, end)) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)
	    "connection:", (const unsigned char *)"close", 5, &p, end) ||
	    lws_finalize_http_header(wsi, &p, end) || end - p < n)
		return -1;
	memcpy(p, body, (size_t)n);
	p += n;
	lws_write(wsi, start, (size_t)(p - start), raw ? LWS_WRITE_RAW :
	    LWS_WRITE_HTTP_FINAL);
	return -1;
}

int
guard_raw(struct server *srv, struct lws *wsi, const void *in, size_t len)
{
	const unsigned char *b = in;
	char peer[64] = "";

	if (len >= 7 && memcmp(b, "CONNECT", 7) == 0)
		return guard_refuse(wsi, 405, "only GET, HEAD and DELETE are "
		    "served", 1);
	/* a TLS record of type handshake, version 3.x: a ClientHello */
	if (len >= 3 && b[0] == 0x16 && b[1] == 0x03) {
		lws_get_peer_simple(wsi, peer, sizeof(peer));
		refused(srv->guard, L_TLS, "TLS from %s on this plain-text "
		    "port, refused: it serves http:// and ws:// (or start "
		    "anomalyd with --tls-cert and --tls-key)", peer);
	}
	return -1;
}

int
guard_confirm_upgrade(struct server *srv, struct lws *wsi)
{
	const char *why = NULL;
	int status;

	guard_request(wsi);
	if (srv->stopping)
		return -1;
	if ((status = guard_upgrade(srv, wsi, &why)) == 0)
		return 0;
	return guard_refuse(wsi, status, why, 0);
}
