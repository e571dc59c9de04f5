/*
 * anomaly-top: a live full-screen monitor of anomalyd's database (SPEC
 * §6), or with -b plain-text snapshots for pipes.
 *
 * The database is read through the store's read-only interface: no lock,
 * no writes, never in the writer's way.  Each refresh reads the clients
 * table, then only what the screen shows (the sparklines of the rows on
 * screen, the detail chart), each through the primary key with a LIMIT.
 * The model (model.c) holds the data, the views (view.c) draw it into a
 * canvas, crt.c puts that on the terminal: curses is in crt.c alone.
 * With -u, a running anomalyd is read through its JSON API instead
 * (query.c, lib/apiclient.h): one request per server per view and
 * refresh.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
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

#include "apiclient.h"
#include "batch.h"
#include "canvas.h"
#include "clock.h"
#include "crt.h"
#include "model.h"
#include "opterr.h"
#include "query.h"
#include "store.h"
#include "token.h"
#include "view.h"

#define MAX_DBS		64

enum { OPT_ITERATIONS = 256, OPT_VERSION, OPT_TOKEN, OPT_CACERT };

static const struct option longopts[] = {
	{ "db",		required_argument, NULL, 'd' },
	{ "url",	required_argument, NULL, 'u' },
	{ "read-token-file", required_argument, NULL, OPT_TOKEN },
	{ "cacert",	required_argument, NULL, OPT_CACERT },
	{ "insecure",	no_argument,	   NULL, 'k' },
	{ "interval",	required_argument, NULL, 'n' },
	{ "client",	required_argument, NULL, 'c' },
	{ "batch",	no_argument,	   NULL, 'b' },
	{ "iterations",	required_argument, NULL, OPT_ITERATIONS },
	{ "help",	no_argument,	   NULL, 'h' },
	{ "version",	no_argument,	   NULL, OPT_VERSION },
	{ NULL,		0,		   NULL, 0 }
};

/* Set by SIGINT, SIGTERM and SIGHUP: leave the screen cleanly. */
static volatile sig_atomic_t quit_signal;

static void
on_signal(int sig)
{
	quit_signal = sig;
}

/* A usage error: one line naming the problem and where help is, exit 2. */
static void __attribute__((noreturn, format(printf, 1, 2)))
usage(const char *fmt, ...)
{
	va_list ap;

	fputs("anomaly-top: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (try 'anomaly-top --help')\n", stderr);
	exit(2);
}

/* The usage error of getopt_long()'s '?' or ':' (opterr is 0) for the
 * option argv[optind - 1]. */
static void __attribute__((noreturn))
bad_option(int ch, char *const argv[])
{
	char msg[256];

	opterr_message(ch, argv, optind, optopt, longopts, msg, sizeof(msg));
	usage("%s", msg);
}

static void
help(void)
{
	printf("usage: anomaly-top [-d DB]... [-u URL]... [-n SECONDS] "
	    "[-c CLIENT_ID]\n"
	    "\t[-b [--iterations N]] [--read-token-file FILE] "
	    "[--cacert FILE] [-k]\n\n"
	    "A live monitor of anomalyd's clients, read from its database "
	    "(read-only).\n\n"
	    "  -d, --db PATH          database (default $ANOMALY_DB or "
	    "./anomaly.db);\n"
	    "                         several -d show the union of shards\n"
	    "  -u, --url URL          a running anomalyd, http:// or "
	    "https:// (repeatable,\n"
	    "                         mixed with -d: the union of all)\n"
	    "      --read-token-file FILE  send the token in FILE to -u "
	    "servers\n"
	    "      --cacert FILE      trust the CA in FILE for https:// "
	    "servers\n"
	    "  -k, --insecure         do not verify https:// servers' "
	    "certificates\n"
	    "  -n, --interval SECS    seconds between refreshes (default 1, "
	    "at least 0.1)\n"
	    "  -c, --client ID        open on the detail view of client ID\n"
	    "                         (with -b: print only that client)\n"
	    "  -b, --batch            plain-text snapshots for pipes, "
	    "without curses\n"
	    "      --iterations N     with -b: N snapshots, then exit "
	    "(default: until interrupted)\n"
	    "  -h, --help             this help\n"
	    "      --version          the version\n\n"
	    "Keys: arrows PgUp PgDn Home End move, Enter opens, Esc goes "
	    "back, s sort,\n"
	    "/ filter, a show inactive, A alerts of all clients, p pause, "
	    "? help, q quit.\n"
	    "Exit status: 0 ok, 1 failure (database), 2 usage "
	    "(or no terminal without -b).\n");
	exit(0);
}

static int
valid_id(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= STORE_ID_MAX &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._:-") == n;
}

/* Sleeps ms milliseconds unless a signal comes. */
static void
nap(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000),
	    (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static int
run_batch(struct top_dbs *dbs, struct top_model *m, struct view_env *env,
    const char *only, long iterations, int64_t interval_ms)
{
	char err[512];
	size_t r;
	long i;
	int status = 0;

	m->show_inactive = 1;
	dbs->spark = BATCH_SPARK;
	for (i = 0; iterations == 0 || i < iterations; i++) {
		if (i > 0)
			nap(interval_ms);
		if (quit_signal)
			break;
		env->now_ms = clock_wall_ms();
		if (query_clients(dbs, m, env->now_ms, err, sizeof(err)) == -1) {
			/* a server down: said, and the others shown */
			if (dbs->apis == NULL)
				errx(1, "%s", err);
			warnx("%s", err);
			status = 1;
		}
		for (r = 0; r < m->nrows; r++) {
			struct top_client *c = model_row(m, r);

			if (only != NULL && strcmp(c->id, only) != 0)
				continue;
			if (query_spark(dbs, c, BATCH_SPARK, err,
			    sizeof(err)) == -1)
				errx(1, "%s", err);
		}
		if (i > 0)
			putchar('\n');
		if (batch_print(stdout, m, env, only) == -1 ||
		    fflush(stdout) == EOF)
			errx(1, "stdout: %s", strerror(errno));
	}
	return status;
}

/* Whether the view is the detail of a server's client: that one request
 * reads the client with its points, and the lists are not read. */
static int
detail_of_server(const struct top_dbs *dbs, const struct top_model *m)
{
	const struct top_client *c;

	return m->view == VIEW_DETAIL && dbs->apis != NULL &&
	    (c = model_detail_client(m)) != NULL && dbs->apis[c->db] != NULL;
}

/* Reads what the current view needs (a failure is shown in the header;
 * with a server down, the view is read from the others all the same): one
 * request per server and view, the detail of a server's client one request
 * in all. */
static void
fetch(struct top_dbs *dbs, struct top_model *m, int clients)
{
	static int stale;	/* the clients were not read for a detail */
	char err[512], verr[512];
	int rc = 0, vrc;

	if (clients && m->refreshes > 0 && detail_of_server(dbs, m)) {
		clients = 0;
		stale = 1;
	} else if (stale && m->view != VIEW_DETAIL)
		clients = 1;		/* back from the detail view */
	if (clients) {
		rc = query_clients(dbs, m, clock_wall_ms(), err, sizeof(err));
		stale = 0;
	}
	if (rc == 0 || dbs->apis != NULL) {
		if (m->view == VIEW_DETAIL)
			vrc = query_detail(dbs, m, verr, sizeof(verr));
		else if (m->view == VIEW_ALERTS)
			vrc = query_alerts(dbs, m, verr, sizeof(verr));
		else
			vrc = query_sparks(dbs, m, verr, sizeof(verr));
		if (vrc == -1 && rc == 0) {
			rc = -1;
			memcpy(err, verr, sizeof(err));
		}
	}
	if (rc == -1)
		snprintf(m->error, sizeof(m->error), "error: %.240s", err);
	else if (clients || stale)
		m->error[0] = '\0';
}

static int
run_screen(struct top_dbs *dbs, struct top_model *m, struct view_env *env,
    int64_t interval_ms, int colour)
{
	struct canvas cv = { 0, 0, NULL };
	struct crt *t;
	int64_t next = 0, now;
	int rows, cols, key, y = 0, full = 1, need = 0, refresh;
	enum top_action act;

	if ((t = crt_open(colour)) == NULL)
		errx(1, "cannot use the terminal (TERM=%s)",
		    getenv("TERM") ? getenv("TERM") : "");
	env->colour = crt_colour(t);
	crt_size(t, &rows, &cols);
	if (canvas_init(&cv, rows, cols) == -1) {
		crt_close(t);
		errx(1, "out of memory");
	}
	view_layout(m, rows, cols, env->utf8, env->ndb);
	for (;;) {
		if (quit_signal)
			break;
		now = clock_wall_ms();
		refresh = !m->paused && now >= next;
		if (refresh || need) {
			fetch(dbs, m, refresh || m->refreshes == 0);
			/* the column widths follow the ids listed */
			view_layout(m, rows, cols, env->utf8, env->ndb);
			if (m->view == VIEW_TABLE)
				fetch(dbs, m, 0);
			if (refresh)
				next = now + interval_ms;
			need = 0;
		}
		env->now_ms = clock_wall_ms();
		view_draw(&cv, m, env);
		crt_draw(t, &cv, full);
		full = 0;
		key = crt_key(t, m->paused ? 1000 : (int)(next - clock_wall_ms() > 0 ?
		    next - clock_wall_ms() : 0), &y);
		if (key == TOPK_NONE)
			continue;
		if (key == TOPK_RESIZE) {
			crt_size(t, &rows, &cols);
			canvas_free(&cv);
			if (canvas_init(&cv, rows, cols) == -1) {
				crt_close(t);
				errx(1, "out of memory");
			}
			view_layout(m, rows, cols, env->utf8, env->ndb);
			full = 1;
		}
		if (key == TOPK_CLICK || key == TOPK_DCLICK)
			act = model_click(m, y - VIEW_TABLE_Y,
			    key == TOPK_DCLICK);
		else
			act = model_key(m, key);
		if (act == ACT_QUIT)
			break;
		if (act == ACT_FETCH)
			need = 1;
	}
	crt_close(t);
	canvas_free(&cv);
	return 0;
}

/* Each server of paths (remote) that is the HAProxy of a cluster of
 * anomalyd shards (apiclient_shards()) replaced by its shards, URL/shard/K,
 * so that every client of the cluster is listed, as a -u per shard would.
 * A server that does not answer is kept as it is (shown unreachable).
 * The names made are kept until exit.  Exits 2 when there are more than
 * MAX_DBS in all. */
static void
expand_clusters(const char **paths, char *remote, int *n, const char *token,
    const char *cacert, int insecure)
{
	const char *was[MAX_DBS];
	char wasr[MAX_DBS], e[512], *url;
	struct apiclient *api;
	int i, k, shards, m = 0;
	size_t len;

	memcpy(was, paths, sizeof(was[0]) * (size_t)*n);
	memcpy(wasr, remote, (size_t)*n);
	for (i = 0; i < *n; i++) {
		shards = 0;
		if (wasr[i] && (api = apiclient_new(was[i], token, cacert,
		    insecure, e, sizeof(e))) != NULL) {
			shards = apiclient_shards(api, e, sizeof(e));
			apiclient_free(api);
		}
		if (shards <= 1) {
			if (m == MAX_DBS)
				usage("at most %d databases and servers",
				    MAX_DBS);
			paths[m] = was[i];
			remote[m++] = wasr[i];
			continue;
		}
		len = strlen(was[i]);
		while (len > 0 && was[i][len - 1] == '/')
			len--;
		for (k = 0; k < shards; k++) {
			if (m == MAX_DBS)
				usage("-u %s: %d shards: at most %d databases "
				    "and servers", was[i], shards, MAX_DBS);
			if ((url = malloc(len + 16)) == NULL)
				err(1, "out of memory");
			snprintf(url, len + 16, "%.*s/shard/%d", (int)len,
			    was[i], k);
			paths[m] = url;
			remote[m++] = 1;
		}
	}
	*n = m;
}

int
main(int argc, char *argv[])
{
	const char *paths[MAX_DBS], *client = NULL, *codeset;
	const char *token_file = NULL, *cacert = NULL;
	struct store *stores[MAX_DBS];
	struct apiclient *apis[MAX_DBS];
	struct top_dbs dbs = { paths, stores, 0, NULL, 0, 0 };
	char *token = NULL, remote[MAX_DBS];
	size_t tlen;
	int insecure = 0, unreadable;
	struct top_model m;
	struct view_env env;
	struct sigaction sa;
	char err[512], *end;
	double interval = 1.0;
	long iterations = -1;
	int ch, batch = 0, i, colour, rc;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":bc:d:hkn:u:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b':
			batch = 1;
			break;
		case 'c':
			if (!valid_id(optarg))
				usage("-c '%s': a client id is 1 to 64 of "
				    "A-Z a-z 0-9 . _ : -", optarg);
			client = optarg;
			break;
		case 'd':
		case 'u':
			if (dbs.n == MAX_DBS)
				usage("-%c %s: at most %d databases and "
				    "servers", ch, optarg, MAX_DBS);
			remote[dbs.n] = ch == 'u';
			paths[dbs.n++] = optarg;
			break;
		case OPT_TOKEN:
			token_file = optarg;
			break;
		case OPT_CACERT:
			cacert = optarg;
			break;
		case 'k':
			insecure = 1;
			break;
		case 'h':
			help();
			break;
		case 'n':
			errno = 0;
			interval = strtod(optarg, &end);
			if (*optarg == '\0' || *end != '\0' || errno != 0 ||
			    !(interval >= 0.1 && interval <= 86400))
				usage("-n %s: seconds from 0.1 to 86400",
				    optarg);
			break;
		case OPT_ITERATIONS:
			errno = 0;
			iterations = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || errno != 0 ||
			    iterations < 1)
				usage("--iterations %s: a number from 1",
				    optarg);
			break;
		case OPT_VERSION:
			printf("anomaly-top %s\n", ANOMALY_VERSION);
			exit(0);
		default:
			bad_option(ch, argv);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0)
		usage("%s: unexpected argument; databases go with -d",
		    argv[0]);
	if (iterations != -1 && !batch)
		usage("--iterations goes with -b");
	if (!batch && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
		errx(2, "not a terminal: the monitor needs one on stdin and "
		    "stdout (use -b for text snapshots)");
	if (dbs.n == 0) {
		remote[dbs.n] = 0;
		paths[dbs.n++] = store_resolve_path(NULL, getenv("ANOMALY_DB"));
	}
	if (token_file != NULL && (token = token_read_file(token_file, &tlen,
	    &unreadable, err, sizeof(err))) == NULL)
		errx(unreadable ? 1 : 2, "--read-token-file %s", err);

	expand_clusters(paths, remote, &dbs.n, token, cacert, insecure);

	setlocale(LC_ALL, "");
	codeset = nl_langinfo(CODESET);
	memset(&env, 0, sizeof(env));
	env.utf8 = codeset != NULL && strcmp(codeset, "UTF-8") == 0;
	colour = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	env.colour = batch ? 0 : colour;
	env.dbpaths = paths;
	env.ndb = dbs.n;

	for (i = 0; i < dbs.n; i++) {
		stores[i] = NULL;
		apis[i] = NULL;
		if (remote[i]) {
			if ((apis[i] = apiclient_new(paths[i], token, cacert,
			    insecure, err, sizeof(err))) == NULL)
				usage("-u %s", err);
			dbs.apis = apis;
		} else if ((stores[i] = store_open_reader(paths[i], err,
		    sizeof(err))) == NULL)
			errx(1, "%s", err);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (!batch)
		sigaction(SIGINT, &sa, NULL);

	model_init(&m);
	if (batch)
		rc = run_batch(&dbs, &m, &env, client, iterations < 0 ? 0 :
		    iterations, (int64_t)llround(interval * 1000));
	else {
		if (client != NULL)
			model_open_detail(&m, client, -1);
		rc = run_screen(&dbs, &m, &env,
		    (int64_t)llround(interval * 1000), colour);
	}
	model_free(&m);
	for (i = 0; i < dbs.n; i++) {
		if (stores[i] != NULL)
			store_close(stores[i]);
		apiclient_free(apis[i]);
	}
	token_free(token);
	return rc;
}
