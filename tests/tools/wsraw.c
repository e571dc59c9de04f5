/*
 * wsraw: a raw WebSocket client (RFC 6455) for the integration tests.
 *
 * usage: wsraw [-t timeout_ms] host port [path] < script
 *
 * It reads a script from stdin, one command per line, and runs each line as
 * soon as it is read (a test may feed it through a pipe as it goes) against
 * ws://host:port/path; path is "/ws" unless given and may hold a query
 * string.  It sends exactly the bytes it is told to: no
 * Sec-WebSocket-Protocol header unless the script adds one, malformed frames
 * on request.  libc and POSIX sockets only; SHA-1 and base64 for the
 * handshake are here.
 *
 * Commands (blank lines and lines whose first non-blank is # are ignored;
 * TEXT is the rest of the line after the one blank that ends the previous
 * word, so it keeps further blanks):
 *   connect [NAME: VALUE [| NAME: VALUE]...]
 *		open TCP and send the upgrade request.  Extra headers are
 *		separated by "|"; one named like a default header (Host,
 *		Upgrade, Connection, Sec-WebSocket-Key, Sec-WebSocket-Version)
 *		replaces it, with an empty value it drops it.  Prints
 *		"connected" or "handshake failed: WHY", WHY being the status
 *		line (followed by the fault in parentheses when a 101 was
 *		wrong), "eof" or "timeout"; the script goes on either way.
 *   disconnect	close the TCP connection, no close frame
 *   path PATH	the path of the next connect
 *   headers	print the last handshake response: "status LINE", then
 *		"header NAME: VALUE" for each header
 *   send TEXT	a text frame
 *   sendhex HEX	a text frame, payload in hex (blanks ignored)
 *   sendbin HEX	a binary frame
 *   sendfrag N TEXT	TEXT in N fragments: text, continuations, FIN last
 *   sendbig N CHAR	a text frame of N copies of CHAR
 *   sendraw HEX	bytes on the socket as they are
 *   ping TEXT, pong TEXT	control frames (any length: no check)
 *   close [CODE [REASON]]	a close frame; without CODE an empty one
 *   autopong on|off	answer the server's pings (on) or let recv print them
 *   recv [MS]	wait for one message and print it (below)
 *   recvn N [MS]	N messages, each within MS; stops at timeout or eof
 *   expect SUBSTRING	recv; exit 1 unless the line printed holds SUBSTRING
 *   expectclose CODE	recv until a close frame; exit 1 unless its code
 *		is CODE (or on timeout or eof first)
 *   pipeline N TEMPLATE
 *		send N text frames made from TEMPLATE (each "%d" becomes
 *		1..N) as fast as the socket takes them while reading replies;
 *		print "received N" once N text messages came back.  Exit 1 on
 *		a close frame, eof, a binary message or 30 s without progress
 *   flood N MS TEMPLATE
 *		send up to N text frames made from TEMPLATE as pipeline does,
 *		reading nothing (a peer that stops reading); stop once the
 *		socket took nothing for MS; print "flooded K" (K frames
 *		written whole to the socket)
 *   source ADDR	the local IPv4 address of the next connect's socket
 *		(e.g. 127.0.0.7: a peer from another loopback address)
 *   rcvbuf BYTES	SO_RCVBUF of the next connect's socket (a small
 *		one makes a peer that does not read stall the server soon)
 *   timeout MS	default for recv, recvn, expect, expectclose and the
 *		handshake (5000, or -t)
 *   sleep MS	wait (the socket is still read and written meanwhile)
 *
 * What recv prints, one line each: "text PAYLOAD", "binary HEX",
 * "close CODE REASON" (CODE 1005 when the frame had none), "pong PAYLOAD",
 * "ping PAYLOAD" (autopong off only), "timeout", "eof"; the blank before an
 * empty payload or reason is left out.  Fragments are reassembled; pings are
 * answered with pongs; a close frame is answered with one of the same code.
 * A server frame that breaks RFC 6455 (masked, RSV bits, reserved opcode,
 * long or fragmented control frame, non-minimal length, invalid UTF-8 in a
 * text message or close reason, bad continuation) is fatal: exit 1.
 *
 * Exit status: 0 when the script ran to its end, 1 on a failed expect, a
 * connection error or a protocol violation, 2 on a usage or script error.
 * Errors go to stderr and name the script line.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

#define DEFAULT_TIMEOUT	5000		/* ms: recv, handshake */
#define IO_TIMEOUT	30000		/* ms idle at most: write, pipeline */
#define MAX_MESSAGE	((uint64_t)1 << 28)	/* largest message taken in */
#define MAX_RESPONSE	16384		/* largest handshake response head */
#define MAX_HEADERS	32		/* extra headers on a connect line */
#define PIPE_QUEUE	(256 * 1024)	/* pipeline: bytes queued at most */
#define READ_CHUNK	(256 * 1024)

#define WS_GUID		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

enum {
	OP_CONT = 0x0,
	OP_TEXT = 0x1,
	OP_BINARY = 0x2,
	OP_CLOSE = 0x8,
	OP_PING = 0x9,
	OP_PONG = 0xa
};

enum { GOT_MESSAGE, GOT_TIMEOUT, GOT_EOF };

struct buf {
	unsigned char	*p;
	size_t		 len;
	size_t		 cap;
};

struct message {
	int			 op;
	const unsigned char	*p;
	size_t			 len;
};

struct header {
	char	*name;
	char	*value;
	int	 used;
};

struct command {
	const char	*name;
	void		(*run)(char *);
};

static const char	*host, *port;
static char		*path;
static int		 timeout_ms = DEFAULT_TIMEOUT;
static unsigned long	 lineno;

static int		 sock = -1;
static struct buf	 in, out;	/* read, not yet parsed; to write */
static size_t		 inoff, outoff;
static int		 rd_eof, wr_dead, close_sent, autopong = 1;
static int		 rcvbuf;	/* SO_RCVBUF of the next socket, 0: the
					 * system's */
static struct sockaddr_in source;	/* its local address, if sin_family */
static int		 frag_op = -1;	/* opcode of the message in pieces */
static struct buf	 msg;		/* payload of the last data message */
static unsigned char	 ctl[125];	/* payload of the last control frame */
static struct buf	 response;	/* last handshake response head */
static struct buf	 scratch, line;
static uint64_t		 rng;

static _Noreturn void
die(int status, const char *fmt, va_list ap)
{
	char text[1024];

	vsnprintf(text, sizeof(text), fmt, ap);
	fflush(stdout);
	if (lineno > 0)
		errx(status, "line %lu: %s", lineno, text);
	errx(status, "%s", text);
}

/* A failed expectation, connection error or protocol violation: exit 1. */
static _Noreturn void
fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	die(1, fmt, ap);
}

/* A mistake in the script: exit 2. */
static _Noreturn void
syntax(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	die(2, fmt, ap);
}

static void
buf_reserve(struct buf *b, size_t n)
{
	unsigned char *p;
	size_t cap;

	if (b->cap - b->len >= n)
		return;
	cap = b->cap ? b->cap : 4096;
	while (cap - b->len < n) {
		if (cap > SIZE_MAX / 2)
			errx(1, "out of memory");
		cap *= 2;
	}
	if ((p = realloc(b->p, cap)) == NULL)
		err(1, NULL);
	b->p = p;
	b->cap = cap;
}

static void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	buf_reserve(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* Ends the contents with a NUL that len does not count. */
static char *
buf_cstr(struct buf *b)
{
	buf_reserve(b, 1);
	b->p[b->len] = '\0';
	return (char *)b->p;
}

static void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* xorshift64*, seeded from getentropy(): masks must vary, not be secret. */
static uint32_t
random32(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dULL) >> 32);
}

/*
 * SHA-1 (FIPS 180-4), only for Sec-WebSocket-Accept.
 */
#define ROL(x, n)	(((x) << (n)) | ((x) >> (32 - (n))))

static void
sha1_block(uint32_t h[5], const unsigned char *p)
{
	uint32_t w[80], a, b, c, d, e, f, k, t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 80; i++)
		w[i] = ROL(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = h[0];
	b = h[1];
	c = h[2];
	d = h[3];
	e = h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		t = ROL(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = ROL(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

static void
sha1(const void *data, size_t len, unsigned char digest[20])
{
	uint32_t h[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476,
	    0xc3d2e1f0 };
	const unsigned char *p = data;
	unsigned char last[128];
	uint64_t bits = (uint64_t)len * 8;
	size_t i, n;

	for (; len >= 64; p += 64, len -= 64)
		sha1_block(h, p);
	memset(last, 0, sizeof(last));
	if (len > 0)
		memcpy(last, p, len);
	last[len] = 0x80;
	n = len < 56 ? 64 : 128;
	for (i = 0; i < 8; i++)
		last[n - 1 - i] = (unsigned char)(bits >> (8 * i));
	sha1_block(h, last);
	if (n == 128)
		sha1_block(h, last + 64);
	for (i = 0; i < 20; i++)
		digest[i] = (unsigned char)(h[i / 4] >> (24 - 8 * (i % 4)));
}

/* Writes the base64 of p[0..n) and a NUL to dst, 4 * ((n + 2) / 3) + 1. */
static void
base64(const unsigned char *p, size_t n, char *dst)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t v;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*dst++ = tab[v >> 18];
		*dst++ = tab[(v >> 12) & 63];
		*dst++ = tab[(v >> 6) & 63];
		*dst++ = tab[v & 63];
	}
	if (i < n) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		*dst++ = tab[v >> 18];
		*dst++ = tab[(v >> 12) & 63];
		*dst++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		*dst++ = '=';
	}
	*dst = '\0';
}

static int
utf8_valid(const unsigned char *p, size_t n)
{
	uint32_t cp, min;
	size_t i, j, k;

	for (i = 0; i < n; i += k + 1) {
		if (p[i] < 0x80) {
			k = 0;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			k = 1;
			cp = p[i] & 0x1f;
			min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			k = 2;
			cp = p[i] & 0x0f;
			min = 0x800;
		} else if ((p[i] & 0xf8) == 0xf0) {
			k = 3;
			cp = p[i] & 0x07;
			min = 0x10000;
		} else
			return 0;
		if (n - i - 1 < k)
			return 0;
		for (j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
	}
	return 1;
}

static int
contains(const unsigned char *p, size_t n, const char *needle)
{
	size_t i, m = strlen(needle);

	if (m == 0)
		return 1;
	for (i = 0; i + m <= n; i++)
		if (memcmp(p + i, needle, m) == 0)
			return 1;
	return 0;
}

/*
 * Script parsing.
 */

/*
 * Cuts the next word off *sp: skips blanks, ends the word at the next blank
 * and leaves *sp just past that one blank.  NULL when no word is left.
 */
static char *
next_word(char **sp)
{
	char *s = *sp, *w;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0') {
		*sp = s;
		return NULL;
	}
	w = s;
	while (*s != '\0' && *s != ' ' && *s != '\t')
		s++;
	if (*s != '\0')
		*s++ = '\0';
	*sp = s;
	return w;
}

static unsigned long
parse_num(const char *s, unsigned long max, const char *what)
{
	unsigned long v;
	char *end;

	if (s == NULL)
		syntax("%s missing", what);
	if (*s < '0' || *s > '9')
		syntax("%s: not a number: \"%s\"", what, s);
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		syntax("%s: bad number \"%s\" (at most %lu)", what, s, max);
	return v;
}

static void
no_more(char *arg)
{
	if (next_word(&arg) != NULL)
		syntax("too many arguments");
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
parse_hex(const char *s, struct buf *b)
{
	unsigned char byte;
	int hi = -1, v;

	b->len = 0;
	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t')
			continue;
		if ((v = hexval((unsigned char)*s)) < 0)
			syntax("bad hex digit '%c'", *s);
		if (hi < 0)
			hi = v;
		else {
			byte = (unsigned char)(hi << 4 | v);
			buf_add(b, &byte, 1);
			hi = -1;
		}
	}
	if (hi >= 0)
		syntax("odd number of hex digits");
}

/*
 * Socket I/O.  The socket is non-blocking; whatever waits to be written is
 * in out, whatever was read and not yet parsed in in.  Writing always reads
 * too, so that a server answering (or closing) while a long frame goes out
 * is heard, and neither side can block the other.
 */

static size_t
pending(void)
{
	return out.len - outoff;
}

static int
io_read(void)
{
	ssize_t n;

	if (inoff == in.len)
		in.len = inoff = 0;
	else if (inoff >= READ_CHUNK) {
		memmove(in.p, in.p + inoff, in.len - inoff);
		in.len -= inoff;
		inoff = 0;
	}
	buf_reserve(&in, READ_CHUNK);
	n = read(sock, in.p + in.len, in.cap - in.len);
	if (n > 0) {
		in.len += (size_t)n;
		return 1;
	}
	if (n == 0) {
		rd_eof = 1;
		return 1;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return 0;
	if (errno == ECONNRESET) {
		if (pending() > 0 && !wr_dead)
			warnx("line %lu: %zu bytes not sent: the server reset "
			    "the connection", lineno, pending());
		rd_eof = wr_dead = 1;
		out.len = outoff = 0;
		return 1;
	}
	fail("read: %s", strerror(errno));
}

static int
io_write(void)
{
	ssize_t n;

	if (pending() == 0 || wr_dead)
		return 0;
	n = send(sock, out.p + outoff, pending(), MSG_NOSIGNAL);
	if (n > 0) {
		outoff += (size_t)n;
		if (outoff == out.len)
			out.len = outoff = 0;
		return 1;
	}
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return 0;
	if (n == -1 && (errno == EPIPE || errno == ECONNRESET)) {
		warnx("line %lu: %zu bytes not sent: the server closed the "
		    "connection", lineno, pending());
		wr_dead = 1;
		out.len = outoff = 0;
		return 1;
	}
	fail("write: %s", strerror(errno));
}

/*
 * One round of I/O: writes what it can, waits until the socket can be read
 * (or written, while output waits) or the deadline passes, and moves what
 * it can.  Returns 1 if bytes moved or eof came, else 0.
 */
static int
pump(int64_t deadline)
{
	struct pollfd pfd;
	int64_t wait;
	int moved, n;

	moved = io_write();
	pfd.fd = sock;
	pfd.events = 0;
	pfd.revents = 0;
	if (!rd_eof)
		pfd.events |= POLLIN;
	if (pending() > 0 && !wr_dead)
		pfd.events |= POLLOUT;
	if (pfd.events == 0)
		return moved;
	wait = 0;
	if (!moved) {
		wait = deadline - clock_mono_ms();
		if (wait < 0)
			wait = 0;
		if (wait > INT_MAX)
			wait = INT_MAX;
	}
	if ((n = poll(&pfd, 1, (int)wait)) == -1) {
		if (errno == EINTR)
			return moved;
		fail("poll: %s", strerror(errno));
	}
	if (n == 0)
		return moved;
	if ((pfd.revents & (POLLIN | POLLHUP | POLLERR)) && !rd_eof)
		moved |= io_read();
	if (pfd.revents & (POLLOUT | POLLHUP | POLLERR))
		moved |= io_write();
	return moved;
}

/* Writes all that is queued; 30 s without progress is fatal. */
static void
flush_out(void)
{
	int64_t deadline = clock_mono_ms() + IO_TIMEOUT;
	size_t left;

	while ((left = pending()) > 0 && !wr_dead) {
		pump(deadline);
		if (pending() < left)
			deadline = clock_mono_ms() + IO_TIMEOUT;
		else if (clock_mono_ms() >= deadline)
			fail("write timed out: the server read nothing "
			    "for %d s", IO_TIMEOUT / 1000);
	}
}

static void
need_conn(void)
{
	if (sock == -1)
		fail("not connected");
}

static void
drop_conn(void)
{
	if (sock != -1)
		close(sock);
	sock = -1;
	in.len = inoff = 0;
	out.len = outoff = 0;
	rd_eof = wr_dead = close_sent = 0;
	frag_op = -1;
}

/* Queues one client frame: masked with a fresh random mask. */
static void
queue_frame(int fin, int op, const unsigned char *p, size_t n)
{
	unsigned char h[14], *d;
	uint32_t mask;
	size_t hl, i;

	h[0] = (unsigned char)((fin ? 0x80 : 0) | op);
	if (n < 126) {
		h[1] = (unsigned char)(0x80 | n);
		hl = 2;
	} else if (n <= 0xffff) {
		h[1] = 0x80 | 126;
		h[2] = (unsigned char)(n >> 8);
		h[3] = (unsigned char)n;
		hl = 4;
	} else {
		h[1] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
		hl = 10;
	}
	mask = random32();
	for (i = 0; i < 4; i++)
		h[hl + i] = (unsigned char)(mask >> (24 - 8 * i));
	buf_add(&out, h, hl + 4);
	buf_reserve(&out, n);
	d = out.p + out.len;
	for (i = 0; i < n; i++)
		d[i] = p[i] ^ h[hl + (i & 3)];
	out.len += n;
}

static void
send_frame(int fin, int op, const unsigned char *p, size_t n)
{
	need_conn();
	if (wr_dead) {
		warnx("line %lu: not sent: the connection is closed", lineno);
		return;
	}
	queue_frame(fin, op, p, n);
	flush_out();
}

/*
 * Takes one complete frame off the head of the input: 1 and its parts, or
 * 0 when more bytes are needed.  *pl points into in until the next read.
 */
static int
parse_frame(int *fin, int *op, const unsigned char **pl, size_t *plen)
{
	const unsigned char *p;
	size_t avail = in.len - inoff, hl = 2;
	uint64_t n;
	int i;

	if (avail < 2)
		return 0;
	p = in.p + inoff;
	if (p[0] & 0x70)
		fail("the server set RSV bits (first byte 0x%02x)", p[0]);
	*fin = p[0] >> 7;
	*op = p[0] & 0x0f;
	if (p[1] & 0x80)
		fail("the server sent a masked frame");
	n = p[1] & 0x7f;
	if (n == 126) {
		if (avail < 4)
			return 0;
		n = (uint64_t)p[2] << 8 | p[3];
		hl = 4;
		if (n < 126)
			fail("the server sent %u in a 16-bit length",
			    (unsigned)n);
	} else if (n == 127) {
		if (avail < 10)
			return 0;
		for (n = 0, i = 2; i < 10; i++)
			n = n << 8 | p[i];
		hl = 10;
		if (n <= 0xffff || n >> 63)
			fail("the server sent %llu in a 64-bit length",
			    (unsigned long long)n);
	}
	switch (*op) {
	case OP_CONT:
	case OP_TEXT:
	case OP_BINARY:
		break;
	case OP_CLOSE:
	case OP_PING:
	case OP_PONG:
		if (!*fin || n > 125)
			fail("the server sent a control frame (opcode %d) %s",
			    *op, *fin ? "over 125 bytes" : "in fragments");
		break;
	default:
		fail("the server sent reserved opcode 0x%x", *op);
	}
	if (n > MAX_MESSAGE)
		fail("the server sent a frame of %llu bytes",
		    (unsigned long long)n);
	if (avail - hl < n)
		return 0;
	*pl = p + hl;
	*plen = (size_t)n;
	inoff += hl + (size_t)n;
	return 1;
}

static int
finish_message(int op, struct message *m)
{
	if (op == OP_TEXT && !utf8_valid(msg.p, msg.len))
		fail("the server sent invalid UTF-8 in a text message");
	m->op = op;
	m->p = msg.p;
	m->len = msg.len;
	return GOT_MESSAGE;
}

/*
 * Waits for the next message until the deadline (one already past: only
 * what has been read).  Reassembles fragments, answers pings (autopong) and
 * close frames.  GOT_MESSAGE with *m valid until the next call, GOT_TIMEOUT
 * or GOT_EOF.
 */
static int
next_message(int64_t deadline, struct message *m)
{
	const unsigned char *pl;
	size_t n;
	int fin, op;

	for (;;) {
		while (parse_frame(&fin, &op, &pl, &n)) {
			switch (op) {
			case OP_PING:
				if (autopong) {
					if (!wr_dead && !close_sent) {
						queue_frame(1, OP_PONG, pl, n);
						io_write();
					}
					continue;
				}
				/* FALLTHROUGH */
			case OP_PONG:
			case OP_CLOSE:
				if (n > 0)
					memcpy(ctl, pl, n);
				m->op = op;
				m->p = ctl;
				m->len = n;
				if (op != OP_CLOSE)
					return GOT_MESSAGE;
				if (n == 1)
					fail("the server sent a close frame of "
					    "1 byte");
				if (n > 2 && !utf8_valid(ctl + 2, n - 2))
					fail("the server sent invalid UTF-8 in "
					    "a close reason");
				if (!close_sent && !wr_dead) {
					queue_frame(1, OP_CLOSE, ctl,
					    n < 2 ? 0 : 2);
					close_sent = 1;
					io_write();
				}
				return GOT_MESSAGE;
			case OP_TEXT:
			case OP_BINARY:
				if (frag_op != -1)
					fail("the server began a message "
					    "inside a fragmented one");
				msg.len = 0;
				buf_add(&msg, pl, n);
				if (!fin) {
					frag_op = op;
					continue;
				}
				return finish_message(op, m);
			case OP_CONT:
				if (frag_op == -1)
					fail("the server sent a continuation "
					    "frame outside a message");
				if (msg.len + n > MAX_MESSAGE)
					fail("the server sent a message over "
					    "%llu bytes",
					    (unsigned long long)MAX_MESSAGE);
				buf_add(&msg, pl, n);
				if (!fin)
					continue;
				op = frag_op;
				frag_op = -1;
				return finish_message(op, m);
			}
		}
		if (rd_eof)
			return GOT_EOF;
		if (clock_mono_ms() >= deadline)
			return GOT_TIMEOUT;
		pump(deadline);
	}
}

static unsigned
close_code(const struct message *m)
{
	return m->len >= 2 ? (unsigned)m->p[0] << 8 | m->p[1] : 1005;
}

/* The line recv prints for a result, in line (NUL-terminated). */
static char *
format_result(int r, const struct message *m)
{
	static const char hexd[] = "0123456789abcdef";
	char code[16];
	size_t i;

	line.len = 0;
	if (r == GOT_TIMEOUT) {
		buf_str(&line, "timeout");
		return buf_cstr(&line);
	}
	if (r == GOT_EOF) {
		buf_str(&line, "eof");
		return buf_cstr(&line);
	}
	switch (m->op) {
	case OP_TEXT:
	case OP_PING:
	case OP_PONG:
		buf_str(&line, m->op == OP_TEXT ? "text" :
		    m->op == OP_PING ? "ping" : "pong");
		if (m->len > 0) {
			buf_str(&line, " ");
			buf_add(&line, m->p, m->len);
		}
		break;
	case OP_BINARY:
		buf_str(&line, "binary");
		if (m->len > 0)
			buf_str(&line, " ");
		buf_reserve(&line, 2 * m->len);
		for (i = 0; i < m->len; i++) {
			line.p[line.len++] = (unsigned char)hexd[m->p[i] >> 4];
			line.p[line.len++] = (unsigned char)hexd[m->p[i] & 15];
		}
		break;
	case OP_CLOSE:
		snprintf(code, sizeof(code), "close %u", close_code(m));
		buf_str(&line, code);
		if (m->len > 2) {
			buf_str(&line, " ");
			buf_add(&line, m->p + 2, m->len - 2);
		}
		break;
	}
	return buf_cstr(&line);
}

static void
print_line(void)
{
	fwrite(line.p, 1, line.len, stdout);
	putchar('\n');
	fflush(stdout);
}

/*
 * The handshake.
 */

static int
tcp_connect(void)
{
	struct addrinfo hints, *res, *ai;
	struct pollfd pfd;
	socklen_t sl;
	int fd = -1, e, error = 0, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0)
		fail("%s port %s: %s", host, port, gai_strerror(e));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd == -1) {
			error = errno;
			continue;
		}
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
			fail("fcntl: %s", strerror(errno));
		if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF,
		    &rcvbuf, sizeof(rcvbuf)) == -1)
			fail("SO_RCVBUF: %s", strerror(errno));
		if (source.sin_family == AF_INET && ai->ai_family == AF_INET &&
		    bind(fd, (struct sockaddr *)&source, sizeof(source)) == -1)
			fail("source: %s", strerror(errno));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		error = errno;
		if (error == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			pfd.revents = 0;
			e = poll(&pfd, 1, timeout_ms);
			if (e == 1) {
				sl = sizeof(error);
				if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error,
				    &sl) == -1)
					error = errno;
				if (error == 0)
					break;
			} else
				error = e == 0 ? ETIMEDOUT : errno;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		fail("connect to %s port %s: %s", host, port, strerror(error));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

/* Splits "A: 1 | B: 2" into hs[]; returns how many. */
static size_t
parse_headers(char *arg, struct header *hs)
{
	char *piece, *colon, *s;
	size_t n = 0;

	while (arg != NULL) {
		piece = arg;
		if ((arg = strchr(arg, '|')) != NULL)
			*arg++ = '\0';
		piece = trim(piece);
		if (*piece == '\0')
			continue;
		if ((colon = strchr(piece, ':')) == NULL)
			syntax("connect: \"%s\" is not NAME: VALUE", piece);
		*colon = '\0';
		hs[n].name = trim(piece);
		hs[n].value = trim(colon + 1);
		hs[n].used = 0;
		if (*hs[n].name == '\0')
			syntax("connect: a header without a name");
		for (s = hs[n].name; *s != '\0'; s++)
			if (*s == ' ' || *s == '\t')
				syntax("connect: blank in header name \"%s\"",
				    hs[n].name);
		if (++n == MAX_HEADERS && arg != NULL)
			syntax("connect: more than %d headers", MAX_HEADERS);
	}
	return n;
}

/* Adds "NAME: VALUE\r\n" to out, or the extra header that replaces it. */
static const char *
put_header(const char *name, const char *value, struct header *hs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!hs[i].used && strcasecmp(hs[i].name, name) == 0) {
			hs[i].used = 1;
			name = hs[i].name;
			value = hs[i].value;
			if (*value == '\0')
				return "";
			break;
		}
	}
	buf_str(&out, name);
	buf_str(&out, ": ");
	buf_str(&out, value);
	buf_str(&out, "\r\n");
	return value;
}

/* Is token (case-insensitive) one of the comma-separated list? */
static int
has_token(const char *list, const char *token)
{
	size_t n = strlen(token);
	const char *p = list, *e;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		for (e = p; *e != '\0' && *e != ','; e++)
			;
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if ((size_t)(e - p) == n && strncasecmp(p, token, n) == 0)
			return 1;
		while (*p != '\0' && *p != ',')
			p++;
	}
	return 0;
}

static void
handshake_failed(const char *status, const char *why)
{
	if (why != NULL)
		printf("handshake failed: %s (%s)\n", status, why);
	else
		printf("handshake failed: %s\n", status);
	drop_conn();
}

/*
 * Checks the headers of the response head in response (status line, then
 * headers, each line ending in CRLF), on a copy in scratch.  Returns NULL
 * or what is wrong.
 */
static const char *
check_response(const char *accept, const char *protocols)
{
	char *s, *next, *name, *value, *colon;
	int upgrade = 0, connection = 0, accepted = 0;

	scratch.len = 0;
	buf_add(&scratch, response.p, response.len);
	s = strstr(buf_cstr(&scratch), "\r\n");
	for (s += 2; *s != '\0'; s = next + 2) {
		if ((next = strstr(s, "\r\n")) == NULL)
			break;
		*next = '\0';
		if ((colon = strchr(s, ':')) != NULL) {
			*colon = '\0';
			name = trim(s);
			value = trim(colon + 1);
			if (strcasecmp(name, "Upgrade") == 0)
				upgrade = strcasecmp(value, "websocket") == 0;
			else if (strcasecmp(name, "Connection") == 0)
				connection = has_token(value, "upgrade");
			else if (strcasecmp(name,
			    "Sec-WebSocket-Accept") == 0) {
				if (strcmp(value, accept) != 0)
					return "bad Sec-WebSocket-Accept";
				accepted = 1;
			} else if (strcasecmp(name,
			    "Sec-WebSocket-Protocol") == 0) {
				if (*protocols == '\0')
					return "Sec-WebSocket-Protocol not "
					    "asked for";
				if (!has_token(protocols, value))
					return "Sec-WebSocket-Protocol not "
					    "offered";
			} else if (strcasecmp(name,
			    "Sec-WebSocket-Extensions") == 0)
				return "Sec-WebSocket-Extensions not asked for";
		}
	}
	if (!upgrade)
		return "no Upgrade: websocket";
	if (!connection)
		return "no Connection: Upgrade";
	if (!accepted)
		return "no Sec-WebSocket-Accept";
	return NULL;
}

static void
cmd_connect(char *arg)
{
	struct header hs[MAX_HEADERS];
	unsigned char key[16], digest[20];
	char keyb64[32], accept[32], hostport[300], status[256];
	const char *usedkey, *protocols, *why;
	char *end;
	int64_t deadline;
	size_t i, n, head;

	n = parse_headers(arg, hs);
	drop_conn();
	response.len = 0;
	sock = tcp_connect();

	if (getentropy(key, sizeof(key)) == -1)
		fail("getentropy: %s", strerror(errno));
	base64(key, sizeof(key), keyb64);
	snprintf(hostport, sizeof(hostport), strchr(host, ':') != NULL ?
	    "[%s]:%s" : "%s:%s", host, port);
	buf_str(&out, "GET ");
	buf_str(&out, path);
	buf_str(&out, " HTTP/1.1\r\n");
	put_header("Host", hostport, hs, n);
	put_header("Upgrade", "websocket", hs, n);
	put_header("Connection", "Upgrade", hs, n);
	usedkey = put_header("Sec-WebSocket-Key", keyb64, hs, n);
	put_header("Sec-WebSocket-Version", "13", hs, n);
	protocols = "";
	for (i = 0; i < n; i++) {
		if (hs[i].used)
			continue;
		if (strcasecmp(hs[i].name, "Sec-WebSocket-Protocol") == 0)
			protocols = hs[i].value;
		buf_str(&out, hs[i].name);
		buf_str(&out, ": ");
		buf_str(&out, hs[i].value);
		buf_str(&out, "\r\n");
	}
	buf_str(&out, "\r\n");
	flush_out();

	scratch.len = 0;
	buf_str(&scratch, usedkey);
	buf_str(&scratch, WS_GUID);
	sha1(scratch.p, scratch.len, digest);
	base64(digest, sizeof(digest), accept);

	deadline = clock_mono_ms() + timeout_ms;
	for (;;) {
		end = NULL;
		if (in.len >= 4) {
			buf_cstr(&in);
			end = strstr((char *)in.p, "\r\n\r\n");
		}
		if (end != NULL)
			break;
		if (in.len > MAX_RESPONSE) {
			handshake_failed("response head over 16 KiB", NULL);
			return;
		}
		if (rd_eof) {
			handshake_failed("eof", NULL);
			return;
		}
		if (clock_mono_ms() >= deadline) {
			handshake_failed("timeout", NULL);
			return;
		}
		pump(deadline);
	}
	head = (size_t)(end - (char *)in.p) + 4;
	response.len = 0;
	buf_add(&response, in.p, head - 2);	/* keeps the last CRLF */
	buf_cstr(&response);
	inoff = head;
	n = strcspn((char *)response.p, "\r\n");
	snprintf(status, sizeof(status), "%.*s", (int)n, (char *)response.p);
	if (strncmp(status, "HTTP/1.1 101", 12) != 0 ||
	    (status[12] != ' ' && status[12] != '\0')) {
		handshake_failed(status, NULL);
		return;
	}
	if ((why = check_response(accept, protocols)) != NULL) {
		handshake_failed(status, why);
		return;
	}
	puts("connected");
}

/*
 * The other commands.
 */

static void
cmd_disconnect(char *arg)
{
	no_more(arg);
	drop_conn();
}

static void
cmd_path(char *arg)
{
	char *p;

	if ((p = next_word(&arg)) == NULL)
		syntax("path: PATH missing");
	no_more(arg);
	free(path);
	if ((path = strdup(p)) == NULL)
		err(1, NULL);
}

static void
cmd_headers(char *arg)
{
	char *s, *e;

	no_more(arg);
	if (response.len == 0)
		return;
	s = (char *)response.p;
	e = strstr(s, "\r\n");
	printf("status %.*s\n", (int)(e - s), s);
	for (s = e + 2; (e = strstr(s, "\r\n")) != NULL; s = e + 2)
		printf("header %.*s\n", (int)(e - s), s);
}

static void
cmd_send(char *arg)
{
	send_frame(1, OP_TEXT, (unsigned char *)arg, strlen(arg));
}

static void
cmd_sendhex(char *arg)
{
	parse_hex(arg, &scratch);
	send_frame(1, OP_TEXT, scratch.p, scratch.len);
}

static void
cmd_sendbin(char *arg)
{
	parse_hex(arg, &scratch);
	send_frame(1, OP_BINARY, scratch.p, scratch.len);
}

static void
cmd_sendraw(char *arg)
{
	parse_hex(arg, &scratch);
	need_conn();
	if (wr_dead) {
		warnx("line %lu: not sent: the connection is closed", lineno);
		return;
	}
	buf_add(&out, scratch.p, scratch.len);
	flush_out();
}

static void
cmd_sendfrag(char *arg)
{
	const unsigned char *text;
	unsigned long n, i;
	size_t len, a, b;

	n = parse_num(next_word(&arg), 1000000, "sendfrag: N");
	if (n == 0)
		syntax("sendfrag: N must be at least 1");
	need_conn();
	if (wr_dead) {
		warnx("line %lu: not sent: the connection is closed", lineno);
		return;
	}
	text = (unsigned char *)arg;
	len = strlen(arg);
	for (i = 0; i < n; i++) {
		a = len * i / n;
		b = len * (i + 1) / n;
		queue_frame(i == n - 1, i == 0 ? OP_TEXT : OP_CONT, text + a,
		    b - a);
	}
	flush_out();
}

static void
cmd_sendbig(char *arg)
{
	unsigned long n;

	n = parse_num(next_word(&arg), 1UL << 30, "sendbig: N");
	if (strlen(arg) != 1)
		syntax("sendbig: CHAR must be one byte");
	scratch.len = 0;
	buf_reserve(&scratch, n);
	memset(scratch.p, (unsigned char)arg[0], n);
	scratch.len = n;
	send_frame(1, OP_TEXT, scratch.p, scratch.len);
}

static void
cmd_ping(char *arg)
{
	send_frame(1, OP_PING, (unsigned char *)arg, strlen(arg));
}

static void
cmd_pong(char *arg)
{
	send_frame(1, OP_PONG, (unsigned char *)arg, strlen(arg));
}

static void
cmd_close(char *arg)
{
	unsigned long code;
	unsigned char c[2];
	char *w;

	scratch.len = 0;
	if ((w = next_word(&arg)) != NULL) {
		code = parse_num(w, 65535, "close: CODE");
		c[0] = (unsigned char)(code >> 8);
		c[1] = (unsigned char)code;
		buf_add(&scratch, c, 2);
		buf_str(&scratch, arg);
	}
	send_frame(1, OP_CLOSE, scratch.p, scratch.len);
	close_sent = 1;
}

static void
cmd_autopong(char *arg)
{
	char *w;

	w = next_word(&arg);
	no_more(arg);
	if (w != NULL && strcmp(w, "on") == 0)
		autopong = 1;
	else if (w != NULL && strcmp(w, "off") == 0)
		autopong = 0;
	else
		syntax("autopong: on or off");
}

static int
opt_timeout(char *arg)
{
	char *w;
	int ms = timeout_ms;

	if ((w = next_word(&arg)) != NULL)
		ms = (int)parse_num(w, INT_MAX, "timeout");
	no_more(arg);
	return ms;
}

static void
cmd_recv(char *arg)
{
	struct message m;
	int ms;

	ms = opt_timeout(arg);
	need_conn();
	format_result(next_message(clock_mono_ms() + ms, &m), &m);
	print_line();
}

static void
cmd_recvn(char *arg)
{
	struct message m;
	unsigned long n, i;
	int ms, r;

	n = parse_num(next_word(&arg), ULONG_MAX, "recvn: N");
	ms = opt_timeout(arg);
	need_conn();
	for (i = 0; i < n; i++) {
		r = next_message(clock_mono_ms() + ms, &m);
		format_result(r, &m);
		print_line();
		if (r != GOT_MESSAGE)
			break;
	}
}

static void
cmd_expect(char *arg)
{
	struct message m;

	need_conn();
	format_result(next_message(clock_mono_ms() + timeout_ms, &m), &m);
	print_line();
	if (!contains(line.p, line.len, arg))
		fail("expected \"%s\", got: %.300s%s", arg, (char *)line.p,
		    line.len > 300 ? "..." : "");
}

static void
cmd_expectclose(char *arg)
{
	struct message m;
	unsigned long code;
	int64_t deadline;
	int r;

	code = parse_num(next_word(&arg), 65535, "expectclose: CODE");
	no_more(arg);
	need_conn();
	deadline = clock_mono_ms() + timeout_ms;
	for (;;) {
		r = next_message(deadline, &m);
		format_result(r, &m);
		print_line();
		if (r != GOT_MESSAGE)
			fail("expected close %lu, got %s", code,
			    (char *)line.p);
		if (m.op != OP_CLOSE)
			continue;
		if (close_code(&m) != code)
			fail("expected close %lu, got %.300s", code,
			    (char *)line.p);
		return;
	}
}

/* The payload for message i of a pipeline: TEMPLATE with %d as i. */
static void
fill_template(struct buf *b, const char *tmpl, unsigned long i)
{
	const char *p;
	char num[24];

	b->len = 0;
	while ((p = strstr(tmpl, "%d")) != NULL) {
		buf_add(b, tmpl, (size_t)(p - tmpl));
		snprintf(num, sizeof(num), "%lu", i);
		buf_str(b, num);
		tmpl = p + 2;
	}
	buf_str(b, tmpl);
}

static void
cmd_pipeline(char *arg)
{
	struct message m;
	unsigned long n, sent = 0, got = 0;
	int64_t deadline;
	int moved, r = GOT_TIMEOUT;

	n = parse_num(next_word(&arg), ULONG_MAX, "pipeline: N");
	need_conn();
	deadline = clock_mono_ms() + IO_TIMEOUT;
	while (got < n) {
		while (sent < n && !wr_dead && pending() < PIPE_QUEUE) {
			fill_template(&scratch, arg, ++sent);
			queue_frame(1, OP_TEXT, scratch.p, scratch.len);
		}
		moved = 0;
		while (got < n &&
		    (r = next_message(0, &m)) == GOT_MESSAGE) {
			moved = 1;
			if (m.op == OP_TEXT)
				got++;
			else if (m.op == OP_BINARY)
				fail("pipeline: a binary message after %lu "
				    "of %lu replies", got, n);
			else if (m.op == OP_CLOSE) {
				format_result(r, &m);
				print_line();
				fail("pipeline: closed after %lu of %lu "
				    "replies", got, n);
			}
		}
		if (got == n)
			break;
		if (r == GOT_EOF)
			fail("pipeline: eof after %lu of %lu replies "
			    "(%lu sent)", got, n, sent);
		if (pump(deadline) || moved)
			deadline = clock_mono_ms() + IO_TIMEOUT;
		else if (clock_mono_ms() >= deadline)
			fail("pipeline: %lu of %lu replies (%lu sent), "
			    "then nothing for %d s", got, n, sent,
			    IO_TIMEOUT / 1000);
	}
	printf("received %lu\n", got);
}

static void
cmd_flood(char *arg)
{
	struct pollfd pfd;
	unsigned long n, sent = 0, whole = 0;
	size_t mark;
	int64_t idle, last;
	int wait;

	n = parse_num(next_word(&arg), ULONG_MAX, "flood: N");
	idle = (int64_t)parse_num(next_word(&arg), INT_MAX, "flood: MS");
	need_conn();
	last = clock_mono_ms();
	for (;;) {
		while (sent < n && !wr_dead && pending() < PIPE_QUEUE) {
			fill_template(&scratch, arg, ++sent);
			queue_frame(1, OP_TEXT, scratch.p, scratch.len);
		}
		mark = pending();
		if (mark == 0 || wr_dead)
			break;
		if (io_write())
			last = clock_mono_ms();
		/* frames still queued are the last ones: count the rest */
		whole = sent - (unsigned long)((pending() + scratch.len - 1) /
		    (scratch.len ? scratch.len : 1));
		if (clock_mono_ms() - last >= idle)
			break;
		pfd.fd = sock;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		wait = (int)(idle - (clock_mono_ms() - last));
		if (poll(&pfd, 1, wait < 0 ? 0 : wait) == -1 && errno != EINTR)
			fail("poll: %s", strerror(errno));
	}
	if (pending() == 0)
		whole = sent;
	printf("flooded %lu\n", whole);
}

static void
cmd_rcvbuf(char *arg)
{
	rcvbuf = (int)parse_num(next_word(&arg), INT_MAX, "rcvbuf: BYTES");
	no_more(arg);
}

static void
cmd_source(char *arg)
{
	const char *a = next_word(&arg);

	no_more(arg);
	memset(&source, 0, sizeof(source));
	source.sin_family = AF_INET;
	if (inet_pton(AF_INET, a, &source.sin_addr) != 1)
		fail("source: %s: not an IPv4 address", a);
}

static void
cmd_timeout(char *arg)
{
	timeout_ms = (int)parse_num(next_word(&arg), INT_MAX, "timeout: MS");
	no_more(arg);
}

static void
cmd_sleep(char *arg)
{
	int64_t deadline, left;

	deadline = clock_mono_ms() + (int64_t)parse_num(next_word(&arg), INT_MAX,
	    "sleep: MS");
	no_more(arg);
	while ((left = deadline - clock_mono_ms()) > 0) {
		if (sock != -1 && (!rd_eof || (pending() > 0 && !wr_dead)))
			pump(deadline);
		else
			poll(NULL, 0, (int)left);
	}
}

static const struct command commands[] = {
	{ "autopong", cmd_autopong },
	{ "close", cmd_close },
	{ "connect", cmd_connect },
	{ "disconnect", cmd_disconnect },
	{ "expect", cmd_expect },
	{ "expectclose", cmd_expectclose },
	{ "flood", cmd_flood },
	{ "headers", cmd_headers },
	{ "path", cmd_path },
	{ "ping", cmd_ping },
	{ "pipeline", cmd_pipeline },
	{ "pong", cmd_pong },
	{ "rcvbuf", cmd_rcvbuf },
	{ "recv", cmd_recv },
	{ "recvn", cmd_recvn },
	{ "send", cmd_send },
	{ "sendbig", cmd_sendbig },
	{ "sendbin", cmd_sendbin },
	{ "sendfrag", cmd_sendfrag },
	{ "sendhex", cmd_sendhex },
	{ "sendraw", cmd_sendraw },
	{ "sleep", cmd_sleep },
	{ "source", cmd_source },
	{ "timeout", cmd_timeout },
};

static void
run_line(char *s)
{
	char *word;
	size_t i;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0' || *s == '#')
		return;
	word = next_word(&s);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(word, commands[i].name) == 0) {
			commands[i].run(s);
			return;
		}
	}
	syntax("unknown command \"%s\"", word);
}

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: wsraw [-t timeout_ms] host port [path] "
	    "< script\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	int ch;

	while ((ch = getopt(argc, argv, "t:")) != -1) {
		switch (ch) {
		case 't':
			timeout_ms = (int)parse_num(optarg, INT_MAX, "-t");
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || argc > 3)
		usage();
	host = argv[0];
	port = argv[1];
	if ((path = strdup(argc == 3 ? argv[2] : "/ws")) == NULL)
		err(1, NULL);

	signal(SIGPIPE, SIG_IGN);
	if (getentropy(&rng, sizeof(rng)) == -1)
		err(1, "getentropy");
	rng |= 1;

	while ((len = getline(&buf, &cap, stdin)) != -1) {
		lineno++;
		while (len > 0 &&
		    (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			buf[--len] = '\0';
		run_line(buf);
		fflush(stdout);
	}
	if (ferror(stdin))
		err(1, "stdin");
	if (sock != -1)
		flush_out();
	drop_conn();
	free(buf);
	free(path);
	buf_free(&in);
	buf_free(&out);
	buf_free(&msg);
	buf_free(&response);
	buf_free(&scratch);
	buf_free(&line);
	return 0;
}
