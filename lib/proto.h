/*
 * proto.h: the wire protocol of SPEC §2, parsing and formatting.
 *
 * The only module that knows the wire format.  A client's text message (one
 * whole message, valid UTF-8) is parsed into a tagged struct proto_msg: a
 * point, a hello or settings object, a protocol-2 batch of points, or an
 * error.  Parsing uses lib/json, LEJP from libwebsockets guarded against
 * its defects (SPEC §11): strict RFC 8259 numbers, no comments, no trailing
 * garbage, no trailing commas, at most PROTO_DEPTH_MAX levels of nesting,
 * object keys of at most PROTO_KEY_MAX bytes, a key path of at most 100
 * bytes.  Replies (verdicts, errors, ready, batches) are formatted into a
 * growable struct jsonbuf, and so is the JSON form a client's settings
 * are stored in.  Numbers are read and written in the C locale's form: keep
 * LC_NUMERIC at "C".
 */
#ifndef ANOMALY_PROTO_H
#define ANOMALY_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "detect.h"
#include "jsonbuf.h"

#define PROTO_ID_MAX		64	/* bytes of a client_id */
#define PROTO_TS_MAX		64	/* bytes of a timestamp string */
#define PROTO_KEY_MAX		64	/* bytes of an object key */
#define PROTO_DEPTH_MAX		8	/* objects and arrays nested */
#define PROTO_TOKEN_MAX		256	/* bytes of a token */
#define PROTO_ERR_MAX		128	/* bytes of a message, with its NUL */
#define PROTO_CLAIM_KEY_MAX	64	/* bytes of a client's key */

/* ------------------------------------------------------------ parsing */

/* A timestamp, with the type it is stored with (SPEC §4). */
enum proto_ts_type {
	PROTO_TS_NONE,		/* absent, or not readable */
	PROTO_TS_INTEGER,	/* a number without fraction or exponent that
				 * fits int64 */
	PROTO_TS_REAL,		/* any other finite number */
	PROTO_TS_TEXT		/* a string */
};

struct proto_ts {
	enum proto_ts_type type;
	int64_t	 i;		/* INTEGER: the value */
	double	 r;		/* INTEGER and REAL: the value as a double */
	size_t	 len;		/* bytes at text */
	/* INTEGER, REAL: the number's text as received, echoed as is (len 0
	 * when the timestamp was not received but read back: then it is
	 * written from i or r); TEXT: the decoded string, valid UTF-8
	 * without control characters.  Always NUL-terminated. */
	char	 text[PROTO_TS_MAX + 1];
};

/* One point: good when error is NULL. */
struct proto_point {
	const char	*error;	/* why the point is bad: a static string */
	struct proto_ts	 ts;	/* NONE when missing or bad */
	double		 value;	/* finite, when good */
	int64_t		 seq;	/* protocol 2: >= 1 when given and valid,
				 * else 0 */
};

/* Keys a hello or settings object held (struct proto_hello.has). */
#define PROTO_HAS_CLIENT_ID	(1u << 0)
#define PROTO_HAS_WINDOW	(1u << 1)
#define PROTO_HAS_VERSION	(1u << 2)	/* then it was 2 */
#define PROTO_HAS_DETAIL	(1u << 3)
#define PROTO_HAS_TOKEN		(1u << 4)
#define PROTO_HAS_DETECTORS	(1u << 5)
#define PROTO_HAS_VOTE		(1u << 6)
#define PROTO_HAS_ALERT		(1u << 7)
#define PROTO_HAS_PARAMS	(1u << 8)
#define PROTO_HAS_CLAIM		(1u << 9)	/* "claim": true or false */
#define PROTO_HAS_KEY		(1u << 10)
#define PROTO_HAS_PRESET	(1u << 11)	/* a known preset's name */

/* A hello or settings object (SPEC §2.1): good when error is "".  Only
 * the fields whose key is in has were given; of set, only detectors (with
 * DETECTORS), vote and vote_k (VOTE), alert (ALERT) and the param[p] whose
 * bit p is in params.  Each was checked alone; the settings they make with
 * the stored ones are not (see proto_hello_apply()). */
struct proto_hello {
	unsigned	 has;			/* PROTO_HAS_* */
	char		 client_id[PROTO_ID_MAX + 1];
	uint32_t	 window;		/* 4..max_window */
	int		 detail;		/* 0 or 1 */
	size_t		 token_len;
	char		 token[PROTO_TOKEN_MAX + 1];	/* NUL-terminated */
	struct detect_settings set;
	uint32_t	 params;		/* bit p: param[p] given */
	char		 error[PROTO_ERR_MAX];	/* names what is bad */
	int		 claim;			/* 0 or 1 ("claim") */
	size_t		 key_len;		/* "key": the client's key */
	char		 key[PROTO_CLAIM_KEY_MAX + 1];	/* NUL-terminated */
	int		 preset;		/* enum detect_preset */
};

enum proto_kind {
	PROTO_INVALID,		/* not a message of the protocol: see error */
	PROTO_POINT,		/* an object holding timestamp or value */
	PROTO_SETTINGS,		/* an object holding neither: a hello or
				 * settings candidate */
	PROTO_BATCH		/* protocol 2: an array of points */
};

/* A parsed message.  Which members mean something depends on kind. */
struct proto_msg {
	enum proto_kind	 kind;
	const char	*error;		/* INVALID: why, a static string */
	struct proto_point point;	/* POINT (it may be bad) */
	struct proto_hello hello;	/* SETTINGS (it may be bad) */
	const struct proto_point *items;	/* BATCH: nitems points, in */
	size_t		 nitems;		/* order, each good or bad */
};

/* Flags of proto_parse(). */
#define PROTO_V2	0x1	/* protocol 2: seq is read, batches allowed */

struct proto_parser;

/* Returns a parser for hellos whose window may be at most max_window
 * (clamped to 4..DETECT_WINDOW_MAX), or NULL when memory is short.  A parser
 * is reused for message after message; it is not shared between threads.
 * Free it with proto_parser_free(). */
struct proto_parser *proto_parser_new(uint32_t max_window);

/* Frees p and what it holds; NULL is a no-op. */
void proto_parser_free(struct proto_parser *p);

/* Parses the len bytes at msg, one whole text message, under flags
 * (PROTO_V2 or 0).  Never fails: the result says what the message is,
 * and an INVALID result why it is not usable (invalid JSON, not an object,
 * nesting, key length, out of memory).  A bad point or hello has kind
 * POINT or SETTINGS with its error set; so has each bad element of a batch.
 * The result, batch elements included, belongs to p and stays valid until
 * the next proto_parse() on p or proto_parser_free().  Costs no allocation
 * except when a batch is longer than any before it. */
const struct proto_msg *proto_parse(struct proto_parser *p, const char *msg,
    size_t len, unsigned flags);

/* Sets in s what the good hello h gives: first what its preset sets
 * (detect_preset_apply()), then window, detectors, vote, alert and each
 * param it holds, which win over the preset's; leaves the rest of s alone.  Check s afterwards with
 * detect_settings_check(): a vote count may exceed the detectors, say. */
void proto_hello_apply(const struct proto_hello *h, struct detect_settings *s);

/* Returns 0 when the len bytes at id are a valid client_id (1..64 bytes of
 * A-Z a-z 0-9 . _ : -), else -1 with a message in err (errlen bytes). */
int proto_check_client_id(const char *id, size_t len, char *err,
    size_t errlen);

/* Reads a window given as the len decimal digits at s (a URL argument):
 * returns 0 and sets *w when it is from 4 to max_window, else -1 with a
 * message in err (errlen bytes). */
int proto_parse_window(const char *s, size_t len, uint32_t max_window,
    uint32_t *w, char *err, size_t errlen);

/* Sets ts to an integer, a real or a text timestamp as read back from the
 * database (then it is written from its value, SPEC §4).  proto_ts_text()
 * returns -1 when len exceeds PROTO_TS_MAX (ts is then NONE), else 0. */
void proto_ts_integer(struct proto_ts *ts, int64_t i);
void proto_ts_real(struct proto_ts *ts, double r);
int proto_ts_text(struct proto_ts *ts, const char *s, size_t len);

/* --------------------------------------------------------- formatting */

/* Flags of proto_format_verdict(). */
#define PROTO_DETAIL	0x1	/* add alert, score, votes, warmup */
#define PROTO_DUPLICATE	0x2	/* add "duplicate":1 */

/* Appends the verdict v on the point with timestamp ts and, when seq >= 1,
 * that seq: {"seq":S,"timestamp":T,"anomaly":0|1} (timestamp left out when
 * ts is NONE).  With PROTO_DETAIL also "alert", "score" (always with a
 * fraction or exponent), "votes" (name: 0|1 for each detector in mask
 * detectors, in bit order: pass detect_computed_mask() of the client's
 * settings, so that the alert source's detectors show why an alert fired)
 * and "warmup":true during warm-up.  Returns 0 or
 * -1 when memory is short. */
int proto_format_verdict(struct jsonbuf *b, const struct proto_ts *ts,
    int64_t seq, const struct detect_verdict *v, uint32_t detectors,
    unsigned flags);

/* Appends {"error":E,"timestamp":T,"seq":S}, with timestamp only when ts
 * is not NULL nor NONE and seq only when seq >= 1.  Returns 0 or -1. */
int proto_format_error(struct jsonbuf *b, const char *error,
    const struct proto_ts *ts, int64_t seq);

/* Appends {"ready":true,"client_id":ID,"window":N,"last_seq":S,
 * "points":P,"last_timestamp":T}: T is the timestamp of the client's last
 * stored point as read back (a number or a string), null when last_ts is
 * NULL or NONE.  Returns 0 or -1. */
int proto_format_ready(struct jsonbuf *b, const char *client_id,
    uint32_t window, int64_t last_seq, uint64_t points,
    const struct proto_ts *last_ts);

/* Adds to the ready object that b ends with (proto_format_ready() just
 * appended it) "key":K when key is not NULL and "claim":C when claim is
 * not NULL: the key issued to the client and what became of its claim
 * (anomaly(7)).  Returns 0, or -1 when memory is short or b does not end
 * with an object. */
int proto_ready_claim(struct jsonbuf *b, const char *key, const char *claim);

/* A batch reply: proto_batch_begin() appends "[", proto_batch_next() goes
 * before each element and appends "," unless it is the first,
 * proto_batch_end() appends "]".  Each returns 0 or -1. */
int proto_batch_begin(struct jsonbuf *b);
int proto_batch_next(struct jsonbuf *b);
int proto_batch_end(struct jsonbuf *b);

/* Appends the stored form of s's detectors, vote, alert and every param
 * (not the window): {"detectors":[...],"vote":"majority","alert":"vote",
 * "params":{"zscore.k":6,...}}.  proto_settings_parse() of it gives back
 * the same values.  Returns 0 or -1. */
int proto_settings_format(struct jsonbuf *b,
    const struct detect_settings *s);

/* Reads a settings text (len bytes at text, as proto_settings_format()
 * writes or any object of hello keys) into s: detectors, vote, alert and
 * the params it holds; the window and the rest of s are left alone.
 * Returns 0, or -1 with a message in err (errlen bytes) and s unchanged.
 * The result is not checked as a whole: see detect_settings_check(). */
int proto_settings_parse(const char *text, size_t len,
    struct detect_settings *s, char *err, size_t errlen);

#endif
