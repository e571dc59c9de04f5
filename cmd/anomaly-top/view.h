/*
 * view.h: anomaly-top's screens, drawn from the model into a canvas: the
 * header, the table of clients, the detail view of one client, the help,
 * the footer.  No curses here: crt.c puts the canvas on the terminal, and
 * the tests read it.
 */
#ifndef TOP_VIEW_H
#define TOP_VIEW_H

#include <stdint.h>

#include "canvas.h"
#include "model.h"

/* What the views need besides the model. */
struct view_env {
	int	 utf8;			/* Unicode glyphs, else ASCII */
	int	 colour;		/* colours, else marks for monochrome */
	const char *const *dbpaths;	/* the databases, ndb of them */
	int	 ndb;
	int64_t	 now_ms;		/* the wall clock, for ages */
};

/* The screen rows of the table's first client row. */
#define VIEW_TABLE_Y	3

/* Sets in m what depends on the screen size (and on ndb, the number of
 * databases): the table's page, the width of the sparklines, the points of
 * the detail chart, the anomalies listed. */
void view_layout(struct top_model *m, int rows, int cols, int utf8,
    int ndb);

/* Draws the model's current view (and the help, the filter prompt) into
 * c, the whole grid. */
void view_draw(struct canvas *c, const struct top_model *m,
    const struct view_env *env);

/* The names of the detectors in votes joined by '+' into buf ("-" when
 * none).  Returns buf. */
char *view_votes(uint32_t votes, char *buf, size_t size);

#endif
