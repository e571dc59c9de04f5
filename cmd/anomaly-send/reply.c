/*
 * reply.c: the server's replies, read with LEJP.
 */
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "reply.h"

#define SLICE		16	/* bytes per lejp_parse() call */
#define PATH_GUARD	100	/* longest key path let through */

struct reader {
	reply_cb	 cb;
	void		*arg;
	int		 depth;		/* objects and arrays open */
	int		 elem;		/* depth of the reply objects */
	int		 stop;		/* the callback's non-zero value */
	int		 bad;
	int		 in_error;	/* reading the "error" string */
	int		 in_last_ts;	/* reading "last_timestamp" */
	size_t		 elen;
	struct reply	 r;
};

/* The key path inside the reply object, or NULL when not in one. */
static const char *
key_of(const struct reader *rd, const struct lejp_ctx *ctx)
{
	const char *p = ctx->path;

	if (rd->elem == 2) {
		if (strncmp(p, "[].", 3) != 0)
			return NULL;
		p += 3;
	}
	return p;
}

static int64_t
to_int(const struct lejp_ctx *ctx)
{
	return strtoll(ctx->buf, NULL, 10);
}

static void
value(struct reader *rd, struct lejp_ctx *ctx, char reason)
{
	const char *k = key_of(rd, ctx);
	int truth = reason == LEJPCB_VAL_TRUE;
	int num = reason == LEJPCB_VAL_NUM_INT ||
	    reason == LEJPCB_VAL_NUM_FLOAT;
	struct reply *r = &rd->r;

	if (k == NULL)
		return;
	if (strcmp(k, "seq") == 0 && num)
		r->seq = to_int(ctx);
	else if (strcmp(k, "anomaly") == 0 && num) {
		r->anomaly = to_int(ctx) != 0;
		if (r->kind == REPLY_OTHER)
			r->kind = REPLY_VERDICT;
	} else if (strcmp(k, "alert") == 0 && num) {
		r->alert = to_int(ctx) != 0;
		r->has_alert = 1;
	} else if (strcmp(k, "score") == 0 && num) {
		r->score = strtod(ctx->buf, NULL);
		r->has_score = 1;
	} else if (strcmp(k, "warmup") == 0)
		r->warmup = truth;
	else if (strcmp(k, "duplicate") == 0 && num)
		r->duplicate = to_int(ctx) != 0;
	else if (strcmp(k, "ready") == 0 && truth)
		r->kind = REPLY_READY;
	else if (strcmp(k, "last_timestamp") == 0 &&
	    reason == LEJPCB_VAL_NULL)
		r->last_ts_kind = LAST_TS_NULL;
	else if (strcmp(k, "last_timestamp") == 0 && num) {
		r->last_ts_kind = LAST_TS_NUMBER;
		r->last_ts_len = strnlen(ctx->buf, sizeof(r->last_ts) - 1);
		memcpy(r->last_ts, ctx->buf, r->last_ts_len);
		r->last_ts[r->last_ts_len] = '\0';
	} else if (strcmp(k, "last_seq") == 0 && num)
		r->last_seq = to_int(ctx);
	else if (strcmp(k, "points") == 0 && num)
		r->points = (uint64_t)to_int(ctx);
	else if (strcmp(k, "window") == 0 && num)
		r->window = (uint32_t)to_int(ctx);
	else if (strncmp(k, "votes.", 6) == 0 && num &&
	    r->nvotes < REPLY_VOTES_MAX) {
		snprintf(r->vote_name[r->nvotes], REPLY_NAME_MAX, "%s", k + 6);
		r->vote[r->nvotes++] = to_int(ctx) != 0;
	}
}

static signed char
on_event(struct lejp_ctx *ctx, char reason)
{
	struct reader *rd = ctx->user;
	const char *k;
	size_t n;

	if (rd->stop || rd->bad)
		return -1;
	switch (reason) {
	case LEJPCB_ARRAY_START:
		if (rd->depth++ == 0)
			rd->elem = 2;
		return 0;
	case LEJPCB_OBJECT_START:
		if (rd->depth++ == 0)
			rd->elem = 1;
		if (rd->depth == rd->elem) {
			memset(&rd->r, 0, sizeof(rd->r));
			rd->r.kind = REPLY_OTHER;
		} else if (rd->depth == 1)
			rd->bad = 1;	/* [ at the top was not seen */
		return 0;
	case LEJPCB_OBJECT_END:
		if (rd->depth-- == rd->elem &&
		    (rd->stop = rd->cb(rd->arg, &rd->r)) != 0)
			return -1;
		return 0;
	case LEJPCB_ARRAY_END:
		rd->depth--;
		return 0;
	case LEJPCB_VAL_STR_START:
		k = key_of(rd, ctx);
		rd->in_error = k != NULL && strcmp(k, "error") == 0 &&
		    rd->depth == rd->elem;
		rd->in_last_ts = k != NULL &&
		    strcmp(k, "last_timestamp") == 0 && rd->depth == rd->elem;
		rd->elen = 0;
		if (rd->in_last_ts) {
			rd->r.last_ts_kind = LAST_TS_STRING;
			rd->r.last_ts_len = 0;
			rd->r.last_ts[0] = '\0';
		}
		return 0;
	case LEJPCB_VAL_STR_CHUNK:
	case LEJPCB_VAL_STR_END:
		if (rd->in_last_ts) {
			struct reply *r = &rd->r;

			n = ctx->npos;
			if (n > sizeof(r->last_ts) - 1 - r->last_ts_len)
				n = sizeof(r->last_ts) - 1 - r->last_ts_len;
			memcpy(r->last_ts + r->last_ts_len, ctx->buf, n);
			r->last_ts_len += n;
			r->last_ts[r->last_ts_len] = '\0';
			if (reason == LEJPCB_VAL_STR_END)
				rd->in_last_ts = 0;
		}
		if (rd->in_error) {
			n = ctx->npos;
			if (n > sizeof(rd->r.error) - 1 - rd->elen)
				n = sizeof(rd->r.error) - 1 - rd->elen;
			memcpy(rd->r.error + rd->elen, ctx->buf, n);
			rd->elen += n;
			rd->r.error[rd->elen] = '\0';
			if (reason == LEJPCB_VAL_STR_END) {
				rd->in_error = 0;
				if (rd->r.kind != REPLY_READY)
					rd->r.kind = REPLY_ERROR;
			}
		}
		return 0;
	case LEJPCB_VAL_TRUE:
	case LEJPCB_VAL_FALSE:
	case LEJPCB_VAL_NULL:
	case LEJPCB_VAL_NUM_INT:
	case LEJPCB_VAL_NUM_FLOAT:
		if (rd->depth >= rd->elem)
			value(rd, ctx, reason);
		return 0;
	default:
		return 0;
	}
}

int
reply_read(const char *msg, size_t len, reply_cb cb, void *arg)
{
	struct reader rd;
	struct lejp_ctx ctx;
	size_t pos = 0, n;
	int r = LEJP_CONTINUE;

	memset(&rd, 0, sizeof(rd));
	rd.cb = cb;
	rd.arg = arg;
	lejp_construct(&ctx, on_event, &rd, NULL, 0);
	while (pos < len) {
		n = len - pos < SLICE ? len - pos : SLICE;
		r = lejp_parse(&ctx, (const unsigned char *)msg + pos, (int)n);
		pos += n;
		if (r != LEJP_CONTINUE || ctx.pst[0].ppos > PATH_GUARD)
			break;
	}
	lejp_destruct(&ctx);
	if (rd.stop)
		return rd.stop;
	if (rd.bad || r < 0 || ctx.pst[0].ppos > PATH_GUARD)
		return -1;
	return 0;
}
