#!/bin/sh
# longbatch.sh: a long protocol-2 batch does not hold the event loop
# (issue 16, item 2).  At the heaviest parameters anomalyd allows, a batch
# is judged in slices: its replies are those of the same points sent in
# small batches, /healthz answers within 1 s while it is judged, and
# SIGTERM in the middle of one stops anomalyd within the 2 s of
# anomalyd(8).
. tests/lib.sh
wsmem="python3 tests/tools/wsmem.py"
points=${LONGBATCH_POINTS:-100000}
heavy="--max-window 2000 --max-batch 16m --iforest-trees 200
    --iforest-sample 512 --ma-m 50 -p novelty.protos=512 -p novelty.dim=32
    -p novelty.average=1000 -p novelty.history=10000 -p novelty.learn=10000"

echo "1..4"

# busy: until a batch is being judged: in slices, its points left are
# counted in the budget beyond the detectors' (/metrics); or /metrics does
# not answer within 1 s, the loop being held (10 s at most)
busy() {
	i=0
	while [ $i -lt 100 ]; do
		u=$(curl -sf --max-time 1 "http://127.0.0.1:$port/metrics") ||
		    return 0
		u=$(printf '%s\n' "$u" | awk \
		    '$1 == "anomalyd_memory_bytes{kind=\"used\"}" { print $2 }')
		[ "${u:-0}" -gt 4000000 ] && return 0
		kill -0 "$spid" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# --- the same replies as small batches
# shellcheck disable=SC2086
start $heavy
$wsmem batch "$port" same 2000 6000 6000 '{}' >"$tmp/big" 2>"$tmp/err"
stop
rm -f "$db" "$db-wal" "$db-shm"
# shellcheck disable=SC2086
start $heavy
$wsmem batch "$port" same 2000 6000 50 '{}' >"$tmp/small" 2>>"$tmp/err"
out=$(diff "$tmp/big" "$tmp/small" | head -n 5)
[ "$(wc -l <"$tmp/big")" -eq 6000 ] && cmp -s "$tmp/big" "$tmp/small"
ok $? "a batch of 6000 points gets the replies of 120 batches of 50"

# --- /healthz during a long batch
$wsmem batch "$port" long 2000 "$points" "$points" '{}' >"$tmp/long" \
    2>"$tmp/err" &
spid=$!
probes=0 slow=0
while kill -0 "$spid" 2>/dev/null; do
	[ "$(curl -sf --max-time 1 "http://127.0.0.1:$port/healthz")" = ok ] ||
	    slow=$((slow + 1))
	probes=$((probes + 1))
	sleep 0.1
done
wait "$spid"
cst=$?
spid=
out="probes $probes, over 1 s: $slow, client: $cst"
[ $probes -ge 3 ] && [ $slow -eq 0 ] && [ $cst -eq 0 ] &&
    [ "$(wc -l <"$tmp/long")" -eq "$points" ]
ok $? "/healthz answers every probe within 1 s during a batch of $points points ($probes probes)"

# --- SIGTERM during a long batch
$wsmem batch "$port" term 2000 150000 150000 '{}' >/dev/null \
    2>"$tmp/err" &
spid=$!
busy
st=$?
kill -TERM "$pid"
i=0
while [ $i -lt 20 ] && kill -0 "$pid" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
gone=1
kill -0 "$pid" 2>/dev/null && gone=0
out="busy: $st, stopped: $gone after ${i}00 ms"
[ $st -eq 0 ] && [ $gone -eq 1 ]
ok $? "SIGTERM in the middle of a long batch stops anomalyd within 2 s"
wait "$pid"
ok $? "and it exits 0"
pid=
wait "$spid" 2>/dev/null
spid=
