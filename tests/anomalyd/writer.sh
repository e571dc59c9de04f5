#!/bin/sh
# writer.sh: the writer thread's group commit (SPEC §4), TAP.  A duplicate
# seq that arrives while its original still waits in a batch not yet
# committed (the writer holds one, the loop fills the next) is answered
# with the stored verdict, and the points around it in the same message
# are stored once each, in order; the pages show what was acknowledged.
. tests/lib.sh
loadgen=${LOADGEN:-build/tests/tools/loadgen}

echo "1..3"


# batches the writer takes whole (no inline commit), held long
start --batch-ms 1000 --batch-rows 100000
a=$(awk 'BEGIN { printf "send ["; for (i = 1; i <= 50; i++)
	printf "%s{\"seq\":%d,\"timestamp\":%d,\"value\":%d}", (i > 1 ? "," : ""), i, i, i % 7
	print "]" }')
out=$(printf '%s\n' connect recv "$a" \
    'send [{"seq":51,"timestamp":51,"value":1},{"seq":20,"timestamp":99,"value":9},{"seq":52,"timestamp":52,"value":2}]' \
    'recv 5000' 'recv 5000' | ws '/ws?client_id=dup&window=10&version=2' 2>&1)
last=$(printf '%s\n' "$out" | tail -n 1)
[ "$(printf '%s\n' "$out" | sed -n 3p | grep -o '"seq":' | wc -l)" -eq 50 ] &&
    [ "$last" = 'text [{"seq":51,"timestamp":51,"anomaly":0},{"seq":20,"timestamp":20,"anomaly":0,"duplicate":1},{"seq":52,"timestamp":52,"anomaly":0}]' ]
ok $? "a duplicate of a point not yet committed gets its stored verdict, in order"

[ "$(sql "select count(*), count(distinct seq), min(seq), max(seq), max(n) from points where client_id = 'dup'")" = "52|52|1|52|52" ]
ok $? "the 52 points are stored once each, seq 1..52"

# many pipelining clients, then the page of one: it shows every
# acknowledged point (an HTTP request waits for the commit in flight)
"$loadgen" -p "$port" -i w -c 20 -n 500 -b 50 -d 200 -w 10 -q >"$tmp/lg" 2>&1
rc=$?
page=$(http_get "http://127.0.0.1:$port/api/clients/w0")
[ $rc -eq 0 ] && grep -q 'verdicts=10000 errors=0' "$tmp/lg" &&
    printf '%s\n' "$page" | grep -q '"points":500' &&
    [ "$(sql "select count(*) from points where client_id like 'w%'")" = 10000 ]
rc=$?
out="$(cat "$tmp/lg"); $page"
ok $rc "20 pipelining clients: 10000 verdicts, 10000 rows, the page shows them"
stop
