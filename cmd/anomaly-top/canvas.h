/*
 * canvas.h: a screen as a grid of cells (a glyph and a style), drawn by the
 * views and put on the terminal by crt.c, or read back by the tests.
 */
#ifndef TOP_CANVAS_H
#define TOP_CANVAS_H

#include <stddef.h>
#include <stdint.h>

/* What a cell means; crt.c turns it into colours or, in monochrome, into
 * bold, reverse and underline. */
enum style {
	ST_NORMAL,
	ST_HEADER,		/* header figures */
	ST_TITLE,		/* column titles, the detail's title line */
	ST_SELECTED,		/* the selected row */
	ST_ACTIVE,		/* state "active" */
	ST_INACTIVE,		/* an inactive client's row */
	ST_ANOMALY,		/* anomalous points */
	ST_ALERT,		/* alerts */
	ST_SPARK,		/* sparklines */
	ST_CHART,		/* the detail chart */
	ST_AXIS,		/* axis labels, dim text */
	ST_KEY,			/* a key in the footer */
	ST_KEYLABEL,		/* its label */
	ST_PAUSED,		/* the PAUSED mark, errors */
	ST_COUNT
};

struct cell {
	uint32_t ch;		/* a code point one column wide */
	unsigned char style;	/* enum style */
};

struct canvas {
	int	 rows, cols;
	struct cell *cells;	/* rows * cols */
};

/* Sets c to a blank grid of rows x cols (both at least 1).  Returns 0, or
 * -1 when out of memory (c is then empty). */
int canvas_init(struct canvas *c, int rows, int cols);

/* Frees the cells of c. */
void canvas_free(struct canvas *c);

/* Blanks every cell. */
void canvas_clear(struct canvas *c);

/* Writes the ASCII or UTF-8 text s at row y, column x, in style st, cut at
 * the right edge and at max columns when max > 0.  Returns the columns
 * written. */
int canvas_text(struct canvas *c, int y, int x, int st, const char *s,
    int max);

/* printf into canvas_text() (at most 512 bytes). */
int canvas_printf(struct canvas *c, int y, int x, int st, const char *fmt,
    ...) __attribute__((format(printf, 5, 6)));

/* Sets the cell at y, x (ignored outside the grid). */
void canvas_put(struct canvas *c, int y, int x, int st, uint32_t ch);

/* Sets the style of the cells y, x .. x+len-1. */
void canvas_style(struct canvas *c, int y, int x, int len, int st);

/* Row y as UTF-8 text without trailing blanks into buf (size bytes, NUL
 * terminated).  Returns buf. */
char *canvas_row(const struct canvas *c, int y, char *buf, size_t size);

#endif
