#!/bin/sh
# retain.sh: --retain and --retain-points (anomalyd(8)), TAP.  Pruning
# drops old points but never those after a client's last snapshot (what a
# restart replays): the counters keep every point, the API says which
# range is stored, a hello with other settings is refused (4001) before
# they are stored, a restart after pruning judges the next points as a run
# that was never pruned nor stopped, the file stops growing, a v3
# database is migrated to incremental auto-vacuum, and a bad value is a
# usage error.  Waits are on conditions with deadlines.
. tests/lib.sh
send=${SEND:-build/anomaly-send}
keep_port=1
opts="--snapshot-every 97 --batch-ms 2"

echo "1..17"

# usage errors
for a in "--retain 5x" "--retain x" "--retain 0" "--retain-points 0" \
    "--retain-points many" "--retain 12hh"; do
	"$anomalyd" $a -d "$tmp/u.db" >/dev/null 2>"$tmp/err"
	[ $? -eq 2 ] && grep -q "anomalyd: --retain.*try 'anomalyd --help'" \
	    "$tmp/err" || { out="$a"; break; }
	out=
done
[ ! -e "$tmp/u.db" ] && [ -z "$out" ]
ok $? "an unparsable --retain or --retain-points exits 2 with usage"

# the stream: c1, 4000 points in two halves
csv_series 4000 >"$tmp/all.csv"
head -n 3001 "$tmp/all.csv" >"$tmp/h1.csv"
{ echo "timestamp,value"; tail -n 1000 "$tmp/all.csv"; } >"$tmp/h2.csv"

# sendf FILE: FILE as client c1
sendf() {
	"$send" --no-log -i c1 -w 100 --inflight 64 -u "ws://127.0.0.1:$port/ws" "$1" \
	    >/dev/null 2>"$tmp/err"
}

# until_sql QUERY VALUE: until QUERY answers VALUE (10 s at most)
until_sql() {
	i=0
	while [ $i -lt 200 ]; do
		[ "$(sql "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# the reference: all 4000 points, never pruned nor stopped
start $opts
sendf "$tmp/all.csv"
stop
mv "$db" "$tmp/ref.db"
rm -f "$db-wal" "$db-shm"
refsql() { sqlite3 "$tmp/ref.db" "$1"; }

# the first half with --retain-points 50: the points after the snapshot
# stay (a restart replays them), which here is the last one's: a client
# that leaves has a snapshot

port=
start $opts --retain-points 50
sendf "$tmp/h1.csv"
until_sql "SELECT min(n) FROM points WHERE client_id = 'c1'" 2951
ok $? "--retain-points 50 drops the points before the last 50 (oldest n 2951)"
out=$(sql "SELECT count(*), max(n) FROM points")
[ "$out" = "50|3000" ]
ok $? "the newest points are kept: 50 stored, up to n 3000 ($out)"
out=$(sql "SELECT points, anomalies, alerts FROM clients WHERE client_id = 'c1'")
want=$(refsql "SELECT 3000, count(*) FILTER (WHERE anomaly = 1),
    count(*) FILTER (WHERE alert = 1) FROM points WHERE n <= 3000")
[ "$out" = "$want" ]
ok $? "the counters keep every point ($out, unpruned $want)"
out=$(http_get "http://127.0.0.1:$port/api/clients/c1")
printf '%s' "$out" | grep -q '"oldest_n":2951'
ok $? "/api/clients/c1 says the stored range starts at n 2951"
out=$(http_get "http://127.0.0.1:$port/clients/c1")
printf '%s' "$out" | grep -q "stored from n = 2951"
ok $? "the client page says which points are stored"

# other settings would replay the whole history: refused at the hello,
# before they are stored, so that the stored ones still work
"$send" --no-log -i c1 -w 200 -u "ws://127.0.0.1:$port/ws" "$tmp/h2.csv" \
    >/dev/null 2>"$tmp/err"
rc=$?
out=$(cat "$tmp/err")
[ $rc -eq 1 ] && grep -q 'closed by the server with 4001 (URL: settings differ from the stored ones and points before n = 2951 were pruned' "$tmp/err"
ok $? "a hello with another window after pruning: 4001 naming why, anomaly-send stops"
out=$(sql "SELECT window, points FROM clients WHERE client_id = 'c1'")
[ "$out" = "100|3000" ] && grep -q 'client c1: hello from .* with other settings refused: its points before n = 2951 were pruned' "$tmp/log"
ok $? "the stored settings and points stay as they were, the log says why ($out)"
stop

# restart (with retention), the second half: the verdicts equal the
# uninterrupted run's.  Keeping the last 1000 points, pruning can never
# take one of the second half before they are compared (with 50 it
# could, while anomaly-send still ran)
start $opts --retain-points 1000
sendf "$tmp/h2.csv"
q="SELECT n, anomaly, alert, printf('%.9g', score), votes FROM points
    WHERE n > 3000 ORDER BY n"
sql "$q" >"$tmp/got"
refsql "$q" >"$tmp/want"
out=$(wc -l <"$tmp/got")
[ "$out" -eq 1000 ] && cmp -s "$tmp/got" "$tmp/want"
ok $? "after pruning, a restart judges the next 1000 points as the uninterrupted run"
until_sql "SELECT min(n) FROM points" 3001
ok $? "pruning goes on after the restart (oldest n 3001: the last 1000)"
stop

# --retain: by arrival time.  Points with timestamps of 2020 arrive now:
# none is older than an hour, none is dropped
start $opts --retain 1h
sleep 1.5
out=$(sql "SELECT min(n) FROM points")
[ "$out" = 3001 ]
ok $? "--retain 1h keeps points that arrived now, whatever their timestamp"
stop
start $opts --retain 1s
until_sql "SELECT count(*) FROM points WHERE n <= (SELECT n FROM client_state)" 0
s=$?
out=$(sql "SELECT count(*) = 4000 - (SELECT n FROM client_state) FROM points")
[ $s -eq 0 ] && [ "$out" = 1 ]
ok $? "--retain 1s drops what arrived over a second ago, up to the snapshot"
stop

# a snapshot that cannot be used (here one of another format, as after an
# upgrade that changed it) needs the pruned history: the hello is refused
# for good (4001, no retry), and nothing is stored
sql "UPDATE client_state SET format = format + 1000"
start $opts
sendf "$tmp/h2.csv"
rc=$?
out=$(cat "$tmp/err")
[ $rc -eq 1 ] && grep -q 'closed by the server with 4001 (its snapshot cannot be used and points before n = [0-9]* were pruned: delete the client)' "$tmp/err" &&
    [ "$(sql "SELECT points FROM clients")" = 4000 ]
ok $? "a snapshot that cannot be used after pruning: 4001 naming why, nothing stored"
stop

# the file stops growing: 3 rounds of 30000 points with --retain-points 100
rm -f "$db" "$db-wal" "$db-shm"
csv_series 30000 >"$tmp/big.csv"
sizes=
r=0
while [ $r -lt 3 ]; do
	r=$((r + 1))
	start --snapshot-every 1000 --batch-ms 2 --retain-points 100
	sendf "$tmp/big.csv"
	until_sql "SELECT count(*) FROM points" 100
	s=$?
	stop
	sizes="$sizes $(wc -c <"$db")"
	[ $s -eq 0 ] || break
done
set -- $sizes
echo "# file sizes after 30000, 60000, 90000 points: $sizes bytes"
[ $# -eq 3 ] && [ "$3" -le $(($1 + $1 / 4)) ]
ok $? "the file size levels off ($sizes bytes)"
out=$(sql "PRAGMA auto_vacuum")
[ "$out" = 2 ]
ok $? "a new database is incrementally auto-vacuumed"
out=$(sql "SELECT points FROM clients")
[ "$out" = 90000 ]
ok $? "the counter says 90000 points ($out)"

# a v3 database (no auto-vacuum) is migrated to v4
sql "PRAGMA auto_vacuum = 0; VACUUM; PRAGMA user_version = 3"
start
out=$(sql "PRAGMA user_version; PRAGMA auto_vacuum; SELECT count(*) FROM points" | tr '\n' ' ')
stop
[ "$out" = "4 2 100 " ]
ok $? "a v3 database becomes v4 with incremental auto-vacuum, its points kept ($out)"
