/*
 * anomaly-export: streams stored points (or the clients) of one or more
 * databases as CSV, NDJSON or one JSON array (SPEC §6).
 *
 * Each database is opened read-only (it never blocks anomalyd) and read one
 * after the other in the order of the -d options; within one, the clients
 * in the order of the -c options, else by client_id, and each client's
 * points in order of n through the store's cursor, one row at a time: the
 * memory used does not grow with the number of points.  Only the list of
 * client ids is held, to warn about a client found in several databases
 * before any of its rows is written.
 *
 * A running anomalyd (-u URL) is read the same way through its JSON API
 * (lib/apiclient.h): its clients a page at a time, each client's points a
 * page of REMOTE_PAGE at a time from the last n read, each row written as
 * it comes.  -d and -u mix in the order given.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiclient.h"
#include "emit.h"
#include "opterr.h"
#include "store.h"
#include "timefmt.h"
#include "token.h"

#define REMOTE_PAGE	10000	/* points per request to a server */
#define REMOTE_CLIENTS	1000	/* clients per request */


enum { OPT_SINCE = 256, OPT_UNTIL, OPT_CLIENTS, OPT_VERSION, OPT_TOKEN,
	OPT_CACERT };

static const struct option longopts[] = {
	{ "db",			required_argument, NULL, 'd' },
	{ "url",		required_argument, NULL, 'u' },
	{ "read-token-file",	required_argument, NULL, OPT_TOKEN },
	{ "cacert",		required_argument, NULL, OPT_CACERT },
	{ "insecure",		no_argument,	   NULL, 'k' },
	{ "client",		required_argument, NULL, 'c' },
	{ "since",		required_argument, NULL, OPT_SINCE },
	{ "until",		required_argument, NULL, OPT_UNTIL },
	{ "anomalies-only",	no_argument,	   NULL, 'a' },
	{ "alerts-only",	no_argument,	   NULL, 'A' },
	{ "format",		required_argument, NULL, 'f' },
	{ "output",		required_argument, NULL, 'o' },
	{ "clients",		no_argument,	   NULL, OPT_CLIENTS },
	{ "help",		no_argument,	   NULL, 'h' },
	{ "version",		no_argument,	   NULL, OPT_VERSION },
	{ NULL,			0,		   NULL, 0 }
};

#define SYNOPSIS "usage: anomaly-export [-a] [-A] [-d DB]... [-u URL]... " \
	"[-c CLIENT_ID]... [--since T]\n" \
	"\t[--until T] [-f csv|ndjson|json] [-o FILE] [--clients]\n" \
	"\t[--read-token-file FILE] [--cacert FILE] [-k]\n"

/* A list of strings that grows as needed. */
struct strlist {
	char	**v;
	size_t	  n, cap;
};

/* What to export: the options, parsed. */
struct query {
	struct strlist	 dbs;		/* -d and -u, in order */
	struct strlist	 kinds;		/* for each: "d" or "u" */
	struct strlist	 ids;		/* -c, in order; empty: all */
	int		 has_since, has_until;
	int64_t		 since_ms, until_ms;	/* since <= t < until */
	int		 flags;		/* -a, -A: STORE_FLAG_; 0: all */
	int		 clients;	/* --clients */
};

/* A usage error: one line naming the problem and where help is, exit 2. */
static void __attribute__((noreturn, format(printf, 1, 2)))
usage(const char *fmt, ...)
{
	va_list ap;

	fputs("anomaly-export: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (try 'anomaly-export --help')\n", stderr);
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

static void __attribute__((noreturn))
help(void)
{
	fputs(SYNOPSIS, stdout);
	fputs("\nStreams the stored points of anomalyd's database(s).\n\n"
	    "  -d, --db DB            database (repeatable; default "
	    "$ANOMALY_DB or ./anomaly.db)\n"
	    "  -u, --url URL          a running anomalyd, http:// or https:// "
	    "(repeatable;\n"
	    "                         mixed with -d in the order given)\n"
	    "      --read-token-file FILE  send the token in FILE to -u "
	    "servers\n"
	    "      --cacert FILE      trust the CA in FILE for https:// "
	    "servers\n"
	    "  -k, --insecure         do not verify https:// servers' "
	    "certificates\n"
	    "  -c, --client ID        only this client (repeatable)\n"
	    "      --since T          points at or after T (epoch seconds "
	    "or ISO 8601)\n"
	    "      --until T          points before T (epoch seconds or "
	    "ISO 8601)\n"
	    "  -a, --anomalies-only   only points judged anomalies\n"
	    "  -A, --alerts-only      only alerts; with -a: anomalies and "
	    "alerts\n"
	    "  -f, --format F         csv (default), ndjson or json\n"
	    "  -o, --output FILE      write to FILE instead of stdout\n"
	    "      --clients          list the clients instead of points\n"
	    "  -h, --help             this help\n"
	    "      --version          the version\n\n"
	    "CSV columns: client_id,n,timestamp,value,anomaly,alert,score,"
	    "votes\n"
	    "Exit status: 0 ok, 1 failure, 2 usage.\n", stdout);
	exit(0);
}

static void
strlist_add(struct strlist *l, char *s)
{
	char **v;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		if ((v = realloc(l->v, l->cap * sizeof(*v))) == NULL)
			err(1, NULL);
		l->v = v;
	}
	l->v[l->n++] = s;
}

/* Parses a --since/--until argument: epoch seconds (integer or decimal) or
 * an ISO 8601 date.  Returns 0 and sets *ms, or -1. */
static int
parse_time(const char *s, int64_t *ms)
{
	char *end;
	long long i;
	double d;

	if (timefmt_parse(s, strlen(s), ms) == 0)
		return 0;
	if (*s == '\0')
		return -1;
	errno = 0;
	i = strtoll(s, &end, 10);
	if (*end == '\0' && errno == 0)
		return timefmt_from_seconds(i, ms);
	d = strtod(s, &end);
	if (*end != '\0' || !isfinite(d) || s[strspn(s, "+-0123456789.eE")])
		return -1;
	return timefmt_from_seconds_real(d, ms);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* store_clients_each() callback: adds the client's id to the list. */
static int
collect_id(void *arg, const struct store_client *c)
{
	char *id;

	if ((id = strdup(c->client_id)) == NULL)
		err(1, NULL);
	strlist_add(arg, id);
	return 0;
}

/* A database (-d) or a server (-u). */
struct source {
	struct store	 *st;
	struct apiclient *api;
};

/* apiclient_clients()' callback: adds the client's id to the list. */
static int
collect_remote_id(void *arg, const struct store_client *c,
    const struct apispark *sp)
{
	(void)sp;
	return collect_id(arg, c);
}

/* Reads every client id of server api into l, page by page.  Returns 0 or
 * -1 with a message in e. */
static int
remote_ids(struct apiclient *api, struct strlist *l, char *e, size_t elen)
{
	int n;

	do {
		if (apiclient_clients(api, l->n > 0 ? l->v[l->n - 1] : NULL,
		    REMOTE_CLIENTS, 0, collect_remote_id, l, &n, e,
		    elen) == -1)
			return -1;
	} while (n == REMOTE_CLIENTS);
	return 0;
}

/* The client ids of each source, sorted: ids[i] for dbs[i]. */
static struct strlist *
read_ids(struct source *src, size_t nst, const struct query *q)
{
	struct strlist *ids;
	char e[256];
	size_t i;

	if ((ids = calloc(nst, sizeof(*ids))) == NULL)
		err(1, NULL);
	for (i = 0; i < nst; i++) {
		if ((src[i].api != NULL ? remote_ids(src[i].api, &ids[i], e,
		    sizeof(e)) : store_clients_each(src[i].st, collect_id,
		    &ids[i], e, sizeof(e))) == -1)
			errx(1, "%s: %s", q->dbs.v[i], e);
		qsort(ids[i].v, ids[i].n, sizeof(char *), cmp_str);
	}
	return ids;
}

static int
has_id(const struct strlist *l, const char *id)
{
	return bsearch(&id, l->v, l->n, sizeof(char *), cmp_str) != NULL;
}

/* Warns, on stderr, about each exported client found in more than one
 * database, naming them; and about each -c client found in none (returns
 * the number of those). */
static int
check_ids(const struct strlist *ids, size_t nst, const struct query *q)
{
	size_t i, j, k, found;
	const char *id;
	int missing = 0;

	for (i = 0; i < nst; i++) {
		for (k = 0; k < ids[i].n; k++) {
			id = ids[i].v[k];
			if (q->ids.n > 0) {
				for (j = 0; j < q->ids.n; j++)
					if (strcmp(q->ids.v[j], id) == 0)
						break;
				if (j == q->ids.n)
					continue;
			}
			for (j = 0; j < i; j++)
				if (has_id(&ids[j], id))
					break;
			if (j < i)
				continue;	/* warned already */
			found = 0;
			for (j = i; j < nst; j++)
				found += has_id(&ids[j], id);
			if (found < 2)
				continue;
			fprintf(stderr, "anomaly-export: warning: client %s is "
			    "in %zu databases:", id, found);
			for (j = i; j < nst; j++)
				if (has_id(&ids[j], id))
					fprintf(stderr, " %s", q->dbs.v[j]);
			fputc('\n', stderr);
		}
	}
	for (j = 0; j < q->ids.n; j++) {
		for (i = 0; i < nst; i++)
			if (has_id(&ids[i], q->ids.v[j]))
				break;
		if (i == nst) {
			warnx("no client %s in the database%s", q->ids.v[j],
			    nst > 1 ? "s" : "");
			missing++;
		}
	}
	return missing;
}

/* Whether point p passes q's time bounds. */
static int
in_time(const struct query *q, const struct store_point *p)
{
	int64_t t;

	if (!q->has_since && !q->has_until)
		return 1;
	t = p->has_t_ms ? p->t_ms : p->received_ms;
	return !((q->has_since && t < q->since_ms) ||
	    (q->has_until && t >= q->until_ms));
}

/* A client's points from a server on their way to the output. */
struct remote_rows {
	struct emitter	*em;
	const char	*id;
	const struct query *q;
	int64_t		 last;		/* n of the last point read */
};

/* apiclient_points()' callback: writes the point if it passes q. */
static int
remote_point(void *arg, const struct store_point *p)
{
	struct remote_rows *rr = arg;

	rr->last = p->n;
	if (in_time(rr->q, p))
		emit_point(rr->em, rr->id, p);
	return 0;
}

/* Writes the points of client id of server api that pass q, a page of
 * REMOTE_PAGE at a time from the last n read: each row is written as it
 * comes, and only one page is held.  Returns 0 or -1 with a message in
 * e. */
static int
export_remote_points(struct emitter *em, struct apiclient *api,
    const char *id, const struct query *q, char *e, size_t elen)
{
	struct remote_rows rr = { em, id, q, 0 };
	int64_t n;

	do {
		if (apiclient_points(api, id, rr.last, REMOTE_PAGE, q->flags,
		    remote_point, &rr, &n, e, elen) == -1)
			return -1;
	} while (n == REMOTE_PAGE && !ferror(em->out));
	return 0;
}

/* Writes the points of client id in st that pass q.  Returns 0 or -1 with
 * a message in e. */
static int
export_points(struct emitter *em, struct store *st, const char *id,
    const struct query *q, char *e, size_t elen)
{
	struct store_range r = { 0 };
	struct store_point p;
	int rc;

	if ((q->flags ? store_flagged_open(st, id, &r, q->flags, e, elen) :
	    store_points_open(st, id, &r, e, elen)) == -1)
		return -1;
	while ((rc = store_points_next(st, &p, e, elen)) == 1) {
		if (!in_time(q, &p))
			continue;
		emit_point(em, id, &p);
		if (ferror(em->out))
			break;
	}
	store_points_close(st);
	return rc == -1 ? -1 : 0;
}

/* Writes client id of the source.  Returns 0 or -1 with a message in
 * e. */
static int
export_client(struct emitter *em, struct source *src, const char *id,
    char *e, size_t elen)
{
	struct store_client c;
	int rc;

	if ((rc = src->api != NULL ? apiclient_client(src->api, id, &c, e,
	    elen) : store_client_get(src->st, id, &c, e, elen)) == 1)
		emit_client(em, &c);
	return rc == -1 ? -1 : 0;
}

int
main(int argc, char *argv[])
{
	static char obuf[1 << 16];
	struct query q = { 0 };
	struct source *src;
	struct strlist *ids;
	const char *token_file = NULL, *cacert = NULL;
	char *token = NULL;
	size_t tlen;
	int insecure = 0, unreadable;
	struct emitter em;
	enum emit_format fmt = EMIT_CSV;
	const char *output = NULL, *id;
	FILE *out = stdout;
	char e[512];
	size_t i, k;
	int ch, status = 0;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":aAd:u:c:f:o:hk", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'a':
			q.flags |= STORE_FLAG_ANOMALY;
			break;
		case 'A':
			q.flags |= STORE_FLAG_ALERT;
			break;
		case 'd':
		case 'u':
			strlist_add(&q.dbs, optarg);
			strlist_add(&q.kinds, ch == 'd' ? "d" : "u");
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
		case 'c':
			if (*optarg == '\0' || strlen(optarg) > STORE_ID_MAX)
				usage("-c '%s': a client id is 1 to %d bytes",
				    optarg, STORE_ID_MAX);
			strlist_add(&q.ids, optarg);
			break;
		case OPT_SINCE:
			if (parse_time(optarg, &q.since_ms) == -1)
				usage("--since %s: not epoch seconds nor an "
				    "ISO 8601 date", optarg);
			q.has_since = 1;
			break;
		case OPT_UNTIL:
			if (parse_time(optarg, &q.until_ms) == -1)
				usage("--until %s: not epoch seconds nor an "
				    "ISO 8601 date", optarg);
			q.has_until = 1;
			break;
		case 'f':
			if (emit_parse_format(optarg, &fmt) == -1)
				usage("-f %s: the format is csv, ndjson or "
				    "json", optarg);
			break;
		case 'o':
			output = optarg;
			break;
		case OPT_CLIENTS:
			q.clients = 1;
			break;
		case 'h':
			help();
		case OPT_VERSION:
			printf("anomaly-export %s\n", ANOMALY_VERSION);
			return 0;
		default:
			bad_option(ch, argv);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0)
		usage("%s: unexpected argument; databases go with -d",
		    argv[0]);
	if (q.dbs.n == 0) {
		strlist_add(&q.dbs, (char *)store_resolve_path(NULL,
		    getenv("ANOMALY_DB")));
		strlist_add(&q.kinds, "d");
	}
	if (token_file != NULL && (token = token_read_file(token_file, &tlen,
	    &unreadable, e, sizeof(e))) == NULL)
		errx(unreadable ? 1 : 2, "--read-token-file %s", e);

	if ((src = calloc(q.dbs.n, sizeof(*src))) == NULL)
		err(1, NULL);
	for (i = 0; i < q.dbs.n; i++)
		if (q.kinds.v[i][0] == 'u') {
			if ((src[i].api = apiclient_new(q.dbs.v[i], token,
			    cacert, insecure, e, sizeof(e))) == NULL)
				usage("-u %s", e);
		} else if ((src[i].st = store_open_reader(q.dbs.v[i], e,
		    sizeof(e))) == NULL)
			errx(1, "%s", e);
	ids = read_ids(src, q.dbs.n, &q);
	if (check_ids(ids, q.dbs.n, &q) > 0)
		status = 1;

	if (output != NULL && (out = fopen(output, "w")) == NULL)
		err(1, "%s", output);
	setvbuf(out, obuf, _IOFBF, sizeof(obuf));
	emit_begin(&em, out, fmt, q.clients);
	for (i = 0; i < q.dbs.n && !ferror(out); i++) {
		size_t nid = q.ids.n > 0 ? q.ids.n : ids[i].n;

		for (k = 0; k < nid && !ferror(out); k++) {
			id = q.ids.n > 0 ? q.ids.v[k] : ids[i].v[k];
			if (q.ids.n > 0 && !has_id(&ids[i], id))
				continue;
			if ((q.clients ? export_client(&em, &src[i], id, e,
			    sizeof(e)) : src[i].api != NULL ?
			    export_remote_points(&em, src[i].api, id, &q, e,
			    sizeof(e)) : export_points(&em, src[i].st, id, &q,
			    e, sizeof(e))) == -1)
				errx(1, "%s: %s", q.dbs.v[i], e);
		}
	}
	emit_end(&em);
	if (fflush(out) == EOF || ferror(out))
		err(1, "%s", output ? output : "stdout");
	if (out != stdout && fclose(out) == EOF)
		err(1, "%s", output);
	for (i = 0; i < q.dbs.n; i++) {
		if (src[i].st != NULL)
			store_close(src[i].st);
		apiclient_free(src[i].api);
	}
	token_free(token);
	return status;
}
