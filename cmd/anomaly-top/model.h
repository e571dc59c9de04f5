/*
 * model.h: what anomaly-top shows, without a terminal and without SQL.
 *
 * query.c fills it from the databases; the views (view.c, batch.c) draw it;
 * model_key() changes it on a key.  Figures that need time (rates, the last
 * minute) come from the clients' counters sampled at each refresh, never
 * from a scan of the points (SPEC §4).
 */
#ifndef TOP_MODEL_H
#define TOP_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define TOP_SAMPLES	24	/* counter samples kept per client */
#define TOP_SAMPLE_MS	3000	/* least spacing of kept samples */
#define TOP_RATE_MS	10000	/* rates over about this span */
#define TOP_MINUTE_MS	60000
#define TOP_SPARK_MAX	160	/* points of a sparkline */
#define TOP_CHART_MAX	1024	/* points of the detail chart */
#define TOP_ANOM_MAX	64	/* anomalies listed in the detail view */
#define TOP_FILTER_MAX	64
#define TOP_ALERTS_MAX	100	/* alerts in the list of all clients' */

/* One sample of a client's counters. */
struct top_sample {
	int64_t	 t_ms;
	int64_t	 points, anomalies, alerts;
};

/* A client of one of the databases. */
struct top_client {
	char	 id[STORE_ID_MAX + 1];
	int	 db;			/* index of its database */
	int64_t	 window;
	int	 active;
	int64_t	 first_seen_ms, last_seen_ms;
	int64_t	 points, anomalies, alerts;
	double	 last_value;		/* NAN: none */
	double	 rate;			/* points/s, NAN: not known yet */
	int64_t	 minute_anomalies;	/* in the last minute (or since */
	int64_t	 minute_alerts;		/* the first refresh) */

	struct top_sample hist[TOP_SAMPLES];	/* oldest first */
	int	 nhist;
	int	 seen;			/* in the last refresh */

	/* the sparkline: the newest nspark values, oldest first */
	float	 spark[TOP_SPARK_MAX];
	unsigned char sparkflags[TOP_SPARK_MAX];	/* FMT_ flags */
	int	 nspark;
	int64_t	 spark_points;		/* points when it was read, -1 */
	int	 spark_asked;		/* the width it was read for */
};

/* A point of the detail view. */
struct top_point {
	int64_t	 n;
	double	 value;
	unsigned char flags;		/* FMT_ANOMALY, FMT_ALERT */
};

/* An anomaly of the detail view's list. */
struct top_anomaly {
	int64_t	 n;
	char	 ts[STORE_TS_MAX + 1];	/* the timestamp as sent, as text */
	double	 value;
	double	 score;
	uint32_t votes;			/* detector bits */
	int	 anomaly;
	int	 alert;
	int64_t	 received_ms;
};

/* An alert of the list of every client's newest alerts. */
struct top_alert {
	char	 id[STORE_ID_MAX + 1];	/* its client */
	int	 db;
	int64_t	 n;
	char	 ts[STORE_TS_MAX + 1];	/* the timestamp as sent, as text */
	double	 value;
	uint32_t votes;			/* detector bits */
	int	 anomaly;		/* also an anomaly */
	int64_t	 received_ms;
};

enum top_sort {
	SORT_ID,
	SORT_POINTS,
	SORT_ANOMALIES,
	SORT_ALERTS,
	SORT_PERCENT,
	SORT_RATE,
	SORT_SEEN,
	SORT_COUNT
};

enum top_view {
	VIEW_TABLE,
	VIEW_DETAIL,
	VIEW_ALERTS		/* the newest alerts of all clients */
};

/* Keys, as crt.c reports them: characters as themselves, others here. */
enum {
	TOPK_NONE = -1,
	TOPK_ESC = 27,
	TOPK_ENTER = '\n',
	TOPK_BACKSPACE = 0x7f,
	TOPK_UP = 0x10000,
	TOPK_DOWN,
	TOPK_LEFT,
	TOPK_RIGHT,
	TOPK_PGUP,
	TOPK_PGDN,
	TOPK_HOME,
	TOPK_END,
	TOPK_RESIZE,
	TOPK_CLICK,		/* a click; the row in model_click() */
	TOPK_DCLICK		/* a double click */
};

/* What the main loop must do after a key. */
enum top_action {
	ACT_NONE,		/* nothing changed */
	ACT_REDRAW,		/* draw the model again */
	ACT_FETCH,		/* the view needs data: query, then draw */
	ACT_QUIT
};

struct top_model {
	struct top_client *clients;	/* nclients, in no order */
	size_t	 nclients, capclients;
	size_t	 nsorted;		/* clients[0..nsorted) by db, id */
	size_t	*rows;			/* indices of the listed clients */
	size_t	 nrows;

	int64_t	 start_ms;		/* the first refresh */
	int64_t	 now_ms;		/* the last refresh */
	int	 refreshes;

	/* the table */
	enum top_sort sort;
	int	 show_inactive;
	char	 filter[TOP_FILTER_MAX + 1];
	char	 filter_saved[TOP_FILTER_MAX + 1];
	int	 prompt;		/* the filter is being typed */
	size_t	 sel;			/* selected row */
	size_t	 top;			/* first row on screen */
	int	 page;			/* rows on screen */
	int	 spark_width;		/* points of the sparklines shown */
	char	 sel_id[STORE_ID_MAX + 1];	/* keeps the selection */
	int	 sel_db;

	/* the detail view */
	enum top_view view;
	char	 detail_id[STORE_ID_MAX + 1];
	int	 detail_db;
	int	 detail_found;		/* the client exists */
	int64_t	 detail_end;		/* last n shown; 0: live */
	int64_t	 detail_oldest;		/* oldest n stored (retention
					 * prunes older ones), 0 none */
	size_t	 detail_width;		/* points the chart shows */
	struct top_point chart[TOP_CHART_MAX];
	size_t	 nchart;
	struct top_anomaly anoms[TOP_ANOM_MAX];
	size_t	 nanoms;
	size_t	 anom_top;		/* first anomaly listed */
	int	 anom_page;		/* anomalies on screen */
	enum top_view detail_back;	/* where Esc goes from the detail */

	/* the alerts view: newest first (received_ms, then n) */
	struct top_alert alerts[TOP_ALERTS_MAX];
	size_t	 nalerts;
	size_t	 alert_sel;		/* selected alert */
	size_t	 alert_top;		/* first alert on screen */
	int	 alert_page;		/* alerts on screen */

	int	 paused;
	int	 help;
	char	 error[256];		/* the last query error, "" if none */
};

/* Sets m to an empty model. */
void model_init(struct top_model *m);

/* Frees what m holds. */
void model_free(struct top_model *m);

/* Starts a refresh at now_ms: every client is marked unseen. */
void model_refresh_begin(struct top_model *m, int64_t now_ms);

/* Records client c of database db in the refresh: adds it, or updates it
 * and samples its counters.  Returns 0, or -1 when out of memory. */
int model_refresh_client(struct top_model *m, int db,
    const struct store_client *c);

/* The client (db, id) of the model, or NULL. */
struct top_client *model_find(const struct top_model *m, int db,
    const char *id);

/* Ends a refresh: forgets the clients not seen, computes the rates, and
 * lists, sorts and filters the rows again, keeping the selection. */
void model_refresh_end(struct top_model *m);
/* Refreshes the one client sc of database db, known already, outside a
 * refresh of all (the detail view of a server's client reads it with its
 * points): its counters, a sample at now_ms, its rate.  Returns 1, 0 when
 * the model does not hold it, -1 when memory is short. */
int model_update_client(struct top_model *m, int db,
    const struct store_client *sc, int64_t now_ms);

/* Lists, sorts and filters the rows again, keeping the selected client. */
void model_relist(struct top_model *m);

/* The client of row r, or NULL. */
struct top_client *model_row(const struct top_model *m, size_t r);

/* The client shown in the detail view, or NULL when it is not (yet) in
 * the databases. */
struct top_client *model_detail_client(const struct top_model *m);

/* Opens the detail view of client id in database db (-1: any). */
void model_open_detail(struct top_model *m, const char *id, int db);

/* Empties the list of alerts before a query fills it again. */
void model_alerts_clear(struct top_model *m);

/* Whether an alert received at received_ms would enter the list: it is
 * not full, or the alert is newer than its oldest. */
int model_alert_wanted(const struct top_model *m, int64_t received_ms);

/* Adds alert a to the list, in its place (newest first: received_ms, then
 * the higher n, then db and id), dropping the oldest when the list holds
 * TOP_ALERTS_MAX; an alert already listed is not added again. */
void model_alert_add(struct top_model *m, const struct top_alert *a);

/* The inactive clients that the filter matches, hidden while inactive
 * ones are (0 when they are shown). */
size_t model_hidden_matches(const struct top_model *m);

/* Sets the rows the table shows at once and keeps the selection on
 * screen. */
void model_set_page(struct top_model *m, int rows);

/* Changes m for key (TOPK_ or a character).  Returns what must happen. */
enum top_action model_key(struct top_model *m, int key);

/* A click at table row r (0: the first listed on screen); dbl: a double
 * click, which opens the client. */
enum top_action model_click(struct top_model *m, int r, int dbl);

/* Totals over the clients of the last refresh: active and all clients, the
 * points per second (NAN until known), the anomalies and alerts in the last
 * minute, and the span in ms those cover (up to a minute). */
struct top_totals {
	size_t	 active, total;
	double	 rate;
	int64_t	 anomalies, alerts;
	int64_t	 span_ms;
};
void model_totals(const struct top_model *m, struct top_totals *t);

/* The name of a sort order ("id", "points", ...). */
const char *model_sort_name(enum top_sort s);

#endif
