#!/bin/sh
# refcheck.sh: our detectors' output on the golden streams, checked by the
# exact reference itself (../shared/tools/refdetect.py --check).  TAP.
vectors=${ANOMALY_VECTORS:-../shared/data/vectors}
ref=${ANOMALY_REFDETECT:-../shared/tools/refdetect.py}
tool=build/tests/tools/vectors
if [ ! -f "$vectors/gauss_W50.csv" ] || [ ! -f "$ref" ]; then
	echo "1..1"
	if [ -n "${CI:-}" ]; then
		echo "not ok 1 - golden vectors or refdetect.py missing ($vectors, $ref)"
	else
		echo "not ok 1 # SKIP golden vectors not found in $vectors"
	fi
	exit 0
fi
out=$(mktemp -d) || exit 1
trap 'rm -rf "$out"' EXIT
"$tool" "$out" "$vectors"/*_W*.csv || { echo "1..1"; echo "not ok 1 - $tool failed"; exit 1; }
python3 "$ref" --check "$out" >"$out/report" 2>&1
rc=$?
n=$(grep -c '\.csv' "$out/report")
echo "1..$((n + 1))"
i=0
grep '\.csv' "$out/report" | while read -r line; do
	i=$((i + 1))
	case "$line" in
	*": ok"*) echo "ok $i - refdetect: $line" ;;
	*) echo "not ok $i - refdetect: $line" ;;
	esac
done
if [ "$rc" -eq 0 ] && [ "$n" -ge 20 ]; then
	echo "ok $((n + 1)) - refdetect.py --check passes on $n files"
else
	echo "not ok $((n + 1)) - refdetect.py --check exit $rc on $n files"
	sed 's/^/# /' "$out/report"
fi
