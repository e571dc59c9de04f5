/*
 * claim.h: who may use a client id (anomaly(7), "Who may use a
 * client_id").
 *
 * A protocol-2 hello may claim its id ("claim": true, or claim=1 in the
 * URL): when the id holds no points yet, or the hello shows the operator
 * token (--admin-token-file), the server makes a random key of 128 bits,
 * stores only its SHA-256 (through the writer, WOP_KEY) and returns the
 * key once, in ready.  From then on every hello for the id must show the
 * key (or the operator token), else it is closed with 4003 and nothing is
 * taken over or stored.  An unclaimed id may be taken over only from the
 * peer address of its live connection (else 4009), and its hello's
 * settings come from that hello and the server's defaults alone, never
 * from what an earlier hello stored.
 *
 * ws.c calls claim_url() at the handshake, claim_needs_key() before a
 * URL hello without version=2, claim_check() before client_hello(),
 * claim_done() after it succeeded and claim_ready() to add to ready.
 * Each reads the database only after commit_drain().
 */
#ifndef ANOMALYD_CLAIM_H
#define ANOMALYD_CLAIM_H

#include <stddef.h>

#include <libwebsockets.h>

#include "jsonbuf.h"
#include "proto.h"
#include "server.h"

#define CLAIM_NO_KEY	"client_id is claimed: key missing or wrong"
#define CLAIM_IN_USE	"client_id in use"

/* Reads what the handshake of s shows: the operator token (in an
 * Authorization: Bearer header or token= in the URL), claim=1 and key=
 * in the URL.  Call it when the connection is established, while the
 * headers are there. */
void claim_url(struct server *srv, struct session *s);

/* Whether id is claimed and s has shown neither its key in the URL nor
 * the operator token: then a URL hello without version=2 waits for the
 * settings message to bring the key (SPEC §2.1's deferral of the token).
 * A database failure reads as 0 (the hello then fails by itself). */
int claim_needs_key(struct server *srv, struct session *s, const char *id);

/* Decides whether session s may take client id with hello h (the URL's
 * hello, or a hello or settings object; its key and token count, as do
 * those of the URL).  Returns 0 and sets *use to the hello to give
 * client_hello(): h itself, or, for an unclaimed id that s does not hold
 * yet, h completed in *own with the server's defaults for every setting
 * h leaves out.  Decides a claim, if s asks for one, for claim_done() and
 * claim_ready().  Returns -1 with a close code in *code and why in why:
 * 4003 (claimed, no key), 4009 (unclaimed, live from another address),
 * 1011 (the database failed). */
int claim_check(struct server *srv, struct session *s, const char *id,
    const struct proto_hello *h, struct proto_hello *own,
    const struct proto_hello **use, int *code, char *why, size_t whylen);

/* After client_hello() accepted s as client id: puts the hash of the key
 * claim_check() issued, if any, into the filling batch. */
void claim_done(struct server *srv, struct session *s, const char *id);

/* Adds to s's ready in out what became of its claim: the key issued and
 * "claim":"granted", or why not.  A ready with a key must wait for the
 * commit that stores its hash: then alt holds its alternative (the ready
 * with "claim":"refused: not stored") and *holds is set.  Returns 0 or
 * -1 when memory is short. */
int claim_ready(struct server *srv, struct session *s, struct jsonbuf *out,
    struct jsonbuf *alt, int *holds);

/* Whether the request of wsi may DELETE a client (SPEC §5): with
 * --admin-token-file only the operator token may, else as
 * token_authorized(). */
int claim_may_delete(struct server *srv, struct lws *wsi);

#endif
