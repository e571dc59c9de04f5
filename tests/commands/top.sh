#!/bin/sh
# top.sh: anomaly-top against a real database (TAP).  Starts build/anomalyd
# on a free port, stores two clients with build/anomaly-send, keeps a third
# streaming, then checks the options, -b snapshots against what sqlite3
# reads, and the full-screen monitor driven in tmux: the table, the detail
# view, Esc, resizes to 80x24 and 200x50, q.  Every wait is on the screen's
# content (or a file) with a deadline.  ANOMALYD, SEND and TOP name the
# binaries.
. tests/lib.sh
send=${SEND:-build/anomaly-send}
top=${TOP:-build/anomaly-top}
case $send in /*) ;; *) send=$PWD/$send ;; esac
case $top in /*) ;; *) top=$PWD/$top ;; esac
sock=$tmp/tmux.sock

top_cleanup() {
	tmux -S "$sock" kill-server 2>/dev/null
	cleanup
}
trap top_cleanup EXIT

echo "1..45"



# ugrep ARG...: grep in a UTF-8 locale (glyph classes).
ugrep() {
	LC_ALL=C.UTF-8 grep "$@"
}

# A braille glyph (U+2800..U+28FF) as UTF-8 bytes, for grep in the C locale.
braille=$(printf '\342[\240\241\242\243]')

# width: the widest line of the last capture, in columns.
width() {
	printf '%s\n' "$out" | LC_ALL=C.UTF-8 wc -L
}

# waitsize ROWS COLS: until the pane has been redrawn at that size: ROWS
# lines, the footer on the last, none wider than COLS.
waitsize() {
	i=0
	while [ $i -lt 200 ]; do
		out=$(screen)
		[ "$(printf '%s\n' "$out" | wc -l)" -eq "$1" ] &&
		    printf '%s\n' "$out" | sed -n "$1p" | grep -q 'Quit' &&
		    [ "$(width)" -le "$2" ] && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# screen: the tmux pane as text.
screen() {
	tmux -S "$sock" capture-pane -p -t top 2>/dev/null
}

# waitscreen EXTENDED-REGEX: until the pane shows it (10 s at most); the
# last capture is in $out.
waitscreen() {
	i=0
	while [ $i -lt 200 ]; do
		out=$(screen)
		printf '%s\n' "$out" | ugrep -Eq -- "$1" && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# waitgone EXTENDED-REGEX: until the pane no longer shows it.
waitgone() {
	i=0
	while [ $i -lt 200 ]; do
		out=$(screen)
		printf '%s\n' "$out" | ugrep -Eq -- "$1" || return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# tui ARG...: anomaly-top in a new tmux session of 100x30; its exit status
# goes to $tmp/rc.  A session "keep" keeps the server up between them (a
# server whose last session goes exits, racing the next new-session).
tui() {
	tmux -S "$sock" has-session -t keep 2>/dev/null ||
	    tmux -S "$sock" new-session -d -s keep "sleep 600"
	rm -f "$tmp/rc"
	tmux -S "$sock" kill-session -t top 2>/dev/null
	tmux -S "$sock" new-session -d -x 100 -y 30 -s top \
	    "env LANG=C.UTF-8 LC_ALL=C.UTF-8 $TUI_ENV '$top' -d '$db' $*;
	    echo \$? >'$tmp/rc'; sleep 60"
}

# keys KEY...: keys to the pane.
keys() {
	tmux -S "$sock" send-keys -t top "$@"
}

start
csv_series 500 >"$tmp/web01.csv"
csv_series 300 >"$tmp/db-primary.csv"
(cd "$tmp" && "$send" -q --no-log -u "ws://127.0.0.1:$port/ws" -w 100 \
    web01.csv db-primary.csv 2>"$tmp/err")
[ "$(sql "select count(*) from points")" = 800 ]
ok $? "setup: two clients stored"
csv_series 100000 >"$tmp/live.csv"
(cd "$tmp" && exec "$send" -q --no-log -u "ws://127.0.0.1:$port/ws" -w 100 \
    --rate 50 live.csv >/dev/null 2>&1) &
spid=$!
i=0
while [ $i -lt 100 ] && [ "$(sql "select count(*) from points
    where client_id = 'live'")" -lt 5 ]; do
	sleep 0.05
	i=$((i + 1))
done
[ $i -lt 100 ]
ok $? "setup: a third client streaming"

# --- options
out=$("$top" --help)
rc=$?
missing=
for o in -d --db -n --interval -c --client -b --batch --iterations -h \
    --help --version; do
	printf '%s\n' "$out" | grep -q -- "$o" || missing="$missing $o"
done
[ $rc -eq 0 ] && [ -z "$missing" ]
ok $? "--help: exit 0, every option named$missing"
man=man/anomaly-top.1
missing=
for o in $("$top" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	grep -q "Fl Fl ${o#--}" "$man" || missing="$missing $o"
done
for o in $("$top" --help | grep -o -- '^  -[a-z]' | sort -u); do
	grep -q "^\.It Fl ${o#*-} " "$man" || missing="$missing $o"
done
[ -z "$missing" ]
ok $? "the man page documents every option of --help$missing"
if command -v mandoc >/dev/null 2>&1; then
	out=$(mandoc -T lint -W warning "$man" 2>&1)
	[ -z "$out" ]
	ok $? "mandoc -T lint -W warning: clean"
else
	n=$((n + 1))
	echo "ok $n - mandoc -T lint # SKIP no mandoc"
fi
out=$("$top" --version)
[ $? -eq 0 ] && printf '%s\n' "$out" | grep -q '^anomaly-top '
ok $? "--version"
bad=
for args in "-x" "-n 0" "-n abc" "--iterations 2" "-b --iterations 0" \
    "-c bad/id" "extra" "-n" "--batch=1" "--bogus" "--i 2"; do
	"$top" -d "$db" $args </dev/null >/dev/null 2>"$tmp/err"
	rc=$?
	[ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
	    grep -q "^anomaly-top: .*(try 'anomaly-top --help')\$" "$tmp/err" &&
	    ! grep -q 'usage:' "$tmp/err" ||
	    bad="$bad [$args: $rc $(cat "$tmp/err")]"
done
[ -z "$bad" ]
ok $? "usage errors: exit 2, one line naming the problem and --help$bad"
bad=
for t in "-n abc|-n abc: seconds from 0.1" "--bogus|--bogus: no such option" \
    "-n|-n needs an argument" "--batch=1|--batch takes no argument" \
    "--i 2|--i: ambiguous"; do
	"$top" -d "$db" ${t%%|*} </dev/null >/dev/null 2>"$tmp/err"
	grep -q -- "${t#*|}" "$tmp/err" || bad="$bad [$(cat "$tmp/err")]"
done
[ -z "$bad" ]
ok $? "usage errors: each names its problem$bad"
"$top" -d "$db" </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && grep -q 'anomaly-top: not a terminal.*-b' "$tmp/err" &&
    [ ! -s "$tmp/out" ]
ok $? "no terminal and no -b: a clear error, exit 2"
"$top" -b -d "$tmp/none.db" >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -q 'none.db: no such database' "$tmp/err"
ok $? "a missing database: exit 1, named"
ANOMALY_DB=$db "$top" -b --iterations 1 >"$tmp/out" 2>"$tmp/err"
grep -q '^web01 ' "$tmp/out"
ok $? "\$ANOMALY_DB names the database"

# --- -b
out=$(LC_ALL=C "$top" -b --iterations 1 -d "$db" 2>"$tmp/err")
rc=$?
[ $rc -eq 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 5 ] &&
    printf '%s\n' "$out" | head -n 1 | grep -q "^anomaly-top .* clients 1/3 active .* db $db\$" &&
    printf '%s\n' "$out" | sed -n 2p | grep -q '^CLIENT  *STATE  *WINDOW  *POINTS  *ANOMALIES  *ALERTS  *ANOM%  *RATE/s  *LAST  *SEEN  *RECENT$'
ok $? "-b: a header, the titles and one line per client"
anoms=$(sql "select count(*) from points where client_id = 'web01' and anomaly = 1")
alerts=$(sql "select count(*) from points where client_id = 'web01' and alert = 1")
last=$(sql "select value from points where client_id = 'web01' order by n desc limit 1")
line=$(printf '%s\n' "$out" | grep '^web01 ')
set -- $line
[ "$2" = inactive ] && [ "$3" = 100 ] && [ "$4" = 500 ] &&
    [ "$5" = "$anoms" ] && [ "$6" = "$alerts" ] && [ "$alerts" -gt 0 ] &&
    [ "$7" = "$(awk -v a="$anoms" 'BEGIN { printf "%.2f%%", a / 5 }')" ] &&
    [ "$9" = "$(printf '%.6g' "$last")" ]
ok $? "-b: the counters of web01 as the database has them ($line)"
printf '%s\n' "$out" | sed -n '3,$p' | LC_ALL=C grep -q '[^ -~]'
[ $? -ne 0 ] && [ "$(printf '%s\n' "$line" | awk '{print length($NF)}')" -eq 20 ]
ok $? "-b: ASCII sparklines of 20 points outside UTF-8"
out=$(LC_ALL=C.UTF-8 "$top" -b --iterations 1 -d "$db" 2>"$tmp/err")
printf '%s\n' "$out" | grep '^web01 ' | ugrep -q '[▁▂▃▄▅▆▇█]'
ok $? "-b: block sparklines in UTF-8"
out=$("$top" -b --iterations 2 -n 0.5 -d "$db" 2>"$tmp/err")
rc=$?
[ $rc -eq 0 ] && [ "$(printf '%s\n' "$out" | grep -c '^anomaly-top ')" -eq 2 ] &&
    printf '%s\n' "$out" | grep '^live ' | tail -n 1 |
    awk '$8 + 0 > 10 && $8 + 0 < 100 { ok = 1 } END { exit !ok }'
ok $? "-b --iterations 2: two snapshots, the live client's rate measured"
out=$("$top" -b --iterations 1 -c web01 -d "$db" 2>"$tmp/err")
[ "$(printf '%s\n' "$out" | sed -n '3,$p')" = "$(printf '%s\n' "$out" | grep '^web01 ')" ] &&
    [ "$(printf '%s\n' "$out" | wc -l)" -eq 3 ]
ok $? "-b -c ID: that client only"
sqlite3 "$db" ".backup '$tmp/shard.db'"
out=$("$top" -b --iterations 1 -d "$db" -d "$tmp/shard.db" 2>"$tmp/err")
[ "$(printf '%s\n' "$out" | grep -c '^web01 ')" -eq 2 ] &&
    printf '%s\n' "$out" | grep -q '^web01  *1  *inactive ' &&
    printf '%s\n' "$out" | grep -q '^web01  *2  *inactive ' &&
    printf '%s\n' "$out" | sed -n 2p | grep -q '^CLIENT  *DB  *STATE ' &&
    printf '%s\n' "$out" | head -n 1 | grep -q "db $db $tmp/shard.db\$"
ok $? "-b with two -d: the union of both databases"
"$top" -b -n 0.1 -d "$db" 2>"$tmp/err" | head -n 3 >"$tmp/out"
[ "$(wc -l <"$tmp/out")" -eq 3 ]
ok $? "-b without --iterations runs until its reader goes"

# --- the monitor in tmux
tui
waitscreen '^live ' && waitscreen '2 inactive hidden' &&
    ! printf '%s\n' "$out" | grep -q '^web01'
ok $? "tmux 100x30: the active clients, the inactive ones hidden"
keys a
waitscreen 'web01' && waitscreen 'db-primary' && waitscreen 'live ' &&
    printf '%s\n' "$out" | grep -q '^anomaly-top  clients 1/3' &&
    printf '%s\n' "$out" | grep -q 'CLIENT .*POINTS .*RECENT'
ok $? "tmux 100x30: the table lists the clients"
printf '%s\n' "$out" | grep '^web01 ' | ugrep -q ' 500 .*[▁▂▃▄▅▆▇█]'
ok $? "tmux: web01's row has its points and a sparkline"
keys Down		# db-primary, live, web01: to web01
keys Down
keys Enter
waitscreen 'N TIMESTAMP' && printf '%s\n' "$out" | LC_ALL=C grep -q "$braille" &&
    printf '%s\n' "$out" | sed -n 3p | grep -q '^ web01  inactive  window 100'
ok $? "tmux: Enter opens the detail view with a chart"
printf '%s\n' "$out" | grep -q 'zscore' &&
    printf '%s\n' "$out" | grep -Eq '^ +[0-9]+ 16000[0-9]+ '
ok $? "tmux: the detail lists recent anomalies with their detectors"
keys Escape
waitgone 'N TIMESTAMP' && waitscreen 'CLIENT .*POINTS'
ok $? "tmux: Esc returns to the table"
tmux -S "$sock" resize-window -t top -x 80 -y 24
waitsize 24 80 && waitscreen 'web01' && waitsize 24 80 &&
    printf '%s\n' "$out" | sed -n 24p | grep -q 'Enter Open' &&
    printf '%s\n' "$out" | sed -n 3p | grep -q '^CLIENT'
ok $? "tmux: 80x24 keeps the layout"
keys Enter
waitscreen 'N TIMESTAMP' && waitsize 24 80 &&
    printf '%s\n' "$out" | LC_ALL=C grep -q "$braille" &&
    printf '%s\n' "$out" | sed -n 24p | grep -q 'Esc Back'
ok $? "tmux: the detail view at 80x24"
keys Escape
tmux -S "$sock" resize-window -t top -x 200 -y 50
waitsize 50 200 && waitscreen '^CLIENT' &&
    printf '%s\n' "$out" | sed -n 50p | grep -q 'Enter Open' &&
    [ "$(printf '%s\n' "$out" | grep '^web01 ' | ugrep -o '[▁▂▃▄▅▆▇█!]' | wc -l)" -gt 100 ]
ok $? "tmux: 200x50 keeps the layout, wider sparklines"
keys '?'
waitscreen 'anomaly-top keys'
ok $? "tmux: ? shows the help"
keys x
waitgone 'anomaly-top keys' && keys / && keys d b && waitscreen 'Filter: db_' &&
    waitgone '^web01 ' && keys Enter && waitscreen 'filter db'
ok $? "tmux: / filters the clients by id"
keys Escape
keys a
waitscreen '2 inactive hidden' && keys / && keys w e b && keys Enter &&
    waitscreen 'no active client matches "web" \(1 inactive: press a\)'
ok $? "tmux: a filter matching only hidden inactive clients says how many"
keys a
waitscreen '^web01 ' && keys Escape && waitgone 'filter web' &&
    waitscreen '^db-primary '
ok $? "tmux: a shows them"
printf '%s\n' "$out" | grep -q ' ANOM ALERTS ' &&
    [ "$(printf '%s\n' "$out" | grep '^web01 ' | awk '{ print $6 }')" = \
    "$(sql "select alerts from clients where client_id = 'web01'")" ]
ok $? "tmux 200x50: an ALERTS column with the clients' alert counts"
# The live client may store alerts meanwhile: the first row must be the
# newest alert received before A was pressed, or a later one.
t0=$(date +%s%3N)
keys A
waitscreen 'SEEN CLIENT +N TIMESTAMP +VALUE DETECTORS' &&
    waitscreen 'alerts of all clients, newest first'
st=$?
first=$(printf '%s\n' "$out" | sed -n 4p | awk '{ print $2 " " $3 }')
shown=$(printf '%s\n' "$out" | sed -n '4,49p' | grep -c '[a-z]')
before=$(sql "select count(*) from points where alert = 1 and received_ms < $t0")
all=$(sql "select count(*) from points where alert = 1")
[ $st -eq 0 ] && [ -n "$first" ] &&
    [ "$(sql "select count(*) from points p where alert = 1 and
    client_id || ' ' || n = '$first'")" -eq 1 ] &&
    [ "$(sql "select count(*) from points where alert = 1 and
    received_ms < $t0 and received_ms > (select received_ms from points
    where client_id || ' ' || n = '$first')")" -eq 0 ] &&
    [ "$shown" -ge "$(( before < 46 ? before : 46 ))" ] &&
    [ "$shown" -le "$all" ] &&
    printf '%s\n' "$out" | sed -n 4p | grep -Eq ' (spatial|novelty|zscore|iqr|ewma|ma|iforest|mzscore)'
ok $? "tmux: A lists the newest alerts of all clients, newest first ($first, $shown of $all)"
tmux -S "$sock" resize-window -t top -x 80 -y 24
waitsize 24 80 && waitscreen 'SEEN CLIENT' &&
    printf '%s\n' "$out" | sed -n 24p | grep -q 'Esc Back'
ok $? "tmux: the alerts view at 80x24"
# End: the oldest alert, web01's (stored before the others, and web01 no
# longer streams: its list of five fits at 80x24)
oldest=$(sql "select client_id || ' ' || n from points where alert = 1
    order by received_ms, n limit 1")
keys End
keys Enter
waitscreen "^ ${oldest% *}  " && waitscreen 'KIND +DETECTORS' &&
    printf '%s\n' "$out" | grep -Eq "^ +${oldest#* } .* ALERT [a-z]" &&
    printf '%s\n' "$out" | grep -Eq '^ +[0-9]+ .* anom  [a-z]'
ok $? "tmux: End, Enter open the oldest alert's client ($oldest): ALERT and anom rows"
keys Escape
waitscreen 'SEEN CLIENT' && keys Escape && waitscreen '^CLIENT '
ok $? "tmux: Esc back to the alerts, Esc back to the table"
keys q
waitfor "$tmp/rc" '^0$'
ok $? "tmux: q quits with exit 0"
tui -c web01
waitscreen '^ web01  inactive' && waitscreen 'N TIMESTAMP'
ok $? "tmux: -c ID opens on the client's detail view"
keys PPage
waitscreen 'up to n 318 \(End: live\)' && waitscreen 'n 137 .*n 318$'
ok $? "tmux: PgUp pans the chart back by its width"
keys End
waitgone 'End: live' && waitscreen 'n 500 live$'
ok $? "tmux: End goes back to the live end"
keys p
waitscreen ' PAUSED ' && keys p && waitgone ' PAUSED '
ok $? "tmux: p pauses and resumes"
keys q
waitfor "$tmp/rc" '^0$'
# dclick X Y: a double click at column X, row Y (from 0) as an xterm
# sends it: press and release twice, in one write.
dclick() {
	b=$(printf "\\$(printf %o $((33 + $1)))\\$(printf %o $((33 + $2)))")
	c="$(printf '\033[M ')$b$(printf '\033[M#')$b"
	keys -l "$c$c"
}
tui
keys a
waitscreen '^web01 ' && dclick 2 5 &&
    waitscreen '^ web01  inactive' && waitscreen 'N TIMESTAMP'
ok $? "tmux: a double click opens the client clicked"
keys q
waitfor "$tmp/rc" '^0$'
TUI_ENV=NO_COLOR=1 tui
waitscreen '^live ' &&
    ! tmux -S "$sock" capture-pane -e -p -t top | grep -q '\[[0-9;]*3[0-7]m\|\[[0-9;]*4[0-7]m\|\[[0-9;]*[34]8;'
ok $? "tmux: NO_COLOR: no colours on the screen"
keys A
waitscreen 'SEEN CLIENT' && tmux -S "$sock" capture-pane -e -p -t top >"$tmp/esc" &&
    ! grep -q '\[[0-9;]*3[0-7]m\|\[[0-9;]*4[0-7]m\|\[[0-9;]*[34]8;' "$tmp/esc" &&
    sed -n 5p "$tmp/esc" | grep -q '\[[0-9;]*7[0-9;]*m[a-z]'
ok $? "tmux: NO_COLOR: the alerts view, the detectors in reverse video"
keys q
