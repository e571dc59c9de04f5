#!/bin/sh
# tls.sh: anomalyd --tls-cert/--tls-key and anomaly-send wss:// (TAP).  A
# throwaway CA and certificates are made here with openssl (nothing secret
# is committed): wss:// with --cacert gives verdicts; the system store,
# a wrong host name and an expired certificate each end anomaly-send with
# exit 1 and the cause in words; -k skips the checks; https:// serves
# /healthz; plain text on the TLS port and TLS on a plain port are refused
# with a clear error (and one log line on the TLS port); bad options and
# files; SIGHUP loads
# a new certificate for new connections while an open one keeps streaming.
. tests/lib.sh

send=${SEND:-build/anomaly-send}

echo "1..16"

# --- the throwaway CA and its certificates
pki=$tmp/pki
mkdir -p "$pki/new" && touch "$pki/index" && echo 1000 >"$pki/serial" || exit 1
cat >"$pki/ca.cnf" <<EOF
[ca]
default_ca = test
[test]
dir = $pki
database = $pki/index
new_certs_dir = $pki/new
serial = $pki/serial
certificate = $pki/ca.pem
private_key = $pki/ca.key
default_md = sha256
policy = any
unique_subject = no
copy_extensions = copy
[any]
commonName = supplied
EOF
ssl() {
	openssl "$@" >>"$tmp/openssl.log" 2>&1 || {
		echo "Bail out! openssl $1 failed"; exit 1; }
}
ssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" \
    -out "$pki/ca.pem" -days 2 -subj /CN=anomaly-test-ca
# cert NAME SAN [openssl ca date options]: NAME.pem and NAME.key, signed
cert() {
	name=$1 san=$2
	shift 2
	ssl req -newkey rsa:2048 -nodes -keyout "$pki/$name.key" \
	    -out "$pki/$name.csr" -subj "/CN=$name" -addext "subjectAltName=$san"
	ssl ca -batch -config "$pki/ca.cnf" -in "$pki/$name.csr" \
	    -out "$pki/$name.pem" -notext "$@"
}
cert good "DNS:localhost,IP:127.0.0.1" -days 2
cert other "DNS:elsewhere.example" -days 2
cert old "DNS:localhost,IP:127.0.0.1" -startdate 20200101000000Z \
    -enddate 20200102000000Z
cert next "DNS:localhost,IP:127.0.0.1" -days 2

# tstart CERT [OPTION]...: anomalyd with TLS on a free port, up when
# https:// /healthz answers (not verified: some of the certificates are
# meant to fail).
tstart() {
	c=$1
	shift
	port=$(free_port)
	"$anomalyd" -l "127.0.0.1:$port" -d "$db" --tls-cert "$pki/$c.pem" \
	    --tls-key "$pki/$c.key" "$@" 2>>"$tmp/log" &
	pid=$!
	i=0
	while [ $i -lt 100 ]; do
		[ "$(curl -sfk --max-time 2 \
		    "https://127.0.0.1:$port/healthz" 2>/dev/null)" = ok ] &&
		    return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
		i=$((i + 1))
	done
	echo "Bail out! anomalyd did not start with TLS"
	exit 1
}
# serial HOST:PORT: the serial of the certificate a new connection sees
serial() {
	openssl s_client -connect "$1" -servername localhost </dev/null \
	    2>/dev/null | openssl x509 -noout -serial 2>/dev/null
}
# alive: anomalyd runs and answers https:// /healthz.
alive() {
	kill -0 "$pid" 2>/dev/null && [ "$(curl -sf --max-time 2 --cacert \
	    "$pki/ca.pem" "https://127.0.0.1:$port/healthz")" = ok ]
}
csv_series 60 >"$tmp/in.csv"

# --- options
"$anomalyd" --tls-cert "$pki/good.pem" -l 127.0.0.1:1 -d "$db" \
    2>"$tmp/err"
rc=$?
out=$(cat "$tmp/err")
[ $rc = 2 ] && grep -q 'tls-cert and --tls-key go together' "$tmp/err"
ok $? "--tls-cert without --tls-key: usage error, exit 2"
"$anomalyd" --tls-cert "$pki/good.pem" --tls-key "$pki/other.key" \
    -l 127.0.0.1:1 -d "$db" 2>"$tmp/err"
rc=$?
out=$(cat "$tmp/err")
[ $rc = 1 ] && grep -q 'not the key of --tls-cert' "$tmp/err" &&
    "$anomalyd" --tls-cert "$tmp/none.pem" --tls-key "$pki/good.key" \
    -l 127.0.0.1:1 -d "$db" 2>"$tmp/err"
[ $? = 1 ] && grep -q 'tls-cert .*none.pem: No such file' "$tmp/err" &&
    "$anomalyd" --tls-cert "$tmp/in.csv" --tls-key "$pki/good.key" \
    -l 127.0.0.1:1 -d "$db" 2>"$tmp/err"
[ $? = 1 ] && grep -q 'in.csv: not a PEM certificate' "$tmp/err"
ok $? "a key not of the certificate, a missing or non-PEM certificate: exit 1 with the cause, before listening"

# --- wss:// and https://
tstart good
grep -q "listening on 127.0.0.1:$port (TLS: wss:// and https:// only)" \
    "$tmp/log"
ok $? "the start line says TLS"
out=$("$send" -u "wss://127.0.0.1:$port" --cacert "$pki/ca.pem" -i tls1 \
    --no-log -q --json "$tmp/in.csv" 2>"$tmp/err"; echo "rc=$?")
echo "$out" | grep -q 'rc=0' &&
    [ "$(sql "SELECT count(*) FROM points WHERE client_id = 'tls1'")" = 60 ]
ok $? "wss:// with --cacert: the 60 points are judged and stored"
out=$("$send" -u "wss://localhost:$port" --cacert "$pki/ca.pem" -i tls2 \
    --no-log "$tmp/in.csv" 2>"$tmp/err")
[ "$(echo "$out" | wc -l)" = 61 ] && echo "$out" | head -1 |
    grep -q '^timestamp,value,anomaly,alert$'
ok $? "wss://localhost: a verdict per row on stdout"
out=$("$send" -u "wss://127.0.0.1:$port" -i tls3 --no-log "$tmp/in.csv" \
    2>&1; echo "rc=$?")
echo "$out" | grep -q 'rc=1$' &&
    echo "$out" | grep -q 'server certificate refused: unknown CA'
ok $? "wss:// without --cacert: exit 1, unknown CA"
out=$("$send" -u "wss://127.0.0.1:$port" -k -i tls4 --no-log -q \
    "$tmp/in.csv" 2>&1; echo "rc=$?")
echo "$out" | grep -q 'rc=0$'
ok $? "wss:// with -k: no verification, points sent"
out=$(curl -sS --cacert "$pki/ca.pem" "https://127.0.0.1:$port/healthz" 2>&1)
[ "$out" = ok ]
ok $? "https:// GET /healthz with curl --cacert"
lines=$(grep -c 'plain text on the TLS port' "$tmp/log")
out=$(curl -sS "http://127.0.0.1:$port/healthz" 2>&1)
echo "$out" | grep -q 'Empty reply from server' &&
    out=$("$send" -u "ws://127.0.0.1:$port" -i tls5 --no-log "$tmp/in.csv" \
    2>&1; echo "rc=$?") &&
    echo "$out" | grep -q 'a TLS port? use wss://' &&
    echo "$out" | grep -q 'rc=1$' &&
    [ "$(grep -c '^anomalyd: plain text on the TLS port, refused$' \
    "$tmp/log")" -ge $((lines + 2)) ] && alive
ok $? "plain text on the TLS port: refused, anomaly-send says to use wss://, a log line each, server alive"

# --- SIGHUP: a new certificate for new connections, an open one streams on
s1=$(serial "127.0.0.1:$port")
csv_series 40 >"$tmp/slow.csv"
"$send" -u "wss://127.0.0.1:$port" --cacert "$pki/ca.pem" -i held \
    --rate 10 --no-log --retries 0 "$tmp/slow.csv" >"$tmp/held.out" \
    2>"$tmp/held.err" &
spid=$!
waitfor "$tmp/held.out" '^1600000120,'
cp "$pki/next.pem" "$pki/good.pem" && cp "$pki/next.key" "$pki/good.key"
kill -HUP "$pid"
waitfor "$tmp/log" 'SIGHUP: certificate .* reloaded'
s2=$(serial "127.0.0.1:$port")
out="before $s1 after $s2"
[ -n "$s1" ] && [ -n "$s2" ] && [ "$s1" != "$s2" ] &&
    [ "$s2" = "$(openssl x509 -noout -serial -in "$pki/next.pem")" ]
ok $? "SIGHUP: new connections get the new certificate (serial changed)"
wait "$spid"
rc=$?
spid=
out=$(cat "$tmp/held.err")
[ $rc = 0 ] && [ "$(wc -l <"$tmp/held.out")" = 41 ] &&
    ! grep -q reconnecting "$tmp/held.err"
ok $? "SIGHUP: the connection open across it streams all 40 points, no reconnect"
echo garbage >"$pki/good.pem"
kill -HUP "$pid"
waitfor "$tmp/log" 'certificate not reloaded, the old one stays'
ok $? "SIGHUP with an unusable certificate: logged, the old one kept"
alive && [ "$(serial "127.0.0.1:$port")" = "$s2" ]
ok $? "... and the server serves on with it"
stop

# --- wrong host name, expired
tstart other
out=$("$send" -u "wss://localhost:$port" --cacert "$pki/ca.pem" -i tls6 \
    --no-log "$tmp/in.csv" 2>&1; echo "rc=$?")
echo "$out" | grep -q 'rc=1$' &&
    echo "$out" | grep -q 'server certificate refused: wrong host name'
ok $? "a certificate for another host: exit 1, wrong host name"
stop
tstart old
out=$("$send" -u "wss://localhost:$port" --cacert "$pki/ca.pem" -i tls7 \
    --no-log "$tmp/in.csv" 2>&1; echo "rc=$?")
echo "$out" | grep -q 'rc=1$' &&
    echo "$out" | grep -q 'server certificate refused: expired certificate'
ok $? "an expired certificate: exit 1, expired"
stop

# --- TLS on a plain-text port (lws answers the hello with a plain 403)
start
out=$("$send" -u "wss://127.0.0.1:$port" --cacert "$pki/ca.pem" -i tls8 \
    --no-log "$tmp/in.csv" 2>&1; echo "rc=$?")
echo "$out" | grep -q 'rc=1$' &&
    echo "$out" | grep -q 'the server speaks plain text on this port: use ws://' &&
    ! curl -s --cacert "$pki/ca.pem" "https://127.0.0.1:$port/healthz" &&
    [ "$(http_get "http://127.0.0.1:$port/healthz")" = ok ]
ok $? "TLS on a plain-text port: anomaly-send told to use ws://, curl fails, server alive"
stop
