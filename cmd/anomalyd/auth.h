/*
 * auth.h: the token of --token-file and the operator token of
 * --admin-token-file, as a WebSocket hello (SPEC §2) or a DELETE (SPEC §5)
 * shows them.  The operator token is accepted wherever the token is.
 */
#ifndef ANOMALYD_AUTH_H
#define ANOMALYD_AUTH_H

#include <stddef.h>

#include <libwebsockets.h>

#include "server.h"

/* Whether the len bytes at t are the token of --token-file or the
 * operator token, in a time that depends only on the tokens' lengths. */
int token_equal(const struct server *srv, const char *t, size_t len);
/* Whether the len bytes at t are the operator token of
 * --admin-token-file (0 when there is none), in a time that depends only
 * on its length. */
int admin_equal(const struct server *srv, const char *t, size_t len);
/* Whether the request of wsi may act: no --token-file token is set, or
 * its Authorization: Bearer header carries it or the operator token
 * (token_equal()). */
int token_authorized(const struct server *srv, struct lws *wsi);
/* Whether the Authorization: Bearer header of wsi carries the operator
 * token (0 when there is none). */
int admin_authorized(const struct server *srv, struct lws *wsi);

#endif
