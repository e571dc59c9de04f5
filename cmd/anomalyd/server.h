/*
 * server.h: the types the files of anomalyd share, and no function: what
 * the command line sets (struct config), a connected client (struct
 * client), a WebSocket connection (struct session) and the server that
 * holds them (struct server).  Each function is declared in the header of
 * the file that defines it.
 *
 * The files, from the bottom up (a file includes only the headers of the
 * files below it):
 *   log.c      diagnostics on stderr
 *   budget.c   the memory budget of --max-memory (budget.h)
 *   static.c   the files of /static/
 *   writer.c   the writer thread and its batches (writer.h)
 *   rebuild.c  the thread that rebuilds detectors from the database
 *   reply.c    a reply and the error that replaces it
 *   put.c      text, HTML, URLs and JSON into a buffer, for the pages
 *   alert.c    --on-alert: a command per committed alert
 *   webhook.c  --webhook: a JSON POST per committed alert
 *   commit.c   the group commit: the filling batch, the replies that wait
 *              for it, their release, the commit histogram
 *   clients.c  the registry of clients, their detectors, judging points
 *   auth.c     the --token-file, --admin-token-file and
 *              --read-token-file tokens, the read cookie
 *   claim.c    who may use a client id: keys, claims, takeovers
 *              (anomaly(7) "Who may use a client_id")
 *   guard.c    limits per address, on handshakes and descriptors; the
 *              Host and Origin checks
 *   ws.c       the WebSocket protocol (SPEC §2)
 *   api.c, chart.c, pages.c, metrics.c   the JSON API, the SVG chart,
 *              the pages and /metrics (SPEC §5)
 *   http.c     HTTP routing and headers
 *   tls.c      the certificate of --tls-cert, checked and reloaded
 *   main.c     options, the lws context, the service loop, signals
 * One thread, the event loop's, runs everything but the writer thread
 * and the rebuild thread; the loop never waits for SQLite (writer.h).
 */
#ifndef ANOMALYD_SERVER_H
#define ANOMALYD_SERVER_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "budget.h"
#include "detect.h"
#include "jsonbuf.h"
#include "proto.h"
#include "store.h"
#include "reply.h"
#include "rebuild.h"
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
	size_t		 max_memory;	/* --max-memory, bytes */
	uint32_t	 max_handshakes; /* sessions without a hello */
	uint32_t	 max_per_addr;	/* connections of one peer address */
	const char	**allow_origin;	/* --allow-origin, as given */
	size_t		 nallow_origin;
	unsigned	 hello_timeout;	/* seconds */
	unsigned	 ping_timeout;	/* seconds */
	size_t		 batch_rows;
	int64_t		 batch_us;	/* --batch-ms, in microseconds */
	int64_t		 snapshot_every;
	enum store_sync	 sync;
	int64_t		 retain_ms;	/* --retain, 0: none */
	int64_t		 retain_points;	/* --retain-points, 0: none */
	int		 verbose;
	const char	*www;		/* --www, NULL: share/anomaly/www */
	char		*token;		/* --token-file's token, or NULL */
	size_t		 token_len;
	char		*admin;		/* --admin-token-file's, or NULL */
	size_t		 admin_len;
	char		*read;		/* --read-token-file's, or NULL */
	size_t		 read_len;
	const char	*token_file;	/* the files, as given, reread on */
	const char	*admin_file;	/* SIGHUP (main.c reload()); NULL: */
	const char	*read_file;	/* not given */
	const char	*tls_cert;	/* --tls-cert, NULL: plain text (a
					 * cookie is Secure when set) */
	const char	*tls_key;	/* --tls-key */
	const char	*on_alert;	/* --on-alert's command, or NULL */
	unsigned	 on_alert_jobs;	/* at most that many at once */
	unsigned	 on_alert_timeout;	/* seconds */
	const char	*webhook;	/* --webhook's URL, or NULL */
	const char	*webhook_cacert;	/* its CA file, NULL: the
					 * system's store */
	unsigned	 webhook_timeout;	/* seconds for an answer */
};

struct session;

/* A connected client: its detector and what must match the database
 * (clients.c). */
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
	size_t		 charged;	/* bytes of srv->budget it holds */
	char		 key_hash[STORE_KEY_HASH_MAX];	/* a key issued since
					 * it came in memory, "" none */
	struct session	*sess;		/* NULL: disconnected, kept until its
					 * operations are committed */
	int		 has_ts;	/* last_ts: the timestamp of point n,
					 * for ready */
	struct store_ts	 last_ts;
	int64_t		 last_ms;	/* received_ms of its newest point
					 * (or its last_seen_ms when read):
					 * never goes down, so that the API
					 * bounds arrival time by n */
	uint64_t	 hello_batch;	/* the batch of its hello, 0 once
					 * committed */
	struct rjob	*job;		/* its rebuild, in the rebuild thread */
	int		 want;		/* to rebuild once its operations are
					 * committed (det is NULL) */
	int		 snap_ok;	/* the rebuild may start from the
					 * stored snapshot */
	int		 greet;		/* the rebuild answers a hello: ready
					 * after it, 1011 if it fails */
	int		 deleting;	/* a DELETE of it waits for the
					 * writer */
	char		 why[128];	/* why the last rebuild failed */
};

enum phase {
	PHASE_HELLO,		/* waiting for a hello message */
	PHASE_FIRST,		/* URL hello: a settings message may come */
	PHASE_READY		/* points */
};

/* What a session showed of its right to a client id, and what its ready
 * says of its claim (claim.c). */
struct claim_state {
	int		 admin;		/* it showed the operator token */
	int		 url_claim;	/* claim=1 in the URL */
	char		 url_key[PROTO_CLAIM_KEY_MAX + 1];	/* key= of the
					 * URL, or "" */
	char		 issued[33];	/* the key its hello issued (32 hex
					 * digits), for ready; or "" */
	char		 hash[65];	/* the issued key's SHA-256, in hex */
	uint64_t	 batch;		/* the batch that stores it */
	const char	*note;		/* ready's "claim", or NULL */
};

/* A WebSocket connection (lws per-session data, zeroed by lws): ws.c's,
 * but for its replies, which commit.c holds until their commit. */
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
	int		 url_preset;	/* the URL's preset=, -1 none */
	int64_t		 born_ms;
	char		 peer[64];
	struct claim_state claim;

	char		*rx;		/* a message in pieces, rxcap bytes of */
	size_t		 rxlen, rxcap;	/* srv->budget */
	int		 in_msg;
	int64_t		 msg_ms;	/* when its first piece came, moved
					 * on by the time anomalyd held its
					 * input since (ws_sweep()) */

	/* a long protocol-2 batch, judged in slices between which the loop
	 * serves the others (ws.c): not reading from s meanwhile */
	int		 bactive;
	struct proto_point *bitems;	/* the points not yet judged, */
	size_t		 bn, bnext;	/* bn - bnext of them from bnext */
	size_t		 bcharged;	/* bytes of srv->budget they hold */
	struct jsonbuf	 bout, balt;	/* the reply so far */
	int		 bholds;
	int		 bfailed;	/* srv->failed for the message */
	uint64_t	 bfails;	/* srv->nfailed when it began */
	lws_sorted_usec_list_t bsul;	/* the next slice */

	struct replyq	 waiting;	/* until the commit that covers them */
	struct replyq	 sendq;		/* committed, to write */
	size_t		 queued;	/* bytes in sendq */
	size_t		 held;		/* bytes in waiting */
	int		 paused;	/* not reading: too much is queued */
	int64_t		 wrote_ms;	/* when a reply last went out (or the
					 * session was paused) */

	int		 close_code;	/* 0, or close with it when writable */
	char		 close_reason[124];
};

/* The commits counted for /metrics (commit.c): le[i] of them took at most
 * commit_le[i] microseconds. */
#define COMMIT_BUCKETS	10
struct commit_stats {
	uint64_t	 count, points, usec, le[COMMIT_BUCKETS];
};

struct commit_hooks;
struct http_session;
struct guard;
struct alerts;
struct webhook;

struct server {
	struct config	 cfg;
	struct store	*st;
	struct store	*rd;		/* read-only, for the loop's reads */
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
	struct rebuilder *rb;		/* the rebuild thread */
	int		 backlog;	/* input held: the filling batch is
					 * full and the writer busy */
	struct batch	 bufs[2];	/* double buffer: */
	struct batch	*fill;		/* the one the loop fills */
	struct batch	 dels;		/* WOP_DELETE operations, each run
					 * alone once the batches are
					 * committed (commit.c) */
	uint64_t	 tickets;	/* the last ticket of a DELETE */
	LIST_HEAD(, http_session) http_waits;	/* DELETEs whose answer
					 * waits for the writer (http.c) */
	const struct commit_hooks *hooks;	/* commit.c calls up */
	int64_t		 rx_us;		/* monotonic us of the last message */
	int		 failed;	/* a batch failed in this message */
	uint64_t	 nfailed;	/* batches failed since start */
	char		 fail_why[256];
	int		 stopping;
	const char	*dbpath;	/* the database, as given */
	int		 gone;		/* the database file was removed: */
	char		 gone_why[256];	/* nothing is stored any more */
	int64_t		 started_us;	/* clock_mono_us() at start */
	lws_sorted_usec_list_t sweep;
	int64_t		 swept_ms;	/* wall time of the last ws_sweep() */
	struct guard	*guard;		/* guard.c's */
	struct commit_stats commits;
	struct budget	 budget;	/* --max-memory */
	size_t		 snap_bytes;	/* disconnect snapshots in the */
	uint64_t	 snap_batch;	/* batch of this id (clients.c) */
	uint64_t	 snap_skipped;	/* over the cap, since start */
	uint64_t	 prune_logged;	/* pruning steps failed, up to the
					 * last one the sweep logged */
	uint64_t	 read_refused;	/* HTTP requests refused for want of
					 * the read token, since start */
	int64_t		 stream_next_us;	/* no streamed piece before
					 * (http.c write_body()) */
	uint64_t	 stream_deferred;	/* pieces that waited for it,
					 * since start */
	struct alerts	*alerts;	/* --on-alert's (alert.c), or NULL */
	struct webhook	*webhook;	/* --webhook's (webhook.c), or NULL */
};

#endif
