/*
 * http.h: the HTTP side of anomalyd (SPEC §5): /healthz, /metrics, the
 * JSON API, server-rendered pages and /static/ files, on the WebSocket's
 * port.  Every response carries a CSP and nosniff, lws's own too.  On a
 * loopback listener a foreign Host gets 403 (guard.c); a refused
 * WebSocket upgrade gets its status and the connection closes.  GET and HEAD are
 * served, and DELETE of /api/clients/{id}; other methods get 405 and the
 * connection is closed (their body is never read).
 */
#ifndef ANOMALYD_HTTP_H
#define ANOMALYD_HTTP_H

#include <libwebsockets.h>

#include "server.h"

/* protocols[0]: pages and the JSON API. */
extern const struct lws_protocols http_protocol;
/* The commit's deleted hook: answers the DELETE that waits for ticket. */
void http_deleted(struct server *srv, const char *id, uint64_t ticket,
    int found, int64_t points, const char *why);
/* The headers of every response, lws's own included: the vhost's
 * (lws_context_creation_info.headers). */
extern const struct lws_protocol_vhost_options *const http_headers;

#endif
