/*
 * output.h: what anomaly-send writes besides the wire: a verdict line per
 * row on stdout (CSV or NDJSON), the progress bar and the job's summary on
 * stderr, the log of the messages under --log-dir (SPEC §6).
 */
#ifndef ANOMALY_SEND_OUTPUT_H
#define ANOMALY_SEND_OUTPUT_H

#include <stddef.h>

#include "reply.h"
#include "send.h"

/* Opens (appends to) the log of the job's client, LOG_DIR/CLIENT_ID.log,
 * making LOG_DIR; nothing with --no-log.  Ends the run with 1 when it
 * cannot. */
void output_log_open(struct sender *s);

/* Logs the message msg (len bytes) sent ('>') or received ('<') with the
 * time; nothing when no log is open. */
void output_log_msg(struct sender *s, char dir, const char *msg, size_t len);

/* Closes the log, warning when it could not be written. */
void output_log_close(struct sender *s);

/* Prints the verdict r of row w on stdout: a CSV line (after the header,
 * once per run) or, with --json, an NDJSON object with the details;
 * nothing with --quiet. */
void output_verdict(struct sender *s, const struct row *w,
    const struct reply *r);

/* Draws the progress bar on stderr, at most every 100 ms, when the job's
 * file has one; last clears it. */
void output_progress(struct sender *s, int last);

/* At the end of a job: its summary line (when it connected) and what
 * --resume skipped on stderr; the run's counts of anomalies, alerts and
 * rejected rows updated. */
void output_summary(struct sender *s);

#endif
