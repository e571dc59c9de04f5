#!/bin/sh
# completion.sh: the shell completions of completions/ (TAP).  bash: the
# function is driven as bash would (COMP_WORDS, COMP_CWORD) and its
# COMPREPLY checked: options, detector lists, formats, and client ids read
# from a database made by anomalyd; every option of each built command's
# --help is offered.  zsh and fish: syntax, when installed, and every long
# option of each --help is in the file.  ANOMALYD and SEND name binaries.
. tests/lib.sh
send=${SEND:-build/anomaly-send}
cmds="anomalyd anomaly-send anomaly-top anomaly-export"

echo "1..21"

if ! command -v bash >/dev/null 2>&1; then
	echo "Bail out! no bash"
	exit 1
fi

# A database with three clients.
start
for id in web01 web02 db01; do
	printf 'timestamp,value\n1,1\n2,2\n' |
	    "$send" -q --no-log -u "ws://127.0.0.1:$port/ws" -i "$id" -w 4 \
	    2>>"$tmp/err"
done
stop

# comp WORD...: the completions bash offers for the last WORD (may be ''),
# sorted, one a line; client ids come from build/anomaly-export.
comp() {
	PATH=$PWD/build:$PATH bash -c '
. completions/anomaly.bash
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE="$*"
_anomaly
printf "%s\n" "${COMPREPLY[@]}" | sort' comp "$@"
}

# is WANT: $out (lines) equals WANT (words)
is() {
	[ "$out" = "$(printf '%s\n' "$@")" ]
}

out=$(comp anomaly-export --anom); is --anomalies-only
ok $? "bash: a partial long option"
out=$(comp anomaly-send --re); is --realtime --resume --retries
ok $? "bash: a partial option with several matches"
out=$(comp anomaly-export -d "$db" -c we); is web01 web02
ok $? "bash: a partial client id, from the -d database"
out=$(comp anomaly-export --db="$db" --client ''); is db01 web01 web02
ok $? "bash: every client id after --client, with --db="
out=$(ANOMALY_DB=$db comp anomaly-top -c d); is db01
ok $? "bash: client ids from \$ANOMALY_DB"
out=$(comp anomalyd -p novelty.h); is novelty.history= novelty.holdoff=
ok $? "bash: parameter names after -p, each with its ="
top=$PWD
out=$(cd "$tmp" && cp "$db" anomaly.db && PATH=$top/build:$PATH bash -c '
. "$0"
COMP_WORDS=(anomaly-send -i w); COMP_CWORD=2; _anomaly
printf "%s\n" "${COMPREPLY[@]}" | sort' "$top/completions/anomaly.bash")
is web01 web02
ok $? "bash: anomaly-send -i from ./anomaly.db"
out=$(comp anomaly-export -d "$tmp/none.db" -c ''); [ -z "$out" ]
ok $? "bash: no database, no client ids and no error"
out=$(comp anomalyd --detectors zscore,i); is zscore,iforest zscore,iqr
ok $? "bash: a detector list, completed after its comma"
out=$(comp anomalyd --alert m); is ma mzscore
ok $? "bash: an alert source"
out=$(comp anomalyd --sync ''); is full normal
ok $? "bash: --sync levels"
out=$(comp anomaly-export -f ''); is csv json ndjson
ok $? "bash: formats"
out=$(comp anomaly-export --format=nd); is ndjson
ok $? "bash: --format=VALUE"
mkdir "$tmp/d" && touch "$tmp/d/a.csv" "$tmp/d/b.txt"
out=$(comp anomaly-send "$tmp/d/"); is "$tmp/d/a.csv"
ok $? "bash: anomaly-send completes CSV files"

# every option of each built command's --help is offered for '-'
for c in $cmds; do
	if [ ! -x "build/$c" ]; then
		n=$((n + 1))
		echo "ok $n - bash: options of $c # SKIP build/$c not built"
		continue
	fi
	"build/$c" --help 2>&1 | python3 -c 'import re, sys
print("\n".join(sorted(set(m.group(2) for m in re.finditer(
    r"(^|[\s\[|,(])(--?[A-Za-z][A-Za-z0-9-]*)", sys.stdin.read())))))' \
	    >"$tmp/help"
	comp "$c" - >"$tmp/comp"
	out=$(comm -23 "$tmp/help" "$tmp/comp")
	[ -z "$out" ] && [ -s "$tmp/help" ]
	ok $? "bash: every option of $c --help is completed"
done

# zsh and fish: syntax, and every long option of --help is in the file
longs() {
	"build/$1" --help 2>&1 | grep -o -- '--[a-z][a-z-]*' | sort -u
}
if command -v zsh >/dev/null 2>&1; then
	out=$(zsh -n completions/_anomaly 2>&1)
	ok $? "zsh: completions/_anomaly parses"
else
	echo "ok $((n = n + 1)) - zsh: syntax # SKIP no zsh"
fi
if command -v fish >/dev/null 2>&1; then
	out=$(for f in completions/*.fish; do fish -n "$f" || echo "$f"; done 2>&1)
	[ -z "$out" ]
	ok $? "fish: every file parses"
else
	echo "ok $((n = n + 1)) - fish: syntax # SKIP no fish"
fi
out=
for c in $cmds; do
	[ -x "build/$c" ] || continue
	for o in $(longs "$c"); do
		grep -Eq -- "$o([]=+'}[]|\$)" completions/_anomaly ||
		    out="$out zsh:$c:$o"
		grep -q -- "-l ${o#--}\\b" "completions/$c.fish" ||
		    out="$out fish:$c:$o"
	done
done
[ -z "$out" ]
ok $? "zsh and fish: every long option of each built command"
