/*
 * guard.h: who may connect and how many (issue 16): connections per peer
 * address (--max-per-addr), WebSocket handshakes not yet past their hello
 * (--max-handshakes) apart from clients (--max-clients), descriptors held
 * back for HTTP and health checks, the Host of a request on a loopback
 * listener and the Origin of a WebSocket handshake (--allow-origin).
 *
 * Every accepted connection has a record (found by its wsi) in
 * one state: idle (no request yet, or between keep-alive requests),
 * serving HTTP, a pending handshake (a WebSocket without its hello) or a
 * client.  Refusals are logged at most once a second per limit.
 */
#ifndef ANOMALYD_GUARD_H
#define ANOMALYD_GUARD_H

#include <sys/socket.h>

#include <libwebsockets.h>

#include "server.h"

/* Sets up the guard of srv, for a listener that is loopback only or not
 * and lws's fd_limit_per_thread of fd_limit; 0, or -1 out of memory. */
int guard_init(struct server *srv, int loopback, unsigned fd_limit);
/* Frees it, after the lws context. */
void guard_free(struct server *srv);

/* LWS_CALLBACK_FILTER_NETWORK_CONNECTION: 0 to accept the peer sa, -1 to
 * refuse it (its address has --max-per-addr connections, or no descriptor
 * can be freed).  May drop the oldest idle connection to make room. */
int guard_accept(struct server *srv, const struct sockaddr *sa);
/* LWS_CALLBACK_WSI_CREATE and LWS_CALLBACK_WSI_DESTROY: the record of an
 * accepted connection made and freed. */
void guard_created(struct server *srv, struct lws *wsi);
void guard_destroyed(struct server *srv, struct lws *wsi);
/* An HTTP request began on wsi (it is no longer idle), or ended with the
 * connection kept alive (idle again). */
void guard_request(struct lws *wsi);
void guard_idle(struct lws *wsi);

/* 0 when the Host of the request on wsi may be served, else 403 with why:
 * on a loopback listener a Host that is not localhost, 127.x.y.z or [::1]
 * (with or without a port) is refused (DNS rebinding). */
int guard_host(struct server *srv, struct lws *wsi, const char **why);
/* 0 when the WebSocket upgrade on wsi may go on, else its HTTP status
 * with why: 403 (Host, or an Origin not the server's own nor allowed by
 * --allow-origin) or 503 (--max-handshakes pending for less than a
 * second, or the descriptors left held back for HTTP).  With
 * --max-handshakes pending, the oldest is closed when older. */
int guard_upgrade(struct server *srv, struct lws *wsi, const char **why);
/* LWS_CALLBACK_HTTP_CONFIRM_UPGRADE (it comes to the default protocol,
 * ws.c's): 0 to let the upgrade go on, or guard_upgrade()'s refusal
 * written and -1 (close). */
int guard_confirm_upgrade(struct server *srv, struct lws *wsi);
/* Writes the whole answer of status, text why, on wsi at once, for a
 * connection that closes after it: an upgrade refused (raw 0) or a
 * CONNECT that lws made a raw socket (raw 1).  Returns -1: close. */
int guard_refuse(struct lws *wsi, int status, const char *why, int raw);
/* LWS_CALLBACK_RAW_RX of a connection lws could not read as HTTP (in, len
 * its first bytes; main.c asks lws for that fallback on a plain-text
 * port): CONNECT gets 405; a TLS ClientHello is logged (at most one line a
 * second, with the count of the others) as TLS on a plain-text port.
 * Returns -1: the connection is closed. */
int guard_raw(struct server *srv, struct lws *wsi, const void *in,
    size_t len);

/* ws.c.  A session began: it is a pending handshake.  Returns 0, or 4029
 * when --max-clients clients are connected. */
int guard_ws_open(struct server *srv, struct session *s);
/* Whether a session not yet a client may become one (fewer than
 * --max-clients clients). */
int guard_client_room(const struct server *srv);
/* After each message or hello: a session with a client is no longer a
 * pending handshake. */
void guard_ws_seen(struct server *srv, struct session *s);
/* How long a session may wait for its hello now, in ms: --hello-timeout,
 * or at most HANDSHAKE_BUSY_MS while over half of --max-handshakes are
 * pending. */
int64_t guard_hello_ms(const struct server *srv);

#endif
