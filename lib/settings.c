/*
 * settings.c: the detectors' settings (SPEC §3.3): the names of the
 * detectors, the params table (key, default, range), parsing of the text
 * forms, and the check of a whole struct detect_settings.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "iforest.h"
#include "novelty.h"
#include "settings.h"

/* The bounds of the parameters that size a detector (see the table). */
#define SETTINGS_MA_M_MAX	50
#define SETTINGS_TREES_MAX	200
#define SETTINGS_SAMPLE_MAX	512
#define SETTINGS_PROTOS_MAX	512
#define SETTINGS_AVERAGE_MAX	1000
#define SETTINGS_HISTORY_MAX	10000
/* ma.m times the window at most, above the default ma.m: a rebase of the
 * window's residuals (every W points) costs W x ma.m on one point, so the
 * default's cost at window 100000 (about 20 ms here) is the worst */
#define SETTINGS_MA_SPAN	500000

static const char *const kind_names[DETECT_KINDS] = {
	"zscore", "iqr", "ewma", "ma", "iforest", "mzscore", "spatial", "novelty",
	"novelty_long", "moves"
};

static const char *const preset_names[DETECT_PRESETS] = { "prices" };

/* The hold-off of the prices preset: about six weeks of trading days, so
 * that a crash gives one alert and the next event another. */
#define PRICES_HOLDOFF	30

/*
 * Params table: key, default, minimum, maximum, whole number.  The
 * parameters that size a detector's state or its work per point have
 * ranges that keep both within a few times the defaults' (issue 16: a
 * hello must not claim unbounded memory or time): iforest.trees and
 * iforest.sample (the forest's tables and its trees walked per point),
 * ma.m (the ring and the residual's sum per point), novelty.protos and
 * novelty.dim (the prototypes matched per pattern), novelty.average,
 * novelty.history and novelty.learn (the model's rings).  The others are
 * thresholds and counts that cost nothing to hold.
 */
static const struct param_info {
	const char *name;
	double def, min, max;
	int whole;
	int open_min;		/* the minimum itself is not allowed */
} param_info[DETECT_PARAMS] = {
	[DETECT_P_ZSCORE_K] = { "zscore.k", 6, 0, 1e9, 0, 1 },
	[DETECT_P_IQR_K] = { "iqr.k", 3, 0, 1e9, 0, 1 },
	[DETECT_P_EWMA_LAMBDA] = { "ewma.lambda", 0.3, 0, 1, 0, 1 },
	[DETECT_P_EWMA_L] = { "ewma.l", 6, 0, 1e9, 0, 1 },
	[DETECT_P_MA_M] = { "ma.m", 5, 1, SETTINGS_MA_M_MAX, 1, 0 },
	[DETECT_P_MA_K] = { "ma.k", 6, 0, 1e9, 0, 1 },
	[DETECT_P_MZSCORE_K] = { "mzscore.k", 7, 0, 1e9, 0, 1 },
	[DETECT_P_IFOREST_TREES] = { "iforest.trees", 100, 1,
	    SETTINGS_TREES_MAX, 1, 0 },
	[DETECT_P_IFOREST_SAMPLE] = { "iforest.sample", 256, 2,
	    SETTINGS_SAMPLE_MAX, 1, 0 },
	[DETECT_P_IFOREST_THRESHOLD] = { "iforest.threshold", 0.8, 0, 1,
	    0, 1 },
	[DETECT_P_MIN_POINTS] = { "min_points", 50, 1, DETECT_WINDOW_MAX,
	    1, 0 },
	[DETECT_P_HOLDOFF] = { "holdoff", 50, 0, 1e15, 1, 0 },
	[DETECT_P_SPATIAL_TOL] = { "spatial.tol", 0.025, 0, 1e9, 0, 0 },
	[DETECT_P_NOVELTY_DIM] = { "novelty.dim", 6, 1, NOVELTY_DIM_MAX, 1, 0 },
	[DETECT_P_NOVELTY_PROTOS] = { "novelty.protos", 128, 1,
	    SETTINGS_PROTOS_MAX, 1, 0 },
	[DETECT_P_NOVELTY_RHO] = { "novelty.rho", 0.15, 0, 1e9, 0, 1 },
	[DETECT_P_NOVELTY_RATE] = { "novelty.rate", 0.1, 0, 1, 0, 0 },
	[DETECT_P_NOVELTY_AVERAGE] = { "novelty.average", 10, 1,
	    SETTINGS_AVERAGE_MAX, 1, 0 },
	[DETECT_P_NOVELTY_HISTORY] = { "novelty.history", 1000, 1,
	    SETTINGS_HISTORY_MAX, 1, 0 },
	[DETECT_P_NOVELTY_LEARN] = { "novelty.learn", 300, 1,
	    SETTINGS_HISTORY_MAX, 1, 0 },
	[DETECT_P_NOVELTY_EPS] = { "novelty.eps", 6e-6, 0, 0.5, 0, 1 },
	[DETECT_P_NOVELTY_SIGMA_MIN] = { "novelty.sigma_min", 0.005, 0, 1e9, 0,
	    1 },
	[DETECT_P_NOVELTY_LONG_SCALE] = { "novelty_long.scale", 12, 1,
	    DETECT_WINDOW_MAX, 1, 0 },
	[DETECT_P_SPATIAL_RAMP] = { "spatial.ramp", 200, 0, 1e15, 1, 0 },
	[DETECT_P_NOVELTY_HOLDOFF] = { "novelty.holdoff", 200, 0, 1e15, 1, 0 },
	[DETECT_P_MOVES_K] = { "moves.k", 6, 0, 1e9, 0, 1 },
	[DETECT_P_MOVES_BURST] = { "moves.burst", 2.3, 0, 1e9, 0, 1 },
	[DETECT_P_NOVELTY_CONFIRM] = { "novelty.confirm", 2, 1, 1000, 1, 0 },
	[DETECT_P_NOVELTY_SETTLE] = { "novelty.settle", 750, 0, 1e15, 1, 0 },
	[DETECT_P_NOVELTY_JOINT] = { "novelty.joint", 0.5, 0, 1, 0, 0 },
	[DETECT_P_NOVELTY_SHAPE] = { "novelty.shape", 0.3, 0, 1, 0, 0 },
};

uint32_t
detect_alert_mask(const struct detect_settings *s)
{
	if (s->alert == DETECT_ALERT_VOTE)
		return 0;
	if (s->alert & DETECT_ALERT_ANY)
		return s->alert & ~DETECT_ALERT_ANY;
	return 1u << (s->alert - DETECT_ALERT_DETECTOR);
}

uint32_t
detect_computed_mask(const struct detect_settings *s)
{
	return s->detectors | detect_alert_mask(s);
}

void
detect_settings_default(struct detect_settings *s, uint32_t w)
{
	unsigned p;

	memset(s, 0, sizeof(*s));
	s->window = w;
	s->detectors = DETECT_DEFAULT_MASK;
	s->vote = DETECT_VOTE_MAJORITY;
	s->alert = DETECT_DEFAULT_ALERT;
	for (p = 0; p < DETECT_PARAMS; p++)
		s->param[p] = param_info[p].def;
}

/* Returns 0 when v is in the range of parameter p (whole when it must
 * be), else -1 with a message naming its key. */
static int
param_check(unsigned p, double v, char *err, size_t errlen)
{
	const struct param_info *pi = &param_info[p];

	if (!isfinite(v) || v < pi->min || v > pi->max ||
	    (pi->open_min && v == pi->min)) {
		if (pi->whole)
			errmsg_set(err, errlen, "%s must be a whole number from "
			    "%.15g to %.15g", pi->name, pi->min, pi->max);
		else
			errmsg_set(err, errlen, "%s must be a number %s %.15g "
			    "and at most %.15g", pi->name,
			    pi->open_min ? "above" : "from", pi->min, pi->max);
		return -1;
	}
	if (pi->whole && v != floor(v)) {
		errmsg_set(err, errlen, "%s must be a whole number", pi->name);
		return -1;
	}
	return 0;
}

int
detect_settings_check(const struct detect_settings *s, char *err,
    size_t errlen)
{
	unsigned p, enabled;

	if (s->window < DETECT_WINDOW_MIN || s->window > DETECT_WINDOW_MAX) {
		errmsg_set(err, errlen, "window must be from %d to %d",
		    DETECT_WINDOW_MIN, DETECT_WINDOW_MAX);
		return -1;
	}
	if (s->detectors == 0 || (s->detectors >> DETECT_KINDS) != 0) {
		errmsg_set(err, errlen, "detectors must name at least one "
		    "detector");
		return -1;
	}
	enabled = (unsigned)__builtin_popcount(s->detectors);
	switch (s->vote) {
	case DETECT_VOTE_MAJORITY:
	case DETECT_VOTE_ANY:
	case DETECT_VOTE_ALL:
		break;
	case DETECT_VOTE_ATLEAST:
		if (s->vote_k >= 1 && s->vote_k <= enabled)
			break;
		errmsg_set(err, errlen, "vote %u needs from 1 to %u detectors",
		    s->vote_k, enabled);
		return -1;
	default:
		errmsg_set(err, errlen, "vote rule is not known");
		return -1;
	}
	if (s->alert & DETECT_ALERT_ANY ? __builtin_popcount(s->alert &
	    ~DETECT_ALERT_ANY) < 2 || ((s->alert & ~DETECT_ALERT_ANY) >>
	    DETECT_KINDS) != 0 : s->alert != DETECT_ALERT_VOTE &&
	    s->alert >= DETECT_ALERT_DETECTOR + DETECT_KINDS) {
		errmsg_set(err, errlen, "alert source is not known");
		return -1;
	}
	{
		char text[64];

		if (strlen(detect_alert_text(s, text, sizeof(text))) >=
		    DETECT_ALERT_TEXT_MAX) {
			errmsg_set(err, errlen, "alert lists too many "
			    "detectors");
			return -1;
		}
	}
	for (p = 0; p < DETECT_PARAMS; p++)
		if (param_check(p, s->param[p], err, errlen) == -1)
			return -1;
	if (s->param[DETECT_P_MA_M] > param_info[DETECT_P_MA_M].def &&
	    s->param[DETECT_P_MA_M] * s->window > SETTINGS_MA_SPAN) {
		unsigned max = SETTINGS_MA_SPAN / s->window;

		if (max < param_info[DETECT_P_MA_M].def)
			max = (unsigned)param_info[DETECT_P_MA_M].def;
		errmsg_set(err, errlen, "ma.m must be a whole number from 1 to "
		    "%u at window %u", max, s->window);
		return -1;
	}
	return 0;
}

const char *
detect_kind_name(unsigned k)
{
	return k < DETECT_KINDS ? kind_names[k] : NULL;
}

int
detect_kind_by_name(const char *name)
{
	int k;

	for (k = 0; k < DETECT_KINDS; k++)
		if (strcmp(name, kind_names[k]) == 0)
			return k;
	return -1;
}

const char *
detect_preset_name(unsigned p)
{
	return p < DETECT_PRESETS ? preset_names[p] : NULL;
}

int
detect_preset_by_name(const char *name)
{
	int p;

	for (p = 0; p < DETECT_PRESETS; p++)
		if (strcmp(name, preset_names[p]) == 0)
			return p;
	return -1;
}

void
detect_preset_apply(struct detect_settings *s, unsigned p)
{
	if (p != DETECT_PRESET_PRICES)
		return;
	s->alert = DETECT_ALERT_DETECTOR + DETECT_MOVES;
	s->param[DETECT_P_MOVES_K] = param_info[DETECT_P_MOVES_K].def;
	s->param[DETECT_P_MOVES_BURST] = param_info[DETECT_P_MOVES_BURST].def;
	s->param[DETECT_P_HOLDOFF] = PRICES_HOLDOFF;
}

int
detect_parse_detectors(struct detect_settings *s, const char *list,
    char *err, size_t errlen)
{
	char name[32];
	const char *p = list, *end;
	uint32_t mask = 0;
	size_t len;
	int k;

	for (;;) {
		end = strchr(p, ',');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len == 0 || len >= sizeof(name)) {
			errmsg_set(err, errlen, "detectors: expected a comma-"
			    "separated list of zscore, iqr, ewma, ma, iforest, "
			    "mzscore, spatial, novelty, novelty_long, moves");
			return -1;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		if ((k = detect_kind_by_name(name)) == -1) {
			errmsg_set(err, errlen, "unknown detector '%s'", name);
			return -1;
		}
		mask |= 1u << k;
		if (end == NULL)
			break;
		p = end + 1;
	}
	s->detectors = mask;
	return 0;
}

int
detect_parse_vote(struct detect_settings *s, const char *rule, char *err,
    size_t errlen)
{
	char *end;
	unsigned long k;

	if (strcmp(rule, "majority") == 0)
		s->vote = DETECT_VOTE_MAJORITY;
	else if (strcmp(rule, "any") == 0)
		s->vote = DETECT_VOTE_ANY;
	else if (strcmp(rule, "all") == 0)
		s->vote = DETECT_VOTE_ALL;
	else {
		if (rule[0] < '1' || rule[0] > '9' || strlen(rule) > 2)
			goto bad;
		k = strtoul(rule, &end, 10);
		if (*end != '\0' || k < 1 || k > DETECT_KINDS)
			goto bad;
		s->vote = DETECT_VOTE_ATLEAST;
		s->vote_k = (uint32_t)k;
	}
	return 0;
bad:
	errmsg_set(err, errlen, "vote must be any, majority, all or a count from "
	    "1 to %d, not '%.32s'", DETECT_KINDS, rule);
	return -1;
}

int
detect_parse_alert(struct detect_settings *s, const char *source, char *err,
    size_t errlen)
{
	char name[32];
	const char *p = source, *end;
	uint32_t mask = 0;
	size_t len;
	int k;

	if (strcmp(source, "vote") == 0) {
		s->alert = DETECT_ALERT_VOTE;
		return 0;
	}
	for (;;) {
		end = strchr(p, ',');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		k = -1;
		if (len > 0 && len < sizeof(name)) {
			memcpy(name, p, len);
			name[len] = '\0';
			k = detect_kind_by_name(name);
		}
		if (k == -1) {
			errmsg_set(err, errlen, "alert must be vote, a detector "
			    "name or a comma-separated list of them, not "
			    "'%.32s'", source);
			return -1;
		}
		mask |= 1u << k;
		if (end == NULL)
			break;
		p = end + 1;
	}
	if (__builtin_popcount(mask) == 1)
		s->alert = DETECT_ALERT_DETECTOR +
		    (uint32_t)__builtin_ctz(mask);
	else
		s->alert = DETECT_ALERT_ANY | mask;
	return 0;
}

const char *
detect_vote_text(const struct detect_settings *s, char *buf, size_t len)
{
	switch (s->vote) {
	case DETECT_VOTE_ANY:
		snprintf(buf, len, "any");
		break;
	case DETECT_VOTE_ALL:
		snprintf(buf, len, "all");
		break;
	case DETECT_VOTE_ATLEAST:
		snprintf(buf, len, "%u", s->vote_k);
		break;
	default:
		snprintf(buf, len, "majority");
		break;
	}
	return buf;
}

const char *
detect_alert_text(const struct detect_settings *s, char *buf, size_t len)
{
	uint32_t mask = detect_alert_mask(s);
	size_t used = 0;
	unsigned k;

	if (len > 0)
		buf[0] = '\0';
	if (mask == 0) {
		snprintf(buf, len, "vote");
		return buf;
	}
	for (k = 0; k < DETECT_KINDS; k++) {
		if (!(mask & (1u << k)) || used >= len)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
		    used > 0 ? "," : "", kind_names[k]);
	}
	return buf;
}

const char *
detect_param_name(unsigned p)
{
	return p < DETECT_PARAMS ? param_info[p].name : NULL;
}

int
detect_param_by_name(const char *name)
{
	int p;

	for (p = 0; p < DETECT_PARAMS; p++)
		if (strcmp(name, param_info[p].name) == 0)
			return p;
	return -1;
}

int
detect_param_set(struct detect_settings *s, unsigned p, double value,
    char *err, size_t errlen)
{
	if (p >= DETECT_PARAMS) {
		errmsg_set(err, errlen, "unknown parameter");
		return -1;
	}
	if (param_check(p, value, err, errlen) == -1)
		return -1;
	s->param[p] = value;
	return 0;
}
