/*
 * log.c: anomalyd's diagnostics on stderr (see log.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libwebsockets.h>

#include "clock.h"
#include "log.h"

static int verbosity;

void
log_init(int verbose)
{
	verbosity = verbose;
}

void
logmsg(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > verbosity)
		return;
	fprintf(stderr, "anomalyd: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
log_lws(int level, const char *line)
{
	static int64_t logged_ms;
	static unsigned long quiet;
	int64_t now;

	if (strstr(line, "did not send a valid tls hello") != NULL) {
		/* at most one line a second, the others counted in it */
		now = clock_mono_ms();
		if (logged_ms != 0 && now - logged_ms < 1000) {
			quiet++;
			return;
		}
		if (quiet > 0)
			fprintf(stderr, "anomalyd: plain text on the TLS port, "
			    "refused: use https:// and wss:// (and %lu more "
			    "in the last %lld ms)\n", quiet,
			    (long long)(now - logged_ms));
		else
			fprintf(stderr, "anomalyd: plain text on the TLS port, "
			    "refused: use https:// and wss://\n");
		logged_ms = now;
		quiet = 0;
		return;
	}
	if (level == LLL_NOTICE && verbosity < 2)
		return;
	fprintf(stderr, "anomalyd: lws: %s", line);
}
