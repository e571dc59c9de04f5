#!/bin/sh
# takeover.sh: who may use a client_id (anomaly(7)), TAP.  A claimed id
# (protocol 2, "claim") is taken only with its key or the operator token
# (--admin-token-file): others are closed 4003 and change nothing, with or
# without --token-file.  An unclaimed live id is taken over only from the
# address of its connection (else 4009), and a hello for it takes no
# settings an earlier hello stored.  anomaly-send keeps its keys.  Drives
# build/anomalyd with tests/tools/wsraw, python3 raw sockets (a peer at
# 127.0.0.2), curl and build/anomaly-send.
. tests/lib.sh

echo "1..14"
send=${SEND:-build/anomaly-send}

# pts FROM TO: original-protocol points FROM..TO, each read back.
pts() {
	i=$1
	while [ "$i" -le "$2" ]; do
		echo "send {\"timestamp\":$i,\"value\":$((i % 3))}"
		echo recv
		i=$((i + 1))
	done
}

# spts FROM TO: the same with seq (protocol 2).
spts() {
	i=$1
	while [ "$i" -le "$2" ]; do
		echo "send {\"seq\":$i,\"timestamp\":$i,\"value\":$((i % 3))}"
		echo recv
		i=$((i + 1))
	done
}

# key_of FILE: the key of the ready in FILE.
key_of() {
	sed -n 's/.*"key":"\([0-9a-f]*\)".*/\1/p' "$1" | head -1
}

# from ADDR PATH [MESSAGE]: a WebSocket connection from local address
# ADDR (127.0.0.2: another peer than wsraw's), the text MESSAGE sent,
# the first frame back printed as wsraw does ("text ..." or "close C R").
cat >"$tmp/from.py" <<'EOF'
import base64, os, socket, struct, sys
src, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
msg = sys.argv[4] if len(sys.argv) > 4 else ""
s = socket.socket()
s.settimeout(5)
s.bind((src, 0))
s.connect(("127.0.0.1", port))
k = base64.b64encode(os.urandom(16)).decode()
s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n" % (path, port, k)).encode())
buf = b""
def need(n):
    global buf
    while len(buf) < n:
        d = s.recv(4096)
        if not d:
            print("eof")
            sys.exit(0)
        buf += d
while b"\r\n\r\n" not in buf:
    need(len(buf) + 1)
head, buf = buf.split(b"\r\n\r\n", 1)
if b" 101 " not in head.split(b"\r\n")[0]:
    print("handshake failed")
    sys.exit(0)
if msg:
    p, m = msg.encode(), os.urandom(4)
    s.sendall(bytes([0x81, 0x80 | len(p)]) + m +
        bytes(b ^ m[i % 4] for i, b in enumerate(p)))
need(2)
op, n, off = buf[0] & 15, buf[1] & 127, 2
if n == 126:
    need(4)
    n, off = struct.unpack(">H", buf[2:4])[0], 4
need(off + n)
pl = buf[off:off + n]
if op == 8:
    print("close %d %s" % (struct.unpack(">H", pl[:2])[0], pl[2:].decode()))
else:
    print("text " + pl.decode())
EOF
from() {
	python3 "$tmp/from.py" "$1" "$port" "$2" "$3"
}

claimed='client_id is claimed: key missing or wrong'
start -v --hello-timeout 2

# --- a claimed live client: URL, protocol-2 and settings takeovers fail
{ echo connect; echo recv; spts 1 30
  waitfor "$tmp/att" done
  echo 'send {"seq":31,"timestamp":31,"value":1e9}'; echo recv
  echo 'recv 300'; } |
    ws '/ws?client_id=c1&window=10&version=2&claim=1' >"$tmp/c1" 2>&1 &
victim=$!
waitfor "$tmp/c1" '"seq":30,'
k1=$(key_of "$tmp/c1")
a1=$(printf '%s\n' connect 'send {"timestamp":1,"value":1}' recv |
    ws '/ws?client_id=c1&window=10')
a2=$(printf '%s\n' connect recv | ws '/ws?client_id=c1&window=10&version=2')
a3=$(printf '%s\n' connect \
    'send {"client_id":"c1","window":10,"version":2,"vote":"all","params":{"zscore.k":1e9}}' \
    recv | ws)
a4=$(printf '%s\n' connect recv |
    ws '/ws?client_id=c1&window=10&version=2&key=00112233445566778899aabbccddeeff')
echo done >"$tmp/att"
wait $victim
out="c1: $(tail -3 "$tmp/c1") | $a1 | $a2 | $a3 | $a4"
[ ${#k1} = 32 ] && [ "$a1" = "connected
close 4003 $claimed" ] && [ "$a2" = "$a1" ] && [ "$a4" = "$a1" ] &&
    ! grep -q '^close' "$tmp/c1" &&
    grep -q '^text {"seq":29,"timestamp":29,"anomaly":0}$' "$tmp/c1"
ok $? "claimed: a URL-hello takeover (original and protocol 2, wrong key) closes 4003; the holder streams on"
[ "$a3" = "$a1" ] &&
    grep -q '^text {"seq":31,"timestamp":31,"anomaly":1}$' "$tmp/c1" &&
    [ "$(sql "select count(*) from clients where client_id = 'c1' and settings like '%\"vote\":\"majority\"%' and settings not like '%1e+09%'")" = 1 ]
ok $? "claimed: a protocol-2 takeover with settings closes 4003; 1e9 is still flagged, nothing stored"
[ "$(sql "select key_hash from clients where client_id = 'c1'")" = \
    "$(printf '%s' "$k1" | sha256sum | cut -d' ' -f1)" ] &&
    ! grep -q "$k1" "$tmp/log"
ok $? "the database holds the key's SHA-256 only; the log does not hold the key"

# --- the key holder takes over its stale connection at once
{ echo connect; echo recv; echo 'recv 8000'; } |
    ws '/ws?client_id=k1&window=10&version=2&claim=1' >"$tmp/k1" 2>&1 &
stale=$!
waitfor "$tmp/k1" '"ready"'
k=$(key_of "$tmp/k1")
t0=$(date +%s%N)
out=$(printf '%s\n' 'timeout 5000' connect recv 'send {"seq":1,"timestamp":1,"value":1}' recv |
    ws "/ws?client_id=k1&window=10&version=2&key=$k")
ms=$((($(date +%s%N) - t0) / 1000000))
wait $stale
echo "# key holder's reconnect: ready and a verdict in $ms ms"
[ ${#k} = 32 ] && echo "$out" | grep -q '^text {"ready":true,"client_id":"k1",' &&
    echo "$out" | grep -q '^text {"seq":1,"timestamp":1,"anomaly":0}$' &&
    grep -q '^close 4002 replaced$' "$tmp/k1"
ok $? "claimed: the key holder's reconnect takes over at once (4002 to the stale one)"
o1=$(printf '%s\n' connect "send {\"version\":2,\"key\":\"$k\"}" recv |
    ws '/ws?client_id=k1&window=10')
o2=$(printf '%s\n' connect "send {\"client_id\":\"k1\",\"window\":10,\"version\":2,\"key\":\"$k\"}" recv | ws)
o3=$(printf '%s\n' connect 'send {"version":2}' recv | ws '/ws?client_id=k1&window=10')
out="$o1 | $o2 | $o3"
echo "$o1" | grep -q '"ready":true' && echo "$o2" | grep -q '"ready":true' &&
    echo "$o3" | grep -q "^close 4003 $claimed"
ok $? "claimed: the key in the settings message or the hello object; a settings message without it closes 4003"

# --- unclaimed: an original client reconnects at once from its address;
# another address may not take its stream
{ echo connect; echo 'send {"client_id":"o1","window":10}'; pts 1 5
  echo 'recv 8000'; } | ws >"$tmp/o1" 2>&1 &
stale=$!
waitfor "$tmp/o1" '"timestamp":5,'
other=$(from 127.0.0.2 /ws '{"client_id":"o1","window":10}')
t0=$(date +%s%N)
out=$({ echo connect; echo 'send {"client_id":"o1","window":10}'; pts 6 6; } | ws)
ms=$((($(date +%s%N) - t0) / 1000000))
wait $stale
echo "# original client's reconnect from the same address: a verdict in $ms ms"
out="$other | $out"
[ "$other" = "close 4009 client_id in use" ] &&
    echo "$out" | grep -q '^text {"timestamp":6,"anomaly":0}$' &&
    grep -q '^close 4002 replaced$' "$tmp/o1"
ok $? "unclaimed: another address gets 4009; the same address takes over at once (original protocol)"

# --- unclaimed: what an attacker's hello stored is undone by the next hello
{ echo connect; echo 'send {"client_id":"u1","window":10}'; pts 1 30; } | ws >/dev/null
printf '%s\n' connect 'send {"client_id":"u1","window":10,"vote":"all","params":{"zscore.k":1e9}}' \
    'send {"timestamp":31,"value":1}' recv | ws >/dev/null
out=$(printf '%s\n' connect 'send {"client_id":"u1","window":10}' \
    'send {"timestamp":32,"value":1e9}' recv | ws)
echo "$out" | grep -q '^text {"timestamp":32,"anomaly":1}$' &&
    [ "$(sql "select count(*) from clients where client_id = 'u1' and settings like '%\"vote\":\"majority\"%' and settings not like '%1e+09%'")" = 1 ]
ok $? "unclaimed: an earlier hello's settings (vote all, zscore.k 1e9) do not outlive the next hello"

# --- claims: refused on an unclaimed id with history, granted on a new one
out=$(printf '%s\n' connect recv | ws '/ws?client_id=u1&window=10&version=2&claim=1')
echo "$out" | grep -q '"claim":"refused: id has history; an operator can claim it"}$' &&
    ! echo "$out" | grep -q '"key"' &&
    [ "$(sql "select key_hash is null from clients where client_id = 'u1'")" = 1 ]
ok $? "a claim of an unclaimed id with points is refused in ready; the hello goes on unclaimed"
stop

# --- with --token-file, the shared token does not take a claimed id
printf 's3cret\n' >"$tmp/token"
db=$tmp/t2.db
start -v --token-file "$tmp/token"
{ echo connect; echo recv; spts 1 3; waitfor "$tmp/att2" done
  spts 4 4; echo 'recv 300'; } |
    ws '/ws?client_id=t1&window=10&version=2&claim=1&token=s3cret' >"$tmp/t1" 2>&1 &
victim=$!
waitfor "$tmp/t1" '"seq":3,'
a1=$(printf '%s\n' connect recv | ws '/ws?client_id=t1&window=10&version=2&token=s3cret')
a2=$(printf '%s\n' 'connect Authorization: Bearer s3cret' \
    'send {"client_id":"t1","window":10,"version":2}' recv | ws)
echo done >"$tmp/att2"
wait $victim
out="$(cat "$tmp/t1") | $a1 | $a2"
echo "$a1" | grep -q "^close 4003 $claimed" &&
    echo "$a2" | grep -q "^close 4003 $claimed" &&
    grep -q '^text {"seq":4,"timestamp":4,"anomaly":0}$' "$tmp/t1" &&
    ! grep -q '^close' "$tmp/t1"
ok $? "--token-file: the shared token alone does not take over a claimed id"
stop

# --- the operator token takes over, claims ids with history, deletes
printf 'op3rator\n' >"$tmp/admin"
db=$tmp/t3.db
start -v --admin-token-file "$tmp/admin"
{ echo connect; echo recv; spts 1 3; echo 'recv 8000'; } |
    ws '/ws?client_id=a1&window=10&version=2&claim=1' >"$tmp/a1" 2>&1 &
victim=$!
waitfor "$tmp/a1" '"seq":3,'
o1=$(printf '%s\n' 'connect Authorization: Bearer op3rator' recv 'send {"seq":4,"timestamp":4,"value":1}' recv |
    ws '/ws?client_id=a1&window=10&version=2')
wait $victim
o2=$(printf '%s\n' connect recv | ws '/ws?client_id=a1&window=10&version=2&token=op3rator&claim=1')
o3=$(printf '%s\n' connect recv | ws '/ws?client_id=a1&window=10&version=2&token=wrong')
out="$o1 | $o2 | $o3"
echo "$o1" | grep -q '^text {"seq":4,"timestamp":4,"anomaly":0}$' &&
    grep -q '^close 4002 replaced$' "$tmp/a1" &&
    echo "$o2" | grep -q '"points":4,.*"key":"[0-9a-f]\{32\}","claim":"granted"}$' &&
    echo "$o3" | grep -q "^close 4003 $claimed"
ok $? "--admin-token-file: the operator token takes over a claimed id and may claim one with history"
del() {
	curl -s --max-time 3 -o /dev/null -w '%{http_code}' -X DELETE \
	    ${2:+-H "$2"} "http://127.0.0.1:$port/api/clients/$1"
}
d1=$(del a1)
d2=$(del a1 'Authorization: Bearer op3rator')
o4=$(printf '%s\n' connect recv | ws '/ws?client_id=a1&window=10&version=2&claim=1')
out="$d1 $d2 | $o4"
[ "$d1" = 401 ] && [ "$d2" = 200 ] &&
    echo "$o4" | grep -q '"points":0,.*"key":"[0-9a-f]\{32\}","claim":"granted"}$'
ok $? "DELETE needs the operator token and frees the id, key included"
stop

# --- anomaly-send claims, keeps its key, and is refused without it
db=$tmp/t4.db
start -v
csv_series 50 >"$tmp/s.csv"
"$send" -q --no-log -u "127.0.0.1:$port" -i as1 "$tmp/s.csv" 2>"$tmp/err"
r1=$?
"$send" -q --no-log -u "127.0.0.1:$port" -i as1 "$tmp/s.csv" 2>>"$tmp/err"
r2=$?
keys=$tmp/state/anomaly/keys
out="exit $r1 $r2; $(cat "$keys" 2>&1); $(ls -ld "$tmp/state/anomaly" "$keys")"
[ $r1 = 0 ] && [ $r2 = 0 ] &&
    [ "$(sql "select count(*) from points where client_id = 'as1'")" = 100 ] &&
    [ "$(grep -c "^ws://127.0.0.1:$port/ws as1 [0-9a-f]\{32\}$" "$keys")" = 1 ] &&
    [ "$(stat -c %a "$keys")" = 600 ] &&
    [ "$(stat -c %a "$tmp/state/anomaly")" = 700 ]
ok $? "anomaly-send claims its id and reuses the key of its key file (0600, directory 0700)"
"$send" -q --no-log -u "127.0.0.1:$port" -i as1 --key-file "$tmp/other" \
    "$tmp/s.csv" 2>"$tmp/err3"
r3=$?
"$send" -q --no-log -u "127.0.0.1:$port" -i as1 --resume "$tmp/s.csv" \
    2>"$tmp/err4"
r4=$?
out="exit $r3 $r4: $(cat "$tmp/err3" "$tmp/err4")"
[ $r3 = 1 ] && grep -q 'claimed' "$tmp/err3" &&
    grep -q 'key file' "$tmp/err3" && grep -q -- '--delete' "$tmp/err3" &&
    [ $r4 = 0 ] &&
    [ "$(sql "select count(*) from points where client_id = 'as1'")" = 100 ]
ok $? "anomaly-send without the key is refused and says how to recover; --resume uses the key"
"$send" --delete -i as1 -u "127.0.0.1:$port" >"$tmp/out" 2>"$tmp/err"
r5=$?
"$send" -q --no-log -u "127.0.0.1:$port" -i as1 --key-file "$tmp/other" \
    "$tmp/s.csv" 2>"$tmp/err6"
r6=$?
out="exit $r5 $r6: $(cat "$tmp/out" "$tmp/err" "$tmp/err6" "$keys")"
[ $r5 = 0 ] && [ $r6 = 0 ] && ! grep -q ' as1 ' "$keys" &&
    grep -q ' as1 [0-9a-f]\{32\}$' "$tmp/other"
ok $? "anomaly-send --delete frees the id and drops its key; another sender claims it anew"
stop
