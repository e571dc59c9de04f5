/*
 * anomaly-send: streams CSV rows to anomalyd and prints the verdicts
 * (SPEC §6).
 *
 * main.c reads the options, the URL and the token, makes the
 * libwebsockets context and runs a job per client: input.c reads the rows,
 * wire.c sends them and takes the verdicts back, output.c prints them;
 * delete.c does --delete.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "clock.h"
#include "delete.h"
#include "input.h"
#include "keys.h"
#include "output.h"
#include "send.h"
#include "token.h"
#include "wire.h"

enum { OPT_NO_HEADER = 256, OPT_INFLIGHT, OPT_JSON, OPT_LOG_DIR, OPT_NO_LOG,
    OPT_RETRIES, OPT_TOKEN_FILE, OPT_FAIL_ON_ANOMALY, OPT_VERSION,
    OPT_RATE, OPT_REALTIME, OPT_SPEED, OPT_LOOP, OPT_FAIL_ON_ALERT,
    OPT_RESUME, OPT_DELETE, OPT_WAIT, OPT_KEY_FILE, OPT_CACERT };

static const struct option longopts[] = {
	{ "url",		required_argument, NULL, 'u' },
	{ "client-id",		required_argument, NULL, 'i' },
	{ "window",		required_argument, NULL, 'w' },
	{ "time-column",	required_argument, NULL, 't' },
	{ "value-column",	required_argument, NULL, 'v' },
	{ "no-header",		no_argument,	   NULL, OPT_NO_HEADER },
	{ "rate",		required_argument, NULL, OPT_RATE },
	{ "realtime",		no_argument,	   NULL, OPT_REALTIME },
	{ "speed",		required_argument, NULL, OPT_SPEED },
	{ "inflight",		required_argument, NULL, OPT_INFLIGHT },
	{ "loop",		no_argument,	   NULL, OPT_LOOP },
	{ "json",		no_argument,	   NULL, OPT_JSON },
	{ "quiet",		no_argument,	   NULL, 'q' },
	{ "log-dir",		required_argument, NULL, OPT_LOG_DIR },
	{ "no-log",		no_argument,	   NULL, OPT_NO_LOG },
	{ "retries",		required_argument, NULL, OPT_RETRIES },
	{ "token-file",		required_argument, NULL, OPT_TOKEN_FILE },
	{ "key-file",		required_argument, NULL, OPT_KEY_FILE },
	{ "cacert",		required_argument, NULL, OPT_CACERT },
	{ "insecure",		no_argument,	   NULL, 'k' },
	{ "fail-on-anomaly",	no_argument,	   NULL, OPT_FAIL_ON_ANOMALY },
	{ "fail-on-alert",	no_argument,	   NULL, OPT_FAIL_ON_ALERT },
	{ "resume",		no_argument,	   NULL, OPT_RESUME },
	{ "delete",		no_argument,	   NULL, OPT_DELETE },
	{ "wait",		no_argument,	   NULL, OPT_WAIT },
	{ "help",		no_argument,	   NULL, 'h' },
	{ "version",		no_argument,	   NULL, OPT_VERSION },
	{ NULL,			0,		   NULL, 0 }
};

#define USAGE \
	"usage: anomaly-send [-q] [-u URL] [-i CLIENT_ID] [-w WINDOW] " \
	"[-t TS_COLUMN]\n" \
	"\t[-v VALUE_COLUMN] [--no-header] [--rate N | --realtime " \
	"[--speed X]]\n" \
	"\t[--inflight N] [--loop] [--resume] [--json] " \
	"[--log-dir DIR | --no-log]\n" \
	"\t[--retries N] [--wait] [--token-file F] [--key-file F]\n" \
	"\t[--cacert F | -k]\n" \
	"\t[--fail-on-anomaly] [--fail-on-alert] [FILE|-]...\n" \
	"       anomaly-send --delete -i CLIENT_ID [-u URL] [--token-file F]\n" \
	"\t[--key-file F] [--cacert F | -k]\n"

/* A usage error: the problem in one line (already said when fmt is
 * NULL, as getopt does), a hint, exit 2. */
static void __attribute__((noreturn, format(printf, 1, 2)))
usage(const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		fprintf(stderr, "anomaly-send: ");
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "try 'anomaly-send --help'\n");
	exit(2);
}

/* Prints the help and exits 0. */
static void
help(void)
{
	printf(USAGE "\n"
	    "Streams CSV rows (timestamp, value) to anomalyd and prints a "
	    "verdict per row.\n\n"
	    "  -u, --url URL          server, ws://HOST:PORT[/PATH], "
	    "wss://HOST:PORT[/PATH]\n"
	    "                         (TLS) or HOST:PORT\n"
	    "                         (default $ANOMALY_URL or "
	    DEFAULT_URL ")\n"
	    "  -i, --client-id ID     client id (default: the file's name; "
	    "stdin: stdin)\n"
	    "  -w, --window N         window of the client (default 1000)\n"
	    "  -t, --time-column C    timestamp column, name or number "
	    "(default timestamp,\n"
	    "                         else 1)\n"
	    "  -v, --value-column C   value column, name or number (default "
	    "value, else\n"
	    "                         Adj Close, else Close, else 2)\n"
	    "      --no-header        the first row is data (guessed when it "
	    "holds only\n"
	    "                         numbers and dates)\n"
	    "      --rate N           send N points per second "
	    "(may be fractional)\n"
	    "      --realtime         space points by their timestamps\n"
	    "      --speed X          with --realtime: X times faster "
	    "(default 1)\n"
	    "      --loop             replay the files for ever, time and "
	    "level shifted on\n"
	    "                         each lap (until SIGINT or SIGTERM)\n"
	    "      --resume           skip rows at or before the client's "
	    "last stored\n"
	    "                         timestamp\n"
	    "      --inflight N       points sent before their verdicts "
	    "(default 256;\n"
	    "                         1: wait for each)\n"
	    "      --json             verdicts as NDJSON with their details\n"
	    "  -q, --quiet            no verdicts on stdout, no progress bar\n"
	    "      --log-dir DIR      log messages to DIR/CLIENT_ID.log "
	    "(default logs)\n"
	    "      --no-log           no log\n"
	    "      --retries N        reconnects on connection loss "
	    "(default 5)\n"
	    "      --wait             retry the first connection too "
	    "(a server starting up)\n"
	    "      --token-file F     send the token in F in the hello\n"
	    "      --key-file F       keep the keys of the claimed client ids "
	    "in F (default\n"
	    "                         $XDG_STATE_HOME/anomaly/keys, else\n"
	    "                         ~/.local/state/anomaly/keys)\n"
	    "      --cacert F         wss://: trust the CA certificates in F "
	    "(PEM) too\n"
	    "                         (besides the system's)\n"
	    "  -k, --insecure         wss://: do not verify the server's "
	    "certificate\n"
	    "      --fail-on-anomaly  exit 4 when an anomaly was seen\n"
	    "      --fail-on-alert    exit 4 when an alert was seen\n"
	    "      --delete           delete client -i and its points on the "
	    "server\n"
	    "  -h, --help             this help\n"
	    "      --version          the version\n\n"
	    "Exit status: 0 ok, 1 failure, 2 usage, 3 rows rejected, "
	    "4 anomaly or alert seen\n"
	    "(--fail-on-anomaly, --fail-on-alert; 4 wins over 3).\n");
	exit(0);
}

/* The integer s of option what, from min to max; else a usage error. */
static long
number(const char *s, long min, long max, const char *what)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || n < min || n > max) {
		usage("%s: %s: not a number from %ld to %ld", what, s, min,
		    max);
	}
	return n;
}

/* The default client id of a file: its base name without .csv, bytes
 * outside [A-Za-z0-9._:-] as _, cut to 64 bytes. */
static void
default_id(const char *file, char *id)
{
	const char *b = strrchr(file, '/');
	size_t n, i;

	if (strcmp(file, "-") == 0) {
		strcpy(id, "stdin");
		return;
	}
	b = b != NULL ? b + 1 : file;
	n = strlen(b);
	if (n > 4 && strcmp(b + n - 4, ".csv") == 0)
		n -= 4;
	if (n > PROTO_ID_MAX)
		n = PROTO_ID_MAX;
	for (i = 0; i < n; i++)
		id[i] = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
		    "WXYZ0123456789._:-", b[i]) != NULL && b[i] != '\0' ?
		    b[i] : '_';
	if (n == 0)
		id[n++] = '_';
	id[n] = '\0';
}

/* Signals received (SIGINT, SIGTERM with --loop), read by wire.c's
 * timer through s->signals: the only state outside main(). */
static volatile sig_atomic_t got_signal;

/* Counts a signal. */
static void
on_signal(int sig)
{
	(void)sig;
	got_signal++;
}

/* The key kept for client s->client_id at this server, into s->key ("":
 * none). */
static void
job_key(struct sender *s)
{
	char e[512];

	s->key[0] = '\0';
	if (s->key_file_ok && keys_get(s->key_file, s->url_canon,
	    s->client_id, s->key, sizeof(s->key), e, sizeof(e)) == -1)
		warnx("%s: %s", s->client_id, e);
}

/* Runs one job: client s->client_id, the files s->files. */
static void
run_job(struct sender *s)
{
	s->fileno = 0;
	s->input_done = 0;
	s->head = s->count = s->sent = 0;
	s->seq_known = 0;
	s->closing = 0;
	s->job_over = 0;
	s->attempts = 0;
	s->points = s->anomalies = s->alerts = s->rejected = 0;
	s->fname = NULL;
	s->pending = 0;
	s->paced = 0;
	s->lap = s->lap_rows = 0;
	s->stopping = 0;
	s->resume_known = s->resume_none = 0;
	s->skipped = 0;
	s->has_prev = s->said_back = s->said_unit = s->said_seq = 0;
	s->job_connected = 0;
	s->said_claim = 0;
	job_key(s);
	if (input_start(s) == -1)
		return;
	output_log_open(s);
	s->start_ms = (uint64_t)clock_wall_ms();
	wire_run(s);
	input_end(s);
	output_log_close(s);
	fflush(stdout);
	output_summary(s);
}

/* Reads the token of --token-file (lib/token's rule): an unreadable file
 * ends the run with 1, an unusable token with 2. */
static void
read_token(struct sender *s, const char *file)
{
	char e[512];
	size_t len;
	int unreadable;

	if ((s->token = token_read_file(file, &len, &unreadable, e,
	    sizeof(e))) == NULL)
		errx(unreadable ? 1 : 2, "--token-file: %s", e);
}

/* Reads s->url: ws://HOST[:PORT][/PATH], wss://HOST[:PORT][/PATH] or
 * HOST:PORT; no path is /ws. */
static void
parse_url(struct sender *s)
{
	char *copy, *prot, *ads, *path;
	size_t n;
	int port;

	n = strlen(s->url) + 8;
	if ((copy = malloc(n)) == NULL)
		err(1, NULL);
	snprintf(copy, n, "%s%s", strstr(s->url, "://") == NULL ? "ws://" : "",
	    s->url);
	if (lws_parse_uri(copy, (const char **)&prot, (const char **)&ads,
	    &port, (const char **)&path) != 0 || (strcmp(prot, "ws") != 0 &&
	    strcmp(prot, "wss") != 0) || *ads == '\0')
		usage("%s: not a ws:// or wss:// URL", s->url);
	s->tls = strcmp(prot, "wss") == 0;
	while (*path == '/')
		path++;
	if (*path == '\0')
		path = "ws";
	if (strlen(ads) >= sizeof(s->address) ||
	    strlen(path) >= sizeof(s->path))
		errx(2, "%s: URL too long", s->url);
	strcpy(s->address, ads);
	strcpy(s->path, path);
	s->port = port;
	snprintf(s->url_canon, sizeof(s->url_canon), "%s://%s%s%s:%d/%s",
	    s->tls ? "wss" : "ws", strchr(ads, ':') != NULL ? "[" : "", ads,
	    strchr(ads, ':') != NULL ? "]" : "", port, path);
	free(copy);
}

/* The number s above 0 of option what; else a usage error. */
static double
positive(const char *s, const char *what)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno != 0 || !isfinite(d) ||
	    d <= 0) {
		usage("%s: %s: not a number above 0", what, s);
	}
	return d;
}

int
main(int argc, char *argv[])
{
	struct lws_context_creation_info info;
	char e[PROTO_ERR_MAX];
	static char *dash[] = { "-", NULL };
	struct sender sender, *s = &sender;
	int ch, i, status, delete = 0;

	setlocale(LC_NUMERIC, "C");
	memset(s, 0, sizeof(*s));
	s->signals = &got_signal;
	s->url = getenv("ANOMALY_URL");
	if (s->url == NULL || *s->url == '\0')
		s->url = DEFAULT_URL;
	s->window = 1000;
	s->inflight = 256;
	s->log_dir = "logs";
	s->retries = 5;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "hi:kqt:u:v:w:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'u':
			s->url = optarg;
			break;
		case 'i':
			if (proto_check_client_id(optarg, strlen(optarg), e,
			    sizeof(e)) == -1) {
				usage("-i %s: %s", optarg, e);
			}
			s->id_opt = optarg;
			break;
		case 'w':
			s->window = (uint32_t)number(optarg, DETECT_WINDOW_MIN,
			    DETECT_WINDOW_MAX, "window");
			break;
		case 't':
			s->csv.time_column = optarg;
			break;
		case 'v':
			s->csv.value_column = optarg;
			break;
		case OPT_NO_HEADER:
			s->csv.no_header = 1;
			break;
		case OPT_RATE:
			s->rate = positive(optarg, "rate");
			break;
		case OPT_REALTIME:
			s->realtime = 1;
			break;
		case OPT_SPEED:
			s->speed = positive(optarg, "speed");
			break;
		case OPT_LOOP:
			s->loop = 1;
			break;
		case OPT_INFLIGHT:
			s->inflight = (size_t)number(optarg, 1, INFLIGHT_MAX,
			    "inflight");
			break;
		case OPT_JSON:
			s->json = 1;
			break;
		case 'q':
			s->quiet = 1;
			break;
		case OPT_LOG_DIR:
			s->log_dir = optarg;
			s->no_log = 0;
			break;
		case OPT_NO_LOG:
			s->no_log = 1;
			break;
		case OPT_RETRIES:
			s->retries = (int)number(optarg, 0, 1000, "retries");
			break;
		case OPT_KEY_FILE:
			s->key_file_opt = optarg;
			break;
		case OPT_CACERT:
			s->cacert = optarg;
			break;
		case 'k':
			s->insecure = 1;
			break;
		case OPT_TOKEN_FILE:
			read_token(s, optarg);
			break;
		case OPT_FAIL_ON_ANOMALY:
			s->fail_on_anomaly = 1;
			break;
		case OPT_FAIL_ON_ALERT:
			s->fail_on_alert = 1;
			break;
		case OPT_RESUME:
			s->resume = 1;
			break;
		case OPT_DELETE:
			delete = 1;
			break;
		case OPT_WAIT:
			s->wait_first = 1;
			break;
		case OPT_VERSION:
			printf("anomaly-send %s\n", ANOMALY_VERSION);
			return 0;
		case 'h':
			help();
			break;
		default:
			if (optopt == 0)
				usage("unknown option %s", argv[optind - 1]);
			if (optopt >= 256 || strchr("ituvw", optopt) != NULL)
				usage("option %s needs an argument",
				    argv[optind - 1]);
			usage("unknown option -%c", optopt);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		argc = 1;
		argv = dash;
	}
	if (s->rate > 0 && s->realtime) {
		usage("--rate and --realtime exclude each other");
	}
	if (s->speed > 0 && !s->realtime) {
		usage("--speed goes with --realtime");
	}
	if (s->speed == 0)
		s->speed = 1;
	if (delete && (s->id_opt == NULL || argv != dash))
		usage("--delete needs -i CLIENT_ID and no files");
	if (s->loop) {
		for (i = 0; i < argc; i++)
			if (strcmp(argv[i], "-") == 0) {
				usage("--loop needs files, not stdin");
			}
		if (argc > 1 && s->id_opt == NULL) {
			usage("--loop with several files needs -i");
		}
	}
	{
		/* Column options are checked before anything is sent. */
		struct csvin *r = csvin_new(&s->csv, e, sizeof(e));

		if (r == NULL)
			usage("%s", e);
		csvin_free(r);
	}
	parse_url(s);
	if (s->cacert != NULL && s->insecure)
		usage("--cacert and -k exclude each other");
	if ((s->cacert != NULL || s->insecure) && !s->tls)
		usage("%s go%s with a wss:// URL", s->cacert != NULL ?
		    "--cacert" : "-k", "es");
	if (s->cacert != NULL && access(s->cacert, R_OK) == -1)
		err(1, "--cacert %s", s->cacert);
	if (keys_path(s->key_file_opt, s->key_file, sizeof(s->key_file), e,
	    sizeof(e)) != NULL)
		s->key_file_ok = 1;
	else
		snprintf(s->key_file, sizeof(s->key_file), "%s", e);

	if ((s->ring = calloc(s->inflight, sizeof(*s->ring))) == NULL)
		err(1, NULL);
	jsonbuf_init(&s->out, LWS_PRE);
	lws_set_log_level(0, NULL);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = delete ? delete_protocols() : wire_protocols();
	info.user = s;
	info.gid = -1;
	info.uid = -1;
	if (s->tls) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.client_ssl_ca_filepath = s->cacert;
	}
	if ((s->ctx = lws_create_context(&info)) == NULL)
		errx(1, "cannot create the libwebsockets context");
	if (s->loop) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}

	if (delete) {
		snprintf(s->client_id, sizeof(s->client_id), "%s", s->id_opt);
		status = delete_client(s);
		if (status == 0 && s->key_file_ok && keys_put(s->key_file,
		    s->key_file_opt == NULL, s->url_canon, s->client_id, NULL,
		    e, sizeof(e)) == -1)
			warnx("%s: the key of the deleted client stays: %s",
			    s->client_id, e);
		lws_context_destroy(s->ctx);
		token_free(s->token);
		return status;
	}
	if (s->id_opt != NULL) {
		snprintf(s->client_id, sizeof(s->client_id), "%s", s->id_opt);
		s->files = argv;
		s->nfiles = argc;
		run_job(s);
	} else
		for (i = 0; i < argc; i++) {
			default_id(argv[i], s->client_id);
			s->files = argv + i;
			s->nfiles = 1;
			run_job(s);
			if (s->failed && s->wsi == NULL &&
			    s->close_code >= 4001 && s->close_code <= 4003)
				break;
		}
	lws_context_destroy(s->ctx);
	jsonbuf_free(&s->out);
	free(s->ring);
	free(s->rx);
	token_free(s->token);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	status = 0;
	if (s->any_rejected)
		status = 3;
	if ((s->fail_on_anomaly && s->any_anomaly) ||
	    (s->fail_on_alert && s->any_alert))
		status = 4;
	if (s->failed)
		status = 1;
	if (s->bad_input == 2)
		status = 2;
	return status;
}
