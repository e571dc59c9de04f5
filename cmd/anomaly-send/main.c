/*
 * anomaly-send: streams CSV rows to anomalyd and prints the verdicts
 * (SPEC §6).
 *
 * Protocol 2 over one libwebsockets client connection per client: the hello
 * in the URL, `ready`, then up to --inflight points in flight, sent as
 * batches, each with a seq numbered from ready.last_seq + 1.  Rows stay in
 * a ring until their verdict comes; on connection loss the ring is sent
 * again after a reconnect, and the server answers what it already stored
 * with the stored verdict (SPEC §2.2), so nothing is lost or doubled.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "clock.h"
#include "csvin.h"
#include "proto.h"
#include "reply.h"
#include "timefmt.h"
#include "token.h"

#define DEFAULT_URL	"ws://127.0.0.1:3000/ws"
#ifndef BATCH_MAX
#define BATCH_MAX	64	/* points per message, at most */
#endif
#define INFLIGHT_MAX	65536
#define BACKOFF_MIN_MS	250
#define BACKOFF_MAX_MS	5000
#define RX_MAX		(64 << 20)	/* bytes of a reply message */

enum { OPT_NO_HEADER = 256, OPT_INFLIGHT, OPT_JSON, OPT_LOG_DIR, OPT_NO_LOG,
    OPT_RETRIES, OPT_TOKEN_FILE, OPT_FAIL_ON_ANOMALY, OPT_VERSION,
    OPT_RATE, OPT_REALTIME, OPT_SPEED, OPT_LOOP, OPT_FAIL_ON_ALERT,
    OPT_RESUME, OPT_DELETE, OPT_WAIT };

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
	{ "fail-on-anomaly",	no_argument,	   NULL, OPT_FAIL_ON_ANOMALY },
	{ "fail-on-alert",	no_argument,	   NULL, OPT_FAIL_ON_ALERT },
	{ "resume",		no_argument,	   NULL, OPT_RESUME },
	{ "delete",		no_argument,	   NULL, OPT_DELETE },
	{ "wait",		no_argument,	   NULL, OPT_WAIT },
	{ "help",		no_argument,	   NULL, 'h' },
	{ "version",		no_argument,	   NULL, OPT_VERSION },
	{ NULL,			0,		   NULL, 0 }
};

/* A row read and not yet answered. */
struct row {
	int64_t		 seq;
	uint64_t	 line;
	double		 v;
	unsigned char	 ts_len;
	unsigned char	 ts_num;	/* sent as a JSON number */
	char		 ts[CSVIN_TS_MAX + 1];
	char		 val[CSVIN_VALUE_MAX + 1];
};

/* Everything of the run. */
struct sender {
	/* Options. */
	const char	*url;
	const char	*id_opt;
	uint32_t	 window;
	struct csvin_options csv;
	size_t		 inflight;
	int		 json, quiet, fail_on_anomaly, fail_on_alert, no_log;
	int		 resume, wait_first;
	const char	*log_dir;
	int		 retries;
	char		*token;
	double		 rate;		/* points per second; 0: no pacing */
	int		 realtime;
	double		 speed;		/* of --realtime */
	int		 loop;

	/* Where to connect. */
	char		 address[256];
	int		 port;
	char		 path[1024];	/* the URL's path, without the / */

	struct lws_context *ctx;
	struct lws	*wsi;
	lws_sorted_usec_list_t sul;

	/* The current job: one client, its files. */
	char		 client_id[PROTO_ID_MAX + 1];
	char	       **files;
	int		 nfiles, fileno;
	const char	*fname;		/* for messages */
	FILE		*fp;
	struct csvin	*reader;
	int		 input_done;	/* every file read */
	int		 progress;	/* draw a progress bar */
	off_t		 fsize;
	uint64_t	 last_draw_ms;

	/* Pacing (--rate, --realtime): a row read but not yet due waits in
	 * the ring's next slot, outside [head, head + count). */
	lws_sorted_usec_list_t pace_sul;
	int		 pending;
	int64_t		 pending_due_us;
	int64_t		 pace_start_us;	/* monotonic time of the first row */
	uint64_t	 paced;		/* rows let through */
	int64_t		 t0_ms;		/* --realtime: the first row's time */

	/* --loop: the lap, the shift of a lap, lap 0's row times and
	 * values. */
	uint64_t	 lap;
	int64_t		 lap_shift_ms;
	double		 lap_level;	/* added to the values of each lap */
	uint64_t	 lap_rows;	/* good rows read in this lap */
	int64_t		*times;
	size_t		 ntimes, times_cap;
	double		*values;
	size_t		 nvalues, values_cap;

	/* --resume: the last stored timestamp (from the first ready). */
	int		 resume_known, resume_none;
	struct timefmt_ts resume_ts;
	char		 resume_text[72];
	uint64_t	 skipped;

	/* The row before, to warn once when time goes back; what was said
	 * once about the timestamps. */
	char		 prev_ts[CSVIN_TS_MAX + 1];
	struct timefmt_ts prev;
	int		 has_prev, said_back, said_unit, said_seq;
	lws_sorted_usec_list_t tick_sul;
	int		 stopping;	/* a signal came: finish */

	/* Connection state. */
	int		 ready;		/* ready seen on this connection */
	int		 seq_known;	/* base seq set (first ready) */
	int		 closing;	/* we are closing: job over */
	int		 lost;		/* the connection must be remade */
	int		 attempts;	/* failed connects in a row */
	int		 job_over;
	int		 settings_sent;
	int		 ended;		/* connection_ended() ran */
	int		 close_code;
	char		 close_reason[128];
	char		 conn_error[256];
	int64_t		 next_seq;

	/* The ring of rows in flight: [head, head + count), of which
	 * [head, head + sent) were sent. */
	struct row	*ring;
	size_t		 head, count, sent;

	struct jsonbuf out;
	char		*rx;		/* a reply being assembled */
	size_t		 rxlen, rxcap;
	FILE		*log;

	/* Counts, for the job and the run. */
	uint64_t	 points, anomalies, alerts, rejected;
	uint64_t	 start_ms;
	int		 header_done;
	int		 any_anomaly, any_alert, any_rejected, failed;
	int		 bad_input;	/* a file (1) or column (2) not there */
	int		 job_connected;	/* the job's connection came up */
	char		 url_canon[1400];	/* ws://ADDRESS:PORT/PATH */
	int64_t		 active_us;	/* when the socket last moved */
};

/* After traffic, poll(2) without sleeping this long (µs): the verdict of
 * a send-and-wait round trip then finds this process awake, which saves a
 * wake-up per round trip (as anomalyd does on its side). */
#define SPIN_US		100

static struct sender S;

#define USAGE \
	"usage: anomaly-send [-q] [-u URL] [-i CLIENT_ID] [-w WINDOW] " \
	"[-t TS_COLUMN]\n" \
	"\t[-v VALUE_COLUMN] [--no-header] [--rate N | --realtime " \
	"[--speed X]]\n" \
	"\t[--inflight N] [--loop] [--resume] [--json] " \
	"[--log-dir DIR | --no-log]\n" \
	"\t[--retries N] [--wait] [--token-file F] [--fail-on-anomaly]\n" \
	"\t[--fail-on-alert] [FILE|-]...\n" \
	"       anomaly-send --delete -i CLIENT_ID [-u URL] [--token-file F]\n"

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

static void
help(void)
{
	printf(USAGE "\n"
	    "Streams CSV rows (timestamp, value) to anomalyd and prints a "
	    "verdict per row.\n\n"
	    "  -u, --url URL          server, ws://HOST:PORT[/PATH] or "
	    "HOST:PORT\n"
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

/* ---------------------------------------------------------------- log */

static void
log_msg(char dir, const char *msg, size_t len)
{
	char t[TIMEFMT_BUFSIZE];

	if (S.log == NULL)
		return;
	timefmt_format((int64_t)(uint64_t)clock_wall_ms(), t, sizeof(t));
	fprintf(S.log, "%s %c %.*s\n", t, dir, (int)len, msg);
}

static void
log_open(void)
{
	char path[PATH_MAX];

	if (S.no_log)
		return;
	if (mkdir(S.log_dir, 0777) == -1 && errno != EEXIST)
		err(1, "%s", S.log_dir);
	snprintf(path, sizeof(path), "%s/%s.log", S.log_dir, S.client_id);
	if ((S.log = fopen(path, "a")) == NULL)
		err(1, "%s", path);
	setvbuf(S.log, NULL, _IOFBF, 1 << 16);
}

static void
log_close(void)
{
	if (S.log != NULL && fclose(S.log) == EOF)
		warn("log of %s", S.client_id);
	S.log = NULL;
}

/* ------------------------------------------------------------- output */

static void
put_csv_field(const char *s, size_t len)
{
	size_t i;

	if (strcspn(s, ",\"\r\n") == len) {
		fwrite(s, 1, len, stdout);
		return;
	}
	putchar('"');
	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			putchar('"');
		putchar(s[i]);
	}
	putchar('"');
}

static void
print_verdict(const struct row *w, const struct reply *r)
{
	struct jsonbuf b;
	int i;

	if (S.quiet)
		return;
	if (!S.json) {
		if (!S.header_done) {
			S.header_done = 1;
			printf("timestamp,value,anomaly,alert\n");
		}
		put_csv_field(w->ts, w->ts_len);
		printf(",%s,%d,%d\n", w->val, r->anomaly, r->alert);
		return;
	}
	jsonbuf_init(&b, 0);
	printf("{\"client_id\":\"%s\",\"seq\":%lld,\"line\":%llu,"
	    "\"timestamp\":", S.client_id, (long long)w->seq,
	    (unsigned long long)w->line);
	if (w->ts_num)
		fwrite(w->ts, 1, w->ts_len, stdout);
	else {
		(void)jsonbuf_put_string(&b, w->ts, w->ts_len);
		fwrite(jsonbuf_text(&b), 1, b.len, stdout);
		jsonbuf_clear(&b);
	}
	(void)jsonbuf_put_double(&b, w->v);
	printf(",\"value\":%s,\"anomaly\":%d", jsonbuf_text(&b), r->anomaly);
	if (r->has_alert)
		printf(",\"alert\":%d", r->alert);
	if (r->has_score) {
		jsonbuf_clear(&b);
		(void)jsonbuf_put_double(&b, r->score);
		printf(",\"score\":%s", jsonbuf_text(&b));
	}
	if (r->nvotes > 0) {
		printf(",\"votes\":{");
		for (i = 0; i < r->nvotes; i++)
			printf("%s\"%s\":%d", i ? "," : "", r->vote_name[i],
			    r->vote[i]);
		putchar('}');
	}
	if (r->warmup)
		printf(",\"warmup\":true");
	if (r->duplicate)
		printf(",\"duplicate\":1");
	printf("}\n");
	jsonbuf_free(&b);
}

static void
progress(int last)
{
	uint64_t t;
	double f;
	int i, w = 30;

	if (!S.progress)
		return;
	t = (uint64_t)clock_wall_ms();
	if (!last && t - S.last_draw_ms < 100)
		return;
	S.last_draw_ms = t;
	if (last) {
		fprintf(stderr, "\r%60s\r", "");
		return;
	}
	f = S.fsize > 0 && S.reader != NULL ?
	    (double)csvin_offset(S.reader) / (double)S.fsize : 0;
	if (f > 1)
		f = 1;
	fputc('\r', stderr);
	fputc('[', stderr);
	for (i = 0; i < w; i++)
		fputc(i < (int)(f * w) ? '#' : ' ', stderr);
	fprintf(stderr, "] %3d%% %llu points", (int)(f * 100),
	    (unsigned long long)S.points);
}

/* -------------------------------------------------------------- input */

/* Whether stdout is the terminal stderr is: verdicts and a progress bar
 * would mix. */
static int
same_terminal(void)
{
	struct stat o, e;

	if (!isatty(STDOUT_FILENO))
		return 0;
	if (fstat(STDOUT_FILENO, &o) == -1 || fstat(STDERR_FILENO, &e) == -1)
		return 1;
	return o.st_rdev == e.st_rdev;
}

/* Says which columns were guessed for the file just started. */
static void
say_columns(void)
{
	struct csvin_columns c;

	if (S.lap > 0 || csvin_columns(S.reader, &c) == -1)
		return;
	if (c.first_row_is_data)
		warnx("%s: no header: the first row holds only numbers and "
		    "dates, read as data (--no-header says so)", S.fname);
	if (c.time_guessed && c.time_name != NULL)
		warnx("%s: no column 'timestamp': taking '%s' (column %d) as "
		    "the timestamp (-t chooses)", S.fname, c.time_name,
		    c.time_index + 1);
	if (c.value_guessed && c.value_name != NULL)
		warnx("%s: no column 'value': taking '%s' (column %d) as the "
		    "value (-v chooses)", S.fname, c.value_name,
		    c.value_index + 1);
}

static void close_file(void);

/* Checks, before connecting, that file can be read and has the columns
 * asked for.  Returns 0, or -1 having said why (S.bad_input set). */
static int
check_input(const char *file)
{
	char e[CSVIN_ERR_MAX * 4];
	struct csvin *r;
	struct stat st;
	FILE *fp;
	int rc;

	if (strcmp(file, "-") == 0)
		return 0;	/* read when the job starts */
	if ((fp = fopen(file, "r")) == NULL) {
		warn("%s", file);
		S.bad_input = S.bad_input ? S.bad_input : 1;
		return -1;
	}
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		warnx("%s: is a directory", file);
		fclose(fp);
		S.bad_input = S.bad_input ? S.bad_input : 1;
		return -1;
	}
	if ((r = csvin_new(&S.csv, e, sizeof(e))) == NULL)
		errx(2, "%s", e);
	rc = csvin_start(r, fp, e, sizeof(e));
	csvin_free(r);
	fclose(fp);
	if (rc == -1) {
		warnx("%s: %s", file, e);
		S.bad_input = 2;
		return -1;
	}
	return 0;
}

/* Opens the job's next file and reads its header; returns 0, or -1 when
 * there is none left. */
static int
open_next(void)
{
	char e[CSVIN_ERR_MAX * 4];
	struct stat st;

	for (; S.fileno < S.nfiles; S.fileno++) {
		S.fname = S.files[S.fileno];
		if (strcmp(S.fname, "-") == 0) {
			S.fname = "stdin";
			S.fp = stdin;
		} else if ((S.fp = fopen(S.fname, "r")) == NULL) {
			warn("%s", S.fname);
			S.failed = 1;
			continue;
		}
		if ((S.reader = csvin_new(&S.csv, e, sizeof(e))) == NULL)
			errx(2, "%s", e);
		if (csvin_start(S.reader, S.fp, e, sizeof(e)) == -1) {
			warnx("%s: %s", S.fname, e);
			S.bad_input = 2;
			S.failed = 1;
			close_file();
			continue;
		}
		say_columns();
		S.progress = !S.quiet && isatty(STDERR_FILENO) &&
		    !same_terminal() &&
		    fstat(fileno(S.fp), &st) == 0 && S_ISREG(st.st_mode);
		S.fsize = st.st_size;
		S.fileno++;
		return 0;
	}
	return -1;
}

static void
close_file(void)
{
	if (S.fp != NULL && S.fp != stdin)
		fclose(S.fp);
	S.fp = NULL;
	csvin_free(S.reader);
	S.reader = NULL;
	progress(1);
	S.progress = 0;
}

/* The time of a timestamp in epoch ms: a number is seconds, else a date.
 * Returns 0, or -1 when it is neither. */
static int
row_time(const char *ts, size_t len, int is_num, int64_t *ms)
{
	char *end;
	double d;

	if (!is_num)
		return timefmt_parse(ts, len, ms);
	errno = 0;
	d = strtod(ts, &end);
	if (end == ts || errno == ERANGE)
		return -1;
	return timefmt_from_seconds_real(d, ms);
}

/* Keeps lap 0's times and values, from which the laps' shifts come. */
static void
keep_lap0(int has_time, int64_t ms, double v)
{
	void *m;

	if (has_time) {
		if (S.ntimes == S.times_cap) {
			S.times_cap = S.times_cap ? S.times_cap * 2 : 1024;
			if ((m = realloc(S.times, S.times_cap *
			    sizeof(*S.times))) == NULL)
				err(1, NULL);
			S.times = m;
		}
		S.times[S.ntimes++] = ms;
	}
	if (S.nvalues == S.values_cap) {
		S.values_cap = S.values_cap ? S.values_cap * 2 : 1024;
		if ((m = realloc(S.values, S.values_cap *
		    sizeof(*S.values))) == NULL)
			err(1, NULL);
		S.values = m;
	}
	S.values[S.nvalues++] = v;
}

/* At the end of lap 0: the shift of a lap in time and in level. */
static void
lap_shift(void)
{
	S.lap_shift_ms = timefmt_lap_ms(S.times, S.ntimes);
	S.lap_level = timefmt_lap_level(S.values, S.nvalues);
	free(S.times);
	free(S.values);
	S.times = NULL;
	S.values = NULL;
	S.ntimes = S.times_cap = S.nvalues = S.values_cap = 0;
}

static void
pace_wake(lws_sorted_usec_list_t *sul)
{
	(void)sul;
	if (S.wsi != NULL)
		lws_callback_on_writable(S.wsi);
}

/* Writes v as text like like (a value of the input): as many decimals
 * when like has no exponent and they hold v, else the shortest text
 * that reads back as v. */
static void
value_text(double v, const char *like, char *out, size_t size)
{
	const char *dot = strchr(like, '.');
	int p;

	if (strpbrk(like, "eE") == NULL) {
		snprintf(out, size, "%.*f", dot != NULL ?
		    (int)strspn(dot + 1, "0123456789") : 0, v);
		if (fabs(strtod(out, NULL) - v) <= 1e-9 * fabs(v))
			return;		/* only float noise lost */
	}
	for (p = 1; p <= 17; p++) {
		snprintf(out, size, "%.*g", p, v);
		if (strtod(out, NULL) == v)
			break;
	}
}

/* An epoch number's timestamp text in ts: milliseconds (or finer) made
 * seconds, said once; a sequence number is said once too. */
static void
number_unit(const struct csvin_record *rec, char *ts, size_t size)
{
	static const char *name[] = { "", "", "milliseconds", "microseconds",
	    "nanoseconds" };
	enum timefmt_unit u;

	u = timefmt_number_unit(strtod(ts, NULL));
	if (u == TIMEFMT_SEQUENCE && !S.said_seq) {
		S.said_seq = 1;
		warnx("%s:%llu: timestamps like %s are small numbers (below "
		    "1e8), taken as sequence numbers, not times",
		    S.fname, (unsigned long long)rec->line, ts);
	}
	if (u <= TIMEFMT_SECONDS)
		return;
	if (!S.said_unit) {
		S.said_unit = 1;
		warnx("%s:%llu: timestamps like %s are epoch %s: sent as "
		    "seconds", S.fname, (unsigned long long)rec->line, ts,
		    name[u]);
	}
	if (timefmt_scale_number(rec->timestamp, rec->timestamp_len,
	    3 * (int)(u - TIMEFMT_SECONDS), ts, size) == -1 ||
	    strlen(ts) > CSVIN_TS_MAX)
		memcpy(ts, rec->timestamp, rec->timestamp_len + 1);
}

/* Warns, once, when time goes back from the row before. */
static void
check_order(const struct timefmt_ts *t, uint64_t line)
{
	int cmp;

	if (S.has_prev && !S.said_back &&
	    timefmt_compare(t, &S.prev, &cmp) == 0 && cmp < 0) {
		S.said_back = 1;
		warnx("%s:%llu: timestamp %.*s goes back from %.*s of the row "
		    "before (said once)", S.fname, (unsigned long long)line,
		    (int)t->len, t->text, (int)S.prev.len, S.prev.text);
	}
	memcpy(S.prev_ts, t->text, t->len);
	S.prev_ts[t->len] = '\0';
	S.prev = (struct timefmt_ts){ S.prev_ts, t->len, t->is_number };
	S.has_prev = 1;
}

/* With --resume: 1 when the row is at or before the last stored
 * timestamp (skip it), 0 when after, -1 when they cannot be compared. */
static int
before_resume(const struct timefmt_ts *t)
{
	int cmp;

	if (!S.resume || S.resume_none)
		return 0;
	if (timefmt_compare(t, &S.resume_ts, &cmp) == -1)
		return -1;
	return cmp <= 0;
}

/* Reads the next good row into the ring's next slot as the pending row;
 * returns 0, or -1 when the input ended. */
static int
read_row(void)
{
	struct csvin_record rec;
	struct timefmt_ts t;
	struct row *w;
	char e[CSVIN_ERR_MAX * 4], shifted[CSVIN_TS_MAX + 32];
	char ts[CSVIN_TS_MAX + 32], val[CSVIN_VALUE_MAX + 1];
	int64_t ms = 0;
	double v;
	int rc, has_time, num, skip;

	for (;;) {
		if (S.reader == NULL && open_next() == -1) {
			if (!S.loop || S.lap_rows == 0)
				return -1;
			if (S.lap == 0)
				lap_shift();
			S.lap++;
			S.lap_rows = 0;
			S.fileno = 0;
			continue;
		}
		rc = csvin_next(S.reader, S.fp, &rec, e, sizeof(e));
		if (rc == CSVIN_EOF || rc == CSVIN_ERROR) {
			if (rc == CSVIN_ERROR) {
				warnx("%s: %s", S.fname, e);
				S.failed = 1;
			}
			close_file();
			continue;
		}
		if (rc == CSVIN_BAD) {
			warnx("%s:%llu: %s", S.fname,
			    (unsigned long long)rec.line, rec.error);
			S.rejected++;
			continue;
		}
		memcpy(ts, rec.timestamp, rec.timestamp_len + 1);
		num = rec.timestamp_is_number;
		if (num)
			number_unit(&rec, ts, sizeof(ts));
		has_time = row_time(ts, strlen(ts), num, &ms) == 0;
		if (!has_time && S.realtime) {
			warnx("%s:%llu: timestamp is neither a number nor a "
			    "date", S.fname, (unsigned long long)rec.line);
			S.rejected++;
			continue;
		}
		S.lap_rows++;
		v = rec.v;
		memcpy(val, rec.value, rec.value_len + 1);
		if (S.loop && S.lap == 0)
			keep_lap0(has_time, ms, v);
		if (S.lap > 0 && has_time) {
			int64_t shift = (int64_t)S.lap * S.lap_shift_ms;

			t = (struct timefmt_ts){ ts, strlen(ts), num };
			if (timefmt_shift(&t, shift, shifted,
			    sizeof(shifted)) == 0 &&
			    strlen(shifted) <= CSVIN_TS_MAX)
				memcpy(ts, shifted, strlen(shifted) + 1);
			ms += shift;
		}
		if (S.lap > 0 && S.lap_level != 0) {
			v += (double)S.lap * S.lap_level;
			value_text(v, rec.value, val, sizeof(val));
		}
		t = (struct timefmt_ts){ ts, strlen(ts), num };
		check_order(&t, rec.line);
		if ((skip = before_resume(&t)) == -1) {
			warnx("%s:%llu: cannot resume: timestamp %s and the "
			    "last stored %s are not both numbers or dates",
			    S.fname, (unsigned long long)rec.line, ts,
			    S.resume_text);
			S.failed = 1;
			return -1;
		}
		if (skip) {
			S.skipped++;
			continue;
		}
		break;
	}
	w = &S.ring[(S.head + S.count) % S.inflight];
	w->seq = S.next_seq++;
	w->line = rec.line;
	w->v = v;
	w->ts_len = (unsigned char)strlen(ts);
	w->ts_num = (unsigned char)num;
	memcpy(w->ts, ts, w->ts_len + 1);
	snprintf(w->val, sizeof(w->val), "%s", val);
	/* When it is due, from the time of the first row. */
	S.pending_due_us = 0;
	if (S.rate > 0 || S.realtime) {
		if (S.paced == 0) {
			S.pace_start_us = clock_mono_us();
			S.t0_ms = ms;
		}
		if (S.rate > 0)
			S.pending_due_us = S.pace_start_us +
			    (int64_t)((double)S.paced * 1e6 / S.rate);
		else
			S.pending_due_us = S.pace_start_us +
			    (int64_t)((double)(ms - S.t0_ms) * 1000 / S.speed);
	}
	S.pending = 1;
	return 0;
}

/* Lets rows into the ring, when they are due, until it is full or the
 * input ends; a row not yet due sets a timer for its time. */
static void
fill(void)
{
	int64_t now;

	while (!S.input_done && !S.stopping && S.count < S.inflight) {
		if (!S.pending && read_row() == -1) {
			S.input_done = 1;
			break;
		}
		if (S.pending_due_us > 0 &&
		    (now = clock_mono_us()) < S.pending_due_us) {
			lws_sul_schedule(S.ctx, 0, &S.pace_sul, pace_wake,
			    (lws_usec_t)(S.pending_due_us - now));
			break;
		}
		S.pending = 0;
		S.paced++;
		S.count++;
		progress(0);
	}
}

/* ---------------------------------------------------------- the wire */

static int
send_text(struct lws *wsi)
{
	size_t len = S.out.len;

	log_msg('>', jsonbuf_text(&S.out), len);
	if (lws_write(wsi, (unsigned char *)jsonbuf_text(&S.out), len,
	    LWS_WRITE_TEXT) < (int)len)
		return -1;
	return 0;
}

/* Appends raw text to the output buffer. */
static int
put_raw(const char *s, size_t len)
{
	size_t need = S.out.headroom + S.out.len + len + 1;
	char *m;

	if (need > S.out.cap) {
		size_t cap = S.out.cap ? S.out.cap : 4096;

		while (cap < need)
			cap *= 2;
		if ((m = realloc(S.out.mem, cap)) == NULL)
			return -1;
		S.out.mem = m;
		S.out.cap = cap;
	}
	memcpy(S.out.mem + S.out.headroom + S.out.len, s, len);
	S.out.len += len;
	S.out.mem[S.out.headroom + S.out.len] = '\0';
	return 0;
}

static int
format_point(const struct row *w)
{
	char head[48];
	int n;

	n = snprintf(head, sizeof(head), "{\"seq\":%lld,\"timestamp\":",
	    (long long)w->seq);
	if (put_raw(head, (size_t)n) == -1)
		return -1;
	if (w->ts_num ? put_raw(w->ts, w->ts_len) :
	    jsonbuf_put_string(&S.out, w->ts, w->ts_len))
		return -1;
	if (put_raw(",\"value\":", 9) == -1 ||
	    jsonbuf_put_double(&S.out, w->v) == -1 || put_raw("}", 1) == -1)
		return -1;
	return 0;
}

/* Sends the next batch of unsent rows; returns 0 or -1 (close). */
static int
send_points(struct lws *wsi)
{
	size_t k, i, n = S.count - S.sent;

	if (n > BATCH_MAX)
		n = BATCH_MAX;
	jsonbuf_clear(&S.out);
	if (n > 1 && put_raw("[", 1) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		k = (S.head + S.sent + i) % S.inflight;
		if ((i > 0 && put_raw(",", 1) == -1) ||
		    format_point(&S.ring[k]) == -1)
			return -1;
	}
	if (n > 1 && put_raw("]", 1) == -1)
		return -1;
	S.sent += n;
	return send_text(wsi);
}

static int
send_settings(struct lws *wsi)
{
	jsonbuf_clear(&S.out);
	if (put_raw("{\"version\":2,\"detail\":true,\"token\":", 35) == -1 ||
	    jsonbuf_put_string(&S.out, S.token, strlen(S.token)) == -1 ||
	    put_raw("}", 1) == -1)
		return -1;
	S.settings_sent = 1;
	return send_text(wsi);
}

/* With --resume, at the first ready: where to resume from.  Returns 0, or
 * -1 having said why it cannot. */
static int
resume_from(const struct reply *r)
{
	int cmp;

	switch (r->last_ts_kind) {
	case LAST_TS_ABSENT:
		warnx("%s: cannot resume: the server does not say its last "
		    "timestamp (an anomalyd older than --resume)", S.client_id);
		return -1;
	case LAST_TS_NULL:
		S.resume_none = S.resume_known = 1;
		snprintf(S.resume_text, sizeof(S.resume_text), "nothing");
		return 0;
	default:
		break;
	}
	memcpy(S.resume_text, r->last_ts, r->last_ts_len + 1);
	S.resume_ts = (struct timefmt_ts){ S.resume_text, r->last_ts_len,
	    r->last_ts_kind == LAST_TS_NUMBER };
	if (timefmt_compare(&S.resume_ts, &S.resume_ts, &cmp) == -1) {
		warnx("%s: cannot resume: the last stored timestamp '%s' is "
		    "neither a number nor a date", S.client_id, S.resume_text);
		return -1;
	}
	S.resume_known = 1;
	return 0;
}

/* Handles one reply object. */
static int
on_reply(void *arg, const struct reply *r)
{
	struct row *w;

	(void)arg;
	if (r->kind == REPLY_READY) {
		if (S.ready) {
			warnx("%s: a second ready", S.client_id);
			return 1;
		}
		S.ready = 1;
		if (!S.seq_known) {
			S.seq_known = 1;
			S.next_seq = r->last_seq + 1;
			if (S.resume && resume_from(r) == -1) {
				S.failed = 1;
				return 1;
			}
		}
		S.sent = 0;		/* send again what is in flight */
		return 0;
	}
	if (!S.ready) {
		warnx("%s: %s before ready", S.client_id,
		    r->kind == REPLY_ERROR ? r->error : "a reply");
		return 1;
	}
	if (S.sent == 0) {
		warnx("%s: a reply to nothing sent%s%s", S.client_id,
		    r->kind == REPLY_ERROR ? ": " : "",
		    r->kind == REPLY_ERROR ? r->error : "");
		return 1;
	}
	w = &S.ring[S.head];
	if (r->seq != w->seq) {
		warnx("%s: reply for seq %lld, expected %lld", S.client_id,
		    (long long)r->seq, (long long)w->seq);
		return 1;
	}
	if (r->kind == REPLY_ERROR &&
	    strncmp(r->error, "not stored", 10) == 0) {
		/* Storage trouble: start again from the first row not
		 * stored, on a new connection (SPEC §2.3). */
		snprintf(S.conn_error, sizeof(S.conn_error), "%s", r->error);
		S.lost = 1;
		return 2;
	}
	if (r->kind == REPLY_ERROR) {
		warnx("%s:%llu: server: %s", S.fname ? S.fname : S.client_id,
		    (unsigned long long)w->line, r->error);
		S.rejected++;
	} else if (r->kind == REPLY_VERDICT) {
		S.job_connected = 1;
		S.points++;
		S.anomalies += (uint64_t)r->anomaly;
		S.alerts += (uint64_t)r->alert;
		print_verdict(w, r);
		S.attempts = 0;
	} else {
		warnx("%s: unexpected reply", S.client_id);
		return 1;
	}
	S.head = (S.head + 1) % S.inflight;
	S.count--;
	S.sent--;
	return 0;
}

static void connection_ended(void);

static void
connect_now(lws_sorted_usec_list_t *sul)
{
	struct lws_client_connect_info i;
	char path[2048];

	(void)sul;
	snprintf(path, sizeof(path), "/%s%sclient_id=%s&window=%u%s", S.path,
	    strchr(S.path, '?') != NULL ? "&" : "?", S.client_id,
	    (unsigned)S.window, S.token != NULL ? "" : "&version=2&detail=1");
	memset(&i, 0, sizeof(i));
	i.context = S.ctx;
	i.address = S.address;
	i.port = S.port;
	i.path = path;
	i.host = S.address;
	i.origin = S.address;
	i.local_protocol_name = "anomaly-send";
	i.pwsi = &S.wsi;
	S.ready = 0;
	S.settings_sent = 0;
	S.close_code = 0;
	S.close_reason[0] = '\0';
	S.conn_error[0] = '\0';
	S.lost = 0;
	S.rxlen = 0;
	S.ended = 0;
	if (lws_client_connect_via_info(&i) == NULL && !S.ended) {
		if (S.conn_error[0] == '\0')
			snprintf(S.conn_error, sizeof(S.conn_error),
			    "cannot connect");
		connection_ended();
	}
}

/* Why the first connection failed: what connect(2) to the address says
 * (libwebsockets 4.1 does not tell), else its own words. */
static const char *
connect_error(char *why, size_t size)
{
	struct addrinfo hints, *res = NULL, *a;
	struct timeval tv = { 2, 0 };
	char port[16];
	int fd, e = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", S.port);
	if (getaddrinfo(S.address, port, &hints, &res) != 0) {
		snprintf(why, size, "unknown host %.200s", S.address);
		return why;
	}
	for (a = res; a != NULL; a = a->ai_next) {
		if ((fd = socket(a->ai_family, a->ai_socktype,
		    a->ai_protocol)) == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		e = connect(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
		close(fd);
		if (e == 0)
			break;
	}
	freeaddrinfo(res);
	if (e == ECONNREFUSED)
		snprintf(why, size, "connection refused");
	else if (e != 0)
		snprintf(why, size, "%s", strerror(e));
	else
		snprintf(why, size, "no WebSocket endpoint there (%.100s)",
		    S.conn_error[0] ? S.conn_error : "handshake failed");
	return why;
}

/* After the connection ended: reconnect later, or end the job. */
static void
connection_ended(void)
{
	int code = S.close_code, delay, k;

	if (S.ended)
		return;
	S.ended = 1;
	S.wsi = NULL;
	if (S.closing) {
		S.job_over = 1;
		return;
	}
	if (code == 4001 || code == 4002 || code == 4003) {
		warnx("%s: closed by the server with %d (%s)", S.client_id,
		    code, S.close_reason);
		S.failed = 1;
		S.job_over = 1;
		return;
	}
	if (!S.job_connected && !S.wait_first) {
		/* Never connected: no server there, or not this one. */
		char why[256];

		warnx("cannot connect to %s: %s", S.url_canon,
		    connect_error(why, sizeof(why)));
		S.failed = 1;
		S.job_over = 1;
		return;
	}
	if (code != 0 && code != 1001 && code != 1006 && code != 1011 &&
	    code != 4008 && code != 4029 && !S.lost) {
		warnx("%s: closed by the server with %d (%s)", S.client_id,
		    code, S.close_reason);
		S.failed = 1;
		S.job_over = 1;
		return;
	}
	if (S.attempts >= S.retries) {
		if (code != 0)
			warnx("%s: %s: closed with %d (%s)%s", S.client_id,
			    S.url, code, S.close_reason, S.retries > 0 ?
			    ", retries exhausted" : "");
		else
			warnx("%s: %s%s", S.url, S.conn_error[0] ?
			    S.conn_error : "connection lost", S.retries > 0 ?
			    ", retries exhausted" : "");
		S.failed = 1;
		S.job_over = 1;
		return;
	}
	for (delay = BACKOFF_MIN_MS, k = 0; k < S.attempts &&
	    delay < BACKOFF_MAX_MS; k++)
		delay *= 2;
	if (delay > BACKOFF_MAX_MS)
		delay = BACKOFF_MAX_MS;
	S.attempts++;
	if (!S.quiet)
		warnx("%s: %s; reconnecting in %d ms (%d of %d)", S.client_id,
		    code != 0 ? (snprintf(S.conn_error, sizeof(S.conn_error),
		    "closed with %d%s%s", code, S.close_reason[0] ? ": " : "",
		    S.close_reason), S.conn_error) : S.conn_error[0] ?
		    S.conn_error : "connection lost (1006)", delay, S.attempts,
		    S.retries);
	lws_sul_schedule(S.ctx, 0, &S.sul, connect_now,
	    (lws_usec_t)delay * LWS_US_PER_MS);
}

/* --delete: the HTTP request's state. */
static struct {
	int		 active;
	int		 done;
	int		 status;	/* HTTP status, 0 before */
	char		 body[1024];
	size_t		 len;
	char		 error[256];	/* the connection failed */
} D;

/* The libwebsockets callbacks of the --delete request. */
static int
http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *in,
    size_t len)
{
	char buf[LWS_PRE + 1024], *px;
	unsigned char **p, *end;
	int n;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		snprintf(D.error, sizeof(D.error), "%s",
		    in != NULL ? (const char *)in : "cannot connect");
		D.done = 1;
		return 0;
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		if (S.token == NULL)
			return 0;
		p = (unsigned char **)in;
		end = *p + len;
		snprintf(buf, sizeof(buf), "Bearer %s", S.token);
		if (lws_add_http_header_by_token(wsi,
		    WSI_TOKEN_HTTP_AUTHORIZATION, (unsigned char *)buf,
		    (int)strlen(buf), p, end))
			return -1;
		return 0;
	case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
		D.status = (int)lws_http_client_http_response(wsi);
		return 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
		n = (int)len;
		if ((size_t)n > sizeof(D.body) - 1 - D.len)
			n = (int)(sizeof(D.body) - 1 - D.len);
		memcpy(D.body + D.len, in, (size_t)n);
		D.len += (size_t)n;
		D.body[D.len] = '\0';
		return 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
		px = buf + LWS_PRE;
		n = (int)sizeof(buf) - LWS_PRE;
		if (lws_http_client_read(wsi, &px, &n) < 0)
			return -1;
		return 0;
	case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
		D.done = 1;
		return 0;
	default:
		return 0;
	}
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	int rc;

	(void)user;
	if (D.active)
		return http_callback(wsi, reason, in, len);
	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		snprintf(S.conn_error, sizeof(S.conn_error), "%s",
		    in != NULL ? (const char *)in : "cannot connect");
		connection_ended();
		return 0;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		S.job_connected = 1;
		if (S.token != NULL)
			lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		S.active_us = clock_mono_us();
		if (lws_is_first_fragment(wsi))
			S.rxlen = 0;
		if (S.rxlen + len + 1 > S.rxcap) {
			size_t cap = S.rxcap ? S.rxcap : 65536;
			char *m;

			while (cap < S.rxlen + len + 1)
				cap *= 2;
			if (cap > RX_MAX || (m = realloc(S.rx, cap)) == NULL) {
				warnx("%s: reply too long", S.client_id);
				S.failed = 1;
				S.closing = 1;
				return -1;
			}
			S.rx = m;
			S.rxcap = cap;
		}
		memcpy(S.rx + S.rxlen, in, len);
		S.rxlen += len;
		if (!lws_is_final_fragment(wsi) ||
		    lws_remaining_packet_payload(wsi) > 0)
			return 0;
		S.rx[S.rxlen] = '\0';
		log_msg('<', S.rx, S.rxlen);
		rc = reply_read(S.rx, S.rxlen, on_reply, NULL);
		if (rc == 2)		/* not stored: reconnect */
			return -1;
		if (rc != 0) {
			if (rc == -1)
				warnx("%s: a reply that is not JSON: %.80s",
				    S.client_id, S.rx);
			S.failed = 1;
			S.closing = 1;
			return -1;
		}
		lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		S.active_us = clock_mono_us();
		if (S.token != NULL && !S.settings_sent)
			return send_settings(wsi);
		if (!S.ready)
			return 0;
		fill();
		if (S.count > S.sent) {
			if (send_points(wsi) == -1)
				return -1;
			if (S.count > S.sent || S.count < S.inflight)
				lws_callback_on_writable(wsi);
			return 0;
		}
		if (S.input_done && S.count == 0) {
			S.closing = 1;
			lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL,
			    (unsigned char *)"done", 4);
			return -1;
		}
		return 0;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len >= 2) {
			const unsigned char *p = in;

			S.close_code = p[0] << 8 | p[1];
			snprintf(S.close_reason, sizeof(S.close_reason),
			    "%.*s", (int)(len - 2), (const char *)in + 2);
		}
		return 0;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (wsi == S.wsi || S.wsi == NULL)
			connection_ended();
		return 0;
	default:
		return 0;
	}
}

static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	(void)sig;
	got_signal++;
}

/* With --loop: acts on a signal.  The first stops reading and lets the
 * rows in flight be answered before the close; a second ends at once. */
static void
tick(lws_sorted_usec_list_t *sul)
{
	(void)sul;
	if (got_signal > 0 && !S.stopping) {
		S.stopping = 1;
		S.input_done = 1;
		S.pending = 0;
		if (S.wsi != NULL)
			lws_callback_on_writable(S.wsi);
		else {
			lws_sul_schedule(S.ctx, 0, &S.sul, connect_now,
			    LWS_SET_TIMER_USEC_CANCEL);
			S.job_over = 1;
		}
	} else if (got_signal > 1)
		S.job_over = 1;
	lws_sul_schedule(S.ctx, 0, &S.tick_sul, tick,
	    100 * LWS_US_PER_MS);
}

static const struct lws_protocols protocols[] = {
	{ .name = "anomaly-send", .callback = callback,
	  .rx_buffer_size = 65536 },
	{ .name = NULL }
};

/* Runs one job: client S.client_id, the files S.files. */
static void
run_job(void)
{
	uint64_t t;
	double secs;
	struct csvin_columns cols;
	int i, bad = 0;

	S.fileno = 0;
	S.input_done = 0;
	S.head = S.count = S.sent = 0;
	S.seq_known = 0;
	S.closing = 0;
	S.job_over = 0;
	S.attempts = 0;
	S.points = S.anomalies = S.alerts = S.rejected = 0;
	S.fname = NULL;
	S.pending = 0;
	S.paced = 0;
	S.lap = S.lap_rows = 0;
	S.stopping = 0;
	S.resume_known = S.resume_none = 0;
	S.skipped = 0;
	S.has_prev = S.said_back = S.said_unit = S.said_seq = 0;
	S.job_connected = 0;
	/* Every file, then the first one's header, before connecting: a
	 * mistake must not leave an empty client on the server. */
	for (i = 0; i < S.nfiles; i++)
		if (check_input(S.files[i]) == -1)
			bad = 1;
	if (bad || open_next() == -1) {
		S.failed = 1;
		close_file();
		return;
	}
	if (S.nfiles == 1 && csvin_columns(S.reader, &cols) == -1) {
		warnx("%s: no rows, nothing sent", S.fname);
		close_file();
		return;
	}
	log_open();
	S.start_ms = (uint64_t)clock_wall_ms();
	if (S.loop)
		tick(NULL);
	connect_now(NULL);
	while (!S.job_over)
		if (lws_service(S.ctx, clock_mono_us() - S.active_us <
		    SPIN_US ? -1 : 0) < 0)
			break;
	lws_sul_schedule(S.ctx, 0, &S.pace_sul, pace_wake,
	    LWS_SET_TIMER_USEC_CANCEL);
	lws_sul_schedule(S.ctx, 0, &S.tick_sul, tick,
	    LWS_SET_TIMER_USEC_CANCEL);
	free(S.times);
	free(S.values);
	S.times = NULL;
	S.values = NULL;
	S.ntimes = S.times_cap = S.nvalues = S.values_cap = 0;
	close_file();
	log_close();
	fflush(stdout);
	t = (uint64_t)clock_wall_ms() - S.start_ms;
	secs = (double)t / 1000;
	if (S.job_connected)
		fprintf(stderr, "anomaly-send: %s: %llu points, %llu "
		    "anomalies, %llu alerts, %llu rejected rows, %.3f s, "
		    "%.0f points/s\n", S.client_id,
		    (unsigned long long)S.points,
		    (unsigned long long)S.anomalies,
		    (unsigned long long)S.alerts,
		    (unsigned long long)S.rejected, secs,
		    secs > 0 ? (double)S.points / secs : 0.0);
	if (S.resume && S.resume_known && S.resume_none)
		fprintf(stderr, "anomaly-send: %s: --resume: 0 rows skipped "
		    "(nothing stored before)\n", S.client_id);
	else if (S.resume && S.resume_known)
		fprintf(stderr, "anomaly-send: %s: --resume: %llu rows skipped, "
		    "at or before the last stored timestamp (%s)\n",
		    S.client_id, (unsigned long long)S.skipped, S.resume_text);
	if (S.anomalies > 0)
		S.any_anomaly = 1;
	if (S.alerts > 0)
		S.any_alert = 1;
	if (S.rejected > 0)
		S.any_rejected = 1;
}

/* Reads the token of --token-file (lib/token's rule): an unreadable file
 * ends the run with 1, an unusable token with 2. */
static void
read_token(const char *file)
{
	char e[512];
	size_t len;
	int unreadable;

	if ((S.token = token_read_file(file, &len, &unreadable, e,
	    sizeof(e))) == NULL)
		errx(unreadable ? 1 : 2, "--token-file: %s", e);
}

/* Reads S.url: ws://HOST[:PORT][/PATH] or HOST:PORT; no path is /ws. */
static void
parse_url(void)
{
	char *copy, *prot, *ads, *path;
	size_t n;
	int port;

	n = strlen(S.url) + 8;
	if ((copy = malloc(n)) == NULL)
		err(1, NULL);
	snprintf(copy, n, "%s%s", strstr(S.url, "://") == NULL ? "ws://" : "",
	    S.url);
	if (lws_parse_uri(copy, (const char **)&prot, (const char **)&ads,
	    &port, (const char **)&path) != 0 || strcmp(prot, "ws") != 0 ||
	    *ads == '\0')
		usage("%s: not a ws:// URL", S.url);
	while (*path == '/')
		path++;
	if (*path == '\0')
		path = "ws";
	if (strlen(ads) >= sizeof(S.address) ||
	    strlen(path) >= sizeof(S.path))
		errx(2, "%s: URL too long", S.url);
	strcpy(S.address, ads);
	strcpy(S.path, path);
	S.port = port;
	snprintf(S.url_canon, sizeof(S.url_canon), "ws://%s%s%s:%d/%s",
	    strchr(ads, ':') != NULL ? "[" : "", ads,
	    strchr(ads, ':') != NULL ? "]" : "", port, path);
	free(copy);
}

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

/* The text of the string key in the JSON object body, or NULL. */
static const char *
json_string(const char *body, const char *key, char *out, size_t size)
{
	char k[64];
	const char *p;
	size_t n = 0;

	snprintf(k, sizeof(k), "\"%s\"", key);
	if ((p = strstr(body, k)) == NULL)
		return NULL;
	p += strlen(k);
	p += strspn(p, " \t\r\n");
	if (*p++ != ':')
		return NULL;
	p += strspn(p, " \t\r\n");
	if (*p++ != '"')
		return NULL;
	for (; *p != '\0' && *p != '"' && n + 1 < size; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		out[n++] = *p;
	}
	out[n] = '\0';
	return out;
}

/* --delete: DELETE /api/clients/ID on the server's HTTP port.  Returns
 * the exit status. */
static int
delete_client(void)
{
	struct lws_client_connect_info i;
	char path[256], why[256];
	const char *pts, *what;

	snprintf(path, sizeof(path), "/api/clients/%s", S.client_id);
	memset(&i, 0, sizeof(i));
	i.context = S.ctx;
	i.address = S.address;
	i.port = S.port;
	i.path = path;
	i.host = S.address;
	i.origin = S.address;
	i.method = "DELETE";
	i.alpn = "http/1.1";
	i.protocol = "anomaly-send";
	i.local_protocol_name = "anomaly-send";
	D.active = 1;
	if (lws_client_connect_via_info(&i) == NULL && !D.done)
		snprintf(D.error, sizeof(D.error), "cannot connect");
	else
		while (!D.done)
			if (lws_service(S.ctx, 0) < 0)
				break;
	if (D.status == 0) {
		snprintf(S.conn_error, sizeof(S.conn_error), "%s",
		    D.error[0] ? D.error : "no answer");
		warnx("cannot connect to http://%s:%d: %s", S.address, S.port,
		    connect_error(why, sizeof(why)));
		return 1;
	}
	if (D.status == 200) {
		if ((pts = strstr(D.body, "\"points\"")) != NULL)
			pts = strchr(pts, ':');
		printf("deleted client %s and its %llu points\n",
		    S.client_id, pts != NULL ? strtoull(pts + 1, NULL, 10) :
		    0ULL);
		return 0;
	}
	what = D.status == 401 ? "not authorised (wrong or missing "
	    "--token-file)" : D.status == 404 ? "no such client" :
	    D.status == 409 ? "the client is connected" : "refused";
	if (json_string(D.body, "error", why, sizeof(why)) == NULL)
		snprintf(why, sizeof(why), "%.*s", (int)strcspn(D.body, "\r\n"),
		    D.body);
	warnx("cannot delete %s: %d %s%s%s", S.client_id, D.status, what,
	    why[0] ? ": " : "", why);
	return 1;
}

int
main(int argc, char *argv[])
{
	struct lws_context_creation_info info;
	char e[PROTO_ERR_MAX];
	static char *dash[] = { "-", NULL };
	int ch, i, status, delete = 0;

	setlocale(LC_NUMERIC, "C");
	S.url = getenv("ANOMALY_URL");
	if (S.url == NULL || *S.url == '\0')
		S.url = DEFAULT_URL;
	S.window = 1000;
	S.inflight = 256;
	S.log_dir = "logs";
	S.retries = 5;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "hi:qt:u:v:w:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'u':
			S.url = optarg;
			break;
		case 'i':
			if (proto_check_client_id(optarg, strlen(optarg), e,
			    sizeof(e)) == -1) {
				usage("-i %s: %s", optarg, e);
			}
			S.id_opt = optarg;
			break;
		case 'w':
			S.window = (uint32_t)number(optarg, DETECT_WINDOW_MIN,
			    DETECT_WINDOW_MAX, "window");
			break;
		case 't':
			S.csv.time_column = optarg;
			break;
		case 'v':
			S.csv.value_column = optarg;
			break;
		case OPT_NO_HEADER:
			S.csv.no_header = 1;
			break;
		case OPT_RATE:
			S.rate = positive(optarg, "rate");
			break;
		case OPT_REALTIME:
			S.realtime = 1;
			break;
		case OPT_SPEED:
			S.speed = positive(optarg, "speed");
			break;
		case OPT_LOOP:
			S.loop = 1;
			break;
		case OPT_INFLIGHT:
			S.inflight = (size_t)number(optarg, 1, INFLIGHT_MAX,
			    "inflight");
			break;
		case OPT_JSON:
			S.json = 1;
			break;
		case 'q':
			S.quiet = 1;
			break;
		case OPT_LOG_DIR:
			S.log_dir = optarg;
			S.no_log = 0;
			break;
		case OPT_NO_LOG:
			S.no_log = 1;
			break;
		case OPT_RETRIES:
			S.retries = (int)number(optarg, 0, 1000, "retries");
			break;
		case OPT_TOKEN_FILE:
			read_token(optarg);
			break;
		case OPT_FAIL_ON_ANOMALY:
			S.fail_on_anomaly = 1;
			break;
		case OPT_FAIL_ON_ALERT:
			S.fail_on_alert = 1;
			break;
		case OPT_RESUME:
			S.resume = 1;
			break;
		case OPT_DELETE:
			delete = 1;
			break;
		case OPT_WAIT:
			S.wait_first = 1;
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
	if (S.rate > 0 && S.realtime) {
		usage("--rate and --realtime exclude each other");
	}
	if (S.speed > 0 && !S.realtime) {
		usage("--speed goes with --realtime");
	}
	if (S.speed == 0)
		S.speed = 1;
	if (delete && (S.id_opt == NULL || argv != dash))
		usage("--delete needs -i CLIENT_ID and no files");
	if (S.loop) {
		for (i = 0; i < argc; i++)
			if (strcmp(argv[i], "-") == 0) {
				usage("--loop needs files, not stdin");
			}
		if (argc > 1 && S.id_opt == NULL) {
			usage("--loop with several files needs -i");
		}
	}
	{
		/* Column options are checked before anything is sent. */
		struct csvin *r = csvin_new(&S.csv, e, sizeof(e));

		if (r == NULL)
			usage("%s", e);
		csvin_free(r);
	}
	parse_url();

	if ((S.ring = calloc(S.inflight, sizeof(*S.ring))) == NULL)
		err(1, NULL);
	jsonbuf_init(&S.out, LWS_PRE);
	lws_set_log_level(0, NULL);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.gid = -1;
	info.uid = -1;
	if ((S.ctx = lws_create_context(&info)) == NULL)
		errx(1, "cannot create the libwebsockets context");
	if (S.loop) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}

	if (delete) {
		snprintf(S.client_id, sizeof(S.client_id), "%s", S.id_opt);
		status = delete_client();
		lws_context_destroy(S.ctx);
		token_free(S.token);
		return status;
	}
	if (S.id_opt != NULL) {
		snprintf(S.client_id, sizeof(S.client_id), "%s", S.id_opt);
		S.files = argv;
		S.nfiles = argc;
		run_job();
	} else
		for (i = 0; i < argc; i++) {
			default_id(argv[i], S.client_id);
			S.files = argv + i;
			S.nfiles = 1;
			run_job();
			if (S.failed && S.wsi == NULL && S.close_code >= 4001 &&
			    S.close_code <= 4003)
				break;
		}
	lws_context_destroy(S.ctx);
	jsonbuf_free(&S.out);
	free(S.ring);
	free(S.rx);
	token_free(S.token);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	status = 0;
	if (S.any_rejected)
		status = 3;
	if ((S.fail_on_anomaly && S.any_anomaly) ||
	    (S.fail_on_alert && S.any_alert))
		status = 4;
	if (S.failed)
		status = 1;
	if (S.bad_input == 2)
		status = 2;
	return status;
}
