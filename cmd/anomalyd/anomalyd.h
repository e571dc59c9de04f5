/*
 * anomalyd.h: what the files of anomalyd share, and nothing else.
 *
 * main.c parses the options, owns the lws context and the service loop;
 * ws.c speaks the WebSocket protocol of SPEC §2; http.c serves pages and
 * the JSON API of SPEC §5; clients.c keeps the registry of connected
 * clients, their detectors, the group commit and the replies that wait for
 * it (SPEC §3.1, §4); writer.c runs the commits on a thread of their own
 * (see writer.h).  One thread, the event loop's, runs all the rest.
 */
#ifndef ANOMALYD_H
#define ANOMALYD_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "clock.h"
#include "detect.h"
#include "proto.h"
#include "store.h"
#include "writer.h"


enum listen_family {
	LISTEN_ANY,		/* every address, IPv4 and IPv6 */
	LISTEN_V4,		/* the IPv4 address iface only */
	LISTEN_V6		/* the IPv6 address iface only */
};

/* What the command line sets. */
struct config {
	const char	*iface;		/* listen address, NULL: all */
	enum listen_family family;
	int		 port;
	char		 where[64];	/* "127.0.0.1:3000", "[::1]:3000", "*:3000" */
	const char	*db;
	struct detect_settings defaults;	/* for new clients */
	uint32_t	 max_clients;
	uint32_t	 max_window;
	size_t		 max_message;
	size_t		 max_batch;
	size_t		 max_pending;
	unsigned	 hello_timeout;	/* seconds */
	unsigned	 ping_timeout;	/* seconds */
	size_t		 batch_rows;
	int64_t		 batch_us;	/* --batch-ms, in microseconds */
	int64_t		 snapshot_every;
	enum store_sync	 sync;
	int		 verbose;
	const char	*www;		/* --www, NULL: share/anomaly/www */
	char		*token;		/* --token-file's token, or NULL */
	size_t		 token_len;
};

/* One reply, waiting for its commit or queued for sending.  Its text is at
 * mem + LWS_PRE.  alt, when not NULL, is the error reply that replaces it
 * when the points it answers are not stored (same layout). */
struct reply {
	STAILQ_ENTRY(reply) entry;
	char		*mem;
	size_t		 len;
	char		*alt;
	size_t		 altlen;
	uint64_t	 batch;		/* it waits for this batch's commit */
	size_t		 held;		/* len when it began to wait */
};
STAILQ_HEAD(replyq, reply);

struct session;

/* A connected client: its detector and what must match the database. */
struct client {
	LIST_ENTRY(client) hash;
	LIST_ENTRY(client) touched;	/* it has operations in a batch not
					 * yet committed */
	int		 in_tx;
	uint64_t	 batch;		/* the newest such batch */
	char		 id[PROTO_ID_MAX + 1];
	struct detect_settings set;
	struct detector	*det;		/* NULL while it could not be rebuilt */
	int64_t		 last_seq;
	int		 resend;	/* protocol 2, after points were not
					 * stored: refuse points until seq
					 * last_seq + 1 comes */
	int64_t		 snap_n;	/* ordinal of its newest snapshot */
	struct session	*sess;
};

enum phase {
	PHASE_HELLO,		/* waiting for a hello message */
	PHASE_FIRST,		/* URL hello: a settings message may come */
	PHASE_READY		/* points */
};

/* A WebSocket connection (lws per-session data, zeroed by lws). */
struct session {
	TAILQ_ENTRY(session) all;
	TAILQ_ENTRY(session) dirty;	/* it has waiting replies */
	TAILQ_ENTRY(session) kick;	/* it has replies to write now */
	int		 registered;
	int		 is_dirty;
	int		 is_kicked;
	int		 authed;	/* it showed the token (or none is
					 * required) */
	int		 deferred;	/* URL hello held until the settings
					 * message brings the token */
	struct lws	*wsi;
	struct client	*client;
	enum phase	 phase;
	int		 v2;
	int		 detail;
	char		 url_id[PROTO_ID_MAX + 1];
	uint32_t	 url_window;
	int64_t		 born_ms;
	char		 peer[64];

	char		*rx;		/* a message in pieces */
	size_t		 rxlen, rxcap;
	int		 in_msg;

	struct replyq	 waiting;	/* until the commit that covers them */
	struct replyq	 sendq;		/* committed, to write */
	size_t		 queued;	/* bytes in sendq */
	size_t		 held;		/* bytes in waiting */
	int		 paused;	/* not reading: too much is queued */
	int64_t		 wrote_ms;	/* when a reply last went out */

	int		 close_code;	/* 0, or close with it when writable */
	char		 close_reason[124];
};

/* The commits counted for /metrics (http.c): le[i] of them took at most
 * the i-th bound of http.c's histogram. */
#define COMMIT_BUCKETS	10
struct commit_stats {
	uint64_t	 count, points, usec, le[COMMIT_BUCKETS];
};

struct server {
	struct config	 cfg;
	struct store	*st;
	struct proto_parser *parser;
	struct lws_context *ctx;
	TAILQ_HEAD(, session) sessions;
	TAILQ_HEAD(, session) dirty;
	TAILQ_HEAD(, session) kick;
	LIST_HEAD(, client) touched;
	LIST_HEAD(clienthead, client) *buckets;
	size_t		 nbuckets;
	size_t		 nsessions;
	struct writer	*wr;		/* the writer thread */
	struct batch	 bufs[2];	/* double buffer: */
	struct batch	*fill;		/* the one the loop fills */
	int64_t		 rx_us;		/* monotonic us of the last message */
	int		 failed;	/* a batch failed in this message */
	char		 fail_why[256];
	int		 stopping;
	const char	*dbpath;	/* the database, as given */
	int		 gone;		/* the database file was removed: */
	char		 gone_why[256];	/* nothing is stored any more */
	int64_t		 started_us;	/* clock_mono_us() at start */
	lws_sorted_usec_list_t sweep;
	struct commit_stats commits;
};

/* main.c */
/* Prints one line on stderr when the verbosity is at least level (0:
 * errors, 1: connections and hellos). */
void logmsg(const struct server *srv, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The database file is gone (why says how): logs it once and sets
 * srv->gone, after which /healthz fails and points get "not stored". */
void db_gone(struct server *srv, const char *why);

/* ws.c */
/* protocols[1]: the anomaly protocol. */
extern const struct lws_protocols ws_protocol;
/* Asks that s be closed with code and reason once it is writable; drops
 * what it had queued when drop is set. */
void session_close(struct session *s, int code, const char *reason, int drop);
/* Frees every reply of q. */
void replyq_free(struct replyq *q);
/* Closes the sessions that waited too long for a hello, or that read
 * nothing while their replies pile up; call every second. */
void ws_sweep(struct server *srv);
/* Asks every session to close with 1001. */
void ws_shutdown(struct server *srv);
/* Whether the len bytes at t are the token of --token-file, in a time that
 * depends only on the token's length. */
int token_equal(const struct server *srv, const char *t, size_t len);
/* Writes at once to the sessions flush() gave replies, without waiting
 * for poll(2) to say they are writable; call between service passes,
 * never from a callback. */
void ws_write_now(struct server *srv);

/* http.c */
/* protocols[0]: pages and the JSON API. */
extern const struct lws_protocols http_protocol;
/* Counts a commit of that many points that took us microseconds, for
 * /metrics. */
void commit_counted(struct server *srv, size_t points, uint64_t us);

/* static.c */
/* Opens name (a path relative to www, as after /static/): a regular file
 * inside the directory www once links are resolved, its size in *size.
 * Returns the descriptor, or -1 when there is no such file or name is not
 * a plain relative path. */
int static_open(const char *www, const char *name, int64_t *size);
/* The Content-Type of name, by its extension. */
const char *static_type(const char *name);

/* clients.c */
/* Sets up the registry and the batches; returns 0 or -1 when memory is
 * short. */
int clients_init(struct server *srv);
/* Frees the registry, every client in it and the batches. */
void clients_free(struct server *srv);
/* Gives session s the client id with the hello h (its window and settings
 * keys): commits what is open, reads or creates the stored client, builds
 * or keeps its detector, takes it over from another session.  Returns 0;
 * or -1 with the close code in *code and why in why (4001: bad settings,
 * 1011: the database failed). */
int client_hello(struct server *srv, struct session *s, const char *id,
    const struct proto_hello *h, int *code, char *why, size_t whylen);
/* Appends the protocol-2 ready of client c to out: its window, last seq,
 * points and the timestamp of its last stored point (one lookup, after
 * drain()). */
void client_ready(struct server *srv, struct client *c, struct jsonbuf *out);
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
/* Appends a reply (out, with alt when holds) to s's waiting list; takes
 * the memory of both buffers.  Returns 0 or -1 when memory is short. */
int reply_wait(struct server *srv, struct session *s, struct jsonbuf *out,
    struct jsonbuf *alt, int holds);
/* Ends the message being handled: takes back a batch the writer has
 * finished, and hands the filling one to the writer when batch_rows points
 * are pending (waiting for the writer if need be) or the first of them has
 * waited batch_ms (if the writer is idle). */
void message_done(struct server *srv);
/* Does not block: takes back a batch the writer has finished (its replies
 * go out, or become errors and rebuilds when it failed); then, when the
 * writer is idle, hands it the filling batch, or releases the waiting
 * replies when that one is empty.  Released replies move to their send
 * queue, ask for writeable and mark the session for ws_write_now(). */
void flush(struct server *srv);
/* Blocks until everything judged so far is committed (or failed) and every
 * waiting reply is released: afterwards the writer is idle and the loop may
 * use srv->st.  Returns 0, or -1 when a batch failed. */
int drain(struct server *srv);

#endif
