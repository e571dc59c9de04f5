/*
 * auth.c: the tokens of --token-file and --admin-token-file (see auth.h).
 */
#include <string.h>
#include <strings.h>

#include "auth.h"

/* Whether the len bytes at t are the klen bytes at k, in a time that
 * depends only on klen. */
static int
same(const char *k, size_t klen, const char *t, size_t len)
{
	const volatile unsigned char *v = (const volatile unsigned char *)k;
	size_t i;
	unsigned d = len != klen;

	for (i = 0; i < klen; i++)
		d |= v[i] ^ (i < len ? (unsigned char)t[i] : 0u);
	return d == 0;
}

int
admin_equal(const struct server *srv, const char *t, size_t len)
{
	return srv->cfg.admin != NULL &&
	    same(srv->cfg.admin, srv->cfg.admin_len, t, len);
}

int
token_equal(const struct server *srv, const char *t, size_t len)
{
	int tok = srv->cfg.token != NULL &&
	    same(srv->cfg.token, srv->cfg.token_len, t, len);

	return admin_equal(srv, t, len) | tok;
}

/* The token of wsi's Authorization: Bearer header, into buf (size
 * bytes); returns it, or NULL when there is none. */
static const char *
bearer(struct lws *wsi, char *buf, int size)
{
	char *t;
	int n;

	n = lws_hdr_copy(wsi, buf, size, WSI_TOKEN_HTTP_AUTHORIZATION);
	if (n <= 7 || strncasecmp(buf, "Bearer ", 7) != 0)
		return NULL;
	for (t = buf + 7; *t == ' '; t++)
		;
	return t;
}

int
token_authorized(const struct server *srv, struct lws *wsi)
{
	char buf[PROTO_TOKEN_MAX + 64];
	const char *t;
	int ok = 0;

	if (srv->cfg.token == NULL)
		return 1;
	if ((t = bearer(wsi, buf, sizeof(buf))) != NULL)
		ok = token_equal(srv, t, strlen(t));
	explicit_bzero(buf, sizeof(buf));
	return ok;
}

int
admin_authorized(const struct server *srv, struct lws *wsi)
{
	char buf[PROTO_TOKEN_MAX + 64];
	const char *t;
	int ok = 0;

	if (srv->cfg.admin == NULL)
		return 0;
	if ((t = bearer(wsi, buf, sizeof(buf))) != NULL)
		ok = admin_equal(srv, t, strlen(t));
	explicit_bzero(buf, sizeof(buf));
	return ok;
}
