/*
 * anomalyd: the anomaly detection server (SPEC §2-§6).
 *
 * main.c: options, the lws context, the service loop with its group commit
 * after every pass, signals and shutdown.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "clients.h"
#include "clock.h"
#include "commit.h"
#include "guard.h"
#include "http.h"
#include "log.h"
#include "server.h"
#include "tls.h"
#include "token.h"
#include "webhook.h"
#include "ws.h"

#define SHUTDOWN_MS	1500	/* closing handshakes get this long */
#define FD_OTHER	32	/* descriptors not of connections: the
				 * database, its journal, files served */
#define FD_HTTP		1024	/* connections beyond clients and pending
				 * handshakes: HTTP, and idle ones */
#define SPIN_US		100	/* after a message, poll(2) this long
				 * without sleeping (see main()) */

enum {
	OPT_DETECTORS = 256, OPT_VOTE, OPT_ALERT, OPT_MAX_CLIENTS,
	OPT_MAX_WINDOW, OPT_MAX_MESSAGE, OPT_MAX_BATCH, OPT_MAX_PENDING,
	OPT_HELLO_TIMEOUT, OPT_PING_TIMEOUT, OPT_TOKEN_FILE, OPT_ADMIN_TOKEN_FILE, OPT_READ_TOKEN_FILE, OPT_BATCH_ROWS,
	OPT_BATCH_MS, OPT_SNAPSHOT_EVERY, OPT_SYNC, OPT_VERSION, OPT_WWW,
	OPT_MAX_MEMORY,
	OPT_MAX_HANDSHAKES, OPT_MAX_PER_ADDR, OPT_ALLOW_ORIGIN,
	OPT_RETAIN, OPT_RETAIN_POINTS,
	OPT_TLS_CERT, OPT_TLS_KEY,
	OPT_ON_ALERT, OPT_ON_ALERT_JOBS, OPT_ON_ALERT_TIMEOUT, OPT_WEBHOOK,
	OPT_WEBHOOK_CACERT, OPT_WEBHOOK_TIMEOUT,
	OPT_PARAM = 1000		/* + enum detect_param */
};

static const struct option longopts[] = {
	{ "listen",		required_argument, NULL, 'l' },
	{ "db",			required_argument, NULL, 'd' },
	{ "detectors",		required_argument, NULL, OPT_DETECTORS },
	{ "vote",		required_argument, NULL, OPT_VOTE },
	{ "alert",		required_argument, NULL, OPT_ALERT },
	{ "zscore-k",		required_argument, NULL,
	    OPT_PARAM + DETECT_P_ZSCORE_K },
	{ "iqr-k",		required_argument, NULL,
	    OPT_PARAM + DETECT_P_IQR_K },
	{ "ewma-lambda",	required_argument, NULL,
	    OPT_PARAM + DETECT_P_EWMA_LAMBDA },
	{ "ewma-l",		required_argument, NULL,
	    OPT_PARAM + DETECT_P_EWMA_L },
	{ "ma-m",		required_argument, NULL,
	    OPT_PARAM + DETECT_P_MA_M },
	{ "ma-k",		required_argument, NULL,
	    OPT_PARAM + DETECT_P_MA_K },
	{ "mzscore-k",		required_argument, NULL,
	    OPT_PARAM + DETECT_P_MZSCORE_K },
	{ "iforest-trees",	required_argument, NULL,
	    OPT_PARAM + DETECT_P_IFOREST_TREES },
	{ "iforest-sample",	required_argument, NULL,
	    OPT_PARAM + DETECT_P_IFOREST_SAMPLE },
	{ "iforest-threshold",	required_argument, NULL,
	    OPT_PARAM + DETECT_P_IFOREST_THRESHOLD },
	{ "min-points",		required_argument, NULL,
	    OPT_PARAM + DETECT_P_MIN_POINTS },
	{ "holdoff",		required_argument, NULL,
	    OPT_PARAM + DETECT_P_HOLDOFF },
	{ "max-clients",	required_argument, NULL, OPT_MAX_CLIENTS },
	{ "max-window",		required_argument, NULL, OPT_MAX_WINDOW },
	{ "max-message",	required_argument, NULL, OPT_MAX_MESSAGE },
	{ "max-batch",		required_argument, NULL, OPT_MAX_BATCH },
	{ "max-pending",	required_argument, NULL, OPT_MAX_PENDING },
	{ "max-memory",		required_argument, NULL, OPT_MAX_MEMORY },
	{ "max-handshakes",	required_argument, NULL, OPT_MAX_HANDSHAKES },
	{ "max-per-addr",	required_argument, NULL, OPT_MAX_PER_ADDR },
	{ "allow-origin",	required_argument, NULL, OPT_ALLOW_ORIGIN },
	{ "hello-timeout",	required_argument, NULL, OPT_HELLO_TIMEOUT },
	{ "ping-timeout",	required_argument, NULL, OPT_PING_TIMEOUT },
	{ "token-file",		required_argument, NULL, OPT_TOKEN_FILE },
	{ "read-token-file",	required_argument, NULL,
	    OPT_READ_TOKEN_FILE },
	{ "admin-token-file",	required_argument, NULL,
	    OPT_ADMIN_TOKEN_FILE },
	{ "tls-cert",		required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key",		required_argument, NULL, OPT_TLS_KEY },
	{ "batch-rows",		required_argument, NULL, OPT_BATCH_ROWS },
	{ "batch-ms",		required_argument, NULL, OPT_BATCH_MS },
	{ "snapshot-every",	required_argument, NULL, OPT_SNAPSHOT_EVERY },
	{ "sync",		required_argument, NULL, OPT_SYNC },
	{ "retain",		required_argument, NULL, OPT_RETAIN },
	{ "retain-points",	required_argument, NULL, OPT_RETAIN_POINTS },
	{ "www",		required_argument, NULL, OPT_WWW },
	{ "on-alert",		required_argument, NULL, OPT_ON_ALERT },
	{ "on-alert-jobs",	required_argument, NULL, OPT_ON_ALERT_JOBS },
	{ "on-alert-timeout",	required_argument, NULL,
	    OPT_ON_ALERT_TIMEOUT },
	{ "webhook",		required_argument, NULL, OPT_WEBHOOK },
	{ "webhook-cacert",	required_argument, NULL, OPT_WEBHOOK_CACERT },
	{ "webhook-timeout",	required_argument, NULL, OPT_WEBHOOK_TIMEOUT },
	{ "param",		required_argument, NULL, 'p' },
	{ "verbose",		no_argument,	   NULL, 'v' },
	{ "help",		no_argument,	   NULL, 'h' },
	{ "version",		no_argument,	   NULL, OPT_VERSION },
	{ NULL,			0,		   NULL, 0 }
};

/* Set by the signal handler, acted on by the loop (see on_signal()). */
static volatile sig_atomic_t stop, got_hup, got_usr1;

/* The synopsis, to fp; with full, every option with what it does. */
static void
usage(FILE *fp, int full)
{
	fprintf(fp,
"usage: anomalyd [-v] [-l ADDR:PORT] [-d DB] [--detectors LIST] [--vote RULE]\n"
"                [--alert SOURCE] [--zscore-k K] [--iqr-k K] [--ewma-lambda L]\n"
"                [--ewma-l L] [--ma-m M] [--ma-k K] [--mzscore-k K]\n"
"                [--iforest-trees T] [--iforest-sample S]\n"
"                [--iforest-threshold T] [--min-points N] [--holdoff N]\n"
"                [-p KEY=VALUE] [--max-clients N] [--max-window N]\n"
"                [--max-message BYTES] [--max-batch BYTES]\n"
"                [--max-pending BYTES] [--max-memory SIZE]\n"
"                [--max-handshakes N] [--max-per-addr N]\n"
"                [--allow-origin ORIGIN]\n"
"                [--hello-timeout S] [--ping-timeout S]\n"
"                [--token-file FILE] [--admin-token-file FILE]\n"
"                [--read-token-file FILE]\n"
"                [--tls-cert FILE --tls-key FILE]\n"
"                [--batch-rows N] [--batch-ms N]\n"
"                [--snapshot-every N] [--sync normal|full] [--www DIR]\n"
"                [--retain DURATION] [--retain-points N]\n"
"                [--on-alert CMD] [--on-alert-jobs K] [--on-alert-timeout S]\n"
"                [--webhook URL] [--webhook-cacert FILE] [--webhook-timeout S]\n"
"       anomalyd -h | --help | --version\n");
	if (!full)
		return;
	fprintf(fp, "\n"
"Serves anomaly detection over WebSocket and HTTP on one port, storing every\n"
"point and verdict in SQLite.\n"
"\n"
"  -l, --listen ADDR:PORT   where to listen: an IPv4 address, [IPv6 address] or\n"
"                           * for all, and a port (default 127.0.0.1:3000; a\n"
"                           port alone means 127.0.0.1:PORT)\n"
"  -d, --db DB              the database (default $ANOMALY_DB or ./anomaly.db)\n"
"  -v, --verbose            log connections (twice: also every HTTP request)\n"
"Defaults for new clients (a hello may override them):\n"
"      --detectors LIST     voting detectors (default zscore,iqr,ewma,ma,iforest)\n"
"      --vote RULE          majority, any, all or a number K (default majority)\n"
"      --alert SOURCE       vote, or detectors any of which alert\n"
"                           (default spatial,novelty,novelty_long)\n"
"      --zscore-k K, --iqr-k K, --ewma-lambda L, --ewma-l L, --ma-m M,\n"
"      --ma-k K, --mzscore-k K, --iforest-trees T, --iforest-sample S,\n"
"      --iforest-threshold T, --min-points N, --holdoff N\n"
"                           detector parameters (anomaly(7))\n"
"  -p, --param KEY=VALUE    any parameter by its name, e.g. novelty.eps=1e-5\n"
"Limits and tuning:\n"
"      --max-clients N      clients past their hello (default 10000)\n"
"      --max-window N       largest window a client may ask (default 100000)\n"
"      --max-message BYTES  largest message (default 64k)\n"
"      --max-batch BYTES    largest batch message (default 1m)\n"
"      --max-pending BYTES  unsent replies per connection before it is closed\n"
"                           as too slow (default 4m)\n"
"      --max-memory SIZE    memory for the clients' detectors and the messages\n"
"                           being read, in all; a hello beyond it is refused\n"
"                           with 1013 (default half the physical memory)\n"
"      --max-handshakes N   WebSocket connections without a hello yet, apart\n"
"                           from --max-clients (default 256)\n"
"      --max-per-addr N     connections from one address (default 1024)\n"
"      --allow-origin ORIGIN\n"
"                           a web origin (http://host:port) whose pages may\n"
"                           open WebSockets, * for any; repeatable\n"
"      --hello-timeout S    close a connection without a hello (default 10;\n"
"                           2 while over half of --max-handshakes wait)\n"
"      --ping-timeout S     ping an idle peer, close it if silent (default 60)\n"
"      --token-file FILE    require this token in every hello\n"
"      --admin-token-file FILE\n"
"                           the operator token: it may take over and claim\n"
"                           any client id, and only it may DELETE a client\n"
"      --read-token-file FILE\n"
"                           require this token of every HTTP request but\n"
"                           /healthz: Authorization: Bearer, or the cookie\n"
"                           of the login page /login\n"
"      --tls-cert FILE      serve wss:// and https:// only, with this PEM\n"
"                           certificate chain (reread on SIGHUP)\n"
"      --tls-key FILE       the PEM private key of --tls-cert\n"
"      --batch-rows N       commit at most N rows at once (default 4096)\n"
"      --batch-ms N         wait at most N ms to group a commit (default 5)\n"
"      --snapshot-every N   save detector state every N points (default 4096)\n"
"      --sync normal|full   SQLite synchronous mode (default normal)\n"
"      --retain DURATION    drop points that arrived longer ago than DURATION:\n"
"                           a number and s, m, h, d or w (30d, 12h, 90m)\n"
"      --retain-points N    keep at most the last N points of each client\n"
"                           (either or both; the points after a client's\n"
"                           last snapshot stay, counters keep every point)\n"
"      --www DIR            files of /static/ (default ../share/anomaly/www\n"
"                           beside the program's directory)\n"
"Alert delivery (once the alert's point is committed):\n"
"      --on-alert CMD       run CMD with /bin/sh once per alert, the alert in\n"
"                           its environment only: ANOMALY_CLIENT_ID, ANOMALY_N,\n"
"                           ANOMALY_TIMESTAMP, ANOMALY_VALUE, ANOMALY_DETECTORS,\n"
"                           ANOMALY_URL\n"
"      --on-alert-jobs K    commands running at once (default 4; 1024 more\n"
"                           wait, beyond that alerts are dropped and counted)\n"
"      --on-alert-timeout S kill a command still running after S seconds\n"
"                           (default 30)\n"
"      --webhook URL        POST each alert as JSON to URL (http:// or https://),\n"
"                           one at a time, retried with a backoff up to 5 s;\n"
"                           beyond 4096 waiting, alerts are dropped and counted\n"
"      --webhook-cacert FILE trust the CA in FILE for an https:// --webhook\n"
"                           (default: the system's store)\n"
"      --webhook-timeout S  a request not answered within S seconds fails and\n"
"                           is retried (default 10)\n"
"  -h, --help               this help\n"
"      --version            the version\n"
"\n"
"Signals: INT, TERM, QUIT stop cleanly; HUP rereads the token files and the\n"
"TLS certificate (a file that cannot be used keeps the old one); USR1 logs\n"
"a status line; USR2, ALRM, PIPE, XFSZ are ignored.\n"
"Exit status: 0 stopped by a signal, 1 failure, 2 usage.\n");
}

/* A usage error: one line on stderr, exit 2. */
static void __attribute__((noreturn, format(printf, 1, 2)))
bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "anomalyd: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; try 'anomalyd --help'\n");
	exit(2);
}

/* An integer option from lo to hi, with an optional k, m or g (1024s). */
static unsigned long long
number(const char *opt, const char *s, unsigned long long lo,
    unsigned long long hi, int suffix)
{
	unsigned long long v, mul = 1;
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		bad("--%s: '%s' is not a number", opt, s);
	v = strtoull(s, &end, 10);
	if (suffix && *end != '\0' && end[1] == '\0') {
		switch (*end) {
		case 'k': case 'K': mul = 1024; end++; break;
		case 'm': case 'M': mul = 1024 * 1024; end++; break;
		case 'g': case 'G': mul = 1024 * 1024 * 1024; end++; break;
		}
	}
	if (errno != 0 || *end != '\0' || v > hi / mul || v * mul < lo)
		bad("--%s: '%s' must be a whole number from %llu to %llu", opt,
		    s, lo, hi);
	return v * mul;
}

/* --retain: a whole number and a unit, s, m, h, d or w (seconds alone
 * when none), in milliseconds, from 1 s to 100 years. */
static int64_t
duration(const char *opt, const char *s)
{
	unsigned long long v, mul = 1000;
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		bad("--%s: '%s' is not a duration (e.g. 30d, 12h, 90m, 3600s)",
		    opt, s);
	v = strtoull(s, &end, 10);
	if (*end != '\0' && end[1] == '\0') {
		switch (*end) {
		case 's': mul = 1000; end++; break;
		case 'm': mul = 60 * 1000; end++; break;
		case 'h': mul = 3600 * 1000; end++; break;
		case 'd': mul = 86400 * 1000; end++; break;
		case 'w': mul = 7 * 86400 * 1000; end++; break;
		}
	}
	if (errno != 0 || *end != '\0' || v == 0 ||
	    v > 100ULL * 365 * 86400 * 1000 / mul)
		bad("--%s: '%s' is not a duration from 1s to 100 years (e.g. "
		    "30d, 12h, 90m, 3600s)", opt, s);
	return (int64_t)(v * mul);
}

/* -l: ADDR:PORT, [ADDR]:PORT, *:PORT or PORT alone (127.0.0.1:PORT).  An
 * IPv4 address binds that address only, an IPv6 one that address only,
 * '*' (or nothing) every address of both families. */
static void
parse_listen(struct config *cfg, const char *arg)
{
	static char addr[INET6_ADDRSTRLEN + 8];
	unsigned char sa[sizeof(struct in6_addr)];
	const char *colon = strrchr(arg, ':'), *port;
	size_t n;

	if (colon == NULL) {
		n = 0;
		port = arg;
		snprintf(addr, sizeof(addr), "127.0.0.1");
	} else {
		port = colon + 1;
		if ((n = (size_t)(colon - arg)) >= sizeof(addr))
			bad("--listen: '%s' is not ADDR:PORT", arg);
		memcpy(addr, arg, n);
		addr[n] = '\0';
		if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']') {
			memmove(addr, addr + 1, n - 2);
			addr[n - 2] = '\0';
		} else if (addr[0] == '[' || strchr(addr, ']') != NULL)
			bad("--listen: '%s' is not ADDR:PORT", arg);
	}
	if (colon != NULL && (addr[0] == '\0' || strcmp(addr, "*") == 0)) {
		cfg->family = LISTEN_ANY;
		cfg->iface = NULL;
	} else if (strcmp(addr, "localhost") == 0) {
		cfg->family = LISTEN_V4;
		cfg->iface = "127.0.0.1";
	} else if (inet_pton(AF_INET, addr, sa) == 1) {
		cfg->family = LISTEN_V4;
		cfg->iface = addr;
	} else if (inet_pton(AF_INET6, addr, sa) == 1) {
		cfg->family = LISTEN_V6;
		cfg->iface = addr;
	} else
		bad("--listen: '%s' is not an IPv4 address, an [IPv6 address] "
		    "or *", addr);
	cfg->port = (int)number("listen", port, 1, 65535, 0);
	snprintf(cfg->where, sizeof(cfg->where), cfg->family == LISTEN_V6 ?
	    "[%s]:%d" : "%s:%d", cfg->family == LISTEN_ANY ? "*" : cfg->iface,
	    cfg->port);
}

static void
param(struct config *cfg, unsigned p, const char *arg)
{
	char err[PROTO_ERR_MAX], *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0')
		bad("--%s: '%s' is not a number", longopts[p + 5].name, arg);
	if (detect_param_set(&cfg->defaults, p, v, err, sizeof(err)) == -1)
		bad("--%s: %s", longopts[p + 5].name, err);
}

/* -p KEY=VALUE: a parameter by its name. */
static void
param_by_name(struct config *cfg, const char *arg)
{
	char err[PROTO_ERR_MAX], name[64], *end;
	const char *eq = strchr(arg, '=');
	double v;
	int p;

	if (eq == NULL || (size_t)(eq - arg) >= sizeof(name))
		bad("--param: '%s' is not KEY=VALUE", arg);
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = '\0';
	if ((p = detect_param_by_name(name)) < 0)
		bad("--param: '%s' is not a parameter (anomaly(7))", name);
	errno = 0;
	v = strtod(eq + 1, &end);
	if (errno != 0 || end == eq + 1 || *end != '\0')
		bad("--param: %s: '%s' is not a number", name, eq + 1);
	if (detect_param_set(&cfg->defaults, (unsigned)p, v, err,
	    sizeof(err)) == -1)
		bad("--param: %s", err);
}

/* --allow-origin: *, or http:// or https:// and a host with an optional
 * port (a browser's Origin); a final / is dropped. */
static void
allow_origin(struct config *cfg, char *arg)
{
	const char **a;
	const char *host;
	size_t n = strlen(arg);

	if (n > 1 && arg[n - 1] == '/')
		arg[--n] = '\0';
	host = strncmp(arg, "http://", 7) == 0 ? arg + 7 :
	    strncmp(arg, "https://", 8) == 0 ? arg + 8 : NULL;
	if (strcmp(arg, "*") != 0 && (host == NULL || *host == '\0' ||
	    strpbrk(host, "/?#@ ") != NULL))
		bad("--allow-origin: '%s' is not * nor http(s)://HOST[:PORT]",
		    arg);
	if ((a = realloc(cfg->allow_origin, (cfg->nallow_origin + 1) *
	    sizeof(*a))) == NULL)
		errx(1, "out of memory");
	a[cfg->nallow_origin++] = arg;
	cfg->allow_origin = a;
}

/* Reads the token of a --*token-file (option, lib/token's
 * rule) into *token.  An unreadable file is a runtime failure (exit 1), an
 * unusable token a usage error (exit 2). */
static void
read_token(const char *option, const char *path, char **token, size_t *len)
{
	char e[512];
	int unreadable;

	*token = token_read_file(path, len, &unreadable, e, sizeof(e));
	if (*token == NULL && unreadable)
		errx(1, "%s: %s", option, e);
	if (*token == NULL)
		bad("%s: %s", option, e);
}

static void
options(struct config *cfg, int argc, char *argv[])
{
	char err[PROTO_ERR_MAX];
	struct detect_settings t;
	const char *token_file = NULL, *admin_file = NULL, *read_file = NULL;
	int ch;

	memset(cfg, 0, sizeof(*cfg));
	cfg->iface = "127.0.0.1";
	cfg->family = LISTEN_V4;
	cfg->port = 3000;
	snprintf(cfg->where, sizeof(cfg->where), "127.0.0.1:3000");
	detect_settings_default(&cfg->defaults, 0);
	cfg->max_clients = 10000;
	cfg->max_window = 100000;
	cfg->max_message = 64 * 1024;
	cfg->max_batch = 1024 * 1024;
	cfg->max_pending = 4 * 1024 * 1024;
	cfg->max_memory = budget_default();
	cfg->max_handshakes = 256;
	cfg->max_per_addr = 1024;
	cfg->hello_timeout = 10;
	cfg->ping_timeout = 60;
	cfg->batch_rows = 4096;
	cfg->batch_us = 5 * 1000;
	cfg->snapshot_every = 4096;
	cfg->sync = STORE_SYNC_NORMAL;
	cfg->on_alert_jobs = 4;
	cfg->on_alert_timeout = 30;
	cfg->webhook_timeout = 10;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":l:d:p:vh", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'l':
			parse_listen(cfg, optarg);
			break;
		case 'd':
			cfg->db = optarg;
			break;
		case OPT_DETECTORS:
			if (detect_parse_detectors(&cfg->defaults, optarg, err,
			    sizeof(err)) == -1)
				bad("--detectors: %s", err);
			break;
		case OPT_VOTE:
			if (detect_parse_vote(&cfg->defaults, optarg, err,
			    sizeof(err)) == -1)
				bad("--vote: %s", err);
			break;
		case OPT_ALERT:
			if (detect_parse_alert(&cfg->defaults, optarg, err,
			    sizeof(err)) == -1)
				bad("--alert: %s", err);
			break;
		case OPT_MAX_CLIENTS:
			cfg->max_clients = (uint32_t)number("max-clients",
			    optarg, 1, 1000000, 0);
			break;
		case OPT_MAX_WINDOW:
			cfg->max_window = (uint32_t)number("max-window", optarg,
			    DETECT_WINDOW_MIN, DETECT_WINDOW_MAX, 0);
			break;
		case OPT_MAX_MESSAGE:
			cfg->max_message = number("max-message", optarg, 64,
			    (unsigned long long)1 << 30, 1);
			break;
		case OPT_MAX_BATCH:
			cfg->max_batch = number("max-batch", optarg, 64,
			    (unsigned long long)1 << 30, 1);
			break;
		case OPT_MAX_PENDING:
			cfg->max_pending = number("max-pending", optarg, 1024,
			    (unsigned long long)1 << 40, 1);
			break;
		case OPT_MAX_MEMORY:
			cfg->max_memory = number("max-memory", optarg,
			    1024 * 1024, (unsigned long long)1 << 50, 1);
			break;
		case OPT_MAX_HANDSHAKES:
			cfg->max_handshakes = (uint32_t)number("max-handshakes",
			    optarg, 1, 1000000, 0);
			break;
		case OPT_MAX_PER_ADDR:
			cfg->max_per_addr = (uint32_t)number("max-per-addr",
			    optarg, 1, 10000000, 0);
			break;
		case OPT_ALLOW_ORIGIN:
			allow_origin(cfg, optarg);
			break;
		case OPT_HELLO_TIMEOUT:
			cfg->hello_timeout = (unsigned)number("hello-timeout",
			    optarg, 1, 86400, 0);
			break;
		case OPT_PING_TIMEOUT:
			cfg->ping_timeout = (unsigned)number("ping-timeout",
			    optarg, 1, 30000, 0);
			break;
		case OPT_TOKEN_FILE:
			token_file = optarg;
			break;
		case OPT_READ_TOKEN_FILE:
			read_file = optarg;
			break;
		case OPT_ADMIN_TOKEN_FILE:
			admin_file = optarg;
			break;
		case OPT_BATCH_MS:
			cfg->batch_us = 1000 * (int64_t)number("batch-ms",
			    optarg, 0, 60000, 0);
			break;
		case OPT_BATCH_ROWS:
			cfg->batch_rows = number("batch-rows", optarg, 1,
			    10000000, 0);
			break;
		case OPT_SNAPSHOT_EVERY:
			cfg->snapshot_every = (int64_t)number("snapshot-every",
			    optarg, 1, (unsigned long long)INT64_MAX, 0);
			break;
		case OPT_RETAIN:
			cfg->retain_ms = duration("retain", optarg);
			break;
		case OPT_RETAIN_POINTS:
			cfg->retain_points = (int64_t)number("retain-points",
			    optarg, 1, (unsigned long long)INT64_MAX, 0);
			break;
		case OPT_SYNC:
			if (strcmp(optarg, "normal") == 0)
				cfg->sync = STORE_SYNC_NORMAL;
			else if (strcmp(optarg, "full") == 0)
				cfg->sync = STORE_SYNC_FULL;
			else
				bad("--sync: '%s' is not normal or full",
				    optarg);
			break;
		case OPT_WWW:
			cfg->www = optarg;
			break;
		case OPT_TLS_CERT:
			cfg->tls_cert = optarg;
			break;
		case OPT_TLS_KEY:
			cfg->tls_key = optarg;
			break;
		case OPT_ON_ALERT:
			if (alert_check(optarg, err, sizeof(err)) == -1)
				bad("--on-alert: %s", err);
			cfg->on_alert = optarg;
			break;
		case OPT_WEBHOOK:
			if (webhook_check(optarg, err, sizeof(err)) == -1)
				bad("--webhook: %s", err);
			cfg->webhook = optarg;
			break;
		case OPT_WEBHOOK_CACERT:
			if (access(optarg, R_OK) == -1)
				errx(1, "--webhook-cacert %s: %s", optarg,
				    strerror(errno));
			cfg->webhook_cacert = optarg;
			break;
		case OPT_WEBHOOK_TIMEOUT:
			cfg->webhook_timeout = (unsigned)number(
			    "webhook-timeout", optarg, 1, 3600, 0);
			break;
		case OPT_ON_ALERT_JOBS:
			cfg->on_alert_jobs = (unsigned)number("on-alert-jobs",
			    optarg, 1, 1024, 0);
			break;
		case OPT_ON_ALERT_TIMEOUT:
			cfg->on_alert_timeout = (unsigned)number(
			    "on-alert-timeout", optarg, 1, 86400, 0);
			break;
		case 'p':
			param_by_name(cfg, optarg);
			break;
		case 'v':
			cfg->verbose++;
			break;
		case 'h':
			usage(stdout, 1);
			exit(0);
		case OPT_VERSION:
			printf("anomalyd %s\n", ANOMALY_VERSION);
			exit(0);
		case ':':
			bad("option '%s' needs an argument", argv[optind - 1]);
		default:
			if (ch >= OPT_PARAM && ch < OPT_PARAM + DETECT_PARAMS) {
				param(cfg, (unsigned)(ch - OPT_PARAM), optarg);
				break;
			}
			if (optopt != 0)
				bad("unknown option '-%c'", optopt);
			bad("unknown option '%s'", argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0)
		bad("unexpected argument '%s'", argv[0]);
	if (cfg->max_batch < cfg->max_message)
		cfg->max_batch = cfg->max_message;
	t = cfg->defaults;
	t.window = DETECT_WINDOW_MIN;
	if (detect_settings_check(&t, err, sizeof(err)) == -1)
		bad("%s", err);
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL))
		bad("--tls-cert and --tls-key go together");
	if (token_file != NULL)
		read_token("--token-file", token_file, &cfg->token,
		    &cfg->token_len);
	if (admin_file != NULL)
		read_token("--admin-token-file", admin_file, &cfg->admin,
		    &cfg->admin_len);
	if (read_file != NULL)
		read_token("--read-token-file", read_file, &cfg->read,
		    &cfg->read_len);
	cfg->token_file = token_file;
	cfg->admin_file = admin_file;
	cfg->read_file = read_file;
}

/* Whether the listen address of cfg reaches this machine only. */
static int
loopback(const struct config *cfg)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (cfg->family == LISTEN_V4)
		return inet_pton(AF_INET, cfg->iface, &a4) == 1 &&
		    (ntohl(a4.s_addr) >> 24) == 127;
	if (cfg->family == LISTEN_V6)
		return inet_pton(AF_INET6, cfg->iface, &a6) == 1 &&
		    IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

/* Binds a socket to the listen address of cfg as libwebsockets will
 * (SO_REUSEADDR; for every address, IPv6 with IPv4 mapped) and closes it:
 * an address in use or not of this machine is then a clear message, not
 * lws's "ERROR on binding fd".  Returns 0, or the errno of the failure. */
static int
try_bind(const struct config *cfg)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	struct sockaddr *sa;
	socklen_t len;
	int fd, one = 1, zero = 0, e = 0;

	memset(&s4, 0, sizeof(s4));
	memset(&s6, 0, sizeof(s6));
	if (cfg->family == LISTEN_V4) {
		s4.sin_family = AF_INET;
		s4.sin_port = htons((uint16_t)cfg->port);
		inet_pton(AF_INET, cfg->iface, &s4.sin_addr);
		sa = (struct sockaddr *)&s4;
		len = sizeof(s4);
	} else {
		s6.sin6_family = AF_INET6;
		s6.sin6_port = htons((uint16_t)cfg->port);
		if (cfg->family == LISTEN_V6)
			inet_pton(AF_INET6, cfg->iface, &s6.sin6_addr);
		else
			s6.sin6_addr = in6addr_any;
		sa = (struct sockaddr *)&s6;
		len = sizeof(s6);
	}
	if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return cfg->family == LISTEN_ANY ? 0 : errno;	/* lws says */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, cfg->family ==
		    LISTEN_V6 ? &one : &zero, sizeof(int));
	if (bind(fd, sa, len) == -1)
		e = errno;
	close(fd);
	return e;
}

/* Raises the soft limit of open files to the hard one; returns it. */
static rlim_t
raise_nofile(const struct config *cfg)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		warn("getrlimit");
		return 1024;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			warn("setrlimit");
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)cfg->max_clients + 64)
		warnx("open files limited to %llu: fewer than --max-clients "
		    "%u connections fit", (unsigned long long)rl.rlim_cur,
		    cfg->max_clients);
	return rl.rlim_cur;
}

/* The connections lws may hold (its fd_limit_per_thread) with files
 * descriptors: room for every client, every pending handshake and
 * FD_HTTP more, within files less FD_OTHER. */
static unsigned
fd_limit(const struct config *cfg, rlim_t files)
{
	unsigned long long want = (unsigned long long)cfg->max_clients +
	    cfg->max_handshakes + FD_HTTP;

	if (files != RLIM_INFINITY && (unsigned long long)files < want +
	    FD_OTHER)
		want = files > FD_OTHER + 64 ? files - FD_OTHER : 64;
	return (unsigned)want;
}

/* The default --www: share/anomaly/www beside the directory of the running
 * program (build/ in the source tree, PREFIX/bin once installed), into buf;
 * 0, or -1 when there is none (then http.c's relative default applies). */
static int
default_www(char *buf, size_t size)
{
	char exe[PATH_MAX], *slash;
	ssize_t n;
	int len;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0)
		return -1;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return -1;
	*slash = '\0';
	len = snprintf(buf, size, "%s/../share/anomaly/www", exe);
	if (len < 0 || (size_t)len >= size || access(buf, R_OK | X_OK) == -1)
		return -1;
	return 0;
}

/* INT, TERM, QUIT: stop; HUP: reload; USR1: a status line.  The loop
 * acts on them: poll(2) returns on a signal (the writer thread blocks
 * them all, so the loop's thread receives them). */
static void
on_signal(int sig)
{
	switch (sig) {
	case SIGHUP:
		got_hup = 1;
		break;
	case SIGUSR1:
		got_usr1 = 1;
		break;
	default:
		stop = sig;
		break;
	}
}

/* SIGHUP: rereads the token file of option (path, NULL when not given)
 * into *token and *len.  A file that cannot be read, or holds no usable
 * token, keeps the old token and logs why.  Connections stay: a session
 * already let in stays in, the next hello or request sees the new
 * token. */
static void
reload_token(const char *option, const char *path, char **token,
    size_t *len)
{
	char e[512], *t;
	size_t n;
	int unreadable;

	if (path == NULL)
		return;
	if ((t = token_read_file(path, &n, &unreadable, e, sizeof(e))) ==
	    NULL) {
		warnx("SIGHUP: %s: %s: keeping the old token", option, e);
		return;
	}
	token_free(*token);
	*token = t;
	*len = n;
	warnx("SIGHUP: %s: reread %s", option, path);
}

/* SIGHUP: rereads what may be reread while running: the token files.
 * The other options are read at start only. */
static void
reload(struct server *srv)
{
	struct config *cfg = &srv->cfg;

	tls_reload(srv);
	if (cfg->token_file == NULL && cfg->admin_file == NULL &&
	    cfg->read_file == NULL && cfg->tls_cert == NULL)
		warnx("SIGHUP: no token file or certificate to reread");
	reload_token("--token-file", cfg->token_file, &cfg->token,
	    &cfg->token_len);
	reload_token("--admin-token-file", cfg->admin_file, &cfg->admin,
	    &cfg->admin_len);
	reload_token("--read-token-file", cfg->read_file, &cfg->read,
	    &cfg->read_len);
}

/* SIGUSR1: one line on stderr of what the server does. */
static void
status(struct server *srv)
{
	struct session *s;
	size_t clients = 0;
	int64_t up = (clock_mono_us() - srv->started_us) / 1000000;

	TAILQ_FOREACH(s, &srv->sessions, all)
		if (s->client != NULL)
			clients++;
	warnx("status: %zu connections, %zu clients, %llu points stored "
	    "since start, up %lldd %02lld:%02lld:%02lld, memory %zu of %zu "
	    "bytes, database %s%s",
	    srv->nsessions, clients, (unsigned long long)srv->commits.points,
	    (long long)(up / 86400), (long long)(up / 3600 % 24),
	    (long long)(up / 60 % 60), (long long)(up % 60),
	    srv->budget.used, srv->budget.max, srv->dbpath,
	    srv->gone ? " (removed: points are not stored)" : "");
}

static void
sweep(lws_sorted_usec_list_t *sul)
{
	struct server *srv = lws_container_of(sul, struct server, sweep);
	uint64_t pruned, failed;
	char why[256];

	if (!srv->stopping) {
		ws_sweep(srv);
		if (!srv->gone && store_file_check(srv->st, why,
		    sizeof(why)) == -1)
			commit_db_gone(srv, why);
		writer_prune_stats(srv->wr, &pruned, &failed, why,
		    sizeof(why));
		if (failed > srv->prune_logged) {
			/* once a second at most */
			logmsg(0, "pruning: %s (%" PRIu64 " step%s failed "
			    "since start; nothing of it was deleted, tried "
			    "again a second later)", why, failed,
			    failed == 1 ? "" : "s");
			srv->prune_logged = failed;
		}
	}
	lws_sul_schedule(srv->ctx, 0, &srv->sweep, sweep,
	    srv->stopping ? 50 * LWS_US_PER_MS : LWS_US_PER_SEC);
}

/* The writer thread's wake function: a finished batch ends the wait in
 * poll(2) (lws_cancel_service() is safe from any thread). */
static void
wake_loop(void *arg)
{
	struct server *srv = arg;

	lws_cancel_service(srv->ctx);
}

int
main(int argc, char *argv[])
{
	static struct lws_protocol_vhost_options pvo_default = {
		.name = "default", .value = ""
	};
	static struct lws_protocol_vhost_options pvo = {
		.options = &pvo_default, .name = "anomaly", .value = ""
	};
	/* what the group commit asks of the clients and the sessions */
	static const struct commit_hooks hooks = {
		.committed = clients_committed,
		.failed = clients_failed,
		.close = session_close,
		.ready = ws_ready,
		.deleted = http_deleted,
	};
	static struct server srv;
	struct lws_protocols protocols[4];
	struct lws_context_creation_info info;
	lws_retry_bo_t retry;
	struct sigaction sa;
	static char www[PATH_MAX];
	char err[512];
	rlim_t files;
	int64_t deadline;
	int e;

	options(&srv.cfg, argc, argv);
	log_init(srv.cfg.verbose);
	if (srv.cfg.www == NULL && default_www(www, sizeof(www)) == 0)
		srv.cfg.www = www;
	if (srv.cfg.token == NULL && !loopback(&srv.cfg))
		warnx("warning: listening on %s without --token-file: anyone "
		    "who reaches it may send points", srv.cfg.where);
	files = raise_nofile(&srv.cfg);
	TAILQ_INIT(&srv.sessions);
	TAILQ_INIT(&srv.dirty);
	TAILQ_INIT(&srv.kick);
	LIST_INIT(&srv.http_waits);
	srv.started_us = clock_mono_us();
	budget_init(&srv.budget, srv.cfg.max_memory);
	srv.dbpath = store_resolve_path(srv.cfg.db, getenv("ANOMALY_DB"));
	if (srv.cfg.tls_cert != NULL && tls_check(srv.cfg.tls_cert,
	    srv.cfg.tls_key, err, sizeof(err)) == -1)
		errx(1, "%s", err);
	if ((e = try_bind(&srv.cfg)) != 0)
		errx(1, "%s: %s", srv.cfg.where, e == EADDRINUSE ?
		    "address already in use" : strerror(e));
	if ((srv.st = store_open_writer(srv.dbpath, srv.cfg.sync, err,
	    sizeof(err))) == NULL)
		errx(1, "%s", err);
	if ((srv.rd = store_open_reader(srv.dbpath, err, sizeof(err))) ==
	    NULL) {
		store_close(srv.st);
		errx(1, "%s", err);
	}
	if ((srv.parser = proto_parser_new(srv.cfg.max_window)) == NULL ||
	    clients_init(&srv) == -1)
		errx(1, "out of memory");
	commit_init(&srv, &hooks);
	if (alert_init(&srv) == -1 || webhook_init(&srv) == -1)
		errx(1, "out of memory");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGXFSZ, &sa, NULL);	/* a file size limit is a write error */

	/* with TLS, lws's notices (log_lws() shows one of them below -vv) */
	lws_set_log_level(srv.cfg.verbose >= 2 ? LLL_ERR | LLL_WARN |
	    LLL_NOTICE : srv.cfg.verbose ? LLL_ERR | LLL_WARN : LLL_ERR,
	    log_lws);
	if (srv.cfg.tls_cert != NULL)
		lws_set_log_level(srv.cfg.verbose >= 1 ? LLL_ERR | LLL_WARN |
		    LLL_NOTICE : LLL_ERR | LLL_NOTICE, log_lws);
	memset(protocols, 0, sizeof(protocols));
	protocols[0] = http_protocol;
	protocols[1] = ws_protocol;
	protocols[2] = webhook_protocol;
	memset(&retry, 0, sizeof(retry));
	retry.secs_since_valid_ping = (uint16_t)(srv.cfg.ping_timeout > 30000 ?
	    30000 : srv.cfg.ping_timeout);
	retry.secs_since_valid_hangup = (uint16_t)(2 * retry.secs_since_valid_ping);
	memset(&info, 0, sizeof(info));
	info.port = srv.cfg.port;
	info.iface = srv.cfg.iface;
	info.protocols = protocols;
	info.pvo = &pvo;
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
	/* lws with IPv6 binds every address when given an IPv4 one: an IPv4
	 * address gets an IPv4 socket, an IPv6 one an IPv6-only socket */
	if (srv.cfg.family == LISTEN_V4)
		info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	else if (srv.cfg.family == LISTEN_V6)
		info.options |= LWS_SERVER_OPTION_IPV6_V6ONLY_MODIFY |
		    LWS_SERVER_OPTION_IPV6_V6ONLY_VALUE;
	/* bytes that are not HTTP on a plain-text port go to http.c as a
	 * raw socket (guard_raw()): a TLS client is told in the log */
	if (srv.cfg.tls_cert == NULL)
		info.options |=
		    LWS_SERVER_OPTION_FALLBACK_TO_APPLY_LISTEN_ACCEPT_CONFIG;
	info.user = &srv;
	info.retry_and_idle_policy = &retry;
	info.fd_limit_per_thread = fd_limit(&srv.cfg, files);
	info.headers = http_headers;
	/* headers of up to 8 KiB, as most servers take; lws drops the
	 * connection of a request over it (anomalyd(8) BUGS) */
	info.max_http_header_data = 8192;
	tls_setup(&srv, &info);
	webhook_setup(&srv, &info);
	if (guard_init(&srv, loopback(&srv.cfg), info.fd_limit_per_thread) ==
	    -1)
		errx(1, "out of memory");
	if ((srv.ctx = lws_create_context(&info)) == NULL) {
		store_close(srv.rd);
		store_close(srv.st);
		errx(1, "%s: cannot listen", srv.cfg.where);
	}
	if ((srv.wr = writer_new(srv.st, wake_loop, &srv, err, sizeof(err))) ==
	    NULL || (srv.rb = rebuilder_new(srv.dbpath, wake_loop, &srv, err,
	    sizeof(err))) == NULL) {
		writer_free(srv.wr);
		lws_context_destroy(srv.ctx);
		store_close(srv.rd);
		store_close(srv.st);
		errx(1, "%s", err);
	}
	if (srv.cfg.retain_ms > 0 || srv.cfg.retain_points > 0)
		writer_retain(srv.wr, srv.cfg.retain_ms,
		    srv.cfg.retain_points);
	lws_sul_schedule(srv.ctx, 0, &srv.sweep, sweep, LWS_US_PER_SEC);
	warnx("listening on %s%s, database %s", srv.cfg.where,
	    srv.cfg.tls_cert != NULL ? " (TLS: wss:// and https:// only)" :
	    "", srv.dbpath);

	/*
	 * The group commit of SPEC §4.  A pass of lws_service() reads what
	 * the sockets hold; ws.c judges the points of each message and adds
	 * them to the filling batch (clients.c), their replies wait
	 * (commit.c).  After the pass, commit_flush() takes back the batch
	 * the writer thread has committed and releases its replies, hands
	 * the writer the filling batch when it is idle, and ws_write_now()
	 * writes the released replies without another poll(2); a batch the
	 * writer finishes while poll(2) sleeps wakes it (wake_loop).  So a
	 * commit starts
	 * - as soon as no more input is waiting: a pass ends when the input
	 *   the sockets held is read, and the commit follows before poll(2)
	 *   may sleep (a lone send-and-wait client is answered at once), or
	 *   if the writer is busy, as soon as it is done;
	 * - when --batch-rows points are pending: commit_message_done()
	 *   hands the batch over within the pass if the writer is idle, else
	 *   stops reading the sessions that fill it until the writer is done
	 *   (the loop never waits for the writer: issue 16);
	 * - --batch-ms after the first pending point, if the writer is idle:
	 *   commit_message_done() hands it over within the pass (a pass over
	 *   many busy connections may run long).
	 * A verdict is written only after the commit that covers its point.
	 * Detectors that must be rebuilt from the database are rebuilt on
	 * the rebuild thread, which wakes the loop too; clients_poll()
	 * installs them.
	 *
	 * For SPIN_US after a message the passes poll(2) without sleeping:
	 * a send-and-wait client's next point then finds the server awake,
	 * which saves a wake-up (an inter-processor interrupt and a context
	 * switch) per round trip, about a third of it on this machine.  An
	 * idle server sleeps as before.
	 */
	while (!stop) {
		if (lws_service(srv.ctx, clock_mono_us() - srv.rx_us < SPIN_US ?
		    -1 : 0) < 0)
			break;
		if (got_hup) {
			got_hup = 0;
			reload(&srv);
		}
		if (got_usr1) {
			got_usr1 = 0;
			status(&srv);
		}
		commit_flush(&srv);
		clients_poll(&srv);
		ws_write_now(&srv);
	}

	/* stop accepting, commit, close every connection with 1001 */
	if (stop != 0)
		logmsg(1, "%s: shutting down", strsignal(stop));
	else
		logmsg(1, "shutting down");
	srv.stopping = 1;
	commit_drain(&srv);
	ws_shutdown(&srv);
	lws_sul_schedule(srv.ctx, 0, &srv.sweep, sweep, 50 * LWS_US_PER_MS);
	deadline = clock_wall_ms() + SHUTDOWN_MS;
	while (srv.nsessions > 0 && clock_wall_ms() < deadline) {
		if (lws_service(srv.ctx, 0) < 0)
			break;
		commit_flush(&srv);
		clients_poll(&srv);
		ws_write_now(&srv);
	}
	commit_drain(&srv);
	writer_quiet(srv.wr);		/* the context goes away */
	rebuilder_quiet(srv.rb);
	alert_quiet(&srv);
	lws_context_destroy(srv.ctx);	/* the rest: snapshots, inactive */
	commit_drain(&srv);
	writer_free(srv.wr);
	if (store_clients_deactivate(srv.st, err, sizeof(err)) == -1)
		warnx("%s", err);
	alert_free(&srv);
	webhook_free(&srv);
	clients_free(&srv);		/* before the jobs they point to */
	rebuilder_free(srv.rb);
	commit_free(&srv);
	proto_parser_free(srv.parser);
	store_close(srv.rd);
	store_close(srv.st);
	guard_free(&srv);
	free(srv.cfg.allow_origin);
	token_free(srv.cfg.token);
	token_free(srv.cfg.admin);
	token_free(srv.cfg.read);
	return 0;
}
