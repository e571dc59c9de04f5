#!/bin/sh
# readtoken.sh: --read-token-file (issue 17 item 2) and the reload of the
# token files on SIGHUP (issue 18 item 3), TAP.  Every HTTP request but
# /healthz and the login page needs the read token, as Authorization:
# Bearer or as the cookie /login sets (good on every anomalyd of the same
# token file, across restarts: a cluster's shards); a wrong one gets the same 401
# whether the client exists or not, and is counted in /metrics; the write
# token and the read token are each refused for the other's use.  SIGHUP
# rereads the files: the old token stops working, the new one works, an
# open WebSocket stays open, and a file that cannot be used keeps the old
# token and says why in the log.
. tests/lib.sh

echo "1..15"

base=
# code PATH [CURL ARG]...: the status of a GET of PATH.
code() {
	p=$1
	shift
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" "$base$p"
}

# body PATH [CURL ARG]...: status and body of a GET of PATH.
body() {
	p=$1
	shift
	curl -s -w ' %{http_code}' --max-time 5 "$@" "$base$p"
}

# refused: the value of anomalyd_read_refused_total.
refused() {
	curl -s --max-time 5 -H "Authorization: Bearer $rtok" \
	    "$base/metrics" | sed -n 's/^anomalyd_read_refused_total //p'
}

rtok='r3ad/T0ken'
wtok='wr1te/T0ken'
printf '%s\n' "$rtok" >"$tmp/read"
printf '%s\n' "$wtok" >"$tmp/write"
start --read-token-file "$tmp/read" --token-file "$tmp/write"
base=http://127.0.0.1:$port
out=$(printf '%s\n' connect recv 'send {"seq":1,"timestamp":1,"value":1}' recv |
    ws '/ws?client_id=known&window=10&version=2&token=wr1te%2FT0ken' 2>&1)
echo "$out" | grep -q '"seq":1,'
ok $? "the write token still lets a WebSocket send points"

# 1. no token, a wrong one: 401, the same body for a client that exists
out=
bad=0
for h in '' 'Authorization: Bearer nope' "Authorization: Bearer $wtok" \
    'Cookie: anomalyd_read=0123'; do
	for p in / /metrics /api/clients /client/known /api/clients/known/points; do
		c=$(code "$p" -H "$h")
		[ "$c" = 401 ] || { bad=1; out="$out $p [$h] $c"; }
	done
	a=$(body /client/known -H "$h")
	b=$(body /client/nosuch -H "$h")
	[ "$a" = "$b" ] || { bad=1; out="$out [$h] /client: $a != $b"; }
	a=$(body /api/clients/known -H "$h")
	b=$(body /api/clients/nosuch -H "$h")
	[ "$a" = "$b" ] || { bad=1; out="$out [$h] /api: $a != $b"; }
done
[ $bad -eq 0 ]
ok $? "no read token, a wrong one, the write token: 401 everywhere, the same for a client that exists and one that does not"

out="$(code /healthz) $(code /login) $(code /static/style.css)"
[ "$out" = "200 200 200" ]
ok $? "/healthz, the login page and its files need no token"

h="Authorization: Bearer $rtok"
out="$(code / -H "$h") $(code /client/known -H "$h") $(code /api/clients/known -H "$h") $(code /api/clients/nosuch -H "$h") $(code /metrics -H "$h")"
[ "$out" = "200 200 200 404 200" ]
ok $? "Authorization: Bearer with the read token: 200 (404 for a client that does not exist)"

# the read token is not the write token
out=$(printf '%s\n' connect recv |
    ws '/ws?client_id=r1&window=10&version=2&token=r3ad%2FT0ken' 2>&1;
    curl -s -X DELETE -w ' %{http_code}' -H "$h" "$base/api/clients/known")
echo "$out" | grep -q '^close 4003 ' && echo "$out" | grep -q ' 401$' &&
    [ "$(sql "select count(*) from clients where client_id = 'known'")" = 1 ]
ok $? "the read token is refused for writing: hello closed 4003, DELETE 401"

# 2. the login page
out=$(body /login)
echo "$out" | grep -q '<form method="post" action="/login">' &&
    echo "$out" | grep -q 'name="token"'
ok $? "GET /login: a form that posts the token"

before=$(refused)
out=$(curl -si --max-time 5 --data-urlencode 'token=wrong' "$base/login")
after=$(refused)
echo "$out" | head -n 1 | grep -q ' 401 ' &&
    ! echo "$out" | grep -qi '^set-cookie:' &&
    [ "$after" = $((before + 1)) ]
ok $? "POST /login with a wrong token: 401, no cookie, counted ($before then $after)"

before=$(refused)
code /client/known >/dev/null
code /api/clients -H 'Authorization: Bearer x' >/dev/null
after=$(refused)
out="$before then $after"
[ "$after" = $((before + 2)) ]
ok $? "/metrics counts the refused requests (anomalyd_read_refused_total)"

out=$(curl -si --max-time 5 --data-urlencode "token=$rtok" "$base/login")
cookie=$(echo "$out" | tr -d '\r' | sed -n 's/^set-cookie: \([^;]*\);.*/\1/ip')
line=$(echo "$out" | tr -d '\r' | grep -i '^set-cookie:')
echo "$out" | head -n 1 | grep -q ' 303 ' &&
    echo "$out" | tr -d '\r' | grep -qi '^location: /$' &&
    echo "$line" | grep -q '; HttpOnly' &&
    echo "$line" | grep -q '; SameSite=Strict' &&
    echo "$line" | grep -q '; Path=/' &&
    ! echo "$line" | grep -q 'Secure' &&
    echo "$cookie" | grep -q '^anomalyd_read=[0-9a-f]\{64\}$' &&
    ! echo "$line" | grep -qF "$rtok" && ! echo "$line" | grep -qF 'r3ad'
ok $? "POST /login with the token: 303 to /, an HttpOnly SameSite=Strict cookie (not Secure without TLS) that is not the token"

out="$(code / -H "Cookie: $cookie") $(code /api/clients/known -H "Cookie: x=1; $cookie") $(code /api/clients/known/points -H "Cookie: $cookie")"
[ "$out" = "200 200 200" ]
ok $? "the cookie then lets the pages and the API be read"

# the shards of a cluster each read the same token file: one login must
# serve them all, and outlive a restart
port2=$(free_port)
"$anomalyd" -l "127.0.0.1:$port2" -d "$tmp/second.db" \
    --read-token-file "$tmp/read" 2>>"$tmp/log" &
pid2=$!
i=0
until [ "$(http_get "http://127.0.0.1:$port2/healthz" 2>/dev/null)" = ok ] ||
    [ $i -ge 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
second=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
    -H "Cookie: $cookie" "http://127.0.0.1:$port2/api/clients")
kill -TERM "$pid2"
wait "$pid2" 2>/dev/null
keep_port=1
stop
start --read-token-file "$tmp/read" --token-file "$tmp/write"
out="another anomalyd $second, after a restart $(code /api/clients -H "Cookie: $cookie")"
[ "$out" = "another anomalyd 200, after a restart 200" ]
ok $? "the cookie is good on another anomalyd with the same token file and after a restart ($out)"

# 3. reload on SIGHUP: an open WebSocket, new tokens
mkfifo "$tmp/fifo"
ws '/ws?client_id=held&window=10&version=2&token=wr1te%2FT0ken' \
    <"$tmp/fifo" >"$tmp/held" 2>&1 &
client=$!
exec 3>"$tmp/fifo"
printf '%s\n' connect recv 'send {"seq":1,"timestamp":1,"value":1}' recv >&3
waitfor "$tmp/held" '"seq":1,'
printf '%s\n' 'n3w/R' >"$tmp/read"
printf '%s\n' 'n3w/W' >"$tmp/write"
kill -HUP "$pid"
waitfor "$tmp/log" 'SIGHUP: --read-token-file: reread'
printf '%s\n' 'send {"seq":2,"timestamp":2,"value":2}' recv >&3
waitfor "$tmp/held" '"seq":2,'
held=$?
out="held $held, old read $(code / -H "$h"), new read $(code / -H 'Authorization: Bearer n3w/R'), old cookie $(code / -H "Cookie: $cookie")"
[ $held -eq 0 ] &&
    [ "$out" = "held 0, old read 401, new read 200, old cookie 401" ]
ok $? "SIGHUP: the old read token and its cookie stop working, the new one works, an open WebSocket stays open"

out=$(printf '%s\n' connect recv |
    ws '/ws?client_id=w1&window=10&version=2&token=wr1te%2FT0ken' 2>&1;
    printf '%s\n' connect recv |
    ws '/ws?client_id=w2&window=10&version=2&token=n3w%2FW' 2>&1)
echo "$out" | grep -q '^close 4003 ' && echo "$out" | grep -q '"ready"'
ok $? "SIGHUP: the old write token is refused, the new one is taken"

printf '%s\n' 'send {"seq":3,"timestamp":3,"value":3}' recv close >&3
exec 3>&-
wait "$client"

# a file that cannot be used keeps the old token and says why
rm "$tmp/read"
: >"$tmp/write"
kill -HUP "$pid"
waitfor "$tmp/log" 'SIGHUP: --token-file: .*keeping the old token'
waitfor "$tmp/log" 'SIGHUP: --read-token-file: .*keeping the old token'
w=$?
out="$(grep 'keeping the old token' "$tmp/log") / $(code / -H 'Authorization: Bearer n3w/R')"
[ $w -eq 0 ] && [ "$(grep -c 'keeping the old token' "$tmp/log")" = 2 ] &&
    grep -q "SIGHUP: --read-token-file: .*$tmp/read.*keeping the old token" "$tmp/log" &&
    [ "${out##* / }" = 200 ] &&
    printf '%s\n' connect recv |
    ws '/ws?client_id=w3&window=10&version=2&token=n3w%2FW' 2>&1 | grep -q '"ready"'
ok $? "SIGHUP: a removed file, an empty one: the old tokens stay, the log says why"
stop

# without the option: as before
db=$tmp/open.db
start
base=http://127.0.0.1:$port
out="$(code /) $(code /api/clients) $(code /login)"
[ "$out" = "200 200 404" ]
ok $? "without --read-token-file: everything readable, no login page"
stop
