#!/bin/sh
# diskfull.sh: disk full and database errors (SPEC §2.3, §4), TAP.  The
# database's files are capped with a file size limit on the running
# anomalyd (prlimit(1) sets RLIMIT_FSIZE; anomalyd ignores SIGXFSZ, so a
# write past it is an EFBIG error), then lifted: "space returns".  While
# full, points get "not stored" errors, nothing is acknowledged that is
# not stored, a hello is closed with 1011 naming the cause; after, the
# same connection goes on, and anomaly-send, which streamed throughout,
# has every row stored once with the verdicts of a run that never failed.
# Then the disk fills while the writer prunes (--retain): the steps fail,
# are counted and logged, and delete nothing; pruning resumes after, and
# no acknowledged point is lost but those old enough to be pruned, the
# points after the last snapshot, the counters and the verdicts intact.
. tests/lib.sh
send=${SEND:-build/anomaly-send}
case $send in /*) ;; *) send=$PWD/$send ;; esac

echo "1..12"


if ! command -v prlimit >/dev/null 2>&1; then
	echo "Bail out! prlimit(1) (util-linux) is needed"
	exit 1
fi

# full: cap the files anomalyd writes at 4096 bytes (soft limit only, so
# that it can be raised again): every WAL frame (4096 bytes and a header)
# and every page past the first fails, whatever the WAL's position after a
# checkpoint; room: lift the cap.
full() {
	prlimit --pid "$pid" --fsize=4096:unlimited
}
room() {
	prlimit --pid "$pid" --fsize=unlimited:unlimited
}

awk 'BEGIN { print "timestamp,value"
	for (i = 1; i <= 3000; i++) {
		v = 50 + 10 * sin(i * 0.2) + (i * 7919 % 13) / 2
		if (i % 91 == 0)
			v += 150
		printf "%d,%.4f\n", 1600000000 + 60 * i, v
	} }' >"$tmp/s.csv"

# the reference: the stream on a server whose disk never fills
start
(cd "$tmp" && "$send" --no-log -q -w 100 -u "ws://127.0.0.1:$port/ws" s.csv \
    >/dev/null 2>&1)
stop
mv "$db" "$tmp/ref.db"
rm -f "$db-wal" "$db-shm"

start -v
# a client connected before the disk fills
mkfifo "$tmp/o.in"
ws <"$tmp/o.in" >"$tmp/o.out" 2>&1 &
opid=$!
exec 3>"$tmp/o.in"
printf '%s\n' connect 'send {"client_id":"o1","window":4}' \
    'send {"timestamp":1,"value":1}' recv >&3
waitfor "$tmp/o.out" '"timestamp":1,"anomaly"'
# anomaly-send streams before, while and after the disk is full
(cd "$tmp" && "$send" --no-log -w 100 --retries 20 --rate 1000 \
    -u "ws://127.0.0.1:$port/ws" s.csv >s.out 2>s.err; echo $? >s.rc) &
spid=$!
i=0
while [ $i -lt 200 ] && [ "$(wc -l <"$tmp/s.out")" -lt 500 ]; do
	sleep 0.05
	i=$((i + 1))
done
full
printf '%s\n' 'send {"timestamp":2,"value":2}' recv \
    'send {"timestamp":3,"value":3}' recv >&3
waitfor "$tmp/o.out" '"timestamp":3'
out=$(cat "$tmp/o.out")
[ "$(grep -c '^text {"error":"not stored: [^"]*","timestamp":[23]}$' "$tmp/o.out")" -eq 2 ] &&
    ! grep -q '"timestamp":[23],"anomaly"' "$tmp/o.out"
ok $? "disk full: each point gets 'not stored: REASON', no verdict"
[ "$(sql "select count(*) from points where client_id = 'o1'")" = 1 ]
ok $? "disk full: nothing of them stored"

out=$(printf '%s\n' connect 'send {"client_id":"o2","window":4}' recv | ws 2>&1)
printf '%s\n' "$out" | grep -q '^close 1011 database error: .'
ok $? "disk full: a hello is closed with 1011 naming the cause"

sleep 0.5
room
printf '%s\n' 'send {"timestamp":4,"value":4}' recv >&3
waitfor "$tmp/o.out" '"timestamp":4,"anomaly"'
ok $? "space returns: the same connection gets verdicts again"
[ "$(sql "select group_concat(timestamp) from points where client_id = 'o1' order by n")" = 1,4 ]
ok $? "space returns: the points stored are exactly those acknowledged"
exec 3>&-
wait "$opid"

i=0
while [ $i -lt 600 ] && [ ! -s "$tmp/s.rc" ]; do
	sleep 0.1
	i=$((i + 1))
done
wait "$spid"
spid=
out=$(cat "$tmp/s.err")
[ "$(cat "$tmp/s.rc")" = 0 ] && [ "$(grep -c '^[0-9]' "$tmp/s.out")" = 3000 ]
ok $? "anomaly-send streamed through the full disk, 3000 verdicts, exit 0"
[ "$(sql "select count(*) || ' ' || count(distinct seq) || ' ' || max(seq) from points where client_id = 's'")" = "3000 3000 3000" ]
ok $? "anomaly-send: every row stored once"
cmp=$(python3 - "$db" "$tmp/ref.db" <<'PY'
import sqlite3, sys
q = ("select n, seq, timestamp, value, anomaly, alert, score, votes "
     "from points where client_id = 's' order by n")
a = sqlite3.connect(sys.argv[1]).execute(q).fetchall()
b = sqlite3.connect(sys.argv[2]).execute(q).fetchall()
print("same" if a == b and len(a) == 3000 else "differ")
PY
)
[ "$cmp" = same ]
ok $? "anomaly-send: the verdicts stored equal those of a run on a disk never full"

stop

# A full disk during pruning.  Client p streams 3000 points at 500/s, a
# snapshot every 50, with --retain 2s: from its third second on, the
# writer deletes what arrived 2 s before, up to the snapshot.  The disk
# fills once pruning runs and stays full until a step of it has failed.
rm -f "$db" "$db-wal" "$db-shm"
start --retain 2s --snapshot-every 50
# metric NAME: its value in /metrics
metric() {
	http_get "http://127.0.0.1:$port/metrics" | sed -n "s/^$1 //p"
}
# until_metric NAME: until NAME is above 0 (10 s at most)
until_metric() {
	i=0
	while [ $i -lt 200 ]; do
		[ "$(metric "$1")" -gt 0 ] 2>/dev/null && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}
(cd "$tmp" && "$send" --no-log -q -i p -w 100 --retries 20 --rate 500 \
    -u "ws://127.0.0.1:$port/ws" s.csv >p.out 2>p.err; echo $? >p.rc) &
spid=$!
until_metric anomalyd_points_pruned_total
full
until_metric anomalyd_prune_failures_total
s=$?
room
before=$(metric anomalyd_points_pruned_total)
out="pruned $before, failed $(metric anomalyd_prune_failures_total)"
[ $s -eq 0 ] && waitfor "$tmp/log" 'anomalyd: pruning: .*failed since start'
ok $? "disk full during pruning: the failed step is counted and logged ($out)"

i=0
while [ $i -lt 600 ] && [ ! -s "$tmp/p.rc" ]; do
	sleep 0.1
	i=$((i + 1))
done
wait "$spid"
spid=
i=0
while [ $i -lt 100 ] && [ "$(metric anomalyd_points_pruned_total)" -le \
    "$before" ]; do
	sleep 0.1
	i=$((i + 1))
done
after=$(metric anomalyd_points_pruned_total)
out="$(cat "$tmp/p.err"); pruned $before then $after"
[ "$(cat "$tmp/p.rc")" = 0 ] && [ "$after" -gt "$before" ]
ok $? "space returns: anomaly-send ends with exit 0, and pruning resumes ($out)"
stop

# what is stored: n from the oldest to 3000 without a gap, the oldest
# pruned, none after the last snapshot; counters and verdicts as on a
# disk never full
out=$(sql "SELECT min(n) > 1, count(*) = 3001 - min(n), max(n),
    min(n) <= (SELECT n FROM client_state WHERE client_id = 'p') + 1
    FROM points WHERE client_id = 'p'" | tr '\n' ' ')
[ "$out" = "1|1|3000|1 " ]
ok $? "no acknowledged point is lost: n from the oldest stored to 3000, the snapshot's after it ($out)"
cmp=$(python3 - "$db" "$tmp/ref.db" <<'PY'
import sqlite3, sys
a = sqlite3.connect(sys.argv[1])
b = sqlite3.connect(sys.argv[2])
c = a.execute("select points, anomalies, alerts from clients "
              "where client_id = 'p'").fetchone()
r = b.execute("select count(*), sum(anomaly), sum(alert) from points "
              "where client_id = 's'").fetchone()
lo = a.execute("select min(n) from points where client_id = 'p'").fetchone()[0]
q = ("select n, timestamp, value, anomaly, alert, score, votes from points "
     "where client_id = ? and n >= ? order by n")
pa = a.execute(q, ("p", lo)).fetchall()
pb = b.execute(q, ("s", lo)).fetchall()
print("same" if tuple(c) == tuple(r) and pa == pb and pa else
      "differ %s %s" % (c, r))
PY
)
out=$cmp
[ "$cmp" = same ]
ok $? "the counters and the stored verdicts equal those of a disk never full"
