/*
 * auth.h: the token of --token-file and the operator token of
 * --admin-token-file, as a WebSocket hello (SPEC §2) or a DELETE (SPEC §5)
 * shows them.  The operator token is accepted wherever the token is.
 * The read token of --read-token-file, which every HTTP read shows, as
 * Authorization: Bearer or as the cookie the login page sets; it is
 * accepted for reading only, and only it is.
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

/* The name of the read cookie, and the length of its value: hex of
 * HMAC-SHA-256 keyed by the read token over READ_COOKIE_LABEL, so that the
 * cookie is not the token, changes with the token (rotating it logs every
 * browser out), and is the same on every anomalyd that reads the same
 * token file, across restarts: one login serves all the shards of a
 * cluster. */
#define READ_COOKIE	"anomalyd_read"
#define READ_COOKIE_LABEL	"anomalyd read cookie 1"
#define READ_COOKIE_LEN	64
/* Whether the len bytes at t are the read token, in a time that depends
 * only on its length (0 when there is none). */
int read_equal(const struct server *srv, const char *t, size_t len);
/* The value of the read cookie into out; -1 without a read token or when
 * the HMAC fails. */
int read_cookie(const struct server *srv, char out[READ_COOKIE_LEN + 1]);
/* Whether the request of wsi may read: no read token is set, or its
 * Authorization: Bearer header carries it, or its read cookie is
 * read_cookie()'s, compared in constant time. */
int read_authorized(const struct server *srv, struct lws *wsi);

#endif
