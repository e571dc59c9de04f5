#!/bin/sh
# prunerace.sh: pruning beside the inline commit, TAP.  Send-and-wait
# clients make the small batches that the loop commits itself on the
# writer's SQLite connection while the writer is idle, which is when the
# writer prunes (--retain-points 10 keeps it pruning all along): the two
# never interleave on that connection, so no batch fails ("cannot commit -
# no transaction is active" before they were kept apart), every
# acknowledged point is stored and counted, and the pruned database is
# whole.  Waits are on conditions with deadlines.
. tests/lib.sh
loadgen=${LOADGEN:-build/tests/tools/loadgen}

echo "1..5"

# metric NAME: its value in /metrics
metric() {
	http_get "http://127.0.0.1:$port/metrics" | sed -n "s/^$1 //p"
}

# three rounds of 4 s, each with 4 new clients (a collision needs the two
# at the same moment: before the fix, most rounds had one)
start --retain-points 10 --snapshot-every 20
verdicts=0 out= r=0
while [ $r -lt 3 ]; do
	r=$((r + 1))
	"$loadgen" -p "$port" -i "r$r-" -c 4 -d 1 -w 10 -t 4 -q \
	    >"$tmp/lg" 2>&1
	rc=$?
	v=$(sed -n 's/.* verdicts=\([0-9]*\).*/\1/p' "$tmp/lg")
	verdicts=$((verdicts + ${v:-0}))
	out="$out$(cat "$tmp/lg")
"
	[ $rc -eq 0 ] && grep -q ' errors=0 closed=0 ' "$tmp/lg" || break
done
[ $r -eq 3 ] && [ $rc -eq 0 ] && grep -q ' errors=0 closed=0 ' "$tmp/lg" &&
    [ "$verdicts" -gt 1000 ]
ok $? "send-and-wait clients beside pruning get a verdict for every point, no error"
pruned=$(metric anomalyd_points_pruned_total)
failed=$(metric anomalyd_prune_failures_total)
out="pruned $pruned, failed $failed"
[ "${pruned:-0}" -gt 0 ] && [ "$failed" = 0 ]
ok $? "pruning ran all along and no step of it failed ($out)"
stop
out=$(grep -i 'store\|sqlite\|transaction\|prun' "$tmp/log")
[ -z "$out" ]
ok $? "the log has no store or pruning error"

out=$(sql "SELECT sum(points) FROM clients")
[ "$out" = "$verdicts" ]
ok $? "every acknowledged point is counted ($out of $verdicts)"

# each client: its points from the oldest stored to its counter, no gap,
# the oldest pruned (a rest of at most 10 + 20 since the snapshot)
out=$(sql "SELECT c.client_id FROM clients c WHERE (SELECT max(n) FROM points
    p WHERE p.client_id = c.client_id) IS NOT c.points OR (SELECT count(*)
    FROM points p WHERE p.client_id = c.client_id) != c.points + 1 -
    (SELECT min(n) FROM points p WHERE p.client_id = c.client_id)
    OR (SELECT min(n) FROM points p WHERE p.client_id = c.client_id) = 1;
    PRAGMA integrity_check")
[ "$out" = ok ]
ok $? "each client's newest points are stored without a gap, older ones pruned, the file whole"
