#!/bin/sh
# soak.sh: make soak (SPEC §8, issue 8): SOAK_CLIENTS (default 1000)
# protocol-2 clients stream to one anomalyd for SOAK_SECONDS (default 300)
# at SOAK_RATE points/s in all (default 20000; 0: as fast as they can),
# with --sync normal, after 1100 points each to warm them (full windows).
# anomalyd's RSS is sampled when they are warm, then every 10 s: the table
# gives it at the start of the timed part, at the end and the highest, so a
# leak shows as growth.  With SOAK_SAN=1 the server is
# build/san/anomalyd (ASan+UBSan, leak check at exit): any report of the
# sanitizers fails the soak.  SOAK_OPTS: more options for anomalyd.
# With SOAK_HOSTILE=1 (make soak HOSTILE=1), build/tests/tools/siege runs
# beside the clients through the timed part (tests/README.md): the
# SOAK_HOSTILE_LOAD hostile connections, takeover attempts on its own paced
# stream and on client soak0, /healthz every 100 ms, and the table adds
# its figures: the stream's verdicts and latency, /healthz, RSS, takeovers,
# how the hostile connections ended (build/tests/tools/siege.c says what
# each figure is).
# Exits 1 when a client lost a verdict, got an error or was closed, when
# anomalyd died, or on a sanitizer report; in the hostile mode also when
# the stream lost a verdict or its p99 reached 50 ms, a /healthz probe
# failed (no "ok" within 1 s), a takeover succeeded, or RSS passed
# SOAK_MAX_MB (when set).
. tests/lib.sh
loadgen=${LOADGEN:-build/tests/tools/loadgen}
siege=${SIEGE:-build/tests/tools/siege}
secs=${SOAK_SECONDS:-300}
clients=${SOAK_CLIENTS:-1000}
rate=${SOAK_RATE:-20000}
hostile=${SOAK_HOSTILE:-}
hload=${SOAK_HOSTILE_LOAD:--H 200 -L 20 -U 200 -I 400 -F 100 -R 50 -K 8}
[ -n "$SOAK_SAN" ] && anomalyd=build/san/anomalyd
lpid=
hpid=
trap 'cleanup; [ -n "$lpid" ] && kill "$lpid" 2>/dev/null;
    [ -n "$hpid" ] && kill "$hpid" 2>/dev/null' EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1

rss() {
	awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null
}

# dbsize: bytes of the database file and of its WAL (with --retain or
# --retain-points in SOAK_OPTS, the file should level off)
dbsize() {
	echo "$(($(wc -c <"$db") + $(cat "$db-wal" 2>/dev/null | wc -c)))"
}

# shellcheck disable=SC2086
start $SOAK_OPTS
if [ -n "$hostile" ]; then
	# the client the large reads read: 100,000 points
	"$loadgen" -p "$port" -c 1 -i big -n 100000 -b 1000 -d 5000 -w 100 \
	    -q -T 120 >/dev/null 2>"$tmp/bigerr" ||
	    { echo "soak: could not store the large client" >&2; exit 1; }
fi
base=$(rss)
rarg=
[ "$rate" != 0 ] && rarg="-r $rate"
: >"$tmp/out"
# shellcheck disable=SC2086
"$loadgen" -p "$port" -i soak -c "$clients" -t "$secs" -b 20 -d 100 \
    -W 1100 $rarg -q -T $((secs + 900)) >"$tmp/out" 2>"$tmp/lgerr" &
lpid=$!
# The clients first send 1100 points each (full windows, grown trees); the
# first sample is taken when they are warm and the timed part starts.
i=0
while [ $i -lt 6000 ] && ! grep -q '^measuring$' "$tmp/out"; do
	kill -0 "$lpid" 2>/dev/null || break
	sleep 0.1
	i=$((i + 1))
done
if [ -n "$hostile" ] && kill -0 "$lpid" 2>/dev/null; then
	# shellcheck disable=SC2086
	"$siege" -p "$port" -P "$pid" -t "$secs" $hload -r big0 -x soak0 \
	    >"$tmp/siege" 2>"$tmp/siegeerr" &
	hpid=$!
fi
t=0
echo "0 $(rss)" >"$tmp/rss"
echo "0 $(dbsize)" >"$tmp/dbsz"
while kill -0 "$lpid" 2>/dev/null; do
	sleep 10
	t=$((t + 10))
	r=$(rss)
	[ -z "$r" ] && break
	echo "$t $r" >>"$tmp/rss"
	echo "$t $(dbsize)" >>"$tmp/dbsz"
done
wait "$lpid"
lst=$?
lpid=
hst=0
if [ -n "$hpid" ]; then
	wait "$hpid"
	hst=$?
	hpid=
fi
out=$(grep -v '^measuring$' "$tmp/out")
alive=1
kill -0 "$pid" 2>/dev/null || alive=0
pruned=$(http_get "http://127.0.0.1:$port/metrics" 2>/dev/null |
    sed -n 's/^anomalyd_\(points_pruned\|prune_failures\)_total //p' |
    tr '\n' ' ')
stop
fail=0
[ $lst -eq 0 ] && [ $alive -eq 1 ] || fail=1
if [ -n "$SOAK_SAN" ] && grep -q 'Sanitizer\|runtime error' "$tmp/log"; then
	fail=1
	grep -A 20 'Sanitizer\|runtime error' "$tmp/log" | head -n 40 >&2
fi
[ $lst -ne 0 ] && tail -n 5 "$tmp/lgerr" >&2
# fig KEY: siege's figure KEY (0 when it printed none)
fig() {
	v=$(sed -n "s/^$1 //p" "$tmp/siege" 2>/dev/null)
	echo "${v:-0}"
}
if [ -n "$hostile" ]; then
	if [ $hst -ne 0 ] || [ "$(fig verdicts_sent)" = 0 ] ||
	    [ "$(fig verdicts_sent)" != "$(fig verdicts_received)" ] ||
	    [ "$(fig healthz_failed)" != 0 ] ||
	    [ "$(fig takeovers_succeeded)" != 0 ] ||
	    [ "$(fig stream_replaced)" != 0 ] ||
	    awk -v p="$(fig latency_p99_ms)" -v r="$(fig rss_max_mb)" \
		-v m="${SOAK_MAX_MB:-0}" \
		'BEGIN { exit !(p >= 50 || (m > 0 && r > m)) }'; then
		fail=1
	fi
fi

first=$(head -n 1 "$tmp/rss")
last=$(tail -n 1 "$tmp/rss")
high=$(sort -k2 -n "$tmp/rss" | tail -n 1)
printf 'anomaly soak: %s cores, load average %s%s\n' "$(nproc)" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" "${SOAK_SAN:+, ASan+UBSan build}"
printf '%-40s %s\n' "clients, seconds, rate asked" \
    "$clients, $secs s, ${rate} points/s (0: unlimited)"
printf '%-40s %s\n' "loadgen" "$out"
printf '%-40s %s KiB\n' "anomalyd RSS before clients" "$base"
printf '%-40s %s KiB at %s s\n' "anomalyd RSS warm, timed part starts" \
    "${first#* }" "${first%% *}"
printf '%-40s %s KiB at %s s\n' "anomalyd RSS at the end" "${last#* }" \
    "${last%% *}"
printf '%-40s %s KiB at %s s\n' "anomalyd RSS highest" "${high#* }" \
    "${high%% *}"
printf '%-40s %s\n' "RSS samples (s KiB)" "$(tr '\n' ',' <"$tmp/rss")"
printf '%-40s %s\n' "anomalyd options" "${SOAK_OPTS:-(none)}"
mid=$(sed -n "$((($(wc -l <"$tmp/dbsz") + 1) / 2))p" "$tmp/dbsz")
printf '%-40s %s, %s, %s bytes at %s, %s, %s s\n' \
    "database + WAL at start, middle, end" "$(head -n 1 "$tmp/dbsz" |
    cut -d' ' -f2)" "${mid#* }" "$(tail -n 1 "$tmp/dbsz" | cut -d' ' -f2)" \
    0 "${mid%% *}" "$(tail -n 1 "$tmp/dbsz" | cut -d' ' -f1)"
printf '%-40s %s\n' "database samples (s bytes)" "$(tr '\n' ',' <"$tmp/dbsz")"
set -- $pruned
printf '%-40s %s points, %s failed steps\n' "pruned (--retain, --retain-points)" \
    "${1:-0}" "${2:-0}"
if [ -n "$hostile" ]; then
	printf '%-40s %s\n' "hostile load (siege)" "$hload"
	printf '%-40s %s of %s, p50 %s ms, p99 %s ms, max %s ms\n' \
	    "siege's stream: verdicts, latency" "$(fig verdicts_received)" \
	    "$(fig verdicts_sent)" "$(fig latency_p50_ms)" \
	    "$(fig latency_p99_ms)" "$(fig latency_max_ms)"
	printf '%-40s %s probes, %s failed, slowest %s ms\n' "/healthz" \
	    "$(fig healthz_probes)" "$(fig healthz_failed)" \
	    "$(fig healthz_max_ms)"
	printf '%-40s %s MB (sampled every 100 ms)\n' "anomalyd RSS highest" \
	    "$(fig rss_max_mb)"
	printf '%-40s %s of %s; stream replaced (4002) %s times\n' \
	    "takeovers succeeded" "$(fig takeovers_succeeded)" \
	    "$(fig takeovers_tried)" "$(fig stream_replaced)"
	printf '%-40s %s\n' "siege figures" "$(grep -v \
	    '^\(verdicts\|latency\|healthz\|rss\|takeovers\|stream_replaced\)' \
	    "$tmp/siege" |
	    tr ' \n' '=,')"
fi
printf '%-40s %s\n' "result" "$([ $fail -eq 0 ] && echo ok || echo FAILED)"
exit $fail
