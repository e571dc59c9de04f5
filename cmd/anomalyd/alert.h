/*
 * alert.h: --on-alert, a command run once per committed alert.
 *
 * An alert is a point whose alert flag (SPEC §3) is set.  It is handed
 * over only once the batch holding its point is committed, so a point
 * that is rolled back never alerts.  The command (the option's text) runs
 * as /bin/sh -c CMD, started with posix_spawn(3) in a process group of its
 * own; the alert reaches it only in the environment (ANOMALY_CLIENT_ID,
 * ANOMALY_N, ANOMALY_TIMESTAMP, ANOMALY_VALUE, ANOMALY_DETECTORS,
 * ANOMALY_URL), never in its command line.  At most --on-alert-jobs run at
 * once; the others wait in a bounded queue (when it is full the alert is
 * dropped and counted).  A command still running after --on-alert-timeout
 * seconds is killed with its process group.  Nothing here waits: children
 * are reaped with waitpid(WNOHANG) from a timer of the event loop.
 */
#ifndef ANOMALYD_ALERT_H
#define ANOMALYD_ALERT_H

#include <stdint.h>

#include "server.h"
#include "writer.h"

/* Entries of the queue of alerts waiting for a free job. */
#define ALERT_QUEUE	1024

/* What the alerts counted since start, for /metrics. */
struct alert_stats {
	uint64_t	 ok;		/* exited 0 */
	uint64_t	 failed;	/* exited non-zero, by a signal, or
					 * could not be started */
	uint64_t	 timeout;	/* killed at --on-alert-timeout */
	uint64_t	 dropped;	/* the queue was full */
};

/* An alert: a committed point whose alert flag is set. */
struct alert_item {
	char		 id[STORE_ID_MAX + 1];
	int64_t		 n;
	struct store_ts	 ts;
	double		 value;
	uint32_t	 votes;	/* bit per detector that voted anomaly */
};

/* The alert of op, a WOP_POINT, into it. */
void alert_of(struct alert_item *it, const struct wop *op);
/* The timestamp ts as text (as the point gave it) into buf. */
void alert_ts(char *buf, size_t len, const struct store_ts *ts);
/* d as the shorter of %.15g and %.17g that reads back as d. */
void alert_real(char *buf, size_t len, double d);
/* The names of the detectors of votes, comma-separated, into buf. */
void alert_detectors(char *buf, size_t len, uint32_t votes);
/* The page of client id, from the listen address, into buf. */
void alert_url(const struct server *srv, const char *id, char *buf,
    size_t len);

/* Checks the command of cfg->on_alert at start: 0, or -1 with err set
 * when its first word is a path that is not an executable file. */
int alert_check(const char *cmd, char *err, size_t len);
/* Sets up the alerts of srv (nothing when no --on-alert is given).
 * Returns 0, or -1 when memory is short. */
int alert_init(struct server *srv);
/* Queues the alerts of batch b, which has just been committed, and starts
 * what may start.  Never blocks. */
void alert_committed(struct server *srv, const struct batch *b);
/* The counters since start (zeros without --on-alert). */
void alert_stats(const struct server *srv, struct alert_stats *st);
/* Stops the timer, before the context goes away: from now on nothing
 * new starts. */
void alert_quiet(struct server *srv);
/* Waits for the commands still running, 2 s at most, kills those left, and frees the queue (what it holds is logged, not run). */
void alert_free(struct server *srv);

#endif
