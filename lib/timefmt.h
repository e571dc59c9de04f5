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

/* A timestamp as anomaly-send sends it: its text, and whether that is a
 * JSON number (else it goes as a string). */
struct timefmt_ts {
	const char	*text;
	size_t		 len;
	int		 is_number;
};

/* Compares two timestamps by the time they stand for: numbers (and
 * strings of decimal digits, sequence numbers sent as strings) by value,
 * dates by their time, a number against a date as epoch seconds.  Returns
 * 0 and sets *cmp to -1, 0 or 1 (a before, at or after b), or returns -1
 * when one of them is neither a number nor a date. */
int timefmt_compare(const struct timefmt_ts *a, const struct timefmt_ts *b,
    int *cmp);

/* What an epoch number's magnitude says it counts (anomaly-send's guess):
 * TIMEFMT_SEQUENCE below 1e8 in absolute value (before 1973-03-03 as
 * seconds: a step or sequence number, not a time), TIMEFMT_SECONDS below
 * 1e11 (year 5138), TIMEFMT_MILLIS below 1e14, TIMEFMT_MICROS below 1e17,
 * else TIMEFMT_NANOS. */
enum timefmt_unit {
	TIMEFMT_SEQUENCE, TIMEFMT_SECONDS, TIMEFMT_MILLIS, TIMEFMT_MICROS,
	TIMEFMT_NANOS
};
enum timefmt_unit timefmt_number_unit(double v);

/* Sets *ms to the epoch time of the number v read in the unit its
 * magnitude says (timefmt_number_unit), rounded to the nearest ms, and
 * returns 0; returns -1 (*ms unchanged) for a sequence number or a time
 * outside int64 milliseconds. */
int timefmt_number_ms(double v, int64_t *ms);

/* Writes the JSON number s (len bytes) divided by 10^digits (0..9) to out
 * (size bytes), exactly when s has no exponent (the decimal point moved,
 * trailing zeros of the fraction dropped), else as the shortest text of
 * the double.  Returns 0, or -1 when s is not a number or out is too
 * small. */
int timefmt_scale_number(const char *s, size_t len, int digits, char *out,
    size_t size);

/* Writes the timestamp ts moved by shift_ms to out (size bytes): a number
 * as epoch seconds (an integer stays an integer when shift_ms is whole
 * seconds; else 3 decimals at most, trailing zeros dropped), a date in
 * its own layout (separator, seconds, fraction digits and zone kept; a
 * date-only text moves by whole days, cut towards the past).  Returns 0,
 * or -1 when ts is neither a number nor a date, the result leaves years
 * 0000-9999 (dates) or out is too small. */
int timefmt_shift(const struct timefmt_ts *ts, int64_t shift_ms, char *out,
    size_t size);

/* For replaying a series of n times (epoch ms, in input order) in laps:
 * the shift of one lap, the span (latest minus earliest) plus the median
 * step between consecutive times, or 1000 when that is not positive.
 * Reorders times. */
int64_t timefmt_lap_ms(int64_t *times, size_t n);

/* For replaying n values (in input order) in laps so that each lap goes on
 * from the last value of the one before: the level to add per lap, the
 * last value minus the first plus the median step between consecutive
 * values (the mean of the middle two when their count is even; 0 when
 * n < 2).  Reorders values. */
double timefmt_lap_level(double *values, size_t n);

/* Writes the value v to out (size bytes, NUL-terminated when size > 0) as
 * text like like, a value of the input that v was shifted from: with as
 * many decimals as like has when like has no exponent and they hold v up
 * to float noise (1e-9 relative), else the shortest text that reads back
 * as v.  Returns 0, or -1 when the text was cut to fit out. */
int timefmt_value_like(double v, const char *like, char *out, size_t size);

#endif
