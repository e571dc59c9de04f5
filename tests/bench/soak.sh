#!/bin/sh
# soak.sh: make soak (SPEC §8, issue 8): SOAK_CLIENTS (default 1000)
# protocol-2 clients stream to one anomalyd for SOAK_SECONDS (default 300)
# at SOAK_RATE points/s in all (default 20000; 0: as fast as they can),
# with --sync normal, after 1100 points each to warm them (full windows).
# anomalyd's RSS is sampled when they are warm, then every 10 s: the table
# gives it at the start of the timed part, at the end and the highest, so a
# leak shows as growth.  With SOAK_SAN=1 the server is
# build/san/anomalyd (ASan+UBSan, leak check at exit): any report of the
# sanitizers fails the soak.  Exits 1 when a client lost a verdict, got an
# error or was closed, when anomalyd died, or on a sanitizer report.
. tests/lib.sh
loadgen=${LOADGEN:-build/tests/tools/loadgen}
secs=${SOAK_SECONDS:-300}
clients=${SOAK_CLIENTS:-1000}
rate=${SOAK_RATE:-20000}
[ -n "$SOAK_SAN" ] && anomalyd=build/san/anomalyd
lpid=
trap 'cleanup; [ -n "$lpid" ] && kill "$lpid" 2>/dev/null' EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1

rss() {
	awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null
}

start
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
t=0
echo "0 $(rss)" >"$tmp/rss"
while kill -0 "$lpid" 2>/dev/null; do
	sleep 10
	t=$((t + 10))
	r=$(rss)
	[ -z "$r" ] && break
	echo "$t $r" >>"$tmp/rss"
done
wait "$lpid"
lst=$?
lpid=
out=$(grep -v '^measuring$' "$tmp/out")
alive=1
kill -0 "$pid" 2>/dev/null || alive=0
stop
fail=0
[ $lst -eq 0 ] && [ $alive -eq 1 ] || fail=1
if [ -n "$SOAK_SAN" ] && grep -q 'Sanitizer\|runtime error' "$tmp/log"; then
	fail=1
	grep -A 20 'Sanitizer\|runtime error' "$tmp/log" | head -n 40 >&2
fi
[ $lst -ne 0 ] && tail -n 5 "$tmp/lgerr" >&2

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
printf '%-40s %s\n' "result" "$([ $fail -eq 0 ] && echo ok || echo FAILED)"
exit $fail
