/*
 * send.h: the state of one anomaly-send run, passed to every function of
 * the command (there is no global state besides main()'s signal flag).
 *
 * main.c fills the options and runs the jobs; input.c reads the rows into
 * the ring; wire.c sends them and takes the verdicts back out; output.c
 * prints the verdicts, the progress bar, the log and the summary;
 * delete.c does --delete.
 */
#ifndef ANOMALY_SEND_SEND_H
#define ANOMALY_SEND_SEND_H

#include <sys/types.h>

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <libwebsockets.h>

#include "csvin.h"
#include "jsonbuf.h"
#include "proto.h"
#include "timefmt.h"

#define DEFAULT_URL	"ws://127.0.0.1:3000/ws"
#define INFLIGHT_MAX	65536

/* A row read and not yet answered. */
struct row {
	int64_t		 seq;
	uint64_t	 line;
	double		 v;
	unsigned char	 ts_len;
	unsigned char	 ts_num;	/* sent as a JSON number */
	char		 ts[CSVIN_TS_MAX + 1];
	char		 val[CSVIN_VALUE_MAX + 1];
};

/* The request of --delete (delete.c). */
struct delete_req;

/* Everything of the run. */
struct sender {
	/* Options. */
	const char	*url;
	const char	*id_opt;
	uint32_t	 window;
	struct csvin_options csv;
	size_t		 inflight;
	int		 json, quiet, fail_on_anomaly, fail_on_alert, no_log;
	int		 resume, wait_first;
	const char	*log_dir;
	int		 retries;
	char		*token;
	const char	*key_file_opt;	/* --key-file, or NULL */
	char		 key_file[4096];	/* the key file (keys.h) */
	int		 key_file_ok;	/* key_file is usable */
	double		 rate;		/* points per second; 0: no pacing */
	int		 realtime;
	double		 speed;		/* of --realtime */
	int		 loop;

	/* Where to connect. */
	int		 tls;		/* wss:// */
	const char	*cacert;	/* --cacert, or NULL: the system's */
	int		 insecure;	/* -k: no verification */
	int		 verify_err;	/* the first X509_V_ERR_* of the
					 * server's certificate, 0 none */
	char		 address[256];
	int		 port;
	char		 path[1024];	/* the URL's path, without the / */

	struct lws_context *ctx;	/* its user pointer is this sender */
	struct lws	*wsi;
	lws_sorted_usec_list_t sul;

	/* The current job: one client, its files, its key ("" none). */
	char		 client_id[PROTO_ID_MAX + 1];
	char		 key[PROTO_CLAIM_KEY_MAX + 1];
	int		 said_claim;	/* what ready said of the claim */
	char	       **files;
	int		 nfiles, fileno;
	const char	*fname;		/* for messages */
	FILE		*fp;
	struct csvin	*reader;
	int		 input_done;	/* every file read */
	int		 progress;	/* draw a progress bar */
	off_t		 fsize;
	uint64_t	 last_draw_ms;

	/* Pacing (--rate, --realtime): a row read but not yet due waits in
	 * the ring's next slot, outside [head, head + count). */
	lws_sorted_usec_list_t pace_sul;
	int		 pending;
	int64_t		 pending_due_us;
	int64_t		 pace_start_us;	/* monotonic time of the first row */
	uint64_t	 paced;		/* rows let through */
	int64_t		 t0_ms;		/* --realtime: the first row's time */

	/* --loop: the lap, the shift of a lap, lap 0's row times and
	 * values. */
	uint64_t	 lap;
	int64_t		 lap_shift_ms;
	double		 lap_level;	/* added to the values of each lap */
	uint64_t	 lap_rows;	/* good rows read in this lap */
	int64_t		*times;
	size_t		 ntimes, times_cap;
	double		*values;
	size_t		 nvalues, values_cap;

	/* --resume: the last stored timestamp (from the first ready). */
	int		 resume_known, resume_none;
	struct timefmt_ts resume_ts;
	char		 resume_text[72];
	uint64_t	 skipped;

	/* The row before, to warn once when time goes back; what was said
	 * once about the timestamps. */
	char		 prev_ts[CSVIN_TS_MAX + 1];
	struct timefmt_ts prev;
	int		 has_prev, said_back, said_unit, said_seq;

	/* --loop: signals counted by main()'s handler, looked at by a
	 * timer. */
	const volatile sig_atomic_t *signals;
	lws_sorted_usec_list_t tick_sul;
	int		 stopping;	/* a signal came: finish */

	/* Connection state. */
	int		 ready;		/* ready seen on this connection */
	int		 seq_known;	/* base seq set (first ready) */
	int		 closing;	/* we are closing: job over */
	int		 lost;		/* the connection must be remade */
	int		 attempts;	/* failed connects in a row */
	int		 job_over;
	int		 settings_sent;
	int		 ended;		/* the connection's end was handled */
	int		 close_code;
	char		 close_reason[128];
	char		 conn_error[256];
	int64_t		 next_seq;

	/* The ring of rows in flight: [head, head + count), of which
	 * [head, head + sent) were sent. */
	struct row	*ring;
	size_t		 head, count, sent;

	struct jsonbuf out;
	char		*rx;		/* a reply being assembled */
	size_t		 rxlen, rxcap;
	FILE		*log;

	/* --delete: the request under way, else NULL. */
	struct delete_req *del;

	/* Counts, for the job and the run. */
	uint64_t	 points, anomalies, alerts, rejected;
	uint64_t	 start_ms;
	int		 header_done;
	int		 any_anomaly, any_alert, any_rejected, failed;
	int		 bad_input;	/* a file (1) or column (2) not there */
	int		 job_connected;	/* the job's connection came up */
	char		 url_canon[1400];	/* ws[s]://ADDRESS:PORT/PATH */
	int64_t		 active_us;	/* when the socket last moved */
};

#endif
