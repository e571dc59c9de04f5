#!/bin/sh
# fuzz-replay.sh: every seed of the committed fuzz corpora
# (tests/fuzz/corpus/TARGET/) through its target, built by gcc with ASan
# and UBSan and a plain main() (tests/fuzz/replay.c), so that no clang is
# needed (TAP, one line per target).  FUZZ_REPLAY names the directory of
# the replay binaries.
bin=${FUZZ_REPLAY:-build/san/fuzz}
targets="proto csvin timefmt"
echo "1..3"
n=0
for t in $targets; do
	n=$((n + 1))
	seeds=$(ls tests/fuzz/corpus/$t/* 2>/dev/null | wc -l)
	out=$("$bin/replay_$t" tests/fuzz/corpus/$t/* 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && [ "$seeds" -gt 0 ] &&
	    [ "$(printf '%s\n' "$out" | grep -c '^ok ')" -eq "$seeds" ]; then
		echo "ok $n - fuzz_$t: $seeds seeds replayed under ASan and UBSan"
	else
		echo "not ok $n - fuzz_$t: exit $rc"
		printf '%s\n' "$out" | grep -v '^ok ' | tail -n 20 | sed 's/^/# /'
	fi
done
