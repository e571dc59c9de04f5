#!/bin/sh
# loadgen.sh: smoke test of the load generator of make bench and make soak
# (build/tests/tools/loadgen) against a real anomalyd: both protocols,
# pipelined and send-and-wait, the rate limit, the idle-but-warm hold, and
# a failure it must report.  Counts verdicts and stored rows; never speed.
. tests/lib.sh
loadgen=${LOADGEN:-build/tests/tools/loadgen}
echo 1..15

start

# field NAME: the value of NAME= in $out
field() {
	printf '%s\n' "$out" | tr ' ' '\n' | sed -n "s/^$1=//p"
}
# rows PREFIX: points stored for the clients whose id starts with PREFIX
rows() {
	sqlite3 "$db" "SELECT count(*) FROM points WHERE client_id LIKE '$1%'"
}
# per PREFIX: the distinct per-client point counts, one line
per() {
	sqlite3 "$db" "SELECT group_concat(c) FROM (SELECT DISTINCT count(*) c
	    FROM points WHERE client_id LIKE '$1%' GROUP BY client_id)"
}

out=$("$loadgen" -p "$port" -c 3 -n 200 -b 50 -d 100 -i pa -T 20 2>"$tmp/err")
ok $? "protocol 2, 3 clients x 200 points pipelined in batches: exit 0"
[ "$(field verdicts)" = 600 ] && [ "$(field errors)" = 0 ] &&
    [ "$(field closed)" = 0 ]
ok $? "protocol 2: 600 verdicts, no errors"
[ "$(rows pa)" = 600 ] && [ "$(per pa)" = 200 ]
ok $? "protocol 2: 200 rows stored per client"
seqs=$(sqlite3 "$db" "SELECT min(seq), max(seq) FROM points
    WHERE client_id = 'pa1'")
[ "$seqs" = "1|200" ]
ok $? "protocol 2: seq 1..200 stored"

out=$("$loadgen" -p "$port" -c 3 -n 200 -b 50 -d 100 -i pa -T 20 2>"$tmp/err")
seqs=$(sqlite3 "$db" "SELECT min(seq), max(seq), count(*) FROM points
    WHERE client_id = 'pa1'")
[ "$(field verdicts)" = 600 ] && [ "$seqs" = "1|400|400" ]
ok $? "protocol 2 again: numbering goes on from ready.last_seq"

out=$("$loadgen" -p "$port" -c 3 -n 200 -o -d 1 -i oa -T 20 2>"$tmp/err")
ok $? "original protocol, send and wait: exit 0"
[ "$(field verdicts)" = 600 ] && [ "$(rows oa)" = 600 ] &&
    [ "$(per oa)" = 200 ] &&
    [ "$(sqlite3 "$db" "SELECT count(*) FROM points WHERE client_id
	LIKE 'oa%' AND seq IS NOT NULL")" = 0 ]
ok $? "original protocol: 600 verdicts, 200 rows per client, no seq"

out=$("$loadgen" -p "$port" -c 3 -n 200 -o -d 20 -i ob -T 20 2>"$tmp/err")
[ $? -eq 0 ] && [ "$(field verdicts)" = 600 ] && [ "$(rows ob)" = 600 ]
ok $? "original protocol pipelined 20 deep: 600 verdicts and rows"

# -W: 50 points each before the measure; the summary counts the 100 after.
out=$("$loadgen" -p "$port" -c 3 -n 100 -W 50 -b 20 -i wa -T 20 2>"$tmp/err")
[ $? -eq 0 ] && [ "$(field verdicts)" = 300 ] && [ "$(rows wa)" = 450 ] &&
    [ "$(per wa)" = 150 ]
ok $? "-W 50 -n 100: 300 verdicts counted, 150 rows stored per client"

# The rate: 400 points at 2000/s cannot take much less than 0.2 s.
out=$("$loadgen" -p "$port" -c 2 -n 200 -b 10 -r 2000 -i ra -T 20 \
    2>"$tmp/err")
[ $? -eq 0 ] && [ "$(field verdicts)" = 400 ] &&
    awk -v s="$(field seconds)" 'BEGIN { exit !(s >= 0.15) }'
ok $? "-r 2000: 400 points take at least 0.15 s"

# Idle but warm: the clients stay connected after their points.
"$loadgen" -p "$port" -c 2 -n 100 -i ha -H 60 -T 90 >"$tmp/hold" \
    2>"$tmp/err" &
lpid=$!
waitfor "$tmp/hold" '^warm$'
ok $? "-H: prints warm when every client is done"
active=$(sqlite3 "$db" "SELECT count(*) FROM clients
    WHERE client_id LIKE 'ha%' AND active = 1")
[ "$active" = 2 ]
ok $? "-H: both clients still connected (active) while held"
kill -TERM "$lpid"
wait "$lpid"
st=$?
out=$(cat "$tmp/hold")
[ $st -eq 0 ] && [ "$(field verdicts)" = 200 ]
ok $? "-H: SIGTERM ends the hold, exit 0 with the summary"

# A failure is reported: window 2 is refused with 4001.
out=$("$loadgen" -p "$port" -c 1 -n 10 -w 2 -i fa -T 20 2>"$tmp/err")
st=$?
[ $st -eq 1 ] && [ "$(field closed)" = 1 ] && grep -q 4001 "$tmp/err"
ok $? "a client closed by the server (4001): closed=1, exit 1"

# No server: fails at once, exit 1, no hang.
p2=$(free_port)
out=$("$loadgen" -p "$p2" -c 2 -n 10 -T 10 2>"$tmp/err")
[ $? -eq 1 ] && [ "$(field closed)" = 2 ]
ok $? "connection refused: closed=2, exit 1"
stop
