#!/bin/sh
# delete.sh: DELETE /api/clients/ID (TAP): the client, its points and its
# state go, authorised by the --token-file token in an Authorization:
# Bearer header when one is set; 401 without it, 404 for an unknown id,
# 409 while the client is connected; the id then starts afresh at n = 1.
. tests/lib.sh

echo "1..10"

# del ID [HEADER]: "STATUS BODY" of DELETE /api/clients/ID.
del() {
	code=$(curl -s --max-time 3 -X DELETE ${2:+-H "$2"} -o "$tmp/body" \
	    -w '%{http_code}' "http://127.0.0.1:$port/api/clients/$1")
	echo "$code $(cat "$tmp/body")"
}

# feed ID FROM TO [ARGS]: protocol-2 points FROM..TO of client ID, one by one.
feed() {
	awk -v a="$2" -v b="$3" 'BEGIN { print "connect"; print "recv"
		for (i = a; i <= b; i++)
			printf "send {\"seq\":%d,\"timestamp\":%d,\"value\":%d}\nrecv\n",
			    i, 1600000000 + i, i % 7 }' |
	    ws "/ws?client_id=$1&window=10&version=2$4" 2>&1
}

printf 'd3l/T0ken\n' >"$tmp/token"
start --token-file "$tmp/token"
feed gone 1 30 '&token=d3l%2FT0ken' >/dev/null
feed kept 1 5 '&token=d3l%2FT0ken' >/dev/null

out="$(del gone) / $(del gone 'Authorization: Bearer wrong') / $(del gone 'Authorization: Basic d3l/T0ken')"
[ "$out" = '401 {"error":"token missing or wrong: send Authorization: Bearer TOKEN"} / 401 {"error":"token missing or wrong: send Authorization: Bearer TOKEN"} / 401 {"error":"token missing or wrong: send Authorization: Bearer TOKEN"}' ] &&
    [ "$(sql "select count(*) from points where client_id = 'gone'")" = 30 ]
ok $? "no token, a wrong one, not Bearer: 401, nothing deleted"
out=$(curl -s -D - -o /dev/null -X DELETE "http://127.0.0.1:$port/api/clients/gone" | tr -d '\r')
echo "$out" | grep -qi '^www-authenticate: Bearer$'
ok $? "401 says WWW-Authenticate: Bearer"

out="$(del nobody 'Authorization: Bearer d3l/T0ken') / $(del 'a%20b' 'Authorization: Bearer d3l/T0ken')"
[ "$out" = '404 {"error":"no such client"} / 404 {"error":"no such client"}' ]
ok $? "an unknown or impossible id: 404"

# connected: 409, nothing deleted
mkfifo "$tmp/in"
ws '/ws?client_id=gone&window=10&version=2&token=d3l%2FT0ken' <"$tmp/in" \
    >"$tmp/held" 2>&1 &
held=$!
exec 3>"$tmp/in"
printf '%s\n' connect recv >&3
waitfor "$tmp/held" ready
out=$(del gone 'Authorization: Bearer d3l/T0ken')
exec 3>&-
wait "$held" 2>/dev/null
[ "$out" = '409 {"error":"the client is connected: stop its sender, then delete"}' ] &&
    [ "$(sql "select count(*) from points where client_id = 'gone'")" = 30 ]
ok $? "a connected client: 409, nothing deleted"

# once it has gone away (poll: the server sees the disconnect)
i=0
while [ $i -lt 100 ]; do
	out=$(del gone 'Authorization: Bearer d3l/T0ken')
	case $out in 409*) sleep 0.05; i=$((i + 1)) ;; *) break ;; esac
done
[ "$out" = '200 {"deleted":"gone","points":30}' ]
ok $? "with the token: 200 {\"deleted\":ID,\"points\":N}"
[ "$(sql "select (select count(*) from points where client_id = 'gone') || (select count(*) from clients where client_id = 'gone') || (select count(*) from client_state where client_id = 'gone') || (select count(*) from points where client_id = 'kept')")" = 0005 ]
ok $? "its row, points and state are gone; another client's are kept"
out="$(http_get "http://127.0.0.1:$port/api/clients") $(http_get "http://127.0.0.1:$port/")"
! echo "$out" | grep -q '"gone"\|/client/gone' && echo "$out" | grep -q '"kept"'
ok $? "it is gone from / and /api/clients"
out=$(http_get "http://127.0.0.1:$port/api/clients/gone"; http_get "http://127.0.0.1:$port/client/gone")
[ -z "$out" ]
ok $? "its page and object: 404"
out=$(feed gone 1 3 '&token=d3l%2FT0ken&detail=1')
echo "$out" | grep -q '^text {"ready":true,"client_id":"gone","window":10,"last_seq":0,"points":0,"last_timestamp":null}$' &&
    [ "$(sql "select min(n), max(n), count(*) from points where client_id = 'gone'")" = "1|3|3" ]
ok $? "the id starts afresh at n = 1"
stop

# without --token-file: no header needed
db=$tmp/open.db
start
feed open 1 3 >/dev/null
out=$(del open)
[ "$out" = '200 {"deleted":"open","points":3}' ]
ok $? "without --token-file: deleted without a header"
stop
