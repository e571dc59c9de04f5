/*
 * api.h: the JSON API of SPEC §5: /api/clients, /api/clients/{id} (GET and
 * DELETE), its /points and its /events; and the JSON of a client and of a
 * point, which the pages carry as their data too.
 *
 * The api_* handlers build a response body in b and return its HTTP
 * status; for an error, a short reason (static text) in *why.  They use
 * srv->st: the store must be the loop's (commit_drain()).
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

/* The cursor of an events list: n > after and n < before (0: no bound),
 * at most limit, newest first unless asc. */
struct api_events_q {
	int64_t	 after, before, limit;
	int	 asc;
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
/* /api/clients: every stored client. */
int api_clients(struct server *srv, struct jsonbuf *b, const char **why);
/* /api/clients/{id}: the client's object alone. */
int api_client(struct server *srv, const char *id, struct jsonbuf *b,
    const char **why);
/* /api/clients/{id}/points: its points by n, after and limit from the
 * URL's arguments. */
int api_points(struct server *srv, struct lws *wsi, const char *id,
    struct jsonbuf *b, const char **why);
/* /api/clients/{id}/events: the client's anomalies and alerts, newest
 * first (order=asc: oldest first), n above after and below before, at most
 * limit (default API_EVENTS_PAGE, at most 1000). */
int api_events(struct server *srv, struct lws *wsi, const char *id,
    struct jsonbuf *b, const char **why);
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
