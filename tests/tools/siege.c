/*
 * siege: a hostile load against one anomalyd, with a well-behaved stream
 * measured through it (issue 16; tests/reliability/siege.sh, make soak
 * HOSTILE=1; not installed).
 *
 * One thread, poll(), plain sockets and loadgen's hand-rolled WebSocket
 * client, wsclient.h (RFC 6455: the upgrade, masked frames out, unmasked
 * in).  For -t seconds it keeps open at once, each kind in its own number
 * of slots; a slot whose connection the server ends opens a new one after
 * a short pause, so that the pressure holds for the whole run:
 *   -H N  hostile hellos: a protocol-2 hello with the -X parameters (the
 *         heaviest ones); an accepted one stays connected and idle
 *   -L N  hellos with the -Y parameters (the largest in range) and window
 *         -y, which stay connected and send a batch of -b points a second
 *   -U N  bare upgrades that never send a hello
 *   -I N  TCP connections that never send a byte
 *   -F N  protocol-2 clients that send the first fragment (-f bytes) of a
 *         batch and never the rest
 *   -R N  GET /api/clients/-r ID/points?limit=100000, half of them read as
 *         fast as they come, half slowly (16 KB every 100 ms)
 *   -K N  takeover attempts on the stream's id (and each -x ID), in turn a
 *         URL hello ?client_id=ID&window=10 followed by a point, and a
 *         protocol-2 hello with vote all and zscore.k 1e9; one succeeded
 *         when it got a verdict or ready
 * and beside them, from 127.0.0.1:
 *   - the well-behaved stream (-s ID, unless -S 0): protocol 2, one point
 *     at a time, -S points a second, each verdict's latency measured; when
 *     the server closes it, it reconnects
 *   - a GET /healthz every 100 ms (one at a time), each one's time
 *   - anomalyd's VmRSS from /proc/-P PID/status every 100 ms.
 * The hostile connections come from -a loopback addresses 127.0.1.1 and
 * up (0: from 127.0.0.1), so that a limit per address meets them and not
 * the well-behaved clients.
 *
 * At the end, one "key value" a line on stdout (the figures of issue 16):
 * verdicts sent and received, their latency (p50, p99, max, ms), the
 * stream's connections and closes (stream_replaced: closed with 4002, a
 * takeover that won even if its attacker saw no outcome), /healthz probes,
 * failures (no 200 "ok" within 1 s) and slowest, RSS at the start and
 * highest, takeovers tried and succeeded, and for each kind of connection
 * how many were opened, accepted and ended by what: "KIND_code_C N" a
 * close code C, "KIND_http_S" an HTTP status S (a refused upgrade, or a
 * read's response), "KIND_eof" dropped without a close frame,
 * "KIND_error_reply" an error message in reply, "KIND_timeout" no outcome
 * in 30 s, "KIND_accepted" a takeover's ready or verdict;
 * large_read_truncated counts the reads whose 200 response was dropped
 * before its end (large_read_accepted: read whole).  Exit 0 after a
 * run, 1 when the server could not be reached at all, 2 on a usage error.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "clock.h"
#include "wsclient.h"

#define MAX_CODES	24		/* distinct endings counted per kind */
#define MAX_TARGETS	8		/* -x ids */
#define RETRY_S		0.1		/* a slot reopens after this */
#define TAKE_PAUSE_S	0.2		/* between two takeover attempts */
#define TAKE_GIVEUP_S	30.0		/* an attempt without an outcome */
#define HEALTH_EVERY_S	0.1
#define HEALTH_SLOW_MS	1000.0		/* a probe slower than this failed */
#define HEALTH_GIVEUP_S	5.0
#define SLOW_CHUNK	16384		/* slow readers: bytes per read */
#define SLOW_EVERY_S	0.1
#define VICTIM_GRACE_S	5.0		/* for the last verdict at the end */

/* Endings that are not close codes (count_end). */
#define END_EOF		0		/* dropped without a close frame */
#define END_ERROR	1		/* an error reply, no close */
#define END_TIMEOUT	2		/* no outcome in time */
#define END_ACCEPTED	3		/* ready or a verdict */

enum kind { K_HEAVY, K_INRANGE, K_BARE, K_IDLE, K_FRAG, K_READ, K_TAKE,
	K_STREAM, K_HEALTH, KINDS };

static const char *const kind_name[KINDS] = { "hostile_hello",
	"inrange_hello", "bare_upgrade", "idle_socket", "fragment",
	"large_read", "takeover", "stream", "healthz" };

enum state {
	C_WAIT,			/* closed, reopens at t_next */
	C_CONNECTING,
	C_UPGRADE,		/* reading the 101 */
	C_READY,		/* hello sent, waiting for ready or a verdict */
	C_OPEN,			/* WebSocket open */
	C_HTTP,			/* reading an HTTP response */
	C_HOLD			/* connected, sending nothing */
};

struct conn {
	int	 fd;
	enum kind kind;
	enum state st;
	uint32_t slot;
	uint32_t serial;		/* connections this slot opened */
	uint32_t mask;
	struct wsc_buf in, out;		/* in: from in.p, off unused */
	double	 t_open, t_next;	/* opened; next action or reopening */
	int	 variant;		/* takeover: 0 URL, 1 protocol 2;
					 * read: 1 slow */
	const char *target;		/* takeover: the id */
	int64_t	 next_seq;
	int	 inflight;		/* stream, in range: messages out */
	double	 t_sent;
	int	 status;		/* HTTP status of the response */
	size_t	 body, clen;		/* HTTP: body bytes, Content-Length */
	int	 chunked, head_done;
	char	 tail[5];		/* the last bytes of a chunked body */
	int	 counted;		/* its ending is counted */
};

struct kstat {
	uint64_t opened, accepted, failed_connect;
	int	 code[MAX_CODES];
	uint64_t code_n[MAX_CODES];
	int	 ncodes;
};

struct opts {
	const char *host;
	int	 port;
	double	 seconds;
	long	 pid;
	uint32_t naddr;
	uint32_t n[KINDS];
	const char *heavy_params, *inrange_params;
	uint32_t inrange_window, inrange_batch;
	size_t	 frag_bytes;
	const char *read_id;
	const char *stream_id;
	double	 stream_rate;
	uint32_t stream_window;
	const char *targets[MAX_TARGETS];
	int	 ntargets;
	int	 verbose;
};

struct siege {
	struct opts o;
	struct conn *c;
	uint32_t nc;
	struct pollfd *pfd;
	uint32_t *pfd_conn;
	struct kstat ks[KINDS];
	struct sockaddr_in addr;
	double	 t_start, t_end;
	int	 stopping;
	/* the stream */
	uint64_t sent, received, errors, point_i;
	struct wsc_hist lat;
	/* /healthz */
	uint64_t probes, probes_failed;
	double	 probe_max_ms;
	/* takeovers and other figures */
	uint64_t take_tried, take_ok;
	uint64_t replaced;		/* the stream closed with 4002 */
	uint64_t inrange_verdicts, read_bytes, reads_done;
	uint64_t reads_cut;		/* 200, then dropped before the end */
	uint64_t frags_sent;
	double	 rss_max_kb, rss_first_kb, t_rss;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: siege -p PORT -t SECONDS [-h HOST] [-P PID] [-a ADDRS]\n"
	    "             [-H N] [-X PARAMS] [-L N] [-Y PARAMS] [-y WINDOW] "
	    "[-b POINTS]\n"
	    "             [-U N] [-I N] [-F N] [-f BYTES] [-R N] [-r ID] "
	    "[-K N] [-x ID]...\n"
	    "             [-s ID] [-S RATE] [-w WINDOW] [-v]\n");
	exit(2);
}

/* Drops the first n bytes of b. */
static void
buf_eat(struct wsc_buf *b, size_t n)
{
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

/* Queues a masked frame (opcode op, FIN when fin) holding p[0..len). */
static void
ws_frame(struct conn *c, int op, int fin, const char *p, size_t len)
{
	wsc_must(wsc_frame(&c->out, &c->mask, op, fin, p, len));
}

/* Counts one ending of a connection of c's kind (once per connection): a
 * close code, an HTTP status as -status, or an END_ value. */
static void
count_end(struct siege *s, struct conn *c, int code)
{
	struct kstat *k = &s->ks[c->kind];
	int i;

	if (c->counted)
		return;
	c->counted = 1;
	for (i = 0; i < k->ncodes; i++)
		if (k->code[i] == code)
			break;
	if (i == k->ncodes) {
		if (k->ncodes == MAX_CODES)
			i = MAX_CODES - 1;	/* the last one takes the rest */
		else
			k->code[k->ncodes++] = code;
	}
	k->code_n[i]++;
}

/* Closes c's socket; it reopens after pause seconds (never, after the
 * end, but for the stream in its grace). */
static void
drop(struct siege *s, struct conn *c, double pause)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->st = C_WAIT;
	c->in.len = 0;
	c->out.len = c->out.off = 0;
	c->t_next = clock_mono_s() + pause;
	if (c->kind == K_STREAM && c->inflight) {
		c->inflight = 0;	/* its verdict is lost */
	}
	(void)s;
}

/* Ends c with code (counted) and schedules the slot's next connection. */
static void
end(struct siege *s, struct conn *c, int code)
{
	count_end(s, c, code);
	if (s->o.verbose && c->kind != K_HEALTH && c->kind != K_READ)
		fprintf(stderr, "siege: %s %u ended: %d\n",
		    kind_name[c->kind], c->slot, code);
	drop(s, c, c->kind == K_TAKE ? TAKE_PAUSE_S : RETRY_S);
}

/* Starts a TCP connection for c, from a hostile source address unless it
 * is the stream or a probe. */
static void
open_conn(struct siege *s, struct conn *c)
{
	c->fd = wsc_socket();
	c->counted = 0;
	c->in.len = c->out.len = c->out.off = 0;
	c->status = 0;
	c->body = c->clen = 0;
	c->chunked = c->head_done = 0;
	memset(c->tail, 0, sizeof(c->tail));
	c->t_open = clock_mono_s();
	c->serial++;
	if (c->fd < 0) {
		s->ks[c->kind].failed_connect++;
		drop(s, c, 1);
		return;
	}
	if (c->kind == K_READ && c->variant) {
		int rcv = 4096;

		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	}
	if (s->o.naddr > 0 && c->kind != K_STREAM && c->kind != K_HEALTH) {
		struct sockaddr_in src = { .sin_family = AF_INET };

		src.sin_addr.s_addr = htonl(0x7f000101u +
		    c->slot % s->o.naddr);
		bind(c->fd, (struct sockaddr *)&src, sizeof(src));
	}
	s->ks[c->kind].opened++;
	if (c->kind == K_TAKE)
		s->take_tried++;
	if (wsc_connect(c->fd, &s->addr) < 0) {
		s->ks[c->kind].failed_connect++;
		drop(s, c, RETRY_S);
		return;
	}
	c->st = C_CONNECTING;
}

/* The request c sends once connected (none for an idle socket). */
static void
send_request(struct siege *s, struct conn *c)
{
	char path[512], req[1024];
	int len;

	switch (c->kind) {
	case K_IDLE:
		c->st = C_HOLD;
		return;
	case K_READ:
	case K_HEALTH:
		if (c->kind == K_READ)
			snprintf(path, sizeof(path), "/api/clients/%s/points"
			    "?limit=100000", s->o.read_id);
		else
			snprintf(path, sizeof(path), "/healthz");
		len = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n"
		    "Host: %s:%d\r\nConnection: close\r\n\r\n", path,
		    s->o.host, s->o.port);
		wsc_must(wsc_buf_add(&c->out, req, (size_t)len));
		c->st = C_HTTP;
		return;
	case K_FRAG:
		snprintf(path, sizeof(path), "/ws?client_id=sgf%u-%u&window=4"
		    "&version=2", c->slot, c->serial);
		break;
	case K_TAKE:
		if (c->variant == 0)
			snprintf(path, sizeof(path), "/ws?client_id=%s"
			    "&window=10", c->target);
		else
			snprintf(path, sizeof(path), "/ws");
		break;
	case K_STREAM:
		snprintf(path, sizeof(path), "/ws?client_id=%s&window=%u"
		    "&version=2", s->o.stream_id, s->o.stream_window);
		break;
	default:
		snprintf(path, sizeof(path), "/ws");
		break;
	}
	wsc_must(wsc_upgrade(&c->out, path, s->o.host, s->o.port));
	c->st = C_UPGRADE;
}

/* The value of the stream's point i: a seasonal series, no spikes. */
static double
point_value(uint64_t i)
{
	return 50 + 10 * sin(i / 20.0) + (double)(i * 7919 % 13) / 4;
}

/* Sends the stream's next point. */
static void
stream_send(struct siege *s, struct conn *c)
{
	char msg[160];
	int len;
	uint64_t i = s->point_i++;

	len = snprintf(msg, sizeof(msg), "{\"seq\":%lld,\"timestamp\":%llu,"
	    "\"value\":%.3f}", (long long)c->next_seq++,
	    (unsigned long long)(1600000000 + 60 * i), point_value(i));
	ws_frame(c, 1, 1, msg, (size_t)len);
	c->inflight = 1;
	c->t_sent = clock_mono_s();
	s->sent++;
}

/* Sends a batch of points from an in-range client. */
static void
inrange_send(struct siege *s, struct conn *c)
{
	struct wsc_buf b = { 0 };
	char msg[128];
	uint32_t k;
	int len;

	wsc_must(wsc_buf_add(&b, "[", 1));
	for (k = 0; k < s->o.inrange_batch; k++) {
		int64_t q = c->next_seq++;

		len = snprintf(msg, sizeof(msg), "%s{\"seq\":%lld,"
		    "\"timestamp\":%lld,\"value\":%.3f}", k ? "," : "",
		    (long long)q, (long long)(1600000000 + 60 * q),
		    point_value((uint64_t)q));
		wsc_must(wsc_buf_add(&b, msg, (size_t)len));
	}
	wsc_must(wsc_buf_add(&b, "]", 1));
	ws_frame(c, 1, 1, b.p, b.len);
	free(b.p);
	c->inflight++;
}

/* After the 101: what each kind does with an open WebSocket. */
static void
on_open(struct siege *s, struct conn *c)
{
	char msg[1024];
	int len;

	switch (c->kind) {
	case K_BARE:
		c->st = C_HOLD;
		break;
	case K_HEAVY:
	case K_INRANGE:
		len = snprintf(msg, sizeof(msg), "{\"client_id\":\"sg%c%u-%u\","
		    "\"window\":%u,\"version\":2,\"params\":%s}",
		    c->kind == K_HEAVY ? 'h' : 'l', c->slot, c->serial,
		    c->kind == K_HEAVY ? 4 : s->o.inrange_window,
		    c->kind == K_HEAVY ? s->o.heavy_params :
		    s->o.inrange_params);
		ws_frame(c, 1, 1, msg, (size_t)len);
		c->st = C_READY;
		break;
	case K_TAKE:
		if (c->variant == 0) {
			len = snprintf(msg, sizeof(msg), "{\"timestamp\":%lld,"
			    "\"value\":1}", (long long)(1600000000 +
			    60 * (int64_t)s->take_tried));
		} else
			len = snprintf(msg, sizeof(msg), "{\"client_id\":"
			    "\"%s\",\"window\":10,\"version\":2,\"vote\":"
			    "\"all\",\"params\":{\"zscore.k\":1e9}}",
			    c->target);
		ws_frame(c, 1, 1, msg, (size_t)len);
		c->st = C_READY;
		break;
	default:		/* the stream, fragments: ready comes */
		c->st = C_READY;
		break;
	}
}

/* The last_seq of a ready message, 0 when none is there. */
static int64_t
ready_last_seq(const char *p, size_t len)
{
	char text[512], *q;

	snprintf(text, sizeof(text), "%.*s",
	    (int)(len < sizeof(text) ? len : sizeof(text) - 1), p);
	if ((q = strstr(text, "\"last_seq\"")) == NULL ||
	    (q = strchr(q, ':')) == NULL)
		return 0;
	return atoll(q + 1);
}

/* One text message from the server to c. */
static void
on_text(struct siege *s, struct conn *c, const char *p, size_t len)
{
	int ready = wsc_count(p, len, "\"ready\"") > 0;
	int verdict = wsc_count(p, len, "\"anomaly\"") > 0;

	switch (c->kind) {
	case K_HEAVY:
	case K_INRANGE:
		if (c->st == C_READY && ready) {
			s->ks[c->kind].accepted++;
			c->st = C_OPEN;
			c->next_seq = ready_last_seq(p, len) + 1;
			c->t_next = clock_mono_s() + 1;
		} else if (c->kind == K_INRANGE && c->inflight > 0) {
			c->inflight--;
			if (verdict)
				s->inrange_verdicts += s->o.inrange_batch;
		}
		break;
	case K_FRAG:
		if (c->st == C_READY && ready) {
			size_t n = s->o.frag_bytes;
			char *f = malloc(n);

			if (f == NULL)
				break;
			memset(f, ' ', n);
			f[0] = '[';
			ws_frame(c, 1, 0, f, n);
			free(f);
			s->ks[c->kind].accepted++;
			s->frags_sent++;
			c->st = C_HOLD;
		}
		break;
	case K_TAKE:
		if (c->st != C_READY)
			break;
		if ((c->variant == 0 && verdict) || (c->variant == 1 && ready)) {
			s->take_ok++;
			s->ks[c->kind].accepted++;
			count_end(s, c, END_ACCEPTED);
			if (s->o.verbose)
				fprintf(stderr, "siege: takeover of %s "
				    "succeeded: %.*s\n", c->target,
				    (int)(len > 120 ? 120 : len), p);
			ws_frame(c, 8, 1, "\x03\xe8", 2);
			c->st = C_HOLD;
			c->t_next = clock_mono_s() + 0.05;
		} else {
			/* an error reply: refused without a close */
			count_end(s, c, END_ERROR);
			ws_frame(c, 8, 1, "\x03\xe8", 2);
			c->st = C_HOLD;
			c->t_next = clock_mono_s() + 0.05;
		}
		break;
	case K_STREAM:
		if (c->st == C_READY && ready) {
			c->st = C_OPEN;
			c->next_seq = ready_last_seq(p, len) + 1;
			c->t_next = clock_mono_s();
			s->ks[c->kind].accepted++;
			break;
		}
		if (c->inflight) {
			c->inflight = 0;
			if (verdict) {
				s->received++;
				wsc_hist_add(&s->lat,
				    clock_mono_s() - c->t_sent, 1);
			} else {
				s->errors++;
				if (s->o.verbose)
					fprintf(stderr, "siege: stream: %.*s\n",
					    (int)(len > 200 ? 200 : len), p);
			}
		}
		break;
	default:
		break;
	}
}

/* Parses the frames in c's input; returns -1 when c was ended. */
static int
on_frames(struct siege *s, struct conn *c)
{
	unsigned char *p;
	struct wsc_head f;
	size_t hl, plen, used = 0;

	for (;;) {
		p = (unsigned char *)c->in.p + used;
		if (wsc_frame_head(p, c->in.len - used, &f) < 2)
			break;
		hl = f.head;
		plen = f.len;
		used += hl + plen;
		if (f.op == 0x8) {
			int code = plen >= 2 ? p[hl] << 8 | p[hl + 1] : 1005;

			if (c->kind == K_STREAM && code == 4002)
				s->replaced++;
			if (s->o.verbose && plen > 2)
				fprintf(stderr, "siege: %s %u closed: %d %.*s\n",
				    kind_name[c->kind], c->slot, code,
				    (int)(plen - 2), (char *)p + hl + 2);
			end(s, c, code);
			return -1;
		}
		if (f.op == 0x9) {
			if (c->kind != K_BARE)
				ws_frame(c, 0xA, 1, (char *)p + hl, plen);
			continue;
		}
		if (f.op == 0x1)
			on_text(s, c, (char *)p + hl, plen);
		if (c->fd < 0)
			return -1;
	}
	buf_eat(&c->in, used);
	return 0;
}

/* Looks for a header's value in the head h (lower-case name given). */
static const char *
header(const char *h, const char *name)
{
	const char *q = h;
	size_t nl = strlen(name);

	while ((q = strstr(q, "\r\n")) != NULL) {
		q += 2;
		if (strncasecmp(q, name, nl) == 0 && q[nl] == ':')
			return q + nl + 1;
	}
	return NULL;
}

/* Reads the head of an HTTP response in c's input; returns 1 when it is
 * all there (taken out of the input), 0 when more must come. */
static int
http_head(struct conn *c)
{
	char *e;
	const char *v;
	size_t hl;

	wsc_must(wsc_buf_add(&c->in, "", 1));	/* ends the search */
	c->in.len--;
	if ((e = strstr(c->in.p, "\r\n\r\n")) == NULL)
		return 0;
	hl = (size_t)(e + 4 - c->in.p);
	*e = '\0';
	c->status = strncmp(c->in.p, "HTTP/1.", 7) == 0 && c->in.len > 12 ?
	    atoi(c->in.p + 9) : 999;
	if ((v = header(c->in.p, "content-length")) != NULL)
		c->clen = strtoul(v, NULL, 10);
	else
		c->clen = (size_t)-1;
	if ((v = header(c->in.p, "transfer-encoding")) != NULL &&
	    strstr(v, "chunked") != NULL)
		c->chunked = 1;
	buf_eat(&c->in, hl);
	c->head_done = 1;
	return 1;
}

/* Whether the response c reads is complete. */
static int
http_complete(const struct conn *c)
{
	if (!c->head_done)
		return 0;
	if (c->chunked)
		return memcmp(c->tail, "0\r\n\r\n", 5) == 0;
	return c->clen != (size_t)-1 && c->body >= c->clen;
}

/* An HTTP response has ended (complete or eof): counts it. */
static void
http_done(struct siege *s, struct conn *c, int complete)
{
	double ms = (clock_mono_s() - c->t_open) * 1000;

	if (c->kind == K_HEALTH) {
		int good = complete && c->status == 200 && c->in.len >= 2 &&
		    memcmp(c->in.p, "ok", 2) == 0 && ms <= HEALTH_SLOW_MS;

		s->probes++;
		if (!good) {
			s->probes_failed++;
			if (s->o.verbose)
				fprintf(stderr, "siege: /healthz failed: "
				    "status %d, %.0f ms\n", c->status, ms);
		}
		if (ms > s->probe_max_ms)
			s->probe_max_ms = ms;
		count_end(s, c, complete ? -c->status : 0);
		drop(s, c, 0);
		c->t_next = c->t_open + HEALTH_EVERY_S;
		return;
	}
	if (complete && c->status == 200) {
		s->reads_done++;
		s->ks[c->kind].accepted++;
	} else if (c->head_done && c->status == 200)
		s->reads_cut++;
	s->read_bytes += c->body;
	count_end(s, c, complete || c->head_done ? -c->status : 0);
	drop(s, c, 0.02);
}

/* Takes n new body bytes at p for c. */
static void
http_body(struct conn *c, const char *p, size_t n)
{
	size_t k;

	c->body += n;
	if (c->kind == K_HEALTH && c->in.len < 16)
		wsc_must(wsc_buf_add(&c->in, p, n < 16 ? n : 16));
	if (n >= 5)
		memcpy(c->tail, p + n - 5, 5);
	else
		for (k = 0; k < n; k++) {
			memmove(c->tail, c->tail + 1, 4);
			c->tail[4] = p[k];
		}
}

/* Reads what c's socket has; handles it by c's state. */
static void
on_readable(struct siege *s, struct conn *c)
{
	static char tmp[65536];
	size_t want = sizeof(tmp);
	ssize_t got;

	if (c->kind == K_READ && c->variant)
		want = SLOW_CHUNK;
	for (;;) {
		got = recv(c->fd, tmp, want, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (got <= 0) {
			if (c->st == C_HTTP)
				http_done(s, c, http_complete(c) ||
				    (c->head_done && c->clen == (size_t)-1 &&
				    !c->chunked));
			else if (c->kind == K_IDLE && c->in.len > 12 &&
			    memcmp(c->in.p, "HTTP/1.", 7) == 0)
				end(s, c, -atoi(c->in.p + 9));
			else
				end(s, c, END_EOF);
			return;
		}
		if (c->kind == K_IDLE) {
			if (c->in.len < 64)
				wsc_must(wsc_buf_add(&c->in, tmp, (size_t)got));
			continue;
		}
		if (c->st == C_HTTP) {
			if (!c->head_done) {
				wsc_must(wsc_buf_add(&c->in, tmp, (size_t)got));
				if (!http_head(c))
					continue;
				/* what followed the head is body */
				{
					size_t n = c->in.len;
					char *b = malloc(n + 1);

					if (b == NULL)
						exit(1);
					memcpy(b, c->in.p, n);
					c->in.len = 0;
					http_body(c, b, n);
					free(b);
				}
			} else
				http_body(c, tmp, (size_t)got);
			if (http_complete(c)) {
				http_done(s, c, 1);
				return;
			}
		} else {
			wsc_must(wsc_buf_add(&c->in, tmp, (size_t)got));
			if (c->st == C_UPGRADE) {
				size_t hl;
				int up;

				/* a terminator for atoi */
				wsc_must(wsc_buf_add(&c->in, "", 1));
				c->in.len--;
				up = wsc_upgrade_reply(c->in.p, c->in.len, &hl);
				if (up == 0)
					continue;
				if (up < 0) {
					end(s, c, -atoi(c->in.p + 9));
					return;
				}
				buf_eat(&c->in, hl);
				on_open(s, c);
			}
			if (on_frames(s, c) < 0)
				return;
		}
		if (c->kind == K_READ && c->variant) {
			c->t_next = clock_mono_s() + SLOW_EVERY_S;
			return;
		}
		if ((size_t)got < want)
			return;
	}
}

/* Writes what c has queued; returns -1 when the connection failed. */
static int
flush(struct conn *c)
{
	return wsc_flush(c->fd, &c->out);
}

/* The timed actions of c: reopening, pacing, giving up on a probe. */
static void
on_time(struct siege *s, struct conn *c, double now)
{
	if (c->st == C_WAIT) {
		if (now < c->t_next)
			return;
		if (s->stopping && !(c->kind == K_STREAM && c->inflight))
			return;
		if (c->kind == K_TAKE)
			c->variant = !c->variant;
		open_conn(s, c);
		return;
	}
	switch (c->kind) {
	case K_HEALTH:
		if (now - c->t_open > HEALTH_GIVEUP_S)
			http_done(s, c, 0);
		break;
	case K_TAKE:
		/* after the outcome, or when nothing came in 5 s */
		if ((c->st == C_HOLD && now >= c->t_next) ||
		    now - c->t_open > TAKE_GIVEUP_S) {
			count_end(s, c, END_TIMEOUT);
			drop(s, c, TAKE_PAUSE_S);
		}
		break;
	case K_STREAM:
		if (c->st == C_OPEN && !c->inflight && !s->stopping &&
		    now >= c->t_next) {
			stream_send(s, c);
			c->t_next += 1 / s->o.stream_rate;
			if (c->t_next < now)
				c->t_next = now;
		}
		break;
	case K_INRANGE:
		if (c->st == C_OPEN && now >= c->t_next && c->inflight < 4 &&
		    s->o.inrange_batch > 0) {
			inrange_send(s, c);
			c->t_next = now + 1;
		}
		break;
	default:
		break;
	}
}

/* anomalyd's VmRSS in KiB, -1 when it cannot be read. */
static double
rss_kb(long pid)
{
	char path[64], line[256];
	double kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0) {
			kb = atof(line + 6);
			break;
		}
	fclose(f);
	return kb;
}

static void
parse_args(struct opts *o, int argc, char **argv)
{
	int ch;

	*o = (struct opts){ .host = "127.0.0.1", .naddr = 8,
	    .heavy_params = "{\"iforest.trees\":1000,\"iforest.sample\":4096,"
	    "\"ma.m\":10000000}",
	    .inrange_params = "{\"iforest.trees\":200,\"iforest.sample\":512,"
	    "\"ma.m\":50}",
	    .inrange_window = 1000, .inrange_batch = 100,
	    .frag_bytes = 900000, .read_id = "big",
	    .stream_id = "siege-stream", .stream_rate = 20,
	    .stream_window = 100 };
	while ((ch = getopt(argc, argv,
	    "h:p:t:P:a:H:X:L:Y:y:b:U:I:F:f:R:r:K:x:s:S:w:v")) != -1) {
		switch (ch) {
		case 'h': o->host = optarg; break;
		case 'p': o->port = (int)wsc_arg(optarg, "port"); break;
		case 't': o->seconds = wsc_arg(optarg, "seconds"); break;
		case 'P': o->pid = (long)wsc_arg(optarg, "pid"); break;
		case 'a': o->naddr = (uint32_t)wsc_arg(optarg, "addresses");
			break;
		case 'H': o->n[K_HEAVY] = (uint32_t)wsc_arg(optarg, "count");
			break;
		case 'X': o->heavy_params = optarg; break;
		case 'L': o->n[K_INRANGE] = (uint32_t)wsc_arg(optarg, "count");
			break;
		case 'Y': o->inrange_params = optarg; break;
		case 'y': o->inrange_window = (uint32_t)wsc_arg(optarg,
			    "window"); break;
		case 'b': o->inrange_batch = (uint32_t)wsc_arg(optarg,
			    "batch"); break;
		case 'U': o->n[K_BARE] = (uint32_t)wsc_arg(optarg, "count");
			break;
		case 'I': o->n[K_IDLE] = (uint32_t)wsc_arg(optarg, "count");
			break;
		case 'F': o->n[K_FRAG] = (uint32_t)wsc_arg(optarg, "count");
			break;
		case 'f': o->frag_bytes = (size_t)wsc_arg(optarg, "bytes");
			break;
		case 'R': o->n[K_READ] = (uint32_t)wsc_arg(optarg, "count");
			break;
		case 'r': o->read_id = optarg; break;
		case 'K': o->n[K_TAKE] = (uint32_t)wsc_arg(optarg, "count");
			break;
		case 'x':
			if (o->ntargets == MAX_TARGETS)
				usage();
			o->targets[o->ntargets++] = optarg;
			break;
		case 's': o->stream_id = optarg; break;
		case 'S': o->stream_rate = wsc_arg(optarg, "rate"); break;
		case 'w': o->stream_window = (uint32_t)wsc_arg(optarg,
			    "window"); break;
		case 'v': o->verbose = 1; break;
		default: usage();
		}
	}
	if (optind != argc || o->port <= 0 || o->seconds <= 0 ||
	    o->frag_bytes < 2 || o->naddr > 65000)
		usage();
	o->n[K_STREAM] = o->stream_rate > 0;
	o->n[K_HEALTH] = 1;
}

/* Prints "PREFIX_code_C N" for each ending counted for kind k. */
static void
print_codes(const struct siege *s, enum kind k)
{
	const struct kstat *ks = &s->ks[k];
	int i;

	static const char *const special[] = { "eof", "error_reply",
		"timeout", "accepted" };

	for (i = 0; i < ks->ncodes; i++) {
		if (ks->code[i] >= END_EOF && ks->code[i] <= END_ACCEPTED)
			printf("%s_%s %llu\n", kind_name[k],
			    special[ks->code[i]],
			    (unsigned long long)ks->code_n[i]);
		else if (ks->code[i] < 0)
			printf("%s_http_%d %llu\n", kind_name[k], -ks->code[i],
			    (unsigned long long)ks->code_n[i]);
		else
			printf("%s_code_%d %llu\n", kind_name[k], ks->code[i],
			    (unsigned long long)ks->code_n[i]);
	}
}

static void
report(const struct siege *s)
{
	int k;

	printf("seconds %.1f\n", clock_mono_s() - s->t_start);
	printf("verdicts_sent %llu\nverdicts_received %llu\n"
	    "stream_errors %llu\n", (unsigned long long)s->sent,
	    (unsigned long long)s->received, (unsigned long long)s->errors);
	printf("latency_p50_ms %.3f\nlatency_p99_ms %.3f\n"
	    "latency_max_ms %.3f\n", wsc_hist_quantile(&s->lat, 0.5),
	    wsc_hist_quantile(&s->lat, 0.99), s->lat.max * 1000);
	printf("stream_connects %llu\n",
	    (unsigned long long)s->ks[K_STREAM].opened);
	print_codes(s, K_STREAM);
	printf("healthz_probes %llu\nhealthz_failed %llu\n"
	    "healthz_max_ms %.1f\n", (unsigned long long)s->probes,
	    (unsigned long long)s->probes_failed, s->probe_max_ms);
	if (s->o.pid > 0)
		printf("rss_start_mb %.1f\nrss_max_mb %.1f\n",
		    s->rss_first_kb / 1024, s->rss_max_kb / 1024);
	printf("stream_replaced %llu\n", (unsigned long long)s->replaced);
	printf("takeovers_tried %llu\ntakeovers_succeeded %llu\n",
	    (unsigned long long)s->take_tried, (unsigned long long)s->take_ok);
	print_codes(s, K_TAKE);
	for (k = K_HEAVY; k <= K_READ; k++) {
		if (s->o.n[k] == 0)
			continue;
		printf("%s_slots %u\n%s_opened %llu\n", kind_name[k],
		    s->o.n[k], kind_name[k],
		    (unsigned long long)s->ks[k].opened);
		if (k == K_HEAVY || k == K_INRANGE || k == K_FRAG ||
		    k == K_READ)
			printf("%s_accepted %llu\n", kind_name[k],
			    (unsigned long long)s->ks[k].accepted);
		if (s->ks[k].failed_connect)
			printf("%s_connect_failed %llu\n", kind_name[k],
			    (unsigned long long)s->ks[k].failed_connect);
		print_codes(s, (enum kind)k);
	}
	if (s->o.n[K_INRANGE])
		printf("inrange_verdicts %llu\n",
		    (unsigned long long)s->inrange_verdicts);
	if (s->o.n[K_READ])
		printf("large_read_truncated %llu\nlarge_read_mb %.1f\n",
		    (unsigned long long)s->reads_cut,
		    s->read_bytes / 1048576.0);
}

int
main(int argc, char **argv)
{
	struct siege *s;
	uint32_t i, k, n, t;
	double now, r;
	int reached = 0, started = 0;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return 1;
	wsc_name("siege");
	parse_args(&s->o, argc, argv);
	wsc_start(&s->addr, s->o.host, s->o.port);
	for (k = 0; k < KINDS; k++)
		s->nc += s->o.n[k];
	s->c = calloc(s->nc, sizeof(*s->c));
	s->pfd = calloc(s->nc, sizeof(*s->pfd));
	s->pfd_conn = calloc(s->nc, sizeof(*s->pfd_conn));
	if (s->c == NULL || s->pfd == NULL || s->pfd_conn == NULL)
		return 1;
	/* the stream and the probe first, then the hostile kinds */
	n = 0;
	for (t = 0; t < KINDS; t++) {
		k = (t + K_STREAM) % KINDS;
		for (i = 0; i < s->o.n[k]; i++, n++) {
			struct conn *c = &s->c[n];

			c->fd = -1;
			c->kind = (enum kind)k;
			c->slot = i;
			c->mask = n * 2654435761u + 7;
			c->variant = k == K_READ ? (int)(i & 1) :
			    k == K_TAKE ? (int)(i & 1) : 0;
			if (k == K_TAKE)
				c->target = s->o.stream_rate > 0 &&
				    (s->o.ntargets == 0 ||
				    i % (s->o.ntargets + 1) == 0) ?
				    s->o.stream_id :
				    s->o.targets[i % (s->o.ntargets + 1) -
				    (s->o.stream_rate > 0 ? 1 : 0)];
			/* hostile ones start after the stream's first ready,
			 * spread over a second */
			c->t_next = k == K_STREAM || k == K_HEALTH ? 0 :
			    1e18;
		}
	}
	if (s->o.n[K_TAKE] && s->o.stream_rate <= 0 && s->o.ntargets == 0) {
		fprintf(stderr, "siege: -K needs the stream or a -x ID\n");
		return 2;
	}
	s->t_start = clock_mono_s();
	s->t_end = s->t_start + s->o.seconds;
	s->t_rss = 0;
	for (;;) {
		now = clock_mono_s();
		if (!s->stopping && (now >= s->t_end || wsc_stopped())) {
			s->stopping = 1;
			for (i = 0; i < s->nc; i++)
				if (s->c[i].kind != K_STREAM ||
				    !s->c[i].inflight)
					drop(s, &s->c[i], 0);
		}
		if (s->stopping) {
			int busy = 0;

			for (i = 0; i < s->nc; i++)
				if (s->c[i].kind == K_STREAM &&
				    s->c[i].inflight && s->c[i].fd >= 0)
					busy = 1;
			if (!busy || now >= s->t_end + VICTIM_GRACE_S ||
			    wsc_stopped() > 1)
				break;
		}
		/* the hostile load starts once the stream is ready (its id
		 * claimed first), or at once without a stream */
		if (!started) {
			int go = s->o.stream_rate <= 0 ||
			    s->ks[K_STREAM].accepted > 0 ||
			    now - s->t_start > 5;

			for (i = 0; go && i < s->nc; i++)
				if (s->c[i].t_next == 1e18)
					s->c[i].t_next = now + (double)i /
					    s->nc;
			started = go;
		}
		if (s->o.pid > 0 && now - s->t_rss >= 0.1) {
			s->t_rss = now;
			if ((r = rss_kb(s->o.pid)) >= 0) {
				if (s->rss_first_kb == 0)
					s->rss_first_kb = r;
				if (r > s->rss_max_kb)
					s->rss_max_kb = r;
			}
		}
		n = 0;
		for (i = 0; i < s->nc; i++) {
			struct conn *c = &s->c[i];
			short ev = 0;

			on_time(s, c, now);
			if (c->fd < 0)
				continue;
			if (c->st == C_CONNECTING || c->out.len > c->out.off)
				ev |= POLLOUT;
			if (c->st != C_CONNECTING && !(c->kind == K_READ &&
			    c->variant && now < c->t_next))
				ev |= POLLIN;
			if (c->kind == K_IDLE && c->st == C_HOLD)
				ev = POLLIN;
			s->pfd[n] = (struct pollfd){ .fd = c->fd, .events = ev };
			s->pfd_conn[n++] = i;
		}
		if (poll(s->pfd, n, 10) < 0 && errno != EINTR) {
			perror("siege: poll");
			break;
		}
		for (i = 0; i < n; i++) {
			struct conn *c = &s->c[s->pfd_conn[i]];
			short re = s->pfd[i].revents;

			if (re == 0 || c->fd != s->pfd[i].fd)
				continue;
			if (c->st == C_CONNECTING) {
				if (wsc_connect_error(c->fd) != 0) {
					s->ks[c->kind].failed_connect++;
					if (c->kind == K_HEALTH)
						http_done(s, c, 0);
					else
						drop(s, c, RETRY_S);
					continue;
				}
				if (!(re & POLLOUT))
					continue;
				reached = 1;
				send_request(s, c);
			}
			if ((re & POLLOUT) && flush(c) < 0) {
				if (c->st == C_HTTP)
					http_done(s, c, 0);
				else
					end(s, c, END_EOF);
				continue;
			}
			if (re & (POLLIN | POLLHUP | POLLERR))
				on_readable(s, c);
			if (c->fd >= 0 && c->out.len > c->out.off &&
			    flush(c) < 0)
				end(s, c, END_EOF);
		}
	}
	report(s);
	for (i = 0; i < s->nc; i++) {
		if (s->c[i].fd >= 0)
			close(s->c[i].fd);
		free(s->c[i].in.p);
		free(s->c[i].out.p);
	}
	free(s->c);
	free(s->pfd);
	free(s->pfd_conn);
	free(s);
	return reached ? 0 : 1;
}
