#!/bin/sh
# hostile.sh: the hostile-input matrix of SPEC §2.3 against a running
# anomalyd (TAP).  One case per `hc` line: the path of the connection, the
# rows it must leave stored for its client, the shell pattern its whole
# output must match, and the wsraw script (connect comes first; CID in it
# is the case's own client id).  Most scripts end with a good point after
# the bad input, which proves the same connection still works; after every
# case /healthz must answer, and a connection opened before the first case
# must still get verdicts after the last (the server kept serving others).
# Then hostile HTTP requests as raw bytes, and hostile CSV for anomaly-send.
. tests/lib.sh
send=${SEND:-build/anomaly-send}
case $send in /*) ;; *) send=$PWD/$send ;; esac

echo "1..103"


cases=0
# hc DESC PATH ROWS PATTERN SCRIPT
hc() {
	cases=$((cases + 1))
	cid=h$cases
	path=$(printf '%s' "$2" | sed "s/CID/$cid/g")
	out=$(printf 'connect\n%s\n' "$5" | sed "s/CID/$cid/g" |
	    ws "$path" 2>&1)
	rows=$(sql "select count(*) from points where client_id = '$cid'")
	alive=$(http_get "http://127.0.0.1:$port/healthz" 2>/dev/null)
	# shellcheck disable=SC2254
	case $out in
	$4) [ "$rows" = "$3" ] && [ "$alive" = ok ] ;;
	*) false ;;
	esac
	ok $? "$1"
	[ "$rows" = "$3" ] || echo "# rows stored: $rows, expected $3"
}

# a 10 KB string, a 200-byte key, 9 and 1000 levels of nesting
k10=$(awk 'BEGIN { while (n++ < 10240) printf "a" }')
k200=$(awk 'BEGIN { while (n++ < 200) printf "k" }')
ts65=$(awk 'BEGIN { while (n++ < 65) printf "t" }')
deep9='{"a":[[[[[[[[1]]]]]]]],"timestamp":1,"value":1}'
deep1k=$(awk 'BEGIN { while (n++ < 1000) printf "["; while (m++ < 1000) printf "]" }')

H='send {"client_id":"CID","window":4}'
G='send {"timestamp":1,"value":1}
recv'
V='text {"timestamp":1,"anomaly":0}'
E='text {"error":*}'
C4001='close 4001 *'

start --hello-timeout 1 --max-message 16384 --max-batch 65536

# the canary: a client connected through the whole matrix
mkfifo "$tmp/canary.in"
ws <"$tmp/canary.in" >"$tmp/canary.out" 2>&1 &
spid=$!
exec 3>"$tmp/canary.in"
printf '%s\n' connect 'send {"client_id":"canary","window":4}' \
    'send {"timestamp":1,"value":1}' recv >&3
waitfor "$tmp/canary.out" 'anomaly'

# --- hellos (the original protocol: the first message): close 4001
hc "no hello, a point first: 4001" /ws 0 "connected
$C4001" 'send {"timestamp":1,"value":1}
recv'
hc "hello that is invalid JSON: 4001" /ws 0 "connected
$C4001" 'send {"client_id":"CID",
recv'
hc "hello that is an array: 4001" /ws 0 "connected
$C4001" 'send [{"client_id":"CID","window":4}]
recv'
hc "hello with a client_id holding markup: 4001" /ws 0 "connected
$C4001" 'send {"client_id":"<b>x</b>","window":4}
recv'
hc "hello with a client_id holding a quote: 4001" /ws 0 "connected
$C4001" 'send {"client_id":"a\"b","window":4}
recv'
hc "hello with a client_id holding a space: 4001" /ws 0 "connected
$C4001" 'send {"client_id":"a b","window":4}
recv'
hc "hello with a 10 KB client_id: 4001" /ws 0 "connected
$C4001" "send {\"client_id\":\"$k10\",\"window\":4}
recv"
hc "hello with an empty client_id: 4001" /ws 0 "connected
$C4001" 'send {"client_id":"","window":4}
recv'
hc "hello with a numeric client_id: 4001" /ws 0 "connected
$C4001" 'send {"client_id":7,"window":4}
recv'
hc "hello with window 0: 4001" /ws 0 "connected
$C4001" 'send {"client_id":"CID","window":0}
recv'
hc "hello with window -1: 4001" /ws 0 "connected
$C4001" 'send {"client_id":"CID","window":-1}
recv'
hc "hello with window 3: 4001" /ws 0 "connected
$C4001" 'send {"client_id":"CID","window":3}
recv'
hc "hello with window over --max-window: 4001" /ws 0 "connected
$C4001" 'send {"client_id":"CID","window":100001}
recv'
hc "hello with a 30-digit window: 4001" /ws 0 "connected
$C4001" 'send {"client_id":"CID","window":999999999999999999999999999999}
recv'
hc "hello with window 1.5: 4001" /ws 0 "connected
$C4001" 'send {"client_id":"CID","window":1.5}
recv'
hc "hello with window \"50\": 4001" /ws 0 "connected
$C4001" 'send {"client_id":"CID","window":"50"}
recv'
hc "hello without window: 4001" /ws 0 "connected
$C4001" 'send {"client_id":"CID"}
recv'
hc "hello with an unknown detector: 4001 naming it" /ws 0 "connected
close 4001 *nosuch*" 'send {"client_id":"CID","window":4,"detectors":["nosuch"]}
recv'
hc "hello with a bad parameter: 4001 naming it" /ws 0 "connected
close 4001 *zscore.k*" 'send {"client_id":"CID","window":4,"params":{"zscore.k":"x"}}
recv'
hc "hello with iforest.trees over its bound: 4001 naming it and its range" /ws 0 "connected
close 4001 *iforest.trees*1 to 200*" 'send {"client_id":"CID","window":4,"params":{"iforest.trees":1000,"iforest.sample":4096}}
recv'
hc "hello with ma.m 10000000: 4001 naming it and its range" /ws 0 "connected
close 4001 *ma.m*1 to 50*" 'send {"client_id":"CID","window":4,"params":{"ma.m":10000000}}
recv'
hc "hello with version 3: 4001" /ws 0 "connected
$C4001" 'send {"client_id":"CID","window":4,"version":3}
recv'
hc "no hello within --hello-timeout: 4001 no hello" /ws 0 "connected
close 4001 no hello" 'recv 3000'
hc "hello twice: an error, the connection goes on" /ws 1 "connected
text {\"error\":\"hello already received\"}
$V" "$H
$H
recv
$G"

# --- hellos in the URL
hc "URL client_id with markup: 4001" '/ws?client_id=%3Cb%3E&window=4' 0 \
    "connected
$C4001" 'recv'
hc "URL client_id with a space: 4001" '/ws?client_id=a%20b&window=4' 0 \
    "connected
$C4001" 'recv'
hc "URL client_id of 10 KB: refused, nothing stored" \
    "/ws?client_id=$k10&window=4" 0 "handshake failed: *" 'recv'
hc "URL window=0: 4001" '/ws?client_id=CID&window=0' 0 "connected
$C4001" 'recv'
hc "URL window=-1: 4001" '/ws?client_id=CID&window=-1' 0 "connected
$C4001" 'recv'
hc "URL window=1.5: 4001" '/ws?client_id=CID&window=1.5' 0 "connected
$C4001" 'recv'
hc "URL window=99999999999999999999: 4001" \
    '/ws?client_id=CID&window=99999999999999999999' 0 "connected
$C4001" 'recv'
hc "URL without window: 4001" '/ws?client_id=CID' 0 "connected
$C4001" 'recv'
hc "URL with a broken percent escape: refused, nothing stored" \
    '/ws?client_id=%zz&window=4' 0 "*" 'recv 1000'
hc "URL settings that change client_id: 4001" \
    '/ws?client_id=CID&window=4' 0 "connected
$C4001" 'send {"client_id":"other","window":4}
recv'

# --- points: an error in place of the reply, the connection goes on
pc() {	# pc DESC MESSAGE: MESSAGE after a hello gets an error, then a
	# good point gets its verdict; one row stored
	hc "$1: an error, the connection goes on" /ws 1 "connected
$E
$V" "$H
send $2
recv
$G"
}
pc "truncated JSON" '{"timestamp":1,"value":'
pc "malformed JSON" '{"timestamp" 1 "value" 1}'
pc "trailing garbage" '{"timestamp":1,"value":1} x'
pc "two objects in one message" '{"timestamp":1,"value":1}{"timestamp":1,"value":1}'
hc "a # comment: an error, the connection goes on" /ws 1 "connected
$E
$V" "$H
sendhex 7b2274696d657374616d70223a312c23630a2276616c7565223a317d
recv
$G"
pc "nesting 9 deep" "$deep9"
pc "nesting 1000 deep" "$deep1k"
pc "value 1e999" '{"timestamp":1,"value":1e999}'
hc "value of 30 digits: a finite number, stored" /ws 2 "connected
$V
$V" "$H
send {\"timestamp\":1,\"value\":999999999999999999999999999999}
recv
$G"
pc "value NaN" '{"timestamp":1,"value":NaN}'
pc "value Infinity" '{"timestamp":1,"value":Infinity}'
pc "value -Infinity" '{"timestamp":1,"value":-Infinity}'
pc "value \"5\"" '{"timestamp":1,"value":"5"}'
pc "value true" '{"timestamp":1,"value":true}'
pc "value null" '{"timestamp":1,"value":null}'
pc "value 01" '{"timestamp":1,"value":01}'
pc "value 1." '{"timestamp":1,"value":1.}'
pc "value +1" '{"timestamp":1,"value":+1}'
pc "value .5" '{"timestamp":1,"value":.5}'
pc "value an object" '{"timestamp":1,"value":{"a":1}}'
pc "timestamp an object" '{"timestamp":{},"value":1}'
pc "timestamp null" '{"timestamp":null,"value":1}'
pc "timestamp a string of 65 bytes" "{\"timestamp\":\"$ts65\",\"value\":1}"
pc "timestamp with a control character" '{"timestamp":"a\u0001b","value":1}'
pc "a key of 65 bytes" "{\"timestamp\":1,\"$ts65\":1,\"value\":1}"
pc "a key of 200 bytes (LEJP path overrun)" "{\"$k200\":1,\"timestamp\":1,\"value\":1}"
pc "a 10 KB string key" "{\"$k10\":1,\"timestamp\":1,\"value\":1}"
pc "no value" '{"timestamp":1}'
pc "no timestamp" '{"value":1}'
pc "an empty object" '{}'
pc "a number" '5'
pc "a string" '"x"'
pc "an array in the original protocol" '[{"timestamp":1,"value":1}]'

# --- frames
hc "invalid UTF-8: 1007, the point before it kept" /ws 1 "connected
$V
close 1007*" "$H
$G
sendhex 7b2274223a22ff227d
recv"
hc "UTF-8 cut at the end of a message: 1007" /ws 1 "connected
$V
close 1007*" "$H
$G
sendhex 7b2274223a22c3
recv"
hc "a binary frame: 1003, the point before it kept" /ws 1 "connected
$V
close 1003*" "$H
$G
sendbin 7b7d
recv"
hc "a frame over --max-message: 1009, the point before it kept" /ws 1 \
    "connected
$V
close 1009*" "$H
$G
sendbig 20000 x
recv"
hc "a point in 7 fragments: its verdict" /ws 1 "connected
$V" "$H
sendfrag 7 {\"timestamp\":1,\"value\":1}
recv"
hc "a character split across fragments: accepted" /ws 1 "connected
text {\"timestamp\":\"é\",\"anomaly\":0}" "$H
sendfrag 15 {\"timestamp\":\"é\",\"value\":1}
recv"
hc "fragments over --max-message: 1009" /ws 0 "connected
close 1009*" "$H
sendfrag 50 $(awk 'BEGIN { while (n++ < 20000) printf "y" }')
recv"
hc "a ping: its pong, the connection goes on" /ws 1 "connected
pong hello
$V" "$H
ping hello
recv
$G"
hc "a close frame: answered with the same code" /ws 1 "connected
$V
close 1000*" "$H
$G
close 1000 bye
recv"

# --- protocol 2
P2='/ws?client_id=CID&window=4&version=2'
R='text {"ready":true,*}'
hc "batch with one bad point among good ones: the good ones stored" "$P2" 2 \
    "connected
$R
text \\[{\"seq\":1,*},{\"error\":*,\"seq\":2},{\"seq\":3,*}\\]" 'recv
send [{"seq":1,"timestamp":1,"value":1},{"seq":2,"timestamp":2,"value":"x"},{"seq":3,"timestamp":3,"value":3}]
recv'
hc "batch with a non-object element: an error in its place" "$P2" 2 \
    "connected
$R
text \\[{\"seq\":1,*},{\"error\":*},{\"seq\":2,*}\\]" 'recv
send [{"seq":1,"timestamp":1,"value":1},7,{"seq":2,"timestamp":2,"value":2}]
recv'
hc "batch that is not JSON: one error, nothing stored" "$P2" 0 "connected
$R
$E" 'recv
send [{"seq":1,"timestamp":1,"value":1},
recv'
hc "the empty batch: []" "$P2" 0 "connected
$R
text []" 'recv
send []
recv'
hc "seq 0, -1, 1.5 and \"3\": errors, then seq 1 stored" "$P2" 1 \
    "connected
$R
$E
$E
$E
$E
text {\"seq\":1,*}" 'recv
send {"seq":0,"timestamp":1,"value":1}
recv
send {"seq":-1,"timestamp":1,"value":1}
recv
send {"seq":1.5,"timestamp":1,"value":1}
recv
send {"seq":"3","timestamp":1,"value":1}
recv
send {"seq":1,"timestamp":1,"value":1}
recv'
hc "a resent seq: its stored verdict as a duplicate, stored once" "$P2" 1 \
    "connected
$R
text {\"seq\":1,*}
text {\"seq\":1,*\"duplicate\":1*}" 'recv
send {"seq":1,"timestamp":1,"value":1}
recv
send {"seq":1,"timestamp":1,"value":1}
recv'
hc "a batch over --max-batch: 1009" "$P2" 0 "connected
$R
close 1009*" "recv
send [$(awk 'BEGIN { for (i = 1; i <= 2500; i++) printf "%s{\"seq\":%d,\"timestamp\":%d,\"value\":1}", (i > 1 ? "," : ""), i, i }')]
recv"

# the canary still gets verdicts
printf '%s\n' 'send {"timestamp":2,"value":2}' recv >&3
waitfor "$tmp/canary.out" '"timestamp":2,"anomaly"'
ok $? "a client connected through the whole matrix still gets verdicts"
exec 3>&-
wait "$spid"
spid=

# --- hostile HTTP: raw requests, the status line of each answer
# hreq REQUEST-LINE: the status code of the answer (or "none")
hreq() {
	python3 - "$port" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
s.sendall(sys.argv[2].encode("utf-8", "surrogateescape") + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
data = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
except OSError:
    pass
line = data.split(b"\r\n", 1)[0].split()
print(line[1].decode() if len(line) > 1 else "none")
print("LEAK" if b"root:" in data else "")
PY
}
hh() {	# hh DESC REQUEST-LINE STATUSES: the status is one of STATUSES, no
	# file outside the tree leaks, and /healthz still answers
	r=$(hreq "$2")
	st=$(printf '%s\n' "$r" | head -n 1)
	out="status $st"
	case " $3 " in *" $st "*) ! printf '%s' "$r" | grep -q LEAK &&
	    [ "$(http_get "http://127.0.0.1:$port/healthz")" = ok ] ;;
	*) false ;;
	esac
	ok $? "HTTP $1: $3"
}
hh "dot-dot path" 'GET /static/../../../../etc/passwd HTTP/1.1' "400 403 404"
hh "encoded dot-dot path" 'GET /static/%2e%2e/%2e%2e/%2e%2e/etc/passwd HTTP/1.1' "400 403 404"
hh "absolute file path" 'GET //etc/passwd HTTP/1.1' "400 403 404"
hh "NUL in the path" 'GET /static/a%00.css HTTP/1.1' "400 403 404 none"
hh "a 10 KB path" "GET /$k10 HTTP/1.1" "400 404 414 431 none"
hh "markup in a client path" 'GET /client/%3Cscript%3E HTTP/1.1' "400 404"
hh "quote in an API path" 'GET /api/clients/a%22b/points HTTP/1.1' "400 404"
hh "hostile query string" 'GET /api/clients/canary/points?limit=-1&since=%00&until=1e999&x=%zz HTTP/1.1' "200 400 none"
hh "huge limit" 'GET /api/clients/canary/points?limit=99999999999999999999999 HTTP/1.1' "200 400"
hh "Latin-1 bytes in the path" "$(printf 'GET /client/\351t\351 HTTP/1.1')" "400 404 none"

# --- hostile CSV for anomaly-send: bad rows skipped with their line, the
# good ones stored, exit 3
csv() {	# csv DESC FILE ROWS: anomaly-send FILE exits 3, ROWS stored
	out=$(cd "$tmp" && "$send" --no-log -q -u "ws://127.0.0.1:$port/ws" \
	    -w 4 -i "$2" "$2.csv" 2>&1 >/dev/null)
	rc=$?
	rows=$(sql "select count(*) from points where client_id = '$2'")
	[ $rc -eq 3 ] && [ "$rows" = "$3" ] &&
	    printf '%s\n' "$out" | grep -q "$2.csv:[0-9]*:"
	ok $? "anomaly-send: $1: rejected with its line, $3 good rows stored, exit 3"
}
{ echo timestamp,value; echo 1,1; head -c 3000 /dev/urandom | tr -d '\n,"'; echo; echo 2,2; } >"$tmp/junk.csv"
csv "binary junk" junk 2
{ echo timestamp,value; echo 1,1; awk 'BEGIN { while (n++ < 1048576) printf "9"; print ",1" }'; echo 2,2; } >"$tmp/mega.csv"
csv "a 1 MB line" mega 2
{ echo timestamp,value; echo 1,1; printf '\351t\351,1\n'; printf '2,\3515\n'; echo 3,3; } >"$tmp/latin.csv"
csv "Latin-1 bytes" latin 3
[ "$(sql "select hex(timestamp) from points where client_id = 'latin' and n = 2")" = EFBFBD74EFBFBD ]
ok $? "anomaly-send: Latin-1 bytes in a timestamp go out as U+FFFD, valid UTF-8"
printf '\377\376t\000s\000,\000v\000\n\0001\000,\0001\000\n\000' >"$tmp/utf16.csv"
out=$(cd "$tmp" && "$send" --no-log -q -u "ws://127.0.0.1:$port/ws" -w 4 \
    -i utf16 utf16.csv 2>&1 >/dev/null)
rc=$?
[ $rc -ne 0 ] && [ "$(sql "select count(*) from points where client_id = 'utf16'")" = 0 ]
ok $? "anomaly-send: UTF-16 input: refused (exit $rc), nothing stored"
{ echo timestamp,value; echo 1,1; echo '2,"5'; echo 3,3; } >"$tmp/quote.csv"
out=$(cd "$tmp" && "$send" --no-log -q -u "ws://127.0.0.1:$port/ws" -w 4 \
    -i quote quote.csv 2>&1 >/dev/null)
rc=$?
[ $rc -eq 3 ] && [ "$(sql "select count(*) from points where client_id = 'quote'")" = 1 ]
ok $? "anomaly-send: an unterminated quote: the row before stored, exit 3"

printf 'timestamp,value\n1,1\n2\0002,2\n3,3\000\n4,4\n' >"$tmp/nul.csv"
csv "NUL bytes in a timestamp and a value" nul 2
printf '\357\273\277timestamp,value\r\n1,1\r\n2,2\r\n' >"$tmp/bom.csv"
out=$(cd "$tmp" && "$send" --no-log -q -u "ws://127.0.0.1:$port/ws" -w 4 \
    -i bom bom.csv 2>&1 >/dev/null)
rc=$?
[ $rc -eq 0 ] && [ "$(sql "select group_concat(timestamp) from points where client_id = 'bom' order by n")" = 1,2 ]
ok $? "anomaly-send: a UTF-8 byte order mark and CRLF lines: every row stored, exit 0"

[ "$(http_get "http://127.0.0.1:$port/healthz")" = ok ] && kill -0 "$pid"
ok $? "the server still serves after all of it"
