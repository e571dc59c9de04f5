/*
 * auth.c: the tokens of --token-file, --admin-token-file and
 * --read-token-file, and the read cookie (see auth.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

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

/* Whether the Authorization: Bearer header of wsi carries the read
 * token. */
static int
read_bearer(const struct server *srv, struct lws *wsi)
{
	char buf[PROTO_TOKEN_MAX + 64];
	const char *t;
	int ok = 0;

	if ((t = bearer(wsi, buf, sizeof(buf))) != NULL)
		ok = read_equal(srv, t, strlen(t));
	explicit_bzero(buf, sizeof(buf));
	return ok;
}

int
read_equal(const struct server *srv, const char *t, size_t len)
{
	return srv->cfg.read != NULL &&
	    same(srv->cfg.read, srv->cfg.read_len, t, len);
}

int
read_cookie(const struct server *srv, char out[READ_COOKIE_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0, i;

	out[0] = '\0';
	if (srv->cfg.read == NULL || HMAC(EVP_sha256(), srv->cfg.read,
	    (int)srv->cfg.read_len, (const unsigned char *)READ_COOKIE_LABEL,
	    sizeof(READ_COOKIE_LABEL) - 1, md, &mdlen) == NULL ||
	    mdlen * 2 != READ_COOKIE_LEN)
		return -1;
	for (i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	explicit_bzero(md, sizeof(md));
	return 0;
}

int
read_authorized(const struct server *srv, struct lws *wsi)
{
	char want[READ_COOKIE_LEN + 1], got[READ_COOKIE_LEN + 16];
	size_t max = sizeof(got);
	int ok;

	if (srv->cfg.read == NULL)
		return 1;
	if (read_bearer(srv, wsi))
		return 1;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_COOKIE) <= 0 ||
	    lws_http_cookie_get(wsi, READ_COOKIE, got, &max) != 0 ||
	    read_cookie(srv, want) == -1)
		return 0;
	ok = same(want, READ_COOKIE_LEN, got, strnlen(got, max));
	explicit_bzero(want, sizeof(want));
	explicit_bzero(got, sizeof(got));
	return ok;
}
