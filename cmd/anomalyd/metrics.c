/*
 * metrics.c: /metrics (see metrics.h).
 */
#include <inttypes.h>
#include <stddef.h>

#include "alert.h"
#include "commit.h"
#include "log.h"
#include "metrics.h"
#include "put.h"
#include "webhook.h"
#include "writer.h"

static void
metric(struct jsonbuf *b, const char *name, const char *type, const char *help)
{
	put_fmt(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int
metrics_text(struct server *srv, struct jsonbuf *b, const char **why)
{
	const struct commit_stats *cs = &srv->commits;
	struct store_totals t;
	struct alert_stats as;
	struct webhook_stats ws;
	uint64_t pruned, pfailed;
	char pwhy[256];
	size_t i;

	(void)why;
	/* kept by the writer's store: no client is read */
	store_totals(srv->st, &t);
	metric(b, "anomalyd_points_total", "counter",
	    "Points stored, all clients.");
	put_fmt(b, "anomalyd_points_total %" PRId64 "\n", t.points);
	metric(b, "anomalyd_anomalies_total", "counter",
	    "Stored points with anomaly 1.");
	put_fmt(b, "anomalyd_anomalies_total %" PRId64 "\n", t.anomalies);
	metric(b, "anomalyd_alerts_total", "counter",
	    "Stored points with alert 1.");
	put_fmt(b, "anomalyd_alerts_total %" PRId64 "\n", t.alerts);
	metric(b, "anomalyd_clients", "gauge", "Stored clients by state.");
	put_fmt(b, "anomalyd_clients{state=\"active\"} %" PRId64 "\n"
	    "anomalyd_clients{state=\"inactive\"} %" PRId64 "\n", t.active,
	    t.clients - t.active);
	metric(b, "anomalyd_sessions", "gauge",
	    "WebSocket connections open, with or without a hello.");
	put_fmt(b, "anomalyd_sessions %zu\n", srv->nsessions);
	metric(b, "anomalyd_read_refused_total", "counter", "HTTP requests "
	    "refused for want of the read token (none or wrong), failed "
	    "logins included.");
	put_fmt(b, "anomalyd_read_refused_total %" PRIu64 "\n",
	    srv->read_refused);
	metric(b, "anomalyd_stream_deferred_total", "counter", "Pieces of "
	    "streamed responses that waited so that, while WebSocket "
	    "messages come in, streams take at most an eighth of the loop.");
	put_fmt(b, "anomalyd_stream_deferred_total %" PRIu64 "\n",
	    srv->stream_deferred);
	metric(b, "anomalyd_memory_bytes", "gauge", "Bytes of the "
	    "--max-memory budget: used by detectors and messages, and max.");
	put_fmt(b, "anomalyd_memory_bytes{kind=\"used\"} %zu\n"
	    "anomalyd_memory_bytes{kind=\"max\"} %zu\n", srv->budget.used,
	    srv->budget.max);
	metric(b, "anomalyd_commits_total", "counter",
	    "Group commits timed since start.");
	put_fmt(b, "anomalyd_commits_total %" PRIu64 "\n", cs->count);
	metric(b, "anomalyd_commit_points_total", "counter",
	    "Points in the timed group commits.");
	put_fmt(b, "anomalyd_commit_points_total %" PRIu64 "\n", cs->points);
	metric(b, "anomalyd_commit_duration_seconds", "histogram",
	    "Time to commit a group of points.");
	for (i = 0; i < COMMIT_BUCKETS; i++)
		put_fmt(b, "anomalyd_commit_duration_seconds_bucket"
		    "{le=\"%g\"} %" PRIu64 "\n", commit_le[i] / 1e6,
		    cs->le[i]);
	put_fmt(b, "anomalyd_commit_duration_seconds_bucket{le=\"+Inf\"} %"
	    PRIu64 "\n", cs->count);
	put_fmt(b, "anomalyd_commit_duration_seconds_sum %.6f\n",
	    cs->usec / 1e6);
	put_fmt(b, "anomalyd_commit_duration_seconds_count %" PRIu64 "\n",
	    cs->count);
	writer_prune_stats(srv->wr, &pruned, &pfailed, pwhy, sizeof(pwhy));
	metric(b, "anomalyd_points_pruned_total", "counter", "Points "
	    "deleted by --retain and --retain-points since start.");
	put_fmt(b, "anomalyd_points_pruned_total %" PRIu64 "\n", pruned);
	metric(b, "anomalyd_prune_failures_total", "counter", "Pruning "
	    "steps that failed since start (rolled back, tried again).");
	put_fmt(b, "anomalyd_prune_failures_total %" PRIu64 "\n", pfailed);
	alert_stats(srv, &as);
	metric(b, "anomalyd_on_alert_total", "counter", "--on-alert "
	    "commands by result: ok, failed (non-zero exit, signal, not "
	    "started), timeout (killed), dropped (the queue was full).");
	put_fmt(b, "anomalyd_on_alert_total{result=\"ok\"} %" PRIu64 "\n"
	    "anomalyd_on_alert_total{result=\"failed\"} %" PRIu64 "\n"
	    "anomalyd_on_alert_total{result=\"timeout\"} %" PRIu64 "\n"
	    "anomalyd_on_alert_total{result=\"dropped\"} %" PRIu64 "\n",
	    as.ok, as.failed, as.timeout, as.dropped);
	webhook_stats(srv, &ws);
	metric(b, "anomalyd_webhook_total", "counter", "--webhook "
	    "requests by result: sent (2xx), failed (attempts, retried), "
	    "dropped (alerts, the queue was full).");
	put_fmt(b, "anomalyd_webhook_total{result=\"sent\"} %" PRIu64 "\n"
	    "anomalyd_webhook_total{result=\"failed\"} %" PRIu64 "\n"
	    "anomalyd_webhook_total{result=\"dropped\"} %" PRIu64 "\n",
	    ws.sent, ws.failed, ws.dropped);
	metric(b, "anomalyd_webhook_queued", "gauge",
	    "Alerts waiting to be POSTed to --webhook.");
	put_fmt(b, "anomalyd_webhook_queued %" PRIu64 "\n", ws.queued);
	return 200;
}
