/*
 * reply.c: the server's replies, read with lib/json (strict JSON over
 * LEJP, SPEC §11).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "reply.h"

struct reader {
	reply_cb	 cb;
	void		*arg;
	int		 depth;		/* objects and arrays open */
	int		 elem;		/* depth of the reply objects */
	int		 stop;		/* the callback's non-zero value */
	int		 bad;
	int		 in_error;	/* reading the "error" string */
	int		 in_last_ts;	/* reading "last_timestamp" */
	char		*sdst;		/* reading "key" or "claim" into */
	size_t		 scap, slen;
	size_t		 elen;
	struct reply	 r;
};

/* The key path inside the reply object, or NULL when not in one. */
static const char *
key_of(const struct reader *rd, const struct json_event *ev)
{
	const char *p = ev->path;

	if (rd->elem == 2) {
		if (strncmp(p, "[].", 3) != 0)
			return NULL;
		p += 3;
	}
	return p;
}

/* A number's value, cut to an integer (its text is NUL-terminated). */
static int64_t
to_int(const struct json_event *ev)
{
	return strtoll(ev->text, NULL, 10);
}

/* A value that is not a string, of the key path of ev, into the reply. */
static void
value(struct reader *rd, const struct json_event *ev)
{
	const char *k = key_of(rd, ev);
	int truth = ev->type == JSON_TRUE;
	int num = ev->type == JSON_NUMBER;
	struct reply *r = &rd->r;

	if (k == NULL)
		return;
	if (strcmp(k, "seq") == 0 && num)
		r->seq = to_int(ev);
	else if (strcmp(k, "anomaly") == 0 && num) {
		r->anomaly = to_int(ev) != 0;
		if (r->kind == REPLY_OTHER)
			r->kind = REPLY_VERDICT;
	} else if (strcmp(k, "alert") == 0 && num) {
		r->alert = to_int(ev) != 0;
		r->has_alert = 1;
	} else if (strcmp(k, "score") == 0 && num) {
		r->score = strtod(ev->text, NULL);
		r->has_score = 1;
	} else if (strcmp(k, "warmup") == 0)
		r->warmup = truth;
	else if (strcmp(k, "duplicate") == 0 && num)
		r->duplicate = to_int(ev) != 0;
	else if (strcmp(k, "ready") == 0 && truth)
		r->kind = REPLY_READY;
	else if (strcmp(k, "last_timestamp") == 0 &&
	    ev->type == JSON_NULL)
		r->last_ts_kind = LAST_TS_NULL;
	else if (strcmp(k, "last_timestamp") == 0 && num) {
		r->last_ts_kind = LAST_TS_NUMBER;
		r->last_ts_len = ev->len < sizeof(r->last_ts) - 1 ? ev->len :
		    sizeof(r->last_ts) - 1;
		memcpy(r->last_ts, ev->text, r->last_ts_len);
		r->last_ts[r->last_ts_len] = '\0';
	} else if (strcmp(k, "last_seq") == 0 && num)
		r->last_seq = to_int(ev);
	else if (strcmp(k, "points") == 0 && num)
		r->points = (uint64_t)to_int(ev);
	else if (strcmp(k, "window") == 0 && num)
		r->window = (uint32_t)to_int(ev);
	else if (strncmp(k, "votes.", 6) == 0 && num &&
	    r->nvotes < REPLY_VOTES_MAX) {
		snprintf(r->vote_name[r->nvotes], REPLY_NAME_MAX, "%s", k + 6);
		r->vote[r->nvotes++] = to_int(ev) != 0;
	}
}

/* Reads one event of the JSON reader; non-zero stops the reading (the
 * callback stopped it, or the message is of the wrong shape). */
static int
on_event(void *arg, const struct json_event *ev)
{
	struct reader *rd = arg;
	const char *k;
	size_t n;

	if (rd->stop || rd->bad)
		return -1;
	switch (ev->type) {
	case JSON_ARRAY_START:
		if (rd->depth++ == 0)
			rd->elem = 2;
		return 0;
	case JSON_OBJECT_START:
		if (rd->depth++ == 0)
			rd->elem = 1;
		if (rd->depth == rd->elem) {
			memset(&rd->r, 0, sizeof(rd->r));
			rd->r.kind = REPLY_OTHER;
		} else if (rd->depth == 1)
			rd->bad = 1;	/* [ at the top was not seen */
		return rd->bad;
	case JSON_OBJECT_END:
		if (rd->depth-- == rd->elem &&
		    (rd->stop = rd->cb(rd->arg, &rd->r)) != 0)
			return -1;
		return 0;
	case JSON_ARRAY_END:
		rd->depth--;
		return 0;
	case JSON_STRING_START:
		k = key_of(rd, ev);
		rd->in_error = k != NULL && strcmp(k, "error") == 0 &&
		    rd->depth == rd->elem;
		rd->in_last_ts = k != NULL &&
		    strcmp(k, "last_timestamp") == 0 && rd->depth == rd->elem;
		rd->elen = 0;
		rd->sdst = NULL;
		if (k != NULL && rd->depth == rd->elem && (strcmp(k, "key") ==
		    0 || strcmp(k, "claim") == 0)) {
			rd->sdst = k[0] == 'k' ? rd->r.key : rd->r.claim;
			rd->scap = k[0] == 'k' ? sizeof(rd->r.key) :
			    sizeof(rd->r.claim);
			rd->slen = 0;
			rd->sdst[0] = '\0';
		}
		if (rd->in_last_ts) {
			rd->r.last_ts_kind = LAST_TS_STRING;
			rd->r.last_ts_len = 0;
			rd->r.last_ts[0] = '\0';
		}
		return 0;
	case JSON_STRING_CHUNK:
	case JSON_STRING_END:
		if (rd->sdst != NULL) {
			n = ev->len;
			if (n > rd->scap - 1 - rd->slen)
				n = rd->scap - 1 - rd->slen;
			memcpy(rd->sdst + rd->slen, ev->text, n);
			rd->slen += n;
			rd->sdst[rd->slen] = '\0';
			if (ev->type == JSON_STRING_END)
				rd->sdst = NULL;
		}
		if (rd->in_last_ts) {
			struct reply *r = &rd->r;

			n = ev->len;
			if (n > sizeof(r->last_ts) - 1 - r->last_ts_len)
				n = sizeof(r->last_ts) - 1 - r->last_ts_len;
			memcpy(r->last_ts + r->last_ts_len, ev->text, n);
			r->last_ts_len += n;
			r->last_ts[r->last_ts_len] = '\0';
			if (ev->type == JSON_STRING_END)
				rd->in_last_ts = 0;
		}
		if (rd->in_error) {
			n = ev->len;
			if (n > sizeof(rd->r.error) - 1 - rd->elen)
				n = sizeof(rd->r.error) - 1 - rd->elen;
			memcpy(rd->r.error + rd->elen, ev->text, n);
			rd->elen += n;
			rd->r.error[rd->elen] = '\0';
			if (ev->type == JSON_STRING_END) {
				rd->in_error = 0;
				if (rd->r.kind != REPLY_READY)
					rd->r.kind = REPLY_ERROR;
			}
		}
		return 0;
	case JSON_TRUE:
	case JSON_FALSE:
	case JSON_NULL:
	case JSON_NUMBER:
		if (rd->depth >= rd->elem)
			value(rd, ev);
		return 0;
	default:
		return 0;
	}
}

int
reply_read(const char *msg, size_t len, reply_cb cb, void *arg)
{
	struct reader rd;
	enum json_status st;

	memset(&rd, 0, sizeof(rd));
	rd.cb = cb;
	rd.arg = arg;
	st = json_read(msg, len, on_event, &rd);
	if (rd.stop)
		return rd.stop;
	if (rd.bad || st != JSON_OK)
		return -1;
	return 0;
}
