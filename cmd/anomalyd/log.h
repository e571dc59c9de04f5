/*
 * log.h: anomalyd's diagnostics, one line each on stderr, prefixed
 * "anomalyd: ", filtered by the verbosity of -v.  The bottom of anomalyd:
 * it includes no other header of it.
 */
#ifndef ANOMALYD_LOG_H
#define ANOMALYD_LOG_H

/* Sets the verbosity (the count of -v) that logmsg() compares with. */
void log_init(int verbose);
/* Prints one line on stderr when the verbosity is at least level (0:
 * errors, 1: connections and hellos, 2: every HTTP request). */
void logmsg(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* libwebsockets' log function: its line (which ends in a newline) on
 * stderr, prefixed "anomalyd: lws: "; its notices only from -vv on, but
 * for the one of a peer that speaks plain text to the TLS port, which is
 * our line. */
void log_lws(int level, const char *line);

#endif
