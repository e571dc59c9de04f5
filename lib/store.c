/*
 * store.c: the SQLite database of SPEC §4.
 *
 * Every statement is prepared once, at open, and reset after each use.  The
 * client counters of a batch are summed in memory, one entry per client in
 * a small hash table, and written with one UPDATE per client just before
 * COMMIT: a batch of 4096 points of 100 clients costs 100 updates, not 4096.
 * Any failure inside a transaction rolls all of it back and forgets the
 * sums, so the database and the counters never disagree.
 *
 * The partial unique index points_seq of SPEC §4 is not created: it cost
 * about 45% of insert throughput (1,000,000 points of 100 clients in
 * batches of 4096, WAL, synchronous=NORMAL: ~150,000 rows/s with it,
 * ~285,000 without), and SPEC §4 drops it above 10%.  Instead
 * store_add_point() keeps each client's seqs rising with n, and
 * store_point_by_seq() finds a seq by binary search over n.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "detect.h"
#include "store.h"
#include "errmsg.h"
#include "timefmt.h"

#define BUSY_TIMEOUT_MS	5000

/* The schema, one step per version: migrations[v] takes a database of
 * version v to v + 1.  A later version appends a step; none is ever edited. */
static const char *const migrations[] = {
	/* 0 -> 1: SPEC §4. */
	"CREATE TABLE clients(client_id TEXT PRIMARY KEY,"
	" window INTEGER NOT NULL,"
	" settings TEXT NOT NULL,"
	" active INTEGER NOT NULL,"
	" first_seen_ms INTEGER NOT NULL,"
	" last_seen_ms INTEGER NOT NULL,"
	" points INTEGER NOT NULL,"
	" anomalies INTEGER NOT NULL,"
	" alerts INTEGER NOT NULL,"
	" last_alert_n INTEGER,"
	" last_value REAL,"
	" last_seq INTEGER NOT NULL,"
	" peer TEXT) STRICT;\n"
	"CREATE TABLE points(client_id TEXT NOT NULL,"
	" n INTEGER NOT NULL,"
	" seq INTEGER,"
	" timestamp ANY NOT NULL,"
	" t_ms INTEGER,"
	" value REAL NOT NULL,"
	" anomaly INTEGER NOT NULL,"
	" alert INTEGER NOT NULL,"
	" score REAL NOT NULL,"
	" votes INTEGER NOT NULL,"
	" received_ms INTEGER NOT NULL,"
	" PRIMARY KEY (client_id, n)) STRICT, WITHOUT ROWID;\n"
	"CREATE INDEX points_anomalies ON points(client_id, n)"
	" WHERE anomaly = 1;\n"
	"CREATE TABLE client_state(client_id TEXT PRIMARY KEY,"
	" n INTEGER NOT NULL,"
	" format INTEGER NOT NULL,"
	" state BLOB NOT NULL) STRICT;\n"
	"CREATE TABLE detectors(bit INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE) STRICT;\n",
	/* 1 -> 2: a client's alerts over its whole history, by index. */
	"CREATE INDEX IF NOT EXISTS points_alerts ON points(client_id, n)"
	" WHERE alert = 1;\n",
	/* 2 -> 3: the SHA-256 of a claimed client's key, NULL: unclaimed. */
	"ALTER TABLE clients ADD COLUMN key_hash TEXT;\n",
	/* 3 -> 4: incremental auto-vacuum, so that the pages pruning frees
	 * (store_prune()) go back to the file system.  Switching an existing
	 * database needs a VACUUM, which cannot run in the migration's
	 * transaction: store_open_writer() runs it after (auto_vacuum()). */
	"SELECT 1;\n",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) ==
    STORE_SCHEMA_VERSION, "one migration per schema version");

enum stmt {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_CLIENT_GET,
	S_CLIENTS_ALL,
	S_CLIENT_HELLO,
	S_CLIENT_ACTIVE,
	S_CLIENT_KEY,
	S_DEACTIVATE,
	S_COUNTERS,
	S_INSERT,
	S_CLIENT_BASE,
	S_MAX_N,
	S_SEQ_PROBE,
	S_POINT_AT,
	S_POINTS,		/* four variants: + anomalies_only * 2 + desc */
	S_POINTS_DESC,
	S_ANOMALIES,
	S_ANOMALIES_DESC,
	S_SNAP_GET,
	S_SNAP_PUT,
	S_VALUES,
	S_ALERTS,		/* + descending */
	S_ALERTS_DESC,
	S_EVENTS,		/* + descending */
	S_EVENTS_DESC,
	S_CLIENTS_AFTER,	/* a page of clients by id */
	S_CLIENTS_BEFORE,
	S_CLIENT_STATE,
	S_ARRIVED_FROM,		/* store_arrival_n()'s probe */
	S_COUNT
};

#define CLIENT_COLS	"client_id, window, settings, active, first_seen_ms," \
	" last_seen_ms, points, anomalies, alerts, last_alert_n, last_value," \
	" last_seq, peer"
/* What read_client() reads: the columns a hello writes, and the key. */
#define CLIENT_READ	CLIENT_COLS ", key_hash"
#define POINT_COLS	"n, seq, timestamp, t_ms, value, anomaly, alert," \
	" score, votes, received_ms"
#define POINTS_SELECT	"SELECT " POINT_COLS " FROM points" \
	" WHERE client_id = ?1 AND n > ?2 AND n < ?3"
/* Without stats the planner prefers the primary key here and would walk
 * every point of the range to find the few anomalies. */
#define ANOMALIES_SELECT "SELECT " POINT_COLS " FROM points" \
	" INDEXED BY points_anomalies" \
	" WHERE client_id = ?1 AND n > ?2 AND n < ?3 AND anomaly = 1"

#define ALERTS_SELECT "SELECT " POINT_COLS " FROM points" \
	" INDEXED BY points_alerts" \
	" WHERE client_id = ?1 AND n > ?2 AND n < ?3 AND alert = 1"

/* The anomalies and alerts of client ?1 with ?2 < n < ?3, at most ?4, in
 * order of n: the first ?4 of each partial index, merged, then their rows
 * by primary key; O(?4 log points), never a scan of the client's points. */
#define EVENTS_ARM(index, col, dir) "SELECT n FROM (SELECT n FROM points" \
	" INDEXED BY " index " WHERE client_id = ?1 AND " col " = 1" \
	" AND n > ?2 AND n < ?3 ORDER BY n " dir " LIMIT ?4)"
#define EVENTS_SELECT(dir) "SELECT " POINT_COLS " FROM points" \
	" WHERE client_id = ?1 AND n IN (" \
	EVENTS_ARM("points_anomalies", "anomaly", dir) " UNION " \
	EVENTS_ARM("points_alerts", "alert", dir) ")" \
	" ORDER BY n " dir " LIMIT ?4"

static const char *const stmt_sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_CLIENT_GET] = "SELECT " CLIENT_READ
	    " FROM clients WHERE client_id = ?1",
	[S_CLIENTS_ALL] = "SELECT " CLIENT_READ
	    " FROM clients ORDER BY active DESC, client_id",
	[S_CLIENT_HELLO] = "INSERT INTO clients(" CLIENT_COLS ")"
	    " VALUES (?1, ?2, ?3, 1, ?4, ?4, 0, 0, 0, NULL, NULL, 0, ?5)"
	    " ON CONFLICT(client_id) DO UPDATE SET window = excluded.window,"
	    " settings = excluded.settings, peer = excluded.peer, active = 1,"
	    " last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)",
	[S_CLIENT_ACTIVE] = "UPDATE clients SET active = ?2"
	    " WHERE client_id = ?1",
	[S_CLIENT_KEY] = "UPDATE clients SET key_hash = ?2"
	    " WHERE client_id = ?1",
	[S_DEACTIVATE] = "UPDATE clients SET active = 0 WHERE active <> 0",
	[S_COUNTERS] = "UPDATE clients SET points = points + ?2,"
	    " anomalies = anomalies + ?3, alerts = alerts + ?4,"
	    " last_value = ?5, last_seq = max(last_seq, ?6),"
	    " last_alert_n = coalesce(?7, last_alert_n),"
	    " last_seen_ms = max(last_seen_ms, ?8) WHERE client_id = ?1",
	[S_INSERT] = "INSERT INTO points(client_id, " POINT_COLS ")"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[S_CLIENT_BASE] = "SELECT points, last_seq FROM clients"
	    " WHERE client_id = ?1",
	[S_MAX_N] = "SELECT max(n) FROM points WHERE client_id = ?1",
	[S_SEQ_PROBE] = "SELECT n, seq FROM points WHERE client_id = ?1"
	    " AND n >= ?2 AND n <= ?3 AND seq IS NOT NULL ORDER BY n LIMIT 1",
	[S_POINT_AT] = "SELECT " POINT_COLS " FROM points"
	    " WHERE client_id = ?1 AND n = ?2",
	[S_POINTS] = POINTS_SELECT " ORDER BY n LIMIT ?4",
	[S_POINTS_DESC] = POINTS_SELECT " ORDER BY n DESC LIMIT ?4",
	[S_ANOMALIES] = ANOMALIES_SELECT " ORDER BY n LIMIT ?4",
	[S_ANOMALIES_DESC] = ANOMALIES_SELECT " ORDER BY n DESC LIMIT ?4",
	[S_SNAP_GET] = "SELECT n, format, state FROM client_state"
	    " WHERE client_id = ?1",
	[S_SNAP_PUT] = "INSERT INTO client_state(client_id, n, format, state)"
	    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT(client_id) DO UPDATE SET"
	    " n = excluded.n, format = excluded.format, state = excluded.state",
	[S_VALUES] = "SELECT n, value FROM points"
	    " WHERE client_id = ?1 AND n > ?2 ORDER BY n",
	[S_ALERTS] = ALERTS_SELECT " ORDER BY n LIMIT ?4",
	[S_ALERTS_DESC] = ALERTS_SELECT " ORDER BY n DESC LIMIT ?4",
	[S_EVENTS] = EVENTS_SELECT("ASC"),
	[S_EVENTS_DESC] = EVENTS_SELECT("DESC"),
	[S_CLIENTS_AFTER] = "SELECT " CLIENT_COLS " FROM clients"
	    " WHERE client_id > ?1 ORDER BY client_id LIMIT ?2",
	/* the last ?2 below ?1, found by the primary key: O(?2 log n) */
	[S_CLIENTS_BEFORE] = "SELECT " CLIENT_COLS " FROM clients"
	    " WHERE client_id < ?1 AND client_id >= coalesce((SELECT client_id"
	    " FROM clients WHERE client_id < ?1 ORDER BY client_id DESC"
	    " LIMIT 1 OFFSET ?2 - 1), '') ORDER BY client_id LIMIT ?2",
	[S_CLIENT_STATE] = "SELECT active, points, anomalies, alerts"
	    " FROM clients WHERE client_id = ?1",
	/* the first point at or after ordinal ?2, by the primary key */
	[S_ARRIVED_FROM] = "SELECT n, received_ms FROM points"
	    " WHERE client_id = ?1 AND n >= ?2 ORDER BY n LIMIT 1",
};

/* The counters one client gained in the open transaction. */
struct pending {
	char	 id[STORE_ID_MAX + 1];
	size_t	 idlen;
	uint32_t hash;
	uint32_t slot;			/* its index in the hash table */
	int	 loaded;		/* last_n, last_seq read from clients */
	int64_t	 points, anomalies, alerts;
	int64_t	 last_n;		/* the client's last ordinal */
	double	 last_value;		/* value of last_n */
	int64_t	 last_seq;		/* the client's highest seq, 0: none */
	int64_t	 last_alert_n;		/* highest n with alert, 0: none */
	int64_t	 last_seen_ms;
};

struct store {
	sqlite3		*db;
	int		 lockfd;	/* a writer's descriptor of the database
					 * file, flocked; else -1 */
	char		*path;		/* a writer's path, as opened */
	int		 writer;
	int		 in_tx;
	int		 busy;		/* the last failure: a lock held */
	size_t		 npoints;	/* points added in the transaction */
	sqlite3_stmt	*stmt[S_COUNT];
	sqlite3_stmt	*cursor;	/* the open cursor's statement */

	struct pending	*pend;		/* npend entries, in order of arrival */
	size_t		 npend, pendcap;
	uint32_t	*slots;		/* hash: index in pend + 1, 0 empty */
	uint32_t	 nslots;	/* a power of two, > 2 * npend */

	/* a writer's totals over all clients (store_totals()): counted at
	 * open, then moved by each commit; any thread reads them */
	_Atomic int64_t	 t_clients, t_active, t_points, t_anomalies,
			 t_alerts;
	int64_t		 tx_clients, tx_active;	/* the open transaction's */
	char		 prune_at[STORE_ID_MAX + 1];	/* store_prune()'s
					 * client, "" from the first */
	int		 prune_stay;	/* it may have more to prune */
	int		 tx_deactivated;	/* it marked all inactive */
};

const char *
store_resolve_path(const char *opt, const char *env)
{
	if (opt != NULL)
		return opt;
	if (env != NULL && *env != '\0')
		return env;
	return "./anomaly.db";
}

/* ------------------------------------------------------ pending counts */

static uint32_t
hash_id(const char *id, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)id[i]) * 16777619u;
	return h;
}

static void
pending_clear(struct store *st)
{
	size_t i;

	for (i = 0; i < st->npend; i++)
		st->slots[st->pend[i].slot] = 0;
	st->npend = 0;
}

static int
pending_grow(struct store *st)
{
	struct pending *p;
	uint32_t *slots, n, i, j;

	if (st->npend == st->pendcap) {
		n = st->pendcap ? (uint32_t)st->pendcap * 2 : 64;
		if ((p = realloc(st->pend, n * sizeof(*p))) == NULL)
			return -1;
		st->pend = p;
		st->pendcap = n;
	}
	if (st->nslots > 2 * (st->npend + 1))
		return 0;
	n = st->nslots ? st->nslots * 2 : 256;
	if ((slots = calloc(n, sizeof(*slots))) == NULL)
		return -1;
	for (i = 0; i < st->npend; i++) {
		j = st->pend[i].hash & (n - 1);
		while (slots[j] != 0)
			j = (j + 1) & (n - 1);
		slots[j] = i + 1;
		st->pend[i].slot = j;
	}
	free(st->slots);
	st->slots = slots;
	st->nslots = n;
	return 0;
}

/* The entry of client id, NULL when there is none (and add is 0) or memory
 * is short. */
static struct pending *
pending_find(struct store *st, const char *id, size_t len, int add)
{
	struct pending *e;
	uint32_t h = hash_id(id, len), j;

	if (st->nslots != 0) {
		for (j = h & (st->nslots - 1); st->slots[j] != 0;
		    j = (j + 1) & (st->nslots - 1)) {
			e = &st->pend[st->slots[j] - 1];
			if (e->hash == h && e->idlen == len &&
			    memcmp(e->id, id, len) == 0)
				return e;
		}
	}
	if (!add || pending_grow(st) == -1)
		return NULL;
	for (j = h & (st->nslots - 1); st->slots[j] != 0;
	    j = (j + 1) & (st->nslots - 1))
		;
	e = &st->pend[st->npend];
	memset(e, 0, sizeof(*e));
	memcpy(e->id, id, len);
	e->idlen = len;
	e->hash = h;
	e->slot = j;
	e->last_seen_ms = INT64_MIN;
	st->slots[j] = (uint32_t)++st->npend;
	return e;
}

/* -------------------------------------------------------- statements */

/* Ends the transaction without keeping anything of it. */
static void
tx_abort(struct store *st)
{
	sqlite3_stmt *s = st->stmt[S_ROLLBACK];

	if (s != NULL && !sqlite3_get_autocommit(st->db)) {
		sqlite3_step(s);
		sqlite3_reset(s);
	}
	pending_clear(st);
	st->npoints = 0;
	st->in_tx = 0;
	st->tx_clients = st->tx_active = 0;
	st->tx_deactivated = 0;
}

/* Moves the totals by a change of clients and active ones: at once, or at
 * the commit of the open transaction. */
static void
totals_move(struct store *st, int64_t clients, int64_t active)
{
	if (st->in_tx) {
		st->tx_clients += clients;
		st->tx_active += active;
	} else {
		st->t_clients += clients;
		st->t_active += active;
	}
}

/* Reads the active flag and counters of client id into v[0..3]: 1, 0 when
 * there is none, -1 (err set). */
static int
client_state(struct store *st, const char *id, size_t len, int64_t v[4],
    char *err, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[S_CLIENT_STATE];
	int rc, i;

	sqlite3_bind_text(s, 1, id, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		for (i = 0; i < 4; i++)
			v[i] = sqlite3_column_int64(s, i);
		sqlite3_reset(s);
		return 1;
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 0;
	errmsg_set(err, errlen, "client %s: %s", id, sqlite3_errmsg(st->db));
	return -1;
}

/* Runs statement s (bound already) to its end and resets it.  On failure
 * fills err with what failed and the database's reason, rolls back an open
 * transaction, and returns -1. */
static int
run(struct store *st, enum stmt s, const char *what, char *err,
    size_t errlen)
{
	int rc = sqlite3_step(st->stmt[s]);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		st->busy = (rc & 0xff) == SQLITE_BUSY;
		errmsg_set(err, errlen, "%s: %s", what, sqlite3_errmsg(st->db));
		sqlite3_reset(st->stmt[s]);
		if (st->in_tx)
			tx_abort(st);
		return -1;
	}
	sqlite3_reset(st->stmt[s]);
	return 0;
}

/* Fails a write call: rolls back an open transaction and returns -1. */
static int
write_fail(struct store *st)
{
	if (st->in_tx)
		tx_abort(st);
	return -1;
}

static int
check_id(const char *id, size_t *len, char *err, size_t errlen)
{
	size_t n;

	if (id == NULL || (n = strlen(id)) == 0 || n > STORE_ID_MAX) {
		errmsg_set(err, errlen, "client_id must be 1 to %d bytes",
		    STORE_ID_MAX);
		return -1;
	}
	*len = n;
	return 0;
}

static int
check_writer(struct store *st, char *err, size_t errlen)
{
	if (!st->writer) {
		errmsg_set(err, errlen, "the database is open read-only");
		return -1;
	}
	if (st->cursor != NULL) {
		errmsg_set(err, errlen, "a points cursor is open");
		return -1;
	}
	return 0;
}

/* Copies text column col of s to buf (size bytes, NUL included); -1 when
 * it does not fit. */
static int
column_text(sqlite3_stmt *s, int col, char *buf, size_t size, size_t *len)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	size_t n = (size_t)sqlite3_column_bytes(s, col);

	if (t == NULL)
		n = 0;
	if (n >= size)
		return -1;
	if (n > 0)
		memcpy(buf, t, n);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return 0;
}

/* Adds to c what its client gained in the open transaction. */
static void
add_pending(struct store *st, struct store_client *c)
{
	struct pending *e;

	if (!st->in_tx || st->npend == 0)
		return;
	e = pending_find(st, c->client_id, strlen(c->client_id), 0);
	if (e == NULL)
		return;
	c->points += e->points;
	c->anomalies += e->anomalies;
	c->alerts += e->alerts;
	c->last_value = e->last_value;
	if (e->last_seq > c->last_seq)
		c->last_seq = e->last_seq;
	if (e->last_alert_n != 0)
		c->last_alert_n = e->last_alert_n;
	if (e->last_seen_ms > c->last_seen_ms)
		c->last_seen_ms = e->last_seen_ms;
}

/* Reads the clients row at s's cursor into c. */
static int
read_client(sqlite3_stmt *s, struct store_client *c, char *err,
    size_t errlen)
{
	if (column_text(s, 0, c->client_id, sizeof(c->client_id), NULL) ==
	    -1) {
		errmsg_set(err, errlen, "a stored client_id is over %d bytes",
		    STORE_ID_MAX);
		return -1;
	}
	c->window = sqlite3_column_int64(s, 1);
	if (column_text(s, 2, c->settings, sizeof(c->settings), NULL) == -1) {
		errmsg_set(err, errlen, "settings of client %s are over %d bytes",
		    c->client_id, STORE_SETTINGS_MAX - 1);
		return -1;
	}
	c->active = sqlite3_column_int64(s, 3) != 0;
	c->first_seen_ms = sqlite3_column_int64(s, 4);
	c->last_seen_ms = sqlite3_column_int64(s, 5);
	c->points = sqlite3_column_int64(s, 6);
	c->anomalies = sqlite3_column_int64(s, 7);
	c->alerts = sqlite3_column_int64(s, 8);
	c->last_alert_n = sqlite3_column_int64(s, 9);	/* NULL reads 0 */
	c->last_value = sqlite3_column_type(s, 10) == SQLITE_NULL ? NAN :
	    sqlite3_column_double(s, 10);
	c->last_seq = sqlite3_column_int64(s, 11);
	c->oldest_n = -1;
	if (column_text(s, 12, c->peer, sizeof(c->peer), NULL) == -1)
		c->peer[0] = '\0';
	if (column_text(s, 13, c->key_hash, sizeof(c->key_hash), NULL) == -1)
		c->key_hash[0] = '\0';
	return 0;
}

/* Reads the points row at s's cursor (POINT_COLS) into p. */
static int
read_point(sqlite3_stmt *s, struct store_point *p, char *err, size_t errlen)
{
	p->n = sqlite3_column_int64(s, 0);
	p->seq = sqlite3_column_int64(s, 1);
	switch (sqlite3_column_type(s, 2)) {
	case SQLITE_INTEGER:
		p->ts.type = STORE_TS_INTEGER;
		p->ts.i = sqlite3_column_int64(s, 2);
		break;
	case SQLITE_FLOAT:
		p->ts.type = STORE_TS_REAL;
		p->ts.r = sqlite3_column_double(s, 2);
		break;
	case SQLITE_TEXT:
		p->ts.type = STORE_TS_TEXT;
		if (column_text(s, 2, p->ts.text, sizeof(p->ts.text),
		    &p->ts.len) == -1) {
			errmsg_set(err, errlen, "timestamp of point %lld is over "
			    "%d bytes", (long long)p->n, STORE_TS_MAX);
			return -1;
		}
		break;
	default:
		errmsg_set(err, errlen, "timestamp of point %lld is not a "
		    "number or a string", (long long)p->n);
		return -1;
	}
	if (p->ts.type != STORE_TS_TEXT) {
		p->ts.len = 0;
		p->ts.text[0] = '\0';
	}
	p->has_t_ms = sqlite3_column_type(s, 3) != SQLITE_NULL;
	p->t_ms = sqlite3_column_int64(s, 3);
	p->value = sqlite3_column_double(s, 4);
	p->anomaly = sqlite3_column_int64(s, 5) != 0;
	p->alert = sqlite3_column_int64(s, 6) != 0;
	p->score = sqlite3_column_double(s, 7);
	p->votes = (uint32_t)sqlite3_column_int64(s, 8);
	p->received_ms = sqlite3_column_int64(s, 9);
	return 0;
}

/* ------------------------------------------------------------- open */

static struct store *
store_new(void)
{
	struct store *st;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	st->lockfd = -1;
	return st;
}

/* Runs sql (no result rows wanted); fills err naming path on failure. */
static int
exec_sql(struct store *st, const char *path, const char *sql, char *err,
    size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		errmsg_set(err, errlen, "%s: %s", path,
		    msg != NULL ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Runs a statement that returns one integer, into *v. */
static int
query_int(struct store *st, const char *path, const char *sql, int64_t *v,
    char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		goto fail;
	if ((rc = sqlite3_step(s)) != SQLITE_ROW)
		goto fail;
	*v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return 0;
fail:
	errmsg_set(err, errlen, "%s: %s", path, sqlite3_errmsg(st->db));
	sqlite3_finalize(s);
	return -1;
}

/* Checks the schema version v of the database at path against this code's. */
static int
check_version(const char *path, int64_t v, int writer, char *err,
    size_t errlen)
{
	if (v > STORE_SCHEMA_VERSION) {
		errmsg_set(err, errlen, "%s: schema version %lld is newer than "
		    "this program's (%d): use a newer anomaly", path,
		    (long long)v, STORE_SCHEMA_VERSION);
		return -1;
	}
	if (v < 0 || (!writer && v == 0)) {
		errmsg_set(err, errlen, "%s: not an anomaly database (schema "
		    "version %lld)", path, (long long)v);
		return -1;
	}
	if (!writer && v < STORE_SCHEMA_VERSION) {
		errmsg_set(err, errlen, "%s: schema version %lld is older than "
		    "this program's (%d): anomalyd upgrades it", path,
		    (long long)v, STORE_SCHEMA_VERSION);
		return -1;
	}
	return 0;
}

/* Fills the detectors table with the fixed bits of detect.h and checks that
 * the rows already there agree with them. */
static int
fill_detectors(struct store *st, const char *path, char *err, size_t errlen)
{
	sqlite3_stmt *get = NULL, *put = NULL;
	const char *name, *have;
	unsigned k;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT name FROM detectors"
	    " WHERE bit = ?1", -1, &get, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, "INSERT INTO detectors(bit, name)"
	    " VALUES (?1, ?2)", -1, &put, NULL) != SQLITE_OK)
		goto dberr;
	for (k = 0; (name = detect_kind_name(k)) != NULL; k++) {
		sqlite3_bind_int(get, 1, (int)k);
		rc = sqlite3_step(get);
		if (rc == SQLITE_ROW) {
			have = (const char *)sqlite3_column_text(get, 0);
			if (have == NULL || strcmp(have, name) != 0) {
				errmsg_set(err, errlen, "%s: detector bit %u is "
				    "named '%s' here, '%s' in this program",
				    path, k, have ? have : "", name);
				goto fail;
			}
		} else if (rc != SQLITE_DONE)
			goto dberr;
		sqlite3_reset(get);
		if (rc == SQLITE_ROW)
			continue;
		sqlite3_bind_int(put, 1, (int)k);
		sqlite3_bind_text(put, 2, name, -1, SQLITE_STATIC);
		rc = sqlite3_step(put);
		sqlite3_reset(put);
		if (rc != SQLITE_DONE) {
			errmsg_set(err, errlen, "%s: cannot record detector '%s' "
			    "as bit %u: %s", path, name, k,
			    sqlite3_errmsg(st->db));
			goto fail;
		}
	}
	sqlite3_finalize(get);
	sqlite3_finalize(put);
	return 0;
dberr:
	errmsg_set(err, errlen, "%s: %s", path, sqlite3_errmsg(st->db));
fail:
	sqlite3_finalize(get);
	sqlite3_finalize(put);
	return -1;
}

/* Brings the schema to STORE_SCHEMA_VERSION, fills the detectors and marks
 * every client inactive, all in one transaction. */
static int
migrate(struct store *st, const char *path, char *err, size_t errlen)
{
	int64_t v, objects;
	char sql[64];

	if (exec_sql(st, path, "BEGIN IMMEDIATE", err, errlen) == -1)
		return -1;
	if (query_int(st, path, "PRAGMA user_version", &v, err,
	    errlen) == -1 || check_version(path, v, 1, err, errlen) == -1)
		goto fail;
	if (v == 0) {
		if (query_int(st, path, "SELECT count(*) FROM sqlite_master",
		    &objects, err, errlen) == -1)
			goto fail;
		if (objects != 0) {
			errmsg_set(err, errlen, "%s: not an anomaly database (it "
			    "has tables but no schema version)", path);
			goto fail;
		}
	}
	if (v < STORE_SCHEMA_VERSION) {
		for (; v < STORE_SCHEMA_VERSION; v++)
			if (exec_sql(st, path, migrations[v], err,
			    errlen) == -1)
				goto fail;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		    STORE_SCHEMA_VERSION);
		if (exec_sql(st, path, sql, err, errlen) == -1)
			goto fail;
	}
	if (fill_detectors(st, path, err, errlen) == -1 ||
	    exec_sql(st, path, stmt_sql[S_DEACTIVATE], err, errlen) == -1 ||
	    exec_sql(st, path, "COMMIT", err, errlen) == -1)
		goto fail;
	return 0;
fail:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Makes the database incrementally auto-vacuumed (schema 4): a new one
 * already is (the pragma ran before its tables were made); an older one
 * is rewritten once by a VACUUM.  Returns 0 or -1. */
static int
auto_vacuum(struct store *st, const char *path, char *err, size_t errlen)
{
	int64_t mode;

	if (query_int(st, path, "PRAGMA auto_vacuum", &mode, err,
	    errlen) == -1)
		return -1;
	if (mode == 2)
		return 0;
	if (exec_sql(st, path, "PRAGMA auto_vacuum = INCREMENTAL", err,
	    errlen) == -1 || exec_sql(st, path, "VACUUM", err, errlen) == -1)
		return -1;
	return 0;
}

static int
prepare_all(struct store *st, const char *path, char *err, size_t errlen)
{
	int i;

	for (i = 0; i < S_COUNT; i++) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL) !=
		    SQLITE_OK) {
			errmsg_set(err, errlen, "%s: %s", path,
			    sqlite3_errmsg(st->db));
			return -1;
		}
	}
	return 0;
}

static int
open_db(struct store *st, const char *path, int flags, char *err,
    size_t errlen)
{
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		errmsg_set(err, errlen, "%s: %s", path, st->db != NULL ?
		    sqlite3_errmsg(st->db) : "out of memory");
		return -1;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	return 0;
}

/* Counts a writer's totals over every client, once, at open. */
static int
totals_count(struct store *st, const char *path, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, "SELECT count(*), total(active),"
	    " total(points), total(anomalies), total(alerts) FROM clients", -1,
	    &s, NULL) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
		errmsg_set(err, errlen, "%s: %s", path, sqlite3_errmsg(st->db));
		sqlite3_finalize(s);
		return -1;
	}
	st->t_clients = sqlite3_column_int64(s, 0);
	st->t_active = sqlite3_column_int64(s, 1);
	st->t_points = sqlite3_column_int64(s, 2);
	st->t_anomalies = sqlite3_column_int64(s, 3);
	st->t_alerts = sqlite3_column_int64(s, 4);
	sqlite3_finalize(s);
	return 0;
}

void
store_totals(const struct store *st, struct store_totals *t)
{
	t->clients = st->t_clients;
	t->active = st->t_active;
	t->points = st->t_points;
	t->anomalies = st->t_anomalies;
	t->alerts = st->t_alerts;
}

struct store *
store_open_writer(const char *path, enum store_sync sync, char *err,
    size_t errlen)
{
	struct store *st;
	struct stat sb;
	char sql[64];
	sqlite3_stmt *s = NULL;
	const char *mode;

	if ((st = store_new()) == NULL) {
		errmsg_set(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	st->writer = 1;
	if ((st->path = strdup(path)) == NULL) {
		errmsg_set(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	/*
	 * The lock is on the database file itself, not on a name: a second
	 * anomalyd that reaches the file by another one (a symlink, a hard
	 * link) is refused too.  On Linux flock(2) locks and SQLite's
	 * fcntl(2) locks do not meet; but closing any descriptor of the file
	 * would drop this process's fcntl locks, so this one stays open until
	 * after sqlite3_close() (store_close()).
	 */
	if ((st->lockfd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC,
	    0644)) == -1) {
		errmsg_set(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(st->lockfd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		errmsg_set(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if (flock(st->lockfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			errmsg_set(err, errlen, "%s: database in use: another "
			    "anomalyd has it open (under this or another name)",
			    path);
		else
			errmsg_set(err, errlen, "%s: flock: %s", path,
			    strerror(errno));
		goto fail;
	}
	if (open_db(st, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	    err, errlen) == -1)
		goto fail;
	if (sqlite3_db_readonly(st->db, "main") == 1) {
		errmsg_set(err, errlen, "%s: the database file is read-only",
		    path);
		goto fail;
	}
	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s,
	    NULL) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
		errmsg_set(err, errlen, "%s: %s", path, sqlite3_errmsg(st->db));
		goto fail;
	}
	mode = (const char *)sqlite3_column_text(s, 0);
	if (mode == NULL || strcmp(mode, "wal") != 0) {
		errmsg_set(err, errlen, "%s: cannot use WAL (journal mode %s)",
		    path, mode ? mode : "unknown");
		goto fail;
	}
	sqlite3_finalize(s);
	s = NULL;
	snprintf(sql, sizeof(sql), "PRAGMA synchronous = %s",
	    sync == STORE_SYNC_FULL ? "FULL" : "NORMAL");
	if (exec_sql(st, path, sql, err, errlen) == -1 ||
	    exec_sql(st, path, "PRAGMA auto_vacuum = INCREMENTAL", err,
	    errlen) == -1 ||
	    migrate(st, path, err, errlen) == -1 ||
	    auto_vacuum(st, path, err, errlen) == -1 ||
	    prepare_all(st, path, err, errlen) == -1 ||
	    totals_count(st, path, err, errlen) == -1)
		goto fail;
	return st;
fail:
	sqlite3_finalize(s);
	store_close(st);
	return NULL;
}

struct store *
store_open_reader(const char *path, char *err, size_t errlen)
{
	struct store *st;
	struct stat sb;
	int64_t v;

	if (stat(path, &sb) == -1) {
		if (errno == ENOENT)
			errmsg_set(err, errlen, "%s: no such database", path);
		else
			errmsg_set(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (!S_ISREG(sb.st_mode)) {
		errmsg_set(err, errlen, "%s: not a regular file", path);
		return NULL;
	}
	if ((st = store_new()) == NULL) {
		errmsg_set(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	if (open_db(st, path, SQLITE_OPEN_READONLY, err, errlen) == -1 ||
	    exec_sql(st, path, "PRAGMA query_only = 1", err, errlen) == -1 ||
	    query_int(st, path, "PRAGMA user_version", &v, err,
	    errlen) == -1 || check_version(path, v, 0, err, errlen) == -1 ||
	    prepare_all(st, path, err, errlen) == -1) {
		store_close(st);
		return NULL;
	}
	return st;
}

void
store_close(struct store *st)
{
	int i;

	if (st == NULL)
		return;
	store_points_close(st);
	if (st->in_tx)
		tx_abort(st);
	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	if (st->db != NULL)
		sqlite3_close(st->db);
	if (st->lockfd != -1)
		close(st->lockfd);	/* releases the flock */
	free(st->path);
	free(st->pend);
	free(st->slots);
	free(st);
}

int
store_file_check(const struct store *st, char *err, size_t errlen)
{
	struct stat open_sb, path_sb;

	if (st->lockfd == -1)
		return 0;
	if (fstat(st->lockfd, &open_sb) == -1)
		return 0;	/* cannot tell: let SQLite find out */
	if (open_sb.st_nlink == 0) {
		errmsg_set(err, errlen, "database file was removed");
		return -1;
	}
	if (stat(st->path, &path_sb) == -1) {
		if (errno != ENOENT && errno != ENOTDIR)
			return 0;
		errmsg_set(err, errlen, "database file was removed");
		return -1;
	}
	if (path_sb.st_dev != open_sb.st_dev ||
	    path_sb.st_ino != open_sb.st_ino) {
		errmsg_set(err, errlen, "database file was replaced");
		return -1;
	}
	return 0;
}

/* ----------------------------------------------------------- clients */

int
store_client_get(struct store *st, const char *id, struct store_client *c,
    char *err, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[S_CLIENT_GET];
	size_t len;
	int rc;

	if (id == NULL || (len = strlen(id)) == 0 || len > STORE_ID_MAX)
		return 0;
	sqlite3_bind_text(s, 1, id, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		rc = read_client(s, c, err, errlen);
		sqlite3_reset(s);
		if (rc == -1)
			return -1;
		add_pending(st, c);
		return 1;
	}
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return 0;
	}
	errmsg_set(err, errlen, "client %s: %s", id, sqlite3_errmsg(st->db));
	sqlite3_reset(s);
	return -1;
}

int
store_client_hello(struct store *st, const char *id, int64_t window,
    const char *settings, const char *peer, int64_t now_ms,
    struct store_client *c, char *err, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[S_CLIENT_HELLO];
	size_t len, slen, plen;
	int64_t was[4];
	int found;

	if (check_writer(st, err, errlen) == -1 ||
	    check_id(id, &len, err, errlen) == -1)
		return write_fail(st);
	if (settings == NULL ||
	    (slen = strlen(settings)) >= STORE_SETTINGS_MAX) {
		errmsg_set(err, errlen, "settings of client %s: missing or over "
		    "%d bytes", id, STORE_SETTINGS_MAX - 1);
		return write_fail(st);
	}
	if ((found = client_state(st, id, len, was, err, errlen)) == -1)
		return write_fail(st);
	sqlite3_bind_text(s, 1, id, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, window);
	sqlite3_bind_text(s, 3, settings, (int)slen, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, now_ms);
	if (peer == NULL)
		sqlite3_bind_null(s, 5);
	else {
		plen = strlen(peer);
		if (plen >= STORE_PEER_MAX)
			plen = STORE_PEER_MAX - 1;
		sqlite3_bind_text(s, 5, peer, (int)plen, SQLITE_STATIC);
	}
	if (run(st, S_CLIENT_HELLO, "hello", err, errlen) == -1)
		return -1;
	totals_move(st, !found, found ? was[0] == 0 : 1);
	if (c != NULL && store_client_get(st, id, c, err, errlen) != 1) {
		errmsg_set(err, errlen, "hello: cannot read client %s back", id);
		return write_fail(st);
	}
	return 0;
}

int
store_client_set_active(struct store *st, const char *id, int active,
    char *err, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[S_CLIENT_ACTIVE];
	size_t len;
	int64_t was[4];
	int found;

	if (check_writer(st, err, errlen) == -1 ||
	    check_id(id, &len, err, errlen) == -1 ||
	    (found = client_state(st, id, len, was, err, errlen)) == -1)
		return write_fail(st);
	sqlite3_bind_text(s, 1, id, (int)len, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, active != 0);
	if (run(st, S_CLIENT_ACTIVE, "mark client", err, errlen) == -1)
		return -1;
	if (found)
		totals_move(st, 0, (active != 0) - (was[0] != 0));
	return 0;
}

int
store_client_set_key(struct store *st, const char *id, const char *key_hash,
    char *err, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[S_CLIENT_KEY];
	size_t len;

	if (check_writer(st, err, errlen) == -1 ||
	    check_id(id, &len, err, errlen) == -1)
		return write_fail(st);
	if (key_hash != NULL && strlen(key_hash) >= STORE_KEY_HASH_MAX) {
		errmsg_set(err, errlen, "key hash of client %s is over %d "
		    "bytes", id, STORE_KEY_HASH_MAX - 1);
		return write_fail(st);
	}
	sqlite3_bind_text(s, 1, id, (int)len, SQLITE_STATIC);
	if (key_hash == NULL || *key_hash == '\0')
		sqlite3_bind_null(s, 2);
	else
		sqlite3_bind_text(s, 2, key_hash, -1, SQLITE_STATIC);
	return run(st, S_CLIENT_KEY, "set the key of client", err, errlen);
}

int
store_clients_deactivate(struct store *st, char *err, size_t errlen)
{
	if (check_writer(st, err, errlen) == -1)
		return write_fail(st);
	if (run(st, S_DEACTIVATE, "mark clients inactive", err, errlen) == -1)
		return -1;
	if (st->in_tx) {
		st->tx_deactivated = 1;
		st->tx_active = 0;
	} else
		st->t_active = 0;
	return 0;
}

/* Runs sql on id (bound as ?1) to its end; the rows it changed in
 * *changes.  On failure err names what. */
static int
exec_id(struct store *st, const char *sql, const char *id, size_t len,
    int64_t *changes, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(s, 1, id, (int)len, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) != SQLITE_DONE && rc != SQLITE_ROW)
		goto fail;
	if (changes != NULL)
		*changes = sqlite3_changes64(st->db);
	sqlite3_finalize(s);
	return 0;
fail:
	errmsg_set(err, errlen, "delete client %s: %s", id,
	    sqlite3_errmsg(st->db));
	sqlite3_finalize(s);
	return -1;
}

int
store_client_delete(struct store *st, const char *id, int64_t *points,
    char *err, size_t errlen)
{
	int64_t rows = 0, was[4] = { 0 };
	size_t len;

	*points = 0;
	if (check_writer(st, err, errlen) == -1 ||
	    check_id(id, &len, err, errlen) == -1)
		return -1;
	if (st->in_tx) {
		errmsg_set(err, errlen, "delete client %s: a transaction is "
		    "open", id);
		return -1;
	}
	if (exec_id(st, "BEGIN IMMEDIATE", id, len, NULL, err, errlen) == -1)
		return -1;
	if (client_state(st, id, len, was, err, errlen) == -1)
		goto fail;
	if (exec_id(st, "DELETE FROM points WHERE client_id = ?1", id, len,
	    points, err, errlen) == -1 ||
	    exec_id(st, "DELETE FROM client_state WHERE client_id = ?1", id,
	    len, NULL, err, errlen) == -1 ||
	    exec_id(st, "DELETE FROM clients WHERE client_id = ?1", id, len,
	    &rows, err, errlen) == -1)
		goto fail;
	if (rows == 0) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		*points = 0;
		return 0;
	}
	if (exec_id(st, "COMMIT", id, len, NULL, err, errlen) == -1)
		goto fail;
	st->t_clients--;
	st->t_active -= was[0] != 0;
	st->t_points -= was[1];
	st->t_anomalies -= was[2];
	st->t_alerts -= was[3];
	return 1;
fail:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	*points = 0;
	return -1;
}

/* Calls fn for each client row of prepared statement s, until fn returns
 * nonzero (returned); resets s.  Returns 0, or -1 with err. */
static int
clients_rows(struct store *st, sqlite3_stmt *s,
    int (*fn)(void *arg, const struct store_client *c), void *arg,
    char *err, size_t errlen)
{
	struct store_client *c;
	int rc, ret = 0;

	if ((c = malloc(sizeof(*c))) == NULL) {
		errmsg_set(err, errlen, "list clients: out of memory");
		sqlite3_reset(s);
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (read_client(s, c, err, errlen) == -1) {
			ret = -1;
			break;
		}
		add_pending(st, c);
		if ((ret = fn(arg, c)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		errmsg_set(err, errlen, "list clients: %s",
		    sqlite3_errmsg(st->db));
		ret = -1;
	}
	sqlite3_reset(s);
	free(c);
	return ret;
}

int
store_clients_each(struct store *st,
    int (*fn)(void *arg, const struct store_client *c), void *arg,
    char *err, size_t errlen)
{
	return clients_rows(st, st->stmt[S_CLIENTS_ALL], fn, arg, err, errlen);
}

int
store_clients_page(struct store *st, const char *after, const char *before,
    int64_t limit, int (*fn)(void *arg, const struct store_client *c),
    void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	const char *key = before != NULL ? before : after != NULL ? after : "";
	int ret;

	if (strlen(key) > STORE_ID_MAX) {
		errmsg_set(err, errlen, "client_id must be 1 to %d bytes",
		    STORE_ID_MAX);
		return -1;
	}
	s = st->stmt[before != NULL ? S_CLIENTS_BEFORE : S_CLIENTS_AFTER];
	sqlite3_bind_text(s, 1, key, (int)strlen(key), SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, limit > 0 ? limit : 1);
	ret = clients_rows(st, s, fn, arg, err, errlen);
	sqlite3_clear_bindings(s);
	return ret;
}

/* ------------------------------------------------------------ points */

void
store_busy_wait(struct store *st, int ms)
{
	sqlite3_busy_timeout(st->db, ms < 0 ? BUSY_TIMEOUT_MS : ms);
}

int
store_busy(const struct store *st)
{
	return st->busy;
}

int
store_begin(struct store *st, char *err, size_t errlen)
{
	if (check_writer(st, err, errlen) == -1)
		return -1;
	if (st->in_tx) {
		errmsg_set(err, errlen, "a transaction is already open");
		return -1;
	}
	/* A ROLLBACK that failed (an I/O error) may have left SQLite inside
	 * the old transaction: end it now, so the store recovers by itself. */
	tx_abort(st);
	st->busy = 0;
	if (run(st, S_BEGIN, "begin", err, errlen) == -1)
		return -1;
	st->in_tx = 1;
	st->npoints = 0;
	return 0;
}

/* Reads the last ordinal and seq of e's client, as committed. */
static int
load_base(struct store *st, struct pending *e, char *err, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[S_CLIENT_BASE];
	int rc;

	sqlite3_bind_text(s, 1, e->id, (int)e->idlen, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		e->last_n = sqlite3_column_int64(s, 0);
		e->last_seq = sqlite3_column_int64(s, 1);
		e->loaded = 1;
	} else if (rc == SQLITE_DONE)
		errmsg_set(err, errlen, "add point: no client %s", e->id);
	else
		errmsg_set(err, errlen, "add point: %s", sqlite3_errmsg(st->db));
	sqlite3_reset(s);
	return e->loaded ? 0 : -1;
}

/* The epoch ms of timestamp ts, if it is a date or an epoch number: a
 * number counts seconds, milliseconds, microseconds or nanoseconds by its
 * magnitude, and below 1e8 is a sequence number, not a time. */
static int
ts_ms(const struct store_ts *ts, int64_t *ms)
{
	switch (ts->type) {
	case STORE_TS_INTEGER:
		if (timefmt_number_unit((double)ts->i) == TIMEFMT_SECONDS)
			return timefmt_from_seconds(ts->i, ms) == 0;
		return timefmt_number_ms((double)ts->i, ms) == 0;
	case STORE_TS_REAL:
		return timefmt_number_ms(ts->r, ms) == 0;
	case STORE_TS_TEXT:
		return timefmt_parse(ts->text, ts->len, ms) == 0;
	}
	return 0;
}

int
store_add_point(struct store *st, const char *id,
    const struct store_point *p, char *err, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[S_INSERT];
	struct pending *e;
	const char *bad = NULL;
	size_t len;
	int64_t ms;

	if (check_writer(st, err, errlen) == -1)
		return write_fail(st);
	if (!st->in_tx) {
		errmsg_set(err, errlen, "add point: no transaction is open");
		return -1;
	}
	if (check_id(id, &len, err, errlen) == -1)
		return write_fail(st);
	if (p->n < 1)
		bad = "n is not positive";
	else if (p->seq < 0)
		bad = "seq is negative";
	else if (!isfinite(p->value) || !isfinite(p->score))
		bad = "value or score is not finite";
	else if (p->ts.type == STORE_TS_REAL && !isfinite(p->ts.r))
		bad = "timestamp is not finite";
	else if (p->ts.type == STORE_TS_TEXT && p->ts.len > STORE_TS_MAX)
		bad = "timestamp is too long";
	else if (p->ts.type != STORE_TS_INTEGER &&
	    p->ts.type != STORE_TS_REAL && p->ts.type != STORE_TS_TEXT)
		bad = "timestamp has no type";
	if (bad != NULL) {
		errmsg_set(err, errlen, "point %lld of %s: %s", (long long)p->n,
		    id, bad);
		return write_fail(st);
	}
	if ((e = pending_find(st, id, len, 1)) == NULL) {
		errmsg_set(err, errlen, "add point: out of memory");
		return write_fail(st);
	}
	if (!e->loaded && load_base(st, e, err, errlen) == -1)
		return write_fail(st);
	if (p->n != e->last_n + 1) {
		errmsg_set(err, errlen, "point %lld of %s: the next ordinal is "
		    "%lld", (long long)p->n, id, (long long)(e->last_n + 1));
		return write_fail(st);
	}
	if (p->seq > 0 && p->seq <= e->last_seq) {
		errmsg_set(err, errlen, "point %lld of %s: seq %lld is not above "
		    "the last seq %lld", (long long)p->n, id,
		    (long long)p->seq, (long long)e->last_seq);
		return write_fail(st);
	}

	sqlite3_bind_text(s, 1, id, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, p->n);
	if (p->seq > 0)
		sqlite3_bind_int64(s, 3, p->seq);
	else
		sqlite3_bind_null(s, 3);
	switch (p->ts.type) {
	case STORE_TS_INTEGER:
		sqlite3_bind_int64(s, 4, p->ts.i);
		break;
	case STORE_TS_REAL:
		sqlite3_bind_double(s, 4, p->ts.r);
		break;
	case STORE_TS_TEXT:
		sqlite3_bind_text(s, 4, p->ts.text, (int)p->ts.len,
		    SQLITE_STATIC);
		break;
	}
	if (ts_ms(&p->ts, &ms))
		sqlite3_bind_int64(s, 5, ms);
	else
		sqlite3_bind_null(s, 5);
	sqlite3_bind_double(s, 6, p->value);
	sqlite3_bind_int(s, 7, p->anomaly != 0);
	sqlite3_bind_int(s, 8, p->alert != 0);
	sqlite3_bind_double(s, 9, p->score);
	sqlite3_bind_int64(s, 10, (int64_t)p->votes);
	sqlite3_bind_int64(s, 11, p->received_ms);
	if (run(st, S_INSERT, "add point", err, errlen) == -1)
		return -1;

	e->points++;
	if (p->anomaly)
		e->anomalies++;
	if (p->alert) {
		e->alerts++;
		if (p->n > e->last_alert_n)
			e->last_alert_n = p->n;
	}
	e->last_n = p->n;
	e->last_value = p->value;
	if (p->seq > e->last_seq)
		e->last_seq = p->seq;
	if (p->received_ms > e->last_seen_ms)
		e->last_seen_ms = p->received_ms;
	st->npoints++;
	return 0;
}

size_t
store_pending(const struct store *st)
{
	return st->in_tx ? st->npoints : 0;
}

int
store_commit(struct store *st, char *err, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[S_COUNTERS];
	struct pending *e;
	size_t i;

	if (check_writer(st, err, errlen) == -1)
		return write_fail(st);
	if (!st->in_tx) {
		errmsg_set(err, errlen, "commit: no transaction is open");
		return -1;
	}
	for (i = 0; i < st->npend; i++) {
		e = &st->pend[i];
		sqlite3_bind_text(s, 1, e->id, (int)e->idlen, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, e->points);
		sqlite3_bind_int64(s, 3, e->anomalies);
		sqlite3_bind_int64(s, 4, e->alerts);
		sqlite3_bind_double(s, 5, e->last_value);
		sqlite3_bind_int64(s, 6, e->last_seq);
		if (e->last_alert_n > 0)
			sqlite3_bind_int64(s, 7, e->last_alert_n);
		else
			sqlite3_bind_null(s, 7);
		sqlite3_bind_int64(s, 8, e->last_seen_ms);
		if (run(st, S_COUNTERS, "commit: client counters", err,
		    errlen) == -1)
			return -1;
		if (sqlite3_changes(st->db) != 1) {
			errmsg_set(err, errlen, "commit: no client %s", e->id);
			return write_fail(st);
		}
	}
	/* a commit to a file no name leads to any more is lost at exit */
	if (store_file_check(st, err, errlen) == -1)
		return write_fail(st);
	if (run(st, S_COMMIT, "commit", err, errlen) == -1)
		return -1;
	for (i = 0; i < st->npend; i++) {
		e = &st->pend[i];
		st->t_points += e->points;
		st->t_anomalies += e->anomalies;
		st->t_alerts += e->alerts;
	}
	st->t_clients += st->tx_clients;
	if (st->tx_deactivated)
		st->t_active = st->tx_active;
	else
		st->t_active += st->tx_active;
	st->tx_clients = st->tx_active = 0;
	st->tx_deactivated = 0;
	pending_clear(st);
	st->npoints = 0;
	st->in_tx = 0;
	return 0;
}

void
store_rollback(struct store *st)
{
	if (st->in_tx)
		tx_abort(st);
}

/* Steps s, bound already, for at most one row: 1 with the row still
 * current (reset it after reading), 0 at the end, -1 on error. */
static int
step_one(struct store *st, sqlite3_stmt *s, const char *what, char *err,
    size_t errlen)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		errmsg_set(err, errlen, "%s: %s", what, sqlite3_errmsg(st->db));
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_point_by_seq(struct store *st, const char *id, int64_t seq,
    struct store_point *p, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	int64_t lo = 1, hi, mid, pn, ps, found = 0;
	size_t len;
	int rc;

	if (id == NULL || (len = strlen(id)) == 0 || len > STORE_ID_MAX ||
	    seq <= 0)
		return 0;
	s = st->stmt[S_MAX_N];
	sqlite3_bind_text(s, 1, id, (int)len, SQLITE_STATIC);
	if ((rc = step_one(st, s, "find seq", err, errlen)) != 1)
		return rc;
	hi = sqlite3_column_int64(s, 0);	/* NULL (no points) reads 0 */
	sqlite3_reset(s);

	/* Binary search over n: the points that have a seq hold rising seqs
	 * as n rises; the probe finds the first of them in [mid, hi]. */
	s = st->stmt[S_SEQ_PROBE];
	sqlite3_bind_text(s, 1, id, (int)len, SQLITE_STATIC);
	while (lo <= hi) {
		mid = lo + (hi - lo) / 2;
		sqlite3_bind_int64(s, 2, mid);
		sqlite3_bind_int64(s, 3, hi);
		if ((rc = step_one(st, s, "find seq", err, errlen)) == -1)
			return -1;
		if (rc == 0) {
			hi = mid - 1;
			continue;
		}
		pn = sqlite3_column_int64(s, 0);
		ps = sqlite3_column_int64(s, 1);
		sqlite3_reset(s);
		if (ps == seq) {
			found = pn;
			break;
		}
		if (ps < seq)
			lo = pn + 1;
		else
			hi = mid - 1;
	}
	if (found == 0)
		return 0;

	s = st->stmt[S_POINT_AT];
	sqlite3_bind_text(s, 1, id, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, found);
	if ((rc = step_one(st, s, "find seq", err, errlen)) != 1)
		return rc;
	rc = read_point(s, p, err, errlen) == 0 ? 1 : -1;
	sqlite3_reset(s);
	return rc;
}

int
store_point_get(struct store *st, const char *id, int64_t n,
    struct store_point *p, char *err, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[S_POINT_AT];
	size_t len;
	int rc;

	if (id == NULL || (len = strlen(id)) == 0 || len > STORE_ID_MAX ||
	    n < 1)
		return 0;
	sqlite3_bind_text(s, 1, id, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, n);
	if ((rc = step_one(st, s, "read point", err, errlen)) != 1)
		return rc;
	rc = read_point(s, p, err, errlen) == 0 ? 1 : -1;
	sqlite3_reset(s);
	return rc;
}

int
store_points_open(struct store *st, const char *id,
    const struct store_range *r, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	size_t len;

	if (st->cursor != NULL) {
		errmsg_set(err, errlen, "a points cursor is already open");
		return -1;
	}
	if (check_id(id, &len, err, errlen) == -1)
		return -1;
	s = st->stmt[S_POINTS + (r->anomalies_only ? 2 : 0) +
	    (r->descending ? 1 : 0)];
	sqlite3_bind_text(s, 1, id, (int)len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, r->after);
	sqlite3_bind_int64(s, 3, r->before != 0 ? r->before : INT64_MAX);
	sqlite3_bind_int64(s, 4, r->limit > 0 ? r->limit : -1);
	st->cursor = s;
	return 0;
}

int
store_points_next(struct store *st, struct store_point *p, char *err,
    size_t errlen)
{
	int rc;

	if (st->cursor == NULL) {
		errmsg_set(err, errlen, "no points cursor is open");
		return -1;
	}
	rc = sqlite3_step(st->cursor);
	if (rc == SQLITE_ROW)
		return read_point(st->cursor, p, err, errlen) == 0 ? 1 : -1;
	if (rc == SQLITE_DONE)
		return 0;
	errmsg_set(err, errlen, "read points: %s", sqlite3_errmsg(st->db));
	return -1;
}

void
store_points_close(struct store *st)
{
	if (st->cursor == NULL)
		return;
	sqlite3_reset(st->cursor);
	sqlite3_clear_bindings(st->cursor);
	st->cursor = NULL;
}

int
store_flagged_open(struct store *st, const char *id,
    const struct store_range *r, int flags, char *err, size_t errlen)
{
	struct store_range a;
	sqlite3_stmt *s;
	size_t len;

	if (!(flags & STORE_FLAG_ALERT)) {
		a = *r;
		a.anomalies_only = (flags & STORE_FLAG_ANOMALY) != 0;
		return store_points_open(st, id, &a, err, errlen);
	}
	if (st->cursor != NULL) {
		errmsg_set(err, errlen, "a points cursor is already open");
		return -1;
	}
	if (check_id(id, &len, err, errlen) == -1)
		return -1;
	if (flags & STORE_FLAG_ANOMALY)
		s = st->stmt[r->descending ? S_EVENTS_DESC : S_EVENTS];
	else
		s = st->stmt[r->descending ? S_ALERTS_DESC : S_ALERTS];
	sqlite3_bind_text(s, 1, id, (int)len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, r->after);
	sqlite3_bind_int64(s, 3, r->before > 0 ? r->before : INT64_MAX);
	sqlite3_bind_int64(s, 4, r->limit > 0 ? r->limit : -1);
	st->cursor = s;
	return 0;
}

/* The first point of client id (len bytes) at or after ordinal from:
 * 1 with its n and received_ms, 0 when there is none, -1 on error. */
static int
arrived_from(struct store *st, const char *id, size_t len, int64_t from,
    int64_t *n, int64_t *ms, char *err, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[S_ARRIVED_FROM];
	int rc;

	sqlite3_bind_text(s, 1, id, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, from);
	if ((rc = step_one(st, s, "find arrival", err, errlen)) != 1)
		return rc;
	*n = sqlite3_column_int64(s, 0);
	*ms = sqlite3_column_int64(s, 1);
	sqlite3_reset(s);
	return 1;
}

int
store_arrival_n(struct store *st, const char *id, int64_t ms, int64_t *n,
    char *err, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[S_MAX_N];
	int64_t lo, lo_ms, hi, hi_ms, mid, got, got_ms;
	size_t len;
	int rc;

	*n = 1;
	if (check_id(id, &len, err, errlen) == -1)
		return -1;
	if ((rc = arrived_from(st, id, len, INT64_MIN, &lo, &lo_ms, err,
	    errlen)) != 1)
		return rc;		/* no points: any bound will do */
	if (lo_ms >= ms) {
		*n = lo;
		return 0;
	}
	sqlite3_bind_text(s, 1, id, (int)len, SQLITE_STATIC);
	if ((rc = step_one(st, s, "find arrival", err, errlen)) != 1)
		return -1;
	hi = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if ((rc = arrived_from(st, id, len, hi, &got, &hi_ms, err,
	    errlen)) != 1)
		return -1;
	if (hi_ms < ms) {
		*n = hi + 1;
		return 0;
	}
	/* the first point at or after x arrived before ms at x = lo, at or
	 * after ms at x = hi: halve [lo, hi] until they are next to each
	 * other (ordinals may have gaps: the first point at or after x) */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (arrived_from(st, id, len, mid, &got, &got_ms, err,
		    errlen) != 1)
			return -1;
		if (got_ms >= ms)
			hi = mid;
		else
			lo = got;
	}
	*n = hi;
	return 0;
}

/* ----------------------------------------------------------- rebuild */

int
store_snapshot_get(struct store *st, const char *id, int64_t *n,
    int *format, unsigned char **blob, size_t *len, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = st->stmt[S_SNAP_GET];
	const void *b;
	size_t idlen, blen;
	int rc;

	*blob = NULL;
	*len = 0;
	if (id == NULL || (idlen = strlen(id)) == 0 || idlen > STORE_ID_MAX)
		return 0;
	sqlite3_bind_text(s, 1, id, (int)idlen, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		errmsg_set(err, errlen, "snapshot of %s: %s", id,
		    sqlite3_errmsg(st->db));
		sqlite3_reset(s);
		return -1;
	}
	*n = sqlite3_column_int64(s, 0);
	*format = sqlite3_column_int(s, 1);
	b = sqlite3_column_blob(s, 2);
	blen = (size_t)sqlite3_column_bytes(s, 2);
	if ((*blob = malloc(blen ? blen : 1)) == NULL) {
		errmsg_set(err, errlen, "snapshot of %s: out of memory", id);
		sqlite3_reset(s);
		return -1;
	}
	if (blen > 0)
		memcpy(*blob, b, blen);
	*len = blen;
	sqlite3_reset(s);
	return 1;
}

int
store_snapshot_put(struct store *st, const char *id, int64_t n,
    int format, const unsigned char *blob, size_t len, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = st->stmt[S_SNAP_PUT];
	size_t idlen;

	if (check_writer(st, err, errlen) == -1 ||
	    check_id(id, &idlen, err, errlen) == -1)
		return write_fail(st);
	sqlite3_bind_text(s, 1, id, (int)idlen, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, n);
	sqlite3_bind_int(s, 3, format);
	if (len == 0)
		sqlite3_bind_zeroblob(s, 4, 0);
	else
		sqlite3_bind_blob64(s, 4, blob, len, SQLITE_STATIC);
	return run(st, S_SNAP_PUT, "write snapshot", err, errlen);
}

int
store_values_each(struct store *st, const char *id, int64_t after,
    int (*fn)(void *arg, int64_t n, double value), void *arg, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = st->stmt[S_VALUES];
	size_t len;
	int rc, ret = 0;

	if (id == NULL || (len = strlen(id)) == 0 || len > STORE_ID_MAX)
		return 0;
	sqlite3_bind_text(s, 1, id, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, after);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ret = fn(arg, sqlite3_column_int64(s, 0),
		    sqlite3_column_double(s, 1));
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		errmsg_set(err, errlen, "values of %s: %s", id,
		    sqlite3_errmsg(st->db));
		ret = -1;
	}
	sqlite3_reset(s);
	return ret;
}

/* Reads one integer (NULL: dflt) of s after binding id as ?1.  Returns 0,
 * or -1 with the database's message in err. */
static int
prune_int(struct store *st, sqlite3_stmt *s, const char *id, int64_t dflt,
    int64_t *v, char *err, size_t errlen)
{
	int rc;

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_type(s, 0) == SQLITE_NULL ? dflt :
		    sqlite3_column_int64(s, 0);
		rc = SQLITE_DONE;
	} else if (rc == SQLITE_DONE)
		*v = dflt;
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		errmsg_set(err, errlen, "%s: %s", st->path,
		    sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

int
store_prune(struct store *st, const struct store_retain *r, int64_t limit,
    int64_t *deleted, int *wrapped, char *err, size_t errlen)
{
	static const char *const sql[] = {
		"SELECT client_id, points FROM clients WHERE client_id >= ?1"
		" AND (client_id > ?1 OR ?2) ORDER BY client_id LIMIT 1",
		"SELECT n FROM client_state WHERE client_id = ?1",
		"SELECT min(n) FROM points WHERE client_id = ?1",
		"DELETE FROM points WHERE client_id = ?1 AND n >= ?2 AND"
		" n <= ?3 AND (n <= ?4 OR received_ms < ?5)",
	};
	sqlite3_stmt *s[4] = { NULL, NULL, NULL, NULL };
	char id[STORE_ID_MAX + 1];
	int64_t points, snap, oldest, hi, keep_hi, d, visits;
	size_t i;
	int rc = -1;

	*deleted = 0;
	*wrapped = 0;
	if (!st->writer || st->in_tx) {
		errmsg_set(err, errlen, "store_prune: not a writer, or a "
		    "transaction is open");
		return -1;
	}
	if (limit < 1)
		limit = 1;
	for (i = 0; i < 4; i++)
		if (sqlite3_prepare_v2(st->db, sql[i], -1, &s[i], NULL) !=
		    SQLITE_OK)
			goto dberr;
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		goto dberr;
	/* clients in turn, until limit points are deleted or limit / 8 + 1
	 * clients were looked at: a client with little to delete each time
	 * (many clients, each a few points a second) costs a few reads,
	 * not a transaction */
	for (visits = limit / 8 + 1; visits > 0 && *deleted < limit;
	    visits--) {
		/* the same client while it may have more, else the next */
		sqlite3_bind_text(s[0], 1, st->prune_at, -1,
		    SQLITE_TRANSIENT);
		sqlite3_bind_int(s[0], 2, st->prune_stay);
		st->prune_stay = 0;
		rc = sqlite3_step(s[0]);
		if (rc == SQLITE_DONE) {
			/* past the last client: the next call starts again */
			sqlite3_reset(s[0]);
			st->prune_at[0] = '\0';
			*wrapped = 1;
			break;
		}
		if (rc != SQLITE_ROW)
			goto dberr_tx;
		snprintf(id, sizeof(id), "%s",
		    (const char *)sqlite3_column_text(s[0], 0));
		points = sqlite3_column_int64(s[0], 1);
		sqlite3_reset(s[0]);
		snprintf(st->prune_at, sizeof(st->prune_at), "%s", id);
		/* never what a rebuild replays: the points after the
		 * snapshot (all of them when there is none) */
		if (prune_int(st, s[1], id, 0, &snap, err, errlen) == -1 ||
		    prune_int(st, s[2], id, 0, &oldest, err, errlen) == -1)
			goto fail_tx;
		if (oldest < 1 || snap < oldest)
			continue;
		hi = oldest + (limit - *deleted) - 1;
		if (hi > snap)
			hi = snap;
		keep_hi = r->keep_points > 0 ? points - r->keep_points : 0;
		sqlite3_bind_text(s[3], 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s[3], 2, oldest);
		sqlite3_bind_int64(s[3], 3, hi);
		sqlite3_bind_int64(s[3], 4, keep_hi);
		sqlite3_bind_int64(s[3], 5, r->before_ms > 0 ? r->before_ms :
		    INT64_MIN);
		if (sqlite3_step(s[3]) != SQLITE_DONE)
			goto dberr_tx;
		d = sqlite3_changes64(st->db);
		sqlite3_reset(s[3]);
		*deleted += d;
		/* a full window deleted: this client may have more */
		st->prune_stay = d == hi - oldest + 1 && hi < snap;
	}
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto dberr_tx;
	if (*deleted > 0 && sqlite3_exec(st->db, "PRAGMA incremental_vacuum("
	    "256)", NULL, NULL, NULL) != SQLITE_OK)
		goto dberr;
	for (i = 0; i < 4; i++)
		sqlite3_finalize(s[i]);
	return 0;
dberr_tx:
	errmsg_set(err, errlen, "%s: %s", st->path, sqlite3_errmsg(st->db));
fail_tx:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	*deleted = 0;
	goto fail;
dberr:
	errmsg_set(err, errlen, "%s: %s", st->path, sqlite3_errmsg(st->db));
fail:
	for (i = 0; i < 4; i++)
		sqlite3_finalize(s[i]);
	return -1;
}

int
store_oldest(struct store *st, const char *id, int64_t *n, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT min(n) FROM points WHERE"
	    " client_id = ?1", -1, &s, NULL) != SQLITE_OK) {
		errmsg_set(err, errlen, "%s", sqlite3_errmsg(st->db));
		return -1;
	}
	rc = prune_int(st, s, id, 0, n, err, errlen);
	sqlite3_finalize(s);
	return rc;
}
