#!/bin/sh
# bigread.sh: large HTTP reads are streamed in bounded pieces (issue 16,
# item 8), TAP.  A client with 100,000 stored points (written straight into
# the database of a stopped anomalyd); 40 concurrent reads of 25,000 points
# each (3.6 MB of JSON), all held open at once, leave anomalyd's peak RSS
# within 32 MB of where it was, /healthz answers every probe within 1 s
# meanwhile, and every response is the right JSON array.  Built whole in
# memory, the 40 responses took 146 MB (40 reads of 100,000 points: 586 MB,
# and /healthz missed 12 probes of 36).  limit above 100,000 is clamped.
# A /static/ file of 4 MB read 20 times at once stays on disk too (read
# whole, 20 of them took 83 MB).
. tests/lib.sh

echo "1..6"

start
stop
python3 tests/anomalyd/gen.py "$db" big 100000 0 || exit 1
start
base="http://127.0.0.1:$port/api/clients/big"

out=$(python3 tests/anomalyd/bigread.py "$port" "$pid" 40 \
    /api/clients/big/points?limit=25000 points:25000 2>&1)
growth=$(printf '%s\n' "$out" | sed -n 's/.*growth_kb=\([0-9-]*\).*/\1/p')
printf '%s\n' "$out" | grep -q ' responses=40 bad=0 ' &&
    [ -n "$growth" ] && [ "$growth" -lt 32768 ]
ok $? "40 concurrent reads of 25,000 points: RSS grows under 32 MB, the JSON is right ($out)"
printf '%s\n' "$out" | grep -q ' slow=0 '
ok $? "/healthz answers every probe within 1 s meanwhile"

out=$(curl -s --max-time 20 "$base/points?limit=200000" | python3 -c '
import json, sys
a = json.load(sys.stdin)
print(len(a), a[0]["n"], a[-1]["n"])')
[ "$out" = "100000 1 100000" ]
ok $? "limit=200000 is clamped to 100,000 points, in one valid array"

out=$(curl -s --max-time 20 "$base/events?limit=1000" | python3 -c '
import json, sys
a = json.load(sys.stdin)
print(len(a), a[0]["n"], a[-1]["n"], all(p["anomaly"] or p["alert"] for p in a))')
[ "$out" = "1000 100000 50050 True" ]
ok $? "/events streams too: 1000 events, newest first"

out=$(curl -s -D - -o /dev/null --max-time 5 "$base/points?limit=5" | tr -d '\r')
out2=$(curl -s -I --max-time 5 "$base/points?limit=5" | tr -d '\r')
printf '%s\n' "$out" | grep -q '^HTTP/1.1 200' &&
    ! printf '%s\n' "$out" | grep -qi '^content-length' &&
    printf '%s\n' "$out" | grep -qi '^connection: close' &&
    printf '%s\n' "$out2" | grep -q '^HTTP/1.1 200' &&
    ! printf '%s\n' "$out2" | grep -qi '^content-length\|^connection: close'
out="$out $out2"
ok $? "a streamed response has no length and ends with the connection; its HEAD keeps it"
stop

# a large file of --www, 20 readers at once
mkdir "$tmp/www"
python3 -c 'import os, sys
sys.stdout.buffer.write(os.urandom(4 << 20))' >"$tmp/www/big.bin"
start --www "$tmp/www"
out=$(python3 tests/anomalyd/bigread.py "$port" "$pid" 20 /static/big.bin \
    "file:$tmp/www/big.bin" 2>&1)
growth=$(printf '%s\n' "$out" | sed -n 's/.*growth_kb=\([0-9-]*\).*/\1/p')
printf '%s\n' "$out" | grep -q ' slow=0 responses=20 bad=0 ' &&
    [ -n "$growth" ] && [ "$growth" -lt 32768 ]
ok $? "20 concurrent reads of a 4 MB /static/ file: RSS grows under 32 MB, every byte right ($out)"
stop
