/*
 * detect.h: the detectors and their ensemble (SPEC §3).
 *
 * One struct detector per client judges each new value against the previous
 * W values: z-score, IQR, EWMA, moving-average residual, modified z-score and
 * a streaming Isolation Forest, combined by a vote rule into `anomaly`; and
 * for the alert stream two detectors of what a person would be paged for, a
 * new extreme beyond the range seen so far (`spatial`) and a novel pattern
 * by its anomaly likelihood, of the last values (`novelty`) or of the
 * extremes of the last blocks of values (`novelty_long`), whose votes give
 * the alert signal that the hold-off turns into `alert` (a novelty detector
 * votes once its likelihood has stayed beyond its bar for novelty.confirm
 * points in a row; a signal from the novelty detectors alone waits the
 * longer novelty.holdoff, and raises none for novelty.settle points after
 * an alert of a new extreme; a near extreme with a near novelty, each
 * within novelty.joint of its bar, is an alert too; novel patterns that are
 * only known shapes at a new scale (novelty.shape) raise none by
 * themselves; spatial's tolerance is wider on the first spatial.ramp
 * values).  Pure computation: no I/O, no SQL, no JSON.  Deterministic and
 * restart-exact: the state after n points is a function of the client_id,
 * the settings (settings.h) and those n values only, and it can be saved
 * and loaded bit for bit.
 */
#ifndef ANOMALY_DETECT_H
#define ANOMALY_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "detect_state.h"
#include "settings.h"

/* One point's verdict. */
struct detect_verdict {
	uint64_t n;			/* the point's ordinal, from 1 */
	int warmup;			/* 1 while only collecting (SPEC §3.1) */
	uint32_t votes;			/* bit per detector that voted anomaly */
	int anomaly;			/* the vote rule over the enabled ones */
	int alert;			/* alert signal, after hold-off */
	double score;			/* votes / enabled */
	/* Per detector: (statistic - threshold) / |threshold|, positive when it
	 * voted; +INFINITY or -INFINITY when a rule decided the vote (warm-up,
	 * flat window, MAD = 0, no residual); NAN when not enabled. */
	double margin[DETECT_KINDS];
	double iforest_score;		/* s(x), NAN when not computed */
};

struct detector;

/* Returns a detector for the client client_id (len bytes, the seed of its
 * random choices) judging by settings s, with no points yet; NULL with a
 * message in err when s is invalid or memory is short. */
struct detector *detector_new(const char *client_id, size_t len,
    const struct detect_settings *s, char *err, size_t errlen);

/* Frees d; NULL is a no-op. */
void detector_free(struct detector *d);

/* Judges x against the window, then lets it enter: fills v for point
 * n = detector_count() + 1.  Returns 0, or -1 when x is not finite (then
 * nothing changed and err says why). */
int detector_push(struct detector *d, double x, struct detect_verdict *v,
    char *err, size_t errlen);

/* The number of points pushed so far (the ordinal of the last one). */
uint64_t detector_count(const struct detector *d);

/* The settings d judges by. */
const struct detect_settings *detector_settings(const struct detector *d);

/* The ordinal of the last alert, 0 if none: the hold-off's memory. */
uint64_t detector_last_alert(const struct detector *d);

/* Sets the hold-off's memory, as stored with the client (SPEC §3.3). */
void detector_set_last_alert(struct detector *d, uint64_t n);

/* Returns a detector restored from a state saved by a detector of the same
 * client_id and settings, or NULL with a message when the state is damaged,
 * of another format, or of other settings, or memory is short. */
struct detector *detector_load(const char *client_id, size_t len,
    const struct detect_settings *s, const unsigned char *buf, size_t buflen,
    char *err, size_t errlen);

/* Bytes of heap memory d holds. */
size_t detector_memory(const struct detector *d);

/* The most bytes of heap memory a detector of valid settings s holds at any
 * time (detector_memory() never exceeds it): known before it is built. */
size_t detect_settings_memory(const struct detect_settings *s);

#endif
