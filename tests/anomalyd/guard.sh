#!/bin/sh
# guard.sh: what anomalyd refuses to a peer before any hello (issue 16
# items 5, 6, 7, 12; cmd/anomalyd/guard.c), over real sockets (TAP): the
# Origin of a WebSocket handshake and --allow-origin, the Host of a
# request on a loopback listener, pending handshakes apart from
# --max-clients (--max-handshakes, their shorter deadline), --max-per-addr,
# descriptors held back for /healthz under a flood of idle sockets (with a
# small ulimit -n), and the HTTP edges lws answers itself (its own pages
# with the usual headers, CONNECT, a header over 4 KiB).  Sockets are held
# open by a python3 helper (tests/anomalyd/guard.sh's hold), which says how
# many it holds in a file.  ANOMALYD and WSRAW name the binaries.
. tests/lib.sh
csp="default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
holders=

echo "1..16"

# hold N MODE [SRC]: N sockets to the server from address SRC (default
# 127.0.0.1), idle (MODE idle: nothing sent) or upgraded to WebSocket and
# silent (MODE upgrade), held in the background until the script ends;
# $tmp/held.K says "held N" once they are open (K counts the holders).
hold() {
	k=$((k + 1))
	python3 - "$port" "$1" "$2" "${3:-127.0.0.1}" "$tmp/held.$k" <<'PY' &
import socket, sys, time
port, n, mode, src, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
socks = []
for i in range(n):
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    if mode == "upgrade":
        s.sendall(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
        s.settimeout(5)
        head = b""
        while b"\r\n\r\n" not in head:
            c = s.recv(1)
            if not c:
                break
            head += c
    socks.append(s)
with open(out, "w") as f:
    f.write("held %d\n" % len(socks))
time.sleep(120)
PY
	holders="$holders $!"
}
k=0

# raw REQUEST [SECONDS]: REQUEST (with \r\n escapes) on a new connection
# to the server; prints what came back until it closed (or "[timed out]").
raw() {
	python3 - "$port" "$1" "${2:-3}" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(float(sys.argv[3]))
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin1"))
d = b""
try:
    while True:
        c = s.recv(65536)
        if not c:
            break
        d += c
except OSError:
    d += b"[timed out]"
sys.stdout.write(d.decode("latin1").replace("\r", ""))
PY
}

# probe ADDR: GET /healthz from source address ADDR; "ok" when answered
# 200 within 2 s.
probe() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
	    --interface "$1" "http://127.0.0.1:$port/healthz")" = 200 ] &&
	    echo ok || echo "no answer"
}

# get HOST [CURL OPTION]...: the status line and headers of GET /healthz
# with that Host header.
get() {
	h=$1
	shift
	curl -s -i -o /dev/null -D - --max-time 3 -H "Host: $h" "$@" \
	    "http://127.0.0.1:$port/healthz" | tr -d '\r'
}

unhold() {
	[ -n "$holders" ] && kill $holders 2>/dev/null
	wait $holders 2>/dev/null
	holders=
}
trap 'unhold; cleanup' EXIT

# --- item 5: Origin and Host
start -v
out=$(printf '%s\n' 'connect Origin: http://evil.example' headers | ws 2>&1)
echo "$out" | grep -q '^handshake failed: HTTP/1.[01] 403' &&
    echo "$out" | grep -q "^header content-security-policy: $csp$" &&
    waitfor "$tmp/log" "refused a WebSocket from origin 'http://evil.example'"
ok $? "a WebSocket from a foreign Origin: 403 with the usual headers, and a log line"

out=$(printf '%s\n' "connect Origin: http://127.0.0.1:$port" \
    'send {"client_id":"own","window":10}' 'send {"timestamp":1,"value":1}' \
    recv | ws 2>&1;
    printf '%s\n' "connect Origin: http://localhost:$port|Host: localhost:$port" \
    'send {"client_id":"own","window":10}' 'send {"timestamp":2,"value":1}' \
    recv | ws 2>&1;
    printf '%s\n' 'connect' 'send {"client_id":"own","window":10}' \
    'send {"timestamp":3,"value":1}' recv | ws 2>&1)
[ "$(echo "$out" | grep -c '^text {"timestamp":[123],"anomaly":0}$')" = 3 ]
ok $? "the server's own Origin (127.0.0.1:PORT, localhost:PORT) and no Origin (native clients) get in"

out=$(for h in evil.example "evil.example:$port" 10.0.0.1 "[::2]:$port"; do
	get "$h" | head -n 1
	printf '%s\n' "connect Host: $h" | ws 2>&1 | head -n 1
done)
[ "$(echo "$out" | grep -c '403 Forbidden')" = 8 ]
ok $? "loopback listener: a foreign Host gets 403 for HTTP and WebSocket (DNS rebinding)"

out=$(for h in localhost "localhost:$port" 127.0.0.1 "127.1.2.3:$port" \
    "[::1]:$port" LOCALHOST. ; do
	get "$h" | head -n 1
done; curl -s -i -0 -H 'Host:' "http://127.0.0.1:$port/healthz" | head -n 1)
[ "$(echo "$out" | grep -c '^HTTP/1.[01] 200 OK')" = 7 ]
ok $? "loopback names and addresses, with or without a port, and no Host at all are served"
stop

start --allow-origin http://evil.example:8080/ --allow-origin http://b.example
out=$(for o in http://evil.example:8080 http://B.example http://c.example; do
	printf '%s\n' "connect Origin: $o" | ws 2>&1 | head -n 1
done)
[ "$out" = "$(printf 'connected\nconnected\nhandshake failed: HTTP/1.0 403 Forbidden')" ]
ok $? "--allow-origin ORIGIN (repeatable) lets those origins in, others still 403"
stop
start --allow-origin '*'
out=$(printf '%s\n' 'connect Origin: http://anything.example' | ws 2>&1)
[ "$out" = connected ]
ok $? "--allow-origin '*' lets any origin in"
stop
out=$(timeout 5 "$anomalyd" --allow-origin evil.example 2>&1; echo "exit $?")
echo "$out" | grep -q "allow-origin: 'evil.example'" && echo "$out" | grep -q 'exit 2'
ok $? "--allow-origin without a scheme is a usage error"

# --- item 6: bare upgrades do not take the clients' places
start -v --max-clients 50
hold 50 upgrade
waitfor "$tmp/held.$k" 'held 50'
t0=$(date +%s%N)
out=$(printf '%s\n' connect 'send {"client_id":"real","window":10}' \
    'send {"timestamp":1,"value":1}' recv | ws 2>&1)
ms=$((($(date +%s%N) - t0) / 1000000))
echo "# a real client beside 50 bare upgrades, --max-clients 50: in $ms ms"
[ "$out" = "$(printf 'connected\ntext {"timestamp":1,"anomaly":0}')" ]
ok $? "50 bare upgrades vs --max-clients 50: a real client gets in at once"
unhold
stop

start -v --max-handshakes 4 --hello-timeout 60
hold 10 upgrade
waitfor "$tmp/held.$k" 'held 10'
t0=$(date +%s%N)
i=0
while [ $i -lt 20 ]; do
	out=$(printf '%s\n' connect 'send {"client_id":"real","window":10}' \
	    'send {"timestamp":1,"value":1}' recv | ws 2>&1)
	[ "$out" = "$(printf 'connected\ntext {"timestamp":1,"anomaly":0}')" ] &&
	    break
	sleep 0.2
	i=$((i + 1))
done
echo "# a real client beside 10 bare upgrades, --max-handshakes 4: in $((($(date +%s%N) - t0) / 1000000)) ms, $i refusals first"
[ "$out" = "$(printf 'connected\ntext {"timestamp":1,"anomaly":0}')" ] &&
    grep -q 'refused a WebSocket: --max-handshakes 4 pending, all for less than 1000 ms' "$tmp/log"
ok $? "--max-handshakes 4: of 10 bare upgrades at once the 5th on get 503; a real client gets in"
t0=$(date +%s%N)
i=0
while [ $i -lt 200 ] && [ "$(grep -c 'close 127.0.0.1 4001 no hello$' "$tmp/log")" -lt 3 ]; do
	sleep 0.1
	i=$((i + 1))
done
ms=$((($(date +%s%N) - t0) / 1000000))
echo "# over half of --max-handshakes pending: closed 4001 after $ms ms (--hello-timeout 60)"
[ "$(grep -c 'close 127.0.0.1 4001 no hello$' "$tmp/log")" -ge 3 ]
ok $? "over half of --max-handshakes pending: they get a short deadline, not --hello-timeout 60"
unhold
stop

# --- item 6: --max-per-addr
start -v --max-per-addr 5
hold 5 idle
waitfor "$tmp/held.$k" 'held 5'
out="$(probe 127.0.0.1) / $(probe 127.0.0.2)"
[ "${out%% /*}" != ok ] && [ "${out#*/ }" = ok ] &&
    waitfor "$tmp/log" 'refused a connection from 127.0.0.1: --max-per-addr 5 reached'
ok $? "--max-per-addr 5: a 6th connection from 127.0.0.1 is refused, 127.0.0.2 is served, one log line"
unhold
stop

# --- item 7: descriptors for /healthz whatever idle sockets hold
cat >"$tmp/lowfd" <<'EOF'
ulimit -n 160
exec "$@"
EOF
wrap="sh $tmp/lowfd"
start -v --max-clients 50
wrap=
hold 400 idle
waitfor "$tmp/held.$k" 'held 400'
good=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ "$(probe 127.0.0.1)" = ok ] && good=$((good + 1))
done
out="$good of 10 probes answered; $(grep -c 'descriptors:' "$tmp/log") log lines"
[ $good = 10 ] && [ "$(grep -c 'descriptors:' "$tmp/log")" -le 10 ]
ok $? "ulimit -n 160, --max-clients 50, 400 idle sockets: /healthz answers every probe; refusals logged at most once a second"
unhold
stop

wrap="sh $tmp/lowfd"
start -v --max-clients 1000 --max-handshakes 1000 --hello-timeout 60
wrap=
hold 130 upgrade
waitfor "$tmp/held.$k" 'held 130'
good=0
for i in 1 2 3 4 5; do
	[ "$(probe 127.0.0.1)" = ok ] && good=$((good + 1))
done
out="$good of 5 probes answered; $(printf '%s\n' connect | ws 2>&1)"
[ $good = 5 ] && echo "$out" | grep -q 'handshake failed: HTTP/1.0 503' &&
    grep -q 'refused a WebSocket: descriptors: ' "$tmp/log"
ok $? "ulimit -n 160, 130 bare upgrades: the last descriptors stay for HTTP (WebSocket 503), /healthz answers"
unhold
stop

# --- item 12: the HTTP edges lws answers itself
start
out=$(raw 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n' 3)
echo "$out" | grep -q '^HTTP/1.[01] 405 Method Not Allowed$' &&
    echo "$out" | grep -q "^content-security-policy: $csp$" &&
    echo "$out" | grep -q '^allow: GET, HEAD, DELETE$'
ok $? "CONNECT: 405 at once with the usual headers, not a hang"
out=$(get localhost -H 'Upgrade: foo' -H 'Connection: upgrade')
echo "$out" | grep -q '^HTTP/1.[01] 403 Forbidden$' &&
    echo "$out" | grep -q "^content-security-policy: $csp$" &&
    echo "$out" | grep -q '^x-content-type-options: nosniff$' &&
    echo "$out" | grep -q '^cache-control: no-store$'
ok $? "lws's own 403 page carries the CSP, nosniff and cache-control"
big=$(awk 'BEGIN { for (i = 0; i < 6000; i++) printf "a" }')
out=$(get localhost -H "Cookie: $big")
echo "$out" | grep -q '^HTTP/1.1 200 OK$'
ok $? "a 6 KB header is served (lws took 4 KB)"
stop
