/*
 * wire.h: anomaly-send's side of the protocol (SPEC §2): one libwebsockets
 * client connection per job, the hello in the URL (or the settings message
 * with --token-file), `ready`, then the ring's rows sent as batches, each
 * with a seq numbered from ready.last_seq + 1.  Rows stay in the ring until
 * their verdict comes; on connection loss the ring is sent again after a
 * reconnect, and the server answers what it already stored with the stored
 * verdict (SPEC §2.2), so nothing is lost or doubled.
 */
#ifndef ANOMALY_SEND_WIRE_H
#define ANOMALY_SEND_WIRE_H

#include <stddef.h>

#include <libwebsockets.h>

#include "send.h"

/* The protocols of a context made for wire_run() (its user pointer the
 * sender). */
const struct lws_protocols *wire_protocols(void);

/* Runs the job's connection until the job is over: connects to s->address
 * and s->port as client s->client_id, sends every row input.h lets in and
 * prints their verdicts, reconnects (at most s->retries times in a row,
 * with backoff) after a loss.  Failures are said on stderr and set
 * s->failed.  With --loop, a first signal counted in *s->signals lets the
 * rows in flight be answered, then closes; a second ends at once. */
void wire_run(struct sender *s);

/* Why a connection to s->address and s->port failed: what connect(2)
 * says (libwebsockets 4.1 does not tell), else s->conn_error's words.
 * Writes it to why (size bytes) and returns why. */
/* The ssl_connection flags of a connection of s: none for ws://; for
 * wss://, TLS with the server's certificate verified, or not with -k. */
int wire_ssl_flags(const struct sender *s);
/* The part of the callbacks of s's protocol 0 that concerns TLS: keeps
 * the first reason the server's certificate was refused.  Returns 0. */
int wire_tls_callback(struct sender *s, enum lws_callback_reasons reason,
    void *user, size_t len);
const char *wire_connect_error(struct sender *s, char *why, size_t size);

#endif
