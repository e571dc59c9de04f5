/*
 * query.h: anomaly-top's reads of the databases, through the store's
 * read-only interface (lib/store.h): every read is one indexed lookup or a
 * range of the primary key (client_id, n) bounded by a LIMIT, so its cost
 * does not grow with the size of the database.
 */
#ifndef TOP_QUERY_H
#define TOP_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct store;

struct apiclient;

/* The databases and servers shown, in the order of the -d and -u options:
 * for each, its store (-d) or its client of the JSON API (-u), the other
 * NULL. */
struct top_dbs {
	const char	**paths;
	struct store	**stores;
	int		  n;
	struct apiclient **apis;	/* NULL: no -u */
	int		  spark;	/* sparkline points asked of servers
					 * with the clients, at least */
	uint64_t	  old_api;	/* bit per server found older than
					 * events=K: its detail asked the old
					 * way */
};

/* Reads every client of every database into m (a refresh at now_ms: the
 * clients table only), and of every server with the sparklines of its
 * clients (one request per server, of up to 1000 clients).  A server that
 * cannot be read is named in err and its clients are left out; the others
 * are read.  Returns 0, or -1 with a message in err. */
int query_clients(struct top_dbs *dbs, struct top_model *m, int64_t now_ms,
    char *err, size_t errlen);

/* Reads the sparklines of the rows on screen (m->top, m->page) that are
 * stale: the newest m->spark_width values of each (those of servers come
 * with their clients).  Returns 0 or -1. */
int query_sparks(struct top_dbs *dbs, struct top_model *m, char *err,
    size_t errlen);

/* Reads the sparkline of the client c, at most width points. */
int query_spark(struct top_dbs *dbs, struct top_client *c, int width,
    char *err, size_t errlen);

/* Reads the detail view's chart (m->detail_width points ending at
 * m->detail_end, or the newest) and its recent anomalies.  Returns 0 or
 * -1. */
int query_detail(struct top_dbs *dbs, struct top_model *m, char *err,
    size_t errlen);

/* Reads the newest alerts of all clients into m's list (TOP_ALERTS_MAX at
 * most, newest first): per client with alerts, the latest seen first, its
 * newest alerts through the index of alerts, stopping at the first client
 * seen before the oldest alert listed.  Keeps the selected alert selected.
 * Returns 0 or -1. */
int query_alerts(struct top_dbs *dbs, struct top_model *m, char *err,
    size_t errlen);

#endif
