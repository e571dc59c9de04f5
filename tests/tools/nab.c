/*
 * nab: streams NAB data files through the detector library with the default
 * settings (W = 1000, anomaly-send's default window) and writes the alert
 * stream in the results layout ../shared/tools/nab-score reads:
 * OUTDIR/<category>/<file>.csv with the columns timestamp,anomaly_score.
 * What make nab scores is what anomalyd's users get (SPEC §3.3).
 *
 * usage: nab [-w W] [-P PRESET] [-d DETECTORS] [-a ALERT] [-p KEY=VALUE]...
 *     OUTDIR FILE...
 * (each FILE is DATA/<category>/<file>.csv); the options change the settings
 * from the defaults, in their order, to measure other ones (make nab uses
 * none; tests/tools/prices-check.py uses -P prices).
 */
#include <err.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csvin.h"
#include "detect.h"

static void
stream_file(const char *outdir, const char *path,
    const struct detect_settings *set)
{
	char *p1, *p2, out[4096], msg[256];
	const char *file, *category;
	struct csvin_options o = { NULL, NULL, 0 };
	struct detect_settings s;
	struct detect_verdict v;
	struct csvin_record rec;
	struct detector *d;
	struct csvin *in;
	FILE *fp, *op;
	int rc;

	if ((p1 = strdup(path)) == NULL || (p2 = strdup(path)) == NULL)
		err(1, NULL);
	file = basename(p1);
	category = basename(dirname(p2));
	snprintf(out, sizeof(out), "%s/%s", outdir, category);
	if (mkdir(out, 0777) == -1 && errno != EEXIST)
		err(1, "%s", out);
	snprintf(out, sizeof(out), "%s/%s/%s", outdir, category, file);
	if ((fp = fopen(path, "r")) == NULL)
		err(1, "%s", path);
	if ((op = fopen(out, "w")) == NULL)
		err(1, "%s", out);
	if ((in = csvin_new(&o, msg, sizeof(msg))) == NULL)
		errx(1, "%s: %s", path, msg);
	s = *set;
	/* the client_id seeds the forest: the file name, as anomaly-send
	 * would name the client */
	if ((d = detector_new(file, strlen(file), &s, msg, sizeof(msg))) ==
	    NULL)
		errx(1, "%s", msg);
	fprintf(op, "timestamp,anomaly_score\n");
	while ((rc = csvin_next(in, fp, &rec, msg, sizeof(msg))) != CSVIN_EOF) {
		if (rc == CSVIN_ERROR)
			errx(1, "%s: %s", path, msg);
		if (rc == CSVIN_BAD)
			errx(1, "%s:%llu: %s", path,
			    (unsigned long long)rec.line, rec.error);
		if (detector_push(d, rec.v, &v, msg, sizeof(msg)) == -1)
			errx(1, "%s:%llu: %s", path,
			    (unsigned long long)rec.line, msg);
		fprintf(op, "%s,%d\n", rec.timestamp, v.alert);
	}
	if (fclose(op) == EOF)
		err(1, "%s", out);
	fclose(fp);
	csvin_free(in);
	detector_free(d);
	free(p1);
	free(p2);
}

int
main(int argc, char *argv[])
{
	struct detect_settings s;
	char msg[256], *eq, *end;
	double value;
	int ch, i, p;

	detect_settings_default(&s, 1000);
	while ((ch = getopt(argc, argv, "w:d:a:p:P:")) != -1) {
		switch (ch) {
		case 'w':
			s.window = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'd':
			if (detect_parse_detectors(&s, optarg, msg,
			    sizeof(msg)) == -1)
				errx(2, "%s", msg);
			break;
		case 'a':
			if (detect_parse_alert(&s, optarg, msg,
			    sizeof(msg)) == -1)
				errx(2, "%s", msg);
			break;
		case 'P':
			if ((p = detect_preset_by_name(optarg)) == -1)
				errx(2, "unknown preset %s", optarg);
			detect_preset_apply(&s, (unsigned)p);
			break;
		case 'p':
			if ((eq = strchr(optarg, '=')) == NULL)
				errx(2, "-p wants KEY=VALUE");
			*eq = '\0';
			if ((p = detect_param_by_name(optarg)) == -1)
				errx(2, "unknown parameter %s", optarg);
			value = strtod(eq + 1, &end);
			if (*end != '\0' || detect_param_set(&s, (unsigned)p,
			    value, msg, sizeof(msg)) == -1)
				errx(2, "%s", *end != '\0' ? "bad value" : msg);
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind < 2)
		goto usage;
	if (detect_settings_check(&s, msg, sizeof(msg)) == -1)
		errx(2, "%s", msg);
	if (mkdir(argv[optind], 0777) == -1 && errno != EEXIST)
		err(1, "%s", argv[optind]);
	for (i = optind + 1; i < argc; i++)
		stream_file(argv[optind], argv[i], &s);
	return 0;
usage:
	fprintf(stderr, "usage: nab [-w W] [-P PRESET] [-d DETECTORS] "
	    "[-a ALERT] [-p KEY=VALUE]... OUTDIR FILE...\n");
	return 2;
}
