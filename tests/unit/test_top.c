/*
 * test_top.c: anomaly-top without a terminal: the text formats, the
 * sparkline and chart glyphs, the model (rates from sampled counters, the
 * last minute, sorting, filtering, the selection, keys), the views drawn
 * into a canvas at 80x24, 200x50 and narrower, and the queries against a
 * real database written through lib/store.
 */
#include <sys/stat.h>

#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "batch.h"
#include "canvas.h"
#include "fmt.h"
#include "model.h"
#include "query.h"
#include "store.h"
#include "view.h"

/* ------------------------------------------------------------ formats */

static void
test_fmt_count(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(fmt_count(999, 7, b, sizeof(b)), "999");
	assert_string_equal(fmt_count(1234567, 7, b, sizeof(b)), "1234567");
	assert_string_equal(fmt_count(1234567, 6, b, sizeof(b)), "1.23M");
	assert_string_equal(fmt_count(1234567, 5, b, sizeof(b)), "1.23M");
	assert_string_equal(fmt_count(1234567, 4, b, sizeof(b)), "1.2M");
	assert_string_equal(fmt_count(-1234567, 5, b, sizeof(b)), "-1.2M");
	assert_string_equal(fmt_count(123456, 5, b, sizeof(b)), "123k");
	assert_string_equal(fmt_count(456789, 5, b, sizeof(b)), "457k");
	assert_string_equal(fmt_count(45678, 4, b, sizeof(b)), "46k");
	assert_string_equal(fmt_count(INT64_MAX, 6, b, sizeof(b)), "9.22E");
}

static void
test_fmt_value(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(fmt_value(3.14159265, 8, b, sizeof(b)),
	    "3.14159");
	assert_string_equal(fmt_value(-1234.5678, 8, b, sizeof(b)),
	    "-1234.57");
	assert_string_equal(fmt_value(1e12, 8, b, sizeof(b)), "1e+12");
	assert_string_equal(fmt_value(42, 8, b, sizeof(b)), "42");
	assert_string_equal(fmt_value(NAN, 8, b, sizeof(b)), "-");
	assert_true(strlen(fmt_value(-1.234567e-300, 8, b, sizeof(b))) <= 8);
}

static void
test_fmt_misc(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(fmt_age(500, b, sizeof(b)), "now");
	assert_string_equal(fmt_age(12000, b, sizeof(b)), "12s");
	assert_string_equal(fmt_age(300000, b, sizeof(b)), "5m");
	assert_string_equal(fmt_age(3 * 3600000LL, b, sizeof(b)), "3h");
	assert_string_equal(fmt_age(400 * 3600000LL, b, sizeof(b)), "16d");
	assert_string_equal(fmt_percent(7, 1000, b, sizeof(b)), "0.70%");
	assert_string_equal(fmt_percent(7, 0, b, sizeof(b)), "-");
	assert_string_equal(fmt_rate(NAN, b, sizeof(b)), "-");
	assert_string_equal(fmt_rate(20, b, sizeof(b)), "20.0");
	assert_string_equal(fmt_rate(123456, b, sizeof(b)), "123.5k");
	assert_string_equal(fmt_rate(999999, b, sizeof(b)), "1.0M");
	assert_string_equal(fmt_clock(1404172800000LL, b, sizeof(b)),
	    "2014-07-01 00:00:00");
	assert_int_equal(fmt_utf8(0x2581, b), 3);
	assert_memory_equal(b, "\xe2\x96\x81", 3);
}

static void
test_sparkline(void **state)
{
	double up[8] = { 0, 1, 2, 3, 4, 5, 6, 7 }, flat[3] = { 5, 5, 5 };
	unsigned char fl[8] = { 0, 0, 0, FMT_ANOMALY, 0, 0, 0, 0 };
	uint32_t g[8];
	int i;

	(void)state;
	fmt_sparkline(up, NULL, 8, 0, 0, g);
	for (i = 0; i < 8; i++)
		assert_int_equal(g[i], "_.-~=+*#"[i]);
	fmt_sparkline(up, NULL, 8, 1, 0, g);
	assert_int_equal(g[0], 0x2581);
	assert_int_equal(g[7], 0x2588);
	fmt_sparkline(up, fl, 8, 1, 1, g);
	assert_int_equal(g[3], '!');
	fmt_sparkline(up, fl, 8, 1, 0, g);	/* colour marks it instead */
	assert_int_equal(g[3], 0x2584);
	fmt_sparkline(flat, NULL, 3, 1, 0, g);
	assert_int_equal(g[0], 0x2581);
	assert_int_equal(g[2], 0x2581);
}

static void
test_chart(void **state)
{
	double v[2] = { 0, 1 }, many[10];
	unsigned char fl[2] = { 0, FMT_ANOMALY }, cf[4 * 5];
	uint32_t cells[4 * 5];
	int i;

	(void)state;
	/* braille: the low point bottom left (dot 7), the high one joined
	 * to it in the right column (dots 4, 5, 6) */
	fmt_chart(v, fl, 2, 0, 1, 1, 1, 1, cells, cf);
	assert_int_equal(cells[0], 0x2800 + 0x40 + 0x08 + 0x10 + 0x20);
	assert_int_equal(cf[0], FMT_ANOMALY);
	/* ASCII: right-aligned, one point per column, '|' joins */
	fmt_chart(v, fl, 2, 0, 1, 4, 5, 0, cells, cf);
	assert_int_equal(cells[3 * 5 + 3], '*');	/* 0: bottom row */
	assert_int_equal(cells[0 * 5 + 4], '*');	/* 1: top row */
	assert_int_equal(cells[1 * 5 + 4], '|');
	assert_int_equal(cells[2 * 5 + 4], '|');
	assert_int_equal(cells[3 * 5 + 4], ' ');
	assert_int_equal(cells[0], ' ');
	assert_int_equal(cf[0 * 5 + 4], FMT_ANOMALY);
	/* more points than columns: the newest shown */
	for (i = 0; i < 10; i++)
		many[i] = i;
	assert_int_equal(fmt_chart_points(5, 0), 5);
	assert_int_equal(fmt_chart_points(5, 1), 10);
	fmt_chart(many, NULL, 10, 5, 9, 4, 5, 0, cells, cf);
	assert_int_equal(cells[0 * 5 + 4], '*');
	assert_int_equal(cells[3 * 5 + 0], '*');
}

static int row_has(const struct canvas *c, int y, const char *s);
static struct top_alert alert_at(const char *id, int64_t n, int64_t ms);

/* -------------------------------------------------------------- model */

static void
client(struct store_client *c, const char *id, int active, int64_t points,
    int64_t anomalies, int64_t alerts, int64_t first_seen)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->client_id, sizeof(c->client_id), "%s", id);
	c->window = 100;
	c->active = active;
	c->first_seen_ms = first_seen;
	c->last_seen_ms = first_seen + 1000;
	c->points = points;
	c->anomalies = anomalies;
	c->alerts = alerts;
	c->last_value = 1.5;
}

/* A refresh at t with three clients whose counters grow with t. */
static void
refresh(struct top_model *m, int64_t t)
{
	struct store_client c;
	int64_t s = t / 1000;

	model_refresh_begin(m, t);
	client(&c, "web01", 1, 20 * s, s / 10, s / 30, 0);
	assert_int_equal(model_refresh_client(m, 0, &c), 0);
	client(&c, "db", 1, 1000 + 5 * s, 3, 0, 0);
	assert_int_equal(model_refresh_client(m, 0, &c), 0);
	client(&c, "old", 0, 77, 7, 1, 0);
	assert_int_equal(model_refresh_client(m, 0, &c), 0);
	model_refresh_end(m);
}

static void
test_model_rates(void **state)
{
	struct top_model m;
	struct top_totals t;
	struct top_client *c;
	int64_t s;

	(void)state;
	model_init(&m);
	refresh(&m, 100000);
	model_totals(&m, &t);
	assert_int_equal(t.total, 3);
	assert_int_equal(t.active, 2);
	assert_true(isnan(t.rate));
	assert_int_equal(t.anomalies, 0);
	refresh(&m, 102000);
	c = model_row(&m, 1);		/* sorted by id: db, web01 */
	assert_string_equal(c->id, "web01");
	assert_true(fabs(c->rate - 20.0) < 1e-9);
	model_totals(&m, &t);
	assert_true(fabs(t.rate - 25.0) < 1e-9);
	/* a minute and more: the last minute's anomalies only */
	for (s = 103; s <= 200; s++)
		refresh(&m, s * 1000);
	model_totals(&m, &t);
	assert_int_equal(t.span_ms, 60000);
	assert_true(t.anomalies >= 6 && t.anomalies <= 7);
	assert_true(fabs(t.rate - 25.0) < 1e-9);
	/* refreshes 30 s apart (-n 30) still give a rate */
	refresh(&m, 230000);
	refresh(&m, 260000);
	assert_true(fabs(model_row(&m, 1)->rate - 20.0) < 1e-9);
	/* a client gone from the database is forgotten */
	model_refresh_begin(&m, 261000);
	model_refresh_end(&m);
	assert_int_equal(m.nclients, 0);
	assert_int_equal(m.nrows, 0);
	model_free(&m);
}

static void
test_model_keys(void **state)
{
	struct top_model m;

	(void)state;
	model_init(&m);
	refresh(&m, 100000);
	model_set_page(&m, 10);
	assert_int_equal(m.nrows, 2);		/* inactive hidden */
	assert_string_equal(model_row(&m, 0)->id, "db");
	assert_int_equal(model_key(&m, 'a'), ACT_FETCH);
	assert_int_equal(m.nrows, 3);
	assert_int_equal(model_key(&m, TOPK_DOWN), ACT_REDRAW);
	assert_string_equal(model_row(&m, m.sel)->id, "old");
	/* the selection follows its client through a new sort */
	assert_int_equal(model_key(&m, 's'), ACT_FETCH);
	assert_int_equal(m.sort, SORT_POINTS);
	assert_string_equal(model_row(&m, 0)->id, "web01");
	assert_string_equal(model_row(&m, m.sel)->id, "old");
	model_key(&m, 's');
	assert_int_equal(model_key(&m, 's'), ACT_FETCH);
	assert_int_equal(m.sort, SORT_ALERTS);
	assert_string_equal(model_row(&m, 0)->id, "web01");	/* 3 */
	assert_string_equal(model_row(&m, 1)->id, "old");	/* 1 */
	model_key(&m, 's');
	assert_int_equal(model_key(&m, 's'), ACT_FETCH);
	assert_int_equal(m.sort, SORT_RATE);
	model_key(&m, 's');
	assert_int_equal(m.sort, SORT_SEEN);
	model_key(&m, 's');
	assert_int_equal(m.sort, SORT_ID);
	model_key(&m, 's');
	assert_int_equal(m.sort, SORT_POINTS);
	assert_int_equal(model_key(&m, TOPK_END), ACT_REDRAW);
	assert_int_equal(m.sel, 2);
	assert_int_equal(model_key(&m, TOPK_HOME), ACT_REDRAW);
	assert_int_equal(m.sel, 0);
	/* the filter, typed, cancelled with Esc, cleared with Esc */
	assert_int_equal(model_key(&m, '/'), ACT_REDRAW);
	assert_int_equal(model_key(&m, 'W'), ACT_FETCH);
	assert_int_equal(m.nrows, 1);
	assert_string_equal(model_row(&m, 0)->id, "web01");
	assert_int_equal(model_key(&m, TOPK_ESC), ACT_FETCH);
	assert_int_equal(m.nrows, 3);
	model_key(&m, '/');
	model_key(&m, 'o');
	model_key(&m, 'l');
	model_key(&m, TOPK_BACKSPACE);
	assert_string_equal(m.filter, "o");
	assert_int_equal(model_key(&m, TOPK_ENTER), ACT_REDRAW);
	assert_int_equal(m.prompt, 0);
	assert_int_equal(m.nrows, 1);		/* old (web01 has a zero) */
	assert_int_equal(model_key(&m, TOPK_ESC), ACT_FETCH);
	assert_int_equal(m.filter[0], '\0');
	/* Enter opens the selected client, Esc and Left come back */
	model_key(&m, TOPK_HOME);
	assert_int_equal(model_key(&m, TOPK_ENTER), ACT_FETCH);
	assert_int_equal(m.view, VIEW_DETAIL);
	assert_string_equal(m.detail_id, "web01");	/* sorted by points */
	assert_non_null(model_detail_client(&m));
	assert_int_equal(model_key(&m, TOPK_ESC), ACT_FETCH);
	assert_int_equal(m.view, VIEW_TABLE);
	model_key(&m, TOPK_RIGHT);
	assert_int_equal(model_key(&m, TOPK_LEFT), ACT_FETCH);
	assert_int_equal(m.view, VIEW_TABLE);
	/* pause, help, quit */
	assert_int_equal(model_key(&m, 'p'), ACT_REDRAW);
	assert_int_equal(m.paused, 1);
	{
		static const char *const paths[] = { "x.db" };
		struct view_env env = { 0, 0, paths, 1, 103000 };
		struct canvas c;

		canvas_init(&c, 24, 80);
		view_draw(&c, &m, &env);
		assert_true(row_has(&c, 1, " PAUSED "));
		canvas_free(&c);
	}
	assert_int_equal(model_key(&m, '?'), ACT_REDRAW);
	assert_int_equal(m.help, 1);
	assert_int_equal(model_key(&m, 'x'), ACT_REDRAW);
	assert_int_equal(m.help, 0);
	assert_int_equal(model_key(&m, 'q'), ACT_QUIT);
	/* a click selects, a double click opens */
	assert_int_equal(model_click(&m, 1, 0), ACT_REDRAW);
	assert_int_equal(m.sel, 1);
	assert_int_equal(model_click(&m, 9, 0), ACT_NONE);
	assert_int_equal(model_click(&m, 2, 1), ACT_FETCH);
	assert_int_equal(m.view, VIEW_DETAIL);
	model_free(&m);
}

static void
test_model_scroll_and_pan(void **state)
{
	struct top_model m;
	struct store_client c;
	char id[16];
	int i;

	(void)state;
	model_init(&m);
	model_refresh_begin(&m, 1000);
	for (i = 0; i < 50; i++) {
		snprintf(id, sizeof(id), "c%02d", i);
		client(&c, id, 1, 5000, 0, 0, 0);
		model_refresh_client(&m, 0, &c);
	}
	model_refresh_end(&m);
	model_set_page(&m, 20);
	assert_int_equal(model_key(&m, TOPK_PGDN), ACT_FETCH);
	assert_int_equal(m.sel, 20);
	assert_int_equal(m.top, 1);
	model_key(&m, TOPK_END);
	assert_int_equal(m.sel, 49);
	assert_int_equal(m.top, 30);
	model_key(&m, TOPK_PGUP);
	assert_int_equal(m.sel, 29);
	assert_int_equal(m.top, 29);
	/* the chart pans by its width, Home goes to the oldest, End live */
	model_key(&m, TOPK_ENTER);
	m.detail_width = 1000;
	assert_int_equal(model_key(&m, TOPK_PGUP), ACT_FETCH);
	assert_int_equal(m.detail_end, 4000);
	model_key(&m, TOPK_PGUP);
	model_key(&m, TOPK_PGUP);
	model_key(&m, TOPK_PGUP);
	model_key(&m, TOPK_PGUP);
	assert_int_equal(m.detail_end, 1000);
	model_key(&m, TOPK_PGDN);
	assert_int_equal(m.detail_end, 2000);
	model_key(&m, TOPK_END);
	assert_int_equal(m.detail_end, 0);
	model_key(&m, TOPK_HOME);
	assert_int_equal(m.detail_end, 1000);
	model_free(&m);
}

/* -------------------------------------------------------------- views */

/* Whether row y of c holds s. */
static int
row_has(const struct canvas *c, int y, const char *s)
{
	char buf[2048];

	return strstr(canvas_row(c, y, buf, sizeof(buf)), s) != NULL;
}

static int
screen_has(const struct canvas *c, const char *s)
{
	int y;

	for (y = 0; y < c->rows; y++)
		if (row_has(c, y, s))
			return 1;
	return 0;
}

static void
test_view_table(void **state)
{
	static const char *const paths[] = { "/tmp/x.db" };
	struct view_env env = { 1, 1, paths, 1, 103000 };
	struct top_model m;
	struct canvas c;
	struct top_client *cl;
	char buf[1024];
	int i, sizes[][2] = { { 24, 80 }, { 50, 200 }, { 10, 40 } };

	(void)state;
	model_init(&m);
	refresh(&m, 100000);
	refresh(&m, 102000);
	cl = model_row(&m, 1);
	for (i = 0; i < 8; i++) {
		cl->spark[i] = (float)i;
		cl->sparkflags[i] = i == 7 ? FMT_ANOMALY : 0;
	}
	cl->nspark = 8;
	for (i = 0; i < 3; i++) {
		assert_int_equal(canvas_init(&c, sizes[i][0], sizes[i][1]), 0);
		view_layout(&m, c.rows, c.cols, env.utf8, env.ndb);
		view_draw(&c, &m, &env);
		assert_true(row_has(&c, 0, "clients 2/3"));
		assert_true(row_has(&c, 0, c.cols >= 80 ? "points/s 25.0" :
		    "pts/s 25.0"));
		assert_true(row_has(&c, VIEW_TABLE_Y - 1, "CLIENT"));
		if (c.cols >= 80) {
			assert_true(row_has(&c, VIEW_TABLE_Y - 1,
			    " ANOM ALERTS "));
			assert_true(row_has(&c, c.rows - 1, "A Alerts"));
		}
		assert_true(row_has(&c, VIEW_TABLE_Y, "db "));
		assert_true(row_has(&c, VIEW_TABLE_Y + 1, "web01"));
		assert_true(row_has(&c, VIEW_TABLE_Y + 1, "20.0"));
		assert_int_equal(c.cells[VIEW_TABLE_Y * c.cols].style,
		    ST_SELECTED);
		assert_true(row_has(&c, c.rows - 1, "Quit") ||
		    c.cols < 60);
		if (c.cols >= 80) {
			assert_true(row_has(&c, 1, "1 inactive hidden"));
			assert_true(row_has(&c, VIEW_TABLE_Y + 1,
			    "\xe2\x96\x81\xe2\x96\x82"));	/* ▁▂ */
		}
		canvas_free(&c);
	}
	/* big numbers: the header fits in 80 columns, shorter in 70 */
	for (i = 0; i < (int)m.nclients; i++) {
		m.clients[i].minute_anomalies = 123456789;
		m.clients[i].minute_alerts = 1234567;
		m.clients[i].rate = 333333;
	}
	canvas_init(&c, 24, 80);
	view_draw(&c, &m, &env);
	canvas_row(&c, 0, buf, sizeof(buf));
	assert_string_equal(buf, "anomaly-top  clients 2/3  points/s 1.0M  "
	    "anomalies 370.4M alerts 3.70M (last 2s)");
	canvas_free(&c);
	canvas_init(&c, 24, 70);
	view_draw(&c, &m, &env);
	canvas_row(&c, 0, buf, sizeof(buf));
	assert_string_equal(buf, "clients 2/3 pts/s 1.0M anom 370.4M alerts "
	    "3.70M (last 2s)");
	canvas_free(&c);
	/* monochrome: the anomaly in the sparkline is a '!' */
	env.colour = 0;
	canvas_init(&c, 24, 80);
	view_layout(&m, c.rows, c.cols, env.utf8, env.ndb);
	view_draw(&c, &m, &env);
	canvas_row(&c, VIEW_TABLE_Y + 1, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\xe2\x96\x87!"));
	/* the help over the table */
	model_key(&m, '?');
	view_draw(&c, &m, &env);
	assert_true(screen_has(&c, "anomaly-top keys"));
	model_key(&m, ' ');
	/* two databases: each id with the number of its own */
	{
		static const char *const two[] = { "/tmp/x.db", "/tmp/y.db" };
		struct view_env env2 = { 1, 1, two, 2, 103000 };

		view_draw(&c, &m, &env2);
		assert_true(row_has(&c, VIEW_TABLE_Y, "db@1 "));
		assert_true(row_has(&c, VIEW_TABLE_Y + 1, "web01@1 "));
		assert_true(row_has(&c, 1, "db /tmp/x.db +1 more"));
	}
	/* the filter prompt in the footer */
	model_key(&m, '/');
	model_key(&m, 'z');
	view_draw(&c, &m, &env);
	assert_true(row_has(&c, 23, "Filter: z_"));
	assert_true(screen_has(&c, "no client matches \"z\""));
	assert_int_equal(model_hidden_matches(&m), 0);
	/* a filter that only inactive (hidden) clients match says so */
	model_key(&m, TOPK_BACKSPACE);
	model_key(&m, 'O');
	model_key(&m, 'l');
	model_key(&m, TOPK_ENTER);
	assert_int_equal(m.nrows, 0);
	assert_int_equal(model_hidden_matches(&m), 1);
	view_draw(&c, &m, &env);
	assert_true(screen_has(&c, "no active client matches \"Ol\" "
	    "(1 inactive: press a)"));
	model_key(&m, 'a');
	assert_int_equal(m.nrows, 1);
	assert_int_equal(model_hidden_matches(&m), 0);
	model_key(&m, 'a');
	canvas_free(&c);
	model_free(&m);
}

/* Tiny screens: everything is clipped, nothing is written outside. */
static void
test_view_tiny(void **state)
{
	static const char *const paths[] = { "/tmp/x.db" };
	struct view_env env = { 1, 1, paths, 1, 103000 };
	struct top_model m;
	struct canvas c;
	int sizes[][2] = { { 1, 1 }, { 3, 10 }, { 6, 20 }, { 24, 12 } };
	size_t i, k;

	(void)state;
	model_init(&m);
	refresh(&m, 100000);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		assert_int_equal(canvas_init(&c, sizes[i][0], sizes[i][1]), 0);
		view_layout(&m, c.rows, c.cols, env.utf8, env.ndb);
		view_draw(&c, &m, &env);
		model_open_detail(&m, "web01", -1);
		m.detail_found = 1;
		m.nchart = m.detail_width;
		for (k = 0; k < m.nchart; k++) {
			m.chart[k].n = (int64_t)k + 1;
			m.chart[k].value = (double)k;
			m.chart[k].flags = 0;
		}
		view_draw(&c, &m, &env);
		m.help = 1;
		view_draw(&c, &m, &env);
		m.help = 0;
		m.view = VIEW_ALERTS;
		for (k = 0; k < 5; k++) {
			struct top_alert a = alert_at("web01", (int64_t)k + 1,
			    1000 + (int64_t)k);

			model_alert_add(&m, &a);
		}
		view_draw(&c, &m, &env);
		m.view = VIEW_TABLE;
		canvas_free(&c);
	}
	model_free(&m);
}

static void
test_view_detail(void **state)
{
	static const char *const paths[] = { "/tmp/x.db" };
	struct view_env env = { 0, 0, paths, 1, 103000 };
	struct top_model m;
	struct canvas c;
	size_t i;

	(void)state;
	model_init(&m);
	refresh(&m, 100000);
	model_open_detail(&m, "web01", -1);
	canvas_init(&c, 24, 80);
	view_layout(&m, c.rows, c.cols, env.utf8, env.ndb);
	assert_int_equal(m.detail_width, 80 - 9);
	m.detail_found = 1;
	for (i = 0; i < m.detail_width; i++) {
		m.chart[i].n = (int64_t)i + 1;
		m.chart[i].value = i == 60 ? 100 : (double)(i % 7);
		m.chart[i].flags = i == 60 ? FMT_ANOMALY | FMT_ALERT : 0;
	}
	m.nchart = m.detail_width;
	m.nanoms = 1;
	m.anoms[0].n = 61;
	snprintf(m.anoms[0].ts, sizeof(m.anoms[0].ts), "2014-07-01 00:00:00");
	m.anoms[0].value = 100;
	m.anoms[0].score = 0.8;
	m.anoms[0].votes = 0x0b;	/* zscore, iqr, ma */
	m.anoms[0].alert = 1;
	view_draw(&c, &m, &env);
	assert_true(row_has(&c, 2, "web01  active  window 100  seen 1m"));
	assert_true(row_has(&c, 3, "points 2000"));
	assert_true(row_has(&c, 4, "100"));		/* the top label */
	assert_true(screen_has(&c, "@"));		/* the alert, mono */
	assert_true(screen_has(&c, "!"));		/* its mark */
	assert_true(screen_has(&c, "n 1"));
	assert_true(screen_has(&c, "n 71 live"));
	assert_true(screen_has(&c, "N TIMESTAMP"));
	assert_true(screen_has(&c, "2014-07-01 00:00:00"));
	assert_true(screen_has(&c, "KIND  DETECTORS"));
	assert_true(screen_has(&c, "ALERT zscore+iqr+ma"));
	/* an anomaly that is no alert, an alert that is no anomaly */
	m.nanoms = 3;
	m.anoms[1] = m.anoms[0];
	m.anoms[1].n = 50;
	m.anoms[1].alert = 0;
	m.anoms[1].votes = 0x03;
	m.anoms[2] = m.anoms[0];
	m.anoms[2].n = 40;
	m.anoms[2].anomaly = 0;
	m.anoms[2].score = 0;
	m.anoms[2].votes = 0x1c0;	/* spatial, novelty, novelty_long */
	view_draw(&c, &m, &env);
	assert_true(screen_has(&c, "0.80 anom  zscore+iqr"));
	assert_true(screen_has(&c, "0.00 ALERT spatial+novelty+novelty"));
	assert_true(screen_has(&c, "A Alerts"));
	assert_true(row_has(&c, 23, "Esc Back"));
	/* an unknown client */
	model_open_detail(&m, "nobody", -1);
	m.detail_found = 0;
	view_draw(&c, &m, &env);
	assert_true(screen_has(&c, "no such client"));
	canvas_free(&c);
	model_free(&m);
}

/* An alert of client id at n, received at ms. */
static struct top_alert
alert_at(const char *id, int64_t n, int64_t ms)
{
	struct top_alert a;

	memset(&a, 0, sizeof(a));
	snprintf(a.id, sizeof(a.id), "%s", id);
	a.n = n;
	snprintf(a.ts, sizeof(a.ts), "%lld", (long long)(1600000000 + n));
	a.value = (double)n;
	a.votes = 0x40;			/* spatial */
	a.received_ms = ms;
	return a;
}

/* The list of all clients' alerts: newest first, each once, the newest
 * TOP_ALERTS_MAX kept. */
static void
test_model_alerts(void **state)
{
	struct top_model m;
	struct top_alert a;
	int i;

	(void)state;
	model_init(&m);
	a = alert_at("b", 5, 2000);
	model_alert_add(&m, &a);
	a = alert_at("a", 9, 3000);
	model_alert_add(&m, &a);
	a = alert_at("a", 7, 1000);
	model_alert_add(&m, &a);
	a = alert_at("c", 6, 2000);	/* same time: the higher n first */
	model_alert_add(&m, &a);
	model_alert_add(&m, &a);	/* again: not twice */
	assert_int_equal(m.nalerts, 4);
	assert_string_equal(m.alerts[0].id, "a");
	assert_int_equal(m.alerts[0].n, 9);
	assert_string_equal(m.alerts[1].id, "c");
	assert_string_equal(m.alerts[2].id, "b");
	assert_int_equal(m.alerts[3].n, 7);
	assert_true(model_alert_wanted(&m, 1));
	for (i = 0; i < TOP_ALERTS_MAX + 10; i++) {
		a = alert_at("d", i + 1, 10000 + i);
		model_alert_add(&m, &a);
	}
	assert_int_equal(m.nalerts, TOP_ALERTS_MAX);
	assert_int_equal(m.alerts[0].n, TOP_ALERTS_MAX + 10);
	assert_int_equal(m.alerts[TOP_ALERTS_MAX - 1].n, 11);
	assert_false(model_alert_wanted(&m, 10005));
	assert_true(model_alert_wanted(&m, 10011));
	a = alert_at("e", 1, 5);	/* older than all: not added */
	model_alert_add(&m, &a);
	assert_int_equal(m.alerts[TOP_ALERTS_MAX - 1].n, 11);
	model_alerts_clear(&m);
	assert_int_equal(m.nalerts, 0);
	model_free(&m);
}

/* A, the alerts view: its keys, Enter opens the alert's client and Esc
 * comes back to the list; drawn at 80x24 and 200x50, and in monochrome. */
static void
test_view_alerts(void **state)
{
	static const char *const paths[] = { "/tmp/x.db" };
	struct view_env env = { 1, 1, paths, 1, 103000 };
	struct top_model m;
	struct top_alert a;
	struct canvas c;
	char buf[1024];
	int i, sizes[][2] = { { 24, 80 }, { 50, 200 } };

	(void)state;
	model_init(&m);
	refresh(&m, 100000);
	assert_int_equal(model_key(&m, 'A'), ACT_FETCH);
	assert_int_equal(m.view, VIEW_ALERTS);
	canvas_init(&c, 24, 80);
	view_layout(&m, c.rows, c.cols, env.utf8, env.ndb);
	view_draw(&c, &m, &env);
	assert_true(screen_has(&c, "no alerts in the database yet"));
	assert_int_equal(model_key(&m, TOPK_DOWN), ACT_NONE);
	canvas_free(&c);
	for (i = 0; i < 30; i++) {
		a = alert_at(i % 2 ? "web01" : "a-rather-long-client-id-here",
		    100 + i, 90000 + i * 100);
		a.votes = i == 29 ? 0x1c7 : 0x40;
		model_alert_add(&m, &a);
	}
	for (i = 0; i < 2; i++) {
		canvas_init(&c, sizes[i][0], sizes[i][1]);
		view_layout(&m, c.rows, c.cols, env.utf8, env.ndb);
		view_draw(&c, &m, &env);
		assert_true(row_has(&c, 1, "alerts of all clients"));
		assert_true(row_has(&c, VIEW_TABLE_Y - 1, "SEEN CLIENT"));
		assert_true(row_has(&c, VIEW_TABLE_Y - 1, "DETECTORS"));
		/* the newest: web01's n 129, 10.1 s before now */
		assert_true(row_has(&c, VIEW_TABLE_Y, "10s web01"));
		assert_true(row_has(&c, VIEW_TABLE_Y, "129 1600000129"));
		assert_true(row_has(&c, VIEW_TABLE_Y, c.cols == 80 ?
		    "zscore+iqr+ewma+spatial+nov" :
		    "zscore+iqr+ewma+spatial+novelty+novelty_long"));
		assert_true(row_has(&c, VIEW_TABLE_Y + 1, "spatial"));
		assert_int_equal(c.cells[VIEW_TABLE_Y * c.cols].style,
		    ST_SELECTED);
		assert_int_equal(m.alert_page, c.rows - VIEW_TABLE_Y - 1);
		assert_true(row_has(&c, c.rows - 1, "Esc Back"));
		/* a long id cut with an ellipsis, shorter at 80 columns */
		if (c.rows == 24)
			assert_true(row_has(&c, c.rows - 2,
			    "a-rather-lo\xe2\x80\xa6 "));
		else
			assert_true(row_has(&c, VIEW_TABLE_Y + 29,
			    "a-rather-long-client-id\xe2\x80\xa6 "));
		canvas_row(&c, VIEW_TABLE_Y + 1, buf, sizeof(buf));
		assert_true(strlen(buf) <= (size_t)c.cols);
		canvas_free(&c);
	}
	/* 80x24 again: keys move the selection, the list scrolls */
	canvas_init(&c, 24, 80);
	view_layout(&m, c.rows, c.cols, env.utf8, env.ndb);
	assert_int_equal(model_key(&m, TOPK_DOWN), ACT_REDRAW);
	assert_int_equal(m.alert_sel, 1);
	assert_int_equal(model_key(&m, TOPK_END), ACT_REDRAW);
	assert_int_equal(m.alert_sel, 29);
	assert_int_equal(m.alert_top, 30 - (size_t)m.alert_page);
	assert_int_equal(model_key(&m, TOPK_PGUP), ACT_REDRAW);
	assert_int_equal(m.alert_sel, 29 - (size_t)m.alert_page);
	assert_int_equal(model_key(&m, TOPK_HOME), ACT_REDRAW);
	assert_int_equal(m.alert_sel, 0);
	assert_int_equal(m.alert_top, 0);
	model_key(&m, TOPK_DOWN);
	/* Enter opens its client; Esc comes back to the alerts */
	assert_int_equal(model_key(&m, TOPK_ENTER), ACT_FETCH);
	assert_int_equal(m.view, VIEW_DETAIL);
	assert_string_equal(m.detail_id, "a-rather-long-client-id-here");
	assert_int_equal(model_key(&m, TOPK_ESC), ACT_FETCH);
	assert_int_equal(m.view, VIEW_ALERTS);
	assert_int_equal(m.alert_sel, 1);
	/* monochrome: the detectors of an alert in the alert style (bold
	 * reverse), the selected row in its own */
	env.colour = 0;
	env.utf8 = 0;
	view_draw(&c, &m, &env);
	canvas_row(&c, VIEW_TABLE_Y, buf, sizeof(buf));
	assert_int_equal(c.cells[VIEW_TABLE_Y * c.cols + (int)strlen(buf) -
	    1].style, ST_ALERT);
	assert_int_equal(c.cells[(VIEW_TABLE_Y + 1) * c.cols].style,
	    ST_SELECTED);
	/* the help names A */
	model_key(&m, '?');
	view_draw(&c, &m, &env);
	assert_true(screen_has(&c, "the newest alerts of all"));
	model_key(&m, ' ');
	/* Esc, Left or A go back to the table; A from the detail too */
	assert_int_equal(model_key(&m, 'A'), ACT_FETCH);
	assert_int_equal(m.view, VIEW_TABLE);
	model_key(&m, TOPK_ENTER);
	assert_int_equal(m.view, VIEW_DETAIL);
	assert_int_equal(model_key(&m, TOPK_ESC), ACT_FETCH);
	assert_int_equal(m.view, VIEW_TABLE);
	model_key(&m, TOPK_ENTER);
	assert_int_equal(model_key(&m, 'A'), ACT_FETCH);
	assert_int_equal(m.view, VIEW_ALERTS);
	assert_int_equal(model_key(&m, TOPK_LEFT), ACT_FETCH);
	assert_int_equal(m.view, VIEW_TABLE);
	canvas_free(&c);
	model_free(&m);
}

/* ------------------------------------------------------------ queries */

struct dbfix {
	char	 dir[64];
	char	 path[128];
};

static int
db_setup(void **state)
{
	struct dbfix *f = calloc(1, sizeof(*f));
	struct store *st;
	struct store_point p;
	char err[256];
	int64_t n;

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_top.XXXXXX");
	if (f == NULL || mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
	st = store_open_writer(f->path, STORE_SYNC_NORMAL, err, sizeof(err));
	if (st == NULL || store_begin(st, err, sizeof(err)) != 0 ||
	    store_client_hello(st, "alpha", 50, "{}", NULL, 1000, NULL, err,
	    sizeof(err)) != 0 ||
	    store_client_hello(st, "beta", 60, "{}", NULL, 1000, NULL, err,
	    sizeof(err)) != 0)
		return -1;
	for (n = 1; n <= 500; n++) {
		memset(&p, 0, sizeof(p));
		p.n = n;
		p.ts.type = STORE_TS_INTEGER;
		p.ts.i = 1600000000 + n;
		p.value = n % 100 == 0 ? 1000 : (double)(n % 10);
		p.anomaly = n % 100 == 0;
		p.alert = n == 100 || n == 250;	/* 250: not an anomaly */
		p.score = p.anomaly ? 0.8 : 0;
		p.votes = p.anomaly ? 0x07 : n == 250 ? 0x40 : 0;
		p.received_ms = 2000 + n;
		if (store_add_point(st, "alpha", &p, err, sizeof(err)) != 0)
			return -1;
	}
	/* gamma: 120 alerts, received between alpha's */
	if (store_client_hello(st, "gamma", 50, "{}", NULL, 1000, NULL, err,
	    sizeof(err)) != 0)
		return -1;
	for (n = 1; n <= 120; n++) {
		memset(&p, 0, sizeof(p));
		p.n = n;
		p.ts.type = STORE_TS_INTEGER;
		p.ts.i = 1600000000 + n;
		p.value = (double)n;
		p.alert = 1;
		p.votes = 0x80;		/* novelty */
		p.received_ms = 2000 + 4 * n;
		if (store_add_point(st, "gamma", &p, err, sizeof(err)) != 0)
			return -1;
	}
	if (store_commit(st, err, sizeof(err)) != 0)
		return -1;
	store_close(st);
	*state = f;
	return 0;
}

static int
db_teardown(void **state)
{
	struct dbfix *f = *state;
	char path[256];

	unlink(f->path);
	snprintf(path, sizeof(path), "%s-wal", f->path);
	unlink(path);
	snprintf(path, sizeof(path), "%s-shm", f->path);
	unlink(path);
	snprintf(path, sizeof(path), "%s.lock", f->path);
	unlink(path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
test_queries(void **state)
{
	struct dbfix *f = *state;
	const char *paths[1] = { f->path };
	struct store *stores[1];
	struct top_dbs dbs = { paths, stores, 1, NULL, 0, 0 };
	struct top_model m;
	struct top_client *c;
	struct view_env env = { 0, 0, paths, 1, 5000 };
	char err[256], *out = NULL;
	size_t outlen = 0;
	FILE *fp;

	stores[0] = store_open_reader(f->path, err, sizeof(err));
	assert_non_null(stores[0]);
	model_init(&m);
	m.show_inactive = 1;
	assert_int_equal(query_clients(&dbs, &m, 5000, err, sizeof(err)), 0);
	assert_int_equal(m.nclients, 3);
	c = model_row(&m, 0);
	assert_string_equal(c->id, "alpha");
	assert_int_equal(c->points, 500);
	assert_int_equal(c->anomalies, 5);
	assert_int_equal(c->alerts, 2);
	/* the sparkline: the newest 20 values, oldest first */
	assert_int_equal(query_spark(&dbs, c, 20, err, sizeof(err)), 0);
	assert_int_equal(c->nspark, 20);
	assert_true(c->spark[0] == 1.0f);		/* n = 481 */
	assert_true(c->spark[19] == 1000.0f);		/* n = 500 */
	assert_int_equal(c->sparkflags[19], FMT_ANOMALY);
	/* a client with fewer points than the width, and none */
	m.spark_width = 30;
	m.page = 10;
	assert_int_equal(query_sparks(&dbs, &m, err, sizeof(err)), 0);
	assert_int_equal(model_row(&m, 0)->nspark, 30);
	assert_int_equal(model_row(&m, 1)->nspark, 0);
	/* every client's newest alerts: gamma's and alpha's merged by the
	 * time received, the newest 100 */
	assert_int_equal(query_alerts(&dbs, &m, err, sizeof(err)), 0);
	assert_int_equal(m.nalerts, TOP_ALERTS_MAX);
	assert_string_equal(m.alerts[0].id, "gamma");
	assert_int_equal(m.alerts[0].n, 120);
	assert_string_equal(m.alerts[58].id, "alpha");
	assert_int_equal(m.alerts[58].n, 250);
	assert_int_equal(m.alerts[58].anomaly, 0);
	assert_int_equal(m.alerts[58].votes, 0x40);
	assert_string_equal(m.alerts[58].ts, "1600000250");
	assert_string_equal(m.alerts[96].id, "alpha");
	assert_int_equal(m.alerts[96].n, 100);
	assert_int_equal(m.alerts[96].anomaly, 1);
	assert_int_equal(m.alerts[99].n, 23);
	/* the selection stays on its alert when newer ones come */
	memmove(&m.alerts[0], &m.alerts[5], 95 * sizeof(m.alerts[0]));
	m.alert_sel = 53;
	m.alert_page = 20;
	assert_int_equal(query_alerts(&dbs, &m, err, sizeof(err)), 0);
	assert_int_equal(m.alert_sel, 58);
	assert_true(m.alert_top <= 58 && m.alert_top + 20 > 58);
	/* the detail view, live and panned */
	model_open_detail(&m, "alpha", -1);
	m.detail_width = 50;
	assert_int_equal(query_detail(&dbs, &m, err, sizeof(err)), 0);
	assert_int_equal(m.detail_found, 1);
	assert_int_equal(m.nchart, 50);
	assert_int_equal(m.chart[0].n, 451);
	assert_int_equal(m.chart[49].n, 500);
	/* the anomalies and the alerts, the alert at 250 no anomaly */
	assert_int_equal(m.nanoms, 6);
	assert_int_equal(m.anoms[0].n, 500);
	assert_string_equal(m.anoms[0].ts, "1600000500");
	assert_int_equal(m.anoms[3].n, 250);
	assert_int_equal(m.anoms[3].alert, 1);
	assert_int_equal(m.anoms[3].anomaly, 0);
	assert_int_equal(m.anoms[3].votes, 0x40);
	assert_int_equal(m.anoms[5].n, 100);
	assert_int_equal(m.anoms[5].alert, 1);
	assert_int_equal(m.anoms[5].anomaly, 1);
	m.detail_end = 250;
	assert_int_equal(query_detail(&dbs, &m, err, sizeof(err)), 0);
	assert_int_equal(m.chart[49].n, 250);
	assert_int_equal(m.nanoms, 3);
	assert_int_equal(m.anoms[0].n, 250);
	model_open_detail(&m, "nobody", -1);
	assert_int_equal(query_detail(&dbs, &m, err, sizeof(err)), 0);
	assert_int_equal(m.detail_found, 0);
	/* -b output */
	fp = open_memstream(&out, &outlen);
	assert_non_null(fp);
	assert_int_equal(batch_print(fp, &m, &env, NULL), 0);
	fclose(fp);
	assert_non_null(strstr(out, "clients 3/3 active"));
	assert_non_null(strstr(out, " ANOMALIES ALERTS   ANOM% "));
	assert_non_null(strstr(out, "\nalpha  active       50        500"
	    "         5      2   1.00%        -         1000"));
	assert_non_null(strstr(out, "\nbeta   active       60"));
	free(out);
	model_free(&m);
	store_close(stores[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmt_count),
		cmocka_unit_test(test_fmt_value),
		cmocka_unit_test(test_fmt_misc),
		cmocka_unit_test(test_sparkline),
		cmocka_unit_test(test_chart),
		cmocka_unit_test(test_model_rates),
		cmocka_unit_test(test_model_keys),
		cmocka_unit_test(test_model_scroll_and_pan),
		cmocka_unit_test(test_view_table),
		cmocka_unit_test(test_view_tiny),
		cmocka_unit_test(test_view_detail),
		cmocka_unit_test(test_model_alerts),
		cmocka_unit_test(test_view_alerts),
		cmocka_unit_test_setup_teardown(test_queries, db_setup,
		    db_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
