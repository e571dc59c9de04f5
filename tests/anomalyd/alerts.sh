#!/bin/sh
# alerts.sh: alert delivery (TAP).  --on-alert runs its command once per
# committed alert with the alert in the environment only (hostile
# timestamps and ids run nothing), counts a non-zero exit, kills a hanging
# command at --on-alert-timeout; --webhook POSTs every alert exactly once,
# in order per client, to a local receiver (hookrecv.py), and one that was
# down for 10 s gets the backlog afterwards; bad options exit 2.
. tests/lib.sh

echo "1..9"

# metric NAME: the value of the /metrics line starting with NAME.
metric() {
	http_get "http://127.0.0.1:$port/metrics" |
	    awk -v m="$1" 'index($0, m " ") == 1 { print $NF }'
}

# until_true SECONDS COMMAND...: polls COMMAND every 0.1 s until it
# succeeds; fails after SECONDS.
until_true() {
	d=$(($1 * 10))
	shift
	while [ "$d" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		d=$((d - 1))
	done
	return 1
}

# metric_is NAME OP VALUE: test(1) of the metric NAME against VALUE.
metric_is() {
	test "$(metric "$1")" "$2" "$3"
}

# gone PID: no such process, or a zombie.
gone() {
	st=$(ps -o stat= -p "$1" 2>/dev/null)
	[ -z "$st" ] || [ "${st#Z}" != "$st" ]
}

# receiver PORTFILE OUT [PORT]: hookrecv.py in the background ($rpid).
receiver() {
	rm -f "$1"
	PORT=${3:-0} python3 tests/anomalyd/hookrecv.py "$1" "$2" &
	rpid=$!
	spid=$rpid	# tests/lib.sh's cleanup kills it
	until_true 5 test -s "$1"
}

# lines FILE N: FILE has N lines at least.
lines() {
	[ "$(cat "$1" 2>/dev/null | wc -l)" -ge "$2" ]
}

# pairs: "client,n" of the alerts stored, in order of n per client.
pairs() {
	"${EXPORT:-build/anomaly-export}" -d "$db" -A |
	    awk -F, 'NR > 1 { print $1 "," $2 }' | sort -t, -k1,1 -k2,2n
}

# per_client FILE: the "client,n" lines of FILE grouped by client, each
# client's lines kept in the order they came.
per_client() {
	sort -s -t, -k1,1 "$1"
}

send="${SEND:-build/anomaly-send}"

# --- bad options: exit 2 -------------------------------------------------
"$anomalyd" -l 127.0.0.1:1 -d "$tmp/no.db" --on-alert /nonexistent/notify \
    2>"$tmp/err"
r1=$?
"$anomalyd" -l 127.0.0.1:1 -d "$tmp/no.db" --webhook ftp://127.0.0.1/x \
    2>>"$tmp/err"
r2=$?
"$anomalyd" -l 127.0.0.1:1 -d "$tmp/no.db" --webhook 127.0.0.1:80 \
    2>>"$tmp/err"
r3=$?
out="$r1 $r2 $r3"
[ "$out" = "2 2 2" ] && grep -q 'nonexistent/notify' "$tmp/err" &&
    [ ! -e "$tmp/no.db" ]
ok $? "a missing --on-alert command, a webhook URL not http(s): exit 2"

# --- every alert once, in order, by both; hostile input -------------------
cat >"$tmp/hook.sh" <<'HOOK'
#!/bin/sh
# one line per alert, the values as they are
printf '%s,%s,%s,%s,%s,%s\n' "$ANOMALY_CLIENT_ID" "$ANOMALY_N" \
    "$ANOMALY_TIMESTAMP" "$ANOMALY_VALUE" "$ANOMALY_DETECTORS" \
    "$ANOMALY_URL" >>"$ALERTS_OUT"
HOOK
chmod +x "$tmp/hook.sh"
mkdir "$tmp/cwd"
ALERTS_OUT=$tmp/cmd.out
export ALERTS_OUT
receiver "$tmp/rport" "$tmp/posts"
# the command runs in $tmp/cwd, where a hostile timestamp would create files
start --alert vote --on-alert "cd '$tmp/cwd' && '$tmp/hook.sh'" \
    --on-alert-jobs 1 --webhook "http://127.0.0.1:$(cat "$tmp/rport")/hook"
csv_series 3000 >"$tmp/s.csv"
spids=
for c in alpha beta gamma; do
	"$send" -q -u "127.0.0.1:$port" -i "$c" -w 100 "$tmp/s.csv" &
	spids="$spids $!"
done
# a free-string timestamp full of shell, at an alerting point (n = 20)
hostile='$(touch PWNED1);x`touch PWNED2`; touch PWNED3 | touch PWNED4'
awk -v h="$hostile" 'BEGIN { print "connect"; print "recv"
	gsub(/"/, "\\\"", h)
	for (i = 1; i <= 20; i++) {
		printf "send {\"seq\":%d,\"timestamp\":%s,\"value\":%d}\nrecv\n",
		    i, i == 20 ? "\"" h "\"" : i, i == 20 ? 1000 : i % 3 } }' |
    ws "/ws?client_id=h.1:x-y_z&window=10&version=2" >"$tmp/h.ws" 2>&1
# ids with ; and $( ) are refused at the hello: no alert, nothing run
for id in 'a%3Btouch%20PWNED5' '%24(touch%20PWNED6)'; do
	printf 'connect\nrecv\n' | ws "/ws?client_id=$id&window=10" \
	    >>"$tmp/bad.ws" 2>&1
done
wait $spids
pairs >"$tmp/stored"
total=$(wc -l <"$tmp/stored")
until_true 15 lines "$tmp/cmd.out" "$total"
until_true 15 lines "$tmp/posts" "$total"
cut -d, -f1,2 "$tmp/cmd.out" >"$tmp/cmd.pairs"
sed 's/^{"client_id":"\([^"]*\)","n":\([0-9]*\),.*/\1,\2/' "$tmp/posts" \
    >"$tmp/post.pairs"
out="$total stored; command: $(wc -l <"$tmp/cmd.pairs"), webhook: $(wc -l <"$tmp/post.pairs")"
[ "$total" -ge 20 ] && per_client "$tmp/cmd.pairs" | cmp -s - "$tmp/stored"
ok $? "--on-alert: every stored alert once, in order per client ($out)"
per_client "$tmp/post.pairs" | cmp -s - "$tmp/stored"
ok $? "--webhook: every stored alert once, in order per client ($out)"

line=$(grep '^h\.1:x-y_z,20,' "$tmp/cmd.out")
out=$line
[ "$line" = "h.1:x-y_z,20,$hostile,1000,zscore,iqr,ewma,ma,http://127.0.0.1:$port/client/h.1:x-y_z" ] &&
    [ -z "$(ls "$tmp/cwd")" ] && ! ls PWNED* >/dev/null 2>&1 &&
    ! grep -q '"client_id":"[a$][;(]\|PWNED[56]' "$tmp/posts" "$tmp/cmd.out"
ok $? "hostile timestamp and ids: only environment values, nothing run"
out=$(grep '"client_id":"h.1:x-y_z"' "$tmp/posts")
echo "$out" | grep -qF '"timestamp":"$(touch PWNED1);x`touch PWNED2`; touch PWNED3 | touch PWNED4"'
ok $? "the webhook's JSON carries the timestamp as a string"
stop
kill "$rpid" 2>/dev/null
wait "$rpid" 2>/dev/null
spid=

# --- a non-zero exit is counted, a hanging command killed ----------------
db=$tmp/fail.db
start --on-alert 'exit 3'
"$send" -q -u "127.0.0.1:$port" -i f -w 100 "$tmp/s.csv"
nal=$(sqlite3 "$db" "select count(*) from points where alert = 1")
until_true 10 metric_is 'anomalyd_on_alert_total{result="failed"}' = "$nal"
r=$?
out="$nal alerts, $(metric 'anomalyd_on_alert_total{result="failed"}') failed"
[ $r -eq 0 ] && [ "$nal" -ge 1 ] && grep -q 'on-alert: client f point [0-9]*: exit status 3' "$tmp/log"
ok $? "a command that exits 3 is logged and counted in /metrics"
stop

db=$tmp/hang.db
start --on-alert "sleep 60 & echo \$! >'$tmp/sleep.pid'; wait" \
    --on-alert-timeout 1 --on-alert-jobs 1
csv_series 200 | "$send" -q -u "127.0.0.1:$port" -i hang -w 100 -
until_true 5 test -s "$tmp/sleep.pid"
until_true 10 metric_is 'anomalyd_on_alert_total{result="timeout"}' = 1
r=$?
out="timeout $(metric 'anomalyd_on_alert_total{result="timeout"}')"
[ $r -eq 0 ] && until_true 5 gone "$(cat "$tmp/sleep.pid")" &&
    grep -q 'on-alert: client hang point [0-9]*: killed after 1 s' "$tmp/log"
ok $? "a hanging command is killed at --on-alert-timeout with its children"
stop

# --- the receiver down for 10 s gets the backlog --------------------------
db=$tmp/down.db
rport=$(free_port)
start --alert vote --webhook "http://127.0.0.1:$rport/hook"
t0=$(date +%s)
"$send" -q -u "127.0.0.1:$port" -i down -w 100 "$tmp/s.csv"
pairs >"$tmp/stored"
total=$(wc -l <"$tmp/stored")
until_true 10 metric_is 'anomalyd_webhook_total{result="failed"}' -ge 2
r=$?
out="failed $(metric 'anomalyd_webhook_total{result="failed"}'), queued $(metric anomalyd_webhook_queued) of $total"
[ $r -eq 0 ] && [ "$(metric anomalyd_webhook_queued)" = "$total" ]
ok $? "while the receiver is down: attempts fail and are counted, alerts wait"
while [ $(($(date +%s) - t0)) -lt 10 ]; do	# the receiver's 10 s down
	sleep 0.2
done
receiver "$tmp/rport2" "$tmp/posts2" "$rport"
until_true 15 lines "$tmp/posts2" "$total"
until_true 5 metric_is 'anomalyd_webhook_total{result="sent"}' = "$total"
sed 's/^{"client_id":"\([^"]*\)","n":\([0-9]*\),.*/\1,\2/' "$tmp/posts2" \
    >"$tmp/post.pairs"
out="$(wc -l <"$tmp/post.pairs") of $total, sent $(metric 'anomalyd_webhook_total{result="sent"}')"
cmp -s "$tmp/post.pairs" "$tmp/stored" &&
    [ "$(metric 'anomalyd_webhook_total{result="sent"}')" = "$total" ]
ok $? "the receiver back after 10 s gets the backlog, once, in order"
stop
kill "$rpid" 2>/dev/null
wait "$rpid" 2>/dev/null
spid=
