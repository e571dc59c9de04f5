#!/bin/sh
# start.sh: the live demo of `make start` (SPEC §7).
#
# Starts anomalyd on 127.0.0.1:$PORT with the database $DB, then one
# anomaly-send per quote file of this directory (ACME.csv, ...), replaying
# the daily closes in --realtime --loop at $SPEED (8 days of quotes a second),
# waits until the server answers, prints the URLs and the anomaly-top command,
# and runs until SIGINT (Ctrl-C), SIGTERM or SIGHUP: then it stops the
# clients and the server, waits for each of them, says "demo: stopped" and
# exits 0, leaving no process behind and the port free.  If anomalyd dies,
# it stops the rest and exits 1.  The clients' messages are shown when it
# ends, less the summary (and --resume count) each prints when stopped.
#
# Environment: PORT (3000), DB (./demo.db, kept from one run to the next:
# the clients carry on in it; FRESH=1 deletes it first, unless an anomalyd
# holds it), SPEED (691200), WINDOW (100), BIN (the directory of anomalyd
# and anomaly-send; default: beside this script, the bin/ of the
# installation (PREFIX/share/anomaly/demo -> PREFIX/bin) or the build/ of the
# source tree, else the bin directory `make install` wrote in, else $PATH).
set -u
here=$(cd "$(dirname "$0")" && pwd)
PORT=${PORT:-3000}
DB=${DB:-./demo.db}
SPEED=${SPEED:-691200}
WINDOW=${WINDOW:-100}
FRESH=${FRESH:-}
if [ -z "${BIN:-}" ]; then
	for d in "$here/../../../bin" "$here/../../../build" "@BINDIR@"; do
		if [ -x "$d/anomalyd" ] && [ -x "$d/anomaly-send" ]; then
			BIN=$(cd "$d" && pwd)
			break
		fi
	done
fi
bin=${BIN:+$BIN/}
www=$here/../www
dpid=
spids=
tick=
clog=

say() {
	echo "demo: $*"
}

die() {
	echo "demo: $*" >&2
	exit 1
}

# get URL: the body on stdout; status 0 on a 2xx answer.
get() {
	if command -v curl >/dev/null 2>&1; then
		curl -sf --max-time 2 "$1"
	else
		python3 -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())' "$1"
	fi
}

# gone PID: waits up to 5 s for PID to end, then kills it; reaps it.
gone() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# stop_all: the clients first (so that they do not reconnect), then the
# server; waits for every one of them.
stop_all() {
	trap '' INT TERM HUP
	[ -n "$tick" ] && kill "$tick" 2>/dev/null
	for p in $spids; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $spids; do
		gone "$p"
	done
	if [ -n "$dpid" ]; then
		kill -TERM "$dpid" 2>/dev/null
		gone "$dpid"
	fi
	[ -n "$tick" ] && wait "$tick" 2>/dev/null
	spids= dpid= tick=
	if [ -n "$clog" ]; then
		grep -v -e '^anomaly-send: [^ ]*: [0-9]* points, ' \
		    -e '^anomaly-send: [^ ]*: --resume: ' "$clog" >&2
		rm -f "$clog"
		clog=
	fi
}

# One line when stopped (after the ^C the terminal echoed on Ctrl-C).
trap 'echo; stop_all; say stopped; exit 0' INT
trap 'stop_all; say stopped; exit 0' TERM HUP

files=
for f in "$here"/*.csv; do
	[ "$(basename "$f")" = anomalies.csv ] || files="$files $f"
done
[ -n "$files" ] || die "no demo data in $here (run $here/gen.py)"
for c in anomalyd anomaly-send; do
	command -v "$bin$c" >/dev/null 2>&1 || die "$bin$c: not found (run make)"
done

# The port must be free: a clear message rather than a bind error.
python3 -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError as e:
    sys.exit("demo: port %s is in use (%s): stop what listens there, or "
             "run with PORT=N" % (sys.argv[1], e.strerror))' "$PORT" || exit 1

# The database of the last run is kept (the clients carry on in it), and
# deleted with FRESH=1 unless a server holds it.
if [ -e "$DB" ]; then
	if command -v flock >/dev/null 2>&1 && ! flock -n "$DB" true; then
		die "$DB is in use by another anomalyd"
	fi
	if [ -n "$FRESH" ]; then
		rm -f "$DB" "$DB-wal" "$DB-shm" "$DB.lock"
		say "started afresh: deleted $DB"
	elif [ -n "${MAKELEVEL:-}" ]; then
		say "keeping $DB of the last run; to start afresh: make start DEMO_FRESH=1"
	else
		say "keeping $DB of the last run; to start afresh: FRESH=1 $0"
	fi
fi
# An anomaly-send that resumes after the client's last stored point (a
# kept database) is asked to.
resume=
"${bin}anomaly-send" --help 2>&1 | grep -q -- --resume && resume=--resume

"${bin}anomalyd" -l "127.0.0.1:$PORT" -d "$DB" --www "$www" &
dpid=$!
i=0
until [ "$(get "http://127.0.0.1:$PORT/healthz" 2>/dev/null)" = ok ]; do
	kill -0 "$dpid" 2>/dev/null || { dpid=; die "anomalyd did not start"; }
	[ $i -lt 200 ] || { stop_all; die "anomalyd did not answer in 10 s"; }
	sleep 0.05
	i=$((i + 1))
done

# The clients' messages, less the summary and --resume count each prints
# when stopped, are shown when the demo ends.
clog=$(mktemp "${TMPDIR:-/tmp}/anomaly-demo.XXXXXX") || {
	stop_all
	die "cannot make a temporary file"
}
ids=
for f in $files; do
	"${bin}anomaly-send" -u "ws://127.0.0.1:$PORT/ws" -t Date -v Close \
	    -w "$WINDOW" --realtime --speed "$SPEED" --loop -q --no-log \
	    $resume "$f" 2>>"$clog" &
	spids="$spids $!"
	ids="$ids $(basename "$f" .csv)"
done

say "anomalyd listens on http://127.0.0.1:$PORT/ (database $DB)"
for id in $ids; do
	say "  http://127.0.0.1:$PORT/client/$id"
done
say "known anomalies: $here/anomalies.csv"
say "watch it in a terminal: ${bin}anomaly-top -d $DB"
say "Ctrl-C stops it all"

# Wait for a signal; end if the server dies.
while kill -0 "$dpid" 2>/dev/null; do
	sleep 1 &
	tick=$!
	wait "$tick"
	tick=
done
wait "$dpid"
dpid=
stop_all
die "anomalyd stopped; the demo ended"
