/*
 * bench_detect: points per second of the detector library on one core, the
 * default ensemble and each detector alone, at W = 100, 1000 and 10000, and
 * the memory one client's detector holds.  Each figure is the median of
 * several timed runs over a stream that is already past warm-up.  Rows
 * only, in the columns of make bench's table (tests/bench/bench.sh):
 * what, value, unit, notes (ns/point, the range of the runs, the KiB the
 * detector holds, the SPEC §9 target).
 * Speed is measured here, never asserted in tests (SPEC §9).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "detect.h"

#define RUNS		5
#define RUN_SECONDS	0.25

/* A monitoring-like stream: daily-ish seasonality, noise, rare spikes. */
static double
stream_value(uint64_t i)
{
	uint64_t z = (i + 1) * 0x9e3779b97f4a7c15ULL;
	double u1, u2;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	u1 = ((double)(z >> 11) + 0.5) * 0x1.0p-53;
	z = z * 6364136223846793005ULL + 1442695040888963407ULL;
	u2 = ((double)(z >> 11) + 0.5) * 0x1.0p-53;
	return 100 + 20 * sin(i * 2 * M_PI / 288) +
	    sqrt(-2 * log(u1)) * cos(2 * M_PI * u2) * 3 +
	    (i % 997 == 0 ? 60 : 0);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Returns the median points/s of RUNS runs; *lo and *hi get the extremes. */
static double
measure(uint32_t window, uint32_t mask, uint32_t alert, double *lo,
    double *hi, size_t *memory)
{
	struct detect_settings s;
	struct detector *d;
	struct detect_verdict v;
	char err[128];
	double rate[RUNS], t0, t;
	uint64_t i = 0, start;
	int r;

	detect_settings_default(&s, window);
	s.detectors = mask;
	s.alert = alert;
	if ((d = detector_new("bench", 5, &s, err, sizeof(err))) == NULL) {
		fprintf(stderr, "bench_detect: %s\n", err);
		exit(1);
	}
	for (; i < 2 * (uint64_t)window + 1000; i++)	/* past warm-up */
		detector_push(d, stream_value(i), &v, err, sizeof(err));
	for (r = 0; r < RUNS; r++) {
		start = i;
		t0 = clock_mono_s();
		do {
			int k;

			for (k = 0; k < 1000; k++, i++)
				detector_push(d, stream_value(i), &v, err,
				    sizeof(err));
		} while ((t = clock_mono_s() - t0) < RUN_SECONDS);
		rate[r] = (i - start) / t;
	}
	*memory = detector_memory(d);
	detector_free(d);
	qsort(rate, RUNS, sizeof(rate[0]), cmp_double);
	*lo = rate[0];
	*hi = rate[RUNS - 1];
	return rate[RUNS / 2];
}

static void
row(const char *what, uint32_t window, uint32_t mask, uint32_t alert,
    double target)
{
	char label[96], rate[16];
	double lo, hi, med;
	size_t memory;

	snprintf(label, sizeof(label), "%s W=%u, one core", what, window);
	med = measure(window, mask, alert, &lo, &hi, &memory);
	snprintf(rate, sizeof(rate), "%.0f", med);
	printf("%-56s %10s %-9s %.0f ns/point, runs %.0f..%.0f, %.1f KiB",
	    label, rate, "points/s", 1e9 / med, lo, hi, memory / 1024.0);
	if (target > 0)
		printf("; target %.0f %s", target, med >= target ? "ok" :
		    "BELOW");
	printf("\n");
	fflush(stdout);
}

int
main(void)
{
	static const uint32_t windows[] = { 100, 1000, 10000 };
	size_t w;
	unsigned k;

	/* the defaults: the five vote, spatial, novelty and novelty_long alert */
	for (w = 0; w < 3; w++)
		row("defaults (the five + the alert's three)", windows[w],
		    DETECT_DEFAULT_MASK, DETECT_DEFAULT_ALERT,
		    windows[w] <= 1000 ? 200000 : 50000);
	for (w = 0; w < 2; w++)
		row("the five alone (alert vote)", windows[w],
		    DETECT_DEFAULT_MASK, DETECT_ALERT_VOTE, 0);
	/* the prices preset: the five vote, moves alerts */
	for (w = 0; w < 2; w++)
		row("prices preset (the five + moves)", windows[w],
		    DETECT_DEFAULT_MASK, DETECT_ALERT_DETECTOR + DETECT_MOVES, 0);
	for (k = 0; k < DETECT_KINDS; k++)
		for (w = 0; w < 3; w++)
			row(detect_kind_name(k), windows[w], 1u << k,
			    DETECT_ALERT_DETECTOR + k, 0);
	return 0;
}
