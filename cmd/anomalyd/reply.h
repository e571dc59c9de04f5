/*
 * reply.h: one reply to a WebSocket message, with the error that replaces
 * it when the points it answers are not stored (SPEC §4: a verdict goes out
 * only after its point is committed).  commit.c keeps them waiting for
 * their batch, ws.c writes them.
 */
#ifndef ANOMALYD_REPLY_H
#define ANOMALYD_REPLY_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

/* The error of a point that was not stored, with a placeholder reason:
 * format it with proto_format_error() into a reply's alternative, and
 * reply_fail() puts the reason in.  jsonbuf_put_string() writes \001 as
 * \u0001, which no client string can produce after "error":" (a quote
 * inside a string is escaped). */
#define REPLY_NOT_STORED	"not stored: \001"

/* One reply, waiting for its commit or queued for sending.  Its text is at
 * mem + LWS_PRE.  alt, when not NULL, is the error reply that replaces it
 * when the points it answers are not stored (same layout). */
struct reply {
	STAILQ_ENTRY(reply) entry;
	char		*mem;
	size_t		 len;
	char		*alt;
	size_t		 altlen;
	uint64_t	 batch;		/* it waits for this batch's commit */
	size_t		 held;		/* len when it began to wait */
};
STAILQ_HEAD(replyq, reply);

/* Frees every reply of q. */
void replyq_free(struct replyq *q);
/* Replaces r by its error alternative, every placeholder reason of
 * REPLY_NOT_STORED by why; r without one, or when memory is short, stays
 * as it is. */
void reply_fail(struct reply *r, const char *why);

#endif
