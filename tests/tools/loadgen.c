/*
 * loadgen: a load generator for anomalyd (make bench, make soak, and its
 * smoke test in make test; not installed).
 *
 * One thread, epoll, plain sockets and a minimal WebSocket client (RFC 6455:
 * the upgrade request, masked text frames out, unmasked frames in, pong to
 * ping; wsclient.h, shared with siege).  libwebsockets' client is not
 * used: this tool must open 10,000 connections and push several 100,000
 * points/s from one core while anomalyd has the other, and it must
 * measure each point's latency from the write to the verdict without a
 * library's buffering in between.
 *
 * Each client speaks protocol 2 (hello in the URL with version=2, waits for
 * ready, numbers its points from ready.last_seq + 1, sends batches) or, with
 * -o, the original protocol (a hello message, then one point per message).
 * It keeps up to -d points in flight (1: send and wait), and stops after -n
 * points per client or -t seconds.  With -W each client first sends that
 * many points (as fast as it can) and the measure starts when all of them
 * are answered, so that it sees warm detectors (full windows, grown
 * trees); it prints "measuring" on stdout then.  With -H it then keeps its connection
 * open (idle but warm) for that many seconds, or until SIGTERM/SIGINT, after
 * printing "warm" on stdout.  Results on stdout, one line of key=value:
 * clients, points (sent), verdicts, errors (error replies), closed (clients
 * closed by the server or failed), seconds (first point to last verdict),
 * rate (verdicts/s), p50_ms, p99_ms, max_ms.  Exits 0 when every client got
 * a verdict for every point it sent, 1 otherwise, 2 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "wsclient.h"

#define MAX_CONNECTING	256		/* handshakes under way at once */

enum state { S_IDLE, S_CONNECTING, S_UPGRADE, S_READY, S_RUN, S_DONE,
	S_CLOSED };

/* One message in flight: when it was written and how many points it held. */
struct flight {
	double	 t;
	uint32_t points;
};

struct client {
	int	 fd;
	enum state state;
	uint32_t index;
	int64_t	 next_seq;		/* protocol 2 */
	uint64_t sent, answered;	/* points */
	uint32_t inflight;		/* points */
	struct flight *fl;		/* ring of messages in flight */
	uint32_t fl_cap, fl_head, fl_n;
	struct wsc_buf in, out;
	uint32_t mask_state;
	int	 want_out;		/* EPOLLOUT armed */
	int	 warm_done;		/* its -W points are answered */
	int	 throttled;
};

struct opts {
	const char *host;
	int	 port;
	uint32_t clients;
	uint64_t points;		/* per client, 0: no limit */
	uint64_t warm;			/* per client, before the measure */
	double	 seconds;		/* 0: no limit */
	uint32_t depth;
	uint32_t batch;
	int	 original;
	uint32_t window;
	const char *prefix;
	double	 rate;			/* points/s for all, 0: no limit */
	double	 hold;			/* seconds idle after, -1: none */
	double	 timeout;
	int	 quiet;
};

struct run {
	struct opts o;
	struct client *c;
	int	 ep;
	uint32_t connecting, next_connect, finished;
	double	 t_start, t_first, t_last;
	uint64_t sent, verdicts, errors, closed;
	struct wsc_hist lat;
	int	 stop_sending;
	int	 warming;		/* sending the -W points */
	uint32_t warmed;		/* clients done with them */
	struct sockaddr_in addr;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: loadgen -p PORT [-h HOST] [-c CLIENTS] [-n POINTS] "
	    "[-t SECONDS] [-d DEPTH]\n"
	    "               [-b BATCH] [-o] [-w WINDOW] [-W WARM] [-i PREFIX] "
	    "[-r RATE] [-H SECONDS] [-T TIMEOUT] [-q]\n");
	exit(2);
}

/* The value of point i: a seasonal, noisy series with rare spikes. */
static double
point_value(uint64_t i, uint32_t who)
{
	uint64_t z = (i * 2654435761u + who * 40503u + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 31)) * 0xbf58476d1ce4e5b9ULL;
	return 50 + 10 * sin(i / 50.0) + (double)(z >> 40) / (1 << 24) * 3 +
	    (i % 997 == 996 ? 40 : 0);
}

/* Queues a masked text frame holding p[0..len) on c. */
static void
ws_send(struct client *c, const char *p, size_t len)
{
	wsc_must(wsc_frame(&c->out, &c->mask_state, 0x1, 1, p, len));
}

/* Queues a control frame (close or pong) with payload p[0..len), len<126,
 * under a zero mask. */
static void
ws_control(struct client *c, int opcode, const unsigned char *p, size_t len)
{
	wsc_must(wsc_frame(&c->out, NULL, opcode, 1, p, len));
}

static void
arm(struct run *r, struct client *c, int out)
{
	struct epoll_event ev;

	if (c->want_out == out)
		return;
	ev.events = EPOLLIN | (out ? EPOLLOUT : 0);
	ev.data.u32 = c->index;
	epoll_ctl(r->ep, EPOLL_CTL_MOD, c->fd, &ev);
	c->want_out = out;
}

/* Writes what c has queued; arms EPOLLOUT when some is left.  Returns -1
 * when the connection failed. */
static int
flush(struct run *r, struct client *c)
{
	if (wsc_flush(c->fd, &c->out) < 0)
		return -1;
	arm(r, c, c->out.len > 0);
	return 0;
}

static void
finish(struct run *r, struct client *c, enum state st)
{
	if (c->state == S_DONE || c->state == S_CLOSED)
		return;
	if (c->state == S_CONNECTING || c->state == S_UPGRADE ||
	    c->state == S_READY)
		r->connecting--;
	c->state = st;
	r->finished++;
	if (!c->warm_done) {
		c->warm_done = 1;
		r->warmed++;
	}
	if (st == S_CLOSED) {
		r->closed++;
		if (c->fd >= 0) {
			close(c->fd);
			c->fd = -1;
		}
	}
}

/* Whether c may send another point under the -r rate. */
static int
rate_allows(struct run *r, uint32_t points)
{
	if (r->o.rate <= 0 || r->warming)
		return 1;
	return (double)(r->sent + points) <=
	    r->o.rate * (clock_mono_s() - r->t_first) + r->o.batch;
}

/* Sends what c may send now: points up to its depth, its count and the
 * rate; moves it to S_DONE when all it sent is answered and it may send no
 * more. */
static void
pump(struct run *r, struct client *c)
{
	char msg[160], *body = NULL;
	struct wsc_buf b = { 0 };
	uint32_t k, m;
	uint64_t limit;
	double t;

	if (c->state != S_RUN || r->t_first == 0)
		return;		/* points start when all are connected */
	c->throttled = 0;
	limit = r->warming ? r->o.warm :
	    r->o.points ? r->o.warm + r->o.points : 0;
	for (;;) {
		if ((r->stop_sending && !r->warming) ||
		    (limit && c->sent >= limit))
			break;
		m = r->o.original ? 1 : r->o.batch;
		if (limit && c->sent + m > limit)
			m = (uint32_t)(limit - c->sent);
		if (c->inflight + m > r->o.depth && c->inflight > 0)
			break;
		if (!rate_allows(r, m)) {
			c->throttled = 1;
			break;
		}
		b.len = b.off = 0;
		if (!r->o.original)
			wsc_must(wsc_buf_add(&b, "[", 1));
		for (k = 0; k < m; k++) {
			uint64_t i = c->sent + k;
			int len;

			if (r->o.original)
				len = snprintf(msg, sizeof(msg),
				    "{\"timestamp\":%llu,\"value\":%.3f}",
				    (unsigned long long)(1600000000 + 60 * i),
				    point_value(i, c->index));
			else
				len = snprintf(msg, sizeof(msg),
				    "%s{\"seq\":%lld,\"timestamp\":%llu,"
				    "\"value\":%.3f}", k ? "," : "",
				    (long long)c->next_seq++,
				    (unsigned long long)(1600000000 + 60 * i),
				    point_value(i, c->index));
			wsc_must(wsc_buf_add(&b, msg, (size_t)len));
		}
		if (!r->o.original)
			wsc_must(wsc_buf_add(&b, "]", 1));
		body = b.p;
		ws_send(c, body, b.len);
		if (c->fl_n == c->fl_cap) {
			struct flight *nf;
			uint32_t j, cap = c->fl_cap ? 2 * c->fl_cap : 8;

			if ((nf = malloc(cap * sizeof(*nf))) == NULL) {
				fprintf(stderr, "loadgen: out of memory\n");
				exit(1);
			}
			for (j = 0; j < c->fl_n; j++)
				nf[j] = c->fl[(c->fl_head + j) % c->fl_cap];
			free(c->fl);
			c->fl = nf;
			c->fl_cap = cap;
			c->fl_head = 0;
		}
		t = clock_mono_s();
		c->fl[(c->fl_head + c->fl_n++) % c->fl_cap] =
		    (struct flight){ t, m };
		c->sent += m;
		c->inflight += m;
		r->sent += m;
	}
	wsc_buf_free(&b);
	if (flush(r, c) == -1) {
		finish(r, c, S_CLOSED);
		return;
	}
	if (r->warming) {
		if (c->inflight == 0 && c->sent >= limit && !c->warm_done) {
			c->warm_done = 1;
			r->warmed++;
		}
		return;
	}
	if (c->inflight == 0 && !c->throttled &&
	    (r->stop_sending || (limit && c->sent >= limit)))
		finish(r, c, S_DONE);
}

/* Handles one text message from the server. */
static void
on_message(struct run *r, struct client *c, const char *p, size_t len)
{
	struct flight f;
	uint32_t v, e;
	double t;

	if (c->state == S_READY) {
		char text[512], *s;

		snprintf(text, sizeof(text), "%.*s",
		    (int)(len < sizeof(text) ? len : sizeof(text) - 1), p);
		if (strstr(text, "\"ready\"") == NULL) {
			fprintf(stderr, "loadgen: client %u: no ready: %.200s\n",
			    c->index, text);
			finish(r, c, S_CLOSED);
			return;
		}
		s = strstr(text, "\"last_seq\"");
		if (s != NULL && (s = strchr(s, ':')) != NULL)
			c->next_seq = atoll(s + 1) + 1;
		else
			c->next_seq = 1;
		c->state = S_RUN;
		r->connecting--;
		pump(r, c);
		return;
	}
	if (c->fl_n == 0) {
		if (!r->o.quiet)
			fprintf(stderr, "loadgen: client %u: unexpected: "
			    "%.*s\n", c->index, (int)(len > 200 ? 200 : len),
			    p);
		r->errors++;
		return;
	}
	t = clock_mono_s();
	f = c->fl[c->fl_head];
	c->fl_head = (c->fl_head + 1) % c->fl_cap;
	c->fl_n--;
	v = wsc_count(p, len, "\"anomaly\":");
	e = wsc_count(p, len, "\"error\":");
	if (v + e != f.points) {
		fprintf(stderr, "loadgen: client %u: %u replies for %u "
		    "points: %.*s\n", c->index, v + e, f.points,
		    (int)(len > 200 ? 200 : len), p);
		e = f.points - (v < f.points ? v : f.points);
		v = f.points - e;
	}
	if (e && !r->o.quiet)
		fprintf(stderr, "loadgen: client %u: %.*s\n", c->index,
		    (int)(len > 200 ? 200 : len), p);
	wsc_hist_add(&r->lat, t - f.t, v);
	r->verdicts += v;
	r->errors += e;
	r->t_last = t;
	c->answered += f.points;
	c->inflight -= f.points;
	pump(r, c);
}

/* Parses the frames in c's input. */
static void
on_frames(struct run *r, struct client *c)
{
	unsigned char *p;
	struct wsc_head f;
	size_t hl, plen;
	int got;

	for (;;) {
		p = (unsigned char *)c->in.p + c->in.off;
		got = wsc_frame_head(p, c->in.len - c->in.off, &f);
		if (got == 0)
			break;
		if (f.masked) {		/* a masked frame from a server */
			fprintf(stderr, "loadgen: masked frame\n");
			finish(r, c, S_CLOSED);
			return;
		}
		if (got == 1)
			break;
		hl = f.head;
		plen = f.len;
		if (f.op == 0x8) {
			unsigned code = plen >= 2 ? p[hl] << 8 | p[hl + 1] : 0;

			if (c->state != S_DONE)
				fprintf(stderr, "loadgen: client %u closed: "
				    "%u %.*s\n", c->index, code,
				    (int)(plen > 2 ? plen - 2 : 0),
				    (char *)p + hl + 2);
			finish(r, c, S_CLOSED);
			return;
		}
		if (f.op == 0x9) {
			ws_control(c, 0xA, p + hl, plen);
			c->in.off += hl + plen;
			flush(r, c);
			continue;
		}
		if (f.op == 0xA) {
			c->in.off += hl + plen;
			continue;
		}
		if (!f.fin || f.op == 0) {
			fprintf(stderr, "loadgen: fragmented message\n");
			finish(r, c, S_CLOSED);
			return;
		}
		c->in.off += hl + plen;
		on_message(r, c, (char *)p + hl, plen);
		if (c->state == S_CLOSED)
			return;
	}
	if (c->in.off == c->in.len)
		c->in.off = c->in.len = 0;
}

/* Starts the connection of client c. */
static void
connect_client(struct run *r, struct client *c)
{
	struct epoll_event ev;

	c->fd = wsc_socket();
	if (c->fd < 0) {
		fprintf(stderr, "loadgen: socket: %s\n", strerror(errno));
		c->state = S_CONNECTING;
		r->connecting++;
		finish(r, c, S_CLOSED);
		return;
	}
	c->state = S_CONNECTING;
	r->connecting++;
	if (wsc_connect(c->fd, &r->addr) < 0) {
		fprintf(stderr, "loadgen: connect: %s\n", strerror(errno));
		finish(r, c, S_CLOSED);
		return;
	}
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.u32 = c->index;
	c->want_out = 1;
	epoll_ctl(r->ep, EPOLL_CTL_ADD, c->fd, &ev);
}

/* Queues the upgrade request of c (its socket just connected). */
static void
send_upgrade(struct run *r, struct client *c)
{
	char path[512];

	if (r->o.original)
		snprintf(path, sizeof(path), "/ws");
	else
		snprintf(path, sizeof(path),
		    "/ws?client_id=%s%u&window=%u&version=2", r->o.prefix,
		    c->index, r->o.window);
	wsc_must(wsc_upgrade(&c->out, path, r->o.host, r->o.port));
	c->state = S_UPGRADE;
}

/* Reads the end of the upgrade response of c, if it is all there. */
static void
on_upgrade(struct run *r, struct client *c)
{
	char hello[128];
	size_t hl;
	int len;

	len = wsc_upgrade_reply(c->in.p + c->in.off, c->in.len - c->in.off,
	    &hl);
	if (len == 0)
		return;
	if (len < 0) {
		fprintf(stderr, "loadgen: client %u: upgrade refused: %.*s\n",
		    c->index, (int)(hl > 80 ? 80 : hl), c->in.p + c->in.off);
		finish(r, c, S_CLOSED);
		return;
	}
	c->in.off += hl;
	if (r->o.original) {
		len = snprintf(hello, sizeof(hello),
		    "{\"client_id\":\"%s%u\",\"window\":%u}", r->o.prefix,
		    c->index, r->o.window);
		ws_send(c, hello, (size_t)len);
		c->state = S_RUN;
		r->connecting--;
		pump(r, c);
	} else {
		c->state = S_READY;
		on_frames(r, c);
	}
}

static void
on_event(struct run *r, struct client *c, uint32_t events)
{
	char tmp[65536];
	ssize_t got;

	if (c->state == S_CLOSED)
		return;
	if (c->state == S_CONNECTING) {
		int err = wsc_connect_error(c->fd);

		if (err != 0) {
			fprintf(stderr, "loadgen: connect: %s\n",
			    strerror(err));
			finish(r, c, S_CLOSED);
			return;
		}
		if (!(events & EPOLLOUT))
			return;
		send_upgrade(r, c);
	}
	if (events & EPOLLOUT && flush(r, c) == -1) {
		finish(r, c, S_CLOSED);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (;;) {
		got = recv(c->fd, tmp, sizeof(tmp), 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (got <= 0) {
			if (c->state != S_DONE)
				fprintf(stderr, "loadgen: client %u: "
				    "connection lost\n", c->index);
			finish(r, c, S_CLOSED);
			if (c->fd >= 0) {
				close(c->fd);
				c->fd = -1;
			}
			return;
		}
		wsc_must(wsc_buf_add(&c->in, tmp, (size_t)got));
		if (c->state == S_UPGRADE)
			on_upgrade(r, c);
		else
			on_frames(r, c);
		if (c->state == S_CLOSED)
			return;
		if ((size_t)got < sizeof(tmp))
			break;
	}
}

static void
parse_args(struct opts *o, int argc, char **argv)
{
	int ch;

	*o = (struct opts){ .host = "127.0.0.1", .clients = 1, .depth = 1000,
	    .batch = 100, .window = 1000, .prefix = "lg", .hold = -1,
	    .timeout = 0 };
	while ((ch = getopt(argc, argv, "h:p:c:n:t:d:b:ow:W:i:r:H:T:q")) != -1) {
		switch (ch) {
		case 'h': o->host = optarg; break;
		case 'p': o->port = (int)wsc_arg(optarg, "port"); break;
		case 'c': o->clients = (uint32_t)wsc_arg(optarg, "clients");
			break;
		case 'n': o->points = (uint64_t)wsc_arg(optarg, "points");
			break;
		case 't': o->seconds = wsc_arg(optarg, "seconds"); break;
		case 'd': o->depth = (uint32_t)wsc_arg(optarg, "depth"); break;
		case 'b': o->batch = (uint32_t)wsc_arg(optarg, "batch"); break;
		case 'o': o->original = 1; break;
		case 'W': o->warm = (uint64_t)wsc_arg(optarg, "warm points");
			break;
		case 'w': o->window = (uint32_t)wsc_arg(optarg, "window");
			break;
		case 'i': o->prefix = optarg; break;
		case 'r': o->rate = wsc_arg(optarg, "rate"); break;
		case 'H': o->hold = wsc_arg(optarg, "hold"); break;
		case 'T': o->timeout = wsc_arg(optarg, "timeout"); break;
		case 'q': o->quiet = 1; break;
		default: usage();
		}
	}
	if (optind != argc || o->port <= 0 || o->clients == 0 ||
	    o->depth == 0 || o->batch == 0 || (!o->points && !o->seconds))
		usage();
	if (o->original)
		o->batch = 1;
	if (o->batch > o->depth)
		o->batch = o->depth;
	if (o->timeout == 0)
		o->timeout = (o->seconds ? o->seconds : 60) + 60 +
		    (o->hold > 0 ? o->hold : 0);
}

int
main(int argc, char **argv)
{
	struct run *r;
	struct epoll_event *evs;
	uint32_t i;
	int n, k, timed_out = 0;
	double t, hold_end = 0;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return 1;
	wsc_name("loadgen");
	parse_args(&r->o, argc, argv);
	wsc_start(&r->addr, r->o.host, r->o.port);
	r->c = calloc(r->o.clients, sizeof(*r->c));
	evs = calloc(1024, sizeof(*evs));
	if (r->c == NULL || evs == NULL || (r->ep = epoll_create1(0)) < 0) {
		fprintf(stderr, "loadgen: out of memory\n");
		return 1;
	}
	for (i = 0; i < r->o.clients; i++) {
		r->c[i].index = i;
		r->c[i].fd = -1;
		r->c[i].mask_state = i * 2654435761u + 12345;
	}
	r->t_start = clock_mono_s();
	r->t_first = 0;
	while (!wsc_stopped()) {
		t = clock_mono_s();
		if (t - r->t_start > r->o.timeout) {
			timed_out = 1;
			break;
		}
		while (r->next_connect < r->o.clients &&
		    r->connecting < MAX_CONNECTING)
			connect_client(r, &r->c[r->next_connect++]);
		/* Points start when every client is connected, so that the
		 * rate and the latency measure the full load. */
		if (r->t_first == 0 && r->connecting == 0 &&
		    r->next_connect == r->o.clients) {
			r->t_first = clock_mono_s();
			r->warming = r->o.warm > 0;
			for (i = 0; i < r->o.clients; i++)
				pump(r, &r->c[i]);
		}
		/* After -W points each, the measure starts from zero. */
		if (r->warming && r->warmed == r->o.clients) {
			r->warming = 0;
			r->sent = r->verdicts = r->errors = 0;
			memset(&r->lat, 0, sizeof(r->lat));
			r->t_first = r->t_last = clock_mono_s();
			printf("measuring\n");
			fflush(stdout);
			for (i = 0; i < r->o.clients; i++)
				pump(r, &r->c[i]);
		}
		if (r->t_first > 0 && !r->warming && r->o.seconds > 0 &&
		    !r->stop_sending &&
		    t - r->t_first >= r->o.seconds) {
			r->stop_sending = 1;
			for (i = 0; i < r->o.clients; i++)
				pump(r, &r->c[i]);
		}
		if (r->finished == r->o.clients) {
			if (r->o.hold < 0)
				break;
			if (hold_end == 0) {
				printf("warm\n");
				fflush(stdout);
				hold_end = clock_mono_s() + r->o.hold;
			}
			if (clock_mono_s() >= hold_end)
				break;
		}
		n = epoll_wait(r->ep, evs, 1024,
		    r->o.rate > 0 ? 1 : 50);
		if (n < 0 && errno != EINTR) {
			perror("loadgen: epoll_wait");
			break;
		}
		for (k = 0; k < n; k++)
			on_event(r, &r->c[evs[k].data.u32], evs[k].events);
		if (r->o.rate > 0 && r->t_first > 0)
			for (i = 0; i < r->o.clients; i++)
				if (r->c[i].throttled)
					pump(r, &r->c[i]);
	}
	t = r->t_last > r->t_first ? r->t_last - r->t_first : 0;
	printf("clients=%u points=%llu verdicts=%llu errors=%llu closed=%llu "
	    "seconds=%.3f rate=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f%s\n",
	    r->o.clients, (unsigned long long)r->sent,
	    (unsigned long long)r->verdicts, (unsigned long long)r->errors,
	    (unsigned long long)r->closed, t, t > 0 ? r->verdicts / t : 0,
	    wsc_hist_quantile(&r->lat, 0.5), wsc_hist_quantile(&r->lat, 0.99),
	    r->lat.max * 1000,
	    timed_out ? " timeout=1" : "");
	for (i = 0; i < r->o.clients; i++) {
		struct client *c = &r->c[i];

		if (c->fd >= 0) {
			if (c->state != S_CONNECTING && c->state != S_UPGRADE) {
				ws_control(c, 0x8,
				    (const unsigned char *)"\x03\xe8", 2);
				send(c->fd, c->out.p + c->out.off,
				    c->out.len - c->out.off,
				    MSG_NOSIGNAL | MSG_DONTWAIT);
			}
			close(c->fd);
		}
		wsc_buf_free(&c->in);
		wsc_buf_free(&c->out);
		free(c->fl);
	}
	free(r->c);
	free(evs);
	close(r->ep);
	n = timed_out || (wsc_stopped() && hold_end == 0) || r->closed > 0 ||
	    r->errors > 0 || r->verdicts != r->sent;
	free(r);
	return n;
}
