#!/bin/sh
# send.sh: integration tests of anomaly-send against the real anomalyd
# (TAP).  Starts build/anomalyd on a free port with a temporary database,
# streams CSV through build/anomaly-send and checks the verdicts printed,
# the exit status and, with the sqlite3 CLI, what was stored.
# ANOMALYD and SEND name the binaries.
. tests/lib.sh
send=${SEND:-build/anomaly-send}
case $send in /*) ;; *) send=$PWD/$send ;; esac
keep_port=1

echo "1..71"


# stored ID: "rows distinct-seqs" stored for client ID.
stored() {
	sql "select count(*) || ' ' || count(distinct seq) from points
	    where client_id = '$1'"
}

# asend ARG...: anomaly-send to the test server, no log, from $tmp;
# stdout in $out, stderr in $tmp/err, status in $rc.
asend() {
	out=$(cd "$tmp" && "$send" -u "ws://127.0.0.1:$port/ws" "$@" \
	    2>"$tmp/err")
	rc=$?
}


start

# --- a file, then the same through a pipe: every row stored once
csv_series 500 >"$tmp/web-01.csv"
asend --no-log web-01.csv
ok $rc "a file: exit 0"
[ "$(stored web-01)" = "500 500" ]
ok $? "a file: every row stored once (client id from the file name)"
[ "$(printf '%s\n' "$out" | wc -l)" -eq 501 ] &&
    [ "$(printf '%s\n' "$out" | head -n 1)" = timestamp,value,anomaly,alert ] &&
    printf '%s\n' "$out" | grep -q '^1600005820,[0-9.]*,1,[01]$'
ok $? "a file: a header and one verdict line per row, the spike flagged"
[ "$(printf '%s\n' "$out" | awk -F, 'NR > 1 { a += $4 } END { print a }')" = \
    "$(sql "select alerts from clients where client_id = 'web-01'")" ] &&
    [ "$(sql "select alerts from clients where client_id = 'web-01'")" -ge 1 ]
ok $? "a file: the alert column holds the server's alerts"
grep -q 'web-01: 500 points, [1-9][0-9]* anomalies, [0-9]* alerts, 0 rejected rows' "$tmp/err"
ok $? "a file: the summary on stderr"

out=$(cd "$tmp" && csv_series 300 | "$send" -u "ws://127.0.0.1:$port/ws" \
    --no-log - 2>"$tmp/err")
rc=$?
ok $rc "a pipe: exit 0"
[ "$(stored stdin)" = "300 300" ] &&
    [ "$(printf '%s\n' "$out" | wc -l)" -eq 301 ]
ok $? "a pipe: client stdin, every row stored once, a verdict each"

# --- a Yahoo Finance download, -t Date -v Close
cat >"$tmp/AAPL.csv" <<'EOF'
Date,Open,High,Low,Close,Adj Close,Volume
2020-01-02,74.059998,75.150002,73.797501,75.087502,73.347923,135480400
2020-01-03,74.287498,75.144997,74.125000,74.357498,72.634842,146322800
2020-01-06,73.447502,74.989998,73.187500,74.949997,73.213608,118387200
2020-01-07,74.959999,75.224998,74.370003,74.597504,72.869301,108872000
EOF
asend --no-log -t Date -v Close AAPL.csv
[ $rc -eq 0 ] && [ "$(sql "select group_concat(timestamp || '=' || value, ' ')
    from points where client_id = 'AAPL'")" = "2020-01-02=75.087502 2020-01-03=74.357498 2020-01-06=74.949997 2020-01-07=74.597504" ]
ok $? "-t Date -v Close reads a Yahoo download, dates as strings"

# --- quoted fields, CRLF, a BOM, a comma inside a timestamp
printf '\357\273\277"value","timestamp"\r\n"1.5","a, ""quoted"" time"\r\n2.5,\r\n3.5,"b"\r\n' \
    >"$tmp/quoted.csv"
asend --no-log -i quoted quoted.csv
[ $rc -eq 3 ] &&
    [ "$(sql "select group_concat(timestamp || '=' || value, '|')
    from points where client_id = 'quoted'")" = 'a, "quoted" time=1.5|b=3.5' ] &&
    printf '%s\n' "$out" | grep -qx '"a, ""quoted"" time",1.5,0,0'
ok $? "quoted fields, CRLF and a BOM; the output quoted as CSV"
grep -q 'quoted.csv:3: empty timestamp' "$tmp/err"
ok $? "the row with an empty timestamp reported with its line number"

# --- bad rows: reported with line numbers, skipped, exit 3
{
	echo timestamp,value
	echo 1,10
	echo 2,abc
	echo 3
	echo 4,1e999
	echo 5,11
	printf '%070d,12\n' 6
	echo 7,13
} >"$tmp/bad.csv"
asend --no-log bad.csv
ok $(test $rc -eq 3; echo $?) "bad rows: exit 3"
grep -q '^anomaly-send: bad.csv:3: value is not a finite number' "$tmp/err" &&
    grep -q '^anomaly-send: bad.csv:4: no value column' "$tmp/err" &&
    grep -q '^anomaly-send: bad.csv:5: value is not a finite number' "$tmp/err" &&
    grep -q '^anomaly-send: bad.csv:7: timestamp over 64 bytes' "$tmp/err"
ok $? "bad rows: each reported with its line number"
[ "$(sql "select group_concat(timestamp, ' ') from points
    where client_id = 'bad'")" = "1 5 7" ] &&
    [ "$(stored bad)" = "3 3" ]
ok $? "bad rows: the good rows stored once each"

asend --no-log --fail-on-anomaly -i web-01 web-01.csv
ok $(test $rc -eq 4; echo $?) "--fail-on-anomaly: exit 4"
asend --no-log --fail-on-alert -i web-01b web-01.csv
ok $(test $rc -eq 4; echo $?) "--fail-on-alert: exit 4 when an alert was seen"
csv_series 40 >"$tmp/calm.csv"
asend --no-log --fail-on-alert calm.csv
ok $rc "--fail-on-alert: exit 0 without an alert (warm-up only)"
{ csv_series 500; echo 1600099999,abc; } >"$tmp/alertbad.csv"
asend --no-log --fail-on-alert alertbad.csv
ok $(test $rc -eq 4; echo $?) "--fail-on-alert with a rejected row: 4 wins over 3"

# --- --json
csv_series 100 >"$tmp/js.csv"
asend --no-log --json js.csv
[ $rc -eq 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 100 ] &&
    printf '%s\n' "$out" | python3 -c 'import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert [r["seq"] for r in rows] == list(range(1, 101))
assert rows[0]["warmup"] is True and rows[0]["timestamp"] == 1600000060
last = rows[96]
assert last["anomaly"] == 1 and last["alert"] in (0, 1), last
assert sum(r["alert"] for r in rows) >= 1
assert set(last["votes"]) == {"zscore", "iqr", "ewma", "ma", "iforest",
    "spatial", "novelty", "novelty_long"}
assert all(v in (0, 1) for r in rows for v in r.get("votes", {}).values())
assert 0 < last["score"] <= 1'
ok $? "--json: one object per verdict with seq, score, votes, alert"

# --- the log
csv_series 20 >"$tmp/logged.csv"
asend --log-dir logs2 logged.csv
[ $rc -eq 0 ] && [ -f "$tmp/logs2/logged.log" ] &&
    grep -q '^[0-9-]*T[0-9:.]*Z < {"ready":true' "$tmp/logs2/logged.log" &&
    grep -q '^[0-9-]*T[0-9:.]*Z > \[{"seq":1,"timestamp":1600000060,' "$tmp/logs2/logged.log" &&
    grep -q '^[0-9-]*T[0-9:.]*Z < \[{"seq":1,' "$tmp/logs2/logged.log"
ok $? "the log: ISO time, > and <, the JSON"
asend logged.csv
[ $rc -eq 0 ] && [ -s "$tmp/logs/logged.log" ]
ok $? "the log goes to logs/CLIENT_ID.log by default"

# --- usage errors and a server that is not there
asend --no-such-option x.csv
[ $rc -eq 2 ] && [ "$(cat "$tmp/err")" = "anomaly-send: unknown option --no-such-option
try 'anomaly-send --help'" ]
ok $? "a bad option: exit 2, one line naming it and a hint, not the usage"
asend -w 2 x.csv
ok $(test $rc -eq 2; echo $?) "a bad window: exit 2"
dead=$(free_port)
out=$(cd "$tmp" && "$send" --no-log --retries 0 -u "ws://127.0.0.1:$dead/ws" \
    web-01.csv 2>&1)
rc=$?
[ $rc -eq 1 ] && printf '%s\n' "$out" | grep -q "ws://127.0.0.1:$dead/ws"
ok $? "nothing listening: exit 1 naming the URL"

# --- issue 14 item 8: URL forms; a refused first connection fails at once
csv_series 30 >"$tmp/url1.csv"
asend --no-log -i url1 -u "127.0.0.1:$port" url1.csv
ok $(test $rc -eq 0 && test "$(stored url1)" = "30 30"; echo $?) \
    "-u HOST:PORT: no scheme, no path means ws://HOST:PORT/ws"
asend --no-log -i url2 -u "ws://127.0.0.1:$port" url1.csv
ok $(test $rc -eq 0 && test "$(stored url2)" = "30 30"; echo $?) \
    "-u ws://HOST:PORT without a path means /ws"
out=$(cd "$tmp" && "$send" --no-log -u "ws://127.0.0.1:$dead/ws" web-01.csv \
    2>"$tmp/err")
rc=$?
[ $rc -eq 1 ] && [ "$(cat "$tmp/err")" = \
    "anomaly-send: cannot connect to ws://127.0.0.1:$dead/ws: connection refused" ]
ok $? "connection refused: one clear line, exit 1, no retries (default --retries 5)"
asend --no-log -u "ws://127.0.0.1:$port/nope" -i nope url1.csv
[ $rc -eq 1 ] && grep -q "cannot connect to ws://127.0.0.1:$port/nope: no WebSocket endpoint" "$tmp/err" &&
    ! grep -q reconnecting "$tmp/err"
ok $? "a wrong path: fails at once, saying there is no WebSocket there"

# --- kill -9 and restart of the server mid-stream, with --retries
csv_series 100000 >"$tmp/long.csv"
(cd "$tmp" && exec "$send" -u "ws://127.0.0.1:$port/ws" --no-log \
    --retries 20 long.csv >"$tmp/long.out" 2>"$tmp/err") &
spid=$!
i=0
while [ $i -lt 200 ]; do
	c=$(sql "select count(*) from points where client_id = 'long'" 2>/dev/null)
	[ "${c:-0}" -gt 5000 ] && break
	sleep 0.05
	i=$((i + 1))
done
kill -9 "$pid"
wait "$pid" 2>/dev/null
pid=
start
i=0
while [ $i -lt 600 ] && kill -0 "$spid" 2>/dev/null; do
	sleep 0.05
	i=$((i + 1))
done
wait "$spid"
rc=$?
spid=
out=$(tail -n 3 "$tmp/err")
ok $rc "kill -9 mid-stream: anomaly-send reconnects and exits 0"
[ "$(stored long)" = "100000 100000" ] &&
    [ "$(sql "select min(seq) || ' ' || max(seq) from points
    where client_id = 'long'")" = "1 100000" ]
ok $? "kill -9 mid-stream: every row stored exactly once"
[ "$(wc -l <"$tmp/long.out")" -eq 100001 ] &&
    [ "$(tail -n +2 "$tmp/long.out" | cut -d, -f1 | sort -u | wc -l)" -eq 100000 ]
ok $? "kill -9 mid-stream: a verdict printed for every row"
grep -q 'reconnecting' "$tmp/err"
ok $? "kill -9 mid-stream: the reconnect is reported"

# --- --wait: the first connection is retried while the server starts
stop
csv_series 20 >"$tmp/waited.csv"
(cd "$tmp" && exec "$send" -u "ws://127.0.0.1:$port/ws" --no-log --wait \
    --retries 40 waited.csv >"$tmp/waited.out" 2>"$tmp/err") &
spid=$!
waitfor "$tmp/err" "reconnecting"
start
i=0
while [ $i -lt 400 ] && kill -0 "$spid" 2>/dev/null; do
	sleep 0.05
	i=$((i + 1))
done
wait "$spid"
rc=$?
spid=
ok $(test $rc -eq 0 && test "$(stored waited)" = "20 20"; echo $?) \
    "--wait: retries the first connection until the server is up"

# --- issue 14 item 6: the input checked before connecting
cp "$tmp/AAPL.csv" "$tmp/AAPL2.csv"
asend --no-log -t Date -v Closee AAPL2.csv
[ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
    grep -q "AAPL2.csv: line 1: no value column named 'Closee'; the columns are 'Date', 'Open', 'High', 'Low', 'Close', 'Adj Close', 'Volume'" "$tmp/err"
ok $? "-v Closee: exit 2, one error listing the columns"
asend --no-log -t 9 AAPL2.csv
[ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
    grep -q "timestamp column 9: the header has 7 columns" "$tmp/err"
ok $? "-t 9 on 7 columns: one error, not one per row"
asend --no-log missing.csv
ok $(test $rc -eq 1 && grep -q "missing.csv: No such file" "$tmp/err"; echo $?) \
    "a missing file: exit 1, said"
mkdir "$tmp/adir"
asend --no-log adir
ok $(test $rc -eq 1 && grep -q "adir: is a directory" "$tmp/err"; echo $?) \
    "a directory: exit 1, said"
printf 'timestamp,value\n1,2\n' | (cd "$tmp" && "$send" --no-log \
    -u "ws://127.0.0.1:$port/ws" -v nosuch -i piped - 2>"$tmp/err")
ok $(test $? -eq 2 && grep -q "no value column named 'nosuch'" "$tmp/err"; echo $?) \
    "a misspelt column on stdin: exit 2 before connecting"
[ "$(sql "select count(*) from clients where client_id in
    ('AAPL2', 'missing', 'adir', 'piped')")" = 0 ] &&
    ! http_get "http://127.0.0.1:$port/api/clients" | grep -q '"AAPL2"'
ok $? "none of these mistakes left a client on the server"

# --- issue 14 item 7: guesses, said on stderr
asend --no-log -i yahoo AAPL.csv
[ $rc -eq 0 ] && [ "$(sql "select group_concat(value, ' ') from points
    where client_id = 'yahoo'")" = "73.347923 72.634842 73.213608 72.869301" ] &&
    grep -q "taking 'Adj Close' (column 6) as the value" "$tmp/err" &&
    grep -q "taking 'Date' (column 1) as the timestamp" "$tmp/err"
ok $? "a Yahoo download without -v: Adj Close, said on stderr"
printf '1600000060,10\n1600000120,11\n1600000180,12\n' >"$tmp/nohead.csv"
asend --no-log nohead.csv
[ $rc -eq 0 ] && [ "$(stored nohead)" = "3 3" ] &&
    grep -q "nohead.csv: no header: the first row holds only numbers" "$tmp/err"
ok $? "a headerless file: its first row is data, said so"
printf 'time,value\n1600000060123,10\n1600000120000,11\n' >"$tmp/millis.csv"
asend --no-log millis.csv
[ $rc -eq 0 ] && [ "$(sql "select group_concat(timestamp || '/' || t_ms, ' ')
    from points where client_id = 'millis'")" = "1600000060.123/1600000060123 1600000120/1600000120000" ] &&
    [ "$(grep -c 'epoch milliseconds: sent as seconds' "$tmp/err")" -eq 1 ]
ok $? "epoch milliseconds: sent as seconds, said once"
printf 'step,value\n1,5\n2,6\n3,7\n' >"$tmp/steps.csv"
asend --no-log steps.csv
[ $rc -eq 0 ] && [ "$(sql "select group_concat(typeof(timestamp) || ':' ||
    timestamp || ':' || ifnull(t_ms, 'null'), ' ') from points
    where client_id = 'steps'")" = "integer:1:null integer:2:null integer:3:null" ] &&
    http_get "http://127.0.0.1:$port/api/clients/steps/points" |
    python3 -c 'import json, sys
p = json.load(sys.stdin)
assert [x["timestamp"] for x in p] == [1, 2, 3], p
assert all(x["t_ms"] is None for x in p), p' &&
    grep -q "taken as sequence numbers" "$tmp/err"
ok $? "a step column 1,2,3: sent as numbers, stored without a time (the chart uses n)"

# --- issue 14 item 5: time going backwards, said once with the lines
printf 'timestamp,value\n10,1\n20,2\n15,3\n12,4\n30,5\n' >"$tmp/back.csv"
asend --no-log -i back back.csv
[ $rc -eq 0 ] && [ "$(grep -c 'goes back' "$tmp/err")" -eq 1 ] &&
    grep -q "back.csv:4: timestamp 15 goes back from 20" "$tmp/err"
ok $? "timestamps going backwards: warned once, with the line and both values"

# --- issue 14 item 9: the progress bar never mixes with the verdicts
csv_series 3000 >"$tmp/bar.csv"
(cd "$tmp" && script -qc "'$send' --no-log -u ws://127.0.0.1:$port/ws \
    -i bar1 --inflight 1 bar.csv" /dev/null >"$tmp/bar1.tty" 2>&1)
(cd "$tmp" && script -qc "'$send' --no-log -u ws://127.0.0.1:$port/ws \
    -i bar2 --inflight 1 bar.csv >bar2.out" /dev/null >"$tmp/bar2.tty" 2>&1)
out=$(grep -c '\[#' "$tmp/bar1.tty")
[ "$(tr -d '\r' <"$tmp/bar1.tty" | grep -c '^16[0-9]*,[0-9.]*,[01],[01]$')" -eq 3000 ] &&
    ! grep -q '%.*points' "$tmp/bar1.tty"
ok $? "verdicts on the terminal: clean lines, no progress bar"
grep -q '\] *[0-9]*% [0-9]* points' "$tmp/bar2.tty" &&
    [ "$(wc -l <"$tmp/bar2.out")" -eq 3001 ]
ok $? "verdicts to a file: the progress bar on the terminal"

# --- pacing: --rate, --realtime --speed
# elapsed ARG...: asend, with the time it took in ms in $ms.
elapsed() {
	t0=$(date +%s%N)
	asend "$@"
	ms=$((($(date +%s%N) - t0) / 1000000))
}
csv_series 100 >"$tmp/rate.csv"
elapsed --no-log --rate 200 rate.csv
[ $rc -eq 0 ] && [ "$(stored rate)" = "100 100" ] &&
    [ $ms -ge 400 ] && [ $ms -le 2000 ]
ok $? "--rate 200: 100 rows in 0.4 to 2 s ($ms ms)"
csv_series 20 >"$tmp/rt.csv"
elapsed --no-log --realtime --speed 600 rt.csv
[ $rc -eq 0 ] && [ "$(stored rt)" = "20 20" ] &&
    [ $ms -ge 1500 ] && [ $ms -le 4000 ]
ok $? "--realtime --speed 600: rows a minute apart, ~10 a second ($ms ms)"
printf 'timestamp,value\n1,1\nnot a time,2\n2,3\n' >"$tmp/rtbad.csv"
asend --no-log --realtime --speed 1000 rtbad.csv
[ $rc -eq 3 ] && grep -q 'rtbad.csv:3: timestamp is neither' "$tmp/err" &&
    [ "$(stored rtbad)" = "2 2" ]
ok $? "--realtime: a row whose timestamp is no time is rejected"

# --- --loop: dates shifted by span + median step on each lap, until SIGTERM
printf 'timestamp,value\n2014-07-01 00:00:00,1\n2014-07-01 00:01:00,2\n2014-07-01 00:02:00,3\n2014-07-01 00:03:00,2\n2014-07-01 00:04:00,1\n' \
    >"$tmp/lap.csv"
(cd "$tmp" && exec "$send" -u "ws://127.0.0.1:$port/ws" --no-log \
    --rate 100 --loop lap.csv >"$tmp/lap.out" 2>"$tmp/err") &
spid=$!
i=0
while [ $i -lt 200 ]; do
	c=$(sql "select count(*) from points where client_id = 'lap'" 2>/dev/null)
	[ "${c:-0}" -ge 12 ] && break
	sleep 0.05
	i=$((i + 1))
done
kill -TERM "$spid"
wait "$spid"
rc=$?
spid=
ok $rc "--loop: SIGTERM ends it cleanly, exit 0"
out=$(sql "select seq || ' ' || timestamp from points where client_id = 'lap'
    order by seq")
printf '%s\n' "$out" | awk 'BEGIN { e = 1 }
	$2 !~ /^2014-07-01$/ || $3 !~ /^[0-2][0-9]:[0-5][0-9]:00$/ { exit 1 }
	NR > 1 && ($1 != ps + 1 || $2 " " $3 <= pt) { exit 1 }
	{ ps = $1; pt = $2 " " $3 }
	END { exit NR < 12 }' &&
    printf '%s\n' "$out" | grep -qx '6 2014-07-01 00:05:00' &&
    printf '%s\n' "$out" | grep -qx '11 2014-07-01 00:10:00'
ok $? "--loop: timestamps increase across laps in the input's format, seq rises"
grep -q 'lap: [0-9]* points, .* 0 rejected rows' "$tmp/err"
ok $? "--loop: the summary printed after SIGTERM"

# --- issue 14 item 8: a --loop lap goes on from the last level
awk 'BEGIN { print "timestamp,value"
	for (i = 0; i < 200; i++)
		printf "%d,%.1f\n", 1600000000 + 60 * i,
		    (i < 100 ? 100 : 200) + (i * 7919 % 13) / 10 }' >"$tmp/seam.csv"
(cd "$tmp" && exec "$send" -u "ws://127.0.0.1:$port/ws" --no-log -w 40 \
    --rate 2000 --loop seam.csv >/dev/null 2>"$tmp/err") &
spid=$!
i=0
while [ $i -lt 200 ]; do
	c=$(sql "select count(*) from points where client_id = 'seam'" 2>/dev/null)
	[ "${c:-0}" -ge 620 ] && break
	sleep 0.05
	i=$((i + 1))
done
kill -TERM "$spid"
wait "$spid"
spid=
out=$(sql "select n || ':' || anomaly || ':' || value from points
    where client_id = 'seam' and n in (101, 201, 301, 401, 601)")
[ "$(printf '%s\n' "$out" | cut -d: -f1,2 | tr '\n' ' ')" = \
    "101:1 201:0 301:1 401:0 601:0 " ] &&
    printf '%s\n' "$out" | awk -F: '$1 == 201 && $3 > 190 { f = 1 } END { exit !f }'
ok $? "--loop: the seam of each lap is no anomaly, the level goes on"

# --- usage errors of the pacing options
asend --rate 10 --realtime x.csv
[ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 2 ] &&
    grep -q "^anomaly-send: --rate and --realtime exclude each other$" "$tmp/err" &&
    grep -qx "try 'anomaly-send --help'" "$tmp/err"
ok $? "--rate with --realtime: exit 2, the problem and a hint"
asend --speed 2 x.csv
ok $(test $rc -eq 2; echo $?) "--speed without --realtime: exit 2"
asend --loop - </dev/null
ok $(test $rc -eq 2; echo $?) "--loop with stdin: exit 2"
asend --rate 0 x.csv
ok $(test $rc -eq 2; echo $?) "--rate 0: exit 2"

# --- issue 14 item 5: --resume from the server's last stored timestamp
# (needs anomalyd's ready.last_timestamp, from the server's branch)
csv_series 300 >"$tmp/res.csv"
asend --no-log -i res --resume res.csv
ok $(test $rc -eq 0 && test "$(stored res)" = "300 300" &&
    grep -q "res: --resume: 0 rows skipped" "$tmp/err"; echo $?) \
    "--resume on a new client: every row sent"
asend --no-log -i res --resume res.csv
ok $(test $rc -eq 0 && test "$(stored res)" = "300 300" &&
    grep -q "res: --resume: 300 rows skipped, at or before the last stored timestamp (1600018000)" "$tmp/err"; echo $?) \
    "--resume: the same file again stores nothing twice, says what it skipped"
csv_series 350 >"$tmp/res.csv"
asend --no-log -i res --resume res.csv
ok $(test $rc -eq 0 && test "$(stored res)" = "350 350" &&
    test "$(sql "select count(distinct timestamp) from points
    where client_id = 'res'")" = 350; echo $?) \
    "--resume: a grown file sends only its new rows"
asend --no-log -i yahoo -t Date -v 'Adj Close' --resume AAPL.csv
ok $(test $rc -eq 0 && test "$(stored yahoo)" = "4 4" &&
    grep -q "4 rows skipped" "$tmp/err"; echo $?) \
    "--resume: dates compared by their time"
printf 'timestamp,value\nnot a time,1\n' >"$tmp/free.csv"
asend --no-log -i free free.csv
asend --no-log -i free --resume free.csv
ok $(test $rc -eq 1 && grep -q "cannot resume" "$tmp/err" &&
    test "$(stored free)" = "1 1"; echo $?) \
    "--resume: free text cannot be compared: exit 1, nothing sent"
# anomaly-send(1)'s cron example, run twice: the second run sends the new
# rows only and does not fail
awk -v n=4060 'BEGIN { print "timestamp,value"
	for (i = 1; i <= n; i++)
		printf "%d,%.3f\n", 1600000000 + 60 * i,
		    50 + 10 * sin(i * 0.3) }' >"$tmp/metrics-all.csv"
head -n 4001 "$tmp/metrics-all.csv" >"$tmp/metrics.csv"
cron() {
	(cd "$tmp" && tail -n 3600 metrics.csv | "$send" -u "ws://127.0.0.1:$port/ws" \
	    -q -i web01 --resume --fail-on-anomaly 2>"$tmp/err" ||
	    echo "anomaly in web01")
}
out=$(cron)
rc1=$out
cp "$tmp/metrics-all.csv" "$tmp/metrics.csv"
out=$(cron)
[ -z "$rc1" ] && [ -z "$out" ] && [ "$(stored web01)" = "3660 3660" ] &&
    [ "$(sql "select count(distinct timestamp) from points
    where client_id = 'web01'")" = 3660 ] && grep -q "3540 rows skipped" "$tmp/err"
ok $? "the man page's cron example works on its second run"

# --- a server that wants a token: sent in the settings message, never the URL
stop
printf 's3cret\n' >"$tmp/tok"
printf 'wrong\n' >"$tmp/bad"
start --token-file "$tmp/tok"
printf 'timestamp,value\n1,2\n2,3\n' >"$tmp/tok.csv"
asend --token-file "$tmp/tok" -i tokened "$tmp/tok.csv"
ok $(test $rc -eq 0 && test "$(stored tokened)" = "2 2"; echo $?) \
    "--token-file: accepted, every row stored once"
asend --token-file "$tmp/bad" -i badtoken "$tmp/tok.csv"
ok $(test $rc -eq 1 && grep -q 4003 "$tmp/err" &&
    test "$(stored badtoken)" = "0 0"; echo $?) \
    "a wrong token: exit 1 naming 4003, nothing stored"
asend -i notoken "$tmp/tok.csv"
ok $(test $rc -eq 1 && grep -q 4003 "$tmp/err"; echo $?) \
    "no token: exit 1 naming 4003"

# --- issue 14 item 5: --delete, through DELETE /api/clients/ID with the
# token (needs the server's branch)
asend --delete -i tokened
ok $(test $rc -eq 1 && grep -q "cannot delete tokened: 401" "$tmp/err"; echo $?) \
    "--delete without the token: 401, exit 1"
asend --delete -i tokened --token-file "$tmp/bad"
ok $(test $rc -eq 1 && grep -q "cannot delete tokened: 401" "$tmp/err" &&
    test "$(stored tokened)" = "2 2"; echo $?) \
    "--delete with a wrong token: 401, exit 1, nothing deleted"
asend --delete -i nosuch --token-file "$tmp/tok"
ok $(test $rc -eq 1 && grep -q "cannot delete nosuch: 404" "$tmp/err"; echo $?) \
    "--delete of an unknown client: 404, exit 1"
printf 'timestamp,value\n1600000060,1\n1600000120,2\n' >"$tmp/busy.csv"
(cd "$tmp" && exec "$send" -u "ws://127.0.0.1:$port/ws" --no-log -q \
    --token-file "$tmp/tok" --rate 20 --loop busy.csv 2>/dev/null) &
spid=$!
i=0
while [ $i -lt 100 ]; do
	c=$(sql "select count(*) from points where client_id = 'busy'" 2>/dev/null)
	[ "${c:-0}" -ge 1 ] && break
	sleep 0.05
	i=$((i + 1))
done
asend --delete -i busy --token-file "$tmp/tok"
ok $(test $rc -eq 1 && grep -q "cannot delete busy: 409 the client is connected: the client is connected: stop its sender, then delete$" "$tmp/err"; echo $?) \
    "--delete of a connected client: 409, exit 1, the server's reason read from its JSON"
kill -TERM "$spid"
wait "$spid"
spid=
asend --delete -i tokened --token-file "$tmp/tok"
[ $rc -eq 0 ] && [ "$out" = "deleted client tokened and its 2 points" ] &&
    [ "$(stored tokened)" = "0 0" ] &&
    [ "$(sql "select count(*) from clients where client_id = 'tokened'")" = 0 ]
ok $? "--delete: the client and its points are gone, exit 0"
asend --delete x.csv
ok $(test $rc -eq 2 && grep -q "needs -i" "$tmp/err"; echo $?) \
    "--delete without -i: usage error"
