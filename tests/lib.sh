# tests/lib.sh: what the integration scripts share, sourced by them from the
# top of the tree (POSIX sh): a temporary directory cleaned up on exit, TAP
# lines, HTTP reads, and build/anomalyd started on a free port with a
# temporary database, up when /healthz answers.  ANOMALYD and WSRAW name
# the binaries; KEEP=1 keeps the directory for a look after a failure.
anomalyd=${ANOMALYD:-build/anomalyd}
wsraw=${WSRAW:-build/tests/tools/wsraw}
tmp=$(mktemp -d) || exit 1
# anomaly-send keeps client keys under XDG_STATE_HOME: never the real home
XDG_STATE_HOME=$tmp/state
export XDG_STATE_HOME
db=$tmp/t.db
pid=
spid=
port=
keep_port=
wrap=
n=0

cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	[ -n "$KEEP" ] && echo "# kept $tmp" && return
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ok STATUS DESCRIPTION: one TAP line, ok when STATUS is 0; on failure the
# last output ($out), stderr ($tmp/err) and the server's log as diagnostics.
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		printf '%s\n' "$out" | tail -n 20 | sed 's/^/# /'
		tail -n 5 "$tmp/err" 2>/dev/null | sed 's/^/# err: /'
		tail -n 5 "$tmp/log" 2>/dev/null | sed 's/^/# log: /'
	fi
}

# http_get URL: the body on stdout; status 0 on a 2xx answer.
http_get() {
	if command -v curl >/dev/null 2>&1; then
		curl -sf --max-time 2 "$1"
	else
		python3 -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())' "$1"
	fi
}

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# start [OPTION]...: anomalyd on a free port (the same one again when
# keep_port is set and a port was chosen) with $db, run through the command
# $wrap when set; returns when /healthz answers, bails out after 5 s.
start() {
	[ -n "$keep_port" ] && [ -n "$port" ] || port=$(free_port)
	$wrap "$anomalyd" -l "127.0.0.1:$port" -d "$db" "$@" 2>>"$tmp/log" &
	pid=$!
	i=0
	while [ $i -lt 100 ]; do
		[ "$(http_get "http://127.0.0.1:$port/healthz" 2>/dev/null)" = ok ] &&
		    return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
		i=$((i + 1))
	done
	echo "Bail out! anomalyd did not start"
	exit 1
}

# stop: SIGTERM to anomalyd, and wait for it.
stop() {
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
	pid=
}

# waitfor FILE TEXT: until FILE holds TEXT (5 s at most).
waitfor() {
	i=0
	while [ $i -lt 100 ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# ws [PATH]: wsraw against the server, its script on stdin.
ws() {
	"$wsraw" 127.0.0.1 "$port" "$@"
}

# sql QUERY: QUERY on the database $db.
sql() {
	sqlite3 "$db" "$1"
}

# csv_series N: a CSV of N rows with a spike every 97th.
csv_series() {
	awk -v n="$1" 'BEGIN {
		print "timestamp,value"
		for (i = 1; i <= n; i++) {
			v = 50 + 10 * sin(i * 0.3) + (i * 7919 % 13) / 2
			if (i % 97 == 0)
				v += 200
			printf "%d,%.4f\n", 1600000000 + 60 * i, v
		}
	}'
}
