#!/bin/sh
# bench_e2e.sh: anomalyd end to end over loopback with persistence
# (--sync normal), driven by anomaly-send: rows/s of one pipelining client
# (100,000 rows) and round trips/s of one send-and-wait client (--inflight
# 1, 20,000 rows), medians of 3 runs.  Measured, never asserted (SPEC §9).
. tests/lib.sh
send=${SEND:-build/anomaly-send}

awk 'BEGIN { print "timestamp,value"
	for (i = 1; i <= 100000; i++)
		printf "%d,%.3f\n", 1600000000 + 60 * i, 50 + 10 * sin(i / 50) + (i * 7919 % 13) / 3 }' \
    >"$tmp/100k.csv"
head -n 20001 "$tmp/100k.csv" >"$tmp/20k.csv"
start

# rate FILE ID [OPTION]...: points/s that anomaly-send reports
rate() {
	f=$1 id=$2
	shift 2
	"$send" -q --no-log -u "ws://127.0.0.1:$port/ws" -i "$id" "$@" "$f" \
	    2>&1 >/dev/null | sed -n 's/.* \([0-9][0-9]*\) points\/s$/\1/p'
}

median3() {
	printf '%s\n%s\n%s\n' "$1" "$2" "$3" | sort -n | sed -n 2p
}

a=$(rate "$tmp/100k.csv" p1); b=$(rate "$tmp/100k.csv" p2)
c=$(rate "$tmp/100k.csv" p3)
printf '%-44s %12s   (runs %s %s %s)\n' \
    "e2e anomaly-send pipelining, 100k rows" "$(median3 "$a" "$b" "$c")" \
    "$a" "$b" "$c"
a=$(rate "$tmp/20k.csv" w1 --inflight 1); b=$(rate "$tmp/20k.csv" w2 --inflight 1)
c=$(rate "$tmp/20k.csv" w3 --inflight 1)
printf '%-44s %12s   (runs %s %s %s; round trips/s)\n' \
    "e2e send-and-wait (--inflight 1), 20k rows" \
    "$(median3 "$a" "$b" "$c")" "$a" "$b" "$c"
stop
