#!/bin/sh
# crash.sh: anomalyd killed with SIGKILL 20 times at random moments while
# three anomaly-send clients stream pipelined points with seq and resend
# (SPEC §4 durability, §2.2 idempotence), TAP.  After the last restart the
# clients finish; then every point acknowledged (printed by anomaly-send)
# is stored exactly once with the verdict it was acknowledged with, no seq
# is doubled or missing, and every stored verdict equals that of the same
# streams sent to a server that was never interrupted.  The kill moments
# come from CRASH_SEED (printed; default: the clock), the outcome must not
# depend on it.  Waits are on conditions with deadlines.
. tests/lib.sh
send=${SEND:-build/anomaly-send}
case $send in /*) ;; *) send=$PWD/$send ;; esac
keep_port=1
kills=${CRASH_KILLS:-20}
rows=${CRASH_ROWS:-6000}
seed=${CRASH_SEED:-$(date +%s)}
clients="c1 c2 c3"
opts="--snapshot-every 97 --batch-ms 2"

echo "1..6"
echo "# seed $seed, $kills kills, 3 clients of $rows points"

# the streams: three deterministic series with spikes
for c in $clients; do
	awk -v n="$rows" -v k="${c#c}" 'BEGIN {
		print "timestamp,value"
		for (i = 1; i <= n; i++) {
			v = 50 + 10 * sin(i * 0.1 * k) + (i * 7919 % 13) / 2
			if (i % (89 + k) == 0)
				v += 100 * k
			printf "%d,%.4f\n", 1600000000 + 60 * i, v
		}
	}' >"$tmp/$c.csv"
done

# stream RATE: the three clients in the background, verdicts in $c.out
stream() {
	spids=
	for c in $clients; do
		(cd "$tmp" && "$send" --no-log -w 200 --retries 12 \
		    --inflight 64 $1 -u "ws://127.0.0.1:$port/ws" "$c.csv" \
		    >"$c.out" 2>"$c.err"; echo $? >"$c.rc") &
		spids="$spids $!"
	done
}

# acked: verdicts printed so far by the three clients
acked() {
	cat "$tmp"/c?.out 2>/dev/null | grep -c '^[0-9]'
}

# the reference: the same streams, never interrupted
start $opts
stream ""
for p in $spids; do wait "$p"; done
refdb=$tmp/ref.db
stop
mv "$db" "$refdb"
rm -f "$db-wal" "$db-shm" "$tmp"/c?.out "$tmp"/c?.rc
mkdir "$tmp/ref"
for c in $clients; do
	mv "$tmp/$c.err" "$tmp/ref/"
done

# the crashes
port=
start $opts
stream "--rate 300"
k=0
state=$seed
crashed=0
while [ $k -lt "$kills" ]; do
	k=$((k + 1))
	# wait until the clients made progress on this run (5 s at most),
	# then a random 0..250 ms more, then SIGKILL
	base=$(acked)
	j=0
	while [ $j -lt 100 ] && [ "$(acked)" -le $((base + 20)) ] &&
	    [ "$(ls "$tmp"/c?.rc 2>/dev/null | wc -l)" -lt 3 ]; do
		sleep 0.05
		j=$((j + 1))
	done
	state=$(((state * 1103515245 + 12345) % 2147483648))
	ms=$((state / 65536 % 251))
	sleep "$(printf '0.%03d' "$ms")"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	crashed=$((crashed + 1))
	echo "# kill $k after +${ms} ms, $(acked) points acknowledged"
	start $opts
done
# the clients finish against the last server (60 s at most)
j=0
while [ $j -lt 600 ] && [ "$(ls "$tmp"/c?.rc 2>/dev/null | wc -l)" -lt 3 ]; do
	sleep 0.1
	j=$((j + 1))
done
for p in $spids; do wait "$p"; done
spids=
out=$(cat "$tmp"/c?.rc "$tmp"/c?.err)
[ "$crashed" -eq "$kills" ] && [ "$(cat "$tmp"/c?.rc | tr -d '\n')" = 000 ]
ok $? "the clients resent across $crashed SIGKILLs and finished, exit 0"
echo "# $(cat "$tmp"/c?.err | grep -c reconnecting) reconnections in all"
stop

out=$(python3 - "$db" "$refdb" "$tmp" "$rows" $clients <<'PY'
import sqlite3, sys
db, ref, tmp, rows = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
clients = sys.argv[5:]
a = sqlite3.connect(db)
b = sqlite3.connect(ref)
q = ("select client_id, n, seq, timestamp, value, anomaly, alert, score, "
     "votes from points order by client_id, n")
got, want = a.execute(q).fetchall(), b.execute(q).fetchall()
bad = []
# 1. every point stored exactly once, seq 1..rows in order
for c in clients:
    seqs = [r[2] for r in got if r[0] == c]
    ns = [r[1] for r in got if r[0] == c]
    if seqs != list(range(1, rows + 1)) or ns != seqs:
        bad.append("stored: %s has %d rows, seqs %s..." % (c, len(seqs), seqs[:5]))
print("stored-ok" if not bad else "stored-bad")
# 2. every acknowledged point stored with the verdict it was acknowledged with
stored = {(r[0], str(r[3])): r[5] for r in got}
acks = 0
for c in clients:
    seen = set()
    for line in open("%s/%s.out" % (tmp, c)):
        f = line.strip().split(",")
        if not f[0][:1].isdigit():
            continue
        acks += 1
        if f[0] in seen:
            bad.append("acked twice: %s %s" % (c, f[0]))
        seen.add(f[0])
        if stored.get((c, f[0])) != int(f[2]):
            bad.append("acked %s %s anomaly %s, stored %s" % (c, f[0], f[2],
                       stored.get((c, f[0]))))
print("acks-ok %d" % acks if not any(x.startswith("ack") for x in bad) else "acks-bad")
# 3. the verdicts equal an uninterrupted run
diff = [(x, y) for x, y in zip(got, want) if x != y]
print("same-ok" if len(got) == len(want) and not diff else
      "same-bad %d vs %d rows, first %s" % (len(got), len(want), diff[:2]))
# 4. the clients' counters agree with the points
cnt = a.execute("select client_id, points, last_seq from clients order by 1").fetchall()
print("counters-ok" if cnt == [(c, rows, rows) for c in clients] else "counters-bad %s" % cnt)
for x in bad[:10]:
    print("# " + x)
PY
)
printf '%s\n' "$out" | grep -q '^stored-ok'
ok $? "every point stored exactly once, seq 1..$rows with no gap or double"
printf '%s\n' "$out" | grep -q '^acks-ok'
ok $? "every acknowledged point stored, with the verdict acknowledged"
printf '%s\n' "$out" | grep -q '^same-ok'
ok $? "every stored verdict equals that of an uninterrupted run"
printf '%s\n' "$out" | grep -q '^counters-ok'
ok $? "the clients' counters (points, last_seq) agree with the points"
[ "$(sqlite3 "$db" 'pragma integrity_check')" = ok ]
ok $? "the database passes integrity_check"
