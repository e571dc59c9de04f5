/*
 * view.c: anomaly-top's screens drawn into a canvas (see view.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detect.h"
#include "fmt.h"
#include "view.h"

#define AXIS_W		9	/* the chart's value labels and a space */

enum col { C_ID, C_ST, C_WIN, C_POINTS, C_ANOM, C_ALERT, C_PCT, C_RATE,
    C_LAST, C_SEEN, C_SPARK, C_COUNT };

static const struct {
	const char *title;
	int	 width;			/* 0: computed */
	int	 right;			/* right-aligned */
	enum top_sort sort;		/* the sort it shows, or SORT_COUNT */
} colspec[C_COUNT] = {
	[C_ID] = { "CLIENT", 0, 0, SORT_ID },
	[C_ST] = { "ST", 3, 0, SORT_COUNT },
	[C_WIN] = { "WINDOW", 6, 1, SORT_COUNT },
	[C_POINTS] = { "POINTS", 7, 1, SORT_POINTS },
	[C_ANOM] = { "ANOM", 6, 1, SORT_ANOMALIES },
	[C_ALERT] = { "ALERTS", 6, 1, SORT_ALERTS },
	[C_PCT] = { "ANOM%", 6, 1, SORT_PERCENT },
	[C_RATE] = { "RATE/s", 6, 1, SORT_RATE },
	[C_LAST] = { "LAST", 8, 1, SORT_COUNT },
	[C_SEEN] = { "SEEN", 4, 1, SORT_SEEN },
	[C_SPARK] = { "RECENT", 0, 0, SORT_COUNT },
};

/* Columns dropped first when the screen is narrow. */
static const enum col drop_order[] = { C_WIN, C_PCT, C_SEEN, C_LAST, C_ST,
    C_ANOM, C_RATE, C_ALERT };

/* The widths of the table's columns at cols columns (0: not shown): the
 * client id as long as the longest listed (6 to 24), the sparkline what is
 * left; on a narrow screen the id shrinks to 12, then columns go, then the
 * sparkline. */
static void
table_layout(const struct top_model *m, int cols, int ndb, int *w)
{
	size_t r, len, longest = 6, k = 0;
	int i, used;

	for (r = 0; r < m->nrows; r++)
		if ((len = strlen(model_row(m, r)->id)) > longest)
			longest = len;
	if (ndb > 1)
		longest += 3;		/* "@N", see table() */
	for (i = 0; i < C_COUNT; i++)
		w[i] = colspec[i].width;
	w[C_ID] = longest > 24 ? 24 : (int)longest;
	for (;;) {
		used = 0;
		for (i = 0; i < C_COUNT; i++)
			if (i != C_SPARK && w[i] > 0)
				used += w[i] + 1;
		w[C_SPARK] = cols - used;
		if (w[C_SPARK] >= 8)
			break;
		if (w[C_ID] > 12) {
			w[C_ID] -= 8 - w[C_SPARK];
			if (w[C_ID] < 12)
				w[C_ID] = 12;
			continue;
		}
		if (k == sizeof(drop_order) / sizeof(drop_order[0])) {
			if (w[C_SPARK] < 4)
				w[C_SPARK] = 0;
			break;
		}
		w[drop_order[k++]] = 0;
	}
	if (w[C_SPARK] > TOP_SPARK_MAX)
		w[C_SPARK] = TOP_SPARK_MAX;
}

/* Rows of the detail view's chart and of its anomaly list. */
static void
detail_layout(int rows, int *chart, int *list)
{
	int room = rows - 8;

	if (room < 4)
		room = 4;
	*list = room / 3;
	if (*list < 2)
		*list = 2;
	*chart = room - *list;
	if (*chart < 2)
		*chart = 2;
}

void
view_layout(struct top_model *m, int rows, int cols, int utf8, int ndb)
{
	int w[C_COUNT], chart, list;
	size_t pts;

	model_set_page(m, rows - VIEW_TABLE_Y - 1);
	table_layout(m, cols, ndb, w);
	m->spark_width = w[C_SPARK];
	pts = fmt_chart_points(cols - AXIS_W, utf8);
	m->detail_width = pts > TOP_CHART_MAX ? TOP_CHART_MAX : pts;
	detail_layout(rows, &chart, &list);
	m->anom_page = list;
	/* the alerts view: the title row under the header, the footer */
	m->alert_page = rows - VIEW_TABLE_Y - 1 > 1 ? rows - VIEW_TABLE_Y - 1 :
	    1;
}

char *
view_votes(uint32_t votes, char *buf, size_t size)
{
	size_t len = 0;
	unsigned k;
	const char *name;

	buf[0] = '\0';
	for (k = 0; k < 32; k++) {
		if (!(votes & (1u << k)))
			continue;
		name = detect_kind_name(k);
		len += (size_t)snprintf(buf + len, len < size ? size - len : 0,
		    "%s%s", len > 0 ? "+" : "", name != NULL ? name : "?");
		if (len >= size)
			break;
	}
	if (buf[0] == '\0')
		snprintf(buf, size, "-");
	return buf;
}

/* Writes s in a field of width w at x, right-aligned when right. */
static void
field(struct canvas *c, int y, int x, int w, int right, int st, const char *s)
{
	int len = (int)strlen(s);

	if (w <= 0)
		return;
	if (right && len < w)
		x += w - len;
	canvas_text(c, y, x, st, s, w);
}

static void
header(struct canvas *c, const struct top_model *m,
    const struct view_env *env)
{
	struct top_totals t;
	char rate[16], clock[16], span[32], anoms[32], alerts[32];
	int long_form;
	time_t now = (time_t)(env->now_ms / 1000);
	struct tm tm;
	int x = 0;

	model_totals(m, &t);
	fmt_rate(t.rate, rate, sizeof(rate));
	if (t.span_ms >= TOP_MINUTE_MS)
		snprintf(span, sizeof(span), "last 1m");
	else
		snprintf(span, sizeof(span), "last %llds",
		    (long long)(t.span_ms / 1000));
	fmt_count(t.anomalies, 6, anoms, sizeof(anoms));
	fmt_count(t.alerts, 6, alerts, sizeof(alerts));
	/* the long form when it fits, else without the name and shorter */
	long_form = 56 + strlen(rate) + strlen(anoms) + strlen(alerts) +
	    (size_t)snprintf(NULL, 0, "%zu%zu%s", t.active, t.total, span) <=
	    (size_t)c->cols;
	if (long_form)
		x += canvas_text(c, 0, x, ST_HEADER, "anomaly-top  ", 0);
	x += canvas_printf(c, 0, x, ST_NORMAL, "clients ");
	x += canvas_printf(c, 0, x, ST_HEADER, "%zu/%zu", t.active, t.total);
	x += canvas_printf(c, 0, x, ST_NORMAL, long_form ? "  points/s " :
	    " pts/s ");
	x += canvas_printf(c, 0, x, ST_HEADER, "%s", rate);
	x += canvas_printf(c, 0, x, ST_NORMAL, long_form ? "  anomalies " :
	    " anom ");
	x += canvas_printf(c, 0, x, t.anomalies ? ST_ANOMALY : ST_HEADER,
	    "%s", anoms);
	x += canvas_printf(c, 0, x, ST_NORMAL, " alerts ");
	x += canvas_printf(c, 0, x, t.alerts ? ST_ALERT : ST_HEADER, "%s",
	    alerts);
	canvas_printf(c, 0, x, ST_NORMAL, " (%s)", span);
	localtime_r(&now, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);

	x = 0;
	canvas_text(c, 1, c->cols - 8, ST_NORMAL, clock, 0);
	if (m->paused)
		canvas_text(c, 1, c->cols - 17, ST_PAUSED, " PAUSED ", 0);
	if (m->error[0] != '\0') {
		canvas_printf(c, 1, 0, ST_PAUSED, "%s", m->error);
		return;
	}
	x += canvas_text(c, 1, x, ST_NORMAL, "db ", 0);
	x += canvas_text(c, 1, x, ST_HEADER, env->ndb > 0 ?
	    env->dbpaths[0] : "-", 0);
	if (env->ndb > 1)
		x += canvas_printf(c, 1, x, ST_NORMAL, " +%d more",
		    env->ndb - 1);
	if (m->view == VIEW_TABLE) {
		x += canvas_printf(c, 1, x, ST_NORMAL, "  sort ");
		x += canvas_text(c, 1, x, ST_HEADER,
		    model_sort_name(m->sort), 0);
		if (m->filter[0] != '\0') {
			x += canvas_printf(c, 1, x, ST_NORMAL, "  filter ");
			x += canvas_text(c, 1, x, ST_HEADER, m->filter, 0);
		}
		if (m->show_inactive)
			canvas_printf(c, 1, x, ST_NORMAL, "  inactive shown");
		else if (t.total > t.active)
			canvas_printf(c, 1, x, ST_NORMAL,
			    "  %zu inactive hidden", t.total - t.active);
	} else if (m->view == VIEW_ALERTS)
		canvas_printf(c, 1, x, ST_NORMAL, "  alerts of all clients, "
		    "newest first");
}

/* One footer: pairs of key and label. */
static void
footer(struct canvas *c, const char *const *pairs, size_t n)
{
	int y = c->rows - 1, x = 0;
	size_t i;

	canvas_style(c, y, 0, c->cols, ST_KEYLABEL);
	for (i = 0; i + 1 < n; i += 2) {
		if (x + (int)strlen(pairs[i]) + 1 +
		    (int)strlen(pairs[i + 1]) > c->cols)
			break;
		x += canvas_text(c, y, x, ST_KEY, pairs[i], 0);
		x += canvas_printf(c, y, x, ST_KEYLABEL, " %s ",
		    pairs[i + 1]);
	}
}

static void
prompt(struct canvas *c, const struct top_model *m)
{
	int y = c->rows - 1, x = 0;

	canvas_style(c, y, 0, c->cols, ST_KEYLABEL);
	x += canvas_text(c, y, x, ST_KEY, "Filter: ", 0);
	x += canvas_text(c, y, x, ST_KEYLABEL, m->filter, 0);
	canvas_put(c, y, x, ST_KEY, '_');
	if (x + 30 < c->cols)
		canvas_text(c, y, c->cols - 24, ST_KEYLABEL,
		    "Enter: done  Esc: cancel", 0);
}

/* The sparkline of client cl at y, x in w columns. */
static void
sparkline(struct canvas *c, int y, int x, int w, const struct top_client *cl,
    int base, const struct view_env *env)
{
	double v[TOP_SPARK_MAX] = { 0 };
	uint32_t g[TOP_SPARK_MAX];
	const unsigned char *fl;
	int n = cl->nspark < w ? cl->nspark : w, i, first = cl->nspark - n;
	int st;

	fl = cl->sparkflags + first;
	for (i = 0; i < n; i++)
		v[i] = cl->spark[first + i];
	fmt_sparkline(v, fl, (size_t)n, env->utf8, !env->colour, g);
	for (i = 0; i < n; i++) {
		st = base;
		if (fl[i] & FMT_ALERT)
			st = ST_ALERT;
		else if (fl[i] & FMT_ANOMALY)
			st = ST_ANOMALY;
		canvas_put(c, y, x + i, st, g[i]);
	}
}

static void
table(struct canvas *c, const struct top_model *m, const struct view_env *env)
{
	int w[C_COUNT], x, i, y, base, st;
	size_t r;
	char buf[64], id[STORE_ID_MAX + 16];
	const struct top_client *cl;
	struct top_totals t;
	static const char *const keys[] = { "Enter", "Open", "s", "Sort",
	    "/", "Filter", "A", "Alerts", "a", "Inactive", "p", "Pause", "?",
	    "Help", "q", "Quit" };
	size_t hidden;

	table_layout(m, c->cols, env->ndb, w);
	y = VIEW_TABLE_Y - 1;
	canvas_style(c, y, 0, c->cols, ST_TITLE);
	for (i = x = 0; i < C_COUNT; i++) {
		if (w[i] <= 0)
			continue;
		st = colspec[i].sort == m->sort ? ST_SELECTED : ST_TITLE;
		field(c, y, x, w[i], colspec[i].right, st, colspec[i].title);
		x += w[i] + 1;
	}
	for (r = m->top; r < m->nrows && r < m->top + (size_t)m->page; r++) {
		cl = model_row(m, r);
		y = VIEW_TABLE_Y + (int)(r - m->top);
		base = r == m->sel ? ST_SELECTED :
		    cl->active ? ST_NORMAL : ST_INACTIVE;
		if (r == m->sel)
			canvas_style(c, y, 0, c->cols, ST_SELECTED);
		x = 0;
		/* with shards, "id@N": N numbers its database (-d order) */
		if (env->ndb > 1)
			snprintf(id, sizeof(id), "%s@%d", cl->id, cl->db + 1);
		else
			snprintf(id, sizeof(id), "%s", cl->id);
		field(c, y, x, w[C_ID], 0, base, id);
		if ((int)strlen(id) > w[C_ID])
			canvas_put(c, y, w[C_ID] - 1, base, env->utf8 ?
			    0x2026 : '~');
		x += w[C_ID] + 1;
		if (w[C_ST]) {
			field(c, y, x, w[C_ST], 0, r == m->sel ? base :
			    cl->active ? ST_ACTIVE : ST_INACTIVE,
			    cl->active ? "on" : "off");
			x += w[C_ST] + 1;
		}
		if (w[C_WIN]) {
			field(c, y, x, w[C_WIN], 1, base, fmt_count(cl->window,
			    w[C_WIN], buf, sizeof(buf)));
			x += w[C_WIN] + 1;
		}
		field(c, y, x, w[C_POINTS], 1, base, fmt_count(cl->points,
		    w[C_POINTS], buf, sizeof(buf)));
		x += w[C_POINTS] + 1;
		if (w[C_ANOM]) {
			field(c, y, x, w[C_ANOM], 1, base,
			    fmt_count(cl->anomalies, w[C_ANOM], buf,
			    sizeof(buf)));
			x += w[C_ANOM] + 1;
		}
		if (w[C_ALERT]) {
			field(c, y, x, w[C_ALERT], 1, r == m->sel ||
			    cl->alerts == 0 ? base : ST_ALERT,
			    fmt_count(cl->alerts, w[C_ALERT], buf,
			    sizeof(buf)));
			x += w[C_ALERT] + 1;
		}
		if (w[C_PCT]) {
			field(c, y, x, w[C_PCT], 1, base, fmt_percent(
			    cl->anomalies, cl->points, buf, sizeof(buf)));
			x += w[C_PCT] + 1;
		}
		if (w[C_RATE]) {
			field(c, y, x, w[C_RATE], 1, base, fmt_rate(cl->rate,
			    buf, sizeof(buf)));
			x += w[C_RATE] + 1;
		}
		if (w[C_LAST]) {
			field(c, y, x, w[C_LAST], 1, base,
			    fmt_value(cl->last_value, w[C_LAST], buf,
			    sizeof(buf)));
			x += w[C_LAST] + 1;
		}
		if (w[C_SEEN]) {
			field(c, y, x, w[C_SEEN], 1, base, fmt_age(
			    env->now_ms - cl->last_seen_ms, buf,
			    sizeof(buf)));
			x += w[C_SEEN] + 1;
		}
		if (w[C_SPARK])
			sparkline(c, y, x, w[C_SPARK], cl,
			    r == m->sel ? base : ST_SPARK, env);
	}
	if (m->nrows == 0) {
		model_totals(m, &t);
		y = VIEW_TABLE_Y + 1;
		if (t.total == 0)
			canvas_text(c, y, 2, ST_AXIS,
			    "no clients in the database yet", 0);
		else if (m->filter[0] != '\0' &&
		    (hidden = model_hidden_matches(m)) > 0)
			canvas_printf(c, y, 2, ST_AXIS,
			    "no active client matches \"%s\" (%zu inactive: "
			    "press a)", m->filter, hidden);
		else if (m->filter[0] != '\0')
			canvas_printf(c, y, 2, ST_AXIS,
			    "no client matches \"%s\" (Esc: clear the filter)",
			    m->filter);
		else
			canvas_printf(c, y, 2, ST_AXIS, "no active clients "
			    "(a: show the %zu inactive)", t.total - t.active);
	}
	if (m->prompt)
		prompt(c, m);
	else
		footer(c, keys, sizeof(keys) / sizeof(keys[0]));
}

static void
chart(struct canvas *c, const struct top_model *m, const struct view_env *env,
    int y0, int rows)
{
	double v[TOP_CHART_MAX];
	unsigned char fl[TOP_CHART_MAX];
	uint32_t *cells;
	unsigned char *cf;
	int cols = c->cols - AXIS_W, x, y, st;
	double lo = 0, hi = 0;
	char buf[32];
	size_t i, n = m->nchart;
	unsigned char colf;
	uint32_t g;

	if (cols < 1 || rows < 1)
		return;
	for (i = 0; i < n; i++) {
		v[i] = m->chart[i].value;
		fl[i] = m->chart[i].flags;
	}
	if (n == 0 || fmt_range(v, n, &lo, &hi) == -1) {
		canvas_text(c, y0 + rows / 2, AXIS_W, ST_AXIS,
		    m->detail_found ? "no points yet" :
		    "no such client in the database (yet)", 0);
		return;
	}
	cells = malloc((size_t)rows * (size_t)cols * sizeof(*cells));
	cf = malloc((size_t)rows * (size_t)cols);
	if (cells == NULL || cf == NULL) {
		free(cells);
		free(cf);
		canvas_text(c, y0, AXIS_W, ST_PAUSED, "out of memory", 0);
		return;
	}
	fmt_chart(v, fl, n, lo, hi, rows, cols, env->utf8, cells, cf);
	field(c, y0, 0, AXIS_W - 1, 1, ST_AXIS, fmt_value(hi, AXIS_W - 1, buf,
	    sizeof(buf)));
	if (rows >= 3)
		field(c, y0 + rows / 2, 0, AXIS_W - 1, 1, ST_AXIS,
		    fmt_value((lo + hi) / 2, AXIS_W - 1, buf, sizeof(buf)));
	if (rows >= 2)
		field(c, y0 + rows - 1, 0, AXIS_W - 1, 1, ST_AXIS,
		    fmt_value(lo, AXIS_W - 1, buf, sizeof(buf)));
	for (x = 0; x < cols; x++) {
		colf = 0;
		for (y = 0; y < rows; y++) {
			g = cells[y * cols + x];
			st = ST_CHART;
			if (cf[y * cols + x] & FMT_ALERT)
				st = ST_ALERT;
			else if (cf[y * cols + x] & FMT_ANOMALY)
				st = ST_ANOMALY;
			if (!env->utf8 && !env->colour && st != ST_CHART)
				g = st == ST_ALERT ? '@' : 'X';
			canvas_put(c, y0 + y, AXIS_W + x, st, g);
			colf |= cf[y * cols + x];
		}
		/* the marks under the chart: ^ anomaly, ! alert */
		if (colf & FMT_ALERT)
			canvas_put(c, y0 + rows, AXIS_W + x, ST_ALERT, '!');
		else if (colf & FMT_ANOMALY)
			canvas_put(c, y0 + rows, AXIS_W + x, ST_ANOMALY, '^');
	}
	free(cells);
	free(cf);
	canvas_style(c, y0 + rows + 1, 0, c->cols, ST_AXIS);
	x = canvas_printf(c, y0 + rows + 1, AXIS_W, ST_AXIS, "n %lld",
	    (long long)m->chart[0].n);
	snprintf(buf, sizeof(buf), "n %lld%s", (long long)m->chart[n - 1].n,
	    m->detail_end == 0 ? " live" : "");
	if (AXIS_W + x + 2 + (int)strlen(buf) <= c->cols)
		canvas_text(c, y0 + rows + 1, c->cols - (int)strlen(buf),
		    ST_AXIS, buf, 0);
}

static void
detail(struct canvas *c, const struct top_model *m,
    const struct view_env *env)
{
	const struct top_client *cl = model_detail_client(m);
	int chart_rows, list, y, x, i, tsw = 9, len;
	char a[32], b[32], d[32], e[16], votes[160];
	const struct top_anomaly *an;
	static const char *const keys[] = { "Esc", "Back", "PgUp/PgDn",
	    "Pan", "Home/End", "Oldest/Live", "Up/Dn", "Scroll", "A",
	    "Alerts", "?", "Help", "q", "Quit" };
	int st;

	detail_layout(c->rows, &chart_rows, &list);
	canvas_style(c, 2, 0, c->cols, ST_TITLE);
	x = canvas_printf(c, 2, 0, ST_TITLE, " %s", m->detail_id);
	if (cl != NULL) {
		x += canvas_printf(c, 2, x, ST_TITLE, "  %s  window %lld  "
		    "seen %s", cl->active ? "active" : "inactive",
		    (long long)cl->window, fmt_age(env->now_ms -
		    cl->last_seen_ms, e, sizeof(e)));
		if (env->ndb > 1)
			x += canvas_printf(c, 2, x, ST_TITLE, "  db %s",
			    env->dbpaths[cl->db]);
		if (m->detail_end > 0)
			canvas_printf(c, 2, x, ST_TITLE,
			    "  up to n %lld (End: live)",
			    (long long)m->detail_end);
		x = canvas_text(c, 3, 0, ST_NORMAL, "points ", 0);
		x += canvas_text(c, 3, x, ST_HEADER, fmt_count(cl->points, 12,
		    a, sizeof(a)), 0);
		x += canvas_text(c, 3, x, ST_NORMAL, "  anomalies ", 0);
		x += canvas_printf(c, 3, x, ST_ANOMALY, "%s",
		    fmt_count(cl->anomalies, 12, a, sizeof(a)));
		x += canvas_printf(c, 3, x, ST_NORMAL, " (%s)  alerts ",
		    fmt_percent(cl->anomalies, cl->points, b, sizeof(b)));
		x += canvas_printf(c, 3, x, ST_ALERT, "%lld",
		    (long long)cl->alerts);
		x += canvas_printf(c, 3, x, ST_NORMAL, "  rate %s/s  last %s",
		    fmt_rate(cl->rate, d, sizeof(d)),
		    fmt_value(cl->last_value, 10, a, sizeof(a)));
		if (m->detail_oldest > 1)
			canvas_printf(c, 3, x, ST_NORMAL, "  stored from n %lld",
			    (long long)m->detail_oldest);
	}
	chart(c, m, env, 4, chart_rows);

	y = 4 + chart_rows + 2;
	canvas_style(c, y, 0, c->cols, ST_TITLE);
	/* the timestamps as wide as the longest listed, 9 to 20 */
	for (i = 0; (size_t)i < m->nanoms; i++)
		if ((len = (int)strlen(m->anoms[i].ts)) > tsw)
			tsw = len > 20 ? 20 : len;
	canvas_printf(c, y, 0, ST_TITLE, "%9s %-*s %10s %5s %-5s %s", "N",
	    tsw, "TIMESTAMP", "VALUE", "SCORE", "KIND", "DETECTORS");
	if (m->nanoms == 0 && m->detail_found)
		canvas_text(c, y + 1, 2, ST_AXIS, m->detail_end > 0 ?
		    "no anomalies or alerts up to here" :
		    "no anomalies or alerts yet", 0);
	/* an alert's row: ALERT in the alert style (reverse in monochrome)
	 * and its detectors in it too; an anomaly's: anom */
	for (i = 0; i < list && m->anom_top + (size_t)i < m->nanoms; i++) {
		an = &m->anoms[m->anom_top + (size_t)i];
		x = canvas_printf(c, y + 1 + i, 0, ST_NORMAL, "%9lld %-*.*s "
		    "%10s %5.2f ", (long long)an->n, tsw, tsw, an->ts,
		    fmt_value(an->value, 10, a, sizeof(a)), an->score);
		st = an->alert ? ST_ALERT : ST_ANOMALY;
		x += canvas_text(c, y + 1 + i, x, st, an->alert ? "ALERT" :
		    "anom ", 0);
		canvas_text(c, y + 1 + i, x + 1, st,
		    view_votes(an->votes, votes, sizeof(votes)), 0);
	}
	footer(c, keys, sizeof(keys) / sizeof(keys[0]));
}

/* The newest alerts of all clients, one a row, newest first: when it
 * was received, the client, n, the timestamp as sent, the value, and the
 * detectors that voted.  The client and timestamp columns narrow on a
 * narrow screen before the detectors do. */
static void
alert_list(struct canvas *c, const struct top_model *m,
    const struct view_env *env)
{
	static const char *const keys[] = { "Enter", "Open", "Up/Dn", "Move",
	    "Esc", "Back", "p", "Pause", "?", "Help", "q", "Quit" };
	const struct top_alert *a;
	char id[STORE_ID_MAX + 16], v[32], age[16], votes[160];
	int idw = 6, tsw = 9, vw, y, x, base, len;
	size_t i, k;

	for (i = 0; i < m->nalerts; i++) {
		a = &m->alerts[i];
		len = (int)strlen(a->id) + (env->ndb > 1 ? 3 : 0);
		if (len > idw)
			idw = len;
		if ((len = (int)strlen(a->ts)) > tsw)
			tsw = len;
	}
	idw = idw > 24 ? 24 : idw;
	tsw = tsw > 24 ? 24 : tsw;
	/* SEEN, CLIENT, N, TIMESTAMP, VALUE, DETECTORS (30 if it can) */
	while ((vw = c->cols - (5 + 1 + idw + 1 + 9 + 1 + tsw + 1 + 10 + 1)) <
	    30 && (idw > 12 || tsw > 10)) {
		if (idw > 12)
			idw--;
		else
			tsw--;
	}
	y = VIEW_TABLE_Y - 1;
	canvas_style(c, y, 0, c->cols, ST_TITLE);
	canvas_printf(c, y, 0, ST_TITLE, "%5s %-*s %9s %-*s %10s %s", "SEEN",
	    idw, "CLIENT", "N", tsw, "TIMESTAMP", "VALUE", "DETECTORS");
	if (m->nalerts == 0)
		canvas_text(c, VIEW_TABLE_Y + 1, 2, ST_AXIS,
		    "no alerts in the database yet", 0);
	for (k = 0; k < (size_t)m->alert_page &&
	    m->alert_top + k < m->nalerts; k++) {
		i = m->alert_top + k;
		a = &m->alerts[i];
		y = VIEW_TABLE_Y + (int)k;
		base = i == m->alert_sel ? ST_SELECTED : ST_NORMAL;
		if (i == m->alert_sel)
			canvas_style(c, y, 0, c->cols, ST_SELECTED);
		if (env->ndb > 1)
			snprintf(id, sizeof(id), "%s@%d", a->id, a->db + 1);
		else
			snprintf(id, sizeof(id), "%s", a->id);
		x = 0;
		field(c, y, x, 5, 1, base, fmt_age(env->now_ms -
		    a->received_ms, age, sizeof(age)));
		x += 6;
		field(c, y, x, idw, 0, base, id);
		if ((int)strlen(id) > idw)
			canvas_put(c, y, x + idw - 1, base, env->utf8 ?
			    0x2026 : '~');
		x += idw + 1;
		canvas_printf(c, y, x, base, "%9lld", (long long)a->n);
		x += 10;
		field(c, y, x, tsw, 0, base, a->ts);
		x += tsw + 1;
		field(c, y, x, 10, 1, base, fmt_value(a->value, 10, v,
		    sizeof(v)));
		x += 11;
		canvas_text(c, y, x, base == ST_SELECTED ? base : ST_ALERT,
		    view_votes(a->votes, votes, sizeof(votes)), 0);
	}
	footer(c, keys, sizeof(keys) / sizeof(keys[0]));
}

static void
help(struct canvas *c, const struct top_model *m, const struct view_env *env)
{
	static const char *const lines[] = {
		"anomaly-top keys",
		"",
		"Up/Down PgUp/PgDn  move; detail: scroll",
		"                   anomalies, pan the chart",
		"Home/End           first/last; detail: oldest/live",
		"Enter, Right       open the client's detail",
		"Esc, Left          back (table: clear filter)",
		"s                  sort by the next column",
		"/                  filter clients by id",
		"a                  show or hide inactive ones",
		"A                  the newest alerts of all",
		"                   clients; Enter opens one",
		"p, space           pause or resume refreshes",
		"?                  this help",
		"q                  quit",
		"",
		"A click selects, a double click opens.",
		"Any other key closes this help.",
	};
	int n = (int)(sizeof(lines) / sizeof(lines[0]));
	int w = 54, h = n + 2, x0, y0, x, y;
	char sort[48];

	if (w > c->cols)
		w = c->cols;
	if (h > c->rows)
		h = c->rows;
	x0 = (c->cols - w) / 2;
	y0 = (c->rows - h) / 2;
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			uint32_t g = ' ';

			if ((y == 0 || y == h - 1) && (x == 0 || x == w - 1))
				g = env->utf8 ? (y == 0 ? (x == 0 ? 0x250c :
				    0x2510) : (x == 0 ? 0x2514 : 0x2518)) : '+';
			else if (y == 0 || y == h - 1)
				g = env->utf8 ? 0x2500 : '-';
			else if (x == 0 || x == w - 1)
				g = env->utf8 ? 0x2502 : '|';
			canvas_put(c, y0 + y, x0 + x, ST_NORMAL, g);
		}
	for (y = 0; y < n && y + 1 < h - 1; y++)
		canvas_text(c, y0 + 1 + y, x0 + 2, y == 0 ? ST_HEADER :
		    ST_NORMAL, lines[y], w - 4);
	snprintf(sort, sizeof(sort), " sort: %s ", model_sort_name(m->sort));
	canvas_text(c, y0 + h - 1, x0 + 2, ST_AXIS, sort, w - 4);
}

void
view_draw(struct canvas *c, const struct top_model *m,
    const struct view_env *env)
{
	canvas_clear(c);
	header(c, m, env);
	if (m->view == VIEW_DETAIL)
		detail(c, m, env);
	else if (m->view == VIEW_ALERTS)
		alert_list(c, m, env);
	else
		table(c, m, env);
	if (m->help)
		help(c, m, env);
}
