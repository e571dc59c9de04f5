/*
 * metrics.h: /metrics (SPEC §5), in the Prometheus text format 0.0.4.
 */
#ifndef ANOMALYD_METRICS_H
#define ANOMALYD_METRICS_H

#include "jsonbuf.h"
#include "server.h"

/* The totals over the clients (store_totals(): no client is read, the
 * cost is the same whatever their number) and the counters of this process
 * into b.  Returns the HTTP status, 200. */
int metrics_text(struct server *srv, struct jsonbuf *b, const char **why);

#endif
