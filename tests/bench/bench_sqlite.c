/*
 * bench_sqlite: the SQLite ceiling of this machine for anomalyd's rows.
 * Inserts the rows the e2e bench stores (100 clients interleaved, integer
 * timestamps, a seq, verdict columns) through lib/store in group commits of
 * 4096 rows, WAL with synchronous=NORMAL as anomalyd's default, without a
 * server or detection; prints rows/s on stdout.  The e2e figures of make
 * bench read as a fraction of this.
 *
 * usage: bench_sqlite DB ROWS
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "store.h"

#define CLIENTS	100
#define BATCH	4096

int
main(int argc, char **argv)
{
	struct store *st;
	struct store_point p = { 0 };
	char err[256], id[32];
	long rows, i;
	double t0, t;
	int c;

	if (argc != 3 || (rows = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: bench_sqlite DB ROWS\n");
		return 2;
	}
	if ((st = store_open_writer(argv[1], STORE_SYNC_NORMAL, err,
	    sizeof(err))) == NULL)
		goto fail;
	for (c = 0; c < CLIENTS; c++) {
		snprintf(id, sizeof(id), "sq%d", c);
		if (store_client_hello(st, id, 1000, "{}", "bench", 0, NULL, err,
		    sizeof(err)) == -1)
			goto fail;
	}
	t0 = clock_mono_s();
	for (i = 0; i < rows; i++) {
		if (store_pending(st) == 0 && store_begin(st, err,
		    sizeof(err)) == -1)
			goto fail;
		c = (int)(i % CLIENTS);
		snprintf(id, sizeof(id), "sq%d", c);
		p.n = i / CLIENTS + 1;
		p.seq = p.n;
		p.ts.type = STORE_TS_INTEGER;
		p.ts.i = 1600000000 + 60 * p.n;
		p.value = 50 + 10 * sin(p.n / 50.0);
		p.anomaly = p.alert = 0;
		p.score = 0.2;
		p.votes = 1;
		p.received_ms = 1700000000000 + i;
		if (store_add_point(st, id, &p, err, sizeof(err)) == -1)
			goto fail;
		if (store_pending(st) >= BATCH &&
		    store_commit(st, err, sizeof(err)) == -1)
			goto fail;
	}
	if (store_pending(st) > 0 && store_commit(st, err, sizeof(err)) == -1)
		goto fail;
	t = clock_mono_s() - t0;
	store_close(st);
	printf("%.0f\n", rows / t);
	return 0;
fail:
	fprintf(stderr, "bench_sqlite: %s\n", err);
	return 1;
}
