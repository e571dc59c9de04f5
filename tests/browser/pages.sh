#!/bin/sh
# pages.sh: the pages of anomalyd in headless Chromium (SPEC §5, §8):
# starts build/anomalyd with a temporary database, stores points for a
# steady client, a client with HTML timestamps and (straight into the
# database) a client id with quotes and markup, keeps anomaly-send
# streaming to a fourth client, and runs tests/browser/pages.js, which drives
# Chromium over the DevTools protocol and prints TAP.  Screenshots go to
# build/screenshots/ (SHOTS).  Needs node and chromium (make deps).
. tests/lib.sh
send=${SEND:-build/anomaly-send}
shots=${SHOTS:-build/screenshots}

if ! command -v node >/dev/null 2>&1 ||
    ! command -v "${CHROMIUM:-chromium}" >/dev/null 2>&1; then
	echo "1..0 # SKIP node or chromium missing: make deps"
	exit 0
fi
mkdir -p "$shots"
start --min-points 10 --holdoff 20

# steady: 400 points a minute apart with a few spikes (anomalies, alerts)
awk 'BEGIN { print "connect"
	print "send {\"client_id\":\"steady\",\"window\":100}"
	srand(7)
	for (i = 1; i <= 400; i++) {
		v = 50 + 10 * sin(i / 15) + rand() * 2
		if (i % 97 == 0) v += 60
		printf "send {\"timestamp\":%d,\"value\":%.3f}\nrecv\n",
		    1700000000 + 60 * i, v
	} }' | ws >"$tmp/steady" 2>&1

# hostile: timestamps that are HTML and script
printf '%s\n' connect 'send {"client_id":"x:hostile","window":10}' \
    'send {"timestamp":"<img src=x onerror=alert(1)>","value":1}' recv \
    "send {\"timestamp\":\"\\\"'><img src=x onerror=alert(2)>\",\"value\":2}" recv \
    'send {"timestamp":"</script><script>alert(3)</script>","value":3}' recv |
    ws >"$tmp/hostile" 2>&1

# quoted: an id the protocol refuses, as if an older version had stored it
quoted="q\"'><img src=x onerror=alert(5)>&amp;"
python3 - "$db" "$quoted" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=5)
c.execute("INSERT INTO clients(client_id, window, settings, active, "
    "first_seen_ms, last_seen_ms, points, anomalies, alerts, last_value, "
    "last_seq, peer) VALUES (?, 10, '{}', 0, 1, 2, 0, 0, 0, 1.5, 0, '')",
    (sys.argv[2],))
c.commit()
PY

# stream: five points a second for as long as the tests run
awk 'BEGIN { print "timestamp,value"
	for (i = 1; i <= 200; i++) printf "%d,%.2f\n", 1700000000 + i, 20 + (i % 7) }' \
    >"$tmp/stream.csv"
"$send" -q --no-log -u "ws://127.0.0.1:$port/ws" -i stream-1 -w 50 \
    --rate 5 --loop "$tmp/stream.csv" 2>"$tmp/send.err" &
spid=$!

SPIKE="printf '%s\n' connect 'send {\"client_id\":\"steady\",\"window\":100}' 'send {\"timestamp\":1700024060,\"value\":100000}' recv | $wsraw 127.0.0.1 $port >/dev/null 2>&1" \
BASE=http://127.0.0.1:$port SHOTS=$shots STEADY=steady STREAM=stream-1 \
    HOSTILE=x:hostile QUOTED=$quoted PROFILE=$tmp/chromium \
    FEED="printf '%s\n' connect 'send {\"client_id\":\"x:hostile\",\"window\":10}' 'send {\"timestamp\":\"<img src=x onerror=alert(4)>\",\"value\":4}' recv | $wsraw 127.0.0.1 $port >/dev/null 2>&1" \
    node tests/browser/pages.js
rc=$?
kill "$spid" 2>/dev/null
wait "$spid" 2>/dev/null
spid=
stop
exit $rc
