/*
 * store.h: the database (SPEC §4), the only module that speaks SQL.
 *
 * One SQLite file in WAL mode.  anomalyd opens it with store_open_writer()
 * and is its only writer: it holds an exclusive flock(2) on the database
 * file itself while the store is open, so a second writer is refused at
 * once, whatever name (symlink, hard link) it uses.  anomaly-top and
 * anomaly-export open it with store_open_reader(), which takes no lock,
 * never writes and never blocks the writer.
 *
 * Points are written in group commits: store_begin(), store_add_point() for
 * each point, store_commit().  The counters of each client (points,
 * anomalies, alerts, last value, seq and alert, last seen) move in the same
 * transaction, so a commit makes a batch visible whole or not at all.
 *
 * Timestamps keep the type they were received with (INTEGER, REAL or TEXT,
 * "007" stays text) and come back with it.  A store is used by one thread
 * at a time.  Every function that can fail returns -1 (or NULL) and writes a
 * message to err (errlen bytes, NUL-terminated when errlen > 0); none prints
 * or exits.  A write that fails while a transaction is open rolls the whole
 * transaction back: nothing of it is stored, and the next batch starts with
 * store_begin().
 */
#ifndef ANOMALY_STORE_H
#define ANOMALY_STORE_H

#include <stddef.h>
#include <stdint.h>

/* The schema version this code writes (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION	4

#define STORE_ID_MAX		64	/* bytes of a client_id */
#define STORE_TS_MAX		64	/* bytes of a timestamp string */
#define STORE_SETTINGS_MAX	4096	/* settings bytes with the NUL */
#define STORE_PEER_MAX		128	/* bytes of a peer text, NUL included */
#define STORE_KEY_HASH_MAX	72	/* bytes of a key hash, NUL included */

/* The database path when the option -d/--db is opt and $ANOMALY_DB is env
 * (either may be NULL): opt if given, else env if set and not empty, else
 * "./anomaly.db".  Returns one of its arguments or a static string. */
const char *store_resolve_path(const char *opt, const char *env);

struct store;

enum store_sync {
	STORE_SYNC_NORMAL,	/* survives any crash of the process */
	STORE_SYNC_FULL		/* also survives power loss */
};

/* Opens the database at path for writing, creating it when missing: takes
 * an exclusive flock(2) on the file (failing at once, with a message naming
 * the path, when another anomalyd holds it under any name), sets WAL and the synchronous
 * level, creates or migrates the schema to STORE_SCHEMA_VERSION (a database
 * of a newer version, or one that is not an anomaly database, is refused),
 * and marks every client inactive.  Returns the store, or NULL with a
 * message in err. */
struct store *store_open_writer(const char *path, enum store_sync sync,
    char *err, size_t errlen);

/* Opens the existing database at path read-only: no lock, no writes, and it
 * works while a writer is active; every read sees the last committed state.
 * Returns the store, or NULL with a message when the file does not exist or
 * is not an anomaly database of STORE_SCHEMA_VERSION. */
struct store *store_open_reader(const char *path, char *err, size_t errlen);

/* Rolls back an open transaction, closes the database and releases the
 * lock.  NULL is a no-op. */
void store_close(struct store *st);

/* Whether the path a writer was opened with still leads to the file it has
 * open: returns 0 when it does (or for a reader, or when it cannot tell),
 * -1 with "database file was removed" or "database file was replaced" in
 * err when it does not, so what is committed now would be lost.
 * store_commit() checks it before every commit.  It reads nothing that
 * changes after the open: any thread may call it, also while another one
 * uses the store. */
int store_file_check(const struct store *st, char *err, size_t errlen);

/* ------------------------------------------------------------ clients */

/* A row of the clients table.  A NULL last_alert_n reads as 0, a NULL
 * last_value as NAN, a NULL peer or key_hash as "". */
struct store_client {
	char	 client_id[STORE_ID_MAX + 1];
	int64_t	 window;
	char	 settings[STORE_SETTINGS_MAX];	/* JSON text, opaque here */
	int	 active;
	int64_t	 first_seen_ms;
	int64_t	 last_seen_ms;
	int64_t	 points;		/* stored points: the last ordinal n */
	int64_t	 anomalies;
	int64_t	 alerts;
	int64_t	 last_alert_n;		/* ordinal of the last alert, 0: none */
	double	 last_value;
	int64_t	 last_seq;		/* highest stored seq, 0: none */
	char	 peer[STORE_PEER_MAX];
	/* the SHA-256 of the client's key, 64 hex digits, as anomalyd wrote
	 * it; "": the client is not claimed (anomaly(7)) */
	char	 key_hash[STORE_KEY_HASH_MAX];
	/* the ordinal of its oldest stored point (retention prunes older
	 * ones), 0 none stored; -1 when not read: only store_oldest() reads
	 * it */
	int64_t	 oldest_n;
};

/* Reads client id into c, counting the points added in the open
 * transaction.  Returns 1, 0 when there is no such client, -1 on error. */
int store_client_get(struct store *st, const char *id, struct store_client *c,
    char *err, size_t errlen);

/* Records a hello: creates client id (no points, first and last seen
 * now_ms) or updates its window, settings, peer and last seen, and marks it
 * active.  peer may be NULL; a peer of STORE_PEER_MAX bytes or more is cut.
 * Then reads the client into c when c is not NULL.  Runs in the open
 * transaction, if any.  Returns 0, or -1 when the id is empty or too long,
 * the settings too long, or the database fails. */
int store_client_hello(struct store *st, const char *id, int64_t window,
    const char *settings, const char *peer, int64_t now_ms,
    struct store_client *c, char *err, size_t errlen);

/* Marks client id active (1) or inactive (0).  Runs in the open
 * transaction, if any.  Returns 0 (also when there is no such client), or
 * -1. */
int store_client_set_active(struct store *st, const char *id, int active,
    char *err, size_t errlen);

/* Sets the key hash of client id (text opaque here, shorter than
 * STORE_KEY_HASH_MAX); NULL or "" clears it.  Runs in the open
 * transaction, if any.  Returns 0 (also when there is no such client), or
 * -1. */
int store_client_set_key(struct store *st, const char *id,
    const char *key_hash, char *err, size_t errlen);

/* Marks every client inactive, as store_open_writer() does.  Returns 0 or
 * -1. */
int store_clients_deactivate(struct store *st, char *err, size_t errlen);

/* Deletes client id with its points and its detector state, in one
 * transaction of its own (none may be open; the caller makes sure no
 * connection of the client is using it).  Sets *points to the number of
 * points deleted.  Returns 1, 0 when there is no such client, -1 on
 * error (then nothing is deleted). */
int store_client_delete(struct store *st, const char *id, int64_t *points,
    char *err, size_t errlen);

/* Calls fn(arg, c) for every client, the active ones first, each group by
 * client_id; c lives until fn returns and fn must not call the store.  fn
 * returns 0 to go on, anything else to stop: store_clients_each() then
 * returns that value (err untouched).  Returns 0 when all were seen, -1 on
 * error. */
int store_clients_each(struct store *st,
    int (*fn)(void *arg, const struct store_client *c), void *arg,
    char *err, size_t errlen);

/* Calls fn(arg, c) as store_clients_each() does, for at most limit
 * clients (limit < 1 counts as 1) in order of client_id: the first ones
 * above after (NULL: from the first), or when before is not NULL the last
 * ones below before, still in ascending order.  Both go by the primary
 * key: the cost grows with limit, not with the number of clients.
 * Returns 0, fn's value when it stopped, or -1 on error. */
int store_clients_page(struct store *st, const char *after,
    const char *before, int64_t limit,
    int (*fn)(void *arg, const struct store_client *c), void *arg,
    char *err, size_t errlen);

/* The totals over every stored client. */
struct store_totals {
	int64_t	 clients, active, points, anomalies, alerts;
};

/* A writer's totals (a reader's are all 0): counted once at open, then
 * kept current by each commit, hello, mark and deletion, so reading them
 * costs nothing whatever the number of clients.  Any thread may call it,
 * also while another uses the store: each field is one that was
 * committed, the five need not be of the same commit. */
void store_totals(const struct store *st, struct store_totals *t);

/* ------------------------------------------------------------- points */

enum store_ts_type {
	STORE_TS_INTEGER,
	STORE_TS_REAL,
	STORE_TS_TEXT
};

/* A timestamp as received: a JSON integer, another JSON number, or a
 * string of up to STORE_TS_MAX bytes. */
struct store_ts {
	enum store_ts_type type;
	int64_t	 i;			/* STORE_TS_INTEGER */
	double	 r;			/* STORE_TS_REAL */
	size_t	 len;			/* STORE_TS_TEXT: text[0..len) */
	char	 text[STORE_TS_MAX + 1];	/* NUL-terminated on reads */
};

/* A row of the points table (without its client_id). */
struct store_point {
	int64_t	 n;			/* ordinal, from 1 */
	int64_t	 seq;			/* protocol 2 seq, 0: none */
	struct store_ts ts;
	int	 has_t_ms;		/* reads: t_ms is not NULL */
	int64_t	 t_ms;			/* reads: the parsed epoch ms */
	double	 value;
	int	 anomaly;
	int	 alert;
	double	 score;
	uint32_t votes;			/* bit per detector (detect.h) */
	int64_t	 received_ms;
};

/* Sets how long a statement of st waits for a lock that another
 * connection holds before it fails with "database is locked": ms
 * milliseconds, 0 not at all, -1 the 5000 that the store_open functions
 * set. */
void store_busy_wait(struct store *st, int ms);

/* Whether the last statement of a transaction since store_begin() that
 * failed found the database locked by another connection (SQLITE_BUSY):
 * then nothing of that transaction is stored, and it may be tried again. */
int store_busy(const struct store *st);

/* Starts a write transaction for a group commit.  Returns 0, or -1 when one
 * is already open (it stays open), the store is read-only or the database
 * fails. */
int store_begin(struct store *st, char *err, size_t errlen);

/* Adds point p of client id to the open transaction.  The client must
 * exist, p->n must be its next ordinal (its points + 1) and p->seq, when
 * not 0, above its last seq: so seqs rise with n, which store_point_by_seq()
 * relies on.  t_ms is derived from p->ts here (a date's epoch ms, or
 * epoch seconds times 1000, else NULL); p->has_t_ms and p->t_ms are
 * ignored.  Returns 0, or -1 on error: then the whole transaction has been
 * rolled back and nothing of it will be stored (call store_begin() again). */
int store_add_point(struct store *st, const char *id,
    const struct store_point *p, char *err, size_t errlen);

/* The number of points added in the open transaction, 0 if none is open. */
size_t store_pending(const struct store *st);

/* Writes the counters of the clients the transaction touched and commits.
 * Returns 0 when the whole batch is durable (as the sync level promises);
 * else -1 with a message (SQLITE_FULL, I/O error, the database file was
 * removed (store_file_check()), ...), and then nothing of the batch is
 * stored.  Either way no transaction is open afterwards. */
int store_commit(struct store *st, char *err, size_t errlen);

/* Abandons the open transaction, if any: nothing of it is stored. */
void store_rollback(struct store *st);

/* Reads the point of client id with that seq into p (the points added in
 * the open transaction included), by a binary search over n: O(log points)
 * index lookups, plus the points without a seq it steps over.  Returns 1,
 * 0 when there is none, -1 on error. */
int store_point_by_seq(struct store *st, const char *id, int64_t seq,
    struct store_point *p, char *err, size_t errlen);

/* Reads point n of client id into p (one primary-key lookup; the points
 * added in the open transaction included).  Returns 1, 0 when there is
 * none, -1 on error. */
int store_point_get(struct store *st, const char *id, int64_t n,
    struct store_point *p, char *err, size_t errlen);

/* Which points store_points_open() reads. */
struct store_range {
	int64_t	 after;			/* n > after */
	int64_t	 before;		/* n < before; 0: no bound */
	int64_t	 limit;			/* at most limit rows; <= 0: all */
	int	 anomalies_only;	/* only points with anomaly = 1 */
	int	 descending;		/* newest first */
};

/* Opens the store's cursor on the points of client id in range r, in order
 * of n (descending if asked).  One cursor per store may be open; close it
 * before any other call on the store.  Returns 0 or -1. */
int store_points_open(struct store *st, const char *id,
    const struct store_range *r, char *err, size_t errlen);

/* Reads the cursor's next point into p.  Returns 1, 0 at the end, -1 on
 * error. */
int store_points_next(struct store *st, struct store_point *p, char *err,
    size_t errlen);

/* Closes the cursor, if open. */
void store_points_close(struct store *st);

/* The marks store_flagged_open() selects points by. */
#define STORE_FLAG_ANOMALY	1	/* anomaly = 1 */
#define STORE_FLAG_ALERT	2	/* alert = 1 */

/* Opens the store's cursor, as store_points_open() does, on the points of
 * client id in range r that carry one of flags (r->anomalies_only is
 * ignored): the alerts, the anomalies, or with both flags each point that
 * is an anomaly or an alert, once, with r->after < n < r->before (before
 * 0: no bound), at most r->limit of them (<= 0: all).  They are read
 * through the partial indexes points_anomalies and points_alerts: the cost
 * grows with the limit, not with the client's points.  Read with
 * store_points_next(), close with store_points_close().  Returns 0 or -1. */
int store_flagged_open(struct store *st, const char *id,
    const struct store_range *r, int flags, char *err, size_t errlen);

/* The ordinal where client id's points reach arrival time ms: every point
 * with n >= *n arrived at or after ms (received_ms >= ms), every point with
 * n < *n before it.  Found by binary search over n through the primary key
 * (O(log points) lookups), which holds because anomalyd stores received_ms
 * non-decreasing in n within a client.  With no points *n is 1.  No
 * cursor may be open.  Returns 0 or -1. */
int store_arrival_n(struct store *st, const char *id, int64_t ms,
    int64_t *n, char *err, size_t errlen);

/* ----------------------------------------------------- rebuild support */

/* Reads the newest state snapshot of client id: the ordinal n it was taken
 * after, its format and its bytes, in a buffer the caller frees with
 * free(3).  Returns 1, 0 when there is none (then *blob is NULL), -1 on
 * error. */
int store_snapshot_get(struct store *st, const char *id, int64_t *n,
    int *format, unsigned char **blob, size_t *len, char *err,
    size_t errlen);

/* Replaces the snapshot of client id by the len bytes at blob, the state
 * after point n in format format.  Runs in the open transaction, if any
 * (write it in the transaction of point n).  Returns 0 or -1 (then an open
 * transaction has been rolled back, as by store_add_point()). */
int store_snapshot_put(struct store *st, const char *id, int64_t n,
    int format, const unsigned char *blob, size_t len, char *err,
    size_t errlen);

/* Calls fn(arg, n, value) for each stored point of client id with
 * n > after, in order of n, reading them one at a time (the points added in
 * the open transaction included); fn must not call the store.  fn returns 0
 * to go on, anything else to stop: store_values_each() then returns that
 * value (err untouched).  Returns 0 when all were seen, -1 on error. */
int store_values_each(struct store *st, const char *id, int64_t after,
    int (*fn)(void *arg, int64_t n, double value), void *arg, char *err,
    size_t errlen);

/* ----------------------------------------------------------- retention */

/* What store_prune() drops: a point received (received_ms, its arrival,
 * not its timestamp) before before_ms (0: none so), and the points of a
 * client beyond its last keep_points (0: none so). */
struct store_retain {
	int64_t	 before_ms;
	int64_t	 keep_points;
};

/* One small step of pruning, in a transaction of its own (none may be
 * open): deletes at most limit points that r drops, of at most limit / 8
 * + 1 clients, never a point after a client's snapshot (a rebuild replays
 * those; a client without a snapshot keeps all), then gives up to 256 free
 * pages back to the file system (incremental vacuum).  The clients'
 * counters (points, anomalies, alerts) do not move.  Successive calls go round the clients
 * in order of client_id, staying on one while it may have more; *wrapped
 * is set when a call found no client after the last one (the next starts
 * again from the first).  Sets *deleted.  Returns 0, or -1 with a message
 * (then nothing of the step is deleted). */
int store_prune(struct store *st, const struct store_retain *r, int64_t limit,
    int64_t *deleted, int *wrapped, char *err, size_t errlen);

/* Sets *n to the ordinal of the oldest stored point of client id, 0 when
 * none is stored.  Returns 0 or -1. */
int store_oldest(struct store *st, const char *id, int64_t *n, char *err,
    size_t errlen);

#endif
