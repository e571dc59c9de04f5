/*
 * metrics.h: /metrics (SPEC §5), in the Prometheus text format 0.0.4.
 */
#ifndef ANOMALYD_METRICS_H
#define ANOMALYD_METRICS_H

#include "jsonbuf.h"
#include "server.h"

/* The totals of the clients table (no scan of points) and the counters of
 * this process into b.  Returns the HTTP status: 200, or 500 with a short
 * reason in *why when the database fails.  The store must be the loop's
 * (commit_drain()). */
int metrics_text(struct server *srv, struct jsonbuf *b, const char **why);

#endif
