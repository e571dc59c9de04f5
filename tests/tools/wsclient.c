/*
 * wsclient: the pieces of a minimal WebSocket client that loadgen and
 * siege share; the interface and its promises are in wsclient.h.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wsclient.h"

static volatile sig_atomic_t stopped;
static const char *tool = "wsclient";

int
wsc_buf_add(struct wsc_buf *b, const void *p, size_t len)
{
	size_t cap;
	char *np;

	if (b->off > 0 && b->off == b->len)
		b->off = b->len = 0;
	if (b->len + len > b->cap) {
		if (b->off > 0) {
			memmove(b->p, b->p + b->off, b->len - b->off);
			b->len -= b->off;
			b->off = 0;
		}
		for (cap = b->cap; b->len + len > cap; )
			cap = cap ? 2 * cap : 4096;
		if (cap != b->cap) {
			if ((np = realloc(b->p, cap)) == NULL)
				return -1;
			b->p = np;
			b->cap = cap;
		}
	}
	if (len > 0)
		memcpy(b->p + b->len, p, len);
	b->len += len;
	return 0;
}

void
wsc_buf_free(struct wsc_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

int
wsc_flush(int fd, struct wsc_buf *b)
{
	ssize_t w;

	while (b->off < b->len) {
		w = send(fd, b->p + b->off, b->len - b->off, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		b->off += (size_t)w;
	}
	if (b->off == b->len)
		b->off = b->len = 0;
	return 0;
}

int
wsc_frame(struct wsc_buf *out, uint32_t *mask, int op, int fin,
    const void *p, size_t len)
{
	unsigned char h[14];
	size_t hl = 0, i, start;
	uint32_t m = 0;

	h[hl++] = (unsigned char)((fin ? 0x80 : 0) | op);
	if (len < 126)
		h[hl++] = (unsigned char)(0x80 | len);
	else if (len < 65536) {
		h[hl++] = 0x80 | 126;
		h[hl++] = (unsigned char)(len >> 8);
		h[hl++] = len & 0xff;
	} else {
		h[hl++] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			h[hl++] = (uint64_t)len >> (56 - 8 * i) & 0xff;
	}
	if (mask != NULL) {
		*mask = *mask * 1664525u + 1013904223u;
		m = *mask;
	}
	memcpy(h + hl, &m, 4);
	hl += 4;
	if (wsc_buf_add(out, h, hl) < 0)
		return -1;
	start = out->len;
	if (wsc_buf_add(out, p, len) < 0) {
		out->len -= hl;
		return -1;
	}
	if (m != 0)
		for (i = 0; i < len; i++)
			out->p[start + i] ^= h[hl - 4 + (i & 3)];
	return 0;
}

int
wsc_frame_head(const void *data, size_t avail, struct wsc_head *h)
{
	const unsigned char *p = data;
	size_t k;

	if (avail < 2)
		return 0;
	h->fin = (p[0] & 0x80) != 0;
	h->op = p[0] & 0x0f;
	h->masked = (p[1] & 0x80) != 0;
	h->len = p[1] & 0x7f;
	h->head = 2;
	if (h->len == 126) {
		if (avail < 4)
			return 0;
		h->len = (size_t)p[2] << 8 | p[3];
		h->head = 4;
	} else if (h->len == 127) {
		if (avail < 10)
			return 0;
		for (h->len = 0, k = 0; k < 8; k++)
			h->len = h->len << 8 | p[2 + k];
		h->head = 10;
	}
	if (h->masked)
		h->head += 4;
	if (avail < h->head)
		return 0;
	return avail - h->head < h->len ? 1 : 2;
}

int
wsc_upgrade(struct wsc_buf *out, const char *path, const char *host,
    int port)
{
	char req[2048];
	int len;

	len = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s:%d\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n", path, host, port);
	if (len < 0 || (size_t)len >= sizeof(req))
		return -1;
	return wsc_buf_add(out, req, (size_t)len);
}

int
wsc_upgrade_reply(const char *p, size_t len, size_t *head)
{
	size_t i;

	for (i = 0; i + 4 <= len; i++)
		if (memcmp(p + i, "\r\n\r\n", 4) == 0)
			break;
	if (i + 4 > len)
		return 0;
	*head = i + 4;
	if (*head < 12 || memcmp(p + 9, "101", 3) != 0)
		return -1;
	return 1;
}

uint32_t
wsc_count(const char *p, size_t len, const char *needle)
{
	size_t nl = strlen(needle), i;
	uint32_t n = 0;

	for (i = 0; i + nl <= len; i++)
		if (p[i] == needle[0] && memcmp(p + i, needle, nl) == 0)
			n++;
	return n;
}

int
wsc_socket(void)
{
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int
wsc_connect(int fd, const struct sockaddr_in *to)
{
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) < 0 &&
	    errno != EINPROGRESS)
		return -1;
	return 0;
}

int
wsc_connect_error(int fd)
{
	int err = 0;
	socklen_t el = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
		return errno;
	return err;
}

/* The handler of SIGTERM and SIGINT: notes that one came. */
static void
on_signal(int sig)
{
	(void)sig;
	stopped = 1;
}

void
wsc_start(struct sockaddr_in *a, const char *host, int port)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &a->sin_addr) != 1) {
		fprintf(stderr, "%s: not an IPv4 address: %s\n", tool, host);
		exit(2);
	}
}

int
wsc_stopped(void)
{
	return stopped != 0;
}

void
wsc_name(const char *name)
{
	tool = name;
}

void
wsc_must(int r)
{
	if (r < 0) {
		fprintf(stderr, "%s: out of memory\n", tool);
		exit(1);
	}
}

double
wsc_arg(const char *s, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < 0) {
		fprintf(stderr, "%s: bad %s: %s\n", tool, what, s);
		exit(2);
	}
	return v;
}

void
wsc_hist_add(struct wsc_hist *h, double lat, uint64_t n)
{
	double us = lat * 1e6;
	int k = us < 1 ? 0 : (int)(log(us) * 100);

	if (k >= WSC_HIST_BUCKETS)
		k = WSC_HIST_BUCKETS - 1;
	h->n[k] += n;
	if (lat > h->max)
		h->max = lat;
}

double
wsc_hist_quantile(const struct wsc_hist *h, double q)
{
	uint64_t total = 0, acc = 0;
	int k;

	for (k = 0; k < WSC_HIST_BUCKETS; k++)
		total += h->n[k];
	if (total == 0)
		return 0;
	for (k = 0; k < WSC_HIST_BUCKETS; k++) {
		acc += h->n[k];
		if (acc >= q * total)
			return fmin(exp((k + 1) / 100.0) / 1000, h->max * 1000);
	}
	return h->max * 1000;
}
