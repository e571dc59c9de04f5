/*
 * fmt.h: how anomaly-top writes numbers, ages and series as text: pure
 * functions, no curses, no I/O, so that they are unit-tested alone.
 *
 * Glyphs are Unicode code points; with utf8 == 0 every glyph is ASCII.
 * Every glyph is one terminal column wide.
 */
#ifndef TOP_FMT_H
#define TOP_FMT_H

#include <stddef.h>
#include <stdint.h>

/* Writes count n in at most width columns (width >= 4): exact when it fits,
 * else with a suffix k, M, G, T ("12.3M").  Returns buf. */
char *fmt_count(int64_t n, int width, char *buf, size_t size);

/* Writes the value v in at most width columns (width >= 6) with as many
 * significant digits as fit (at most 6); NAN as "-".  Returns buf. */
char *fmt_value(double v, int width, char *buf, size_t size);

/* Writes a rate (per second) in at most 7 columns: "-" when unknown (NAN),
 * else like "0.5", "20.0", "1234", "12.3k".  Returns buf. */
char *fmt_rate(double r, char *buf, size_t size);

/* Writes part/whole as a percentage with two decimals ("0.70%"), "-" when
 * whole is 0.  Returns buf. */
char *fmt_percent(int64_t part, int64_t whole, char *buf, size_t size);

/* Writes the age of a time, ms milliseconds ago, in at most 5 columns:
 * "now" under a second, then "12s", "5m", "3h", "14d".  Returns buf. */
char *fmt_age(int64_t ms, char *buf, size_t size);

/* Writes ms (epoch milliseconds) as UTC "YYYY-MM-DD hh:mm:ss".  Returns
 * buf. */
char *fmt_clock(int64_t ms, char *buf, size_t size);

/* Appends code point cp to buf as UTF-8 (at most 4 bytes, buf must have
 * room); returns the number of bytes written. */
size_t fmt_utf8(uint32_t cp, char *buf);

/* Point flags in series. */
#define FMT_ANOMALY	1
#define FMT_ALERT	2

/* A sparkline of n values into n glyphs: each value scaled between the
 * series' minimum and maximum to one of 8 levels (block elements "▁".."█"
 * or ASCII "_.-~=+*#"); a flat series sits on the lowest level.  When
 * mark is set, points with FMT_ANOMALY in flags (may be NULL) get '!'
 * instead.  Values that are NAN are blank. */
void fmt_sparkline(const double *v, const unsigned char *flags, size_t n,
    int utf8, int mark, uint32_t *out);

/* A chart of n values in a grid of rows x cols cells.  With utf8, braille:
 * two points per cell column, four dots per cell row; otherwise one point
 * per column as '*' with '|' joining consecutive points.  The newest point
 * is at the right: when there are fewer points than the grid holds, the
 * chart is right-aligned.  lo and hi are the value range drawn (a flat range
 * is widened).  Writes rows*cols glyphs to cells (a blank is ' ') and, per
 * cell, the FMT_ flags of the points in it to cellflags. */
void fmt_chart(const double *v, const unsigned char *flags, size_t n,
    double lo, double hi, int rows, int cols, int utf8, uint32_t *cells,
    unsigned char *cellflags);

/* How many points fmt_chart() shows in cols columns. */
size_t fmt_chart_points(int cols, int utf8);

/* Sets *lo and *hi to the minimum and maximum of the n values (NANs
 * skipped), widened a little when equal.  Returns 0, or -1 when there is no
 * finite value. */
int fmt_range(const double *v, size_t n, double *lo, double *hi);

#endif
