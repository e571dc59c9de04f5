/*
 * chart.c: the static SVG chart of the client page (see chart.h).
 */
#include <math.h>
#include <stddef.h>

#include "chart.h"
#include "put.h"

#define SVG_W	1000
#define SVG_H	260
#define SVG_PAD	10

void
chart_svg(struct jsonbuf *b, const struct chart_dot *d, size_t n)
{
	double lo = INFINITY, hi = -INFINITY, half, x, y;
	size_t i;

	put_fmt(b, "<svg class=\"static-chart\" viewBox=\"0 0 %d %d\" "
	    "role=\"img\" aria-label=\"values of the latest %zu points\">",
	    SVG_W, SVG_H, n);
	for (i = 0; i < n; i++) {
		if (d[i].value < lo)
			lo = d[i].value;
		if (d[i].value > hi)
			hi = d[i].value;
	}
	/* hi - lo overflows for values near +-DBL_MAX: scale by halves,
	 * which cannot (|v / 2 - lo / 2| <= DBL_MAX); a range too small to
	 * tell apart is drawn flat */
	half = hi / 2 - lo / 2;
#define SX(i)	(SVG_PAD + (n > 1 ? (double)(i) * (SVG_W - 2 * SVG_PAD) / \
		    (double)(n - 1) : (SVG_W - 2 * SVG_PAD) / 2.0))
#define SY(v)	(half > 0 ? SVG_PAD + (1 - fmin(1, fmax(0, ((v) / 2 - lo / 2) / \
		    half))) * (SVG_H - 2 * SVG_PAD) : SVG_H / 2.0)
	for (i = 0; i < n; i++)
		if (d[i].alert)
			put_fmt(b, "<line class=\"alert\" x1=\"%.1f\" y1=\"0\" "
			    "x2=\"%.1f\" y2=\"%d\"/>", SX(i), SX(i), SVG_H);
	if (n > 0) {
		put_str(b, "<polyline class=\"values\" points=\"");
		for (i = 0; i < n; i++) {
			x = SX(i);
			y = SY(d[i].value);
			put_fmt(b, "%s%.1f,%.1f", i ? " " : "", x, y);
		}
		put_str(b, "\"/>");
	}
	for (i = 0; i < n; i++)
		if (d[i].anomaly)
			put_fmt(b, "<circle class=\"anomaly\" cx=\"%.1f\" "
			    "cy=\"%.1f\" r=\"4\"/>", SX(i), SY(d[i].value));
#undef SX
#undef SY
	put_str(b, "</svg>");
	if (n > 0) {
		put_str(b, "<p class=\"range\">min ");
		put_number(b, lo, 0);
		put_str(b, " \xc2\xb7 max ");
		put_number(b, hi, 0);
		put_str(b, "</p>");
	}
}
