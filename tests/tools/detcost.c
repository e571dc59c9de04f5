/*
 * detcost: the memory and the time per point of one detector, to choose
 * and check the bounds of the parameters (issue 16).  Usage:
 *   detcost [-w WINDOW] [-n POINTS] [-p KEY=VALUE]...
 * Pushes POINTS values of a noisy random walk with spikes and prints the
 * bound detect_settings_memory() gives, the peak detector_memory() seen,
 * and the mean and the worst microseconds per point.  Exit 1 when the
 * peak exceeds the bound.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "detect.h"

int
main(int argc, char *argv[])
{
	struct detect_settings s;
	struct detect_verdict v;
	struct detector *d;
	char err[256], *eq;
	unsigned long n = 20000, i;
	uint32_t w = 1000;
	double x = 0, worst = 0;
	size_t bound, peak = 0, m;
	int64_t t0, t1, start;
	int ch, p;
	uint64_t r = 88172645463325252ull;

	detect_settings_default(&s, w);
	while ((ch = getopt(argc, argv, "w:n:p:")) != -1) {
		switch (ch) {
		case 'w':
			w = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 'p':
			if ((eq = strchr(optarg, '=')) == NULL)
				return 2;
			*eq = '\0';
			if ((p = detect_param_by_name(optarg)) < 0) {
				fprintf(stderr, "detcost: %s?\n", optarg);
				return 2;
			}
			s.param[p] = strtod(eq + 1, NULL);
			break;
		default:
			fprintf(stderr, "usage: detcost [-w W] [-n N] "
			    "[-p KEY=VALUE]...\n");
			return 2;
		}
	}
	s.window = w;
	if (detect_settings_check(&s, err, sizeof(err)) == -1) {
		fprintf(stderr, "detcost: %s\n", err);
		return 2;
	}
	bound = detect_settings_memory(&s);
	if ((d = detector_new("detcost", 7, &s, err, sizeof(err))) == NULL) {
		fprintf(stderr, "detcost: %s\n", err);
		return 1;
	}
	start = clock_mono_us();
	for (i = 0; i < n; i++) {
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		x += (double)(r % 2001) / 1000 - 1;
		t0 = clock_mono_us();
		detector_push(d, i % 997 == 0 ? x + 50 : x, &v, NULL, 0);
		t1 = clock_mono_us();
		if (t1 - t0 > worst)
			worst = (double)(t1 - t0);
		if ((m = detector_memory(d)) > peak)
			peak = m;
	}
	printf("window %u points %lu bound %zu peak %zu mean_us %.2f "
	    "worst_us %.0f\n", w, n, bound, peak,
	    (double)(clock_mono_us() - start) / (double)n, worst);
	detector_free(d);
	return peak > bound;
}
