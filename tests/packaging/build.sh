#!/bin/sh
# build.sh: plain `make` (TAP).  The Makefile's default goal is `all`,
# whatever rule comes first, and `make` with no target, run in a copy of the
# tree (its tracked files, node_modules linked so that npm is not run
# again), leaves the four programs in build/.  MAKE names make.
. tests/lib.sh
mk=${MAKE:-make}

echo "1..3"

# MAKEFLAGS of a `make check` around us would pass its options on.
goal=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$mk" -pnq 2>/dev/null |
    sed -n 's/^\.DEFAULT_GOAL := //p')
out="default goal: $goal"
[ "$goal" = all ]
ok $? "the default goal is all"

tree=$tmp/tree
mkdir "$tree" &&
if git rev-parse --git-dir >/dev/null 2>&1; then
	git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$tree"
else
	tar --exclude=./build --exclude=./node_modules -cf - . |
	    tar -xf - -C "$tree"
fi
[ -d node_modules ] && ln -s "$PWD/node_modules" "$tree/node_modules"
out=$(ls "$tree" 2>&1)
[ -f "$tree/Makefile" ] && [ ! -e "$tree/build" ]
ok $? "a copy of the tree, not built"

if [ ! -d node_modules ]; then
	echo "ok 3 - plain make builds the four programs # SKIP no node_modules (npm ci would run)"
	exit 0
fi
(cd "$tree" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL MAKEFLAGS=-j2 \
    "$mk") >"$tmp/out" 2>&1
rc=$?
missing=
for p in anomalyd anomaly-send anomaly-top anomaly-export; do
	[ -x "$tree/build/$p" ] || missing="$missing $p"
done
out="$(tail -n 5 "$tmp/out") missing:$missing"
[ "$rc" -eq 0 ] && [ -z "$missing" ]
ok $? "plain make (no target) builds the four programs in build/"
