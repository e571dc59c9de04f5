/*
 * auth.c: the token of --token-file (see auth.h).
 */
#include <string.h>
#include <strings.h>

#include "auth.h"

int
token_equal(const struct server *srv, const char *t, size_t len)
{
	const volatile unsigned char *k =
	    (const volatile unsigned char *)srv->cfg.token;
	size_t i, klen = srv->cfg.token_len;
	unsigned d = len != klen;

	for (i = 0; i < klen; i++)
		d |= k[i] ^ (i < len ? (unsigned char)t[i] : 0u);
	return d == 0;
}

int
token_authorized(const struct server *srv, struct lws *wsi)
{
	char buf[PROTO_TOKEN_MAX + 64], *t;
	int n, ok = 0;

	if (srv->cfg.token == NULL)
		return 1;
	n = lws_hdr_copy(wsi, buf, sizeof(buf), WSI_TOKEN_HTTP_AUTHORIZATION);
	if (n > 7 && strncasecmp(buf, "Bearer ", 7) == 0) {
		for (t = buf + 7; *t == ' '; t++)
			;
		ok = token_equal(srv, t, strlen(t));
	}
	explicit_bzero(buf, sizeof(buf));
	return ok;
}
