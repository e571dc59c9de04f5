/*
 * auth.h: the token of --token-file, as a WebSocket hello (SPEC §2) or a
 * DELETE (SPEC §5) shows it.
 */
#ifndef ANOMALYD_AUTH_H
#define ANOMALYD_AUTH_H

#include <stddef.h>

#include <libwebsockets.h>

#include "server.h"

/* Whether the len bytes at t are the token of --token-file, in a time that
 * depends only on the token's length. */
int token_equal(const struct server *srv, const char *t, size_t len);
/* Whether the request of wsi may act: no token is required, or its
 * Authorization: Bearer header carries it (compared with token_equal()). */
int token_authorized(const struct server *srv, struct lws *wsi);

#endif
