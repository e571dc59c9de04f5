/*
 * fuzz_timefmt: libFuzzer target for lib/timefmt.c (ISO 8601 dates).
 *
 * Beyond not crashing: a date that parses formats to text that parses
 * back to the same instant, and the formatted text fits its buffer.  The
 * first 8 bytes, when there are that many, also go through
 * timefmt_from_seconds() and its round trip.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
round_trip(int64_t ms)
{
	char buf[64];
	size_t n;
	int64_t back;

	n = timefmt_format(ms, buf, sizeof(buf));
	if (n == 0 || n >= sizeof(buf))
		return;
	if (strlen(buf) != n)
		abort();
	if (timefmt_parse(buf, n, &back) != 0 || back != ms)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t ms, sec;

	if (timefmt_parse((const char *)data, size, &ms) == 0)
		round_trip(ms);
	if (size >= 8) {
		memcpy(&sec, data, 8);
		if (timefmt_from_seconds(sec, &ms) == 0)
			round_trip(ms);
	}
	return 0;
}
