/*
 * api.h: the JSON API of SPEC §5: /api/clients, /api/clients/{id} (GET and
 * DELETE), its /points and its /events; and the JSON of a client and of a
 * point, which the pages carry as their data too.
 *
 * The api_* handlers build a response body in b and return its HTTP
 * status; for an error, a short reason (static text) in *why.  They read
 * srv->rd, the loop's reader, which never waits for the writer; DELETE
 * writes srv->st, which must be the loop's (commit_drain()).
 */
#ifndef ANOMALYD_API_H
#define ANOMALYD_API_H

#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "jsonbuf.h"
#include "server.h"
#include "store.h"

#define API_EVENTS_PAGE	50	/* anomalies and alerts per page */
#define API_LIMIT_MAX	100000	/* points per /points request; more is
				 * clamped to it */
#define API_STREAM_ROWS	128	/* points per piece of a streamed array */
#define API_CLIENTS_PAGE 100	/* clients per page, by default */
#define API_CLIENTS_MAX	1000	/* clients per page, at most */
#define API_SPARK_MAX	160	/* spark=: values per client, at most */

/* A JSON array of points written in pieces (/points, /events): each piece
 * is read afresh from the loop's reader store, continuing from the last n
 * written (by the primary key or the partial indexes), so any number of
 * them can be under way at once and each costs one piece of memory,
 * whatever its limit. */
struct api_stream {
	int		 on;		/* the response is this stream */
	int		 done;		/* "]" written */
	char		 id[STORE_ID_MAX + 1];
	int		 flags;		/* store_flagged_open()'s, 0: all */
	int		 descending;
	int64_t		 after, before;	/* what is left: after < n < before */
	int64_t		 left;		/* points still to write */
	int64_t		 rows;		/* points written */
	char		*suffix;	/* malloc'ed, written after "]" (then
					 * no newline), or NULL */
	size_t		 suffixlen;
};

/* The cursor of a page of clients, by client_id: the first limit above
 * after, or the last limit below before (an empty string: no bound). */
struct api_clients_q {
	char	 after[STORE_ID_MAX + 1], before[STORE_ID_MAX + 1];
	int64_t	 limit;
	int	 spark;		/* spark=N: each client's newest N values */
};

/* What a page of clients held: its count, its first and last ids, and
 * whether clients come before and after it. */
struct api_clients_page {
	int	 n;
	char	 first[STORE_ID_MAX + 1], last[STORE_ID_MAX + 1];
	int	 prev, next;
};

/* The cursor of an events list: n > after and n < before (0: no bound),
 * at most limit, newest first unless asc. */
struct api_events_q {
	int64_t	 after, before, limit;
	int	 asc;
	int	 flags;		/* /points: STORE_FLAG_ of anomalies=1,
				 * alerts=1; 0: every point */
};

/* c as the JSON object of /api/clients. */
void api_client_json(struct jsonbuf *b, const struct store_client *c);
/* p as the JSON object of /api/clients/{id}/points. */
void api_point_json(struct jsonbuf *b, const struct store_point *p);
/* Opens the store's cursor on the anomalies and alerts of id with after < n
 * < before (0: no bound), at most limit, newest first when descending.
 * Returns 0 or -1 with err set. */
int api_events_open(struct store *st, const char *id, int64_t after,
    int64_t before, int64_t limit, int descending, char *err, size_t errlen);
/* Reads the URL arguments after, before, limit (up to max) and order of
 * an events list into q (the last of each counts; other keys are ignored).
 * Returns NULL, or what is wrong. */
const char *api_events_query(struct lws *wsi, struct api_events_q *q,
    int64_t max);
/* Reads the URL arguments after, before (a client_id each; the last one
 * given counts), limit (1 up, clamped to API_CLIENTS_MAX; default
 * API_CLIENTS_PAGE) and spark (0 to API_SPARK_MAX: each client with its
 * newest values) of a page of clients into q.  Returns NULL, or what is
 * wrong. */
const char *api_clients_query(struct lws *wsi, struct api_clients_q *q);
/* Calls fn(arg, c) for the clients of page q, in order of client_id, from
 * srv->rd, and describes the page in pg.  Returns 0, fn's value when it
 * stopped, or -1 with err set. */
int api_clients_each(struct server *srv, const struct api_clients_q *q,
    int (*fn)(void *arg, const struct store_client *c), void *arg,
    struct api_clients_page *pg, char *err, size_t errlen);
/* /api/clients?after=ID&before=ID&limit=N: a page of clients by
 * client_id; the links to the pages before and after it into link, as the
 * value of a Link header (RFC 8288). */
int api_clients(struct server *srv, struct lws *wsi, struct jsonbuf *b,
    struct jsonbuf *link, const char **why);
/* /api/clients/{id}: the client's object alone. */
int api_client(struct server *srv, const char *id, struct jsonbuf *b,
    const char **why);
/* Frees what stream s holds (its suffix) and ends it. */
void api_stream_free(struct api_stream *s);
/* Writes the next piece of stream s into b: "[" first, then at most
 * API_STREAM_ROWS points, and "]" when it ends (then s->done is set).
 * Returns 0, or -1 when the store fails (the response is cut short). */
int api_stream_next(struct server *srv, struct api_stream *s,
    struct jsonbuf *b);
/* /api/clients/{id}/points: its points by n, after, before, limit (at most
 * API_LIMIT_MAX) and order (asc by default) from the URL's arguments, only
 * the anomalies and/or alerts with anomalies=1, alerts=1 (by the index of
 * flagged points), as stream s. */
int api_points(struct server *srv, struct lws *wsi, const char *id,
    struct api_stream *s, const char **why);
/* /api/clients/{id}/events: the client's anomalies and alerts, newest
 * first (order=asc: oldest first), n above after and below before, at most
 * limit (default API_EVENTS_PAGE, at most 1000). */
int api_events(struct server *srv, struct lws *wsi, const char *id,
    struct api_stream *s, const char **why);

/* /api/alerts: the newest alerts of every client, limit (default
 * API_EVENTS_PAGE, at most 1000) of them, newest first (received_ms, then
 * n), as [{"client_id":ID,"point":POINT},...]: the clients with alerts, the
 * latest seen first, each through the index of flagged points, stopping at
 * the first seen before the oldest alert listed. */
int api_alerts(struct server *srv, struct lws *wsi, struct jsonbuf *b,
    const char **why);
/* DELETE /api/clients/{id}: the client, its points and its detector
 * state, when the token allows it and the client is not connected.
 * Returns an error status with why, or 0 when the deletion is queued for
 * the writer (commit_delete()): hooks->deleted then answers *ticket, with
 * the body api_deleted() writes. */
int api_delete(struct server *srv, struct lws *wsi, const char *id,
    uint64_t *ticket, const char **why);
/* The answer to a deletion of id done by the writer (found, points and
 * err as hooks->deleted gives them): its status, its body in b (200) or
 * why. */
int api_deleted(const char *id, int found, int64_t points, const char *err,
    struct jsonbuf *b, const char **why);
/* The body of an API error: {"error":why}. */
void api_error(struct jsonbuf *b, const char *why);

#endif
