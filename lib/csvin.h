/*
 * csvin.h: streaming CSV input of (timestamp, value) rows (SPEC §6).
 *
 * RFC 4180 CSV read through libcsv: quoted fields (with commas, quotes and
 * line breaks inside), CRLF, LF or CR line ends, a UTF-8 byte order mark at
 * the start, blank lines skipped.  The first row is a header unless told
 * otherwise.  Two columns are picked, each by name (from the header) or by
 * 1-based number; by default the column named "timestamp" else the first,
 * and the column named "value" else the second (names compare without
 * regard to ASCII case when no name matches exactly).
 *
 * Guesses, which the caller can report (csvin_columns()): without a
 * value column asked for and no "value" in the header, a column named
 * "Adj Close", else "Close" (a Yahoo Finance download), is the value; a
 * first row of only numbers and dates, when no column is asked for by
 * name, is data, not a header.  A column asked for by number that the
 * first row does not have is a fatal error, as is a name not in the
 * header (its message lists the header's names).
 *
 * Each data row becomes a record: its line number, its timestamp text and
 * its value.  A row that cannot be one (a missing column, a timestamp that
 * is empty, over CSVIN_TS_MAX bytes or holds a control character, a value
 * that is not a finite decimal number) comes back as a bad record with a
 * message and its line number; reading goes on with the next row.
 * Memory is bounded whatever the input: a field longer than
 * CSVIN_FIELD_MAX bytes is cut (and its row is bad if it is a chosen
 * column); binary junk is just bad rows.
 *
 * Two ways to read, not to be mixed on one reader: push bytes with
 * csvin_feed() and csvin_finish() and get each record through a callback,
 * or pull records one at a time with csvin_next() from a FILE *.
 * Numbers are read in the C locale's form: keep LC_NUMERIC at "C".
 */
#ifndef ANOMALY_CSVIN_H
#define ANOMALY_CSVIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CSVIN_TS_MAX	64	/* bytes of a timestamp (SPEC §2.2) */
#define CSVIN_VALUE_MAX	64	/* bytes of a value's text */
#define CSVIN_FIELD_MAX	1024	/* bytes of any field kept; more is cut */
#define CSVIN_ERR_MAX	128	/* bytes of a bad record's message */

struct csvin_options {
	const char	*time_column;	/* a name or a 1-based number; NULL:
					 * "timestamp" else column 1 */
	const char	*value_column;	/* NULL: "value" else column 2 */
	int		 no_header;	/* 1: the first row is data; then
					 * columns can only be numbers */
};

/* One data row.  Good when error is NULL. */
struct csvin_record {
	uint64_t	 line;		/* the line the row starts on, from 1 */
	const char	*error;		/* why the row is bad, or NULL */
	/* Good rows only: */
	const char	*timestamp;	/* 1..CSVIN_TS_MAX bytes, NUL-terminated */
	size_t		 timestamp_len;
	int		 timestamp_is_number;	/* a JSON number (RFC 8259) */
	const char	*value;		/* the value's text, trimmed, NUL-ended */
	size_t		 value_len;
	double		 v;		/* the value, finite */
};

/* What csvin_next() returns. */
#define CSVIN_ERROR	(-1)	/* fatal: see err; nothing more to read */
#define CSVIN_EOF	0	/* no more rows */
#define CSVIN_ROW	1	/* a good record */
#define CSVIN_BAD	2	/* a bad record: see its error and line */

struct csvin;

/* Returns a reader for the options o, or NULL with a message in err
 * (errlen bytes) when a column is empty or named while there is no header,
 * or when memory is short.  Free it with csvin_free(). */
struct csvin *csvin_new(const struct csvin_options *o, char *err,
    size_t errlen);

/* Frees r; NULL is a no-op. */
void csvin_free(struct csvin *r);

/* Called for each record, good or bad; the record and its strings are
 * valid during the call only.  Returning non-zero stops csvin_feed() or
 * csvin_finish(), which then return that value. */
typedef int (*csvin_cb)(void *arg, const struct csvin_record *rec);

/* Parses the len bytes at buf, the next part of the input, and calls cb
 * for each row they complete.  Returns 0; the callback's non-zero value
 * when it stopped; or -1 with a message in err on a fatal error (a
 * column name missing from the header, memory short), after which r
 * only fails. */
int csvin_feed(struct csvin *r, const void *buf, size_t len, csvin_cb cb,
    void *arg, char *err, size_t errlen);

/* Ends the input: calls cb for a last row without a line end.  Returns as
 * csvin_feed(). */
int csvin_finish(struct csvin *r, csvin_cb cb, void *arg, char *err,
    size_t errlen);

/* Reads the next record from fp into rec, valid until the next call on r.
 * Returns CSVIN_ROW, CSVIN_BAD, CSVIN_EOF, or CSVIN_ERROR with a message in
 * err (a read error, a column name missing from the header, memory
 * short).  It reads fp's descriptor with read(2), taking what is there
 * (a pipe's rows come as they are written), so nothing may have been read
 * from fp through stdio before; fp belongs to the reader until CSVIN_EOF. */
int csvin_next(struct csvin *r, FILE *fp, struct csvin_record *rec,
    char *err, size_t errlen);

/* Reads fp (as csvin_next(), which goes on from there) until the first
 * row is read, so that the columns are known.  Returns 0, or -1 with a
 * message in err: a read error, a column not in the header (see
 * csvin_new()), memory short.  At the end of the input it returns 0 and
 * csvin_columns() fails. */
int csvin_start(struct csvin *r, FILE *fp, char *err, size_t errlen);

/* The columns a reader chose, known once the first row was read. */
struct csvin_columns {
	int		 time_index, value_index;	/* 0-based */
	const char	*time_name, *value_name;	/* header text (cut to
					 * 48 bytes), NULL without a header */
	int		 time_guessed;	/* not asked for, no "timestamp" in the
					 * header: the first column */
	int		 value_guessed;	/* not asked for, no "value": "Adj
					 * Close", "Close" or the second */
	int		 first_row_is_data;	/* a header was expected, the
					 * first row was only numbers and
					 * dates: read as data */
	long		 ncols;		/* fields of the first row */
	int		 yahoo;		/* the header is a Yahoo Finance
					 * download's: Date, Open, High, Low,
					 * Close and Volume (Adj Close or
					 * not), a price series */
};

/* Fills c and returns 0 once the first row was read (valid while r
 * lives), else -1. */
int csvin_columns(const struct csvin *r, struct csvin_columns *c);

/* Bytes of input the reader has taken so far (for a progress report). */
uint64_t csvin_offset(const struct csvin *r);

#endif
