#!/bin/sh
# slowpeer.sh: slow and stuck peers (SPEC §2.3), TAP.  A client that
# streams but stops reading its replies: the server stops reading it,
# its memory stays bounded, it closes it with 4008 ("too slow"), also when
# it stopped in the middle of a frame (the message deadline stops while
# anomalyd holds a peer's input), and a
# client streaming meanwhile is served in full before that.  A peer that
# answers no ping is dropped after --ping-timeout.
. tests/lib.sh

echo "1..7"

rss_kb() {
	awk '/^VmRSS/ { print $2 }' "/proc/$pid/status"
}

start --max-pending 65536 --ping-timeout 30
rss0=$(rss_kb)

# the slow one (10 s without a reply going out closes it): a small receive window, 200,000 points, reads nothing
printf '%s\n' 'rcvbuf 4096' connect recv \
    'flood 200000 2000 {"seq":%d,"timestamp":%d,"value":1}' \
    'timeout 20000' 'expectclose 4008' |
    ws '/ws?client_id=slow&window=50&version=2' >"$tmp/slow.out" 2>&1 &
spid=$!
# and one whose frames are 1 kB (a point and a padding key, ignored):
# anomalyd stops reading it in the middle of a frame, which is no reason
# to close it for a message not complete in time: that clock stops while
# its input is held (it was closed 1008 so before)
pad=$(awk 'BEGIN { while (n++ < 1000) printf "x" }')
printf '%s\n' 'rcvbuf 4096' connect recv \
    "flood 200000 2000 {\"seq\":%d,\"timestamp\":%d,\"value\":1,\"pad\":\"$pad\"}" \
    'timeout 20000' 'expectclose 4008' |
    ws '/ws?client_id=bigslow&window=50&version=2' >"$tmp/big.out" 2>&1 &
bpid=$!
i=0
while [ $i -lt 400 ] && ! grep -q '^flooded' "$tmp/slow.out"; do
	sleep 0.05
	i=$((i + 1))
done
grep -q '^flooded' "$tmp/slow.out"
ok $? "a client that reads nothing is no longer read: its writes stall"
flooded=$(sed -n 's/^flooded //p' "$tmp/slow.out")
rss1=$(rss_kb)

# meanwhile another client streams 5000 points pipelined, in full
out=$(printf '%s\n' connect recv \
    'pipeline 5000 {"seq":%d,"timestamp":%d,"value":2}' |
    ws '/ws?client_id=fast&window=50&version=2' 2>&1)
printf '%s\n' "$out" | grep -q '^received 5000$' &&
    ! grep -q '^close' "$tmp/slow.out"
ok $? "another client is served in full while the slow one stalls"
rss2=$(rss_kb)

wait "$spid"
rc=$?
spid=
out=$(cat "$tmp/slow.out")
# the close frame goes out only if the peer reads again in time; a peer
# that never does is dropped with the connection
{ grep -q '^close 4008 too slow' "$tmp/slow.out" ||
    { [ $rc -ne 0 ] && tail -n 2 "$tmp/slow.out" | grep -q '^eof'; }; } &&
    grep -q 'slow: reads no replies: too slow' "$tmp/log"
ok $? "the slow client is closed as too slow (4008, or dropped unread)"
wait "$bpid"
rc=$?
out=$(tail -n 3 "$tmp/big.out"; grep 'bigslow' "$tmp/log")
{ grep -q '^close 4008 too slow' "$tmp/big.out" ||
    { [ $rc -ne 0 ] && tail -n 2 "$tmp/big.out" | grep -q '^eof'; }; } &&
    grep -q 'bigslow: reads no replies: too slow' "$tmp/log" &&
    ! grep -q 'bigslow: message of .* not complete' "$tmp/log"
ok $? "a slow client stalled in the middle of a frame is closed as too slow too, not for a message not complete in time"
echo "# flooded $flooded frames; RSS $rss0 kB at start, $rss1 kB stalled, $rss2 kB after the other client"
[ "$rss1" -lt $((rss0 + 32768)) ] && [ "$rss2" -lt $((rss0 + 32768)) ]
ok $? "the server's memory stays bounded (less than 32 MB more) meanwhile"
stored=$(sqlite3 "$db" "select count(*) || ' ' || count(distinct seq) || ' ' || max(seq) from points where client_id = 'slow'")
set -- $stored
[ "$1" = "$2" ] && [ "$1" = "$3" ] && [ "$1" -lt 200000 ]
ok $? "the slow client's points were stored in order, once each ($1)"

# a half-open peer: answers no ping, is dropped
stop
start --ping-timeout 1
t0=$(date +%s)
out=$(printf '%s\n' 'autopong off' connect \
    'send {"client_id":"mute","window":4}' 'recv 8000' 'recv 8000' 'recv 8000' |
    ws 2>&1)
t=$(($(date +%s) - t0))
printf '%s\n' "$out" | grep -q '^ping' &&
    printf '%s\n' "$out" | grep -q '^eof' && [ $t -lt 8 ]
ok $? "a peer that answers no ping is dropped (after $t s, --ping-timeout 1)"
