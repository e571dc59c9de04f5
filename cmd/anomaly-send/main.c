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
#include <sys/stat.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "csvin.h"
#include "proto.h"
#include "reply.h"
#include "timefmt.h"

#define VERSION		"0.1"
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
    OPT_RATE, OPT_REALTIME, OPT_SPEED, OPT_LOOP };

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
	int		 json, quiet, fail_on_anomaly, no_log;
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

	/* --loop: the lap, the shift of a lap, lap 0's row times. */
	uint64_t	 lap;
	int64_t		 lap_shift_ms;
	uint64_t	 lap_rows;	/* good rows read in this lap */
	int64_t		*times;
	size_t		 ntimes, times_cap;
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

	struct proto_buf out;
	char		*rx;		/* a reply being assembled */
	size_t		 rxlen, rxcap;
	FILE		*log;

	/* Counts, for the job and the run. */
	uint64_t	 points, anomalies, alerts, rejected;
	uint64_t	 start_ms;
	int		 header_done;
	int		 any_anomaly, any_rejected, failed;
	int64_t		 active_us;	/* when the socket last moved */
};

/* After traffic, poll(2) without sleeping this long (µs): the verdict of
 * a send-and-wait round trip then finds this process awake, which saves a
 * wake-up per round trip (as anomalyd does on its side). */
#define SPIN_US		100

static struct sender S;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: anomaly-send [-q] [-u URL] [-i CLIENT_ID] "
	    "[-w WINDOW] [-t TS_COLUMN]\n"
	    "\t[-v VALUE_COLUMN] [--no-header] [--rate N | --realtime "
	    "[--speed X]]\n"
	    "\t[--inflight N] [--loop] [--json] [--log-dir DIR | --no-log]\n"
	    "\t[--retries N] [--token-file F] [--fail-on-anomaly] "
	    "[FILE|-]...\n");
	exit(2);
}

static void
help(void)
{
	printf("usage: anomaly-send [-q] [-u URL] [-i CLIENT_ID] "
	    "[-w WINDOW] [-t TS_COLUMN]\n"
	    "\t[-v VALUE_COLUMN] [--no-header] [--rate N | --realtime "
	    "[--speed X]]\n"
	    "\t[--inflight N] [--loop] [--json] [--log-dir DIR | --no-log]\n"
	    "\t[--retries N] [--token-file F] [--fail-on-anomaly] "
	    "[FILE|-]...\n\n"
	    "Streams CSV rows (timestamp, value) to anomalyd and prints a "
	    "verdict per row.\n\n"
	    "  -u, --url URL          server (default $ANOMALY_URL or "
	    DEFAULT_URL ")\n"
	    "  -i, --client-id ID     client id (default: the file's name; "
	    "stdin: stdin)\n"
	    "  -w, --window N         window of the client (default 1000)\n"
	    "  -t, --time-column C    timestamp column, name or number "
	    "(default timestamp, else 1)\n"
	    "  -v, --value-column C   value column, name or number "
	    "(default value, else 2)\n"
	    "      --no-header        the first row is data\n"
	    "      --rate N           send N points per second "
	    "(may be fractional)\n"
	    "      --realtime         space points by their timestamps\n"
	    "      --speed X          with --realtime: X times faster "
	    "(default 1)\n"
	    "      --loop             replay the files for ever, time "
	    "shifted on each lap\n"
	    "                         (until SIGINT or SIGTERM)\n"
	    "      --inflight N       points sent before their verdicts "
	    "(default 256; 1: wait for each)\n"
	    "      --json             verdicts as NDJSON with their details\n"
	    "  -q, --quiet            no verdicts on stdout, no progress bar\n"
	    "      --log-dir DIR      log messages to DIR/CLIENT_ID.log "
	    "(default logs)\n"
	    "      --no-log           no log\n"
	    "      --retries N        reconnects on connection loss "
	    "(default 5)\n"
	    "      --token-file F     send the token in F in the hello\n"
	    "      --fail-on-anomaly  exit 4 when an anomaly was seen\n"
	    "  -h, --help             this help\n"
	    "      --version          the version\n\n"
	    "Exit status: 0 ok, 1 failure, 2 usage, 3 rows rejected, "
	    "4 anomaly seen (--fail-on-anomaly).\n");
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
		warnx("%s: %s: not a number from %ld to %ld", what, s, min,
		    max);
		usage();
	}
	return n;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
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
	timefmt_format((int64_t)now_ms(), t, sizeof(t));
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
	struct proto_buf b;
	int i;

	if (S.quiet)
		return;
	if (!S.json) {
		put_csv_field(w->ts, w->ts_len);
		printf(",%s,%d\n", w->val, r->anomaly);
		return;
	}
	proto_buf_init(&b, 0);
	printf("{\"client_id\":\"%s\",\"seq\":%lld,\"line\":%llu,"
	    "\"timestamp\":", S.client_id, (long long)w->seq,
	    (unsigned long long)w->line);
	if (w->ts_num)
		fwrite(w->ts, 1, w->ts_len, stdout);
	else {
		(void)proto_put_string(&b, w->ts, w->ts_len);
		fwrite(proto_buf_text(&b), 1, b.len, stdout);
		proto_buf_clear(&b);
	}
	(void)proto_put_double(&b, w->v);
	printf(",\"value\":%s,\"anomaly\":%d", proto_buf_text(&b), r->anomaly);
	if (r->has_alert)
		printf(",\"alert\":%d", r->alert);
	if (r->has_score) {
		proto_buf_clear(&b);
		(void)proto_put_double(&b, r->score);
		printf(",\"score\":%s", proto_buf_text(&b));
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
	proto_buf_free(&b);
}

static void
progress(int last)
{
	uint64_t t;
	double f;
	int i, w = 30;

	if (!S.progress)
		return;
	t = now_ms();
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

/* Opens the job's next file; returns 0, or -1 when there is none left. */
static int
open_next(void)
{
	char e[256];
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
		S.progress = !S.quiet && isatty(STDERR_FILENO) &&
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

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
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

/* Writes the number ts (epoch seconds) shifted by shift ms to out. */
static void
shift_number(const char *ts, int64_t shift, char *out, size_t size)
{
	char *end;
	long long n;
	size_t k;

	errno = 0;
	n = strtoll(ts, &end, 10);
	if (*end == '\0' && errno == 0 && shift % 1000 == 0 &&
	    shift / 1000 <= LLONG_MAX - (n > 0 ? n : 0)) {
		snprintf(out, size, "%lld", n + shift / 1000);
		return;
	}
	snprintf(out, size, "%.3f", strtod(ts, NULL) + (double)shift / 1000);
	if (strchr(out, '.') == NULL)
		return;
	for (k = strlen(out); out[k - 1] == '0'; k--)
		out[k - 1] = '\0';
	if (out[k - 1] == '.')
		out[k - 1] = '\0';
}

static int
digits(const char *s, size_t n)
{
	for (; n > 0; n--, s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Writes the date ts (len bytes, ms its time) moved to ms + shift to out,
 * in ts's layout: the same separator, precision and zone.  Returns 0, or
 * -1 when out is too small. */
static int
shift_date(const char *ts, size_t len, int64_t ms, int64_t shift, char *out,
    size_t size)
{
	char iso[TIMEFMT_BUFSIZE];
	int64_t wall;
	size_t p, fd = 0, zone;
	int n;

	if (len < 10 || ts[4] != '-' || !digits(ts, 4)) {
		/* An expanded year: ISO 8601 in UTC. */
		if (timefmt_format(ms + shift, iso, sizeof(iso)) >= size)
			return -1;
		strcpy(out, iso);
		return 0;
	}
	if (len == 10) {
		timefmt_format(ms + shift, iso, sizeof(iso));
		if (iso[0] == '+' || iso[0] == '-')
			return -1;
		snprintf(out, size, "%.10s", iso);
		return 0;
	}
	/* YYYY-MM-DDThh:mm[:ss[.f...]][zone] */
	p = 16;
	if (p < len && ts[p] == ':')
		p += 3;
	if (p < len && (ts[p] == '.' || ts[p] == ',')) {
		for (fd = 0; p + 1 + fd < len && ts[p + 1 + fd] >= '0' &&
		    ts[p + 1 + fd] <= '9'; fd++)
			;
	}
	zone = p + (fd > 0 ? 1 + fd : 0);
	/* The wall clock of the zone: the text without it read as UTC. */
	if (timefmt_parse(ts, zone, &wall) == -1)
		wall = ms;
	timefmt_format(wall + shift, iso, sizeof(iso));
	if (iso[0] == '+' || iso[0] == '-')
		return -1;
	/* iso: YYYY-MM-DDThh:mm:ss.mmmZ */
	n = snprintf(out, size, "%.10s%c%.*s", iso, ts[10],
	    p >= 19 ? 8 : 5, iso + 11);
	if (fd > 0)
		n += snprintf(out + n, size > (size_t)n ? size - (size_t)n : 0,
		    "%c%.*s%.*s", ts[p], (int)(fd < 3 ? fd : 3), iso + 20,
		    (int)(fd > 3 ? fd - 3 : 0), "000000000000000000000000000000"
		    "000000000000000000000000000000000000");
	n += snprintf(out + n, size > (size_t)n ? size - (size_t)n : 0,
	    "%.*s", (int)(len - zone), ts + zone);
	return (size_t)n < size ? 0 : -1;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* At the end of lap 0: the shift of a lap, the input's span plus its
 * median step (1 s when that is not positive). */
static void
lap_shift(void)
{
	int64_t lo, hi, med = 0;
	size_t i;

	S.lap_shift_ms = 0;
	if (S.ntimes > 0) {
		lo = hi = S.times[0];
		for (i = 1; i < S.ntimes; i++) {
			if (S.times[i] < lo)
				lo = S.times[i];
			if (S.times[i] > hi)
				hi = S.times[i];
			S.times[i - 1] = S.times[i] - S.times[i - 1];
		}
		if (S.ntimes > 1) {
			qsort(S.times, S.ntimes - 1, sizeof(*S.times),
			    cmp_i64);
			med = S.times[(S.ntimes - 2) / 2];
		}
		S.lap_shift_ms = hi - lo + med;
	}
	if (S.lap_shift_ms <= 0)
		S.lap_shift_ms = 1000;
	free(S.times);
	S.times = NULL;
	S.ntimes = S.times_cap = 0;
}

static void
pace_wake(lws_sorted_usec_list_t *sul)
{
	(void)sul;
	if (S.wsi != NULL)
		lws_callback_on_writable(S.wsi);
}

/* Reads the next good row into the ring's next slot as the pending row;
 * returns 0, or -1 when the input ended. */
static int
read_row(void)
{
	struct csvin_record rec;
	struct row *w;
	char e[256], shifted[CSVIN_TS_MAX + 32];
	int64_t ms = 0, *m;
	int rc, has_time;

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
		has_time = row_time(rec.timestamp, rec.timestamp_len,
		    rec.timestamp_is_number, &ms) == 0;
		if (!has_time && S.realtime) {
			warnx("%s:%llu: timestamp is neither a number nor a "
			    "date", S.fname, (unsigned long long)rec.line);
			S.rejected++;
			continue;
		}
		break;
	}
	S.lap_rows++;
	w = &S.ring[(S.head + S.count) % S.inflight];
	w->seq = S.next_seq++;
	w->line = rec.line;
	w->v = rec.v;
	w->ts_len = (unsigned char)rec.timestamp_len;
	w->ts_num = (unsigned char)rec.timestamp_is_number;
	memcpy(w->ts, rec.timestamp, rec.timestamp_len + 1);
	memcpy(w->val, rec.value, rec.value_len + 1);
	if (S.loop && S.lap == 0 && has_time) {
		if (S.ntimes == S.times_cap) {
			S.times_cap = S.times_cap ? S.times_cap * 2 : 1024;
			if ((m = realloc(S.times, S.times_cap *
			    sizeof(*m))) == NULL)
				err(1, NULL);
			S.times = m;
		}
		S.times[S.ntimes++] = ms;
	}
	if (S.lap > 0 && has_time) {
		int64_t shift = (int64_t)S.lap * S.lap_shift_ms;

		if (rec.timestamp_is_number)
			shift_number(rec.timestamp, shift, shifted,
			    sizeof(shifted));
		else if (shift_date(rec.timestamp, rec.timestamp_len, ms,
		    shift, shifted, sizeof(shifted)) == -1)
			shifted[0] = '\0';
		if (shifted[0] != '\0' && strlen(shifted) <= CSVIN_TS_MAX) {
			w->ts_len = (unsigned char)strlen(shifted);
			memcpy(w->ts, shifted, w->ts_len + 1);
		}
		ms += shift;
	}
	/* When it is due, from the time of the first row. */
	S.pending_due_us = 0;
	if (S.rate > 0 || S.realtime) {
		if (S.paced == 0) {
			S.pace_start_us = mono_us();
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
		    (now = mono_us()) < S.pending_due_us) {
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

	log_msg('>', proto_buf_text(&S.out), len);
	if (lws_write(wsi, (unsigned char *)proto_buf_text(&S.out), len,
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
	    proto_put_string(&S.out, w->ts, w->ts_len))
		return -1;
	if (put_raw(",\"value\":", 9) == -1 ||
	    proto_put_double(&S.out, w->v) == -1 || put_raw("}", 1) == -1)
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
	proto_buf_clear(&S.out);
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
	proto_buf_clear(&S.out);
	if (put_raw("{\"version\":2,\"detail\":true,\"token\":", 35) == -1 ||
	    proto_put_string(&S.out, S.token, strlen(S.token)) == -1 ||
	    put_raw("}", 1) == -1)
		return -1;
	S.settings_sent = 1;
	return send_text(wsi);
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

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	int rc;

	(void)user;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		snprintf(S.conn_error, sizeof(S.conn_error), "%s",
		    in != NULL ? (const char *)in : "cannot connect");
		connection_ended();
		return 0;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (S.token != NULL)
			lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		S.active_us = mono_us();
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
		S.active_us = mono_us();
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
	log_open();
	S.start_ms = now_ms();
	if (S.loop)
		tick(NULL);
	connect_now(NULL);
	while (!S.job_over)
		if (lws_service(S.ctx, mono_us() - S.active_us <
		    SPIN_US ? -1 : 0) < 0)
			break;
	lws_sul_schedule(S.ctx, 0, &S.pace_sul, pace_wake,
	    LWS_SET_TIMER_USEC_CANCEL);
	lws_sul_schedule(S.ctx, 0, &S.tick_sul, tick,
	    LWS_SET_TIMER_USEC_CANCEL);
	free(S.times);
	S.times = NULL;
	S.ntimes = S.times_cap = 0;
	close_file();
	log_close();
	fflush(stdout);
	t = now_ms() - S.start_ms;
	secs = (double)t / 1000;
	fprintf(stderr, "anomaly-send: %s: %llu points, %llu anomalies, "
	    "%llu alerts, %llu rejected rows, %.3f s, %.0f points/s\n",
	    S.client_id, (unsigned long long)S.points,
	    (unsigned long long)S.anomalies, (unsigned long long)S.alerts,
	    (unsigned long long)S.rejected, secs,
	    secs > 0 ? (double)S.points / secs : 0.0);
	if (S.anomalies > 0)
		S.any_anomaly = 1;
	if (S.rejected > 0)
		S.any_rejected = 1;
}

static void
read_token(const char *file)
{
	char buf[PROTO_TOKEN_MAX + 2];
	FILE *fp;
	size_t n;

	if ((fp = fopen(file, "r")) == NULL)
		err(1, "%s", file);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (strlen(buf) > PROTO_TOKEN_MAX || buf[0] == '\0')
		errx(1, "%s: the token must be 1 to %d bytes on its first "
		    "line", file, PROTO_TOKEN_MAX);
	if ((S.token = strdup(buf)) == NULL)
		err(1, NULL);
}

static void
parse_url(void)
{
	char *copy, *prot, *ads, *path;
	int port;

	if ((copy = strdup(S.url)) == NULL)
		err(1, NULL);
	if (lws_parse_uri(copy, (const char **)&prot, (const char **)&ads,
	    &port, (const char **)&path) != 0 || strcmp(prot, "ws") != 0 ||
	    *ads == '\0') {
		warnx("%s: not a ws:// URL", S.url);
		usage();
	}
	if (strlen(ads) >= sizeof(S.address) ||
	    strlen(path) >= sizeof(S.path))
		errx(2, "%s: URL too long", S.url);
	strcpy(S.address, ads);
	strcpy(S.path, path);
	S.port = port;
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
		warnx("%s: %s: not a number above 0", what, s);
		usage();
	}
	return d;
}

int
main(int argc, char *argv[])
{
	struct lws_context_creation_info info;
	char e[PROTO_ERR_MAX];
	static char *dash[] = { "-", NULL };
	int ch, i, status;

	setlocale(LC_NUMERIC, "C");
	S.url = getenv("ANOMALY_URL");
	if (S.url == NULL || *S.url == '\0')
		S.url = DEFAULT_URL;
	S.window = 1000;
	S.inflight = 256;
	S.log_dir = "logs";
	S.retries = 5;
	while ((ch = getopt_long(argc, argv, "hi:qt:u:v:w:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'u':
			S.url = optarg;
			break;
		case 'i':
			if (proto_check_client_id(optarg, strlen(optarg), e,
			    sizeof(e)) == -1) {
				warnx("-i %s: %s", optarg, e);
				usage();
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
		case OPT_VERSION:
			printf("anomaly-send %s\n", VERSION);
			return 0;
		case 'h':
			help();
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		argc = 1;
		argv = dash;
	}
	if (S.rate > 0 && S.realtime) {
		warnx("--rate and --realtime exclude each other");
		usage();
	}
	if (S.speed > 0 && !S.realtime) {
		warnx("--speed goes with --realtime");
		usage();
	}
	if (S.speed == 0)
		S.speed = 1;
	if (S.loop) {
		for (i = 0; i < argc; i++)
			if (strcmp(argv[i], "-") == 0) {
				warnx("--loop needs files, not stdin");
				usage();
			}
		if (argc > 1 && S.id_opt == NULL) {
			warnx("--loop with several files needs -i");
			usage();
		}
	}
	{
		/* Column options are checked before anything is sent. */
		struct csvin *r = csvin_new(&S.csv, e, sizeof(e));

		if (r == NULL) {
			warnx("%s", e);
			usage();
		}
		csvin_free(r);
	}
	parse_url();

	if ((S.ring = calloc(S.inflight, sizeof(*S.ring))) == NULL)
		err(1, NULL);
	proto_buf_init(&S.out, LWS_PRE);
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

	if (!S.quiet && !S.json)
		printf("timestamp,value,anomaly\n");
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
	proto_buf_free(&S.out);
	free(S.ring);
	free(S.rx);
	free(S.token);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	status = 0;
	if (S.any_rejected)
		status = 3;
	if (S.fail_on_anomaly && S.any_anomaly)
		status = 4;
	if (S.failed)
		status = 1;
	return status;
}
