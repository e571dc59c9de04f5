/*
 * delete.h: anomaly-send --delete: DELETE /api/clients/ID on the server's
 * HTTP port (SPEC §3), said in one line.
 */
#ifndef ANOMALY_SEND_DELETE_H
#define ANOMALY_SEND_DELETE_H

#include <libwebsockets.h>

#include "send.h"

/* The protocols of a context made for delete_client() (its user pointer
 * the sender). */
const struct lws_protocols *delete_protocols(void);

/* Deletes client s->client_id and its points on the server at s->address
 * and s->port, with s->token as a bearer token when there is one.  Prints
 * what was deleted on stdout, or says on stderr why not.  Returns the exit
 * status: 0 deleted, 1 not. */
int delete_client(struct sender *s);

#endif
