#!/bin/sh
# demo.sh: the demo of `make start` judged as the issue reads it (TAP).
# The demo's tickers (share/anomaly/demo/*.csv) streamed as start.sh
# streams them (-t Date -v Close -w 100 --loop, the server's defaults),
# without --realtime; over each of the first three laps, at least 80% of
# the dates in anomalies.csv are alerted within 5 trading days (an alert
# from the first day of that anomaly to 5 days after the date), and each
# ticker has at most 2 other alerts a lap.  anomaly-send picks the prices
# preset by itself for these Yahoo-layout files.  Also the preset asked
# for in a hello, and a bad one refused.  ANOMALYD, SEND and WSRAW name the
# binaries.  Last, restart-exactness of the preset's detector: a ticker
# cut in two, the server restarted, its snapshot loaded or (marked as of
# the older state format 4) ignored and the points replayed, gives the
# verdicts of the uninterrupted stream.
. tests/lib.sh
send=${SEND:-build/anomaly-send}
demo=share/anomaly/demo
laps=3

echo "1..10"

start
for t in ACME GLOBEX INITECH; do
	"$send" -u "ws://127.0.0.1:$port/ws" -t Date -v Close -w 100 --loop \
	    -q --no-log "$demo/$t.csv" 2>>"$tmp/err" &
	eval "spid_$t=\$!"
done
rows=$(($(wc -l <"$demo/ACME.csv") - 1))
# until each client has $laps laps stored (60 s at most)
i=0
while [ $i -lt 1200 ]; do
	have=$(sql "SELECT count(*) FROM clients WHERE points >= $((laps * rows))")
	[ "$have" = 3 ] && break
	sleep 0.05
	i=$((i + 1))
done
for t in ACME GLOBEX INITECH; do
	eval "kill -TERM \$spid_$t; wait \$spid_$t"
done
[ "$have" = 3 ]
ok $? "the three tickers streamed $laps laps of $rows days"

for t in ACME GLOBEX INITECH; do
	sql "SELECT '$t', n FROM points WHERE client_id = '$t' AND alert = 1
	    AND n <= $((laps * rows)) ORDER BY n" | tr '|' ' '
done >"$tmp/alerts"
python3 - "$demo" "$rows" "$laps" "$tmp/alerts" >"$tmp/score" <<'PY'
import csv, sys
demo, rows, laps, alerts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
got = {}
for line in open(alerts):
    t, n = line.split()
    got.setdefault(t, []).append(int(n))
hits = total = 0
worst_other = 0
for t in ("ACME", "GLOBEX", "INITECH"):
    dates = [r["Date"] for r in csv.DictReader(open("%s/%s.csv" % (demo, t)))]
    days = sorted(dates.index(r["Date"]) for r in
                  csv.DictReader(open(demo + "/anomalies.csv"))
                  if r["ticker"] == t)
    runs = []                       # anomalies: runs of listed days
    for d in days:
        if runs and d == runs[-1][1] + 1:
            runs[-1][1] = d
        else:
            runs.append([d, d])
    for lap in range(laps):
        al = [n - 1 - lap * rows for n in got.get(t, [])
              if lap * rows < n <= (lap + 1) * rows]
        for d in days:
            first = [r for r in runs if r[0] <= d <= r[1]][0][0]
            total += 1
            hits += any(first <= a <= d + 5 for a in al)
        other = [a for a in al if not any(r[0] <= a <= r[1] + 5 for r in runs)]
        worst_other = max(worst_other, len(other))
        print("%s lap %d: alerts at days %s, %d other" % (t, lap + 1, al, len(other)))
print("hit %d of %d (%.0f%%), at most %d other alerts per ticker per lap" %
      (hits, total, 100.0 * hits / total, worst_other))
print("HIT %d %d OTHER %d" % (hits, total, worst_other))
PY
out=$(cat "$tmp/score")
set -- $(grep '^HIT' "$tmp/score")
[ "$2" -ge 0 ] 2>/dev/null && [ $(($2 * 100)) -ge $((80 * $3)) ]
ok $? "at least 80% of the listed anomalies alerted within 5 days ($2 of $3)"
[ "$5" -le 2 ] 2>/dev/null
ok $? "at most 2 other alerts per ticker per lap (at most $5)"
sed 's/^/# /' "$tmp/score" | grep -v '# HIT'

out=$(sql "SELECT settings FROM clients WHERE client_id = 'ACME'")
printf '%s' "$out" | grep -q '"alert":"moves"' &&
    printf '%s' "$out" | grep -q '"holdoff":30'
ok $? "the Yahoo-layout files were judged by the prices preset"

# the preset asked for in a hello (protocol 2), and a bad one
out=$(printf '%s\n' \
    'path /ws' 'connect' \
    'send {"client_id":"p1","window":60,"version":2,"preset":"prices","params":{"moves.k":8}}' \
    'expect "ready":true' | ws 2>&1)
rc=$?
set=$(sql "SELECT settings FROM clients WHERE client_id = 'p1'")
[ $rc -eq 0 ] && printf '%s' "$set" | grep -q '"alert":"moves"' &&
    printf '%s' "$set" | grep -q '"moves.k":8,' &&
    printf '%s' "$set" | grep -q '"holdoff":30'
ok $? "a hello's preset sets the alert source, its params win over it"
out=$(printf '%s\n' 'path /ws' 'connect' \
    'send {"client_id":"p2","window":60,"preset":"bonds"}' \
    'expectclose 4001' | ws 2>&1)
ok $? "an unknown preset closes 4001"

# a column of closes is a price series too; --preset none says not
printf 'Date,Close\n2020-01-02,10\n2020-01-03,10.5\n' >"$tmp/closes.csv"
"$send" -u "ws://127.0.0.1:$port/ws" -q --no-log -w 10 "$tmp/closes.csv" \
    2>>"$tmp/err"
out=$(sql "SELECT settings FROM clients WHERE client_id = 'closes'")
printf '%s' "$out" | grep -q '"alert":"moves"'
ok $? "a Date,Close file is judged by the prices preset"
"$send" -u "ws://127.0.0.1:$port/ws" -q --no-log -w 10 -i plain \
    --preset none "$demo/ACME.csv" 2>>"$tmp/err"
out=$(sql "SELECT settings FROM clients WHERE client_id = 'plain'")
[ -n "$out" ] && ! printf '%s' "$out" | grep -q '"alert":"moves"'
ok $? "--preset none: the server's default alert source"

# restart-exact: ACME twice in one run (r0), and cut after the first time
# with the server restarted in between: from its snapshot (r5), and from a
# snapshot marked as of the older format 4, which is replayed instead (r4)
asend() {
	"$send" -u "ws://127.0.0.1:$port/ws" -t Date -v Close -w 100 -q \
	    --no-log "$@" 2>>"$tmp/err"
}
asend -i r0 "$demo/ACME.csv" "$demo/ACME.csv"
asend -i r4 "$demo/ACME.csv"
asend -i r5 "$demo/ACME.csv"
stop
sql "UPDATE client_state SET format = 4 WHERE client_id = 'r4'"
keep_port=1 start
asend -i r4 "$demo/ACME.csv"
asend -i r5 "$demo/ACME.csv"
verdicts() {
	sql "SELECT n, anomaly, alert, votes FROM points WHERE client_id = '$1'
	    ORDER BY n"
}
verdicts r0 >"$tmp/r0"
[ "$(wc -l <"$tmp/r0")" -eq $((2 * rows)) ] &&
    [ "$(sql "SELECT count(*) FROM points WHERE client_id = 'r0' AND alert = 1
    AND (votes >> 9) & 1 = 1")" -ge 2 ] &&
    verdicts r5 | cmp -s - "$tmp/r0"
out=$(verdicts r5 | diff "$tmp/r0" - | head -5)
ok $? "restart-exact from a snapshot of the moves detector"
verdicts r4 | cmp -s - "$tmp/r0"
out=$(verdicts r4 | diff "$tmp/r0" - | head -5)
ok $? "a snapshot of the older format is replayed: the same verdicts"
