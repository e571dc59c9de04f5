#!/bin/sh
# export.sh: anomaly-export (TAP).  A database made by the real anomalyd
# and anomaly-send, then rows with hostile contents added with the sqlite3
# CLI (ids and text timestamps the protocol would refuse), read back through
# Python's csv and json modules; several -d, time filters, exit statuses,
# and memory that does not grow with the number of points.
# ANOMALYD, SEND and EXPORT name the binaries.
. tests/lib.sh
send=${SEND:-build/anomaly-send}
export=${EXPORT:-build/anomaly-export}
# the columns the rows below give (the schema may add more)
clients='clients(client_id, window, settings, active, first_seen_ms,
    last_seen_ms, points, anomalies, alerts, last_alert_n, last_value,
    last_seq, peer)'

echo "1..33"

sql() {
	sqlite3 "$1" "$2"
}

# ex ARG...: anomaly-export; stdout in $out, stderr in $tmp/err, status $rc.
ex() {
	out=$("$export" "$@" 2>"$tmp/err")
	rc=$?
}

awk 'BEGIN {
	print "timestamp,value"
	for (i = 1; i <= 300; i++) {
		v = 50 + 10 * sin(i * 0.3) + (i * 7919 % 13) / 2
		if (i % 97 == 0)
			v += 200
		printf "%d,%.4f\n", 1600000000 + 60 * i, v
	}
}' >"$tmp/s1.csv"

start
"$send" -q --no-log -u "ws://127.0.0.1:$port/ws" -w 50 "$tmp/s1.csv" \
    2>"$tmp/err"
ok $? "anomaly-send stored a series"
stop

# --- plain CSV export of what anomalyd stored
ex -d "$db"
ok $rc "csv: exit 0"
[ "$(printf '%s\n' "$out" | head -n 1)" = \
    client_id,n,timestamp,value,anomaly,alert,score,votes ] &&
    [ "$(printf '%s\n' "$out" | wc -l)" -eq 301 ]
ok $? "csv: the header and one row per stored point"
printf '%s\n' "$out" | grep -q '^s1,291,1600017460,[0-9.]*,1,[01],[0-9.]*,[a-z+]*zscore' 
ok $? "csv: the spike at n=291 with its votes by name"
anom=$(sql "$db" "select count(*) from points where anomaly = 1")
ex -d "$db" -a -f ndjson
[ "$anom" -gt 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq "$anom" ] &&
    ! printf '%s\n' "$out" | grep -q '"anomaly":0'
ok $? "-a: only the $anom anomalies"

# --- alerts: -A alone, and with -a (anomalies or alerts); the votes of
# the alert-source detectors by name
cp "$db" "$tmp/al.db"
sql "$tmp/al.db" "insert into $clients values ('al', 50, '{}', 0, 1, 2, 6, 2,
    3, 6, 1.0, 0, null);
    insert into points values ('al', 1, null, 1, 1000, 1.0, 0, 0, 0, 0, 1),
    ('al', 2, null, 2, 2000, 2.0, 1, 0, 0.6, 7, 2),
    ('al', 3, null, 3, 3000, 3.0, 0, 1, 0, 64, 3),
    ('al', 4, null, 4, 4000, 4.0, 1, 1, 0.8, 71, 4),
    ('al', 5, null, 5, 5000, 5.0, 0, 0, 0, 0, 5),
    ('al', 6, null, 6, 6000, 6.0, 0, 1, 0, 448, 6)"
alerts=$(sql "$tmp/al.db" "select count(*) from points where alert = 1")
ex -d "$tmp/al.db" -A
[ "$rc" -eq 0 ] && [ "$(printf '%s\n' "$out" | sed 1d | wc -l)" -eq "$alerts" ] &&
    [ "$(printf '%s\n' "$out" | sed 1d | cut -d, -f6 | sort -u)" = 1 ] &&
    [ "$(printf '%s\n' "$out" | grep '^al,' | cut -d, -f2 | tr '\n' ' ')" = "3 4 6 " ]
ok $? "-A: only the $alerts alerts, whether anomalies or not"
ex -d "$tmp/al.db" -c al -a -A
[ "$rc" -eq 0 ] && [ "$(printf '%s\n' "$out" | sed 1d | cut -d, -f2 | tr '\n' ' ')" = "2 3 4 6 " ]
ok $? "-a -A: the anomalies and the alerts, each once, in order"
ex -d "$tmp/al.db" -c al --alerts-only --anomalies-only -f ndjson
[ "$(printf '%s\n' "$out" | wc -l)" -eq 4 ] &&
    ! printf '%s\n' "$out" | grep -q '"anomaly":0,"alert":0'
ok $? "--alerts-only --anomalies-only: the long forms"
ex -d "$tmp/al.db" -c al -A
printf '%s\n' "$out" | grep -q '^al,6,6,6,0,1,0,spatial+novelty+novelty_long$' &&
    printf '%s\n' "$out" | grep -q '^al,3,3,3,0,1,0,spatial$' &&
    printf '%s\n' "$out" | grep -q '^al,4,4,4,1,1,0.8,zscore+iqr+ewma+spatial$'
ok $? "csv: the votes of spatial, novelty and novelty_long by name"
ex -d "$tmp/al.db" -c al -A -f json
printf '%s\n' "$out" | python3 -c 'import json, sys
rows = json.load(sys.stdin)
assert [r["n"] for r in rows] == [3, 4, 6], rows
assert rows[2]["votes"] == ["spatial", "novelty", "novelty_long"], rows[2]'
ok $? "json: the votes of the alert-source detectors by name"

# --- time filters: since <= t < until, epoch or ISO 8601
ex -d "$db" --since 1600006000 --until '2020-09-13T14:26:40Z'
[ "$(printf '%s\n' "$out" | sed 1d | wc -l)" -eq 20 ] &&
    [ "$(printf '%s\n' "$out" | sed -n 2p | cut -d, -f2)" = 100 ] &&
    [ "$(printf '%s\n' "$out" | tail -n 1 | cut -d, -f2)" = 119 ]
ok $? "--since epoch, --until ISO 8601: since <= t < until"
ex -d "$db" --since 2020-09-13T15:26:40.000+02:00 --until 1600003660.5 \
    -f ndjson
[ "$(printf '%s\n' "$out" | wc -l)" -eq 2 ] &&
    printf '%s\n' "$out" | head -n 1 | grep -q '"n":60,'
ok $? "--since with a zone and a fraction"

# --- hostile rows: ids and text timestamps with quotes, commas, CR, LF,
# control characters, bytes that are not UTF-8
cp "$db" "$tmp/h.db"
sql "$tmp/h.db" "
insert into $clients values ('a,\"b\"' || char(10) || 'c', 50, '{\"x\":\"y,z\"}',
    0, 1, 2, 2, 1, 0, null, 3.5, 0, '10.0.0.1:5');
insert into $clients values (' lead', 50, '{}', 0, 1, 2, 1, 0, 0, null, null,
    0, null);
insert into points values ('a,\"b\"' || char(10) || 'c', 1, null,
    'x,\"y\"' || char(13) || char(10) || 'z' || char(1), null, 1.5, 0, 0, 0,
    0, 1600000000000);
insert into points values ('a,\"b\"' || char(10) || 'c', 2, null,
    cast(x'41ff42e282ac' as text), null, 0.1, 1, 1, 1.0, 63, 1600000000000);
insert into points values (' lead', 1, null, 1600000000.25,
    1600000000250, -2.5e-300, 0, 0, 0, 0, 1);"
py_csv='import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8",
    errors="surrogateescape")))
ids = [r[0] for r in rows[1:]]
assert ids[0] == " lead", ids
h = [r for r in rows if r[0] == "a,\"b\"\nc"]
assert len(h) == 2, rows
assert h[0][2] == "x,\"y\"\r\nz\x01", h[0]
assert h[0][3] == "1.5" and h[1][3] == "0.1", h
assert h[1][7] == "zscore+iqr+ewma+ma+iforest+mzscore", h[1]
assert all(len(r) == 8 for r in rows), rows
lead = [r for r in rows if r[0] == " lead"][0]
assert lead[2] == "1600000000.25" and float(lead[3]) == -2.5e-300, lead'
"$export" -d "$tmp/h.db" -o "$tmp/h.csv" 2>"$tmp/err" &&
    out=$(python3 -c "$py_csv" "$tmp/h.csv" 2>&1)
ok $? "csv: hostile ids and text timestamps read back exactly (RFC 4180)"
py_json='import json, sys
rows = json.load(open(sys.argv[1], encoding="utf-8"))
h = [r for r in rows if r["client_id"] == "a,\"b\"\nc"]
assert h[0]["timestamp"] == "x,\"y\"\r\nz\x01", h
assert h[1]["timestamp"] == "A\ufffdB\u20ac", h[1]
assert h[1]["votes"] == ["zscore", "iqr", "ewma", "ma", "iforest", "mzscore"]
assert h[1]["value"] == 0.1 and h[1]["score"] == 1.0, h[1]
assert [r for r in rows if r["client_id"] == " lead"][0]["timestamp"] == \
    1600000000.25
assert isinstance(rows[-1]["timestamp"], int), rows[-1]'
"$export" -d "$tmp/h.db" -f json -o "$tmp/h.json" 2>"$tmp/err" &&
    out=$(python3 -c "$py_json" "$tmp/h.json" 2>&1)
ok $? "json: valid, and every string and number as stored"
"$export" -d "$tmp/h.db" -f ndjson -o "$tmp/h.nd" 2>"$tmp/err" &&
    out=$(python3 -c 'import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
assert lines[-1] == ""
for l in lines[:-1]:
    json.loads(l)
assert len(lines) == 304, len(lines)' "$tmp/h.nd" 2>&1)
ok $? "ndjson: one valid object a line, newlines inside strings escaped"
"$export" -d "$tmp/h.db" --clients -f json -o "$tmp/c.json" 2>"$tmp/err" &&
    out=$(python3 -c 'import json, sys
c = {r["client_id"]: r for r in json.load(open(sys.argv[1]))}
assert set(c) == {"s1", " lead", "a,\"b\"\nc"}, c
assert c["a,\"b\"\nc"]["settings"] == "{\"x\":\"y,z\"}"
assert c["a,\"b\"\nc"]["last_value"] == 3.5 and c[" lead"]["last_value"] is None
assert c["s1"]["points"] == 300' "$tmp/c.json" 2>&1)
ok $? "--clients -f json: every client with its counters"
ex -d "$tmp/h.db" --clients
[ "$(printf '%s\n' "$out" | head -n 1 | cut -d, -f1-3)" = \
    client_id,window,settings ] &&
    printf '%s\n' "$out" | grep -q '^s1,50,'
ok $? "--clients: CSV"
ex -d "$tmp/h.db" -f json -c nobody-here
[ "$rc" -eq 1 ] && [ "$out" = "[]" ] && grep -q 'nobody-here' "$tmp/err"
ok $? "-c of an unknown client: named, exit 1, still valid JSON"
ex -d "$tmp/h.db" -c ' lead' -c s1 -f ndjson
[ "$rc" -eq 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 301 ] &&
    printf '%s\n' "$out" | head -n 1 | grep -q '"client_id":" lead"' &&
    printf '%s\n' "$out" | sed -n 2p | grep -q '"client_id":"s1"'
ok $? "-c twice: those clients, in the order given"

# --- several databases: read in order, a client in two is named
cp "$db" "$tmp/b.db"
sql "$tmp/b.db" "delete from points where n > 10;
    insert into $clients values ('only-b', 50, '{}', 0, 1, 2, 1, 0, 0, null,
    null, 0, null);
    insert into points values ('only-b', 1, null, 7, 7000, 1, 0, 0, 0, 0, 1)"
ex -d "$db" -d "$tmp/b.db"
[ "$rc" -eq 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 312 ] &&
    printf '%s\n' "$out" | sed -n 302p | grep -q '^only-b,1,7,1,' &&
    [ "$(printf '%s\n' "$out" | sed -n 303p)" = \
        "$(printf '%s\n' "$out" | sed -n 2p)" ]
ok $? "two -d: the first database's rows, then the second's"
grep -q "client s1 is in 2 databases: $db $tmp/b.db" "$tmp/err" &&
    ! grep -q only-b "$tmp/err"
ok $? "two -d: a client in both gets a warning naming both"
ANOMALY_DB=$tmp/b.db ex -c only-b
[ "$rc" -eq 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 2 ]
ok $? "\$ANOMALY_DB names the database"

# --- exit statuses and help
bad=
for args in "--bogus" "-x" "-f xml" "-d" "--since yesterday" "--help=1" \
    "--c" "extra"; do
	ex -d "$db" $args
	[ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
	    grep -q "^anomaly-export: .*(try 'anomaly-export --help')\$" "$tmp/err" &&
	    ! grep -q 'usage:' "$tmp/err" || bad="$bad [$args: $rc $(cat "$tmp/err")]"
done
[ -z "$bad" ]
ok $? "usage errors: exit 2, one line naming the problem and --help$bad"
ex -d "$db" --bogus
grep -q -- '--bogus: no such option' "$tmp/err" &&
    ex -d "$db" --help=1 && grep -q -- '--help takes no argument' "$tmp/err" &&
    ex -d "$db" -d && grep -q -- '-d needs an argument' "$tmp/err"
ok $? "usage errors: each names its problem"
ex -d "$db" -f xml
[ "$rc" -eq 2 ] && grep -q 'csv, ndjson or json' "$tmp/err"
ok $? "a bad format: exit 2"
ex -d "$db" --since yesterday
[ "$rc" -eq 2 ]
ok $? "a bad --since: exit 2"
ex -d "$tmp/none.db"
[ "$rc" -eq 1 ] && grep -q 'anomaly-export: .*none.db' "$tmp/err"
ok $? "a missing database: exit 1, named"
printf 'not a database at all, only text\n' >"$tmp/junk.db"
ex -d "$tmp/junk.db"
[ "$rc" -eq 1 ]
ok $? "a file that is not a database: exit 1"
ex --help
[ "$rc" -eq 0 ] && printf '%s\n' "$out" | grep -q -- '--anomalies-only'
ok $? "--help: usage on stdout, exit 0"
ex --version
[ "$rc" -eq 0 ] && printf '%s\n' "$out" | grep -q '^anomaly-export '
ok $? "--version"
if [ -w /dev/full ]; then
	"$export" -d "$db" >/dev/full 2>"$tmp/err"
	[ $? -eq 1 ] && grep -q 'anomaly-export' "$tmp/err"
	ok $? "a write error: exit 1"
else
	echo "ok $((n = n + 1)) - a write error # SKIP no /dev/full"
fi

# --- constant memory: max RSS with 100,000 and with 400,000 points (both
# past SQLite's page cache, which is bounded)
cp "$db" "$tmp/big.db"
sql "$tmp/big.db" "insert into $clients values ('big', 50, '{}', 0, 1, 2,
    400000, 0, 0, null, null, 0, null);
    insert into $clients values ('mid', 50, '{}', 0, 1, 2,
    100000, 0, 0, null, null, 0, null);
    with recursive r(i) as (select 1 union all select i + 1 from r
    where i < 400000)
    insert into points select 'big', i, i, 1600000000 + i, null, i * 0.5,
    i % 101 = 0, 0, 0, 0, 0 from r;
    insert into points select 'mid', n, seq, timestamp, t_ms, value,
    anomaly, alert, score, votes, received_ms from points
    where client_id = 'big' and n <= 100000"
# rss COMMAND...: the command's max RSS in KiB (GNU time, Debian's time).
rss() {
	/usr/bin/time -f %M -o "$tmp/rss" "$@" >/dev/null 2>&1 &&
	    cat "$tmp/rss"
}
small=$(rss "$export" -d "$tmp/big.db" -f json -c mid)
large=$(rss "$export" -d "$tmp/big.db" -f json -c big)
out="max RSS: $small KiB for 100,000 points, $large KiB for 400,000"
[ -n "$small" ] && [ -n "$large" ] && [ "$large" -lt $((small + 1024)) ]
ok $? "memory does not grow with the points ($out)"
lines=$("$export" -d "$tmp/big.db" -c big | wc -l)
[ "$lines" -eq 400001 ]
ok $? "400,000 points streamed whole"

# --- reads while anomalyd writes, never blocking it
start
"$send" -q --no-log -u "ws://127.0.0.1:$port/ws" -i live -w 50 \
    "$tmp/s1.csv" 2>"$tmp/err" &
spid=$!
ex -d "$db" -c s1
r1=$rc
wait "$spid"
r2=$?
spid=
[ "$r1" -eq 0 ] && [ "$r2" -eq 0 ] &&
    [ "$(printf '%s\n' "$out" | wc -l)" -eq 301 ]
ok $? "exports while anomalyd runs and writes"
stop
