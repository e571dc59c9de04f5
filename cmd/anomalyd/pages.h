/*
 * pages.h: the pages of SPEC §5, rendered on the server: the index of
 * clients, a client's page (its stats, the chart, its anomalies and
 * alerts, its latest points, its settings) and the error page.  Every
 * client string is escaped for where it goes; the page's data for app.js
 * is JSON in a script block that never runs.
 *
 * page_index() and page_client() build the page in b and return its HTTP
 * status; for an error, a short reason (static text) in *why.  They read
 * srv->rd, the loop's reader, which never waits for the writer.
 */
#ifndef ANOMALYD_PAGES_H
#define ANOMALYD_PAGES_H

#include <libwebsockets.h>

#include "api.h"
#include "jsonbuf.h"
#include "server.h"

/* /?after=ID&before=ID&limit=N: a page of clients by client_id (as
 * /api/clients), active then inactive, with links to the pages before and
 * after it. */
int page_index(struct server *srv, struct lws *wsi, struct jsonbuf *b,
    const char **why);
/* /client/{id}: the client's page; the events list pages by the URL's
 * before= and after=.  The chart's points, in the page's data, come from
 * stream: b is the page up to them, the stream writes them and then the
 * end of the page, so the page costs a piece of memory, not its whole. */
int page_client(struct server *srv, struct lws *wsi, const char *id,
    struct jsonbuf *b, struct api_stream *stream, const char **why);
/* The page of an error status (title: its text): "No client is named
 * subject" when subject is not empty, else why. */
void page_error(struct jsonbuf *b, int status, const char *title,
    const char *why, const char *subject);
/* The login page of --read-token-file: a form that POSTs the read token
 * to /login; with failed, it says that the last one was wrong.  The
 * same page for every path, so it tells nothing of a client. */
void page_login(struct jsonbuf *b, int failed);

#endif
