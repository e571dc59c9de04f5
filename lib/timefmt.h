/*
 * timefmt.h: timestamps as epoch milliseconds (SPEC §2.2, §4).
 *
 * A timestamp string is a date when it is an ISO 8601 / RFC 3339 date or
 * date-time: "2014-07-01", "2014-07-01 00:00:00", "2014-07-01T00:00:00Z",
 * with fractional seconds and a zone ("Z", "+02:00", "-0530", "+02"); no zone
 * means UTC.  Anything else ("sensor reading 5", "007") is not a date.  Epoch
 * numbers are seconds.  All of it is proleptic Gregorian arithmetic on
 * integers: no time zone database, no locale, no libc time functions, and no
 * undefined behaviour for any input.
 */
#ifndef ANOMALY_TIMEFMT_H
#define ANOMALY_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Bytes that hold any text timefmt_format() writes, its NUL included. */
#define TIMEFMT_BUFSIZE	32

/* Parses the len bytes at s as a date.  Returns 0 and sets *ms to its epoch
 * milliseconds (fractions of a millisecond are cut off, towards the past),
 * or -1 when s is not a date: not of the forms
 *	YYYY-MM-DD
 *	YYYY-MM-DD{T|t| }hh:mm[:ss[{.|,}f...]][Z|z|{+|-}hh[[:]mm]]
 * (years 0000-9999, or a sign and 6 to 9 digits as ISO 8601's expanded
 * years, which timefmt_format() writes outside 0000-9999), or out of range:
 * month 1-12, day 1-28..31 by month and leap year, hour 0-23 (24:00:00 with
 * a zero fraction is the next midnight), minute 0-59, second 0-60 (60 is the
 * first second of the next minute), zone hours 0-23 and minutes 0-59, and
 * the result within int64.  Nothing around the date is allowed, not even
 * white space. */
int timefmt_parse(const char *s, size_t len, int64_t *ms);

/* Sets *ms to sec epoch seconds in milliseconds and returns 0, or returns -1
 * (*ms unchanged) when that is outside int64. */
int timefmt_from_seconds(int64_t sec, int64_t *ms);

/* Sets *ms to sec epoch seconds in milliseconds, rounded to the nearest one
 * (halves away from zero), and returns 0, or returns -1 (*ms unchanged) when
 * sec is not finite or the result is outside int64. */
int timefmt_from_seconds_real(double sec, int64_t *ms);

/* Writes ms as ISO 8601 UTC text, "2014-07-01T00:00:00.000Z" (years outside
 * 0000-9999 as "+012345-..." or "-000001-..."), to buf: at most size bytes,
 * NUL-terminated when size > 0 (TIMEFMT_BUFSIZE is always enough).  Returns
 * the length of the whole text, which timefmt_parse() reads back as ms. */
size_t timefmt_format(int64_t ms, char *buf, size_t size);

#endif
