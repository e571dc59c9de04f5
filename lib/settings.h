/*
 * settings.h: what decides a client's verdicts besides its values (SPEC
 * §3.3): the detectors enabled, the vote rule, the alert source, the
 * window and the numeric parameters, with their names, defaults, ranges
 * and text forms.  Pure computation: no I/O, no clock.
 *
 * The names keep the detect_ prefix they had when this lived in detect.h,
 * so that every caller reads the same.
 */
#ifndef ANOMALY_SETTINGS_H
#define ANOMALY_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

/* Detectors, by the bit they own in a vote mask (fixed for ever, SPEC §4). */
enum detect_kind {
	DETECT_ZSCORE = 0,
	DETECT_IQR = 1,
	DETECT_EWMA = 2,
	DETECT_MA = 3,
	DETECT_IFOREST = 4,
	DETECT_MZSCORE = 5,
	DETECT_SPATIAL = 6,
	DETECT_NOVELTY = 7,
	DETECT_NOVELTY_LONG = 8,
	DETECT_MOVES = 9,
	DETECT_KINDS = 10
};

#define DETECT_DEFAULT_MASK	((1u << DETECT_ZSCORE) | (1u << DETECT_IQR) | \
	(1u << DETECT_EWMA) | (1u << DETECT_MA) | (1u << DETECT_IFOREST))

/* Numeric parameters, in the order of the params table of SPEC §3.3. */
enum detect_param {
	DETECT_P_ZSCORE_K,
	DETECT_P_IQR_K,
	DETECT_P_EWMA_LAMBDA,
	DETECT_P_EWMA_L,
	DETECT_P_MA_M,
	DETECT_P_MA_K,
	DETECT_P_MZSCORE_K,
	DETECT_P_IFOREST_TREES,
	DETECT_P_IFOREST_SAMPLE,
	DETECT_P_IFOREST_THRESHOLD,
	DETECT_P_MIN_POINTS,
	DETECT_P_HOLDOFF,
	DETECT_P_SPATIAL_TOL,
	DETECT_P_NOVELTY_DIM,
	DETECT_P_NOVELTY_PROTOS,
	DETECT_P_NOVELTY_RHO,
	DETECT_P_NOVELTY_RATE,
	DETECT_P_NOVELTY_AVERAGE,
	DETECT_P_NOVELTY_HISTORY,
	DETECT_P_NOVELTY_LEARN,
	DETECT_P_NOVELTY_EPS,
	DETECT_P_NOVELTY_SIGMA_MIN,
	DETECT_P_NOVELTY_LONG_SCALE,
	DETECT_P_SPATIAL_RAMP,
	DETECT_P_NOVELTY_HOLDOFF,
	DETECT_P_MOVES_K,
	DETECT_P_MOVES_BURST,
	DETECT_P_NOVELTY_CONFIRM,
	DETECT_P_NOVELTY_SETTLE,
	DETECT_P_NOVELTY_JOINT,
	DETECT_P_NOVELTY_SHAPE,
	DETECT_PARAMS
};

enum detect_vote_rule {
	DETECT_VOTE_MAJORITY,	/* votes * 2 > enabled */
	DETECT_VOTE_ANY,	/* votes >= 1 */
	DETECT_VOTE_ALL,	/* votes == enabled */
	DETECT_VOTE_ATLEAST	/* votes >= vote_k */
};

/* Where the alert signal comes from: the ensemble's verdict, one
 * detector's own vote (DETECT_ALERT_DETECTOR + its kind), or the vote of any
 * detector of a set (DETECT_ALERT_ANY | mask of two or more kinds). */
#define DETECT_ALERT_VOTE	0
#define DETECT_ALERT_DETECTOR	1
#define DETECT_ALERT_ANY	0x10000u

/* The text of an alert source is shorter than this (a list of detectors
 * that is not is refused). */
#define DETECT_ALERT_TEXT_MAX	32

/* The default alert source: a new extreme or a novel pattern, of values or
 * of blocks of values. */
#define DETECT_DEFAULT_ALERT	(DETECT_ALERT_ANY | (1u << DETECT_SPATIAL) | \
	(1u << DETECT_NOVELTY) | (1u << DETECT_NOVELTY_LONG))

#define DETECT_WINDOW_MIN	4
#define DETECT_WINDOW_MAX	10000000

/* Everything that decides a client's verdicts besides its values. */
struct detect_settings {
	uint32_t window;		/* W, DETECT_WINDOW_MIN..MAX */
	uint32_t detectors;		/* mask of enabled detectors, not 0 */
	enum detect_vote_rule vote;
	uint32_t vote_k;		/* for DETECT_VOTE_ATLEAST */
	uint32_t alert;			/* DETECT_ALERT_VOTE, _DETECTOR + kind or
					 * _ANY | mask */
	double param[DETECT_PARAMS];
};

/* Fills s with the SPEC defaults for a window of w values. */
void detect_settings_default(struct detect_settings *s, uint32_t w);

/* Returns 0 when s is valid, else -1 with a message naming the bad field in
 * err (errlen bytes, always NUL-terminated when errlen > 0). */
int detect_settings_check(const struct detect_settings *s, char *err,
    size_t errlen);

/* The detectors the alert source of s listens to, a mask (0 when the alert
 * comes from the vote). */
uint32_t detect_alert_mask(const struct detect_settings *s);

/* The detectors a detector of settings s computes and votes with: the
 * enabled ones and those of the alert source (the bits of
 * struct detect_verdict.votes that may be set). */
uint32_t detect_computed_mask(const struct detect_settings *s);

/* The name of detector kind k ("zscore", ...), NULL when k is out of range. */
const char *detect_kind_name(unsigned k);

/* The kind named name, or -1. */
int detect_kind_by_name(const char *name);

/* Named presets: settings for a kind of series (anomaly(7)).  A preset
 * sets some fields of a struct detect_settings and leaves the others. */
enum detect_preset {
	DETECT_PRESET_PRICES,	/* prices and volumes judged by their moves */
	DETECT_PRESETS
};

/* The name of preset p ("prices"), NULL when p is out of range. */
const char *detect_preset_name(unsigned p);

/* The preset named name, or -1. */
int detect_preset_by_name(const char *name);

/* Sets in s what preset p sets: for prices, the alert source `moves`, its
 * parameters at their defaults and a hold-off of 30 points (a crash gives
 * one alert).  The window, the detectors and the vote stay as they are. */
void detect_preset_apply(struct detect_settings *s, unsigned p);

/* Sets s->detectors from a comma-separated list of names ("zscore,iqr").
 * Returns 0, or -1 with a message in err (then s is unchanged). */
int detect_parse_detectors(struct detect_settings *s, const char *list,
    char *err, size_t errlen);

/* Sets the vote rule from "any", "majority", "all" or a count K >= 1.
 * Returns 0, or -1 with a message (then s is unchanged). */
int detect_parse_vote(struct detect_settings *s, const char *rule, char *err,
    size_t errlen);

/* Sets the alert source from "vote", a detector name or a comma-separated
 * list of them (any of their votes).  Returns 0, or -1 with a message (then
 * s is unchanged). */
int detect_parse_alert(struct detect_settings *s, const char *source,
    char *err, size_t errlen);

/* Writes the text form of s's vote rule ("majority", "3") or alert source
 * ("vote", "zscore", "spatial,novelty,novelty_long") to buf; returns buf. */
const char *detect_vote_text(const struct detect_settings *s, char *buf,
    size_t len);
const char *detect_alert_text(const struct detect_settings *s, char *buf,
    size_t len);

/* The params key of parameter p ("zscore.k", "min_points", ...), NULL when p
 * is out of range. */
const char *detect_param_name(unsigned p);

/* The parameter whose params key is name, or -1. */
int detect_param_by_name(const char *name);

/* Sets parameter p to value after checking its range (integers must be
 * whole).  Returns 0, or -1 with a message naming the key (s unchanged). */
int detect_param_set(struct detect_settings *s, unsigned p, double value,
    char *err, size_t errlen);

#endif
