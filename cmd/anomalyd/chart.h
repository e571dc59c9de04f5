/*
 * chart.h: the client page's chart as static SVG: the picture the page
 * shows when JavaScript is off (app.js replaces it with the live uPlot
 * chart).
 */
#ifndef ANOMALYD_CHART_H
#define ANOMALYD_CHART_H

#include <stddef.h>

#include "jsonbuf.h"

/* What the chart draws of a point. */
struct chart_dot {
	double	 value;
	int	 anomaly, alert;
};

/* The values of the n dots at d, oldest first, as an SVG line with the
 * anomalies circled and the alerts as vertical lines, then their minimum
 * and maximum as a line of text. */
void chart_svg(struct jsonbuf *b, const struct chart_dot *d, size_t n);

#endif
