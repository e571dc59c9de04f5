#!/bin/sh
# stall.sh: nothing a peer or another process does to the database stalls
# the event loop (issue 16, items 3 and 11), TAP.
#
# Item 11: while another process holds the database (BEGIN EXCLUSIVE, a few
# seconds, less than the writer's 5 s busy timeout), /healthz, /static/
# files and WebSocket handshakes are answered within 1 s, while a client
# streams on, a new client says hello and a disconnected one is DELETEd.
# What cannot proceed until the lock is released is every write: the
# streaming client's verdicts, the new client's ready and the answer to
# the DELETE wait for it, then all come, none lost or refused.  A client
# that drops its connection while its points wait for the lock and comes
# back at once finds them counted (kept in memory until committed).
#
# Item 3: a hello with changed settings on a client with a long history
# (400,000 points, replayed in about 2 s) rebuilds its detector off the
# loop: a client streaming meanwhile (send and wait) never waits a second
# for a verdict (loadgen's max_ms), and the rebuilt client's ready counts
# its whole history.  A rebuild that fails closes with 1011 and its cause,
# as before.
. tests/lib.sh
loadgen=${LOADGEN:-build/tests/tools/loadgen}
big=${STALL_POINTS:-400000}

echo "1..7"

# ---------------------------------------------------------------- item 11
start
printf '%s\n' connect 'send {"timestamp":1,"value":1}' 'recv 5000' |
    ws '/ws?client_id=gone&window=5' >/dev/null 2>&1
# probe URL N: N GETs of URL, 0.2 s apart, each answered within 1 s;
# prints how many were not
probe() {
	bad=0 i=0
	while [ $i -lt "$2" ]; do
		curl -sf --max-time 1 -o /dev/null "$1" || bad=$((bad + 1))
		sleep 0.2
		i=$((i + 1))
	done
	echo "$bad"
}
"$loadgen" -p "$port" -i s -c 1 -d 1 -r 100 -t 7 -w 10 >"$tmp/lg1" 2>&1 &
lg=$!
sleep 0.5	# the stream runs (its verdicts are checked at the end)
# a client sends 3 points and drops its connection while they cannot be
# committed, and comes back at once: it finds its detector, seq and
# points in memory (the database does not have them yet)
{
	printf '%s\n' connect 'recv 5000'
	i=0
	while [ ! -e "$tmp/locked" ] && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	printf '%s\n' 'send [{"seq":1,"timestamp":1,"value":1},{"seq":2,"timestamp":2,"value":2},{"seq":3,"timestamp":3,"value":3}]' \
	    disconnect connect 'recv 8000' \
	    'send [{"seq":4,"timestamp":4,"value":4}]' 'recv 8000'
} | ws '/ws?client_id=k&window=5&version=2' >"$tmp/k" 2>&1 &
kpid=$!
python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("begin exclusive")
open(sys.argv[2], "w").close()
time.sleep(4)
open(sys.argv[3], "w").close()
c.execute("rollback")' "$db" "$tmp/locked" "$tmp/released" &
locker=$!
i=0
while [ ! -e "$tmp/locked" ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
# a new client says hello while the lock is held; its ready follows the
# commit of its hello, after the release
printf '%s\n' connect 'recv 8000' | ws '/ws?client_id=late&window=5&version=2' \
    >"$tmp/late" 2>&1 &
late=$!
# the deletion of a disconnected client, answered after the release
curl -s --max-time 10 -X DELETE -o "$tmp/del" -w '%{http_code}\n' \
    "http://127.0.0.1:$port/api/clients/gone" >"$tmp/delcode" 2>&1 &
del=$!
bad_h=$(probe "http://127.0.0.1:$port/healthz" 6)
bad_s=$(probe "http://127.0.0.1:$port/static/style.css" 2)
t0=$(date +%s%N)
hs=$(printf '%s\n' connect | ws '/ws' 2>&1)
t1=$(date +%s%N)
[ -e "$tmp/released" ]
held=$?
out="healthz late: $bad_h, static late: $bad_s, handshake: $hs in $(( (t1 - t0) / 1000000 )) ms, lock held throughout: $held"
[ "$bad_h" -eq 0 ] && [ "$bad_s" -eq 0 ] && [ "$hs" = connected ] &&
    [ $(( (t1 - t0) / 1000000 )) -lt 1000 ] && [ $held -ne 0 ]
ok $? "while another process holds the database: /healthz, /static/ and a handshake answer within 1 s"

wait $locker
wait $lg
lgrc=$?
wait $late
wait $del
out="$(cat "$tmp/lg1" "$tmp/late" "$tmp/delcode" "$tmp/del")"
[ $lgrc -eq 0 ] && grep -q 'errors=0 closed=0' "$tmp/lg1" &&
    grep -q '"ready"' "$tmp/late" && [ "$(cat "$tmp/delcode")" = 200 ] &&
    grep -q '{"deleted":"gone","points":1}' "$tmp/del" &&
    [ "$(sql "select count(*) from clients where client_id = 'gone'")" = 0 ]
ok $? "once it is released: every verdict of the stream, the new client's ready, the DELETE's 200"

wait $kpid
out=$(cat "$tmp/k"; sql "select count(*), max(n), max(seq) from points where client_id = 'k'")
[ "$(sed -n 4p "$tmp/k")" = 'text {"ready":true,"client_id":"k","window":5,"last_seq":3,"points":3,"last_timestamp":3}' ] &&
    [ "$(sed -n 5p "$tmp/k")" = 'text [{"seq":4,"timestamp":4,"anomaly":0}]' ] &&
    [ "$(sql "select count(*), max(n), max(seq) from points where client_id = 'k'")" = "4|4|4" ]
ok $? "a client back at once while its points wait for the lock: ready counts them, the next point is n 4"
stop

# ----------------------------------------------------------------- item 3
# the history of client big: its row from a hello, its points inserted
# directly (anomalyd stopped), no snapshot, so that a rebuild replays all
rm -f "$db" "$db-wal" "$db-shm"
start
printf '%s\n' connect 'recv 5000' 'send [{"seq":1,"timestamp":1,"value":1}]' \
    'recv 5000' | ws '/ws?client_id=big&window=100&version=2' >/dev/null 2>&1
stop
python3 -c '
import sqlite3, sys, math
n = int(sys.argv[2])
c = sqlite3.connect(sys.argv[1])
c.execute("delete from points where client_id = ?", ("big",))
c.execute("delete from client_state")
c.executemany("insert into points values (?, ?, ?, ?, NULL, ?, 0, 0, 0.0, 0, 0)",
    (("big", i, i, i, 50 + 10 * math.sin(i * 0.3)) for i in range(1, n + 1)))
c.execute("update clients set points = ?, last_seq = ?, anomalies = 0, "
    "alerts = 0, last_alert_n = NULL where client_id = ?", (n, n, "big"))
c.commit()' "$db" "$big"
ok $? "a client of $big points made"

start -v
"$loadgen" -p "$port" -i s -c 1 -d 1 -r 200 -t 8 -w 10 >"$tmp/lg2" 2>&1 &
lg=$!
sleep 0.5
# three hellos in a row, each with another window: three full replays
for w in 101 102 103; do
	printf '%s\n' connect 'recv 20000' |
	    ws "/ws?client_id=big&window=$w&version=2" >>"$tmp/big" 2>&1
done
wait $lg
lgrc=$?
max=$(sed -n 's/.*max_ms=\([0-9.]*\).*/\1/p' "$tmp/lg2")
out="$(cat "$tmp/lg2" "$tmp/big"; grep rebuilt "$tmp/log")"
[ $lgrc -eq 0 ] && [ -n "$max" ] &&
    awk -v m="$max" 'BEGIN { exit !(m < 1000) }'
ok $? "three hellos with changed settings on it: another client's verdicts never wait 1 s (max ${max:-?} ms)"

[ "$(grep -c "\"points\":$big" "$tmp/big")" -eq 3 ] &&
    [ "$(grep -c "rebuilt from start at 0, $big points" "$tmp/log")" -eq 3 ]
ok $? "each of them gets its ready after the replay of all $big points"
stop

# a rebuild that fails closes the hello with 1011 and the cause, as the
# replay on the loop did
sqlite3 "$db" "delete from points where client_id = 'big' and n = 7"
start
out=$(printf '%s\n' connect 'recv 20000' | ws '/ws?client_id=big&window=104&version=2' 2>&1)
[ "$out" = "$(printf 'connected\nclose 1011 database error: client big: stored points are not contiguous')" ]
ok $? "a rebuild that fails: close 1011 with its cause"
stop
