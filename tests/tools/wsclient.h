/*
 * wsclient: the pieces of a minimal WebSocket client (RFC 6455) that the
 * load tools share (loadgen, siege; not installed): a growable byte
 * buffer, the upgrade request and the reading of its response, masked
 * frames out, frame headers in, non-blocking TCP connections, a latency
 * histogram, and the setup of a tool's process (signals, descriptors,
 * numbers on the command line).  Errors are returned, never printed,
 * but by wsc_must, wsc_arg and wsc_start: they are for a tool's own path,
 * and exit.
 */
#ifndef WSCLIENT_H
#define WSCLIENT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define WSC_HIST_BUCKETS	2400	/* latency histogram: 1% steps */

/* A byte buffer: the data is p[off..len), cap bytes are allocated. */
struct wsc_buf {
	char	*p;
	size_t	 len, cap, off;
};

/* Appends len bytes to b, growing it (moving its data to the start when
 * that makes room).  Returns 0, or -1 when memory ran out (b unchanged). */
int	wsc_buf_add(struct wsc_buf *b, const void *p, size_t len);

/* Frees what b holds and leaves it empty. */
void	wsc_buf_free(struct wsc_buf *b);

/* Writes b's data to the socket fd until it is all written or the socket
 * would block; empties b when all is written.  Returns 0, or -1 when the
 * connection failed (errno says why). */
int	wsc_flush(int fd, struct wsc_buf *b);

/* Queues on out a client frame: opcode op, FIN when fin, payload
 * p[0..len) masked with the next key of the generator *mask (a zero key
 * when mask is NULL, so the payload goes as is).  Returns 0, or -1 when
 * memory ran out. */
int	wsc_frame(struct wsc_buf *out, uint32_t *mask, int op, int fin,
	    const void *p, size_t len);

/* The header of a frame from the server. */
struct wsc_head {
	int	 fin, op, masked;
	size_t	 head;			/* header bytes (with a mask key) */
	size_t	 len;			/* payload bytes */
};

/* Reads the header of the frame at p[0..avail) into h.  Returns 0 when
 * the header is not all there, 1 when it is but not the whole payload, 2
 * when the whole frame is (its payload at p + h->head). */
int	wsc_frame_head(const void *p, size_t avail, struct wsc_head *h);

/* Queues on out the upgrade request of path (with its query) to
 * host:port.  Returns 0, or -1 when memory ran out or path is too long. */
int	wsc_upgrade(struct wsc_buf *out, const char *path, const char *host,
	    int port);

/* Looks at the response to an upgrade at p[0..len).  Returns 0 when its
 * head is not all there, 1 when it is a 101, -1 when it is another
 * status; *head is then the length of the head (through the blank line). */
int	wsc_upgrade_reply(const char *p, size_t len, size_t *head);

/* How many times needle stands in p[0..len). */
uint32_t wsc_count(const char *p, size_t len, const char *needle);

/* Returns a non-blocking TCP socket without Nagle's delay, or -1 (errno
 * says why). */
int	wsc_socket(void);

/* Starts the connection of the socket fd to *to.  Returns 0 when it is
 * under way or done, -1 when it failed (errno says why). */
int	wsc_connect(int fd, const struct sockaddr_in *to);

/* The error that ended the connection under way on fd, 0 when none. */
int	wsc_connect_error(int fd);

/* The start of a tool, once its options are read: raises its limit of
 * open descriptors to the hard limit, catches SIGTERM and SIGINT (see
 * wsc_stopped), ignores SIGPIPE, and sets *a to host (IPv4, dotted) and
 * port; prints "NAME: not an IPv4 address: HOST" on stderr and exits 2
 * when host is not one. */
void	wsc_start(struct sockaddr_in *a, const char *host, int port);

/* 1 once SIGTERM or SIGINT came (after wsc_start), else 0. */
int	wsc_stopped(void);

/* Names the tool in the messages of wsc_must and wsc_arg ("wsclient"
 * until then). */
void	wsc_name(const char *name);

/* Returns when r >= 0; else (a function above ran out of memory) prints
 * "NAME: out of memory" on stderr and exits 1. */
void	wsc_must(int r);

/* The non-negative number s (all of it), the value of the option what;
 * prints "NAME: bad WHAT: S" on stderr and exits 2 when s is not one. */
double	wsc_arg(const char *s, const char *what);

/* Latencies: counts per 1% step of microseconds, and the largest. */
struct wsc_hist {
	uint64_t n[WSC_HIST_BUCKETS];
	double	 max;			/* seconds */
};

/* Counts n answers of latency lat seconds in h. */
void	wsc_hist_add(struct wsc_hist *h, double lat, uint64_t n);

/* The latency in ms below which a fraction q of the answers in h came (to
 * 1%, never above the largest); 0 when h is empty. */
double	wsc_hist_quantile(const struct wsc_hist *h, double q);

#endif
