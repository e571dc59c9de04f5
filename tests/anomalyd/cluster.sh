#!/bin/sh
# cluster.sh: three anomalyd shards behind HAProxy (share/anomaly/cluster/,
# anomaly(7) SCALING), on free loopback ports (TAP).  60 clients stream
# through the proxy: 30 anomaly-send over protocol 2 (routed by a
# consistent hash of client_id) and 30 wsraw over the original protocol
# (routed by source address: each from its own 127.0.0.x).  Mid-stream a
# shard is killed with SIGKILL and kept down until HAProxy marks it down,
# then cluster.sh starts it again.  Checks: every client on exactly one
# shard; the verdicts those of a single anomalyd fed the same data; the
# killed shard's protocol-2 clients back on the same shard with nothing
# acknowledged lost or doubled, its original clients' acknowledged points
# all stored, the other shards' clients undisturbed; a client of the down
# shard gets 503, and a new one started then (anomaly-send without --wait)
# retries until its shard is back; the index through the proxy lists
# every client (headless Chromium, when there is one), and
# anomaly-top -u PROXY and anomaly-export -u of each shard give what -d of
# the three databases gives; restarted with a read token, one login
# through the proxy reads every shard (curl, and the login page in
# Chromium).
. tests/lib.sh
LC_ALL=C
export LC_ALL
send=${SEND:-build/anomaly-send}
top=${TOP:-build/anomaly-top}
export=${EXPORT:-build/anomaly-export}
haproxy=${HAPROXY:-$(command -v haproxy || echo /usr/sbin/haproxy)}
P2=30		# protocol-2 clients
ORIG=30		# original-protocol clients
NP=300		# points of each protocol-2 client, at 50 a second
NO=150		# points of each original client, about 100 a second
KILL=1		# the shard killed

if [ ! -x "$haproxy" ]; then
	echo "1..0 # SKIP haproxy is not installed (apt-get install haproxy)"
	exit 0
fi

echo "1..16"

# Three consecutive free ports for the shards, three for HAProxy.
set -- $(python3 -c 'import random, socket
def free(base, n):
    ss = []
    try:
        for p in range(base, base + n):
            s = socket.socket()
            s.bind(("127.0.0.1", p))
            ss.append(s)
    except OSError:
        return False
    finally:
        for s in ss:
            s.close()
    return True
while True:
    b = random.randrange(20000, 60000, 8)
    if free(b, 6):
        print(b, b + 3)
        break')
proxy_port=$1
shard_port=$2
orig_port=$((proxy_port + 1))
stats_port=$((proxy_port + 2))
proxy=http://127.0.0.1:$proxy_port
state=$tmp/cluster
cpid=
ppids=
opids=
npid=

cluster_cleanup() {
	[ -n "$cpid" ] && kill -CONT "$cpid" 2>/dev/null
	for p in $ppids $opids $npid; do
		kill "$p" 2>/dev/null
	done
	if [ -n "$cpid" ]; then
		kill -TERM "$cpid" 2>/dev/null
		wait "$cpid" 2>/dev/null
	fi
	cleanup
}
trap cluster_cleanup EXIT

# until TIMEOUT_S COMMAND...: until COMMAND succeeds, TIMEOUT_S at most.
until_ok() {
	d=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$d" ] || return 1
		sleep 0.1
	done
}

# The data: a series per client, a spike now and then.
mkdir -p "$tmp/data"
i=1
while [ $i -le $P2 ]; do
	awk -v n=$NP -v s=$i 'BEGIN {
		print "timestamp,value"
		for (k = 1; k <= n; k++) {
			v = 50 + 10 * sin(k * 0.3 + s) + ((k * 7919 + s) % 13) / 2
			if ((k + s) % 97 == 0)
				v += 200
			printf "%d,%.4f\n", 1600000000 + 60 * k, v
		}
	}' >"$tmp/data/p$i.csv"
	i=$((i + 1))
done
# orig_script I DELAY: the wsraw script of original client o:I (from
# 127.0.0.(I+1)): each point sent and its verdict awaited; with DELAY a
# pause of 20 ms every second point.
orig_script() {
	awk -v n=$NO -v s="$1" -v d="$2" 'BEGIN {
		printf "source 127.0.0.%d\nconnect\n", s + 1
		printf "send {\"client_id\":\"o:%d\",\"window\":30}\n", s
		for (k = 1; k <= n; k++) {
			v = 20 + 5 * cos(k * 0.2 + s) + ((k * 104729 + s) % 11) / 3
			if ((k + 3 * s) % 61 == 0)
				v -= 80
			printf "send {\"timestamp\":%d,\"value\":%.4f}\n",
			    1600000000 + k, v
			print "recv 5000"
			if (d && k % 2 == 0)
				print "sleep 20"
		}
	}'
}

SHARDS=3 PORT=$proxy_port ORIG_PORT=$orig_port STATS_PORT=$stats_port \
    SHARD_PORT=$shard_port STATE=$state HAPROXY=$haproxy \
    BIN=$(cd "$(dirname "$anomalyd")" && pwd) \
    sh share/anomaly/cluster/cluster.sh >"$tmp/cluster.out" \
    2>"$tmp/cluster.err" &
cpid=$!
until_ok 20 grep -q "Ctrl-C stops it all" "$tmp/cluster.out"
rc=$?
out=$(cat "$tmp/cluster.out" "$tmp/cluster.err" "$state/haproxy.log" 2>&1)
[ $rc -eq 0 ] && [ "$(http_get "$proxy/healthz")" = ok ] &&
    [ "$(http_get "http://127.0.0.1:$shard_port/healthz")" = ok ]
ok $? "cluster.sh: 3 shards behind HAProxy, /healthz through it"
if [ $rc -ne 0 ]; then
	echo "Bail out! the cluster did not start"
	exit 1
fi

# The streams: the protocol-2 clients paced at 50 points a second
# (--realtime: 60 s of timestamps in 20 ms), the original ones about 100
# a second.
i=1
while [ $i -le $P2 ]; do
	"$send" -u "ws://127.0.0.1:$proxy_port/ws" -i "p:$i" -w 30 --no-log \
	    --realtime --speed 3000 --retries 10 --wait "$tmp/data/p$i.csv" \
	    >/dev/null 2>"$tmp/p$i.err" &
	ppids="$ppids $!"
	i=$((i + 1))
done
i=1
while [ $i -le $ORIG ]; do
	orig_script $i 1 | "$wsraw" -t 5000 127.0.0.1 "$orig_port" /ws \
	    >"$tmp/o$i.out" 2>"$tmp/o$i.err" &
	opids="$opids $!"
	i=$((i + 1))
done

# Mid-stream (every protocol-2 client has points stored), shard KILL is
# killed; cluster.sh is held meanwhile, so that the shard stays down until
# HAProxy has marked it down.
mid() {
	m=0
	for k in 0 1 2; do
		m=$((m + $(sqlite3 "$state/shard-$k.db" "select count(*) from
		    clients where client_id like 'p:%' and points >= 20" \
		    2>/dev/null || echo 0)))
	done
	[ $m -eq $P2 ]
}
until_ok 20 mid
victim=$(cat "$state/shard-$KILL.pid")
kill -STOP "$cpid"
kill -KILL "$victim"
down() {
	echo "show stat" | python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read())
print(s.makefile().read())' "$state/haproxy.sock" 2>/dev/null |
	    grep -q "^any,s$KILL,.*,DOWN"
}
until_ok 10 down
marked=$?
# a protocol-2 client of the shard that is down, and its /client/ page
gone_id=$(sqlite3 "$state/shard-$KILL.db" \
    "select client_id from clients where client_id like 'p:%' limit 1")
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
    "$proxy/api/clients/$gone_id")
code2=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
    "$proxy/shard/$KILL/api/clients")
code3=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$proxy/")
# a new client whose shard is down (an id the proxy answers 503 for):
# anomaly-send, without --wait, retries its first connection
new_id=
for j in $(seq 1 40); do
	if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
	    "$proxy/api/clients/new:$j")" = 503 ]; then
		new_id=new:$j
		break
	fi
done
head -n 51 "$tmp/data/p1.csv" >"$tmp/new.csv"
"$send" -u "ws://127.0.0.1:$proxy_port/ws" -i "$new_id" -w 30 --no-log \
    --retries 10 "$tmp/new.csv" >/dev/null 2>"$tmp/new.err" &
npid=$!
until_ok 20 grep -q 'HTTP 503' "$tmp/new.err"
kill -CONT "$cpid"
out="marked down: $marked; $gone_id: $code; /shard/$KILL/: $code2; /: $code3"
[ $marked -eq 0 ] && [ "$code" = 503 ] && [ "$code2" = 503 ] &&
    [ "$code3" = 200 ]
ok $? "a shard down is marked down by HAProxy: its clients get 503, the others' pages answer"

until_ok 15 grep -q "shard $KILL is back" "$tmp/cluster.out"
ok $? "cluster.sh starts the killed shard again"

# Every client ends.
fails=
for p in $ppids; do
	wait "$p" || fails="$fails $p"
done
ppids=
for p in $opids; do
	wait "$p"
done
opids=
out="anomaly-send failed:$fails $(cat "$tmp"/p*.err | head -n 20)"
[ -z "$fails" ]
ok $? "the $P2 protocol-2 clients end with every point judged"

wait "$npid"
rc=$?
out="$new_id: $(cat "$tmp/new.err")"
[ -n "$new_id" ] && [ $rc -eq 0 ] && grep -q 'HTTP 503' "$tmp/new.err" &&
    [ "$(sqlite3 "$state/shard-$KILL.db" "select count(*) from points
    where client_id = '$new_id'")" -eq 50 ]
ok $? "a new client of the shard that is down gets 503, retries, and is stored there once it is back"

# Where each client is.
for k in 0 1 2; do
	sqlite3 "$state/shard-$k.db" "select client_id from clients" |
	    sed "s/\$/ $k/"
done | sort >"$tmp/where"
out=$(awk '{ print $1 }' "$tmp/where" | uniq -d | head)
nclients=$(wc -l <"$tmp/where")
[ -z "$out" ] && [ "$nclients" -eq $((P2 + ORIG + 1)) ] &&
    [ "$(awk '{ print $2 }' "$tmp/where" | sort -u | wc -l)" -eq 3 ]
ok $? "each of the $((P2 + ORIG + 1)) clients on exactly one shard, every shard used ($(awk '{ print $2 }' "$tmp/where" | sort | uniq -c | tr -s ' \n' ' '))"

# The clients of the killed shard, and the rest.
victims=$(awk -v k=$KILL '$2 == k { print $1 }' "$tmp/where" | tr '\n' ' ')
reconnected=
calm=
for i in $(seq 1 $P2); do
	if grep -q "reconnecting" "$tmp/p$i.err"; then
		reconnected="$reconnected p:$i"
	fi
done
for c in $reconnected; do
	case " $victims " in
	*" $c "*) ;;
	*) calm="$calm $c" ;;
	esac
done
vp2=$(printf '%s\n' $victims | grep '^p:' | sort | tr '\n' ' ')
out="victims: $victims; reconnected:$reconnected; others disturbed:$calm"
[ -n "$vp2" ] && [ "$(printf '%s\n' $reconnected | sort | tr '\n' ' ')" = "$vp2" ]
ok $? "every protocol-2 client of the killed shard reconnected, no other did"

# The reference: one anomalyd, the same data, unhurried.
start
rpids=
for i in $(seq 1 $P2); do
	"$send" -u "ws://127.0.0.1:$port/ws" -i "p:$i" -w 30 -q --no-log \
	    "$tmp/data/p$i.csv" >/dev/null 2>>"$tmp/err" &
	rpids="$rpids $!"
done
for i in $(seq 1 $ORIG); do
	orig_script "$i" 0 | ws /ws >"$tmp/r$i.out" 2>>"$tmp/err" &
	rpids="$rpids $!"
done
for p in $rpids; do
	wait "$p"
done
stop

rows() {
	sqlite3 "$1" "select client_id, n, coalesce(seq, ''), timestamp,
	    printf('%.6f', value), anomaly, alert, printf('%.9g', score), votes
	    from points order by client_id, n"
}
rows "$db" >"$tmp/ref.rows"
for k in 0 1 2; do
	rows "$state/shard-$k.db"
done | sort -t'|' -k1,1 -k2,2n >"$tmp/cluster.rows"
sort -t'|' -k1,1 -k2,2n "$tmp/ref.rows" >"$tmp/ref.sorted"

# Protocol 2: every client whole, equal to the reference, whatever shard
# it was on.
grep '^p:' "$tmp/ref.sorted" >"$tmp/a"
grep '^p:' "$tmp/cluster.rows" >"$tmp/b"
out=$(diff "$tmp/a" "$tmp/b" | head -n 10)
[ "$(wc -l <"$tmp/a")" -eq $((P2 * NP)) ] && cmp -s "$tmp/a" "$tmp/b"
ok $? "protocol 2: $((P2 * NP)) points stored once each (seq = n), verdicts equal to a single anomalyd's"

# Original clients: those of other shards whole; those of the killed shard
# a prefix holding every verdict they received; verdicts equal.
bad=
mkdir -p "$tmp/ref.by" "$tmp/cluster.by"
awk -F'|' -v d="$tmp/ref.by" '/^o:/ { print > (d "/" $1) }' "$tmp/ref.sorted"
awk -F'|' -v d="$tmp/cluster.by" '/^o:/ { print > (d "/" $1) }' \
    "$tmp/cluster.rows"
for i in $(seq 1 $ORIG); do
	c=o:$i
	cp "$tmp/ref.by/$c" "$tmp/a" 2>/dev/null || : >"$tmp/a"
	cp "$tmp/cluster.by/$c" "$tmp/b" 2>/dev/null || : >"$tmp/b"
	got=$(wc -l <"$tmp/b")
	acked=$(grep -c '^text {"seq"\|^text {.*"anomaly"' "$tmp/o$i.out")
	case " $victims " in
	*" $c "*)
		head -n "$got" "$tmp/a" | cmp -s - "$tmp/b" &&
		    [ "$acked" -le "$got" ] || bad="$bad $c($acked>$got?)"
		;;
	*)
		cmp -s "$tmp/a" "$tmp/b" && [ "$got" -eq $NO ] &&
		    [ "$acked" -eq $NO ] || bad="$bad $c($acked,$got)"
		;;
	esac
done
out="bad:$bad"
[ -z "$bad" ]
ok $? "original protocol: every acknowledged point stored once, verdicts equal to a single anomalyd's; other shards' clients whole"

# The index through the proxy names the shards; their lists hold every
# client.
hdr=$(curl -s -D - -o /dev/null "$proxy/api/clients" | tr -d '\r' |
    sed -n 's/^x-anomaly-shards: //Ip')
for k in 0 1 2; do
	http_get "$proxy/shard/$k/api/clients?limit=1000" |
	    python3 -c 'import json, sys
for c in json.load(sys.stdin): print(c["client_id"])'
done | sort >"$tmp/listed"
out="header: $hdr; $(awk '{ print $1 }' "$tmp/where" | diff - "$tmp/listed")"
[ "$hdr" = 3 ] && awk '{ print $1 }' "$tmp/where" | cmp -s - "$tmp/listed" &&
    http_get "$proxy/" | grep -q 'data-page="index"' &&
    http_get "$proxy/client/$gone_id" | grep -q "$gone_id"
ok $? "through the proxy: X-Anomaly-Shards, /shard/K/api/clients list every client, / and /client/ID answer"

# The pages in headless Chromium: the index's script lists every client
# of the cluster, each linking to its page; a client's page polls its
# shard through the proxy.
chromium=${CHROMIUM:-chromium}
if command -v "$chromium" >/dev/null 2>&1; then
	dom() {
		timeout 60 "$chromium" --headless=new --no-sandbox \
		    --disable-gpu --disable-dev-shm-usage --no-first-run \
		    --user-data-dir="$tmp/chromium" --virtual-time-budget=4000 \
		    --dump-dom "$1" 2>/dev/null
	}
	dom "$proxy/" >"$tmp/index.html"
	dom "$proxy/client/p%3A1" >"$tmp/client.html"
	grep -o 'href="/client/[^"]*"' "$tmp/index.html" | sort -u |
	    sed 's|href="/client/||; s|"$||; s|%3A|:|' >"$tmp/linked"
	out="$(awk '{ print $1 }' "$tmp/where" | diff - "$tmp/linked" | head)
$(grep -o '<body[^>]*>' "$tmp/index.html" "$tmp/client.html")"
	awk '{ print $1 }' "$tmp/where" | cmp -s - "$tmp/linked" &&
	    grep -q '<body[^>]*data-shards="3"' "$tmp/index.html" &&
	    grep -q '<body[^>]*data-polls="[1-9]' "$tmp/client.html"
	ok $? "the index through the proxy links every client of the 3 shards; a client's page polls its shard"
else
	echo "ok $((n = n + 1)) - the pages in Chromium # SKIP no chromium"
fi

# anomaly-top -u PROXY: the clients of the three shards, as -d of the
# three databases shows them.
cols() {
	awk 'NR > 2 && NF > 8 { print $1, $2, $4, $5, $6, $7, $10 }' | sort
}
"$top" -b --iterations 1 -u "$proxy" 2>"$tmp/err" | cols >"$tmp/top.u"
"$top" -b --iterations 1 -d "$state/shard-0.db" -d "$state/shard-1.db" \
    -d "$state/shard-2.db" 2>>"$tmp/err" | cols >"$tmp/top.d"
out=$(diff "$tmp/top.d" "$tmp/top.u" | head; head -n 3 "$tmp/top.u")
[ "$(wc -l <"$tmp/top.u")" -eq $((P2 + ORIG + 1)) ] &&
    cmp -s "$tmp/top.d" "$tmp/top.u"
ok $? "anomaly-top -b -u PROXY lists what -d of the three databases lists"

"$export" -u "$proxy/shard/0" -u "$proxy/shard/1" -u "$proxy/shard/2" \
    >"$tmp/export.u" 2>"$tmp/err"
rc=$?
"$export" -d "$state/shard-0.db" -d "$state/shard-1.db" \
    -d "$state/shard-2.db" >"$tmp/export.d" 2>>"$tmp/err"
out=$(diff "$tmp/export.d" "$tmp/export.u" | head)
[ $rc -eq 0 ] && [ "$(wc -l <"$tmp/export.u")" -gt $((P2 * NP)) ] &&
    cmp -s "$tmp/export.d" "$tmp/export.u"
ok $? "anomaly-export -u of each shard gives the rows of -d of the three databases"

kill -TERM "$cpid"
wait "$cpid"
rc=$?
cpid=
out=$(cat "$tmp/cluster.out" "$tmp/cluster.err")
[ $rc -eq 0 ] && grep -q "cluster: stopped" "$tmp/cluster.out" &&
    ! pgrep -f "$state/shard-" >/dev/null
ok $? "SIGTERM stops HAProxy and the shards; cluster.sh exits 0"

# The same cluster with a read token (each shard reads the same file):
# one login through the proxy, whichever shard answers it, reads every
# shard, and the index in Chromium lists every client with it.
printf '%s\n' 'clu5ter/R' >"$tmp/read"
SHARDS=3 PORT=$proxy_port ORIG_PORT=$orig_port STATS_PORT=$stats_port \
    SHARD_PORT=$shard_port STATE=$state HAPROXY=$haproxy \
    BIN=$(cd "$(dirname "$anomalyd")" && pwd) \
    ANOMALYD_OPTS="--read-token-file $tmp/read" \
    sh share/anomaly/cluster/cluster.sh >"$tmp/cluster.out" \
    2>"$tmp/cluster.err" &
cpid=$!
until_ok 20 grep -q "Ctrl-C stops it all" "$tmp/cluster.out"
rc=$?
cookie=$(curl -si --max-time 5 --data-urlencode 'token=clu5ter/R' \
    "$proxy/login" | tr -d '\r' | sed -n 's/^set-cookie: \([^;]*\);.*/\1/ip')
out="without: $(curl -s -o /dev/null -w '%{http_code}' "$proxy/api/clients")"
for k in 0 1 2; do
	out="$out, shard $k: $(curl -s -o "$tmp/shard$k.json" -w '%{http_code}' \
	    -H "Cookie: $cookie" "$proxy/shard/$k/api/clients?limit=1000")"
done
for k in 0 1 2; do
	python3 -c 'import json, sys
for c in json.load(open(sys.argv[1])): print(c["client_id"])' \
	    "$tmp/shard$k.json" 2>/dev/null
done | sort >"$tmp/listed.r"
[ $rc -eq 0 ] && [ "$out" = "without: 401, shard 0: 200, shard 1: 200, shard 2: 200" ] &&
    cmp -s "$tmp/listed" "$tmp/listed.r"
ok $? "with a read token: one login through the proxy reads every shard ($out)"

if command -v node >/dev/null 2>&1 && command -v "$chromium" >/dev/null 2>&1; then
	mkdir -p "${SHOTS:-build/screenshots}/cluster"
	BASE=$proxy SHOTS=${SHOTS:-build/screenshots}/cluster STEADY=p:1 \
	    LOGIN='clu5ter/R' PROFILE=$tmp/chromium-login \
	    node tests/browser/pages.js >"$tmp/login.tap" 2>&1
	rc=$?
	out=$(cat "$tmp/login.tap")
	[ $rc -eq 0 ] && ! grep -q '^not ok' "$tmp/login.tap"
	ok $? "with a read token: the login page through the proxy leads to the index of every shard, no 401 after it (Chromium)"
else
	echo "ok $((n = n + 1)) - the login through the proxy in Chromium # SKIP node or chromium missing"
fi
kill -TERM "$cpid"
wait "$cpid"
cpid=
