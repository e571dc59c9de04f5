/*
 * reply.c: replies and their error alternatives (see reply.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "jsonbuf.h"
#include "reply.h"

/* REPLY_NOT_STORED as proto_format_error() writes it. */
static const char PLACEHOLDER[] = "\"error\":\"not stored: \\u0001\"";

void
replyq_free(struct replyq *q)
{
	struct reply *r;

	while ((r = STAILQ_FIRST(q)) != NULL) {
		STAILQ_REMOVE_HEAD(q, entry);
		free(r->mem);
		free(r->alt);
		free(r);
	}
}

/* The first placeholder in [p, end), or NULL. */
static const char *
find(const char *p, const char *end)
{
	size_t n = sizeof(PLACEHOLDER) - 1;

	for (; (size_t)(end - p) >= n; p++)
		if (*p == '"' && memcmp(p, PLACEHOLDER, n) == 0)
			return p;
	return NULL;
}

void
reply_fail(struct reply *r, const char *why)
{
	static const size_t plen = sizeof(PLACEHOLDER) - 1;
	struct jsonbuf e;
	char msg[300], *mem, *o;
	const char *t, *p, *end, *hit;
	size_t n = 0, elen;

	if (r->alt == NULL)
		return;
	snprintf(msg, sizeof(msg), "not stored: %s", why);
	jsonbuf_init(&e, 0);
	if (jsonbuf_put_string(&e, msg, strlen(msg)) == -1) {
		jsonbuf_free(&e);
		return;		/* the placeholder text stays */
	}
	elen = e.len + 8;	/* "error": and the string */
	t = r->alt + LWS_PRE;
	end = t + r->altlen;
	for (p = t; (hit = find(p, end)) != NULL; p = hit + plen)
		n++;
	if ((mem = malloc(LWS_PRE + r->altlen - n * plen + n * elen + 1)) ==
	    NULL) {
		jsonbuf_free(&e);
		return;
	}
	o = mem + LWS_PRE;
	for (p = t; p < end; p = hit + plen) {
		if ((hit = find(p, end)) == NULL) {
			memcpy(o, p, (size_t)(end - p));
			o += end - p;
			break;
		}
		memcpy(o, p, (size_t)(hit - p));
		o += hit - p;
		memcpy(o, "\"error\":", 8);
		memcpy(o + 8, jsonbuf_text(&e), e.len);
		o += elen;
	}
	*o = '\0';
	jsonbuf_free(&e);
	free(r->mem);
	free(r->alt);
	r->mem = mem;
	r->len = (size_t)(o - (mem + LWS_PRE));
	r->alt = NULL;
	r->altlen = 0;
}
