/*
 * csvin.c: streaming CSV input of (timestamp, value) rows.
 *
 * libcsv does all the splitting.  The input goes to it in slices that end
 * at each CR or LF (or after SLICE bytes), so that at most one row ends per
 * slice and the line a row starts on is known: a row starts on the line of
 * the first slice fed while libcsv had not begun a row.  Between slices
 * the field libcsv is assembling is cut to CSVIN_FIELD_MAX bytes (its
 * parser struct is public: entry_pos is the field's length so far), which
 * bounds memory on lines of any length.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <csv.h>

#include "csvin.h"
#include "errmsg.h"
#include "timefmt.h"

#define SLICE		4096	/* bytes per csv_parse() call, at most */
#define READ_SIZE	65536	/* bytes per fread() of csvin_next() */
#define ROW_NOT_BEGUN	0	/* libcsv's pstate between rows */
#define NAMES_MAX	128	/* header names kept for messages */
#define NAME_KEEP	48	/* bytes of each kept */
#define FATAL_MAX	512

struct column {
	const char	*name;		/* NULL: by number (or default) */
	long		 number;	/* 1-based, when given by number */
	const char	*fallback_name;	/* default name, when not given */
	int		 fallback;	/* default column, 0-based */
	int		 exact, icase;	/* header matches, 0-based, -1 none */
	int		 index;		/* resolved, 0-based; -1 not yet */
	int		 guessed;	/* taken without its name in the header */
};

struct field {
	char	 buf[CSVIN_TS_MAX > CSVIN_VALUE_MAX ? CSVIN_TS_MAX + 1 :
		    CSVIN_VALUE_MAX + 1];
	size_t	 len;
	int	 seen, is_long;
};

struct csvin {
	struct csv_parser p;
	struct column	 t, v;
	int		 header;	/* 1 while the header row is read */
	int		 failed;	/* a fatal error happened */
	char		 fatal[FATAL_MAX];
	int		 started;	/* the first row (header or not) read */
	int		 first_data;	/* the header row was data */
	int		 header_row;	/* the first row is a header */
	int		 numeric;	/* header fields so far: numbers, dates */
	int		 adj_close, close;	/* header matches, -1 none */
	long		 ncols;		/* fields of the first row */
	char		 names[NAMES_MAX][NAME_KEEP + 1];

	uint64_t	 line;		/* line of the next byte fed */
	uint64_t	 cand_line;	/* where a row begun now starts */
	uint64_t	 row_line;	/* where the current row started */
	int		 prev_cr;
	int		 overflow;	/* the open field was cut */
	long		 field;		/* index of the next field in the row */
	unsigned	 bom;		/* BOM bytes matched; 3+: done */

	struct field	 tf, vf;
	int		 have;		/* rec holds a record not yet given */
	struct csvin_record rec;
	char		 ts[CSVIN_TS_MAX + 1];
	char		 val[CSVIN_VALUE_MAX + 1];
	char		 why[CSVIN_ERR_MAX];

	unsigned char	*in;		/* csvin_next()'s read buffer */
	size_t		 inpos, inlen;
	int		 eof;
	uint64_t	 offset;
};

static int
column_init(struct column *c, const char *spec, const char *fallback_name,
    int fallback, int no_header, const char *what, char *err, size_t errlen)
{
	char *end;

	memset(c, 0, sizeof(*c));
	c->exact = c->icase = c->index = -1;
	c->fallback = fallback;
	if (spec == NULL) {
		c->fallback_name = no_header ? NULL : fallback_name;
		if (no_header)
			c->index = fallback;
		return 0;
	}
	if (*spec == '\0') {
		errmsg_set(err, errlen, "empty %s column", what);
		return -1;
	}
	if (strspn(spec, "0123456789") == strlen(spec)) {
		errno = 0;
		c->number = strtol(spec, &end, 10);
		if (errno != 0 || c->number < 1 || c->number > 1000000) {
			errmsg_set(err, errlen, "%s column %s: out of range",
			    what, spec);
			return -1;
		}
		c->index = (int)(c->number - 1);
		return 0;
	}
	if (no_header) {
		errmsg_set(err, errlen, "%s column '%s': without a header row, "
		    "columns are numbers", what, spec);
		return -1;
	}
	c->name = spec;
	return 0;
}

struct csvin *
csvin_new(const struct csvin_options *o, char *err, size_t errlen)
{
	struct csvin *r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		errmsg_set(err, errlen, "out of memory");
		return NULL;
	}
	if (column_init(&r->t, o->time_column, "timestamp", 0, o->no_header,
	    "timestamp", err, errlen) == -1 ||
	    column_init(&r->v, o->value_column, "value", 1, o->no_header,
	    "value", err, errlen) == -1) {
		free(r);
		return NULL;
	}
	if (csv_init(&r->p, 0) != 0) {
		free(r);
		errmsg_set(err, errlen, "out of memory");
		return NULL;
	}
	r->header = !o->no_header;
	r->line = r->cand_line = 1;
	r->numeric = 1;
	r->header_row = !o->no_header;
	r->adj_close = r->close = -1;
	return r;
}

void
csvin_free(struct csvin *r)
{
	if (r == NULL)
		return;
	csv_free(&r->p);
	free(r->in);
	free(r);
}

uint64_t
csvin_offset(const struct csvin *r)
{
	return r->offset;
}

/* ------------------------------------------------------------- header */

static void
header_field(struct column *c, const char *s, size_t len, long idx)
{
	const char *name = c->name != NULL ? c->name : c->fallback_name;
	size_t i;

	if (name == NULL || c->index != -1 || strlen(name) != len)
		return;
	if (c->exact == -1 && memcmp(name, s, len) == 0)
		c->exact = (int)idx;
	if (c->icase == -1) {
		for (i = 0; i < len; i++)
			if (tolower((unsigned char)name[i]) !=
			    tolower((unsigned char)s[i]))
				break;
		if (i == len)
			c->icase = (int)idx;
	}
}

/* Whether the len bytes at s name the column want, ignoring ASCII case. */
static int
same_name(const char *s, size_t len, const char *want)
{
	size_t i;

	if (strlen(want) != len)
		return 0;
	for (i = 0; i < len; i++)
		if (tolower((unsigned char)s[i]) !=
		    tolower((unsigned char)want[i]))
			return 0;
	return 1;
}

/* Whether a header field is a number or a date, as data would be. */
static int
looks_like_data(const char *s, size_t len)
{
	char buf[CSVIN_VALUE_MAX + 1], *end;
	int64_t ms;
	double d;

	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0 || len > CSVIN_VALUE_MAX)
		return 0;
	if (timefmt_parse(s, len, &ms) == 0)
		return 1;
	if (strspn(s, "0123456789+-.eE") < len)
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	d = strtod(buf, &end);
	return *end == '\0' && end != buf && isfinite(d);
}

/* Notes a header field: its name for messages, the layout of a Yahoo
 * Finance download, whether it could be data. */
static void
header_note(struct csvin *r, const char *s, size_t len, long idx)
{
	if (idx < NAMES_MAX) {
		size_t n = len > NAME_KEEP ? NAME_KEEP : len;

		memcpy(r->names[idx], s, n);
		r->names[idx][n] = '\0';
	}
	if (r->adj_close == -1 && same_name(s, len, "Adj Close"))
		r->adj_close = (int)idx;
	if (r->close == -1 && same_name(s, len, "Close"))
		r->close = (int)idx;
	if (!looks_like_data(s, len))
		r->numeric = 0;
}

/* The header's names, ", " between them, cut to fit size. */
static void
names_list(const struct csvin *r, char *buf, size_t size)
{
	size_t len = 0;
	long i;
	int n;

	buf[0] = '\0';
	for (i = 0; i < r->ncols && i < NAMES_MAX; i++) {
		n = snprintf(buf + len, size - len, "%s'%s'", i ? ", " : "",
		    r->names[i]);
		if (n < 0 || (size_t)n >= size - len) {
			if (len + 5 <= size)
				strcpy(buf + (len > size - 5 ? size - 5 : len),
				    ", ...");
			return;
		}
		len += (size_t)n;
	}
}

static int
header_end(struct csvin *r, struct column *c, const char *what)
{
	char list[FATAL_MAX - 96];

	if (c->index != -1)
		return 0;
	if (c->exact != -1)
		c->index = c->exact;
	else if (c->icase != -1)
		c->index = c->icase;
	else if (c->name == NULL) {
		/* Not named, its default name not in the header: the
		 * default column, or a download's adjusted close. */
		c->index = c->fallback;
		c->guessed = 1;
		if (c == &r->v && r->adj_close != -1)
			c->index = r->adj_close;
		else if (c == &r->v && r->close != -1)
			c->index = r->close;
	} else {
		names_list(r, list, sizeof(list));
		errmsg_set(r->fatal, sizeof(r->fatal), "line %llu: no %s "
		    "column named '%s'; the columns are %s",
		    (unsigned long long)r->row_line, what, c->name, list);
		r->failed = 1;
		return -1;
	}
	return 0;
}

/* After the first row: a column given by number must be in it. */
static int
check_count(struct csvin *r, struct column *c, const char *what)
{
	char list[FATAL_MAX - 96];

	if (c->number == 0 || c->index < r->ncols)
		return 0;
	if (r->header) {
		names_list(r, list, sizeof(list));
		errmsg_set(r->fatal, sizeof(r->fatal), "%s column %ld: the "
		    "header has %ld column%s: %s", what, c->number, r->ncols,
		    r->ncols == 1 ? "" : "s", list);
	} else
		errmsg_set(r->fatal, sizeof(r->fatal), "%s column %ld: the "
		    "first row has %ld field%s", what, c->number, r->ncols,
		    r->ncols == 1 ? "" : "s");
	r->failed = 1;
	return -1;
}

/* --------------------------------------------------------------- rows */

static void
keep(struct field *f, const char *s, size_t len, size_t max, int cut)
{
	f->seen = 1;
	f->is_long = cut || len > max;
	f->len = len > max ? max : len;
	memcpy(f->buf, s, f->len);
	f->buf[f->len] = '\0';
}

static void
on_field(void *s, size_t len, void *arg)
{
	struct csvin *r = arg;
	int cut = r->overflow;

	r->overflow = 0;
	if (r->failed)
		return;
	if (r->field == 0)
		r->row_line = r->cand_line;
	if (s == NULL)
		len = 0;
	if (r->header) {
		header_field(&r->t, s, len, r->field);
		header_field(&r->v, s, len, r->field);
		header_note(r, s, len, r->field);
		/* Kept in case the row turns out to be data. */
		if (r->field == (r->t.index != -1 ? r->t.index : r->t.fallback))
			keep(&r->tf, s, len, CSVIN_TS_MAX, cut);
		if (r->field == (r->v.index != -1 ? r->v.index : r->v.fallback))
			keep(&r->vf, s, len, CSVIN_VALUE_MAX, cut);
	} else {
		if (r->field == r->t.index)
			keep(&r->tf, s, len, CSVIN_TS_MAX, cut);
		if (r->field == r->v.index)
			keep(&r->vf, s, len, CSVIN_VALUE_MAX, cut);
	}
	if (r->field < 2000000000)
		r->field++;
}

/* Whether the len bytes at s are a JSON number (RFC 8259) that is
 * finite as a double. */
static int
json_number(const char *s, size_t len)
{
	size_t i = 0;

	if (i < len && s[i] == '-')
		i++;
	if (i < len && s[i] == '0')
		i++;
	else if (i < len && s[i] >= '1' && s[i] <= '9')
		while (i < len && isdigit((unsigned char)s[i]))
			i++;
	else
		return 0;
	if (i < len && s[i] == '.') {
		if (++i >= len || !isdigit((unsigned char)s[i]))
			return 0;
		while (i < len && isdigit((unsigned char)s[i]))
			i++;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= len || !isdigit((unsigned char)s[i]))
			return 0;
		while (i < len && isdigit((unsigned char)s[i]))
			i++;
	}
	return i == len && isfinite(strtod(s, NULL));
}

/* Reads a value: optional blanks, a decimal number, optional blanks. */
static int
read_value(struct field *f, char *out, double *v)
{
	const char *s = f->buf, *e = f->buf + f->len;
	char *end;
	size_t n, i;
	int digit = 0;

	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	n = (size_t)(e - s);
	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (isdigit((unsigned char)s[i]))
			digit = 1;
		else if (strchr("+-.eE", s[i]) == NULL || s[i] == '\0')
			return -1;
	}
	if (!digit)
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	errno = 0;
	*v = strtod(out, &end);
	if (*end != '\0' || !isfinite(*v))
		return -1;
	return 0;
}

static void
row_end(struct csvin *r)
{
	struct csvin_record *rec = &r->rec;
	size_t i;

	memset(rec, 0, sizeof(*rec));
	rec->line = r->row_line;
	if (!r->tf.seen)
		snprintf(r->why, sizeof(r->why), "no timestamp column "
		    "(column %d)", r->t.index + 1);
	else if (!r->vf.seen)
		snprintf(r->why, sizeof(r->why), "no value column "
		    "(column %d)", r->v.index + 1);
	else if (r->tf.is_long)
		snprintf(r->why, sizeof(r->why), "timestamp over %d bytes",
		    CSVIN_TS_MAX);
	else if (r->tf.len == 0)
		snprintf(r->why, sizeof(r->why), "empty timestamp");
	else if (r->vf.is_long || read_value(&r->vf, r->val, &rec->v) == -1)
		snprintf(r->why, sizeof(r->why), "value is not a finite "
		    "number");
	else
		r->why[0] = '\0';
	if (r->why[0] == '\0')
		for (i = 0; i < r->tf.len; i++)
			if ((unsigned char)r->tf.buf[i] < 0x20 ||
			    r->tf.buf[i] == 0x7f) {
				snprintf(r->why, sizeof(r->why), "timestamp "
				    "holds a control character");
				break;
			}
	if (r->why[0] != '\0')
		rec->error = r->why;
	else {
		memcpy(r->ts, r->tf.buf, r->tf.len + 1);
		rec->timestamp = r->ts;
		rec->timestamp_len = r->tf.len;
		rec->timestamp_is_number = json_number(r->ts, r->tf.len);
		rec->value = r->val;
		rec->value_len = strlen(r->val);
	}
	r->have = 1;
}

static void
on_row(int c, void *arg)
{
	struct csvin *r = arg;

	(void)c;
	if (!r->failed && !r->started) {
		r->started = 1;
		r->ncols = r->field;
		if (r->header && r->numeric && r->t.name == NULL &&
		    r->v.name == NULL) {
			/* Only numbers and dates, no column asked for by
			 * name: no header, the first row is data. */
			r->first_data = 1;
			r->header = r->header_row = 0;
			if (r->t.index == -1)
				r->t.index = r->t.fallback;
			if (r->v.index == -1)
				r->v.index = r->v.fallback;
		}
		if (r->header) {
			if (header_end(r, &r->t, "timestamp") == 0 &&
			    header_end(r, &r->v, "value") == 0 &&
			    check_count(r, &r->t, "timestamp") == 0 &&
			    check_count(r, &r->v, "value") == 0)
				r->header = 0;
			r->field = 0;
			r->tf.seen = r->vf.seen = 0;
			return;
		}
		if (check_count(r, &r->t, "timestamp") == -1 ||
		    check_count(r, &r->v, "value") == -1)
			return;
	}
	if (!r->failed)
		row_end(r);
	r->field = 0;
	r->tf.seen = r->vf.seen = 0;
}

/* ------------------------------------------------------------ driving */

/* Feeds one slice of at most SLICE bytes from s (len > 0): returns the
 * bytes taken, or 0 on a fatal error. */
static size_t
step(struct csvin *r, const unsigned char *s, size_t len)
{
	static const unsigned char bom[3] = { 0xef, 0xbb, 0xbf };
	size_t n, i;
	unsigned char last;

	while (r->bom < 3) {
		if (s[0] != bom[r->bom]) {
			/* Not a BOM: give libcsv what looked like one. */
			n = r->bom;
			r->bom = 3;
			if (n > 0 && csv_parse(&r->p, bom, n, on_field,
			    on_row, r) != n)
				goto fail;
			break;
		}
		r->bom++;
		r->offset++;
		return 1;
	}
	n = len < SLICE ? len : SLICE;
	for (i = 0; i < n; i++)
		if (s[i] == '\n' || s[i] == '\r') {
			n = i + 1;
			break;
		}
	if (r->p.pstate == ROW_NOT_BEGUN)
		r->cand_line = r->line;
	if (csv_parse(&r->p, s, n, on_field, on_row, r) != n)
		goto fail;
	last = s[n - 1];
	if (last == '\n') {
		if (!r->prev_cr)
			r->line++;
		r->prev_cr = 0;
	} else if (last == '\r') {
		r->line++;
		r->prev_cr = 1;
	} else
		r->prev_cr = 0;
	if (r->p.entry_pos > CSVIN_FIELD_MAX) {
		r->overflow = 1;
		r->p.entry_pos = CSVIN_FIELD_MAX;
		r->p.spaces = 0;
	}
	r->offset += n;
	return n;
fail:
	errmsg_set(r->fatal, sizeof(r->fatal), "csv: %s",
	    csv_strerror(csv_error(&r->p)));
	r->failed = 1;
	return 0;
}

static int
fatal(struct csvin *r, char *err, size_t errlen)
{
	errmsg_set(err, errlen, "%s", r->fatal);
	return -1;
}

int
csvin_feed(struct csvin *r, const void *buf, size_t len, csvin_cb cb,
    void *arg, char *err, size_t errlen)
{
	const unsigned char *s = buf;
	size_t pos = 0, n;
	int rc;

	if (r->failed)
		return fatal(r, err, errlen);
	while (pos < len) {
		n = step(r, s + pos, len - pos);
		if (r->failed)
			return fatal(r, err, errlen);
		pos += n;
		if (r->have) {
			r->have = 0;
			if ((rc = cb(arg, &r->rec)) != 0)
				return rc;
		}
	}
	return 0;
}

static int
finish(struct csvin *r)
{
	if (r->bom > 0 && r->bom < 3) {
		unsigned n = r->bom;

		r->bom = 3;
		if (csv_parse(&r->p, "\xef\xbb", n, on_field, on_row, r) != n)
			goto fail;
	}
	if (r->p.pstate == ROW_NOT_BEGUN)
		r->cand_line = r->line;
	if (csv_fini(&r->p, on_field, on_row, r) != 0)
		goto fail;
	return r->failed ? -1 : 0;
fail:
	errmsg_set(r->fatal, sizeof(r->fatal), "csv: %s",
	    csv_strerror(csv_error(&r->p)));
	r->failed = 1;
	return -1;
}

int
csvin_finish(struct csvin *r, csvin_cb cb, void *arg, char *err,
    size_t errlen)
{
	if (r->failed || finish(r) == -1)
		return fatal(r, err, errlen);
	if (r->have) {
		r->have = 0;
		return cb(arg, &r->rec);
	}
	return 0;
}

/* Reads from fp until a record is ready, or (start) the first row was
 * read.  Returns CSVIN_ROW/CSVIN_BAD with the record, CSVIN_EOF, or
 * CSVIN_ERROR; with start, 0 once the first row is read. */
static int
pull(struct csvin *r, FILE *fp, struct csvin_record *rec, int start,
    char *err, size_t errlen)
{
	ssize_t got;
	size_t n;

	for (;;) {
		if (r->failed)
			return fatal(r, err, errlen);
		if (start && r->started)
			return 0;
		if (r->have && !start) {
			r->have = 0;
			*rec = r->rec;
			return rec->error != NULL ? CSVIN_BAD : CSVIN_ROW;
		}
		if (r->eof)
			return start ? 0 : CSVIN_EOF;
		if (r->inpos == r->inlen) {
			if (r->in == NULL &&
			    (r->in = malloc(READ_SIZE)) == NULL) {
				errmsg_set(err, errlen, "out of memory");
				return CSVIN_ERROR;
			}
			r->inpos = r->inlen = 0;
			while ((got = read(fileno(fp), r->in, READ_SIZE)) ==
			    -1 && errno == EINTR)
				;
			if (got == -1) {
				errmsg_set(err, errlen, "read: %s",
				    strerror(errno));
				return CSVIN_ERROR;
			}
			r->inlen = (size_t)got;
			if (r->inlen == 0) {
				r->eof = 1;
				if (finish(r) == -1)
					return fatal(r, err, errlen);
				continue;
			}
		}
		n = step(r, r->in + r->inpos, r->inlen - r->inpos);
		r->inpos += n;
	}
}

int
csvin_next(struct csvin *r, FILE *fp, struct csvin_record *rec, char *err,
    size_t errlen)
{
	return pull(r, fp, rec, 0, err, errlen);
}

int
csvin_start(struct csvin *r, FILE *fp, char *err, size_t errlen)
{
	struct csvin_record rec;

	return pull(r, fp, &rec, 1, err, errlen) == 0 ? 0 : -1;
}

/* Whether the header names Date, Open, High, Low, Close and Volume (any
 * case, any order), as a Yahoo Finance download does. */
static int
yahoo_layout(const struct csvin *r)
{
	static const char *const want[] = { "Date", "Open", "High", "Low",
	    "Close", "Volume" };
	unsigned k, found = 0;
	long i;

	if (!r->header_row || r->first_data)
		return 0;
	for (i = 0; i < r->ncols && i < NAMES_MAX; i++)
		for (k = 0; k < sizeof(want) / sizeof(want[0]); k++)
			if (same_name(r->names[i], strlen(r->names[i]),
			    want[k]))
				found |= 1u << k;
	return found == (1u << (sizeof(want) / sizeof(want[0]))) - 1;
}

int
csvin_columns(const struct csvin *r, struct csvin_columns *c)
{
	if (!r->started || r->failed)
		return -1;
	memset(c, 0, sizeof(*c));
	c->time_index = r->t.index;
	c->value_index = r->v.index;
	c->ncols = r->ncols;
	c->first_row_is_data = r->first_data;
	if (r->header_row && r->t.index < r->ncols && r->t.index < NAMES_MAX)
		c->time_name = r->names[r->t.index];
	if (r->header_row && r->v.index < r->ncols && r->v.index < NAMES_MAX)
		c->value_name = r->names[r->v.index];
	c->time_guessed = r->t.guessed;
	c->value_guessed = r->v.guessed;
	c->yahoo = yahoo_layout(r);
	return 0;
}
