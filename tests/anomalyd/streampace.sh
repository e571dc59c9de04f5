#!/bin/sh
# streampace.sh: while WebSocket messages come in, the pieces of a streamed
# read are paced (http.c PACE) so that reads take at most an eighth of the
# loop and the latency of ingest holds (issue 17 item 3), TAP.  A client
# with 100,000 stored points read whole, over and over, by fast readers
# while another client sends points: anomalyd_stream_deferred_total of
# /metrics counts the pieces that waited, every read is the whole array,
# and every point sent meanwhile gets its verdict.  With no message coming
# in, a read is not paced.  Counts only, no timing beyond deadlines.
. tests/lib.sh
loadgen=${LOADGEN:-build/tests/tools/loadgen}

echo "1..3"

deferred() {
	curl -s --max-time 5 "http://127.0.0.1:$port/metrics" |
	    sed -n 's/^anomalyd_stream_deferred_total //p'
}
# readall: the whole array of big's points, checked: "100000 1 100000"
readall() {
	curl -s --max-time 60 \
	    "http://127.0.0.1:$port/api/clients/big/points?limit=100000" |
	    python3 -c '
import json, sys
a = json.load(sys.stdin)
print(len(a), a[0]["n"], a[-1]["n"])'
}

start
stop
python3 tests/anomalyd/gen.py "$db" big 100000 0 || exit 1
start

out=$(readall)
d=$(deferred)
[ "$out" = "100000 1 100000" ] && [ "$d" = 0 ]
ok $? "no message coming in: a whole read, no piece deferred ($out; deferred ${d:-none})"

# one client sends 2000 points/s for 5 s while reads run
"$loadgen" -p "$port" -i pace -c 1 -b 10 -d 100 -r 2000 -t 5 -q -T 60 \
    >"$tmp/lg" 2>&1 &
lpid=$!
trap 'kill "$lpid" 2>/dev/null; cleanup' EXIT
i=0
# until its points come in (the 100,000 of big are counted too)
while [ $i -lt 200 ] && [ "$(curl -s --max-time 5 \
    "http://127.0.0.1:$port/metrics" |
    sed -n 's/^anomalyd_points_total //p')" = 100000 ]; do
	sleep 0.1
	i=$((i + 1))
done
good=0
reads=0
d=0
while [ "$reads" -lt 20 ] && kill -0 "$lpid" 2>/dev/null; do
	out=$(readall)
	reads=$((reads + 1))
	[ "$out" = "100000 1 100000" ] && good=$((good + 1))
	d=$(deferred)
done
[ "${d:-0}" -gt 0 ] && [ "$good" -eq "$reads" ]
ok $? "while points come in, pieces of reads wait their turn ($reads reads, $good whole; anomalyd_stream_deferred_total $d)"

wait "$lpid"
line=$(tail -n 1 "$tmp/lg")
pts=$(printf '%s\n' "$line" | sed -n 's/.* points=\([0-9]*\) .*/\1/p')
ver=$(printf '%s\n' "$line" | sed -n 's/.* verdicts=\([0-9]*\) .*/\1/p')
[ -n "$pts" ] && [ "$pts" -gt 0 ] && [ "$pts" = "$ver" ] &&
    printf '%s\n' "$line" | grep -q ' errors=0 '
ok $? "every point sent meanwhile got its verdict ($line)"
stop
