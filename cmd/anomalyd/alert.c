/*
 * alert.c: --on-alert (see alert.h).
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "clock.h"
#include "log.h"
#include "settings.h"

extern char **environ;

#define REAP_US	(10 * LWS_US_PER_MS)	/* while commands run */


struct job {
	pid_t		 pid;		/* 0: free */
	int64_t		 started_us;
	int		 killed;
	char		 id[STORE_ID_MAX + 1];
	int64_t		 n;
};

struct alerts {
	struct server	*srv;
	struct alert_item *q;		/* ALERT_QUEUE of them, a ring */
	size_t		 head, count;
	struct job	*jobs;		/* cfg.on_alert_jobs of them */
	unsigned	 running;
	struct alert_stats st;
	int		 quiet;		/* the context is going away */
	lws_sorted_usec_list_t reap;
};

int
alert_check(const char *cmd, char *err, size_t len)
{
	char path[4096];
	size_t n;
	struct stat sb;

	while (*cmd == ' ' || *cmd == '\t')
		cmd++;
	n = strcspn(cmd, " \t\n;|&<>()$`'\"\\*?");
	if (n == 0 || n >= sizeof(path) || memchr(cmd, '/', n) == NULL ||
	    memchr(cmd, '=', n) != NULL ||
	    (cmd[n] != '\0' && strchr(" \t\n", cmd[n]) == NULL))
		return 0;	/* a word the shell resolves: not checked */
	memcpy(path, cmd, n);
	path[n] = '\0';
	if (stat(path, &sb) == -1) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode) || access(path, X_OK) == -1) {
		snprintf(err, len, "%s: not an executable file", path);
		return -1;
	}
	return 0;
}

int
alert_init(struct server *srv)
{
	struct alerts *a;

	if (srv->cfg.on_alert == NULL)
		return 0;
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->q = calloc(ALERT_QUEUE, sizeof(*a->q))) == NULL ||
	    (a->jobs = calloc(srv->cfg.on_alert_jobs, sizeof(*a->jobs))) ==
	    NULL) {
		if (a != NULL)
			free(a->q);
		free(a);
		return -1;
	}
	a->srv = srv;
	srv->alerts = a;
	return 0;
}

void
alert_url(const struct server *srv, const char *id, char *buf, size_t len)
{
	const char *w = srv->cfg.where;

	if (w[0] == '*')
		snprintf(buf, len, "http://localhost%s/client/%s", w + 1, id);
	else
		snprintf(buf, len, "http://%s/client/%s", w, id);
}

void
alert_real(char *buf, size_t len, double d)
{
	snprintf(buf, len, "%.15g", d);
	if (strtod(buf, NULL) != d)
		snprintf(buf, len, "%.17g", d);
}

void
alert_ts(char *buf, size_t len, const struct store_ts *ts)
{
	switch (ts->type) {
	case STORE_TS_INTEGER:
		snprintf(buf, len, "%" PRId64, ts->i);
		break;
	case STORE_TS_REAL:
		alert_real(buf, len, ts->r);
		break;
	default:
		snprintf(buf, len, "%.*s", (int)ts->len, ts->text);
		break;
	}
}

void
alert_detectors(char *buf, size_t len, uint32_t votes)
{
	size_t o = 0;
	unsigned k;

	buf[0] = '\0';
	for (k = 0; k < DETECT_KINDS; k++)
		if (votes & (1u << k) && o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%s",
			    o > 0 ? "," : "", detect_kind_name(k));
}

void
alert_of(struct alert_item *it, const struct wop *op)
{
	snprintf(it->id, sizeof(it->id), "%s", op->id);
	it->n = op->p.n;
	it->ts = op->p.ts;
	it->value = op->p.value;
	it->votes = op->p.votes;
}

/* Starts the command for alert it in job j.  Returns 0, or -1 (counted
 * and logged) when it could not be started. */
static int
start(struct alerts *a, struct job *j, const struct alert_item *it)
{
	const struct config *cfg = &a->srv->cfg;
	char e_id[32 + STORE_ID_MAX], e_n[48], e_ts[32 + STORE_TS_MAX],
	    e_val[64], e_det[256], e_url[128 + STORE_ID_MAX], ts[STORE_TS_MAX + 1];
	char *argv[] = { "/bin/sh", "-c", (char *)cfg->on_alert, NULL };
	char **env;
	size_t nenv, i, o;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t all, none;
	int rc;

	alert_ts(ts, sizeof(ts), &it->ts);
	snprintf(e_id, sizeof(e_id), "ANOMALY_CLIENT_ID=%s", it->id);
	snprintf(e_n, sizeof(e_n), "ANOMALY_N=%" PRId64, it->n);
	snprintf(e_ts, sizeof(e_ts), "ANOMALY_TIMESTAMP=%s", ts);
	memcpy(e_val, "ANOMALY_VALUE=", 14);
	alert_real(e_val + 14, sizeof(e_val) - 14, it->value);
	memcpy(e_det, "ANOMALY_DETECTORS=", 18);
	alert_detectors(e_det + 18, sizeof(e_det) - 18, it->votes);
	memcpy(e_url, "ANOMALY_URL=", 12);
	alert_url(a->srv, it->id, e_url + 12, sizeof(e_url) - 12);

	for (nenv = 0; environ[nenv] != NULL; nenv++)
		;
	if ((env = calloc(nenv + 7, sizeof(*env))) == NULL) {
		rc = ENOMEM;
		goto fail;
	}
	for (i = o = 0; i < nenv; i++)	/* ours replace inherited ones */
		if (strncmp(environ[i], "ANOMALY_", 8) != 0)
			env[o++] = environ[i];
	env[o++] = e_id;
	env[o++] = e_n;
	env[o++] = e_ts;
	env[o++] = e_val;
	env[o++] = e_det;
	env[o++] = e_url;
	env[o] = NULL;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawnattr_init(&at);
	posix_spawnattr_setpgroup(&at, 0);	/* killed as a group */
	/* the signals anomalyd ignores or blocks are its own */
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	rc = posix_spawn(&j->pid, argv[0], &fa, &at, argv, env);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	if (rc != 0)
		goto fail;
	j->started_us = clock_mono_us();
	j->killed = 0;
	snprintf(j->id, sizeof(j->id), "%s", it->id);
	j->n = it->n;
	a->running++;
	return 0;
fail:
	j->pid = 0;
	a->st.failed++;
	logmsg(0, "on-alert: client %s point %" PRId64 ": cannot start: %s",
	    it->id, it->n, strerror(rc));
	return -1;
}

static void reap(lws_sorted_usec_list_t *sul);

/* Starts queued alerts while jobs are free; keeps the reaper scheduled
 * while commands run. */
static void
pump(struct alerts *a)
{
	unsigned i;

	if (a->quiet)
		return;
	for (i = 0; i < a->srv->cfg.on_alert_jobs && a->count > 0; i++) {
		if (a->jobs[i].pid != 0)
			continue;
		start(a, &a->jobs[i], &a->q[a->head]);
		a->head = (a->head + 1) % ALERT_QUEUE;
		a->count--;
	}
	if (a->running > 0 && lws_dll2_is_detached(&a->reap.list))
		lws_sul_schedule(a->srv->ctx, 0, &a->reap, reap, REAP_US);
}

/* Reaps the commands that ended, kills those past their timeout. */
static void
reap(lws_sorted_usec_list_t *sul)
{
	struct alerts *a = lws_container_of(sul, struct alerts, reap);
	const struct config *cfg = &a->srv->cfg;
	int64_t now = clock_mono_us();
	struct job *j;
	unsigned i;
	int status;
	pid_t p;

	for (i = 0; i < cfg->on_alert_jobs; i++) {
		j = &a->jobs[i];
		if (j->pid == 0)
			continue;
		p = waitpid(j->pid, &status, WNOHANG);
		if (p == 0) {
			if (!j->killed && now - j->started_us >=
			    (int64_t)cfg->on_alert_timeout * 1000000) {
				kill(-j->pid, SIGKILL);
				kill(j->pid, SIGKILL);
				j->killed = 1;
				a->st.timeout++;
				logmsg(0, "on-alert: client %s point %" PRId64
				    ": killed after %u s", j->id, j->n,
				    cfg->on_alert_timeout);
			}
			continue;
		}
		a->running--;
		j->pid = 0;
		if (p == -1 || j->killed)
			continue;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			a->st.ok++;
		else {
			a->st.failed++;
			if (WIFEXITED(status))
				logmsg(0, "on-alert: client %s point %" PRId64
				    ": exit status %d", j->id, j->n,
				    WEXITSTATUS(status));
			else
				logmsg(0, "on-alert: client %s point %" PRId64
				    ": killed by signal %d", j->id, j->n,
				    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		}
	}
	pump(a);
}

void
alert_committed(struct server *srv, const struct batch *b)
{
	struct alerts *a = srv->alerts;
	struct alert_item *it;
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < b->nops; i++) {
		if (b->ops[i].kind != WOP_POINT || !b->ops[i].p.alert)
			continue;
		if (a->count == ALERT_QUEUE) {
			if (a->st.dropped++ == 0)
				logmsg(0, "on-alert: %d alerts wait: alerts "
				    "dropped (counted in /metrics)",
				    ALERT_QUEUE);
			continue;
		}
		it = &a->q[(a->head + a->count) % ALERT_QUEUE];
		a->count++;
		alert_of(it, &b->ops[i]);
	}
	pump(a);
}

void
alert_stats(const struct server *srv, struct alert_stats *st)
{
	if (srv->alerts == NULL)
		memset(st, 0, sizeof(*st));
	else
		*st = srv->alerts->st;
}

void
alert_quiet(struct server *srv)
{
	if (srv->alerts == NULL)
		return;
	lws_sul_cancel(&srv->alerts->reap);
	srv->alerts->quiet = 1;
}

void
alert_free(struct server *srv)
{
	struct alerts *a = srv->alerts;
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	int64_t deadline;
	unsigned i;

	if (a == NULL)
		return;
	if (a->count > 0)
		logmsg(0, "on-alert: %zu alerts not run at shutdown", a->count);
	deadline = clock_mono_us() + 2000000;	/* the shutdown's 2 s */
	for (i = 0; i < srv->cfg.on_alert_jobs; i++)
		while (a->jobs[i].pid != 0) {	/* shutdown only */
			reap(&a->reap);
			if (a->jobs[i].pid == 0)
				break;
			if (clock_mono_us() >= deadline) {
				logmsg(0, "on-alert: client %s point %" PRId64
				    ": killed at shutdown", a->jobs[i].id,
				    a->jobs[i].n);
				kill(-a->jobs[i].pid, SIGKILL);
				kill(a->jobs[i].pid, SIGKILL);
				waitpid(a->jobs[i].pid, NULL, 0);
				a->jobs[i].pid = 0;
				break;
			}
			nanosleep(&ts, NULL);
		}
	free(a->jobs);
	free(a->q);
	free(a);
	srv->alerts = NULL;
}
