#!/bin/sh
# start.sh: the demo of `make start` (TAP).  The demo data is what its
# generator makes, and the detectors find its known anomalies at the demo's
# window; share/anomaly/demo/start.sh on a free port serves the three
# clients live, refuses a port in use, and on SIGTERM leaves no process and
# frees the port; a second run keeps the database and says so, FRESH=1
# starts afresh; Ctrl-C on `make start` in tmux stops it all quietly (no
# make "*** Interrupt").  ANOMALYD and SEND name the binaries.
. tests/lib.sh
send=${SEND:-build/anomaly-send}
demo=share/anomaly/demo

echo "1..13"

python3 "$demo/gen.py" "$tmp" 2>"$tmp/err" &&
    out=$(for f in ACME.csv GLOBEX.csv INITECH.csv anomalies.csv; do
	cmp "$demo/$f" "$tmp/$f" || exit 1; done 2>&1)
ok $? "gen.py makes the committed demo data"

# The first day of each known anomaly is flagged at the demo's window.
start
missed=
for t in ACME GLOBEX INITECH; do
	"$send" --no-log --json -u "ws://127.0.0.1:$port/ws" -w 100 \
	    -t Date -v Close "$demo/$t.csv" >"$tmp/$t.nd" 2>>"$tmp/err"
done
for d in $(awk -F, 'NR > 1 && $1 != last { print $1 ":" $2 } { last = $1 }' \
    "$demo/anomalies.csv"); do
	grep -q "\"timestamp\":\"${d#*:}\".*\"anomaly\":1" "$tmp/${d%%:*}.nd" ||
	    missed="$missed $d"
done
out="missed:$missed"
[ -z "$missed" ] && [ "$(grep -c '"anomaly":1' "$tmp"/*.nd | \
    awk -F: '{ s += $2 } END { print s }')" -le 12 ]
ok $? "the known anomalies are found, and few others"
stop

# port_free PORT: status 0 when nothing listens there.
port_free() {
	python3 -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}

port=$(free_port)
PORT=$port DB=$tmp/demo.db BIN=$PWD/build sh "$demo/start.sh" \
    >"$tmp/out" 2>"$tmp/log" &
dpid=$!
spid=$dpid		# lib.sh's cleanup kills it if we bail out
i=0
while [ $i -lt 300 ]; do
	http_get "http://127.0.0.1:$port/api/clients" 2>/dev/null |
	    python3 -c 'import json, sys
c = json.load(sys.stdin)
sys.exit(not (len(c) == 3 and all(x["points"] > 0 for x in c)))' 2>/dev/null &&
	    break
	kill -0 "$dpid" 2>/dev/null || break
	sleep 0.1
	i=$((i + 1))
done
out=$(cat "$tmp/out")
[ $i -lt 300 ] && kill -0 "$dpid" 2>/dev/null
ok $? "the demo starts: three clients streaming"
grep -q "http://127.0.0.1:$port/" "$tmp/out" &&
    grep -q "http://127.0.0.1:$port/client/ACME" "$tmp/out" &&
    grep -q "anomaly-top -d $tmp/demo.db" "$tmp/out"
ok $? "it prints the URLs and the anomaly-top command"
out=$(http_get "http://127.0.0.1:$port/")
printf '%s' "$out" | grep -q ACME && printf '%s' "$out" | grep -q GLOBEX &&
    printf '%s' "$out" | grep -q INITECH
ok $? "the page lists the three clients"
p1=$(http_get "http://127.0.0.1:$port/api/clients/ACME/points?after=0" |
    python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
i=0
while [ $i -lt 50 ]; do
	p2=$(http_get "http://127.0.0.1:$port/api/clients/ACME/points?after=0" |
	    python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
	[ "$p2" -gt "$p1" ] && break
	sleep 0.1
	i=$((i + 1))
done
out="ACME points: $p1 then $p2"
[ "$p2" -gt "$p1" ]
ok $? "points keep coming (realtime)"

PORT=$port DB=$tmp/other.db BIN=$PWD/build sh "$demo/start.sh" \
    >"$tmp/out2" 2>"$tmp/err"
rc=$?
out=$(cat "$tmp/err")
[ "$rc" -eq 1 ] && grep -q "port $port is in use" "$tmp/err" &&
    [ ! -e "$tmp/other.db" ]
ok $? "a second demo on the same port: a clear error, exit 1"

kill -TERM "$dpid"
wait "$dpid"
rc=$?
spid=
out=$(cat "$tmp/out" "$tmp/log")
[ "$rc" -eq 0 ] && grep -q 'demo: stopped' "$tmp/out"
ok $? "SIGTERM: the demo stops, exit 0"
left=$(ps -eo pid=,args= | grep -e "127.0.0.1:$port" -e "$tmp/demo.db" |
    grep -v grep)
out="left: $left"
[ -z "$left" ] && port_free "$port"
ok $? "no process left, the port is free"

# points ID: the points of client ID on the demo's server ('' if none).
points() {
	http_get "http://127.0.0.1:$port/api/clients" 2>/dev/null |
	    python3 -c 'import json, sys
print(sum(c["points"] for c in json.load(sys.stdin)
    if c["client_id"] == sys.argv[1]) or "")' "$1" 2>/dev/null
}

# demo_up ENV...: start.sh with ENV on $port and $tmp/demo.db, its output in
# $tmp/out; returns when ACME has points.  SPEED=1 sends the first row of
# each file and then one a day: the counts stay put.
demo_up() {
	env "$@" PORT=$port DB=$tmp/demo.db BIN=$PWD/build sh "$demo/start.sh" \
	    >"$tmp/out" 2>"$tmp/log" &
	dpid=$!
	spid=$dpid
	i=0
	while [ $i -lt 300 ] && [ -z "$(points ACME)" ]; do
		kill -0 "$dpid" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
}
demo_down() {
	kill -TERM "$dpid"
	wait "$dpid"
	spid=
}

# ACME had $p2 points when the first run stopped
demo_up SPEED=1
after=$(points ACME)
demo_down
out="ACME before: $p2, after: $after; $(cat "$tmp/out")"
[ -n "$after" ] && [ "$after" -ge "$p2" ] && [ "$after" -gt 1 ] &&
    grep -q "demo: keeping $tmp/demo.db of the last run; to start afresh: " \
    "$tmp/out"
ok $? "a second run keeps the database, and says how to start afresh"

demo_up SPEED=1 FRESH=1
after=$(points ACME)
demo_down
out="ACME: $after; $(cat "$tmp/out")"
[ "$after" = 1 ] && grep -q "demo: started afresh: deleted $tmp/demo.db" \
    "$tmp/out"
ok $? "FRESH=1 deletes it first"

# Ctrl-C on make start in a tmux pane: the script has the terminal, so make
# gets no SIGINT and says nothing; every process ends.
if ! command -v tmux >/dev/null 2>&1; then
	echo "ok $((n = n + 1)) - make start, Ctrl-C: quiet # SKIP no tmux"
	echo "ok $((n = n + 1)) - make start, Ctrl-C: all stopped # SKIP no tmux"
	exit 0
fi
sock=$tmp/tmux.sock
cleanup_tmux() {
	tmux -S "$sock" kill-server 2>/dev/null
	cleanup
}
trap cleanup_tmux EXIT
port=$(free_port)
tmux -S "$sock" new-session -d -x 150 -y 30 -s demo -c "$PWD" \
    "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL ${MAKE:-make} start \
    DEMO_PORT=$port DEMO_DB=$tmp/tmux.db; echo rc=\$?; sleep 600"
i=0
while [ $i -lt 600 ] && [ -z "$(points ACME)" ]; do
	sleep 0.1
	i=$((i + 1))
done
tmux -S "$sock" send-keys -t demo C-c
i=0
while [ $i -lt 200 ]; do
	tmux -S "$sock" capture-pane -p -t demo >"$tmp/pane" 2>&1
	grep -q '^rc=' "$tmp/pane" && break
	sleep 0.1
	i=$((i + 1))
done
out=$(grep -v '^$' "$tmp/pane")
grep -q '^rc=0$' "$tmp/pane" && grep -q '^demo: stopped$' "$tmp/pane" &&
    ! grep -q -e Interrupt -e '\*\*\*' -e 'anomaly-send:' "$tmp/pane"
ok $? "make start, Ctrl-C: one line 'demo: stopped', no make error, exit 0"
tmux -S "$sock" kill-server 2>/dev/null
left=$(ps -eo pid=,args= | grep -e "127.0.0.1:$port" -e "$tmp/tmux.db" |
    grep -v grep)
out="left: $left"
[ -z "$left" ] && port_free "$port"
ok $? "make start, Ctrl-C: no process left, the port is free"
