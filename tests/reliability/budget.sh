#!/bin/sh
# budget.sh: --max-memory (issue 16, items 1 and 9).  Hostile hellos at
# the largest parameters anomalyd allows, each followed by a batch, fill a
# small budget: the clients it holds stay, the others are closed with 1013,
# and anomalyd's peak RSS stays within the budget plus a fixed overhead.
# When they leave the budget is given back and a well-behaved client
# streams.  Then connections that each hold an unfinished fragmented 1 MB
# message: those beyond the budget get 1013, the others 1008 at the
# deadline (--hello-timeout), and the peak RSS is still within bounds.
. tests/lib.sh
send=${SEND:-build/anomaly-send}
wsmem="python3 tests/tools/wsmem.py"
budget_mb=32
overhead_mb=40		# lws, SQLite's cache, the code: measured ~20
hellos=${BUDGET_HELLOS:-3000}

echo "1..8"

hwm() {
	awk '/^VmHWM/ { print $2 }' "/proc/$pid/status"
}

# used: the budget's bytes in use, from /metrics
used() {
	http_get "http://127.0.0.1:$port/metrics" |
	    awk '$1 == "anomalyd_memory_bytes{kind=\"used\"}" { print $2 }'
}

# waitline FILE PATTERN SECONDS: until a line of FILE matches PATTERN
waitline() {
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

start --max-memory ${budget_mb}M --max-window 2000 --hello-timeout 2
base=$(hwm)

# --- hostile hellos, held open until the fifo is closed
mkfifo "$tmp/hold"
$wsmem hellos "$port" "$hellos" 2000 300 <"$tmp/hold" >"$tmp/hogs" \
    2>"$tmp/hogerr" &
spid=$!
exec 4>"$tmp/hold"
waitline "$tmp/hogs" holding 120
out=$(cat "$tmp/hogs" "$tmp/hogerr")
set -- $(head -n 1 "$tmp/hogs")
acc=${2:-0} ref=${4:-0} other=${6:-1}
[ "$acc" -ge 10 ] && [ "$ref" -gt 0 ] && [ "$other" -eq 0 ]
ok $? "$hellos hellos at the largest parameters: $acc held, $ref closed with 1013"
peak=$(hwm)
echo "# VmHWM: $base kB at start, $peak kB with the budget full"
out="peak $peak kB"
[ "$peak" -le $(((budget_mb + overhead_mb) * 1024)) ]
ok $? "peak RSS within the ${budget_mb} MB budget plus ${overhead_mb} MB"
grep -q 'hello refused: memory budget exhausted' "$tmp/log"
ok $? "a refused hello is logged"

exec 4>&-
wait "$spid"
spid=
i=0
while [ $i -lt 50 ] && [ "$(used)" != 0 ]; do
	sleep 0.1
	i=$((i + 1))
done
out="used $(used)"
[ "$(used)" = 0 ]
ok $? "the budget is given back when the clients leave"

csv_series 300 >"$tmp/good.csv"
out=$("$send" -q -u "ws://127.0.0.1:$port/ws" -i good -w 100 \
    "$tmp/good.csv" 2>&1)
st=$?
rows=$(sql "select count(*) from points where client_id = 'good'")
[ $st -eq 0 ] && [ "$rows" = 300 ]
ok $? "then a well-behaved client streams (300 rows stored)"

# --- unfinished fragmented messages: 48 x 1 MB against 32 MB
out=$($wsmem frags "$port" 48 1048576 2>&1)
set -- $(printf '%s\n' "$out" | tail -n 1)
case "$4" in *1013:*) c1013=1 ;; *) c1013=0 ;; esac
case "$4" in *1008:*) c1008=1 ;; *) c1008=0 ;; esac
[ "$2" = 48 ] && [ $c1013 = 1 ] && [ $c1008 = 1 ]
ok $? "48 unfinished 1 MB messages: beyond the budget 1013, the others 1008 at the deadline"
peak=$(hwm)
echo "# VmHWM after the fragments: $peak kB"
out="peak $peak kB"
[ "$peak" -le $(((budget_mb + overhead_mb) * 1024)) ] && [ "$(used)" = 0 ]
ok $? "peak RSS still within the budget, and nothing left in it"
stop

# --- anomaly-send, refused with 1013 while a client at window 60000 with
# the largest parameters (ma.m 8 there) holds most of 8 MB (about 6.3 MB; it would need
# 5.5), tries again and streams once that one leaves
start --max-memory 8M
mkfifo "$tmp/hold2"
big='{"iforest.trees":200,"iforest.sample":512,"ma.m":8,"novelty.protos":512,"novelty.dim":32,"novelty.average":1000,"novelty.history":10000,"novelty.learn":10000}'
$wsmem hellos "$port" 1 60000 0 "$big" <"$tmp/hold2" >"$tmp/hog2" 2>&1 &
spid=$!
exec 5>"$tmp/hold2"
waitline "$tmp/hog2" holding 30
"$send" -q -u "ws://127.0.0.1:$port/ws" -i later -w 60000 "$tmp/good.csv" \
    >"$tmp/later" 2>&1 5>&- &
apid=$!
waitline "$tmp/log" 'client later: hello refused' 30
refused=$?
exec 5>&-
wait "$spid"
spid=
wait "$apid"
st=$?
rows=$(sql "select count(*) from points where client_id = 'later'")
out=$(cat "$tmp/hog2" "$tmp/later")
[ $refused -eq 0 ] && [ $st -eq 0 ] && [ "$rows" = 300 ]
ok $? "anomaly-send refused with 1013 tries again and stores its 300 rows"
stop
