/*
 * clients.h: the registry of connected clients, their detectors, and the
 * points they send, judged on the event loop and handed to the group
 * commit (commit.h) (SPEC §3.1, §4).  The loop uses srv->st itself here
 * (hellos, rebuilds, duplicates) only after commit_drain().
 */
#ifndef ANOMALYD_CLIENTS_H
#define ANOMALYD_CLIENTS_H

#include <stddef.h>
#include <stdint.h>

#include "jsonbuf.h"
#include "proto.h"
#include "server.h"

/* Sets up the registry; returns 0 or -1 when memory is short. */
int clients_init(struct server *srv);
/* Frees the registry and every client in it. */
void clients_free(struct server *srv);
/* The commit hook: the batches up to upto are committed, so the clients
 * without operations in a later one have none pending. */
void clients_committed(struct server *srv, uint64_t upto);
/* The commit hook after a failed batch: rebuilds the clients the failed
 * and the dropped batch touched from the database; those that speak
 * protocol 2 must resend from their last stored seq + 1 (SPEC §2.3). */
void clients_failed(struct server *srv);
/* Gives session s the client id with the hello h (its window and settings
 * keys): commits what is open, reads or creates the stored client, builds
 * or keeps its detector, takes it over from another session, which is
 * then in *replaced (else NULL) and must be closed with 4002.  Returns 0;
 * or -1 with the close code in *code and why in why (4001: bad settings,
 * 1011: the database failed). */
int client_hello(struct server *srv, struct session *s, const char *id,
    const struct proto_hello *h, struct session **replaced, int *code,
    char *why, size_t whylen);
/* Appends the protocol-2 ready of client c to out: its window, last seq,
 * points and the timestamp of its last stored point (one lookup, after
 * commit_drain()). */
void client_ready(struct server *srv, struct client *c, struct jsonbuf *out);
/* The session connected as client id, or NULL. */
struct session *client_session(struct server *srv, const char *id);
/* Whether a connection has client id. */
int client_connected(struct server *srv, const char *id);
/* Lets go of s's client at disconnect: snapshot, inactive, free. */
void client_detach(struct server *srv, struct session *s);
/* Judges and stores good point pt of s's client, appending its reply to
 * out and its error alternative to alt; *holds is set when the reply
 * answers a stored point.  Bad points get their error in both. */
void client_point(struct server *srv, struct session *s,
    const struct proto_point *pt, struct jsonbuf *out,
    struct jsonbuf *alt, int *holds);

#endif
