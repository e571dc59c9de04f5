#!/bin/sh
# bench.sh: make bench, one table on stdout (SPEC §9).  Columns: what the
# row measures, the value (a median of several runs), its unit, notes (the
# runs, latencies, the target).  Rows:
#  - the detector library on one core (build/bench/bench_detect): the
#    default ensemble and each detector alone at W = 100, 1000, 10000;
#  - the SQLite ceiling: lib/store's group commits of the same rows, no
#    server (build/bench/bench_sqlite);
#  - anomalyd end to end over loopback, --sync normal, the whole machine
#    (load generator included), with build/tests/tools/loadgen, its clients
#    warm (-W: 1100 points each before the measure, 100 for 1000 clients,
#    so windows are full and trees grown): 1, 10, 100,
#    1000 pipelining protocol-2 clients (points/s, p50/p99 verdict latency
#    from the write of a batch to its reply), one pipelining anomaly-send,
#    one send-and-wait client of the original protocol (round trips/s), p99
#    at half the 100-client maximum, and the same while the writer prunes a
#    database of BENCH_PRUNE_ROWS (default 10,000,000) old points (--retain;
#    the ratio of the two p99, the rows/s pruned meanwhile);
#  - other clients' latency (p50/p99/max of 10 clients pipelining at a
#    fixed rate) while a client of BENCH_REBUILD_POINTS (default 1,000,000)
#    stored points says hello with changed settings 4 times in a row, each
#    a full replay of its history (on the rebuild thread);
#  - the cluster: 100 clients direct, through HAProxy to 1 and to 2
#    shards (share/anomaly/cluster/), each with its ratio to direct and
#    HAProxy's CPU share; the bytes on disk per stored row;
#  - the half-load latency again while anomaly-export -u reads that
#    client's points over and over (anomalyd's RSS growth, export's RSS);
#  - memory: anomalyd's RSS per connected client (1000 clients, W = 1000,
#    1000 points each) and with 10,000 idle-but-warm clients.
# Measured, never asserted.  Every step has a deadline.  BENCH_SECONDS
# (default 3) is the length of one timed run; BENCH_RUNS (default 3) the
# runs per row; BENCH_WARM (default 300) the points each of the 10,000
# clients sends before it idles.
. tests/lib.sh
loadgen=${LOADGEN:-build/tests/tools/loadgen}
send=${SEND:-build/anomaly-send}
secs=${BENCH_SECONDS:-3}
runs=${BENCH_RUNS:-3}
warm=${BENCH_WARM:-300}
lpid=
cpid=
xpid=
trap '[ -n "$xpid" ] && touch "$tmp/exstop"; cleanup
    [ -n "$lpid" ] && kill "$lpid" 2>/dev/null
    [ -n "$cpid" ] && kill "$cpid" 2>/dev/null' EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null

# median: the middle line of numbers on stdin
median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
# row WHAT VALUE UNIT NOTES
row() {
	printf '%-56s %10s %-9s %s\n' "$1" "$2" "$3" "$4"
}
# field NAME LINE: the value of NAME= in LINE
field() {
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}
# target VALUE MIN | target VALUE MAX le: "ok" or "BELOW"/"ABOVE"
target() {
	awk -v v="$1" -v t="$2" -v le="$3" 'BEGIN {
		if (le) print (v + 0 <= t + 0 ? "ok" : "ABOVE")
		else print (v + 0 >= t + 0 ? "ok" : "BELOW") }'
}
rss() {
	awk '/^VmRSS/ { print $2 }' "/proc/$pid/status"
}
pct() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b }'
}

# lg LABEL TARGET LOADGEN-ARGS...: runs loadgen $runs times (fresh client
# ids each run) for $secs s, prints the row of the median rate with the
# median p50/p99 (in $unit, default points/s; no row when $norow is set);
# sets $last_rate, $p50, $p99 and $all.
lgn=0
lg() {
	label=$1 goal=$2
	shift 2
	: >"$tmp/lg"
	i=0
	while [ $i -lt "$runs" ]; do
		lgn=$((lgn + 1))
		line=$("$loadgen" -p "$port" -i "b${lgn}_" -t "$secs" -q \
		    -T $((secs + 60)) "$@" 2>>"$tmp/lgerr")
		[ $? -ne 0 ] && echo "# loadgen failed: $line" >&2 &&
		    tail -n 3 "$tmp/lgerr" >&2
		echo "$(field rate "$line") $(field p50_ms "$line")" \
		    "$(field p99_ms "$line")" >>"$tmp/lg"
		i=$((i + 1))
	done
	last_rate=$(cut -d' ' -f1 "$tmp/lg" | median)
	p50=$(cut -d' ' -f2 "$tmp/lg" | median)
	p99=$(cut -d' ' -f3 "$tmp/lg" | median)
	all=$(cut -d' ' -f1 "$tmp/lg" | tr '\n' ' ' | sed 's/ $//')
	notes="p50 $p50 ms, p99 $p99 ms; runs $all; $(pct "$last_rate" \
	    "$ceiling") of ceiling"
	[ -n "$goal" ] && notes="$notes; target $goal $(target "$last_rate" "$goal")"
	[ -z "$norow" ] && row "$label" "$last_rate" "${unit:-points/s}" "$notes"
}

# hold CLIENTS POINTS WINDOW: loadgen's clients connected, warm and idle in
# the background ($lpid); returns when they are, fails after 600 s.
hold() {
	: >"$tmp/hold"
	"$loadgen" -p "$port" -i "h$1_" -c "$1" -n "$2" -w "$3" -b 100 \
	    -d 200 -q -H 900 -T 1000 >"$tmp/hold" 2>>"$tmp/lgerr" &
	lpid=$!
	i=0
	while [ $i -lt 6000 ]; do
		grep -q '^warm$' "$tmp/hold" && return 0
		kill -0 "$lpid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	echo "# loadgen: clients not warm: $(cat "$tmp/hold")" >&2
	return 1
}
unhold() {
	kill -TERM "$lpid" 2>/dev/null
	wait "$lpid" 2>/dev/null
	lpid=
}

printf 'anomaly bench: %s cores (%s), load average %s; medians of %s runs\n' \
    "$(nproc)" "$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" "$runs"
row what value unit notes

${BENCH_DETECT:-build/bench/bench_detect}

i=0
: >"$tmp/sq"
while [ $i -lt "$runs" ]; do
	rm -f "$tmp/sq.db" "$tmp/sq.db-wal" "$tmp/sq.db-shm"
	timeout 120 ${BENCH_SQLITE:-build/bench/bench_sqlite} "$tmp/sq.db" \
	    300000 >>"$tmp/sq"
	i=$((i + 1))
done
rm -f "$tmp"/sq.db*
ceiling=$(median <"$tmp/sq")
row "SQLite ceiling: store group commits of 4096, no server" "$ceiling" \
    rows/s "100 clients' rows, sync normal; runs $(tr '\n' ' ' <"$tmp/sq")"

start
lg "e2e 1 client pipelining (batch 100, depth 1000)" "" -c 1 -b 100 \
    -d 1000 -W 1100
lg "e2e 10 clients pipelining (batch 100, depth 1000)" "" -c 10 -b 100 \
    -d 1000 -W 1100
lg "e2e 100 clients pipelining (batch 100, depth 500)" 100000 -c 100 \
    -b 100 -d 500 -W 1100
max=$last_rate
lg "e2e 1000 clients pipelining (batch 20, depth 100)" "" -c 1000 -b 20 \
    -d 100 -W 100

# One pipelining anomaly-send, 100,000 rows of CSV.
awk 'BEGIN { print "timestamp,value"
	for (i = 1; i <= 100000; i++)
		printf "%d,%.3f\n", 1600000000 + 60 * i, 50 + 10 * sin(i / 50) + (i * 7919 % 13) / 3 }' \
    >"$tmp/100k.csv"
: >"$tmp/as"
i=0
while [ $i -lt "$runs" ]; do
	timeout 120 "$send" -q --no-log -u "ws://127.0.0.1:$port/ws" \
	    -i "as$i" "$tmp/100k.csv" 2>&1 >/dev/null |
	    sed -n 's/.* \([0-9][0-9]*\) points\/s$/\1/p' >>"$tmp/as"
	i=$((i + 1))
done
r=$(median <"$tmp/as")
row "e2e 1 anomaly-send pipelining, 100k rows of CSV" "$r" points/s \
    "runs $(tr '\n' ' ' <"$tmp/as"); $(pct "$r" "$ceiling") of ceiling; target 100000 $(target "$r" 100000)"

unit=trips/s
lg "e2e send-and-wait, original protocol, 1 client" 10000 -c 1 -o -d 1 \
    -W 1100
unit=

half=$(awk -v m="$max" 'BEGIN { printf "%.0f", m / 2 }')
norow=1
lg "" "" -c 100 -b 10 -d 500 -r "$half" -W 1100
norow=
row "e2e p99 latency, 100 clients at half the 100-client max" "$p99" ms \
    "$half points/s asked, $last_rate done; p50 $p50 ms; runs' rates $all; target 10 $(target "$p99" 10 le)"
p99half=$p99
stop

# The same half load while the writer prunes a database of
# BENCH_PRUNE_ROWS (default 10,000,000) old points: 100 clients of
# rows/100 points each that arrived in 2020, each with a snapshot at its
# last point, written by SQL (the schema and a real client's settings and
# snapshot from one hello), then anomalyd --retain 7d on it.
half_p99=$p99
db=$tmp/prune.db
prn=${BENCH_PRUNE_ROWS:-10000000}
start
printf '%s\n' connect 'recv 5000' 'send [{"seq":1,"timestamp":1,"value":1}]' \
    'recv 5000' | "$wsraw" 127.0.0.1 "$port" \
    '/ws?client_id=seed&window=100&version=2' >/dev/null 2>&1
stop
t0=$(date +%s%N)
sqlite3 "$db" >/dev/null <<EOF
PRAGMA journal_mode = DELETE;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;
BEGIN;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 100)
INSERT INTO clients SELECT printf('old%03d', i), window, settings, 0,
    first_seen_ms, last_seen_ms, $((prn / 100)), 0, 0, NULL, 50.0,
    $((prn / 100)), peer, NULL FROM clients, c WHERE client_id = 'seed';
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 100),
    r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < $((prn / 100)))
INSERT INTO points SELECT printf('old%03d', c.i), r.n, r.n,
    1600000000 + 60 * r.n, NULL, 50 + (r.n * 7919 % 13), 0, 0, 0.0, 0,
    1600000000000 + r.n FROM c CROSS JOIN r;
INSERT INTO client_state SELECT c.client_id, $((prn / 100)), s.format,
    s.state FROM client_state s, clients c
    WHERE s.client_id = 'seed' AND c.client_id LIKE 'old%';
COMMIT;
EOF
t1=$(date +%s%N)
size0=$(( $(wc -c <"$db") / 1048576 ))
start --retain 7d
pruned() {
	http_get "http://127.0.0.1:$port/metrics" |
	    sed -n 's/^anomalyd_points_pruned_total //p'
}
pr0=$(pruned)
t2=$(date +%s%N)
norow=1
lg "" "" -c 100 -b 10 -d 500 -r "$half" -W 1100
norow=
t3=$(date +%s%N)
pr1=$(pruned)
rate=$(awk -v a="$pr0" -v b="$pr1" -v t=$((t3 - t2)) \
    'BEGIN { printf "%.0f", (b - a) / (t / 1e9) }')
row "e2e p99 latency, half load, pruning a $prn-row database" "$p99" ms \
    "$(awk -v a="$p99" -v b="$half_p99" 'BEGIN { if (b > 0) printf "%.2f", a / b }')x the row above; p50 $p50 ms; $half points/s asked, $last_rate done; pruned $pr0 before, $((pr1 - pr0)) during the runs ($rate rows/s), $((prn - pr1)) left; database built in $(( (t1 - t0) / 1000000 )) ms, $size0 MiB"
stop
rm -f "$db" "$db-wal" "$db-shm"
# The cluster (share/anomaly/cluster/): the 100-client row direct to a
# fresh anomalyd, then through HAProxy to 1 shard and to 2 shards (fresh
# databases), each with its ratio to direct; the database's bytes per
# stored row (after a checkpoint: points, indexes, clients, snapshots);
# HAProxy's share of the CPU the proxied runs used (HAProxy, the shards,
# loadgen; from /proc/PID/stat) and its CPU time per point.
haproxy=${HAPROXY:-$(command -v haproxy || echo /usr/sbin/haproxy)}
# ticks PID...: CPU time (user + system, clock ticks) of the processes
ticks() {
	for p in "$@"; do
		awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null
	done | awk '{ t += $1 } END { print t + 0 }'
}
db=$tmp/direct.db
start
lg "e2e 100 clients direct to anomalyd (batch 100, depth 500)" "" -c 100 \
    -b 100 -d 500 -W 1100
direct=$last_rate
stop
sqlite3 "$db" "pragma wal_checkpoint(truncate)" >/dev/null
rowsn=$(sqlite3 "$db" "select count(*) from points")
dbsize=$(stat -c %s "$db")
row "bytes on disk per stored row (the database above)" \
    "$(awk -v s="$dbsize" -v n="$rowsn" 'BEGIN { if (n) printf "%.0f", s / n }')" \
    bytes "$rowsn rows, $dbsize bytes, after a checkpoint"
if [ -x "$haproxy" ]; then
	for shards in 1 2; do
		# 3 ports for HAProxy, then the shards'
		cport=$(python3 -c 'import random, socket
while True:
    b = random.randrange(20000, 60000, 8)
    try:
        for p in range(b, b + 5):
            s = socket.socket()
            s.bind(("127.0.0.1", p))
            s.close()
    except OSError:
        continue
    print(b)
    break')
		cstate=$tmp/cluster$shards
		SHARDS=$shards PORT=$cport ORIG_PORT=$((cport + 1)) \
		    STATS_PORT=$((cport + 2)) SHARD_PORT=$((cport + 3)) \
		    STATE=$cstate HAPROXY=$haproxy \
		    BIN=$(cd "$(dirname "$anomalyd")" && pwd) \
		    sh share/anomaly/cluster/cluster.sh >"$tmp/cl.out" \
		    2>&1 &
		cpid=$!
		i=0
		while [ $i -lt 200 ] && ! grep -q 'Ctrl-C' "$tmp/cl.out"; do
			sleep 0.1
			i=$((i + 1))
		done
		if ! grep -q 'Ctrl-C' "$tmp/cl.out"; then
			row "e2e 100 clients through HAProxy to $shards shard(s)" - \
			    points/s "the cluster did not start: $(tail -n 2 "$tmp/cl.out")"
			kill -TERM "$cpid" 2>/dev/null
			wait "$cpid" 2>/dev/null
			continue
		fi
		hp=$(cat "$cstate/haproxy.pid")
		sp=$(cat "$cstate"/shard-*.pid)
		h0=$(ticks "$hp")
		a0=$(ticks "$hp" $sp)
		saved=$port
		port=$cport
		norow=1
		lg "" "" -c 100 -b 100 -d 500 -W 1100
		norow=
		port=$saved
		h1=$(ticks "$hp")
		a1=$(ticks "$hp" $sp)
		vpts=$(for k in $(seq 0 $((shards - 1))); do
			sqlite3 "$cstate/shard-$k.db" "select count(*) from points"
		done | awk '{ t += $1 } END { print t + 0 }')
		hz=$(getconf CLK_TCK)
		label="$shards shard"
		[ "$shards" -gt 1 ] && label="${label}s"
		row "e2e 100 clients through HAProxy to $label" \
		    "$last_rate" points/s \
		    "$(awk -v a="$last_rate" -v d="$direct" 'BEGIN { if (d > 0) printf "%.2f", a / d }') of direct; p50 $p50 ms, p99 $p99 ms; runs $all; HAProxy $(pct $((h1 - h0)) $((a1 - a0))) of the CPU of HAProxy + shards, $(awk -v t=$((h1 - h0)) -v hz="$hz" -v n="$vpts" 'BEGIN { if (n) printf "%.1f", t / hz * 1e6 / n }') CPU-us per point ($vpts points)"
		if [ "$shards" -eq 1 ]; then
			# the load of many clients: one point a message, at
			# a fixed rate; the CPU of each per point
			# (hellos and warm-up not counted)
			"$loadgen" -p "$cport" -i pace -c 1000 -b 1 -d 1 \
			    -r 5000 -t "$secs" -W 10 -q -T $((secs + 60)) \
			    >"$tmp/pace" 2>>"$tmp/lgerr" &
			lpid=$!
			i=0
			while [ $i -lt 600 ] && ! grep -q measuring "$tmp/pace"
			do
				sleep 0.1
				i=$((i + 1))
			done
			h0=$(ticks "$hp")
			s0=$(ticks $sp)
			n0=$(sqlite3 "$cstate/shard-0.db" "select count(*) \
			    from points where client_id like 'pace%'")
			wait "$lpid"
			lpid=
			h1=$(ticks "$hp")
			s1=$(ticks $sp)
			n1=$(($(sqlite3 "$cstate/shard-0.db" "select count(*) \
			    from points where client_id like 'pace%'") - n0))
			line=$(tail -n 1 "$tmp/pace")
			row "shard CPU per point, 1000 clients, 1 point a message" \
			    "$(awk -v t=$((s1 - s0)) -v hz="$hz" -v n="$n1" 'BEGIN { if (n) printf "%.1f", t / hz * 1e6 / n }')" \
			    CPU-us "through HAProxy at 5000 points/s asked, $(field rate "$line") done, p99 $(field p99_ms "$line") ms; HAProxy $(awk -v t=$((h1 - h0)) -v hz="$hz" -v n="$n1" 'BEGIN { if (n) printf "%.1f", t / hz * 1e6 / n }') CPU-us per point, $(pct $((h1 - h0)) $((h1 - h0 + s1 - s0))) of the CPU of HAProxy + shard ($n1 points)"
		fi
		kill -TERM "$cpid" 2>/dev/null
		wait "$cpid" 2>/dev/null
		cpid=
	done
else
	row "e2e 100 clients through HAProxy" - points/s "haproxy not installed"
fi

# Rebuilds: client big's history written directly (anomalyd stopped, no
# snapshot), then 4 hellos with another window while 10 clients stream.
db=$tmp/rebuild.db
rbn=${BENCH_REBUILD_POINTS:-1000000}
start
printf '%s\n' connect 'recv 5000' 'send [{"seq":1,"timestamp":1,"value":1}]' \
    'recv 5000' | "$wsraw" 127.0.0.1 "$port" \
    '/ws?client_id=big&window=100&version=2' >/dev/null 2>&1
stop
python3 -c '
import sqlite3, sys, math
n = int(sys.argv[2])
c = sqlite3.connect(sys.argv[1])
c.execute("delete from points where client_id = ?", ("big",))
c.execute("delete from client_state")
c.executemany("insert into points values (?, ?, ?, ?, NULL, ?, 0, 0, 0.0, 0, 0)",
    (("big", i, i, i, 50 + 10 * math.sin(i * 0.3)) for i in range(1, n + 1)))
c.execute("update clients set points = ?, last_seq = ? where client_id = ?",
    (n, n, "big"))
c.commit()' "$db" "$rbn"
start -v
"$loadgen" -p "$port" -i rb -c 10 -b 10 -d 100 -r 2000 -t 30 -W 100 -q \
    -T 90 >"$tmp/rblg" 2>>"$tmp/lgerr" &
lpid=$!
i=0
while [ $i -lt 100 ] && ! grep -q measuring "$tmp/rblg"; do
	sleep 0.1
	i=$((i + 1))
done
t0=$(date +%s%N)
for w in 101 102 103 104; do
	printf '%s\n' connect 'recv 60000' | "$wsraw" 127.0.0.1 "$port" \
	    "/ws?client_id=big&window=$w&version=2" >>"$tmp/rbready" 2>&1
done
t1=$(date +%s%N)
kill -TERM "$lpid" 2>/dev/null
wait "$lpid" 2>/dev/null
lpid=
line=$(tail -n 1 "$tmp/rblg")
took=$(sed -n 's/.* points in \([0-9]*\) ms$/\1/p' "$tmp/log" | tail -n 4 |
    tr '\n' ' ' | sed 's/ $//')
row "e2e p99 latency, 10 clients, 4 rebuilds of a $rbn-point client" \
    "$(field p99_ms "$line")" ms \
    "p50 $(field p50_ms "$line") ms, max $(field max_ms "$line") ms; 2000 points/s asked, $(field rate "$line") done; 4 hellos in $(( (t1 - t0) / 1000000 )) ms, replays ${took:-?} ms; $(grep -c '"ready"' "$tmp/rbready") ready"

# Export: anomaly-export -u of client big's $rbn points.  First the
# half-load latency on this server without it, then one export alone
# (anomalyd's peak RSS over its RSS before, VmHWM reset through
# clear_refs; the export's max RSS), then the half-load latency again
# while exports run one after the other.
norow=1
lg "" "" -c 100 -b 10 -d 500 -r "$half" -W 1100
norow=
p99quiet=$p99
exp=${EXPORT:-build/anomaly-export}
echo 5 >"/proc/$pid/clear_refs" 2>/dev/null
base=$(rss)
t0=$(date +%s%N)
/usr/bin/time -o "$tmp/exrss1" -f %M "$exp" -u "http://127.0.0.1:$port" \
    -c big >"$tmp/ex.out" 2>>"$tmp/experr"
t1=$(date +%s%N)
peak=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
exrows=$(($(wc -l <"$tmp/ex.out") - 1))
exms=$(( (t1 - t0) / 1000000 ))
row "anomaly-export -u of $exrows points, alone: anomalyd RSS growth" \
    "$((peak - base))" KiB \
    "anomalyd $base KiB before, peak $peak KiB; export max RSS $(tail -n 1 "$tmp/exrss1") KiB; $exms ms, $(awk -v r="$exrows" -v t="$exms" 'BEGIN { if (t > 0) printf "%.0f", r * 1000 / t }') points/s; target 16384 $(target $((peak - base)) 16384 le)"
: >"$tmp/exdone"
rm -f "$tmp/exstop"
(
	while [ ! -f "$tmp/exstop" ]; do
		"$exp" -u "http://127.0.0.1:$port" -c big >/dev/null \
		    2>>"$tmp/experr" || break
		echo done >>"$tmp/exdone"
	done
) &
xpid=$!
norow=1
lg "" "" -c 100 -b 10 -d 500 -r "$half" -W 1100
norow=
kill -0 "$xpid" 2>/dev/null && running=yes || running=no
touch "$tmp/exstop"
wait "$xpid"
xpid=
row "e2e p99 latency, half load, anomaly-export -u running" "$p99" ms \
    "$half points/s asked, $last_rate done; p50 $p50 ms; without the export on this server $p99quiet ms ($(pct "$p99" "$p99quiet")); exports of $exrows points done meanwhile: $(wc -l <"$tmp/exdone"), one still running at the end: $running"
stop

# Memory: a fresh anomalyd each time, RSS before and with the clients held.
db=$tmp/mem1.db
start
base=$(rss)
if hold 1000 1000 1000; then
	now=$(rss)
	row "RSS per connected client, W=1000, 1000 clients warm" \
	    "$(( (now - base) / 1000 ))" KiB \
	    "anomalyd $base KiB idle, $now KiB with 1000 clients; target 256 $(target $(( (now - base) / 1000 )) 256 le)"
else
	row "RSS per connected client, W=1000, 1000 clients warm" - KiB \
	    "clients did not get warm"
fi
unhold
stop
db=$tmp/mem2.db
start --max-per-addr 20000	# 10,000 clients from one address
base=$(rss)
if hold 10000 "$warm" 1000; then
	now=$(rss)
	row "RSS of anomalyd, 10000 idle clients W=1000 ($warm pts each)" \
	    "$(( now / 1024 ))" MiB \
	    "idle before: $((base / 1024)) MiB; $(( (now - base) / 10000 )) KiB/client; target 2560 $(target $((now / 1024)) 2560 le)"
else
	row "RSS of anomalyd, 10000 idle clients W=1000 ($warm pts each)" \
	    - MiB "clients did not get warm: $(tail -n 2 "$tmp/lgerr")"
fi
unhold
stop
printf 'load average at the end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
