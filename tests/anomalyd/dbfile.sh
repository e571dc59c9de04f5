#!/bin/sh
# dbfile.sh: anomalyd and its database file (TAP).  The writer's lock is on
# the file itself, so a second anomalyd reaching it through a symlink or a
# hard link fails at once; a database removed while anomalyd runs is
# noticed: logged once, /healthz fails with 503 naming the cause, and no
# point is acknowledged any more.
. tests/lib.sh

echo "1..9"

start -v
out=$(printf '%s\n' connect recv 'send {"seq":1,"timestamp":1,"value":1}' recv |
    ws '/ws?client_id=a&window=10&version=2' 2>&1)

# a second anomalyd on the same file under other names
ln -s "$db" "$tmp/sym.db"
ln "$db" "$tmp/hard.db"
for name in sym hard; do
	t0=$(date +%s)
	out=$("$anomalyd" -l "127.0.0.1:$(free_port)" -d "$tmp/$name.db" 2>&1)
	rc=$?
	out="rc $rc after $(($(date +%s) - t0)) s: $out"
	[ $rc -eq 1 ] &&
	    echo "$out" | grep -q "^rc 1 after [0-2] s: anomalyd: $tmp/$name.db: database in use: another anomalyd has it open"
	ok $? "a second anomalyd via a $name link fails at once, exit 1"
done
out=$("$anomalyd" -l "127.0.0.1:$(free_port)" -d "$db" 2>&1)
rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q 'database in use'
ok $? "a second anomalyd via the same name fails, exit 1"
[ ! -e "$db.lock" ]
ok $? "no PATH.lock file beside the database"
[ "$(sql "select count(*) from points")" = 1 ]
ok $? "the refused servers stored nothing"
rm -f "$tmp/hard.db" "$tmp/sym.db"

# the database removed under a running server, a client connected: its
# script comes through a FIFO, written as the test goes
mkfifo "$tmp/in"
ws '/ws?client_id=a&window=10&version=2' <"$tmp/in" >"$tmp/a" 2>&1 &
client=$!
exec 3>"$tmp/in"
printf '%s\n' connect recv 'send {"seq":2,"timestamp":2,"value":1}' recv >&3
waitfor "$tmp/a" '"seq":2,'
rm "$db"
i=0
while [ $i -lt 100 ]; do
	code=$(curl -s -o "$tmp/health" -w '%{http_code}' --max-time 2 \
	    "http://127.0.0.1:$port/healthz")
	[ "$code" = 503 ] && break
	sleep 0.05
	i=$((i + 1))
done
out="$code $(cat "$tmp/health")"
[ "$out" = "503 error: database file was removed: points are not stored" ]
ok $? "the database removed: /healthz answers 503 naming the cause"
printf '%s\n' 'send {"seq":3,"timestamp":3,"value":1}' recv \
    'send [{"seq":3,"timestamp":3,"value":1},{"seq":4,"timestamp":4,"value":1}]' \
    recv >&3
exec 3>&-
wait "$client"
[ "$(grep -c 'database file was removed: points are no longer stored' "$tmp/log")" = 1 ]
ok $? "the removal is logged once"
out=$(cat "$tmp/a")
[ "$(sed -n '4,$p' "$tmp/a")" = 'text {"error":"not stored: database file was removed","timestamp":3,"seq":3}
text [{"error":"not stored: database file was removed","timestamp":3,"seq":3},{"error":"not stored: database file was removed","timestamp":4,"seq":4}]' ]
ok $? "points after the removal: 'not stored: database file was removed', none acknowledged"
out=$(printf '%s\n' connect recv | ws '/ws?client_id=b&window=10&version=2' 2>&1)
echo "$out" | grep -q '^close 1011 database error: database file was removed'
ok $? "a new client after the removal is closed 1011 naming the cause"
stop
