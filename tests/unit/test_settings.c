/*
 * test_settings.c: the detectors' settings (lib/settings): the defaults
 * of SPEC §3.3, the params table (every key maps back, every default is in
 * its range, the ranges hold at their edges), the parsers of detectors,
 * vote and alert with their text forms, and the check of whole settings.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "detect.h"
#include "settings.h"

/* Moved from test_detect.c: bad names, values and settings are refused
 * with a message naming them, and leave the settings as they were. */
static void
test_settings_errors(void **state)
{
	struct detect_settings s;
	char err[256];
	int p;

	(void)state;
	detect_settings_default(&s, 3);
	assert_null(detector_new("x", 1, &s, err, sizeof(err)));
	assert_non_null(strstr(err, "window"));
	detect_settings_default(&s, 1000);
	assert_int_equal(detect_settings_check(&s, err, sizeof(err)), 0);
	assert_int_equal(detect_parse_detectors(&s, "zscore,bogus", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "bogus"));
	assert_int_equal(s.detectors, DETECT_DEFAULT_MASK);
	assert_int_equal(detect_parse_detectors(&s, "", err, sizeof(err)), -1);
	assert_int_equal(detect_parse_detectors(&s, "zscore,", err,
	    sizeof(err)), -1);
	assert_int_equal(detect_parse_detectors(&s, "mzscore,iforest", err,
	    sizeof(err)), 0);
	assert_int_equal(s.detectors, (1u << DETECT_MZSCORE) |
	    (1u << DETECT_IFOREST));

	/* every parameter has a name that maps back to it */
	for (p = 0; p < DETECT_PARAMS; p++)
		assert_int_equal(detect_param_by_name(detect_param_name(
		    (unsigned)p)), p);
	assert_null(detect_param_name(DETECT_PARAMS));
	assert_int_equal(detect_param_by_name("zscore.K"), -1);

	p = detect_param_by_name("zscore.k");
	assert_int_equal(detect_param_set(&s, (unsigned)p, 4.5, err,
	    sizeof(err)), 0);
	assert_true(s.param[p] == 4.5);
	assert_int_equal(detect_param_set(&s, (unsigned)p, 0, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "zscore.k"));
	assert_int_equal(detect_param_set(&s, (unsigned)p, NAN, err,
	    sizeof(err)), -1);
	assert_true(s.param[p] == 4.5);
	p = detect_param_by_name("ma.m");
	assert_int_equal(detect_param_set(&s, (unsigned)p, 2.5, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "whole"));
	p = detect_param_by_name("ewma.lambda");
	assert_int_equal(detect_param_set(&s, (unsigned)p, 1.5, err,
	    sizeof(err)), -1);
	assert_int_equal(detect_param_set(&s, (unsigned)p, 1, err,
	    sizeof(err)), 0);
	p = detect_param_by_name("iforest.trees");
	assert_int_equal(detect_param_set(&s, (unsigned)p, 0, err,
	    sizeof(err)), -1);
	assert_int_equal(detect_param_set(&s, (unsigned)p, 1001, err,
	    sizeof(err)), -1);
	/* the sizing parameters are bounded (issue 16), the message names
	 * the key and its range */
	assert_int_equal(detect_param_set(&s, (unsigned)p, 200, err,
	    sizeof(err)), 0);
	assert_int_equal(detect_param_set(&s, (unsigned)p, 201, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "iforest.trees must be a whole number from 1 "
	    "to 200");
	{
		static const struct { const char *key; double max; } b[] = {
			{ "iforest.sample", 512 }, { "ma.m", 50 },
			{ "novelty.protos", 512 }, { "novelty.dim", 32 },
			{ "novelty.average", 1000 }, { "novelty.history", 10000 },
			{ "novelty.learn", 10000 }
		};
		size_t i;

		for (i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
			p = detect_param_by_name(b[i].key);
			assert_true(p >= 0);
			assert_int_equal(detect_param_set(&s, (unsigned)p,
			    b[i].max, err, sizeof(err)), 0);
			assert_int_equal(detect_param_set(&s, (unsigned)p,
			    b[i].max + 1, err, sizeof(err)), -1);
			assert_non_null(strstr(err, b[i].key));
		}
	}

	/* ma.m times the window is bounded, above the default 5 */
	detect_settings_default(&s, 10000);
	s.param[DETECT_P_MA_M] = 50;
	assert_int_equal(detect_settings_check(&s, err, sizeof(err)), 0);
	s.window = 10001;
	assert_int_equal(detect_settings_check(&s, err, sizeof(err)), -1);
	assert_string_equal(err, "ma.m must be a whole number from 1 to 49 at "
	    "window 10001");
	s.window = 1000000;
	s.param[DETECT_P_MA_M] = 5;
	assert_int_equal(detect_settings_check(&s, err, sizeof(err)), 0);
	s.param[DETECT_P_MA_M] = 6;
	assert_int_equal(detect_settings_check(&s, err, sizeof(err)), -1);
	assert_string_equal(err, "ma.m must be a whole number from 1 to 5 at "
	    "window 1000000");
	detect_settings_default(&s, 10);
	s.param[DETECT_P_MA_M] = 11;	/* predecessors may lie before the window */
	assert_int_equal(detect_settings_check(&s, err, sizeof(err)), 0);
	s.param[DETECT_P_MA_M] = 0;
	assert_int_equal(detect_settings_check(&s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ma.m"));
	detect_settings_default(&s, 10);
	s.detectors = 0;
	assert_int_equal(detect_settings_check(&s, err, sizeof(err)), -1);
	assert_string_equal(detect_kind_name(DETECT_IFOREST), "iforest");
	assert_null(detect_kind_name(DETECT_KINDS));
	assert_int_equal(detect_kind_by_name("mzscore"), DETECT_MZSCORE);
}

/* The defaults of SPEC §3.3 for any window, and valid. */
static void
test_defaults(void **state)
{
	struct detect_settings s;
	char err[256], buf[64];

	(void)state;
	detect_settings_default(&s, 50);
	assert_int_equal(s.window, 50);
	assert_int_equal(s.detectors, DETECT_DEFAULT_MASK);
	assert_int_equal(s.vote, DETECT_VOTE_MAJORITY);
	assert_int_equal(s.alert, DETECT_DEFAULT_ALERT);
	assert_true(s.param[DETECT_P_ZSCORE_K] == 6);
	assert_true(s.param[DETECT_P_IQR_K] == 3);
	assert_true(s.param[DETECT_P_EWMA_LAMBDA] == 0.3);
	assert_true(s.param[DETECT_P_MA_M] == 5);
	assert_true(s.param[DETECT_P_MIN_POINTS] == 50);
	assert_true(s.param[DETECT_P_HOLDOFF] == 50);
	assert_true(s.param[DETECT_P_IFOREST_TREES] == 100);
	assert_true(s.param[DETECT_P_IFOREST_SAMPLE] == 256);
	assert_true(s.param[DETECT_P_NOVELTY_HOLDOFF] == 200);
	assert_int_equal(detect_settings_check(&s, err, sizeof(err)), 0);
	assert_string_equal(detect_vote_text(&s, buf, sizeof(buf)),
	    "majority");
	assert_string_equal(detect_alert_text(&s, buf, sizeof(buf)),
	    "spatial,novelty,novelty_long");
	assert_int_equal(detect_alert_mask(&s), (1u << DETECT_SPATIAL) |
	    (1u << DETECT_NOVELTY) | (1u << DETECT_NOVELTY_LONG));
	assert_int_equal(detect_computed_mask(&s), DETECT_DEFAULT_MASK |
	    detect_alert_mask(&s));
	detect_settings_default(&s, DETECT_WINDOW_MIN);
	assert_int_equal(detect_settings_check(&s, err, sizeof(err)), 0);
	detect_settings_default(&s, DETECT_WINDOW_MAX);
	assert_int_equal(detect_settings_check(&s, err, sizeof(err)), 0);
	detect_settings_default(&s, DETECT_WINDOW_MAX + 1);
	assert_int_equal(detect_settings_check(&s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "window"));
}

/* Every parameter's default is accepted by its own range, and the range
 * is closed or open at its minimum as the table says. */
static void
test_param_table(void **state)
{
	struct detect_settings s, d;
	char err[256];
	unsigned p;

	(void)state;
	detect_settings_default(&d, 100);
	for (p = 0; p < DETECT_PARAMS; p++) {
		s = d;
		assert_non_null(detect_param_name(p));
		assert_int_equal(detect_param_set(&s, p, d.param[p], err,
		    sizeof(err)), 0);
		assert_int_equal(detect_param_set(&s, p, INFINITY, err,
		    sizeof(err)), -1);
		assert_non_null(strstr(err, detect_param_name(p)));
		assert_int_equal(detect_param_set(&s, p, -1e300, err,
		    sizeof(err)), -1);
		assert_int_equal(detect_param_set(&s, p, 1e300, err,
		    sizeof(err)), -1);
		assert_true(s.param[p] == d.param[p]);
	}
	assert_int_equal(detect_param_set(&s, DETECT_PARAMS, 1, err,
	    sizeof(err)), -1);
	/* open minimum: zscore.k above 0; closed: spatial.tol from 0 */
	assert_int_equal(detect_param_set(&s, DETECT_P_ZSCORE_K, 0, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "above 0"));
	assert_int_equal(detect_param_set(&s, DETECT_P_SPATIAL_TOL, 0, err,
	    sizeof(err)), 0);
	/* whole numbers */
	assert_int_equal(detect_param_set(&s, DETECT_P_HOLDOFF, 0, err,
	    sizeof(err)), 0);
	assert_int_equal(detect_param_set(&s, DETECT_P_HOLDOFF, 0.5, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "whole"));
	assert_int_equal(detect_param_set(&s, DETECT_P_IFOREST_SAMPLE, 1, err,
	    sizeof(err)), -1);
	assert_int_equal(detect_param_set(&s, DETECT_P_IFOREST_SAMPLE, 2, err,
	    sizeof(err)), 0);
	/* a bad parameter in whole settings is named by the check */
	s = d;
	s.param[DETECT_P_NOVELTY_EPS] = 0.6;
	assert_int_equal(detect_settings_check(&s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "novelty.eps"));
}

/* Text forms: what is parsed is written back the same way. */
static void
test_texts(void **state)
{
	static const char *votes[] = { "any", "majority", "all", "1", "3",
	    "9", "10" };
	static const char *alerts[] = { "vote", "zscore", "novelty_long",
	    "iqr,spatial", "spatial,novelty,novelty_long" };
	struct detect_settings s;
	char err[256], buf[64];
	size_t i;

	(void)state;
	detect_settings_default(&s, 100);
	for (i = 0; i < sizeof(votes) / sizeof(votes[0]); i++) {
		assert_int_equal(detect_parse_vote(&s, votes[i], err,
		    sizeof(err)), 0);
		assert_string_equal(detect_vote_text(&s, buf, sizeof(buf)),
		    votes[i]);
	}
	assert_int_equal(detect_parse_vote(&s, "11", err, sizeof(err)), -1);
	assert_int_equal(detect_parse_vote(&s, "01", err, sizeof(err)), -1);
	assert_string_equal(detect_vote_text(&s, buf, sizeof(buf)), "10");
	for (i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++) {
		assert_int_equal(detect_parse_alert(&s, alerts[i], err,
		    sizeof(err)), 0);
		assert_string_equal(detect_alert_text(&s, buf, sizeof(buf)),
		    alerts[i]);
	}
	/* a list is written in the detectors' order */
	assert_int_equal(detect_parse_alert(&s, "novelty,iqr", err,
	    sizeof(err)), 0);
	assert_string_equal(detect_alert_text(&s, buf, sizeof(buf)),
	    "iqr,novelty");
	assert_int_equal(detect_parse_alert(&s, "iqr,,ma", err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "iqr,,ma"));
	assert_string_equal(detect_alert_text(&s, buf, sizeof(buf)),
	    "iqr,novelty");
	/* every name maps back */
	for (i = 0; i < DETECT_KINDS; i++)
		assert_int_equal(detect_kind_by_name(detect_kind_name(
		    (unsigned)i)), (int)i);
	assert_int_equal(detect_kind_by_name("ZSCORE"), -1);
}

/* Whole settings: the vote count against the detectors enabled, the
 * alert source's forms and length. */
static void
test_check(void **state)
{
	struct detect_settings s;
	char err[256];

	(void)state;
	detect_settings_default(&s, 100);
	assert_int_equal(detect_parse_vote(&s, "5", err, sizeof(err)), 0);
	assert_int_equal(detect_settings_check(&s, err, sizeof(err)), 0);
	assert_int_equal(detect_parse_vote(&s, "6", err, sizeof(err)), 0);
	assert_int_equal(detect_settings_check(&s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "vote 6"));
	detect_settings_default(&s, 100);
	s.vote = (enum detect_vote_rule)7;
	assert_int_equal(detect_settings_check(&s, err, sizeof(err)), -1);
	detect_settings_default(&s, 100);
	s.detectors = 1u << DETECT_KINDS;
	assert_int_equal(detect_settings_check(&s, err, sizeof(err)), -1);
	detect_settings_default(&s, 100);
	s.alert = DETECT_ALERT_DETECTOR + DETECT_KINDS;
	assert_int_equal(detect_settings_check(&s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "alert"));
	s.alert = DETECT_ALERT_ANY | (1u << DETECT_IQR);	/* a list of one */
	assert_int_equal(detect_settings_check(&s, err, sizeof(err)), -1);
	/* every detector: a text of 54 bytes, too long to store */
	assert_int_equal(detect_parse_alert(&s, "zscore,iqr,ewma,ma,iforest,"
	    "mzscore,spatial,novelty,novelty_long", err, sizeof(err)), 0);
	assert_int_equal(detect_settings_check(&s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too many"));
	assert_int_equal(detect_parse_alert(&s, "spatial,novelty,"
	    "novelty_long", err, sizeof(err)), 0);
	assert_int_equal(detect_settings_check(&s, err, sizeof(err)), 0);
}

/* Presets: by name, and what prices sets (the rest stays). */
static void
test_presets(void **state)
{
	struct detect_settings s, t;
	char err[128];

	(void)state;
	assert_int_equal(detect_preset_by_name("prices"), DETECT_PRESET_PRICES);
	assert_int_equal(detect_preset_by_name("none"), -1);
	assert_string_equal(detect_preset_name(DETECT_PRESET_PRICES), "prices");
	assert_null(detect_preset_name(DETECT_PRESETS));
	assert_string_equal(detect_kind_name(DETECT_MOVES), "moves");
	detect_settings_default(&s, 100);
	s.param[DETECT_P_MOVES_K] = 9;
	t = s;
	detect_preset_apply(&s, DETECT_PRESET_PRICES);
	assert_int_equal(detect_settings_check(&s, err, sizeof(err)), 0);
	assert_int_equal(s.alert, DETECT_ALERT_DETECTOR + DETECT_MOVES);
	assert_true(s.param[DETECT_P_MOVES_K] == 6);
	assert_true(s.param[DETECT_P_HOLDOFF] == 30);
	assert_int_equal(s.detectors, t.detectors);
	assert_int_equal(s.vote, t.vote);
	assert_int_equal(s.window, t.window);
	assert_true(detect_computed_mask(&s) & (1u << DETECT_MOVES));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settings_errors),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_param_table),
		cmocka_unit_test(test_texts),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_presets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
