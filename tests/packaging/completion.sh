#!/bin/sh
# completion.sh: the shell completions of completions/ (TAP).  bash: the
# function is driven as bash would (COMP_WORDS, COMP_CWORD) and its
# COMPREPLY checked: options, detector lists, formats, and client ids read
# from a database made by anomalyd (by the anomaly-export beside the command
# typed, off $PATH); anomaly-send's -t/-v from the CSV file's header, each
# item of an --alert list; every option of each built command's --help is
# offered.  zsh: syntax, and its helpers (columns of a header, the
# anomaly-export beside the command); fish: syntax, and the same
# completions driven with `complete -C`.  Both: every long option of each
# --help is in the file.  ANOMALYD and SEND name binaries.
. tests/lib.sh
send=${SEND:-build/anomaly-send}
cmds="anomalyd anomaly-send anomaly-top anomaly-export"

echo "1..33"

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
out=$(comp anomalyd --alert m); is ma moves mzscore
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

# comp_at CWORD WORD...: as comp, the cursor on word CWORD; $PATH as given
# (anomaly-export is not on it).
comp_at() {
	bash -c '
. completions/anomaly.bash
COMP_CWORD=$1
shift
COMP_WORDS=("$@")
COMP_LINE="$*"
_anomaly
printf "%s\n" "${COMPREPLY[@]}" | sort' comp "$@"
}
csv=share/anomaly/demo/ACME.csv
out=$(comp_at 4 build/anomaly-top -d "$db" -c w); is web01 web02
ok $? "bash: build/anomaly-top -c: ids by build/anomaly-export, not on \$PATH"
out=$(comp_at 2 anomaly-send -v '' "$csv")
is 'Adj\ Close' Close Date High Low Open Volume
ok $? "bash: -v: the columns of the file after it, quoted"
out=$(comp anomaly-send "$csv" --time-column D); is Date
ok $? "bash: --time-column: a column of the file before it"
out=$(comp anomaly-send --no-header -w 5 "$csv" -t ''); is 1 2 3 4 5 6 7
ok $? "bash: -t with --no-header: the column numbers"
out=$(comp anomaly-send -t ''); [ -z "$out" ]
ok $? "bash: -t with no file on the line: nothing"
out=$(comp anomalyd --alert spatial,n); is spatial,novelty spatial,novelty_long
ok $? "bash: an --alert list, completed after its comma"

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
	out=$(zsh -c '. completions/_anomaly; _anomaly_header "$1"
	    _anomaly_header "$1" 1' zsh "$csv" | tr '\n' ' ')
	[ "$out" = "Date Open High Low Close Adj Close Volume 1 2 3 4 5 6 7 " ]
	ok $? "zsh: the columns of a CSV header, or their numbers"
	out=$(zsh -c '. completions/_anomaly; _anomaly_export build/anomaly-top
	    _anomaly_export anomaly-top' | tr '\n' ' ')
	[ "$out" = "build/anomaly-export anomaly-export " ]
	ok $? "zsh: the anomaly-export beside the command, else \$PATH's"
else
	for t in syntax columns anomaly-export; do
		echo "ok $((n = n + 1)) - zsh: $t # SKIP no zsh"
	done
fi
# zsh for real, in tmux: Tab after -v, after build/anomaly-top -c, and in an
# --alert list; anomaly-export is not on $PATH.
if command -v zsh >/dev/null 2>&1 && command -v tmux >/dev/null 2>&1; then
	sock=$tmp/tmux.sock
	trap 'tmux -S "$sock" kill-server 2>/dev/null; cleanup' EXIT
	mkdir "$tmp/zdot"
	{
		echo "fpath=($PWD/completions \$fpath)"
		echo "autoload -U compinit; compinit -u -D"
		echo "PS1='%% '"
	} >"$tmp/zdot/.zshrc"
	tmux -S "$sock" new-session -d -s z -x 150 -y 20 -c "$PWD" \
	    "ZDOTDIR=$tmp/zdot zsh -i"
	# ztab TEXT WANT: types TEXT, Tab; status 0 when the pane shows WANT
	ztab() {
		tmux -S "$sock" send-keys -t z C-u "$1" Tab
		i=0
		while [ $i -lt 100 ]; do
			tmux -S "$sock" capture-pane -p -t z >"$tmp/pane"
			grep -qF -- "$2" "$tmp/pane" && return 0
			sleep 0.05
			i=$((i + 1))
		done
		return 1
	}
	ztab "anomaly-send $csv -v Adj" "-v Adj\\ Close" &&
	    ztab "build/anomaly-top -d $db -c " "db01   web01  web02" &&
	    ztab "anomalyd --alert=spatial,nov" "--alert=spatial,novelty"
	rc=$?
	out=$(cat "$tmp/pane")
	ok $rc "zsh in tmux: -v columns, build/anomaly-top -c ids, --alert list"
	tmux -S "$sock" kill-server 2>/dev/null
else
	echo "ok $((n = n + 1)) - zsh in tmux # SKIP no zsh or no tmux"
fi
# fcomp FILE LINE: what fish completes at the end of LINE, FILE sourced.
fcomp() {
	fish -c 'source $argv[1]; complete -C $argv[2]' "$@" | cut -f1 | sort
}
if command -v fish >/dev/null 2>&1; then
	out=$(for f in completions/*.fish; do fish -n "$f" || echo "$f"; done 2>&1)
	[ -z "$out" ]
	ok $? "fish: every file parses"
	out=$(fcomp completions/anomaly-top.fish \
	    "build/anomaly-top -d $db -c w"); is web01 web02
	ok $? "fish: build/anomaly-top -c: ids by build/anomaly-export"
	out=$(fcomp completions/anomaly-send.fish "anomaly-send $csv -v A")
	is "Adj Close"
	ok $? "fish: -v: the columns of the file"
	out=$(fcomp completions/anomalyd.fish "anomalyd --alert spatial,nov")
	is spatial,novelty spatial,novelty_long
	ok $? "fish: an --alert list, completed after its comma"
else
	for t in syntax clients columns alert; do
		echo "ok $((n = n + 1)) - fish: $t # SKIP no fish"
	done
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
