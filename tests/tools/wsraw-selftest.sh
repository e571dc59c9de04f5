#!/bin/sh
# wsraw-selftest.sh: tests/tools/wsraw against a tiny WebSocket echo server
# in Python (standard library only), so that the raw client the integration
# tests rely on is itself tested before anomalyd exists.  TAP.
# WSRAW names the binary (default build/tests/tools/wsraw).
wsraw=${WSRAW:-build/tests/tools/wsraw}
tmp=$(mktemp -d) || exit 1
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The echo server.  Paths: /ws... is upgraded, anything else 404.  A path
# holding "badaccept" gets a wrong Sec-WebSocket-Accept, "proto" an
# unrequested Sec-WebSocket-Protocol, "greet" a text frame in the same write
# as the 101, "raw=HEX" those bytes after the 101 and nothing more;
# "oversize" reads 64 KiB at most, sends close 1009, and resets the
# connection 0.2 s later without reading more.  Text messages are echoed,
# except these commands:
#   path? headers?	the request's path; its subprotocol and version
#   fragme	"abcdefghij" in three fragments with a ping among them
#   pingme	a ping "srv"; once its pong is back, "pong received: PAYLOAD"
#   closeme CODE REASON	a close frame; then waits for the client's
#   dribble	a text frame written one byte at a time
#   silent	no answer
# Invalid UTF-8 in a text message gets "invalid utf-8: HEX"; binary
# messages are echoed; pings get pongs; a close frame is echoed.
cat >"$tmp/server.py" <<'EOF'
import base64, hashlib, os, socket, struct, sys, threading, time
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

def recvn(c, n):
    b = bytearray()
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            raise EOFError
        b += d
    return bytes(b)

def frame(op, data, fin=True):
    n = len(data)
    h = bytes([(0x80 if fin else 0) | op])
    if n < 126:
        h += bytes([n])
    elif n < 65536:
        h += struct.pack("!BH", 126, n)
    else:
        h += struct.pack("!BQ", 127, n)
    return h + data

def readframe(c):
    b0, b1 = recvn(c, 2)
    n = b1 & 127
    if n == 126:
        n = struct.unpack("!H", recvn(c, 2))[0]
    elif n == 127:
        n = struct.unpack("!Q", recvn(c, 8))[0]
    if not b1 & 128:
        raise ValueError("client frame not masked")
    m = recvn(c, 4)
    d = recvn(c, n)
    k = (m * (n // 4 + 1))[:n]
    d = (int.from_bytes(d, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")
    return b0 >> 7, b0 & 15, d

def handshake(c):
    req = b""
    while b"\r\n\r\n" not in req:
        d = c.recv(4096)
        if not d:
            return None
        req += d
    lines = req.split(b"\r\n\r\n")[0].decode().split("\r\n")
    path = lines[0].split()[1]
    hdr = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        hdr[k.strip().lower()] = v.strip()
    if not path.startswith("/ws"):
        c.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        return None
    acc = base64.b64encode(hashlib.sha1(
        hdr.get("sec-websocket-key", "").encode() + GUID).digest()).decode()
    if "badaccept" in path:
        acc = ("A" if acc[0] != "A" else "B") + acc[1:]
    resp = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n%s\r\n" %
            (acc, "Sec-WebSocket-Protocol: x\r\n" if "proto" in path else ""))
    c.sendall(resp.encode() + (frame(1, b"hello") if "greet" in path else b""))
    return path, hdr

def special(c, path):
    if "raw=" in path:
        c.sendall(bytes.fromhex(path.split("raw=")[1]))
        while c.recv(65536):
            pass
    elif "oversize" in path:
        c.recv(65536)
        c.sendall(frame(8, struct.pack("!H", 1009)))
        c.shutdown(socket.SHUT_WR)
        time.sleep(0.2)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    else:
        return False
    return True

def message(c):
    op, data = None, b""
    while True:
        fin, fop, d = readframe(c)
        if fop == 9:
            c.sendall(frame(10, d))
        elif fop >= 8:
            return fop, d
        else:
            op = fop if fop else op
            data += d
            if fin:
                return op, data

def session(c, path, hdr):
    while True:
        op, d = message(c)
        if op == 8:
            c.sendall(frame(8, d))
            return
        if op == 2:
            c.sendall(frame(2, d))
            continue
        if op != 1:
            continue
        try:
            t = d.decode()
        except UnicodeDecodeError:
            c.sendall(frame(1, b"invalid utf-8: " + d.hex().encode()))
            continue
        if t == "path?":
            c.sendall(frame(1, path.encode()))
        elif t == "headers?":
            c.sendall(frame(1, ("protocol: %s version: %s" % (
                hdr.get("sec-websocket-protocol", "none"),
                hdr.get("sec-websocket-version"))).encode()))
        elif t == "fragme":
            c.sendall(frame(1, b"abc", False) + frame(9, b"mid") +
                      frame(0, b"def", False) + frame(0, b"ghij"))
        elif t == "pingme":
            c.sendall(frame(9, b"srv"))
            while True:
                op, d = message(c)
                if op == 10:
                    break
            c.sendall(frame(1, b"pong received: " + d))
        elif t.startswith("closeme "):
            code, _, reason = t[8:].partition(" ")
            c.sendall(frame(8, struct.pack("!H", int(code)) + reason.encode()))
            while True:
                op, d = message(c)
                if op == 8:
                    break
            sys.stderr.write("closeme: answered with %d\n" %
                             struct.unpack("!H", d[:2])[0])
            return
        elif t == "dribble":
            for b in frame(1, b"dribbled " + b"x" * 300):
                c.sendall(bytes([b]))
                time.sleep(0.001)
        elif t != "silent":
            c.sendall(frame(1, d))

def serve(c):
    try:
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        r = handshake(c)
        if r and not special(c, r[0]):
            session(c, *r)
    except (EOFError, OSError, ValueError) as e:
        sys.stderr.write("server: %s\n" % e)
    finally:
        c.close()

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(16)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF

echo "1..36"
n=0
pass() {
	n=$((n + 1))
	echo "ok $n - $1"
}
fail() {
	n=$((n + 1))
	echo "not ok $n - $1"
	echo "#   exit $rc; stdout:"
	cut -c1-200 "$tmp/out" | sed 's/^/#     /'
	echo "#   stderr:"
	sed 's/^/#     /' "$tmp/err"
}
# is NAME RC OUTPUT: the last run exited RC and printed exactly OUTPUT.
is() {
	if [ "$rc" -eq "$2" ] && [ "$(cat "$tmp/out")" = "$3" ]; then
		pass "$1"
	else
		fail "$1"
		echo "#   wanted exit $2 and:"
		printf '%s\n' "$3" | sed 's/^/#     /'
	fi
}
# verdict NAME: passes if the command just before succeeded.
verdict() {
	if [ $? -eq 0 ]; then pass "$1"; else fail "$1"; fi
}
# ws [PATH]: runs wsraw with the script on stdin.
ws() {
	"$wsraw" 127.0.0.1 "$port" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

if [ ! -x "$wsraw" ]; then
	echo "not ok 1 - $wsraw not built"
	exit 1
fi
python3 "$tmp/server.py" "$tmp/port" 2>"$tmp/server.log" &
pid=$!
# Wait for the port file, 10 s at most.
deadline=$(($(date +%s) + 10))
while [ ! -s "$tmp/port" ]; do
	if ! kill -0 "$pid" 2>/dev/null ||
	    [ "$(date +%s)" -gt "$deadline" ]; then
		echo "not ok 1 - the echo server did not start"
		sed 's/^/#   /' "$tmp/server.log"
		exit 1
	fi
	sleep 0.05
done
port=$(cat "$tmp/port")

ws <<'EOF'
connect
EOF
is "handshake: 101 and Sec-WebSocket-Accept checked" 0 "connected"

ws <<'EOF'
connect Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==
headers
EOF
grep -qx 'header Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=' "$tmp/out"
verdict "SHA-1 and base64 agree with RFC 6455's sample key"
grep -qx 'status HTTP/1.1 101 Switching Protocols' "$tmp/out"
verdict "headers prints the status line"

ws '/ws?client_id=web01&window=1000' <<'EOF'
connect
send headers?
recv
send path?
recv
EOF
is "no subprotocol, version 13, query string kept" 0 "connected
text protocol: none version: 13
text /ws?client_id=web01&window=1000"

ws <<'EOF'
connect X-Test: 1 | Sec-WebSocket-Version: 8
send headers?
expect version: 8
EOF
is "connect: extra headers and a replaced default" 0 "connected
text protocol: none version: 8"

ws <<'EOF'
connect
send {"client_id": "sensor-7", "window": 50}
recv
send  two  blanks 
recv
send
recv
EOF
is "text echo (payload = rest of the line, blanks kept; empty)" 0 'connected
text {"client_id": "sensor-7", "window": 50}
text  two  blanks 
text'

ws <<'EOF'
connect
sendbig 1000 a
recv
EOF
[ "$rc" -eq 0 ] &&
    [ "$(tail -n 1 "$tmp/out")" = "text $(printf '%01000d' 0 | tr 0 a)" ]
verdict "1000-byte message: 16-bit lengths both ways"

ws <<'EOF'
connect
sendbig 204800 x
recv
send after
recv
EOF
[ "$rc" -eq 0 ] && [ "$(sed -n 2p "$tmp/out" | wc -c)" -eq 204806 ] &&
    [ "$(sed -n 2p "$tmp/out")" = "text $(printf '%0204800d' 0 | tr 0 x)" ] &&
    [ "$(sed -n 3p "$tmp/out")" = "text after" ]
verdict "200 KB message: 64-bit lengths both ways"

ws <<'EOF'
connect
sendfrag 4 héllo wörld, in pieces
recv
sendfrag 1 one piece
recv
sendfrag 30 short
recv
EOF
is "sendfrag: the server reassembles (UTF-8 split, empty fragments)" 0 \
"connected
text héllo wörld, in pieces
text one piece
text short"

ws <<'EOF'
connect
send fragme
recv
send after
recv
EOF
is "recv reassembles fragments around an interleaved ping" 0 "connected
text abcdefghij
text after"

ws <<'EOF'
connect
send dribble
recv
EOF
[ "$rc" -eq 0 ] &&
    [ "$(tail -n 1 "$tmp/out")" = \
    "text dribbled $(printf '%0300d' 0 | tr 0 x)" ]
verdict "a frame arriving one byte at a time"

ws /ws/greet <<'EOF'
connect
recv
EOF
is "a frame in the same segment as the 101" 0 "connected
text hello"

ws <<'EOF'
connect
sendbin 00ff10
recv
sendbin
recv
EOF
is "binary frames" 0 "connected
binary 00ff10
binary"

ws <<'EOF'
connect
sendhex c328
recv
sendhex 68 c3 a9
recv
EOF
is "sendhex: invalid and valid UTF-8" 0 "connected
text invalid utf-8: c328
text hé"

ws <<'EOF'
connect
# a masked text frame "hi" with mask 01020304, by hand
sendraw 8182 01020304 696b
recv
EOF
is "sendraw" 0 "connected
text hi"

ws <<'EOF'
connect
ping hello
recv
EOF
is "ping: the pong is printed" 0 "connected
pong hello"

ws <<'EOF'
connect
send pingme
recv
EOF
is "autopong answers the server's ping" 0 "connected
text pong received: srv"

ws <<'EOF'
connect
autopong off
send pingme
recv
pong manual
recv
EOF
is "autopong off: recv prints the ping; pong by hand" 0 "connected
ping srv
text pong received: manual"

ws <<'EOF'
connect
close 4001 bye now
recv
recv
EOF
is "close code round trip, then eof" 0 "connected
close 4001 bye now
eof"

ws <<'EOF'
connect
send hello
send closeme 4002 replaced
expectclose 4002
recv
EOF
is "expectclose skips messages; the server's close is answered" 0 "connected
text hello
close 4002 replaced
eof"
grep -q '^closeme: answered with 4002$' "$tmp/server.log"
verdict "the client answered the server's close with the same code"

ws /ws/badaccept <<'EOF'
connect
send never
EOF
is "a wrong Sec-WebSocket-Accept fails the handshake" 1 \
"handshake failed: HTTP/1.1 101 Switching Protocols (bad Sec-WebSocket-Accept)"

ws /nope <<'EOF'
connect
EOF
is "a 404 fails the handshake" 0 "handshake failed: HTTP/1.1 404 Not Found"

ws <<'EOF'
connect
send one
recv
disconnect
path /ws?client_id=b
connect
send path?
recv
send silent
recv 200
EOF
is "disconnect, path, reconnect; recv timeout" 0 "connected
text one
connected
text /ws?client_id=b
timeout"

ws <<'EOF'
connect
send abc
expect xyz
send never
EOF
[ "$rc" -eq 1 ] && [ "$(cat "$tmp/out")" = "connected
text abc" ] && grep -q 'line 3: expected "xyz", got: text abc' "$tmp/err"
verdict "a failed expect exits 1 naming the line"

ws <<'EOF'
connect
bogus
EOF
[ "$rc" -eq 2 ] && grep -q 'line 2: unknown command "bogus"' "$tmp/err"
verdict "an unknown command exits 2 naming the line"

ws <<'EOF'
sendhex abc
EOF
rc2=$rc
"$wsraw" 127.0.0.1 >/dev/null 2>&1 </dev/null
[ $? -eq 2 ] && [ "$rc2" -eq 2 ]
verdict "odd hex and a missing port are usage errors (exit 2)"

ws /ws/proto <<'EOF'
connect
EOF
is "an unrequested Sec-WebSocket-Protocol fails the handshake" 0 \
"handshake failed: HTTP/1.1 101 Switching Protocols (Sec-WebSocket-Protocol not asked for)"

ws /ws/oversize <<'EOF'
connect
sendbig 20000000 a
expectclose 1009
recv
EOF
is "a close arriving while a 20 MB frame is being written is seen" 0 \
"connected
close 1009
eof"

# violation HEX MESSAGE: the server sends HEX after the 101; recv must fail
# (exit 1) with MESSAGE on stderr.
violation() {
	ws "/ws/raw=$1" <<'EOF'
connect
recv
EOF
	[ "$rc" -eq 1 ] && [ "$(cat "$tmp/out")" = connected ] &&
	    grep -q "line 2: $2" "$tmp/err"
	verdict "a server frame breaking RFC 6455: $2"
}
violation 81820000000068690a "the server sent a masked frame"
violation c1026869 "the server set RSV bits"
violation 8102c328 "the server sent invalid UTF-8 in a text message"
violation 80026869 "the server sent a continuation frame outside"
violation 817e00026869 "the server sent 2 in a 16-bit length"
violation 097e0080$(printf '%0256d' 0) "the server sent a control frame"

ws <<'EOF'
connect
pipeline 20000 {"timestamp": %d, "value": 1.5}
send last
recv
EOF
is "pipeline: 20000 messages and replies" 0 "connected
received 20000
text last"

exit 0
