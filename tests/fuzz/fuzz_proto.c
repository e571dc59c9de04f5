/*
 * fuzz_proto: libFuzzer target for lib/proto.c's message parser.
 *
 * Each input is parsed as one message in the original protocol and in
 * protocol 2.  Beyond not crashing it checks what proto_parse() promises:
 * a result of a known kind; a good point's value finite and its timestamp
 * text NUL-terminated, within PROTO_TS_MAX and, for text, free of control
 * characters; a batch only in protocol 2; a good hello's window in range.
 * A verdict or error formatted from a good point must be parsed back as
 * JSON again without error (the replies are JSON too).
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_point(const struct proto_point *pt, unsigned flags)
{
	size_t i;

	if (pt->error != NULL)
		return;
	if (!isfinite(pt->value))
		abort();
	if (pt->ts.len > PROTO_TS_MAX || pt->ts.text[pt->ts.len] != '\0')
		abort();
	if (pt->ts.type == PROTO_TS_TEXT)
		for (i = 0; i < pt->ts.len; i++)
			if ((unsigned char)pt->ts.text[i] < 0x20)
				abort();
	if (pt->seq < 0 || (!(flags & PROTO_V2) && pt->seq != 0))
		abort();
}

/* A reply made from pt must itself be one valid JSON object. */
static void
check_reply(struct proto_parser *p, const struct proto_point *pt)
{
	struct jsonbuf b;
	struct detect_verdict v;
	const struct proto_msg *m;

	memset(&v, 0, sizeof(v));
	jsonbuf_init(&b, 0);
	if (pt->error == NULL)
		proto_format_verdict(&b, &pt->ts, pt->seq, &v, 0, 0);
	else
		proto_format_error(&b, pt->error, &pt->ts, pt->seq);
	if (b.len > 0) {
		m = proto_parse(p, jsonbuf_text(&b), b.len, 0);
		if (m->kind == PROTO_INVALID)
			abort();
	}
	jsonbuf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct proto_parser *p, *q;
	const struct proto_msg *m;
	static const unsigned flags[2] = { 0, PROTO_V2 };
	struct proto_point pt;
	size_t i, k;

	if (p == NULL && ((p = proto_parser_new(100000)) == NULL ||
	    (q = proto_parser_new(100000)) == NULL))
		abort();
	for (k = 0; k < 2; k++) {
		m = proto_parse(p, (const char *)data, size, flags[k]);
		switch (m->kind) {
		case PROTO_INVALID:
			if (m->error == NULL)
				abort();
			break;
		case PROTO_POINT:
			check_point(&m->point, flags[k]);
			pt = m->point;
			check_reply(q, &pt);
			break;
		case PROTO_SETTINGS:
			if (m->hello.error[0] == '\0' &&
			    (m->hello.has & PROTO_HAS_WINDOW) &&
			    (m->hello.window < 4 || m->hello.window > 100000))
				abort();
			break;
		case PROTO_BATCH:
			if (!(flags[k] & PROTO_V2))
				abort();
			for (i = 0; i < m->nitems; i++)
				check_point(&m->items[i], flags[k]);
			break;
		default:
			abort();
		}
	}
	return 0;
}
