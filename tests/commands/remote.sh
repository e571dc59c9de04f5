#!/bin/sh
# remote.sh: anomaly-export -u and anomaly-top -u (TAP).  Two live anomalyd
# fed by anomaly-send; what -u reads through the JSON API must equal what
# -d reads from the same database files: every format, -a/-A, time bounds,
# --clients, two servers and a server mixed with a file; anomaly-top -b
# shows the same clients; a server that cannot be reached is named and the
# other's data is still shown; a 100,000-point export keeps the memory of
# both programs flat.  ANOMALYD, SEND, TOP and EXPORT name the binaries.
. tests/lib.sh
send=${SEND:-$PWD/build/anomaly-send}
top=${TOP:-build/anomaly-top}
export=${EXPORT:-build/anomaly-export}

echo "1..25"

# ex ARG...: anomaly-export; stdout in $out, stderr in $tmp/err, status $rc.
ex() {
	out=$("$export" "$@" 2>"$tmp/err")
	rc=$?
}

# same DESCRIPTION ARG...: anomaly-export ARG... with -d $db and with -u
# the server of $db give the same bytes, and some rows.
same() {
	what=$1
	shift
	"$export" -d "$db" "$@" >"$tmp/d.out" 2>"$tmp/err" &&
	    "$export" -u "http://127.0.0.1:$port" "$@" >"$tmp/u.out" \
	    2>>"$tmp/err" && cmp -s "$tmp/d.out" "$tmp/u.out" &&
	    [ "$(wc -l <"$tmp/d.out")" -ge 2 ]
	rc=$?
	out=$(diff "$tmp/d.out" "$tmp/u.out" | head -n 5)
	ok $rc "$what: -u gives the rows of -d ($(wc -l <"$tmp/d.out") lines)"
}

# the first server: two clients with anomalies and alerts
start
csv_series 3000 >"$tmp/s1.csv"
csv_series 2000 >"$tmp/s2.csv"
(cd "$tmp" && "$send" -q --no-log -u "ws://127.0.0.1:$port/ws" -w 50 \
    s1.csv s2.csv 2>"$tmp/err")
[ "$(sql "select count(*) from points")" = 5000 ] &&
    [ "$(sql "select count(*) from points where alert = 1")" -gt 0 ]
ok $? "setup: 5000 points of two clients, with alerts, on a live server"

same "csv" -f csv
same "json, -a" -f json -a
same "ndjson, -A" -f ndjson -A
same "csv, -a -A and --since/--until" -a -A --since 1600030000 \
    --until 1600150000
same "json, --since/--until, -c s1" -f json -c s1 --since 1600030000 \
    --until 1600150000
same "--clients, json (settings and counters)" --clients -f json

# time bounds of the API: by arrival time (received_ms), found by binary
# search over n; the rows are those sqlite3 counts
rmin=$(sql "select min(received_ms) from points where client_id = 's1'")
rmax=$(sql "select max(received_ms) from points where client_id = 's1'")
mid=$(( (rmin + rmax) / 2 ))
cnt() {
	http_get "http://127.0.0.1:$port/api/clients/s1/$1" | grep -o '"n":' |
	    wc -l
}
[ "$(cnt "points?limit=100000&since=$mid")" -eq "$(sql "select count(*) \
    from points where client_id = 's1' and received_ms >= $mid")" ] &&
    [ "$(cnt "points?limit=100000&until=$mid&order=desc")" -eq "$(sql \
    "select count(*) from points where client_id = 's1' and received_ms \
    < $mid")" ] && [ "$(cnt "points?since=$rmin&until=$rmin")" -eq 0 ] &&
    [ "$(cnt "events?limit=1000&since=$mid")" -eq "$(sql "select count(*) \
    from points where client_id = 's1' and received_ms >= $mid and \
    (anomaly = 1 or alert = 1)")" ] &&
    [ "$(http_get "http://127.0.0.1:$port/api/alerts?limit=1000&until=$mid" |
    grep -o '"client_id"' | wc -l)" -eq "$(sql "select count(*) from points \
    where alert = 1 and received_ms < $mid")" ] &&
    curl -s "http://127.0.0.1:$port/api/clients/s1/points?since=x" |
    grep -q 'since must be'
ok $? "API since=/until=: the points, events and alerts that arrived then"

# events=K: the client, its newest events and the points in one object
# (anomaly-top's detail view); without it the array as before
out=$(http_get "http://127.0.0.1:$port/api/clients/s1/points?order=desc&limit=2&events=3")
printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["client"]["client_id"] == "s1" and d["client"]["points"] == 3000
assert len(d["points"]) == 2 and d["points"][0]["n"] == 3000
assert 0 < len(d["events"]) <= 3
assert all(e["anomaly"] or e["alert"] for e in d["events"])
assert d["events"] == sorted(d["events"], key=lambda e: -e["n"])
' && http_get "http://127.0.0.1:$port/api/clients/s1/points?limit=2" |
    python3 -c 'import json, sys; assert len(json.load(sys.stdin)) == 2'
ok $? "events=K: client, events and points in one answer; the array without"

# the second server, with its own database
port1=$port pid1=$pid db1=$db
port2=$(free_port) db2=$tmp/b.db
"$anomalyd" -l "127.0.0.1:$port2" -d "$db2" 2>>"$tmp/log2" &
pid2=$!
i=0
while [ $i -lt 100 ] && [ "$(http_get "http://127.0.0.1:$port2/healthz" \
    2>/dev/null)" != ok ]; do
	sleep 0.05
	i=$((i + 1))
done
csv_series 700 >"$tmp/b1.csv"
(cd "$tmp" && "$send" -q --no-log -u "ws://127.0.0.1:$port2/ws" -w 50 \
    b1.csv s1.csv 2>"$tmp/err")
[ "$(sqlite3 "$db2" "select count(*) from points")" = 3700 ]
ok $? "setup: a second server with b1 and its own s1"

"$export" -d "$db1" -d "$db2" >"$tmp/d.out" 2>"$tmp/derr"
"$export" -u "http://127.0.0.1:$port1" -u "http://127.0.0.1:$port2" \
    >"$tmp/u.out" 2>"$tmp/err"
cmp -s "$tmp/d.out" "$tmp/u.out" && [ "$(wc -l <"$tmp/d.out")" -eq 8701 ] &&
    sed "s|$db1|http://127.0.0.1:$port1|; s|$db2|http://127.0.0.1:$port2|" \
    "$tmp/derr" | cmp -s - "$tmp/err" && grep -q 'client s1 is in 2' \
    "$tmp/err"
ok $? "-u A -u B gives the rows and the warnings of -d a.db -d b.db"
"$export" -u "http://127.0.0.1:$port1" -d "$db2" -f json >"$tmp/u.out" \
    2>/dev/null
"$export" -d "$db1" -d "$db2" -f json >"$tmp/d.out" 2>/dev/null
cmp -s "$tmp/d.out" "$tmp/u.out"
ok $? "-u A -d b.db gives the rows of -d a.db -d b.db"

# anomaly-top -b: the same clients, counters and sparklines (the columns
# but the age); the header names the sources
rows() {
	sed 1d | awk '{ $(NF - 1) = ""; print }'
}
"$top" -b --iterations 1 -d "$db1" -d "$db2" | rows >"$tmp/d.top"
out=$("$top" -b --iterations 1 -u "http://127.0.0.1:$port1" \
    -u "http://127.0.0.1:$port2" 2>"$tmp/err")
rc=$?
printf '%s\n' "$out" | rows | cmp -s "$tmp/d.top" - && [ $rc -eq 0 ] &&
    [ "$(wc -l <"$tmp/d.top")" -eq 5 ] && grep -q "^b1 *2 " "$tmp/d.top"
ok $? "anomaly-top -b -u A -u B shows the clients of -b -d a.db -d b.db"

# a server that cannot be reached: named, and the other one shown
dead=$(free_port)
out=$("$top" -b --iterations 1 -u "http://127.0.0.1:$dead" \
    -u "http://127.0.0.1:$port2" 2>"$tmp/err")
rc=$?
[ $rc -eq 1 ] && grep -q "http://127.0.0.1:$dead: unreachable" "$tmp/err" &&
    printf '%s\n' "$out" | grep -q '^b1 ' &&
    printf '%s\n' "$out" | grep -q '^s1 '
ok $? "anomaly-top -b: a server down is named, the other's clients shown"
ex -u "http://127.0.0.1:$dead" -u "http://127.0.0.1:$port2"
[ $rc -eq 1 ] && grep -q "^anomaly-export: http://127.0.0.1:$dead: " \
    "$tmp/err"
ok $? "anomaly-export: a server down ends it with status 1, naming it"
ex -u "ftp://127.0.0.1:$port2"
[ $rc -eq 2 ] && grep -q "not an http:// or https:// URL" "$tmp/err"
ok $? "anomaly-export -u ftp://: a usage error"

# a wrong answer is not read as rows: a path that answers 404
ex -u "http://127.0.0.1:$port2/nothing/here"
[ $rc -eq 1 ] && grep -q "HTTP 404" "$tmp/err"
ok $? "a URL that is not anomalyd's API: HTTP 404 named, status 1"

# memory: 100,000 points of one client exported from the server; the
# export reads pages of 10,000 and writes rows as they come, anomalyd
# streams each page: both stay flat (generous bounds; figures in the
# report)
csv_series 100000 >"$tmp/big.csv"
(cd "$tmp" && "$send" -q --no-log -u "ws://127.0.0.1:$port2/ws" -w 50 \
    big.csv 2>"$tmp/err")
[ "$(sqlite3 "$db2" "select count(*) from points where client_id = 'big'")" \
    = 100000 ]
ok $? "setup: 100,000 points of client big"
rss() {
	awk '/^VmRSS/ { print $2 }' "/proc/$pid2/status"
}
before=$(rss)
/usr/bin/time -f %M -o "$tmp/rss" "$export" -u "http://127.0.0.1:$port2" \
    -c big >"$tmp/big.out" 2>"$tmp/err"
rc=$?
after=$(rss)
[ $rc -eq 0 ] && [ "$(wc -l <"$tmp/big.out")" -eq 100001 ]
ok $? "the 100,000 points exported"
echo "# anomaly-export -u max RSS $(cat "$tmp/rss") KiB; anomalyd RSS" \
    "$before -> $after KiB"
[ "$(cat "$tmp/rss")" -lt 30000 ] && [ $((after - before)) -lt 16384 ]
ok $? "memory flat: export under 30 MB, anomalyd grew under 16 MiB"


# --read-token-file and https://, against a small Python server that
# answers [] and notes the Authorization header of each request; its
# certificate made now by openssl, for 127.0.0.1
cat >"$tmp/srv.py" <<'PY'
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(sys.argv[2], 'a') as f:
            f.write('%s %s\n' % (self.path, self.headers.get('Authorization')))
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', '2')
        self.end_headers()
        self.wfile.write(b'[]')
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H)
if len(sys.argv) > 3:
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    c.load_cert_chain(sys.argv[3], sys.argv[4])
    s.socket = c.wrap_socket(s.socket, server_side=True)
open(sys.argv[2], 'a').close()
s.serve_forever()
PY
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" \
    -out "$tmp/cert.pem" -subj /CN=127.0.0.1 -days 1 \
    -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
hport=$(free_port)
python3 "$tmp/srv.py" "$hport" "$tmp/hdr" "$tmp/cert.pem" "$tmp/key.pem" &
hpid=$!
i=0
while [ $i -lt 100 ] && ! [ -f "$tmp/hdr" ]; do
	sleep 0.05
	i=$((i + 1))
done
printf 'r34d-t0ken\n' >"$tmp/token"
ex -u "https://127.0.0.1:$hport" --cacert "$tmp/cert.pem" \
    --read-token-file "$tmp/token"
[ $rc -eq 0 ] && [ "$out" = client_id,n,timestamp,value,anomaly,alert,score,votes ] &&
    grep -q '^/api/clients?limit=1000 Bearer r34d-t0ken$' "$tmp/hdr"
ok $? "https:// with --cacert: read, with Authorization: Bearer TOKEN"
ex -u "https://127.0.0.1:$hport"
[ $rc -eq 1 ] && grep -q "https://127.0.0.1:$hport: .*TLS handshake failed" \
    "$tmp/err"
ok $? "https:// with a certificate of an unknown CA: refused, said"
ex -k -u "https://127.0.0.1:$hport"
[ $rc -eq 0 ] && [ "$(tail -n 1 "$tmp/hdr")" = "/api/clients?limit=1000 None" ]
ok $? "https:// with -k: read, no Authorization without --read-token-file"
kill "$hpid"
kill "$pid2"
wait "$pid2" 2>/dev/null

# anomaly-top -u in the detail view: one request per refresh (the client,
# its points and its events together), counted in anomalyd's -vv log; at
# start two others: whether the server is a cluster's proxy, the list
port3=$(free_port)
"$anomalyd" -vv -l "127.0.0.1:$port3" -d "$db2" 2>"$tmp/log3" &
pid3=$!
i=0
while [ $i -lt 100 ] && [ "$(http_get "http://127.0.0.1:$port3/healthz" \
    2>/dev/null)" != ok ]; do
	sleep 0.05
	i=$((i + 1))
done
sock=$tmp/tmux.sock
tmux -S "$sock" new-session -d -x 100 -y 30 -s top \
    "env LANG=C.UTF-8 LC_ALL=C.UTF-8 '$top' -u http://127.0.0.1:$port3 \
    -c b1 -n 0.1; sleep 60"
i=0
while [ $i -lt 200 ] && [ "$(grep -c 'http /api/clients/b1/points 200' \
    "$tmp/log3")" -lt 10 ]; do
	sleep 0.05
	i=$((i + 1))
done
screen=$(tmux -S "$sock" capture-pane -p -t top)
tmux -S "$sock" kill-server 2>/dev/null
kill "$pid3"
wait "$pid3" 2>/dev/null
detail=$(grep -c 'http /api/clients/b1/points 200' "$tmp/log3")
others=$(grep 'http /api/' "$tmp/log3" | grep -vc 'http /api/clients/b1/points ')
echo "# detail view: $detail detail requests, $others others"
[ "$detail" -ge 10 ] && [ "$others" -le 2 ] &&
    printf '%s\n' "$screen" | grep -q 'points 700 '
ok $? "anomaly-top -u, detail view: one request per refresh"

# received_ms never goes down within a client (the API bounds arrival time
# by n): a clock that stepped back across a restart is simulated by a
# last_seen_ms a day ahead; the points after it arrive no earlier
wsfeed() {
	awk -v a="$1" -v b="$2" 'BEGIN { print "connect"; print "recv"
		for (i = a; i <= b; i++)
			printf "send {\"seq\":%d,\"timestamp\":%d,\"value\":%d}\nrecv\n",
			    i, i, i % 3 }' |
	    ws "/ws?client_id=late&window=10&version=2" >>"$tmp/late.ws" 2>&1
}
wsfeed 1 5
ahead=$(( $(date +%s) * 1000 + 86400000 ))
stop
sql "update clients set last_seen_ms = $ahead where client_id = 'late'"
start
wsfeed 6 10
out="$(sql "select n, received_ms from points where client_id = 'late'" |
    tr '\n' ' ')ahead $ahead"
[ "$(sql "select count(*) from points where client_id = 'late'")" = 10 ] &&
    [ "$(sql "select min(received_ms) from points where client_id = 'late' \
    and n > 5")" -ge "$ahead" ] &&
    [ "$(http_get "http://127.0.0.1:$port/api/clients/late/points?since=$ahead" |
    grep -o '"n":' | wc -l)" -eq 5 ]
ok $? "received_ms never goes down in n, even when the clock steps back"
stop
