/*
 * webhook.h: --webhook URL, a JSON POST per committed alert.
 *
 * Each alert (alert.h) becomes a JSON object, queued in a bounded queue
 * (WEBHOOK_QUEUE; when it is full the alert is dropped and counted) and
 * POSTed with libwebsockets' HTTP client, one request at a time, so the
 * payloads keep their order, every client's included.  An answer other
 * than 2xx, or no answer, is retried after a backoff that doubles from
 * 0.5 s up to WEBHOOK_BACKOFF_MAX_MS; meanwhile the queue fills, and
 * ingest never waits for it.
 */
#ifndef ANOMALYD_WEBHOOK_H
#define ANOMALYD_WEBHOOK_H

#include <stdint.h>

#include "server.h"
#include "writer.h"

#define WEBHOOK_QUEUE		4096
#define WEBHOOK_BACKOFF_MAX_MS	5000

/* What the webhook counted since start, for /metrics. */
struct webhook_stats {
	uint64_t	 sent;		/* answered 2xx */
	uint64_t	 failed;	/* attempts that failed (retried) */
	uint64_t	 dropped;	/* the queue was full */
	uint64_t	 queued;	/* waiting now, the one in flight too */
};

/* Checks url for --webhook: 0, or -1 with err set when it is not an
 * http:// or https:// URL with a host. */
int webhook_check(const char *url, char *err, size_t len);
/* The lws protocol of the webhook's client connections, to list in the
 * context's protocols. */
extern const struct lws_protocols webhook_protocol;
/* Sets up the webhook of srv (nothing without --webhook).  Returns 0, or
 * -1 when memory is short. */
int webhook_init(struct server *srv);
/* Queues the alerts of batch b, just committed, and sends the first one
 * when no request is under way.  Never blocks. */
void webhook_committed(struct server *srv, const struct batch *b);
/* The counters (zeros without --webhook). */
void webhook_stats(const struct server *srv, struct webhook_stats *st);
/* Frees what is queued (the context must be destroyed first). */
void webhook_free(struct server *srv);

#endif
