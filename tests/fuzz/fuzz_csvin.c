/*
 * fuzz_csvin: libFuzzer target for lib/csvin.c (CSV input of
 * anomaly-send).
 *
 * The input is fed in slices whose sizes come from its first byte, under
 * default columns with a header and with --no-header.  Beyond not
 * crashing it checks what a good record promises: a timestamp of 1 to
 * CSVIN_TS_MAX bytes, NUL-terminated, a finite value, a bad record with
 * an error, and lines that never go backwards.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csvin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	uint64_t line;
};

static int
check(void *arg, const struct csvin_record *rec)
{
	struct seen *s = arg;

	if (rec->line < s->line)
		abort();
	s->line = rec->line;
	if (rec->error != NULL)
		return 0;
	if (rec->timestamp_len < 1 || rec->timestamp_len > CSVIN_TS_MAX ||
	    strlen(rec->timestamp) != rec->timestamp_len ||
	    strlen(rec->value) != rec->value_len || !isfinite(rec->v))
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csvin_options o;
	struct csvin *r;
	struct seen s;
	char err[CSVIN_ERR_MAX];
	size_t slice, off, n;
	int k;

	if (size < 1)
		return 0;
	slice = (size_t)data[0] % 17 + 1;
	data++;
	size--;
	for (k = 0; k < 2; k++) {
		memset(&o, 0, sizeof(o));
		o.no_header = k;
		if ((r = csvin_new(&o, err, sizeof(err))) == NULL)
			abort();
		memset(&s, 0, sizeof(s));
		for (off = 0; off < size; off += n) {
			n = size - off < slice ? size - off : slice;
			if (csvin_feed(r, data + off, n, check, &s, err,
			    sizeof(err)) != 0)
				break;
		}
		if (off >= size)
			csvin_finish(r, check, &s, err, sizeof(err));
		csvin_free(r);
	}
	return 0;
}
