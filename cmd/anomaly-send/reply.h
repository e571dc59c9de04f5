/*
 * reply.h: anomaly-send's reader of the server's replies (SPEC §2.2-2.3).
 *
 * A reply message is one object or (to a batch) an array of objects: a
 * verdict, an error or ready.  Read with lib/json, the strict JSON reader
 * the server uses too (SPEC §2.3, §11).
 */
#ifndef ANOMALY_SEND_REPLY_H
#define ANOMALY_SEND_REPLY_H

#include <stddef.h>
#include <stdint.h>

#define REPLY_VOTES_MAX	16
#define REPLY_NAME_MAX	24

enum reply_kind {
	REPLY_VERDICT,		/* holds "anomaly" */
	REPLY_ERROR,		/* holds "error" */
	REPLY_READY,		/* holds "ready" */
	REPLY_OTHER		/* none of them */
};

struct reply {
	enum reply_kind	 kind;
	int64_t		 seq;		/* 0 when absent */
	int		 anomaly, alert, warmup, duplicate;
	int		 has_alert, has_score;
	double		 score;
	int		 nvotes;
	char		 vote_name[REPLY_VOTES_MAX][REPLY_NAME_MAX];
	int		 vote[REPLY_VOTES_MAX];
	char		 error[128];	/* ERROR: its text, cut */
	int64_t		 last_seq;	/* READY */
	uint64_t	 points;	/* READY */
	uint32_t	 window;	/* READY */
	/* READY: the last stored point's timestamp, as stored. */
	enum { LAST_TS_ABSENT, LAST_TS_NULL, LAST_TS_NUMBER,
	    LAST_TS_STRING }	 last_ts_kind;
	char		 last_ts[72];	/* its text (a string decoded, cut) */
	size_t		 last_ts_len;
	/* READY: the key the server issued ("" none) and what became of the
	 * claim ("" when not said), anomaly(7) */
	char		 key[65];
	char		 claim[128];
};

/* Called for each object of the message, in order; a non-zero return
 * stops the reading and becomes reply_read()'s return value. */
typedef int (*reply_cb)(void *arg, const struct reply *r);

/* Reads the len bytes at msg.  Returns 0 when all of it was read, the
 * callback's non-zero value when it stopped, or -1 when the message is not
 * JSON of the expected shape (nothing is known then of the objects after
 * the last one given to cb). */
int reply_read(const char *msg, size_t len, reply_cb cb, void *arg);

#endif
