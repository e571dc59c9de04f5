/*
 * batch.c: anomaly-top -b (see batch.h).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "batch.h"
#include "fmt.h"

/* The sparkline of c as text (BATCH_SPARK glyphs at most), "-" if none. */
static void
spark_text(const struct top_client *c, int utf8, char *buf)
{
	double v[BATCH_SPARK];
	uint32_t g[BATCH_SPARK];
	int n = c->nspark < BATCH_SPARK ? c->nspark : BATCH_SPARK;
	int first = c->nspark - n, i;
	size_t len = 0;

	if (n == 0) {
		strcpy(buf, "-");
		return;
	}
	for (i = 0; i < n; i++)
		v[i] = c->spark[first + i];
	fmt_sparkline(v, c->sparkflags + first, (size_t)n, utf8, 1, g);
	for (i = 0; i < n; i++)
		len += fmt_utf8(g[i], buf + len);
	buf[len] = '\0';
}

int
batch_print(FILE *f, const struct top_model *m, const struct view_env *env,
    const char *only)
{
	struct top_totals t;
	const struct top_client *c;
	char rate[16], clock[32], val[32], pct[16], age[16];
	char spark[BATCH_SPARK * 4 + 1];
	size_t r, idw = 6, len;
	int i;

	model_totals(m, &t);
	fmt_clock(m->now_ms, clock, sizeof(clock));
	fprintf(f, "anomaly-top %sZ  clients %zu/%zu active  points/s %s  "
	    "last %llds: %lld anomalies, %lld alerts  db", clock, t.active,
	    t.total, fmt_rate(t.rate, rate, sizeof(rate)),
	    (long long)(t.span_ms / 1000), (long long)t.anomalies,
	    (long long)t.alerts);
	for (i = 0; i < env->ndb; i++)
		fprintf(f, " %s", env->dbpaths[i]);
	fputc('\n', f);
	for (r = 0; r < m->nrows; r++)
		if ((len = strlen(model_row(m, r)->id)) > idw)
			idw = len;
	fprintf(f, "%-*s ", (int)idw, "CLIENT");
	if (env->ndb > 1)
		fprintf(f, "%-3s ", "DB");
	fprintf(f, "%-8s %6s %10s %9s %6s %7s %8s %12s %6s %s\n", "STATE",
	    "WINDOW", "POINTS", "ANOMALIES", "ALERTS", "ANOM%", "RATE/s",
	    "LAST", "SEEN", "RECENT");
	for (r = 0; r < m->nrows; r++) {
		c = model_row(m, r);
		if (only != NULL && strcmp(c->id, only) != 0)
			continue;
		spark_text(c, env->utf8, spark);
		fprintf(f, "%-*s ", (int)idw, c->id);
		if (env->ndb > 1)
			fprintf(f, "%-3d ", c->db + 1);
		fprintf(f, "%-8s %6lld %10lld %9lld %6lld %7s %8s %12s %6s "
		    "%s\n", c->active ? "active" : "inactive",
		    (long long)c->window, (long long)c->points,
		    (long long)c->anomalies, (long long)c->alerts,
		    fmt_percent(c->anomalies, c->points, pct, sizeof(pct)),
		    fmt_rate(c->rate, rate, sizeof(rate)),
		    fmt_value(c->last_value, 12, val, sizeof(val)),
		    fmt_age(env->now_ms - c->last_seen_ms, age, sizeof(age)),
		    spark);
	}
	return ferror(f) ? -1 : 0;
}
