/*
 * clients.h: the registry of connected clients, their detectors, and the
 * points they send, judged on the event loop and handed to the group
 * commit (commit.h) (SPEC §3.1, §4).  The loop reads the database here
 * through srv->rd only, writes it through the writer's batches, and has
 * detectors rebuilt by the rebuild thread (rebuild.h).
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
/* The commit hook after a failed batch: has the clients the failed and
 * the dropped batch touched rebuilt from the database; those that speak
 * protocol 2 must resend from their last stored seq + 1 (SPEC §2.3); a
 * session whose hello was in them is closed with 1011. */
void clients_failed(struct server *srv);
/* Installs the detectors the rebuild thread has finished: their sessions
 * are read again, and those waiting for ready get it (hooks->ready); a
 * hello whose rebuild failed is closed with 1011.  Does not block. */
void clients_poll(struct server *srv);
/* Gives session s the client id with the hello h (its window and settings
 * keys): reads the stored client when it is not in memory, adds the hello
 * to the filling batch, keeps its detector, makes a new one, or has it
 * rebuilt, takes it over from another session, which is then in *replaced
 * (else NULL) and must be closed with 4002.  Returns 0; 1 when the
 * detector is being rebuilt (s is not read meanwhile, and hooks->ready
 * follows, or a close with 1011 when the rebuild fails); or -1 with the
 * close code in *code and why in why (4001: bad settings, 1011: the
 * database failed). */
int client_hello(struct server *srv, struct session *s, const char *id,
    const struct proto_hello *h, struct session **replaced, int *code,
    char *why, size_t whylen);
/* Appends the protocol-2 ready of client c to out: its window, last seq,
 * points and the timestamp of its last point (kept in memory). */
void client_ready(struct server *srv, struct client *c, struct jsonbuf *out);
/* The session connected as client id, or NULL. */
struct session *client_session(struct server *srv, const char *id);
/* The hash of the key issued to client id since it is in memory (maybe
 * not committed yet): "" when none was, NULL when id is not in memory. */
const char *client_key_hash(struct server *srv, const char *id);
/* Records that client id, in memory, was issued the key of hash. */
void client_set_key_hash(struct server *srv, const char *id,
    const char *hash);
/* Before a deletion of client id is queued: returns 1 when a connection
 * has it (no deletion), -1 when memory is short, else 0, and hellos of it
 * are refused with 1011 until clients_deleted(). */
int client_deleting(struct server *srv, const char *id);
/* A deletion of client id is done (or failed). */
void clients_deleted(struct server *srv, const char *id);
/* Lets go of s's client at disconnect: snapshot, inactive, and free once
 * they are committed. */
void client_detach(struct server *srv, struct session *s);
/* Judges and stores good point pt of s's client, appending its reply to
 * out and its error alternative to alt; *holds is set when the reply
 * answers a stored point.  Bad points get their error in both. */
void client_point(struct server *srv, struct session *s,
    const struct proto_point *pt, struct jsonbuf *out,
    struct jsonbuf *alt, int *holds);

#endif
