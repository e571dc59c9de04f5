#!/bin/sh
# signals.sh: what each signal does to anomalyd (TAP).  INT, TERM and QUIT
# stop it cleanly (commit, 1001 to the clients, all marked inactive, exit
# 0); HUP, without a token file, logs that there is none to reread and goes
# on (tests/anomalyd/readtoken.sh rereads them); USR1 logs a
# status line and goes on; USR2, ALRM, PIPE and XFSZ are ignored.
. tests/lib.sh

echo "1..8"

# alive: anomalyd still runs and /healthz answers.
alive() {
	kill -0 "$pid" 2>/dev/null &&
	    [ "$(http_get "http://127.0.0.1:$port/healthz")" = ok ]
}

# status_lines: how many status lines the log holds.
status_lines() {
	grep -c '^anomalyd: status: ' "$tmp/log"
}

start
printf '%s\n' connect recv 'send {"seq":1,"timestamp":1,"value":1}' recv \
    'timeout 8000' recv |
    ws '/ws?client_id=held&window=10&version=2' >"$tmp/held" 2>&1 &
client=$!
waitfor "$tmp/held" '"seq":1,'

kill -HUP "$pid"
waitfor "$tmp/log" 'SIGHUP: no token file or certificate to reread'
ok $? "SIGHUP: without a token file, logs that there is none to reread"
alive
ok $? "SIGHUP: the server goes on"

kill -USR1 "$pid"
waitfor "$tmp/log" '^anomalyd: status: '
out=$(grep '^anomalyd: status: ' "$tmp/log")
echo "$out" | grep -q '^anomalyd: status: 1 connections, 1 clients, 1 points stored since start, up 0d 00:00:[0-9][0-9], memory [0-9]* of [0-9]* bytes, database '
ok $? "SIGUSR1: one status line (connections, clients, points, uptime, memory budget)"
alive
ok $? "SIGUSR1: the server goes on"

# each ignored signal, then USR1 to see that the server has handled it
bad=0
for s in USR2 ALRM PIPE XFSZ; do
	before=$(status_lines)
	kill -s "$s" "$pid"
	kill -USR1 "$pid"
	i=0
	while [ "$(status_lines)" -le "$before" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	alive || { bad=1; out="died of SIG$s"; break; }
done
[ $bad -eq 0 ] && [ "$(status_lines)" = 5 ]
ok $? "SIGUSR2, SIGALRM, SIGPIPE, SIGXFSZ: ignored"
kill "$client" 2>/dev/null
wait "$client" 2>/dev/null
stop

# INT, TERM, QUIT: each a clean shutdown
for s in INT TERM QUIT; do
	db=$tmp/$s.db
	start
	printf '%s\n' connect recv 'send {"seq":1,"timestamp":1,"value":1}' \
	    recv 'timeout 8000' recv |
	    ws "/ws?client_id=c$s&window=10&version=2" >"$tmp/$s" 2>&1 &
	client=$!
	waitfor "$tmp/$s" '"seq":1,'
	active=$(sql "select active from clients where client_id = 'c$s'")
	kill -s "$s" "$pid"
	wait "$pid"
	rc=$?
	pid=
	wait "$client"
	out="rc $rc, active before $active; $(cat "$tmp/$s")"
	[ $rc -eq 0 ] && [ "$active" = 1 ] && grep -q '^close 1001' "$tmp/$s" &&
	    [ "$(sql "select active, points from clients where client_id = 'c$s'")" = "0|1" ]
	ok $? "SIG$s: 1001 to the client, marked inactive, exit 0"
done
