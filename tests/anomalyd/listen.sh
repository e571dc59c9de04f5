#!/bin/sh
# listen.sh: where anomalyd listens (TAP).  -l 127.0.0.1:PORT binds that
# address only (lws with IPv6 would bind every address), [::1]:PORT binds
# ::1 only, *:PORT every address, a bare PORT is 127.0.0.1:PORT; the bound
# address is read back with ss(8) and probed from 127.0.0.2, another
# loopback address.  Also the start line, a busy port, usage errors and the
# warning for a listener open to the network without --token-file.
. tests/lib.sh

echo "1..12"

# launch LISTEN HOST: anomalyd -l LISTEN with a fresh database, its stderr in
# $tmp/log; returns when http://HOST:$port/healthz answers.
launch() {
	: >"$tmp/log"
	db=$tmp/l$n.db
	"$anomalyd" -l "$1" -d "$db" 2>"$tmp/log" &
	pid=$!
	i=0
	while [ $i -lt 100 ]; do
		[ "$(http_get "http://$2:$port/healthz" 2>/dev/null)" = ok ] &&
		    return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
		i=$((i + 1))
	done
	echo "Bail out! anomalyd -l $1 did not start"
	exit 1
}

# bound: the local addresses listening on $port, as ss prints them.
bound() {
	ss -ltnH "sport = :$port" | awk '{ print $4 }' | sort | tr '\n' ' '
}

# answers HOST: 0 when http://HOST:$port/healthz says ok.
answers() {
	[ "$(http_get "http://$1:$port/healthz" 2>/dev/null)" = ok ]
}

port=$(free_port)
launch "127.0.0.1:$port" 127.0.0.1
out="bound: $(bound)"
[ "$(bound)" = "127.0.0.1:$port " ]
ok $? "-l 127.0.0.1:PORT binds 127.0.0.1 only ($out)"
answers 127.0.0.2
rc=$?
out="127.0.0.2 answered: rc $rc"
[ $rc -ne 0 ] && answers 127.0.0.1
ok $? "-l 127.0.0.1:PORT: 127.0.0.2 is refused, 127.0.0.1 answers"
out=$(cat "$tmp/log")
[ "$out" = "anomalyd: listening on 127.0.0.1:$port, database $db" ]
ok $? "without -v, one line at start: where it listens and which database"

# the same port again: a clear message, no lws noise, exit 1
out=$("$anomalyd" -l "127.0.0.1:$port" -d "$tmp/busy.db" 2>&1)
rc=$?
out="rc $rc: $out"
[ $rc -eq 1 ] && [ "$out" = "rc 1: anomalyd: 127.0.0.1:$port: address already in use" ]
ok $? "a busy port: 'address already in use', exit 1"
stop

port=$(free_port)
launch "*:$port" 127.0.0.1
out="bound: $(bound)"
[ "$(bound)" = "*:$port " ] && answers 127.0.0.2 && answers 127.0.0.1
ok $? "-l *:PORT binds every address: 127.0.0.2 answers ($out)"
out=$(cat "$tmp/log")
[ "$(grep -c "warning: listening on \*:$port without --token-file" "$tmp/log")" = 1 ]
ok $? "-l *:PORT without --token-file warns"
stop

port=$(free_port)
launch "$port" 127.0.0.1
out="bound: $(bound); $(cat "$tmp/log")"
[ "$(bound)" = "127.0.0.1:$port " ] && ! answers 127.0.0.2 &&
    ! grep -q warning "$tmp/log" &&
    grep -q "^anomalyd: listening on 127.0.0.1:$port, database " "$tmp/log"
ok $? "-l PORT means 127.0.0.1:PORT, without a warning"
stop

if python3 -c 'import socket
s = socket.socket(socket.AF_INET6)
s.bind(("::1", 0))' 2>/dev/null; then
	port=$(free_port)
	launch "[::1]:$port" '[::1]'
	out="bound: $(bound)"
	[ "$(bound)" = "[::1]:$port " ] && ! answers 127.0.0.1 &&
	    ! grep -q warning "$tmp/log"
	ok $? "-l [::1]:PORT binds ::1 only, without a warning ($out)"
	stop
else
	n=$((n + 1))
	echo "ok $n # SKIP no IPv6 loopback"
fi

out=$("$anomalyd" -l "127.0.0.2:$(free_port)" -d "$tmp/no/such.db" 2>&1)
! echo "$out" | grep -q warning
ok $? "another loopback address does not warn"
out=$("$anomalyd" -l "192.0.2.1:$(free_port)" -d "$tmp/no/such.db" 2>&1)
echo "$out" | grep -q 'warning: listening on 192.0.2.1:[0-9]* without --token-file'
ok $? "a non-loopback address without --token-file warns"

# usage errors: one line naming the problem and where to look, exit 2
bad=0
out=
for args in "--no-such-option" "-l foo:1" "-l 127.0.0.1:0" "--zscore-k x" "-l"; do
	# shellcheck disable=SC2086
	e=$("$anomalyd" $args 2>&1 >/dev/null)
	rc=$?
	out="$out
[$args] rc $rc: $e"
	[ $rc -eq 2 ] && [ "$(echo "$e" | wc -l)" -eq 1 ] &&
	    echo "$e" | grep -q "^anomalyd: .*; try 'anomalyd --help'$" || bad=1
done
[ $bad -eq 0 ]
ok $? "usage errors: one line, try 'anomalyd --help', exit 2"
echo "$out" | grep -q "'foo' is not an IPv4 address" &&
    echo "$out" | grep -q "unknown option '--no-such-option'"
ok $? "usage errors name the problem"
