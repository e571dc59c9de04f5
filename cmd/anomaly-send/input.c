/*
 * input.c: reading, pacing and shifting anomaly-send's rows.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "clock.h"
#include "input.h"
#include "output.h"

/* Whether stdout is the terminal stderr is: verdicts and a progress bar
 * would mix. */
static int
same_terminal(void)
{
	struct stat o, e;

	if (!isatty(STDOUT_FILENO))
		return 0;
	if (fstat(STDOUT_FILENO, &o) == -1 || fstat(STDERR_FILENO, &e) == -1)
		return 1;
	return o.st_rdev == e.st_rdev;
}

/* Says which columns were guessed for the file just started. */
static void
say_columns(struct sender *s)
{
	struct csvin_columns c;

	if (s->lap > 0 || csvin_columns(s->reader, &c) == -1)
		return;
	if (c.first_row_is_data)
		warnx("%s: no header: the first row holds only numbers and "
		    "dates, read as data (--no-header says so)", s->fname);
	if (c.time_guessed && c.time_name != NULL)
		warnx("%s: no column 'timestamp': taking '%s' (column %d) as "
		    "the timestamp (-t chooses)", s->fname, c.time_name,
		    c.time_index + 1);
	if (c.value_guessed && c.value_name != NULL)
		warnx("%s: no column 'value': taking '%s' (column %d) as the "
		    "value (-v chooses)", s->fname, c.value_name,
		    c.value_index + 1);
}

/* Closes the file being read and clears its progress bar. */
static void
close_file(struct sender *s)
{
	if (s->fp != NULL && s->fp != stdin)
		fclose(s->fp);
	s->fp = NULL;
	csvin_free(s->reader);
	s->reader = NULL;
	output_progress(s, 1);
	s->progress = 0;
}

/* Checks, before connecting, that file can be read and has the columns
 * asked for.  Returns 0, or -1 having said why (s->bad_input set). */
static int
check_input(struct sender *s, const char *file)
{
	char e[CSVIN_ERR_MAX * 4];
	struct csvin *r;
	struct stat st;
	FILE *fp;
	int rc;

	if (strcmp(file, "-") == 0)
		return 0;	/* read when the job starts */
	if ((fp = fopen(file, "r")) == NULL) {
		warn("%s", file);
		s->bad_input = s->bad_input ? s->bad_input : 1;
		return -1;
	}
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		warnx("%s: is a directory", file);
		fclose(fp);
		s->bad_input = s->bad_input ? s->bad_input : 1;
		return -1;
	}
	if ((r = csvin_new(&s->csv, e, sizeof(e))) == NULL)
		errx(2, "%s", e);
	rc = csvin_start(r, fp, e, sizeof(e));
	csvin_free(r);
	fclose(fp);
	if (rc == -1) {
		warnx("%s: %s", file, e);
		s->bad_input = 2;
		return -1;
	}
	return 0;
}

/* Opens the job's next file and reads its header; returns 0, or -1 when
 * there is none left. */
static int
open_next(struct sender *s)
{
	char e[CSVIN_ERR_MAX * 4];
	struct stat st;

	for (; s->fileno < s->nfiles; s->fileno++) {
		s->fname = s->files[s->fileno];
		if (strcmp(s->fname, "-") == 0) {
			s->fname = "stdin";
			s->fp = stdin;
		} else if ((s->fp = fopen(s->fname, "r")) == NULL) {
			warn("%s", s->fname);
			s->failed = 1;
			continue;
		}
		if ((s->reader = csvin_new(&s->csv, e, sizeof(e))) == NULL)
			errx(2, "%s", e);
		if (csvin_start(s->reader, s->fp, e, sizeof(e)) == -1) {
			warnx("%s: %s", s->fname, e);
			s->bad_input = 2;
			s->failed = 1;
			close_file(s);
			continue;
		}
		say_columns(s);
		s->progress = !s->quiet && isatty(STDERR_FILENO) &&
		    !same_terminal() &&
		    fstat(fileno(s->fp), &st) == 0 && S_ISREG(st.st_mode);
		s->fsize = st.st_size;
		s->fileno++;
		return 0;
	}
	return -1;
}

int
input_start(struct sender *s)
{
	struct csvin_columns cols;
	int i, bad = 0;

	/* Every file, then the first one's header, before connecting: a
	 * mistake must not leave an empty client on the server. */
	for (i = 0; i < s->nfiles; i++)
		if (check_input(s, s->files[i]) == -1)
			bad = 1;
	if (bad || open_next(s) == -1) {
		s->failed = 1;
		close_file(s);
		return -1;
	}
	if (s->nfiles == 1 && csvin_columns(s->reader, &cols) == -1) {
		warnx("%s: no rows, nothing sent", s->fname);
		close_file(s);
		return -1;
	}
	/* the preset asked for, else prices for a Yahoo download or a
	 * column of closes (the first file's header decides) */
	s->preset = NULL;
	if (s->preset_opt != NULL) {
		if (strcmp(s->preset_opt, "none") != 0)
			s->preset = s->preset_opt;
	} else if (csvin_columns(s->reader, &cols) == 0 && (cols.yahoo ||
	    (cols.value_name != NULL && (strcasecmp(cols.value_name,
	    "Close") == 0 || strcasecmp(cols.value_name, "Adj Close") ==
	    0)))) {
		s->preset = "prices";
		if (!s->quiet)
			warnx("%s: %s: judged as prices, by their moves "
			    "(--preset none: not)", s->fname, cols.yahoo ?
			    "a Yahoo Finance download" : "a column of closes");
	}
	return 0;
}

/* The pacing timer: the pending row is due, ask to send. */
static void
pace_wake(lws_sorted_usec_list_t *sul)
{
	struct sender *s = lws_container_of(sul, struct sender, pace_sul);

	if (s->wsi != NULL)
		lws_callback_on_writable(s->wsi);
}

void
input_end(struct sender *s)
{
	lws_sul_schedule(s->ctx, 0, &s->pace_sul, pace_wake,
	    LWS_SET_TIMER_USEC_CANCEL);
	free(s->times);
	free(s->values);
	s->times = NULL;
	s->values = NULL;
	s->ntimes = s->times_cap = s->nvalues = s->values_cap = 0;
	close_file(s);
}

/* The time of a timestamp in epoch ms: a number is seconds, else a date.
 * Returns 0, or -1 when it is neither. */
static int
row_time(const char *ts, size_t len, int is_num, int64_t *ms)
{
	char *end;
	double d;

	if (!is_num)
		return timefmt_parse(ts, len, ms);
	errno = 0;
	d = strtod(ts, &end);
	if (end == ts || errno == ERANGE)
		return -1;
	return timefmt_from_seconds_real(d, ms);
}

/* Keeps lap 0's times and values, from which the laps' shifts come. */
static void
keep_lap0(struct sender *s, int has_time, int64_t ms, double v)
{
	void *m;

	if (has_time) {
		if (s->ntimes == s->times_cap) {
			s->times_cap = s->times_cap ? s->times_cap * 2 : 1024;
			if ((m = realloc(s->times, s->times_cap *
			    sizeof(*s->times))) == NULL)
				err(1, NULL);
			s->times = m;
		}
		s->times[s->ntimes++] = ms;
	}
	if (s->nvalues == s->values_cap) {
		s->values_cap = s->values_cap ? s->values_cap * 2 : 1024;
		if ((m = realloc(s->values, s->values_cap *
		    sizeof(*s->values))) == NULL)
			err(1, NULL);
		s->values = m;
	}
	s->values[s->nvalues++] = v;
}

/* At the end of lap 0: the shift of a lap in time and in level. */
static void
lap_shift(struct sender *s)
{
	s->lap_shift_ms = timefmt_lap_ms(s->times, s->ntimes);
	s->lap_level = timefmt_lap_level(s->values, s->nvalues);
	free(s->times);
	free(s->values);
	s->times = NULL;
	s->values = NULL;
	s->ntimes = s->times_cap = s->nvalues = s->values_cap = 0;
}

/* An epoch number's timestamp text in ts: milliseconds (or finer) made
 * seconds, said once; a sequence number is said once too. */
static void
number_unit(struct sender *s, const struct csvin_record *rec, char *ts,
    size_t size)
{
	static const char *const name[] = { "", "", "milliseconds",
	    "microseconds", "nanoseconds" };
	enum timefmt_unit u;

	u = timefmt_number_unit(strtod(ts, NULL));
	if (u == TIMEFMT_SEQUENCE && !s->said_seq) {
		s->said_seq = 1;
		warnx("%s:%llu: timestamps like %s are small numbers (below "
		    "1e8), taken as sequence numbers, not times",
		    s->fname, (unsigned long long)rec->line, ts);
	}
	if (u <= TIMEFMT_SECONDS)
		return;
	if (!s->said_unit) {
		s->said_unit = 1;
		warnx("%s:%llu: timestamps like %s are epoch %s: sent as "
		    "seconds", s->fname, (unsigned long long)rec->line, ts,
		    name[u]);
	}
	if (timefmt_scale_number(rec->timestamp, rec->timestamp_len,
	    3 * (int)(u - TIMEFMT_SECONDS), ts, size) == -1 ||
	    strlen(ts) > CSVIN_TS_MAX)
		memcpy(ts, rec->timestamp, rec->timestamp_len + 1);
}

/* Warns, once, when time goes back from the row before. */
static void
check_order(struct sender *s, const struct timefmt_ts *t, uint64_t line)
{
	int cmp;

	if (s->has_prev && !s->said_back &&
	    timefmt_compare(t, &s->prev, &cmp) == 0 && cmp < 0) {
		s->said_back = 1;
		warnx("%s:%llu: timestamp %.*s goes back from %.*s of the row "
		    "before (said once)", s->fname, (unsigned long long)line,
		    (int)t->len, t->text, (int)s->prev.len, s->prev.text);
	}
	memcpy(s->prev_ts, t->text, t->len);
	s->prev_ts[t->len] = '\0';
	s->prev = (struct timefmt_ts){ s->prev_ts, t->len, t->is_number };
	s->has_prev = 1;
}

/* With --resume: 1 when the row is at or before the last stored
 * timestamp (skip it), 0 when after, -1 when they cannot be compared. */
static int
before_resume(const struct sender *s, const struct timefmt_ts *t)
{
	int cmp;

	if (!s->resume || s->resume_none)
		return 0;
	if (timefmt_compare(t, &s->resume_ts, &cmp) == -1)
		return -1;
	return cmp <= 0;
}

/* Reads the next good row into the ring's next slot as the pending row;
 * returns 0, or -1 when the input ended. */
static int
read_row(struct sender *s)
{
	struct csvin_record rec;
	struct timefmt_ts t;
	struct row *w;
	char e[CSVIN_ERR_MAX * 4], shifted[CSVIN_TS_MAX + 32];
	char ts[CSVIN_TS_MAX + 32], val[CSVIN_VALUE_MAX + 1];
	int64_t ms = 0;
	double v;
	int rc, has_time, num, skip;

	for (;;) {
		if (s->reader == NULL && open_next(s) == -1) {
			if (!s->loop || s->lap_rows == 0)
				return -1;
			if (s->lap == 0)
				lap_shift(s);
			s->lap++;
			s->lap_rows = 0;
			s->fileno = 0;
			continue;
		}
		rc = csvin_next(s->reader, s->fp, &rec, e, sizeof(e));
		if (rc == CSVIN_EOF || rc == CSVIN_ERROR) {
			if (rc == CSVIN_ERROR) {
				warnx("%s: %s", s->fname, e);
				s->failed = 1;
			}
			close_file(s);
			continue;
		}
		if (rc == CSVIN_BAD) {
			warnx("%s:%llu: %s", s->fname,
			    (unsigned long long)rec.line, rec.error);
			s->rejected++;
			continue;
		}
		memcpy(ts, rec.timestamp, rec.timestamp_len + 1);
		num = rec.timestamp_is_number;
		if (num)
			number_unit(s, &rec, ts, sizeof(ts));
		has_time = row_time(ts, strlen(ts), num, &ms) == 0;
		if (!has_time && s->realtime) {
			warnx("%s:%llu: timestamp is neither a number nor a "
			    "date", s->fname, (unsigned long long)rec.line);
			s->rejected++;
			continue;
		}
		s->lap_rows++;
		v = rec.v;
		memcpy(val, rec.value, rec.value_len + 1);
		if (s->loop && s->lap == 0)
			keep_lap0(s, has_time, ms, v);
		if (s->lap > 0 && has_time) {
			int64_t shift = (int64_t)s->lap * s->lap_shift_ms;

			t = (struct timefmt_ts){ ts, strlen(ts), num };
			if (timefmt_shift(&t, shift, shifted,
			    sizeof(shifted)) == 0 &&
			    strlen(shifted) <= CSVIN_TS_MAX)
				memcpy(ts, shifted, strlen(shifted) + 1);
			ms += shift;
		}
		if (s->lap > 0 && s->lap_level != 0) {
			v += (double)s->lap * s->lap_level;
			(void)timefmt_value_like(v, rec.value, val,
			    sizeof(val));
		}
		t = (struct timefmt_ts){ ts, strlen(ts), num };
		check_order(s, &t, rec.line);
		if ((skip = before_resume(s, &t)) == -1) {
			warnx("%s:%llu: cannot resume: timestamp %s and the "
			    "last stored %s are not both numbers or dates",
			    s->fname, (unsigned long long)rec.line, ts,
			    s->resume_text);
			s->failed = 1;
			return -1;
		}
		if (skip) {
			s->skipped++;
			continue;
		}
		break;
	}
	w = &s->ring[(s->head + s->count) % s->inflight];
	w->seq = s->next_seq++;
	w->line = rec.line;
	w->v = v;
	w->ts_len = (unsigned char)strlen(ts);
	w->ts_num = (unsigned char)num;
	memcpy(w->ts, ts, w->ts_len + 1);
	snprintf(w->val, sizeof(w->val), "%s", val);
	/* When it is due, from the time of the first row. */
	s->pending_due_us = 0;
	if (s->rate > 0 || s->realtime) {
		if (s->paced == 0) {
			s->pace_start_us = clock_mono_us();
			s->t0_ms = ms;
		}
		if (s->rate > 0)
			s->pending_due_us = s->pace_start_us +
			    (int64_t)((double)s->paced * 1e6 / s->rate);
		else
			s->pending_due_us = s->pace_start_us +
			    (int64_t)((double)(ms - s->t0_ms) * 1000 /
			    s->speed);
	}
	s->pending = 1;
	return 0;
}

void
input_fill(struct sender *s)
{
	int64_t now;

	while (!s->input_done && !s->stopping && s->count < s->inflight) {
		if (!s->pending && read_row(s) == -1) {
			s->input_done = 1;
			break;
		}
		if (s->pending_due_us > 0 &&
		    (now = clock_mono_us()) < s->pending_due_us) {
			lws_sul_schedule(s->ctx, 0, &s->pace_sul, pace_wake,
			    (lws_usec_t)(s->pending_due_us - now));
			break;
		}
		s->pending = 0;
		s->paced++;
		s->count++;
		output_progress(s, 0);
	}
}
