/*
 * vectors: judges the value column of golden-vector files with the library
 * and writes them again, same format, into a directory, so that
 * refdetect.py --check can compare our votes with its exact arithmetic.
 *
 * usage: vectors OUTDIR FILE...   (the window is read from FILE's name, _W<W>)
 */
#include <err.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"

static const int kinds[5] = { DETECT_ZSCORE, DETECT_IQR, DETECT_EWMA,
    DETECT_MA, DETECT_MZSCORE };

static struct detector *
open_detector(unsigned long w, uint32_t mask)
{
	struct detect_settings s;
	struct detector *d;
	char msg[128];

	detect_settings_default(&s, (uint32_t)w);
	s.detectors = mask;
	/* the golden files' alert4: the vote's, with a hold-off of 200 */
	s.alert = DETECT_ALERT_VOTE;
	s.param[DETECT_P_HOLDOFF] = 200;
	if ((d = detector_new("vectors", 7, &s, msg, sizeof(msg))) == NULL)
		errx(1, "%s", msg);
	return d;
}

static void
convert(const char *outdir, const char *path)
{
	char line[4096], out[4096], *copy, *base, *w;
	FILE *in, *fp;
	struct detector *d4, *dm;
	unsigned long window;
	int i;

	if ((copy = strdup(path)) == NULL)
		err(1, NULL);
	base = basename(copy);
	if ((w = strstr(base, "_W")) == NULL ||
	    (window = strtoul(w + 2, NULL, 10)) == 0)
		errx(1, "%s: no _W<window> in the name", path);
	snprintf(out, sizeof(out), "%s/%s", outdir, base);
	if ((in = fopen(path, "r")) == NULL)
		err(1, "%s", path);
	if ((fp = fopen(out, "w")) == NULL)
		err(1, "%s", out);
	if (fgets(line, sizeof(line), in) == NULL)
		errx(1, "%s: empty", path);
	fputs(line, fp);
	d4 = open_detector(window, (1u << DETECT_ZSCORE) | (1u << DETECT_IQR) |
	    (1u << DETECT_EWMA) | (1u << DETECT_MA));
	dm = open_detector(window, 1u << DETECT_MZSCORE);
	while (fgets(line, sizeof(line), in) != NULL) {
		struct detect_verdict v4, vm;
		char *p = strchr(line, ',');
		double x;
		char msg[128];

		if (p == NULL)
			errx(1, "%s: bad row", path);
		x = strtod(p + 1, NULL);
		if (detector_push(d4, x, &v4, msg, sizeof(msg)) == -1 ||
		    detector_push(dm, x, &vm, msg, sizeof(msg)) == -1)
			errx(1, "%s: %s", path, msg);
		fprintf(fp, "%llu,%.17g,%d", (unsigned long long)v4.n, x,
		    v4.warmup);
		for (i = 0; i < 5; i++) {
			const struct detect_verdict *v = kinds[i] ==
			    DETECT_MZSCORE ? &vm : &v4;

			fprintf(fp, ",%u", (v->votes >> kinds[i]) & 1);
		}
		fprintf(fp, ",%d,%d,%d,%.17g", __builtin_popcount(v4.votes),
		    v4.anomaly, v4.alert, v4.score);
		for (i = 0; i < 5; i++) {
			const struct detect_verdict *v = kinds[i] ==
			    DETECT_MZSCORE ? &vm : &v4;

			fprintf(fp, ",%.17g", v->margin[kinds[i]]);
		}
		fputc('\n', fp);
	}
	detector_free(d4);
	detector_free(dm);
	fclose(in);
	if (fclose(fp) != 0)
		err(1, "%s", out);
	free(copy);
}

int
main(int argc, char *argv[])
{
	int i;

	if (argc < 3) {
		fprintf(stderr, "usage: vectors OUTDIR FILE...\n");
		return 2;
	}
	for (i = 2; i < argc; i++)
		convert(argv[1], argv[i]);
	return 0;
}
