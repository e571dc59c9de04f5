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

echo "1..36"


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
    [ "$(printf '%s\n' "$out" | head -n 1)" = timestamp,value,anomaly ] &&
    printf '%s\n' "$out" | grep -q '^1600005820,[0-9.]*,1$'
ok $? "a file: a header and one verdict line per row, the spike flagged"
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
    printf '%s\n' "$out" | grep -qx '"a, ""quoted"" time",1.5,0'
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
ok $(test $rc -eq 2 && grep -q usage "$tmp/err"; echo $?) "a bad option: exit 2 with the usage"
asend -w 2 x.csv
ok $(test $rc -eq 2; echo $?) "a bad window: exit 2"
dead=$(free_port)
out=$(cd "$tmp" && "$send" --no-log --retries 0 -u "ws://127.0.0.1:$dead/ws" \
    web-01.csv 2>&1)
rc=$?
[ $rc -eq 1 ] && printf '%s\n' "$out" | grep -q "ws://127.0.0.1:$dead/ws"
ok $? "nothing listening: exit 1 naming the URL"

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

# --- usage errors of the pacing options
asend --rate 10 --realtime x.csv
ok $(test $rc -eq 2 && grep -q usage "$tmp/err"; echo $?) "--rate with --realtime: exit 2"
asend --speed 2 x.csv
ok $(test $rc -eq 2; echo $?) "--speed without --realtime: exit 2"
asend --loop - </dev/null
ok $(test $rc -eq 2; echo $?) "--loop with stdin: exit 2"
asend --rate 0 x.csv
ok $(test $rc -eq 2; echo $?) "--rate 0: exit 2"

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
