#!/bin/sh
# protocol.sh: integration tests of anomalyd over real sockets (TAP).
# Starts build/anomalyd on a free port with a temporary database and drives
# it with tests/tools/wsraw (the original protocol as SPEC §2.4 shows it,
# protocol 2, the closes of §2.3), curl or python3 (HTTP) and sqlite3 (what
# was stored).  ANOMALYD and WSRAW name the binaries.
. tests/lib.sh

echo "1..51"

# The HTTP status of URL and its headers, "STATUS" then "name: value" lines.
http_head() {
	if command -v curl >/dev/null 2>&1; then
		curl -s --max-time 2 -o /dev/null -D - "$1" | tr -d '\r' |
		    sed -n 's/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p; /^[a-zA-Z-]*:/p'
	else
		python3 -c 'import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=2)
except urllib.error.HTTPError as e:
    r = e
print(r.status if hasattr(r, "status") else r.code)
for k, v in r.headers.items():
    print("%s: %s" % (k.lower(), v))' "$1"
	fi
}

# ms_since T0: milliseconds since T0 (from date +%s%N).
ms_since() {
	echo $((($(date +%s%N) - $1) / 1000000))
}


# series FROM TO: protocol-2 points FROM..TO of a deterministic series with
# spikes, one "send" line each.
series() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		for (i = a; i <= b; i++) {
			v = 50 + 10 * sin(i * 0.3) + (i * 7919 % 13) / 2
			if (i % 97 == 0)
				v += 200
			printf "send {\"seq\":%d,\"timestamp\":%d,\"value\":%.4f}\n",
			    i, 1600000000 + 60 * i, v
		}
	}'
}

start -v --hello-timeout 1 --snapshot-every 64

# --- the original protocol, exactly as SPEC §2.4 shows it
out=$(printf '%s\n' connect \
    'send {"client_id": "AAPL_close", "window": 55}' \
    'send {"timestamp": 1577923200, "value": 75.09}' recv \
    'send {"timestamp": 1578009600, "value": "abc"}' recv \
    'send {"timestamp": "2020-01-04", "value": 76.5}' recv | ws)
exp='connected
text {"timestamp":1577923200,"anomaly":0}
text {"error":"value is not a finite number","timestamp":1578009600}
text {"timestamp":"2020-01-04","anomaly":0}'
[ "$out" = "$exp" ]
ok $? "original protocol: hello, verdicts, the value error echoes the timestamp"

script=$(awk 'BEGIN { print "connect"
	print "send {\"client_id\":\"orig\",\"window\":20}"
	for (i = 1; i <= 60; i++)
		printf "send {\"timestamp\":%d,\"value\":%d}\nexpect \"anomaly\":0}\n",
		    i, i % 5 }')
out=$(printf '%s\n' "$script" | ws 2>&1)
[ $? -eq 0 ] && [ "$(sql "select count(*), max(n) from points where client_id = 'orig'")" = "60|60" ]
ok $? "original protocol: 60 points one at a time, each answered and stored"

# --- protocol 2 with the hello in the URL
url='/ws?client_id=web01&window=100&version=2'
out=$(printf '%s\n' connect recv \
    'send [{"seq":1,"timestamp":"2014-07-01 00:00:00","value":10844},{"seq":2,"timestamp":2,"value":"x"},{"seq":3,"timestamp":3.5,"value":8127}]' recv \
    'send {"seq":1,"timestamp":9,"value":9}' recv \
    'send {"seq":2,"timestamp":9,"value":9}' recv | ws "$url")
exp='connected
text {"ready":true,"client_id":"web01","window":100,"last_seq":0,"points":0,"last_timestamp":null}
text [{"seq":1,"timestamp":"2014-07-01 00:00:00","anomaly":0},{"error":"value is not a finite number","timestamp":2,"seq":2},{"seq":3,"timestamp":3.5,"anomaly":0}]
text {"seq":1,"timestamp":"2014-07-01 00:00:00","anomaly":0,"duplicate":1}
text {"error":"seq already used","timestamp":9,"seq":2}'
[ "$out" = "$exp" ]
ok $? "protocol 2: ready, a batch with a bad element, duplicate and used seqs"

out=$(printf '%s\n' connect recv \
    'send [{"seq":1,"timestamp":"2014-07-01 00:00:00","value":10844},{"seq":3,"timestamp":3.5,"value":8127},{"seq":4,"timestamp":4,"value":1}]' recv | ws "$url&detail=1")
echo "$out" | grep -q '"last_seq":3,"points":2,"last_timestamp":3.5}' &&
    echo "$out" | grep -q '^text \[{"seq":1,.*"duplicate":1},{"seq":3,.*"duplicate":1},{"seq":4,"timestamp":4,"anomaly":0,"alert":0,"score":0.0,"votes":{' &&
    [ "$(sql "select count(*), max(seq) from points where client_id = 'web01'")" = "3|4" ]
ok $? "protocol 2: reconnect and resend the same seqs: nothing doubled; ready holds the last timestamp"

out=$(printf '%s\n' connect \
    'send {"version": 2, "detail": true}' recv \
    'send {"seq":5,"timestamp":5,"value":5}' recv | ws '/ws?client_id=web01&window=100')
echo "$out" | grep -q '^text {"ready":true,"client_id":"web01","window":100,"last_seq":4,"points":3,"last_timestamp":4}$' &&
    echo "$out" | grep -q '^text {"seq":5,"timestamp":5,"anomaly":0,"alert":0,"score":0.0,"votes":{.*"warmup":true}$'
ok $? "protocol 2: settings message after a URL hello gets ready"

# --- bad messages of §2.3 keep the connection open
out=$(printf '%s\n' connect 'send {"client_id":"bad","window":10}' \
    'send {"timestamp":1,' 'expect "error":"invalid JSON"' \
    'send {"timestamp":1,"value":2} x' 'expect "error":"invalid JSON"' \
    'send {"timestamp":01,"value":2}' 'expect "error":"invalid JSON"' \
    'send {"timestamp":1}' 'expect {"error":"missing value","timestamp":1}' \
    'send {"timestamp":1,"value":NaN}' 'expect "error":"invalid JSON"' \
    'send {"timestamp":1,"value":1e999}' 'expect "error":"value is not a finite number"' \
    'send [{"timestamp":1,"value":1}]' 'expect "error":"not a JSON object"' \
    'send {"client_id":"bad","window":10}' 'expect {"error":"hello already received"}' \
    'send {"timestamp":7,"value":2}' 'expect {"timestamp":7,"anomaly":0}' | ws 2>&1)
ok $? "bad messages: each answered with an error, the connection goes on"
[ "$(sql "select count(*) from points where client_id = 'bad'")" = 1 ]
ok $? "bad messages: nothing of them stored"

# --- closes
out=$(printf '%s\n' connect 'send {"client_id":"c1","window":10}' \
    'sendbin 0102' 'expectclose 1003' | ws 2>&1)
ok $? "a binary frame closes 1003"
out=$(printf '%s\n' connect 'send {"client_id":"c1","window":10}' \
    'sendbig 70000 a' 'expectclose 1009' | ws 2>&1)
ok $? "a message over --max-message closes 1009"
out=$(printf '%s\n' connect 'send {"timestamp":1,"value":2}' recv | ws 2>&1)
echo "$out" | grep -q '^close 4001 hello expected'
ok $? "a point before the hello closes 4001"
out=$(printf '%s\n' connect 'send {"client_id":"a b","window":10}' recv | ws 2>&1)
echo "$out" | grep -q '^close 4001 hello: client_id must be'
ok $? "a bad client_id closes 4001 naming it"
out=$(printf '%s\n' connect recv | ws '/ws?client_id=ok&window=3' 2>&1)
echo "$out" | grep -q '^close 4001 URL: window must be'
ok $? "a bad window in the URL closes 4001 naming it"
out=$(printf '%s\n' connect 'send {"client_id":"p","window":10,"params":{"zscore.q":1}}' recv | ws 2>&1)
echo "$out" | grep -q "^close 4001 hello: unknown parameter 'zscore.q'"
ok $? "an unknown parameter closes 4001 naming it"
out=$(printf '%s\n' connect 'timeout 4000' recv | ws 2>&1)
echo "$out" | grep -q '^close 4001 no hello$'
ok $? "no hello within --hello-timeout closes 4001"
out=$(printf '%s\n' connect | ws '/wrong?client_id=x&window=10' 2>&1)
echo "$out" | grep -q '^handshake failed'
ok $? "an upgrade on another path than /ws is refused"

# --- takeover
printf '%s\n' connect recv 'timeout 5000' recv |
    ws '/ws?client_id=tk&window=10&version=2' >"$tmp/first" 2>&1 &
first=$!
waitfor "$tmp/first" ready
out=$(printf '%s\n' connect recv 'send {"seq":1,"timestamp":1,"value":1}' recv |
    ws '/ws?client_id=tk&window=10&version=2' 2>&1)
wait $first
echo "$out" | grep -q '{"seq":1,"timestamp":1,"anomaly":0}' &&
    grep -q '^close 4002 replaced$' "$tmp/first"
ok $? "a second connection with the same id takes over; the first closes 4002"

# --- pipelining: replies wait while reading pauses, nothing is dropped
out=$(printf '%s\n' connect recv \
    'pipeline 20000 {"seq":%d,"timestamp":%d,"value":1.5}' |
    ws '/ws?client_id=flood&window=100&version=2' 2>&1)
echo "$out" | grep -q '^received 20000$' &&
    [ "$(sql "select count(*) from points where client_id = 'flood'")" = 20000 ]
ok $? "a pipelining client gets all 20000 verdicts, all stored"

# --- HTTP
out=$(http_get "http://127.0.0.1:$port/api/clients")
echo "$out" | grep -q '"client_id":"AAPL_close","window":55,' &&
    echo "$out" | grep -q '"client_id":"web01",.*"points":4,'
ok $? "/api/clients lists the clients"
out=$(http_get "http://127.0.0.1:$port/api/clients/web01/points?after=1&limit=2")
[ "$out" = "$(printf '%s' "$out" | grep '^\[{"n":2,"seq":3,"timestamp":3.5,"t_ms":null,"value":8127,.*},{"n":3,"seq":4,"timestamp":4,"t_ms":null,')" ]  && [ -n "$out" ]
ok $? "/api/clients/ID/points: after, limit, typed timestamps (small numbers are sequence numbers: no t_ms)"
out=$(http_get "http://127.0.0.1:$port/" && http_get "http://127.0.0.1:$port/client/web01")
echo "$out" | grep -q '<a href="/client/AAPL_close">AAPL_close</a>' &&
    echo "$out" | grep -q '<td>2014-07-01 00:00:00</td>'
ok $? "the pages list the clients and a client's points"
out=$(http_head "http://127.0.0.1:$port/client/nobody"; http_head "http://127.0.0.1:$port/nope")
[ "$(echo "$out" | grep -c '^404$')" = 2 ] &&
    [ "$(echo "$out" | grep -ci "^content-security-policy: default-src 'self'; ")" = 2 ] &&
    [ "$(echo "$out" | grep -ci '^x-content-type-options: nosniff$')" = 2 ]
ok $? "unknown ids and paths get 404, with CSP and nosniff"

# --- restart-exactness
{ echo connect; echo recv; series 1 300; echo 'recvn 300'; } |
    ws '/ws?client_id=A&window=64&version=2&detail=1' >"$tmp/A" 2>&1
for c in B C D; do
	{ echo connect; echo recv; series 1 150; echo 'recvn 150'; } |
	    ws "/ws?client_id=$c&window=64&version=2&detail=1" >"$tmp/$c" 2>&1
done
kill -9 "$pid"
wait "$pid" 2>/dev/null
pid=
sql "delete from client_state where client_id = 'C'"	# replay it all
# a snapshot of an older state format (as an older anomalyd wrote) is not
# loaded: the points are replayed
sql "update client_state set format = format - 1 where client_id = 'D'"
start -v --hello-timeout 1 --snapshot-every 64
for c in B C D; do
	{ echo connect; echo recv; series 151 300; echo 'recvn 150'; } |
	    ws "/ws?client_id=$c&window=64&version=2&detail=1" >>"$tmp/$c" 2>&1
done
grep '^text {"seq"' "$tmp/A" >"$tmp/A.v"
grep -c '"anomaly":1' "$tmp/A.v" >/dev/null &&
    [ "$(wc -l <"$tmp/A.v")" -eq 300 ] &&
    grep '^text {"seq"' "$tmp/B" | cmp -s - "$tmp/A.v"
out=$(grep '^text {"seq"' "$tmp/B" | diff "$tmp/A.v" - | head -5)
ok $? "restart-exact: cut, kill -9, restart (from a snapshot): same verdicts"
grep '^text {"seq"' "$tmp/C" | cmp -s - "$tmp/A.v"
out=$(grep '^text {"seq"' "$tmp/C" | diff "$tmp/A.v" - | head -5)
ok $? "restart-exact: cut, kill -9, restart (full replay): same verdicts"
grep '^text {"seq"' "$tmp/D" | cmp -s - "$tmp/A.v" &&
    [ "$(sql "select count(*) from client_state where client_id = 'D' and format = (select format from client_state where client_id = 'A')")" = 1 ]
out=$(grep '^text {"seq"' "$tmp/D" | diff "$tmp/A.v" - | head -5)
ok $? "restart-exact: a snapshot of an older state format is replayed instead: same verdicts, then saved in today's format"

# --- detail votes: the alert source's detectors too, so an alert says why
out=$(grep -v '"votes":{"zscore":[01],"iqr":[01],"ewma":[01],"ma":[01],"iforest":[01],"spatial":[01],"novelty":[01],"novelty_long":[01]}' "$tmp/A.v" | head -3)
alerts=$(grep -c '"alert":1' "$tmp/A.v")
why=$(grep '"alert":1' "$tmp/A.v" | grep -c '"spatial":1\|"novelty":1\|"novelty_long":1')
[ -z "$out" ] && [ "$alerts" -ge 1 ] && [ "$why" = "$alerts" ]
ok $? "detail: votes hold the voting and the alert detectors; each alert shows which fired ($alerts alerts)"
out=$(sql "select count(*), sum((votes & 448) <> 0) from points where client_id = 'A' and alert = 1")
[ "$out" = "$alerts|$alerts" ]
ok $? "the stored votes of each alert hold the bit of the alert detector that fired"

# sendrecv FROM TO: protocol-2 points FROM..TO, each sent after the
# previous one's reply, as "send" and "recv" lines.
sendrecv() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		for (i = a; i <= b; i++)
			printf "send {\"seq\":%d,\"timestamp\":%d,\"value\":%d}\nrecv\n",
			    i, 1600000000 + i, i % 7
	}'
}

# --- a second server on the same database
out=$("$anomalyd" -l "127.0.0.1:$(free_port)" -d "$db" 2>&1)
rc=$?
[ $rc -eq 1 ] && [ -n "$out" ]
ok $? "a second anomalyd on the same database exits 1"

"$anomalyd" --no-such-option >/dev/null 2>&1
rc1=$?
"$anomalyd" --zscore-k x >/dev/null 2>&1
rc2=$?
out="exit $rc1 and $rc2"
[ $rc1 -eq 2 ] && [ $rc2 -eq 2 ]
ok $? "usage errors exit 2"

# --- SIGTERM: close with 1001, mark inactive, exit 0 at once
printf '%s\n' connect recv 'timeout 5000' recv |
    ws '/ws?client_id=term&window=10&version=2' >"$tmp/term" 2>&1 &
client=$!
waitfor "$tmp/term" ready
t0=$(date +%s%N)
kill -TERM "$pid"
wait "$pid"
rc=$?
t1=$(date +%s%N)
pid=
wait $client
out="rc $rc, $(((t1 - t0) / 1000000)) ms; $(cat "$tmp/term")"
[ $rc -eq 0 ] && [ $(((t1 - t0) / 1000000)) -lt 2000 ] &&
    grep -q '^close 1001' "$tmp/term" &&
    [ "$(sql 'select count(*) from clients where active = 1')" = 0 ]
ok $? "SIGTERM: 1001 to the clients, all inactive, exit 0 within 2 s"

# --- closes of §2.3 not seen above, on a server of their own
db=$tmp/closes.db
start -v --max-pending 1k --ping-timeout 1 --max-clients 2
out=$(printf '%s\n' connect 'send {"client_id":"u8","window":10}' \
    'sendhex 7b 22 74 c3 28 22 3a 31 7d' 'expectclose 1007' | ws 2>&1)
ok $? "invalid UTF-8 in a text frame closes 1007"

key=$(awk 'BEGIN { for (i = 0; i < 300; i++) printf "k" }')
out=$(printf '%s\n' connect 'send {"client_id":"lk","window":10}' \
    "send {\"$key\":1,\"timestamp\":1,\"value\":2}" \
    'expect {"error":"object key longer than 64 bytes"}' \
    "send {\"seq\":1,\"$key\":{\"timestamp\":1},\"timestamp\":3,\"value\":2}" \
    'expect {"error":"object key longer than 64 bytes"}' \
    'send {"timestamp":2,"value":3}' 'expect {"timestamp":2,"anomaly":0}' |
    ws 2>&1)
[ $? -eq 0 ] && [ "$(sql "select count(*), max(timestamp) from points where client_id = 'lk'")" = "1|2" ]
ok $? "a 300-byte key before timestamp is an error (LEJP guard); the connection goes on"

t0=$(date +%s%N)
out=$(printf '%s\n' connect 'send {"client_id":"deaf","window":10}' \
    'autopong off' 'recvn 5 6000' | ws 2>&1)
ms=$(ms_since "$t0")
out="$out (after $ms ms)"
echo "$out" | grep -q '^ping' && echo "$out" | grep -q '^eof' && [ "$ms" -lt 5000 ]
ok $? "no pong within --ping-timeout 1: the server drops the connection"

# a client that pipelines a flood and reads nothing until it is closed
out=$(python3 - "$port" <<'PY' 2>&1
import os, socket, struct, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
head = b""
while b"\r\n\r\n" not in head:
    head += s.recv(1)
def frame(text):
    p, m = text.encode(), os.urandom(4)
    return (bytes([0x81, 0x80 | len(p)]) + m +
        bytes(b ^ m[i % 4] for i, b in enumerate(p)))
data = frame('{"client_id":"slow","window":10}') + b"".join(
    frame('{"timestamp":%d,"value":1}' % i) for i in range(1, 20001))
s.settimeout(5)
try:
    s.sendall(data)
except OSError:
    pass
buf, end = b"", time.time() + 5
while time.time() < end:
    try:
        chunk = s.recv(65536)
    except OSError:
        break
    if not chunk:
        break
    buf += chunk
    while len(buf) >= 2:
        op, n, off = buf[0] & 15, buf[1] & 127, 2
        if n == 126:
            n, off = struct.unpack("!H", buf[2:4])[0], 4
        if len(buf) < off + n:
            break
        if op == 8:
            print("close %d %s" % (struct.unpack("!H", buf[off:off + 2])[0],
                buf[off + 2:off + n].decode()))
            sys.exit(0)
        buf = buf[off + n:]
print("no close frame")
PY
)
[ "$out" = "close 4008 too slow" ] && [ "$(http_get "http://127.0.0.1:$port/healthz")" = ok ]
ok $? "a client that floods and reads nothing closes 4008 (--max-pending 1k)"

printf '%s\n' connect 'send {"client_id":"m1","window":10}' 'timeout 5000' recv |
    ws >"$tmp/m1" 2>&1 &
m1=$!
printf '%s\n' connect 'send {"client_id":"m2","window":10}' 'timeout 5000' recv |
    ws >"$tmp/m2" 2>&1 &
m2=$!
waitfor "$tmp/log" 'hello m1 ' && waitfor "$tmp/log" 'hello m2 '
out=$(printf '%s\n' connect recv | ws 2>&1)
echo "$out" | grep -q '^close 4029 too many clients$'
ok $? "a connection over --max-clients 2 closes 4029"
stop
wait $m1 $m2
out=$(cat "$tmp/m1" "$tmp/m2")
[ "$(grep -c '^close 1001' "$tmp/m1" "$tmp/m2" | grep -c ':1$')" = 2 ]
ok $? "the two clients within --max-clients stay connected"

# --- --token-file (§2.1)
printf 's3cret/T0ken\n' >"$tmp/token"
: >"$tmp/empty"
"$anomalyd" --token-file "$tmp/empty" >/dev/null 2>&1
rc1=$?
"$anomalyd" --token-file "$tmp/none" >/dev/null 2>&1
rc2=$?
out="exit $rc1 and $rc2"
[ $rc1 -eq 2 ] && [ $rc2 -eq 1 ]
ok $? "--token-file: an empty file exits 2, an unreadable one 1"
out=$("$anomalyd" -l "0.0.0.0:$(free_port)" -d "$tmp/no/such.db" 2>&1;
    "$anomalyd" -l "0.0.0.0:$(free_port)" -d "$tmp/no/such.db" \
    --token-file "$tmp/token" 2>&1)
[ "$(echo "$out" | grep -c 'warning: listening on 0.0.0.0:[0-9]* without --token-file')" = 1 ]
ok $? "listening on a non-loopback address without --token-file warns"

db=$tmp/token.db
start -v --token-file "$tmp/token" --hello-timeout 1 --batch-ms 0 --batch-rows 7
out=$(printf '%s\n' connect 'send {"client_id":"t1","window":10}' recv | ws 2>&1;
    printf '%s\n' connect 'send {"client_id":"t1","window":10,"token":"s3cret/T0ke"}' recv | ws 2>&1;
    printf '%s\n' connect 'send {"client_id":"t1","window":10,"token":"s3cret/T0ken!"}' recv | ws 2>&1)
[ "$(echo "$out" | grep -c '^close 4003 token missing or wrong$')" = 3 ]
ok $? "token: a hello without it, or with a wrong one, closes 4003"
out=$(printf '%s\n' connect 'send {"client_id":"t1","window":10,"token":"s3cret/T0ken"}' \
    'send {"timestamp":1,"value":1}' recv | ws 2>&1)
echo "$out" | grep -q '^text {"timestamp":1,"anomaly":0}$'
ok $? "token: in the hello"
out=$(printf '%s\n' connect recv | ws '/ws?client_id=t2&window=10&version=2&token=s3cret%2FT0ken' 2>&1;
    printf '%s\n' connect recv | ws '/ws?client_id=t2&window=10&version=2&token=s3cret' 2>&1;
    printf '%s\n' connect recv | ws '/ws?client_id=t2&window=10&version=2' 2>&1)
[ "$(echo "$out" | grep -c '^text {"ready":true,"client_id":"t2"')" = 1 ] &&
    [ "$(echo "$out" | grep -c '^close 4003 ')" = 2 ]
ok $? "token: in the URL (token=); a wrong or missing one closes 4003"
out=$(printf '%s\n' 'connect Authorization: Bearer s3cret/T0ken' recv |
    ws '/ws?client_id=t2&window=10&version=2' 2>&1;
    printf '%s\n' 'connect Authorization: Bearer s3cret/T0ke' recv |
    ws '/ws?client_id=t2&window=10&version=2' 2>&1)
[ "$(echo "$out" | grep -c '^text {"ready":true,"client_id":"t2"')" = 1 ] &&
    [ "$(echo "$out" | grep -c '^close 4003 ')" = 1 ]
ok $? "token: in an Authorization: Bearer header"
out=$(printf '%s\n' connect 'send {"version":2,"token":"s3cret/T0ken"}' recv |
    ws '/ws?client_id=t3&window=10' 2>&1;
    printf '%s\n' connect 'send {"timestamp":1,"value":1}' recv |
    ws '/ws?client_id=t3&window=10' 2>&1;
    printf '%s\n' connect 'timeout 4000' recv | ws '/ws?client_id=t3&window=10' 2>&1)
[ "$(echo "$out" | grep -c '^text {"ready":true,"client_id":"t3"')" = 1 ] &&
    [ "$(echo "$out" | grep -c '^close 4003 ')" = 2 ]
ok $? "token: in the settings message after a URL hello; a point or nothing instead closes 4003"
printf '%s\n' connect recv 'timeout 5000' recv 'send {"seq":2,"timestamp":2,"value":1}' recv |
    ws '/ws?client_id=tk&window=10&version=2&token=s3cret%2FT0ken' >"$tmp/tk" 2>&1 &
first=$!
waitfor "$tmp/tk" ready
out=$(printf '%s\n' connect 'send {"client_id":"tk","window":10,"version":2,"token":"x"}' \
    recv | ws 2>&1)
wait $first
out="$out
$(cat "$tmp/tk")"
echo "$out" | grep -q '^close 4003 ' && grep -q '^timeout$' "$tmp/tk" &&
    grep -q '^text {"seq":2,"timestamp":2,"anomaly":0}$' "$tmp/tk" &&
    ! grep -q 4002 "$tmp/tk"
ok $? "token: a connection with a wrong token does not take over"
out=$(printf '%s\n' connect recv \
    'pipeline 5000 {"seq":%d,"timestamp":%d,"value":1.5}' |
    ws '/ws?client_id=bms&window=100&version=2&token=s3cret%2FT0ken' 2>&1)
echo "$out" | grep -q '^received 5000$' &&
    [ "$(sql "select count(*), max(n) from points where client_id = 'bms'")" = "5000|5000" ]
ok $? "--batch-ms 0 --batch-rows 7: a pipelining client gets every verdict, all stored"
stop

# --- storage failure (§2.3): the disk fills up under a file size limit
db=$tmp/full.db
start -v
{ echo connect; echo recv; sendrecv 1 10; } |
    ws '/ws?client_id=full&window=10&version=2' >/dev/null 2>&1
stop
wrap="prlimit --fsize=65536"
start -v
wrap=
{ echo connect; echo 'send {"client_id":"orig_full","window":10}'
  echo 'send {"timestamp":1,"value":1}'; echo recv
  waitfor "$tmp/full" '"seq":40}$'
  echo 'send {"timestamp":2,"value":1}'; echo recv
  echo 'send {"timestamp":3,"value":1}'; echo recv
} | ws >"$tmp/orig_full" 2>&1 &
orig=$!
waitfor "$tmp/orig_full" '^text {"timestamp":1,'
{ echo connect; echo recv; sendrecv 11 40
  waitfor "$tmp/full" '"seq":40}$'
  S=$(sed -n 's/.*"error":"not stored: [^r].*"seq":\([0-9]*\)}$/\1/p' "$tmp/full" | head -1)
  echo "send {\"seq\":$((S + 2)),\"timestamp\":0,\"value\":1}"; echo recv
  echo "send {\"seq\":$S,\"timestamp\":0,\"value\":1}"; echo recv
} | ws '/ws?client_id=full&window=10&version=2' >"$tmp/full" 2>&1
wait $orig
S=$(sed -n 's/.*"error":"not stored: [^r].*"seq":\([0-9]*\)}$/\1/p' "$tmp/full" | head -1)
out=$(cat "$tmp/full")
# seq 11..S-1 answered, S not stored, S+1..40 refused, in order
exp=$(awk -v s="$S" 'BEGIN {
	for (i = 11; i < s; i++) print "ok " i
	print "failed " s
	for (i = s + 1; i <= 40; i++) print "resend " i
	print "resend " s + 2
	print "failed " s }')
got=$(sed -n 's/^text {"seq":\([0-9]*\),.*"anomaly":0}$/ok \1/p
    s/^text {"error":"not stored: resend from seq '"$S"'",.*"seq":\([0-9]*\)}$/resend \1/p
    s/^text {"error":"not stored: [^r].*"seq":\([0-9]*\)}$/failed \1/p' "$tmp/full")
[ -n "$S" ] && [ "$got" = "$exp" ]
ok $? "disk full: verdicts, then not stored, then 'resend from seq S', in order"
[ "$(sql "select count(*), max(seq), max(n) from points where client_id = 'full'")" = "$((S - 1))|$((S - 1))|$((S - 1))" ]
ok $? "disk full: the database holds exactly the acknowledged points"
out=$(cat "$tmp/orig_full")
[ "$(grep -c '"error":"not stored: ' "$tmp/orig_full")" = 2 ] &&
    ! grep -q resend "$tmp/orig_full" &&
    [ "$(sql "select count(*) from points where client_id = 'orig_full'")" = 1 ]
ok $? "disk full: an original client gets its errors and simply goes on"
kill -9 "$pid"
wait "$pid" 2>/dev/null
pid=
start -v
out=$({ echo connect; echo recv; sendrecv "$S" 40; } |
    ws '/ws?client_id=full&window=10&version=2' 2>&1)
echo "$out" | grep -q "^text {\"ready\":true,\"client_id\":\"full\",\"window\":10,\"last_seq\":$((S - 1)),\"points\":$((S - 1)),\"last_timestamp\":$((1600000000 + S - 1))}$" &&
    [ "$(echo "$out" | grep -c '^text {"seq":[0-9]*,"timestamp":[0-9]*,"anomaly":0}$')" = $((41 - S)) ] &&
    [ "$(sql "select count(*), count(distinct seq), min(seq), max(seq), max(n) from points where client_id = 'full'")" = "40|40|1|40|40" ]
ok $? "disk full: after the cause is gone, resending from S stores all 40 points once"
stop

# --- -p KEY=VALUE sets any parameter's default; --www defaults to
# share/anomaly/www beside the program's directory, whatever the cwd
db="$tmp/param.db"
port=$(free_port)
(cd / && exec "$OLDPWD/$anomalyd" -l "127.0.0.1:$port" -d "$db" \
    -p novelty.eps=1e-5 --param spatial.ramp=50 --holdoff 7 2>>"$tmp/log") &
pid=$!
i=0
until [ "$(http_get "http://127.0.0.1:$port/healthz" 2>/dev/null)" = ok ] ||
    [ $i -ge 100 ]; do sleep 0.05; i=$((i + 1)); done
out=$(printf '%s\n' connect recv | ws '/ws?client_id=param&window=10&version=2' 2>&1)
set=$(sql "select settings from clients where client_id = 'param'")
out="$out $set"
echo "$set" | grep -q '"novelty.eps":1e-05,' &&
    echo "$set" | grep -q '"spatial.ramp":50,' &&
    echo "$set" | grep -q '"holdoff":7,'
ok $? "-p KEY=VALUE and --param set a parameter's default for new clients"
out=$(http_get "http://127.0.0.1:$port/static/style.css" | head -c 200)
echo "$out" | grep -q 'anomalyd pages'
ok $? "started from /, anomalyd serves /static/ from share/anomaly/www beside build/"
stop
"$anomalyd" -p nosuch=1 >/dev/null 2>"$tmp/perr"
rc1=$?
"$anomalyd" -p novelty.eps >/dev/null 2>>"$tmp/perr"
rc2=$?
out="exit $rc1 and $rc2: $(cat "$tmp/perr")"
[ $rc1 -eq 2 ] && [ $rc2 -eq 2 ] && grep -q "'nosuch' is not a parameter" "$tmp/perr" &&
    grep -q "is not KEY=VALUE" "$tmp/perr"
ok $? "-p with an unknown name or without =VALUE is a usage error naming it"
# (timeout: an anomalyd that took them would serve)
u="-l 127.0.0.1:$(free_port) -d $tmp/usage.db"
# shellcheck disable=SC2086
timeout 5 "$anomalyd" $u --iforest-trees 201 >/dev/null 2>"$tmp/perr"
rc1=$?
# shellcheck disable=SC2086
timeout 5 "$anomalyd" $u -p novelty.protos=513 >/dev/null 2>>"$tmp/perr"
rc2=$?
# shellcheck disable=SC2086
timeout 5 "$anomalyd" $u --max-memory 12x >/dev/null 2>>"$tmp/perr"
rc3=$?
out="exit $rc1, $rc2 and $rc3: $(cat "$tmp/perr")"
[ $rc1 -eq 2 ] && [ $rc2 -eq 2 ] && [ $rc3 -eq 2 ] &&
    grep -q "iforest.trees must be a whole number from 1 to 200" "$tmp/perr" &&
    grep -q "novelty.protos must be a whole number from 1 to 512" "$tmp/perr" &&
    grep -q "max-memory" "$tmp/perr"
ok $? "a parameter beyond its bound, or a bad --max-memory, is a usage error naming its range"
