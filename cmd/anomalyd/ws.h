/*
 * ws.h: the WebSocket side of anomalyd (SPEC §2): the path, the hello in
 * the URL or the first message, messages assembled from their pieces,
 * points and batches handed to clients.c, replies written one per
 * WRITEABLE callback, and the closes of §2.3.
 */
#ifndef ANOMALYD_WS_H
#define ANOMALYD_WS_H

#include <libwebsockets.h>

#include "server.h"

/* protocols[1]: the anomaly protocol. */
extern const struct lws_protocols ws_protocol;
/* Asks that s be closed with code and reason once it is writable; drops
 * what it had queued when drop is set.  The commit's close hook. */
void session_close(struct session *s, int code, const char *reason, int drop);
/* s's client is rebuilt after its hello: queues its protocol-2 ready.  The
 * commit's ready hook. */
void ws_ready(struct server *srv, struct session *s);
/* Closes the sessions that waited too long for a hello, or that read
 * nothing while their replies pile up; call every second. */
void ws_sweep(struct server *srv);
/* Asks every session to close with 1001. */
void ws_shutdown(struct server *srv);
/* Writes at once to the sessions commit_flush() gave replies, without
 * waiting for poll(2) to say they are writable; call between service
 * passes, never from a callback. */
void ws_write_now(struct server *srv);

#endif
