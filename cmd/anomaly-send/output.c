/*
 * output.c: verdict lines, the progress bar, the log and the summary of
 * anomaly-send.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "output.h"

/* The first n bytes at h that hold needle (NUL-terminated), or NULL. */
static char *
find(const char *h, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; i + k <= n; i++)
		if (memcmp(h + i, needle, k) == 0)
			return (char *)(uintptr_t)(h + i);
	return NULL;
}

/* Replaces with '*' the string value after each name (such as
 * "\"key\":\"") in the len bytes at m: no secret goes to the log. */
static void
masked(char *m, size_t len, const char *name)
{
	size_t nlen = strlen(name);
	char *p = m, *end = m + len;

	while ((p = find(p, (size_t)(end - p), name)) != NULL)
		for (p += nlen; p < end && *p != '"'; p++)
			*p = '*';
}

void
output_log_msg(struct sender *s, char dir, const char *msg, size_t len)
{
	char t[TIMEFMT_BUFSIZE];

	if (s->log == NULL)
		return;
	timefmt_format((int64_t)(uint64_t)clock_wall_ms(), t, sizeof(t));
	if (len < 1024 && (find(msg, len, "\"key\":\"") != NULL ||
	    find(msg, len, "\"token\":\"") != NULL)) {
		char copy[1024];

		memcpy(copy, msg, len);
		masked(copy, len, "\"key\":\"");
		masked(copy, len, "\"token\":\"");
		fprintf(s->log, "%s %c %.*s\n", t, dir, (int)len, copy);
		explicit_bzero(copy, sizeof(copy));
		return;
	}
	fprintf(s->log, "%s %c %.*s\n", t, dir, (int)len, msg);
}

void
output_log_open(struct sender *s)
{
	char path[PATH_MAX];

	if (s->no_log)
		return;
	if (mkdir(s->log_dir, 0777) == -1 && errno != EEXIST)
		err(1, "%s", s->log_dir);
	snprintf(path, sizeof(path), "%s/%s.log", s->log_dir, s->client_id);
	if ((s->log = fopen(path, "a")) == NULL)
		err(1, "%s", path);
	setvbuf(s->log, NULL, _IOFBF, 1 << 16);
}

void
output_log_close(struct sender *s)
{
	if (s->log != NULL && fclose(s->log) == EOF)
		warn("log of %s", s->client_id);
	s->log = NULL;
}

/* Writes the len bytes at s as a CSV field, quoted when they must be. */
static void
put_csv_field(const char *s, size_t len)
{
	size_t i;

	if (strcspn(s, ",\"\r\n") == len) {
		fwrite(s, 1, len, stdout);
		return;
	}
	putchar('"');
	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			putchar('"');
		putchar(s[i]);
	}
	putchar('"');
}

void
output_verdict(struct sender *s, const struct row *w, const struct reply *r)
{
	struct jsonbuf b;
	int i;

	if (s->quiet)
		return;
	if (!s->json) {
		if (!s->header_done) {
			s->header_done = 1;
			printf("timestamp,value,anomaly,alert\n");
		}
		put_csv_field(w->ts, w->ts_len);
		printf(",%s,%d,%d\n", w->val, r->anomaly, r->alert);
		return;
	}
	jsonbuf_init(&b, 0);
	printf("{\"client_id\":\"%s\",\"seq\":%lld,\"line\":%llu,"
	    "\"timestamp\":", s->client_id, (long long)w->seq,
	    (unsigned long long)w->line);
	if (w->ts_num)
		fwrite(w->ts, 1, w->ts_len, stdout);
	else {
		(void)jsonbuf_put_string(&b, w->ts, w->ts_len);
		fwrite(jsonbuf_text(&b), 1, b.len, stdout);
		jsonbuf_clear(&b);
	}
	(void)jsonbuf_put_double(&b, w->v);
	printf(",\"value\":%s,\"anomaly\":%d", jsonbuf_text(&b), r->anomaly);
	if (r->has_alert)
		printf(",\"alert\":%d", r->alert);
	if (r->has_score) {
		jsonbuf_clear(&b);
		(void)jsonbuf_put_double(&b, r->score);
		printf(",\"score\":%s", jsonbuf_text(&b));
	}
	if (r->nvotes > 0) {
		printf(",\"votes\":{");
		for (i = 0; i < r->nvotes; i++)
			printf("%s\"%s\":%d", i ? "," : "", r->vote_name[i],
			    r->vote[i]);
		putchar('}');
	}
	if (r->warmup)
		printf(",\"warmup\":true");
	if (r->duplicate)
		printf(",\"duplicate\":1");
	printf("}\n");
	jsonbuf_free(&b);
}

void
output_progress(struct sender *s, int last)
{
	uint64_t t;
	double f;
	int i, w = 30;

	if (!s->progress)
		return;
	t = (uint64_t)clock_wall_ms();
	if (!last && t - s->last_draw_ms < 100)
		return;
	s->last_draw_ms = t;
	if (last) {
		fprintf(stderr, "\r%60s\r", "");
		return;
	}
	f = s->fsize > 0 && s->reader != NULL ?
	    (double)csvin_offset(s->reader) / (double)s->fsize : 0;
	if (f > 1)
		f = 1;
	fputc('\r', stderr);
	fputc('[', stderr);
	for (i = 0; i < w; i++)
		fputc(i < (int)(f * w) ? '#' : ' ', stderr);
	fprintf(stderr, "] %3d%% %llu points", (int)(f * 100),
	    (unsigned long long)s->points);
}

void
output_summary(struct sender *s)
{
	uint64_t t;
	double secs;

	t = (uint64_t)clock_wall_ms() - s->start_ms;
	secs = (double)t / 1000;
	if (s->job_connected)
		fprintf(stderr, "anomaly-send: %s: %llu points, %llu "
		    "anomalies, %llu alerts, %llu rejected rows, %.3f s, "
		    "%.0f points/s\n", s->client_id,
		    (unsigned long long)s->points,
		    (unsigned long long)s->anomalies,
		    (unsigned long long)s->alerts,
		    (unsigned long long)s->rejected, secs,
		    secs > 0 ? (double)s->points / secs : 0.0);
	if (s->resume && s->resume_known && s->resume_none)
		fprintf(stderr, "anomaly-send: %s: --resume: 0 rows skipped "
		    "(nothing stored before)\n", s->client_id);
	else if (s->resume && s->resume_known)
		fprintf(stderr, "anomaly-send: %s: --resume: %llu rows skipped, "
		    "at or before the last stored timestamp (%s)\n",
		    s->client_id, (unsigned long long)s->skipped,
		    s->resume_text);
	if (s->anomalies > 0)
		s->any_anomaly = 1;
	if (s->alerts > 0)
		s->any_alert = 1;
	if (s->rejected > 0)
		s->any_rejected = 1;
}
