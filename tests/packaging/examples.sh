#!/bin/sh
# examples.sh: every example of README.md and of the man pages' EXAMPLES
# sections runs as written after `make start` (TAP).  The demo runs as
# `make start` runs it (share/anomaly/demo/start.sh; a free port for 3000,
# a quicker SPEED so that its clients have streamed their whole files) in
# the directory where README's examples run ($tmp/w: build/, demo.db, and
# shard1.db and shard2.db for the examples that take two databases).  The
# man pages' run in $tmp/m, which holds what they name: ./anomaly.db (the
# default database, served on a port of its own that ANOMALY_URL names),
# cpu.csv, AAPL.csv, metrics.csv, prices.csv, the shards, and /var and /etc
# under it.  tests/tools/examples.py finds the examples, runs
# them and says what it rewrote; its SKIP list holds those it cannot run.
# SHARED is the shared folder (README runs a file of its NAB data).
. tests/lib.sh
send=${SEND:-build/anomaly-send}
top=$PWD
work=$tmp/m
rwork=$tmp/w
demo=share/anomaly/demo
shared=${SHARED:-../shared}

mkdir -p "$work/var/lib/anomaly" "$work/etc/anomaly" "$rwork" || exit 1
for d in "$work" "$rwork"; do
	ln -s "$top/build" "$d/build"
	ln -s "$top/share" "$d/share"
done
# README's ../shared/... from the work directory (and the servers' own)
[ -d "$shared" ] && ln -s "$(cd "$shared" && pwd)" "$tmp/shared"

# The files the examples name: a CPU series with spikes, two trading days
# laid out like a Yahoo download, a headerless metrics file longer than the
# `tail -n 3600` of anomaly-send(1), prices a minute apart (streamed at
# --speed 3600).
csv_series 200 >"$work/cpu.csv"
{
	echo "Date,Open,High,Low,Close,Adj Close,Volume"
	echo "2020-02-03,75.10,75.50,74.90,75.20,75.20,1200000"
	echo "2020-02-04,75.30,75.80,75.00,75.60,75.60,1300000"
} >"$work/AAPL.csv"
awk 'BEGIN { for (i = 1; i <= 3700; i++)
	printf "%d,%.3f\n", 1600000000 + 60 * i, 50 + 5 * sin(i / 30) }' \
    >"$work/metrics.csv"
awk 'BEGIN { print "timestamp,value"; for (i = 1; i <= 30; i++)
	printf "%d,%.2f\n", 1600000000 + 60 * i, 100 + i % 7 }' \
    >"$work/prices.csv"
echo "s3cret-token-of-the-examples" >"$work/etc/anomaly/token"

# ./anomaly.db: AAPL_close (ACME's closes up to January 2020, before
# AAPL.csv's days) and web01 (the first rows of metrics.csv, before its
# last 3600); /var/lib/anomaly/anomaly.db is a copy; shard1.db holds
# AAPL_close, shard2.db web01.
aapl() {
	awk -F, 'NR == 1 || $1 < "2020-02"' "$demo/ACME.csv" |
	    "$send" -q --no-log -u "ws://127.0.0.1:$port/ws" -i AAPL_close \
	    $keyopt -w 100 -t Date -v Close - 2>>"$tmp/err"
}
web01() {
	head -n 100 "$work/metrics.csv" |
	    "$send" -q --no-log -u "ws://127.0.0.1:$port/ws" -i web01 \
	    $keyopt --no-header - 2>>"$tmp/err"
}
# One port for them all: anomaly-send keeps the keys of the ids it
# claimed by server URL, and the examples reuse AAPL_close and web01 of
# ./anomaly.db (the shards' keys go to a file of their own).
keep_port=1
keyopt=
db=$work/anomaly.db
start
aapl && web01
rc=$?
stop
cp "$db" "$work/var/lib/anomaly/anomaly.db" || rc=1
keyopt="--key-file $tmp/shards.keys"
db=$work/shard1.db
start
aapl || rc=1
stop
db=$work/shard2.db
start
web01 || rc=1
stop
if [ "$rc" -ne 0 ]; then
	echo "Bail out! the examples' databases: $(tail -n 3 "$tmp/err")"
	exit 1
fi
cp "$work/shard1.db" "$work/shard2.db" "$rwork/" || exit 1
db=$work/anomaly.db
start
default_port=$port

# The demo, as make start runs it, until each client has streamed its file.
demo_port=$(free_port)
(cd "$rwork" && PORT=$demo_port DB=demo.db BIN=$top/build SPEED=50000000 \
    exec sh "$top/$demo/start.sh") >"$tmp/demo" 2>&1 &
spid=$!
i=0
while [ $i -lt 600 ]; do
	http_get "http://127.0.0.1:$demo_port/api/clients" 2>/dev/null |
	    python3 -c 'import json, sys
c = json.load(sys.stdin)
sys.exit(not (len(c) == 3 and all(x["points"] >= 780 for x in c)))' \
	    2>/dev/null && break
	kill -0 "$spid" 2>/dev/null || break
	sleep 0.1
	i=$((i + 1))
done
out=$(cat "$tmp/demo")
[ $i -lt 600 ] && kill -0 "$spid" 2>/dev/null
ok $? "the demo runs in $rwork, its clients have streamed their files"

python3 tests/tools/examples.py --top "$top" --work "$work" \
    --readme-work "$rwork" \
    --demo-port "$demo_port" --default-port "$default_port" --first "$n" \
    README.md man/*.[1-8]
rc=$?

kill -TERM "$spid"
wait "$spid"
spid=
exit $rc
