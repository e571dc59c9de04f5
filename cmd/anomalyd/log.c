/*
 * log.c: anomalyd's diagnostics on stderr (see log.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libwebsockets.h>

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
	if (strstr(line, "did not send a valid tls hello") != NULL) {
		fprintf(stderr, "anomalyd: plain text on the TLS port, "
		    "refused\n");
		return;
	}
	if (level == LLL_NOTICE && verbosity < 2)
		return;
	fprintf(stderr, "anomalyd: lws: %s", line);
}
