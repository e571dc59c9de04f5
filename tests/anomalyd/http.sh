#!/bin/sh
# http.sh: integration tests of anomalyd's HTTP side (SPEC §5) over real
# sockets (TAP): /metrics, /static/ and its containment, escaping of
# client strings in pages and JSON, query parsing, headers, methods and
# keep-alive.  Starts build/anomalyd on a free port with a temporary
# database, feeds it with tests/tools/wsraw and reads it with python3's
# http.client, which sends a path exactly as given (no normalisation of
# "..", no percent-decoding).  ANOMALYD and WSRAW name the binaries.
. tests/lib.sh
www=$tmp/www
# the Content-Security-Policy of every response
csp="default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

# foreign_script: reads a page, says "foreign" when it holds a script tag
# other than a /static/ file or the page's JSON data block, or an event
# handler attribute.
foreign_script() {
	tr '\n' ' ' | awk '{
		s = $0
		while ((i = index(s, "<script")) > 0) {
			s = substr(s, i)
			j = index(s, ">")
			tag = substr(s, 1, j)
			if (tag !~ /^<script src="\/static\/[A-Za-z0-9\/._-]*">$/ &&
			    tag != "<script type=\"application/json\" id=\"page-data\">")
				bad = 1
			s = substr(s, j + 1)
		}
		if ($0 ~ /<[^>]* on[a-z]+=/ || $0 ~ /<img/ || $0 ~ /<style/ ||
		    $0 ~ / style=/)
			bad = 1
	} END { print bad ? "foreign" : "clean" }'
}

echo "1..40"

# req [METHOD] PATH...: one request per PATH on one keep-alive connection;
# for each, "status N" (or "status none" when the server closed without an
# answer), "header NAME: VALUE" lines (names in lower case), "body" and
# the body.  Also "conn N" before each answer: the local port, so that a
# test can see the connection was kept.
cat >"$tmp/req.py" <<'EOF'
import http.client, sys
port, method, paths = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
out = sys.stdout.buffer
c = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
for path in paths:
    try:
        c.putrequest(method, path, skip_accept_encoding=True)
        c.endheaders()
        r = c.getresponse()
        body = r.read()
    except (http.client.HTTPException, OSError):
        out.write(b"status none\n")
        c.close()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
        continue
    out.write(b"conn %d\nstatus %d\n" % (c.sock.getsockname()[1]
        if c.sock else 0, r.status))
    for k, v in r.getheaders():
        out.write(("header %s: %s\n" % (k.lower(), v)).encode())
    out.write(b"body\n" + body + b"\n")
EOF
req() {
	case $1 in
	/*) python3 "$tmp/req.py" "$port" GET "$@" ;;
	*) python3 "$tmp/req.py" "$port" "$@" ;;
	esac
}

# get PATH: the body alone.
get() {
	req "$1" | sed '1,/^body$/d'
}

# metric NAME: its value in /metrics (NAME may hold {labels}).
metric() {
	get /metrics | awk -v m="$1" '$1 == m { print $2 }'
}

# The www directory, and a secret next to it that must never be served.
mkdir -p "$www/sub" "$tmp/outside"
echo 'SECRET-7f3a' >"$tmp/secret.txt"
echo 'SECRET-7f3a' >"$tmp/outside/x.css"
echo 'SECRET-7f3a' >"$www/.hidden"
printf '<!DOCTYPE html><title>t</title>\n' >"$www/a.html"
printf 'body { color: red }\n' >"$www/b.css"
printf 'console.log(1);\n' >"$www/c.js"
printf '<svg xmlns="http://www.w3.org/2000/svg"/>\n' >"$www/d.svg"
printf '\211PNG\r\n\032\n' >"$www/e.png"
printf '{"a":1}\n' >"$www/f.json"
printf 'hello\n' >"$www/g.txt"
printf 'x\n' >"$www/h.bin"
printf 'p { margin: 0 }\n' >"$www/sub/i.css"
ln -s b.css "$www/in-link.css"
ln -s ../secret.txt "$www/out-link.txt"
ln -s ../outside "$www/outdir"
mkfifo "$www/fifo.txt" 2>/dev/null

start --www "$www" --min-points 10 --holdoff 5

# --- /metrics
out=$(req /metrics)
echo "$out" | grep -q '^status 200$' &&
    echo "$out" | grep -q '^header content-type: text/plain; version=0.0.4' &&
    echo "$out" | grep -q '^anomalyd_points_total 0$' &&
    echo "$out" | grep -q '^anomalyd_sessions 0$' &&
    echo "$out" | grep -q '^# TYPE anomalyd_commit_duration_seconds histogram$'
ok $? "/metrics: Prometheus text format, zero before any point"

script=$(awk 'BEGIN { print "connect"
	print "send {\"client_id\":\"m1\",\"window\":20}"
	for (i = 1; i <= 30; i++)
		printf "send {\"timestamp\":%d,\"value\":%d}\nrecv\n", i, i % 5
	print "send {\"timestamp\":31,\"value\":1000000}"
	print "recv" }')
wsout=$(printf '%s\n' "$script" | ws 2>&1)
out=$(get /metrics)
echo "$wsout" | grep -q '"timestamp":31,"anomaly":1' &&
    echo "$out" | grep -q '^anomalyd_points_total 31$' &&
    echo "$out" | grep -q '^anomalyd_anomalies_total [1-9]' &&
    echo "$out" | grep -q '^anomalyd_alerts_total [1-9]' &&
    echo "$out" | grep -q '^anomalyd_clients{state="inactive"} 1$'
ok $? "/metrics: points, anomalies, alerts and clients move when points are stored"

out=$(get /metrics)
c=$(echo "$out" | awk '$1 == "anomalyd_commits_total" { print $2 }')
inf=$(echo "$out" | awk '$1 == "anomalyd_commit_duration_seconds_bucket{le=\"+Inf\"}" { print $2 }')
cnt=$(echo "$out" | awk '$1 == "anomalyd_commit_duration_seconds_count" { print $2 }')
rows=$(echo "$out" | awk '$1 == "anomalyd_commit_points_total" { print $2 }')
sum=$(echo "$out" | awk '$1 == "anomalyd_commit_duration_seconds_sum" { print $2 }')
# buckets never decrease
mono=$(echo "$out" | awk '/^anomalyd_commit_duration_seconds_bucket/ {
	if ($2 < last) bad = 1; last = $2 } END { print bad ? "no" : "yes" }')
[ "${c:-0}" -ge 1 ] && [ "$inf" = "$c" ] && [ "$cnt" = "$c" ] &&
    [ "${rows:-0}" -ge 1 ] && [ "$rows" -le 31 ] && [ -n "$sum" ] &&
    [ "$mono" = yes ]
ok $? "/metrics: commits counted, latency histogram consistent ($c commits, $rows points)"

printf '%s\n' connect recv 'sleep 4000' |
    ws '/ws?client_id=live&window=10&version=2' >"$tmp/live" 2>&1 &
live=$!
waitfor "$tmp/live" ready
out=$(get /metrics)
kill "$live" 2>/dev/null
wait "$live" 2>/dev/null
echo "$out" | grep -q '^anomalyd_sessions 1$' &&
    echo "$out" | grep -q '^anomalyd_clients{state="active"} 1$'
ok $? "/metrics: a connected client counts as a session and active"

# --- /static/
out=""
bad=0
for f in a.html:text/html b.css:text/css c.js:text/javascript \
    d.svg:image/svg+xml e.png:image/png f.json:application/json \
    g.txt:text/plain h.bin:application/octet-stream sub/i.css:text/css \
    in-link.css:text/css; do
	name=${f%%:*}
	type=${f#*:}
	r=$(req "/static/$name")
	if ! echo "$r" | grep -q '^status 200$' ||
	    ! echo "$r" | grep -q "^header content-type: $type" ||
	    ! echo "$r" | grep -q "^header content-length: $(wc -c <"$www/$name" | tr -d ' ')$"; then
		bad=1
		out="$out
$name: $r"
	fi
done
[ $bad -eq 0 ]
ok $? "/static/: each file with the Content-Type of its extension and its length"

out=$(get /static/b.css)
[ "$out" = "body { color: red }" ]
ok $? "/static/: the file's bytes"

out=$(req /static/nope.css /static/ /static/sub /static/sub/ /static/.hidden \
    /static/out-link.txt /static/outdir/x.css /static/fifo.txt \
    /static/B.CSS "/static/b.css/")
[ "$(echo "$out" | grep -c '^status 404$')" = 10 ] && ! echo "$out" | grep -q SECRET
ok $? "/static/: missing, directory, dot file, links out of www, FIFO: 404"

# every way up and out: never the secret, never a 200
out=$(req "/static/../secret.txt" "/static/%2e%2e/secret.txt" \
    "/static/%2E%2E/secret.txt" "/static/..%2fsecret.txt" \
    "/static/..%2Fsecret.txt" "/static/%2e%2e%2fsecret.txt" \
    "/static/.%2e/secret.txt" "/static/%2e./secret.txt" \
    "/static/%252e%252e/secret.txt" "/static/%252e%252e%252fsecret.txt" \
    "/static/..%252fsecret.txt" "/static/..\\secret.txt" \
    "/static/..%5csecret.txt" "/static/..%5Csecret.txt" \
    "/static/%5c..%5csecret.txt" "/static/....//secret.txt" \
    "/static/..;/secret.txt" "/static/%c0%ae%c0%ae/secret.txt" \
    "/static/%c0%af../secret.txt" "/static/..%00/secret.txt" \
    "/static/secret.txt%00.css" "/static/b.css%00" \
    "/static/sub/../../secret.txt" "/static/sub/%2e%2e/%2e%2e/secret.txt" \
    "/static/%2fetc%2fpasswd" "/static//etc/passwd" \
    "/static/../../../../../../etc/passwd" \
    "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd" \
    "/static/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd" \
    "/static/$tmp/secret.txt" "/static/%2f${tmp#/}/secret.txt" \
    "/../secret.txt" "/%2e%2e/secret.txt")
echo "$out" | grep -q '^status 200$' && bad=1 || bad=0
echo "$out" | grep -q 'SECRET-7f3a\|root:' && bad=1
[ $bad -eq 0 ] &&
    [ "$(echo "$out" | grep -c '^status \(404\|400\|none\)$')" = 33 ]
ok $? "/static/: .., percent-encoded, double-encoded, backslash, NUL, absolute: never out of www"

out=$(get /static/b.css)
[ "$out" = "body { color: red }" ]
ok $? "/static/: still serving after the hostile requests"

# --- hostile client strings
out=$(printf '%s\n' connect 'send {"client_id":"x:s-s.1","window":10}' \
    'send {"timestamp":"<img src=x onerror=alert(1)>","value":1}' recv \
    "send {\"timestamp\":\"\\\"'><script>alert(2)</script>\",\"value\":2}" \
    recv 'send {"timestamp":"a&amp;b\u2028","value":3}' recv | ws 2>&1)
echo "$out" | grep -q 'alert(2)' && [ "$(echo "$out" | grep -c '"anomaly":0')" = 3 ]
ok $? "hostile timestamps are stored"

page=$(get "/client/x:s-s.1")
out=$page
echo "$page" | grep -qF '<td>&lt;img src=x onerror=alert(1)&gt;</td>' &&
    echo "$page" | grep -qF '<td>&quot;&#39;&gt;&lt;script&gt;alert(2)&lt;/script&gt;</td>' &&
    echo "$page" | grep -qF '<td>a&amp;amp;b' &&
    [ "$(echo "$page" | foreign_script)" = clean ]
ok $? "/client/ID: timestamps escaped as HTML text, no markup of theirs"

out=$(req "/api/clients/x:s-s.1/points")
echo "$out" | grep -q '^header content-type: application/json' &&
    echo "$out" | grep -qF '"timestamp":"\u003cimg src=x onerror=alert(1)\u003e"' &&
    echo "$out" | grep -qF '"timestamp":"\"'"'"'\u003e\u003cscript\u003ealert(2)\u003c/script\u003e"' &&
    ! echo "$out" | grep -q '<img\|<script'
ok $? "/api/clients/ID/points: timestamps as JSON strings with < > escaped"

out=$(get "/api/clients/x:s-s.1/points" | python3 -c 'import json, sys
ts = [p["timestamp"] for p in json.load(sys.stdin)]
assert ts == ["<img src=x onerror=alert(1)>", "\"'"'"'><script>alert(2)</script>",
    "a&amp;b\u2028"], ts
print("same")' 2>&1)
[ "$out" = same ]
ok $? "/api/clients/ID/points: the JSON reads back as the strings sent"

out=$(get /)
echo "$out" | grep -qF '<a href="/client/x%3As-s.1">x:s-s.1</a>' &&
    echo "$out" | grep -qF '<a href="/client/m1">m1</a>'
ok $? "/: ids percent-encoded in links, escaped in text"

out=$(req "/client/x%3As-s.1" "/clients/x:s-s.1")
[ "$(echo "$out" | grep -c '^status 200$')" = 2 ]
ok $? "/client/ID and /clients/ID: an encoded id finds the client"

out=$(get / ; get /client/m1; get /nope)
[ "$(echo "$out" | grep -c '<link rel="stylesheet" href="/static/style.css">')" = 3 ] &&
    [ "$(echo "$out" | grep -c '<script src="/static/app.js"></script>')" = 3 ] &&
    [ "$(echo "$out" | foreign_script)" = clean ]
ok $? "pages link /static/style.css and app.js; no inline script, style or handler"

# the page's data block: JSON that reads back as the strings sent, and
# that no "</script>" in them can end early
out=$(get "/client/x:s-s.1" | python3 -c 'import json, re, sys
page = sys.stdin.read()
m = re.findall(r"<script type=\"application/json\" id=\"page-data\">(.*?)</script>", page, re.S)
assert len(m) == 1, len(m)
d = json.loads(m[0])
ts = [p["timestamp"] for p in d["points"]]
assert ts == ["<img src=x onerror=alert(1)>", "\"'"'"'><script>alert(2)</script>",
    "a&amp;b\u2028"], ts
assert d["client"]["client_id"] == "x:s-s.1" and d["page"] == "client"
assert "<" not in m[0] and ">" not in m[0]
print("same")' 2>&1)
[ "$out" = same ]
ok $? "/client/ID: the data block is JSON with < > escaped, read back exactly"

out=$(req "/api/clients/x:s-s.1" "/api/clients/x%3As-s.1" /api/clients/nobody \
    "/api/clients/a%20b")
[ "$(echo "$out" | sed -n 's/^status //p' | tr '\n' ' ')" = "200 200 404 404 " ] &&
    echo "$out" | grep -q '^{"client_id":"x:s-s.1","window":10,.*"points":3,' &&
    [ "$(echo "$out" | grep -c '^{"error":"no such client"}$')" = 2 ]
ok $? "/api/clients/ID: the client's object; 404 with a JSON error"

# a hostile id in a page's path: a 404 page that shows it as text
out=$(req "/client/%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E" \
    "/clients/'%22%3E%3Cscript%3Ealert(1)%3C/script%3E" /client/nobody)
echo "$out" | grep -qF 'No client is named <code>&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</code>.' &&
    echo "$out" | grep -qF 'No client is named <code>&#39;&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</code>.' &&
    echo "$out" | grep -qF 'No client is named <code>nobody</code>.' &&
    [ "$(echo "$out" | grep -c '^status 404$')" = 3 ] &&
    [ "$(echo "$out" | foreign_script)" = clean ]
ok $? "/client/ID: unknown or hostile id: 404 page showing it escaped"

out=$(req / /client/m1 /api/clients /static/b.css)
[ "$(echo "$out" | grep -c '^header referrer-policy: no-referrer$')" = 4 ] &&
    [ "$(echo "$out" | grep -c '^header cache-control: no-store$')" = 3 ] &&
    [ "$(echo "$out" | grep -c '^header cache-control: no-cache$')" = 1 ]
ok $? "Referrer-Policy on all; pages and API not stored in caches, files revalidated"

# --- query parsing of /api/clients/ID/points
p="/api/clients/m1/points"
out=$(req "$p?after=abc" "$p?after=-1" "$p?after=" "$p?after=1.5" \
    "$p?limit=0" "$p?limit=-5" "$p?limit=x" "$p?limit=1e3" "$p?limit=%205" \
    "$p?limit=+5" "$p?limit=5x" "$p?after=99999999999999999999999" \
    "$p?limit=1&after=2&limit=y")
[ "$(echo "$out" | grep -c '^status 400$')" = 13 ] &&
    [ "$(echo "$out" | grep -c '^{"error":"[a-z]')" = 13 ] &&
    [ "$(echo "$out" | grep -c '^header content-type: application/json')" = 13 ]
ok $? "points: bad after or limit: 400 with a short JSON error"

out=$(get "$p?after=2&limit=3&foo=bar&after")
echo "$out" | grep -q '^\[{"n":3,.*},{"n":4,.*},{"n":5,[^{]*}\]$'
ok $? "points: after and limit honoured, unknown keys ignored"

a=$(get "$p?limit=99999999999999999999999")
b=$(get "$p?limit=100001")
c=$(get "$p?limit=%33&after=%32%38")
out="$a
$b
$c"
[ "$(echo "$a" | grep -o '"n":' | wc -l)" = 31 ] &&
    [ "$(echo "$b" | grep -o '"n":' | wc -l)" = 31 ] &&
    [ "$(echo "$c" | grep -o '"n":[0-9]*' | tr '\n' ' ')" = '"n":29 "n":30 "n":31 ' ]
ok $? "points: a huge limit is capped, percent-encoded digits read"

out=$(req "/api/clients/nobody/points" "/api/clients/a%20b/points")
[ "$(echo "$out" | grep -c '^status 404$')" = 2 ] &&
    [ "$(echo "$out" | grep -c '^{"error":"no such client"}$')" = 2 ]
ok $? "points: unknown or impossible id: 404 with a JSON error"

# --- headers on every response
out=$(req / /healthz /metrics /static/b.css /api/clients /nope \
    /static/nope "$p?limit=x" /client/nobody)
[ "$(echo "$out" | grep -c '^status ')" = 9 ] &&
    [ "$(echo "$out" | grep -c "^header content-security-policy: $csp$")" = 9 ] &&
    [ "$(echo "$out" | grep -c '^header x-content-type-options: nosniff$')" = 9 ] &&
    [ "$(echo "$out" | grep -c '^status 200$')" = 5 ] &&
    [ "$(echo "$out" | grep -c '^status 404$')" = 3 ] &&
    [ "$(echo "$out" | grep -c '^status 400$')" = 1 ]
ok $? "CSP and nosniff on 200, 404 and 400 responses"

# --- methods
out=$(req HEAD /metrics /client/m1 /nope /static/b.css)
get=$(req /metrics | sed -n 's/^header content-length: //p')
[ "$(echo "$out" | grep -c '^status ')" = 4 ] &&
    [ "$(echo "$out" | sed -n 's/^status //p' | tr '\n' ' ')" = "200 200 404 200 " ] &&
    [ "$(echo "$out" | grep -c "^header content-security-policy: $csp$")" = 4 ] &&
    [ "$(echo "$out" | sed -n 's/^header content-length: //p' | head -n 1)" = "$get" ] &&
    [ "$(echo "$out" | sed -n '/^body$/{n;p;}' | grep -c .)" = 0 ] &&
    [ "$(echo "$out" | sed -n 's/^conn //p' | sort -u | wc -l)" = 1 ]
ok $? "HEAD: the headers of GET, no body, on a kept connection"

out=$(req POST /healthz; req PUT /; req DELETE /api/clients; req OPTIONS /)
[ "$(echo "$out" | grep -c '^status 405$')" = 4 ] &&
    [ "$(echo "$out" | grep -c '^header allow: GET, HEAD$')" = 4 ] &&
    [ "$(echo "$out" | grep -c "^header content-security-policy: $csp$")" = 4 ]
ok $? "POST, PUT, DELETE, OPTIONS: 405 with Allow: GET, HEAD"

out=$(python3 - "$port" <<'EOF' 2>&1
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=3)
c.request("POST", "/api/clients", body=b'{"a":1}' * 1000,
    headers={"Content-Type": "application/json"})
r = c.getresponse()
r.read()
print(r.status)
EOF
)
[ "$out" = 405 ] && [ "$(get /healthz)" = ok ]
ok $? "a POST with a body gets 405, the server goes on"

# --- the static chart of values near +-DBL_MAX (hi - lo overflows)
out=$(printf '%s\n' connect 'send {"client_id":"huge","window":10}' \
    'send {"timestamp":1,"value":1e308}' recv \
    'send {"timestamp":2,"value":-1e308}' recv \
    'send {"timestamp":3,"value":1.7976931348623157e308}' recv \
    'send {"timestamp":4,"value":0}' recv | ws 2>&1)
svg=$(get /client/huge | tr '\n' ' ' | sed -n 's/.*\(<svg class="static-chart".*<\/svg>\).*/\1/p')
out="$out
$svg"
[ "$(echo "$out" | grep -c '"anomaly":0')" = 4 ] &&
    echo "$svg" | grep -q '<polyline class="values" points="10.0,78.4 336.7,250.0 663.3,10.0 990.0,164.2"/>' &&
    ! echo "$svg" | grep -qi 'nan\|inf'
ok $? "/client/ID: the static chart of values up to +-1.8e308 holds no nan or inf"

# --- a client's anomalies and alerts over its whole history, paged
awk 'BEGIN { print "connect"
	print "send {\"client_id\":\"ev\",\"window\":100,\"vote\":\"any\",\"detectors\":[\"zscore\"],\"params\":{\"zscore.k\":1.5}}"
	for (i = 1; i <= 1500; i++) {
		v = 50 + 10 * sin(i / 15) + (i * 7919 % 13) / 6
		if (i % 23 == 0) v += 80
		printf "send {\"timestamp\":\"<i>%d</i>\",\"value\":%.3f}\nrecv\n", i, v
	} }' | ws >/dev/null 2>&1
events=$(sql "select count(*) from points where client_id = 'ev' and (anomaly = 1 or alert = 1)")
# walk the pages by their "older" links, collecting the rows' n
page="/client/ev"
: >"$tmp/seen"
pages=0
while [ -n "$page" ] && [ $pages -lt 100 ]; do
	body=$(get "$page")
	pages=$((pages + 1))
	echo "$body" | sed -n '/<tbody id="events-rows">/,/<\/tbody>/p' |
	    sed -n 's/^<tr class="[a-z]*"><td class="num">\([0-9]*\)<\/td>.*/\1/p' >>"$tmp/seen"
	page=$(echo "$body" | sed -n 's/.*id="events-older" href="\([^"#]*\)#events".*/\1/p' | sed 's/&amp;/\&/g')
done
want=$(sql "select n from points where client_id = 'ev' and (anomaly = 1 or alert = 1) order by n desc")
out="$events events, $pages pages, $(wc -l <"$tmp/seen") rows"
[ "$events" -gt 50 ] && [ "$(cat "$tmp/seen")" = "$want" ] &&
    [ $pages -eq $(((events + 49) / 50)) ]
ok $? "/client/ID: every anomaly and alert, newest first, 50 a page by 'older' links ($out)"

first=$(get /client/ev)
out=$(echo "$first" | sed -n '/<section id="events">/,/<\/section>/p')
echo "$out" | grep -q '^<p class="explain">An <strong>anomaly</strong> is one point that the vote of the detectors (any of zscore) finds unusual; an <strong>alert</strong> is the de-duplicated event a person would be paged for: a signal of the alert detectors (spatial, novelty, novelty_long), after which no other alert is raised for 5 points (hold-off).</p>$' &&
    echo "$out" | grep -q '<td>&lt;i&gt;1495&lt;/i&gt;</td>' &&
    ! echo "$out" | grep -q '<i>' &&
    echo "$out" | grep -q '<td>anomaly</td><td>zscore</td></tr>$' &&
    [ "$(echo "$first" | foreign_script)" = clean ]
ok $? "/client/ID: one sentence says what an anomaly and an alert are; rows escaped, with the detectors that voted"

# newer links lead back: from the second page, "newer" is the first page
second=$(echo "$first" | sed -n 's/.*id="events-older" href="\([^"#]*\)#events".*/\1/p')
newer=$(get "$second" | sed -n 's/.*id="events-newer" href="\([^"#]*\)#events".*/\1/p')
rows() { get "$1" | sed -n '/<tbody id="events-rows">/,/<\/tbody>/p' | grep -c '^<tr class="a'; }
a=$(get /client/ev | sed -n '/<tbody id="events-rows">/,/<\/tbody>/p')
b=$(get "$newer" | sed -n '/<tbody id="events-rows">/,/<\/tbody>/p')
out="$second -> $newer"
r2=$((events - 50))
[ $r2 -gt 50 ] && r2=50
[ -n "$newer" ] && [ "$a" = "$b" ] && [ "$(rows "$second")" = $r2 ] &&
    ! echo "$a" | grep -q 'events-newer'
ok $? "/client/ID?before=N, ?after=N: the 'newer' link of page 2 gives page 1"

# the JSON API
e="/api/clients/ev/events"
out=$(get "$e?limit=3" | python3 -c 'import json, sys
print(" ".join(str(p["n"]) for p in json.load(sys.stdin)))')
top=$(sql "select group_concat(n, ' ') from (select n from points where client_id = 'ev' and (anomaly = 1 or alert = 1) order by n desc limit 3)")
out2=$(get "$e?after=100&order=asc&limit=2" | python3 -c 'import json, sys
print(" ".join(str(p["n"]) for p in json.load(sys.stdin)))')
low=$(sql "select group_concat(n, ' ') from (select n from points where client_id = 'ev' and (anomaly = 1 or alert = 1) and n > 100 order by n limit 2)")
out3=$(get "$e" | grep -o '"n":' | wc -l)
out="[$out] [$out2] $out3"
[ "$out" = "[$top] [$low] 50" ]
ok $? "/api/clients/ID/events: newest first, limit, after with order=asc, 50 by default"
out=$(req "$e?before=0" "$e?before=x" "$e?limit=0" "$e?order=up" /api/clients/nobody/events)
[ "$(echo "$out" | sed -n 's/^status //p' | tr '\n' ' ')" = "400 400 400 400 404 " ]
ok $? "/api/clients/ID/events: bad arguments 400, unknown id 404"

# --- keep-alive
out=$(req /healthz /api/clients /static/b.css /nope "$p?limit=x" /healthz)
[ "$(echo "$out" | sed -n 's/^conn //p' | wc -l)" = 6 ] &&
    [ "$(echo "$out" | sed -n 's/^conn //p' | sort -u | wc -l)" = 1 ] &&
    [ "$(echo "$out" | sed -n 's/^status //p' | tr '\n' ' ')" = "200 200 200 404 400 200 " ]
ok $? "keep-alive: six requests, 200, 404 and 400 among them, on one connection"

out=$(python3 - "$port" <<'EOF' 2>&1
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
          b"GET /static/b.css HTTP/1.1\r\nHost: localhost\r\n\r\n")
data = b""
while data.count(b"HTTP/1.1 200") < 2 or not data.endswith(b"}\n"):
    d = s.recv(65536)
    if not d:
        break
    data += d
print(data.count(b"HTTP/1.1 200"), b"color: red" in data)
EOF
)
[ "$out" = "2 True" ]
ok $? "keep-alive: two pipelined requests in one write, both answered"

stop

# --- the default www directory, and a missing one
start
out=$(req /static/style.css)
echo "$out" | grep -q '^status 200$' &&
    echo "$out" | grep -q '^header content-type: text/css' &&
    [ "$(get /static/style.css)" = "$(cat share/anomaly/www/style.css)" ]
ok $? "default www: share/anomaly/www/style.css"
out=$(req /static/app.js /static/uplot/uPlot.iife.min.js \
    /static/uplot/uPlot.min.css /static/favicon.svg)
[ "$(echo "$out" | sed -n 's/^status //p' | tr '\n' ' ')" = "200 200 200 200 " ] &&
    [ "$(echo "$out" | grep -c '^header content-type: text/javascript')" = 2 ] &&
    echo "$out" | grep -q '^header content-type: text/css' &&
    echo "$out" | grep -q '^header content-type: image/svg+xml' &&
    echo "$out" | grep -q 'var uPlot'
ok $? "default www: app.js, uPlot (installed by make from npm) and the icon"
stop

start --www "$tmp/no-such-dir"
out=$(req /static/style.css /healthz)
[ "$(echo "$out" | sed -n 's/^status //p' | tr '\n' ' ')" = "404 200 " ]
ok $? "--www DIR that does not exist: 404 for files, the server runs"
stop

"$anomalyd" --www >/dev/null 2>&1
rc=$?
"$anomalyd" --help | grep -q -- '--www DIR'
rc2=$?
out="exit $rc, help $rc2"
[ $rc -eq 2 ] && [ $rc2 -eq 0 ]
ok $? "--www: needs an argument; in --help"
