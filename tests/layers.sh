#!/bin/sh
# layers.sh: the architecture of cmd/ and lib/ (TAP), one line per rule of
# tests/tools/layers.py: only lib/store.c speaks SQLite; curses only in
# cmd/anomaly-top/crt.c; nothing in lib/ includes from cmd/; the detectors
# do no I/O and read no clock; no include cycle among the modules of lib/
# or of a command.  A broken rule prints the offending FILE:LINE, or the
# cycle and why each of its edges exists.  Then each rule is broken on
# purpose, one violation each in a copy of cmd/ and lib/, and must fail
# there, naming the file put in: so every rule is seen to be able to fail.
# The rules in full: tests/README.md and the head of tests/tools/layers.py.
. tests/lib.sh
layers=tests/tools/layers.py
echo "1..10"

out=$(python3 "$layers" . sqlite)
ok $? "only lib/store.c calls sqlite3_ (cmd/, lib/)"
out=$(python3 "$layers" . curses)
ok $? "curses only in cmd/anomaly-top/crt.c"
out=$(python3 "$layers" . lib-cmd)
ok $? "nothing in lib/ includes from cmd/"
out=$(python3 "$layers" . detectors)
ok $? "the detectors do no I/O (snprintf, vsnprintf only) and read no clock"
out=$(python3 "$layers" . cycles)
ok $? "no include cycle in lib/ nor in a command"

# broken RULE PATTERN: fresh copy of cmd/ and lib/ in $tmp/t, edited by the
# shell commands on stdin; true when RULE fails there with PATTERN in its
# output (the violation put in, not one the tree already has).
broken() {
	rm -rf "$tmp/t" && mkdir "$tmp/t" && cp -R cmd lib "$tmp/t/" &&
	    (cd "$tmp/t" && sh -e) || return 1
	out=$(python3 "$layers" "$tmp/t" "$1")
	[ $? -eq 1 ] && printf '%s\n' "$out" | grep -q "$2"
}

broken sqlite 'cmd/anomaly-top/fmt.c:[0-9]*: sqlite3_exec' <<'EOF'
printf 'int probe(void *d) { return sqlite3_exec(d, "", 0, 0, 0); }\n' \
    >>cmd/anomaly-top/fmt.c
EOF
ok $? "breaking it: sqlite3_exec() in anomaly-top's fmt.c fails the rule"

broken curses 'cmd/anomaly-top/view.c:[0-9]*: curses call mvprintw' <<'EOF'
printf 'void probe(void) { mvprintw(0, 0, "x"); }\n' >>cmd/anomaly-top/view.c
EOF
ok $? "breaking it: mvprintw() in anomaly-top's view.c fails the rule"

broken lib-cmd 'lib/errmsg.c:[0-9]*: #include "model.h"' <<'EOF'
printf '#include "model.h"\n' >>lib/errmsg.c
EOF
ok $? "breaking it: lib/errmsg.c including cmd/'s model.h fails the rule"

broken detectors 'lib/detect_probe.c:3: clock: clock_gettime' <<'EOF'
printf '#include <time.h>\n#include "detect.h"\n%s\n' \
    'long probe(struct timespec *t) { return clock_gettime(0, t); }' \
    >lib/detect_probe.c
EOF
ok $? "breaking it: a new lib/detect_probe.c reading the clock fails the rule"

broken cycles 'lib: iforest -> ordstat -> iforest' <<'EOF'
printf '#include "iforest.h"\n' >>lib/ordstat.h
EOF
ok $? "breaking it: lib/ordstat.h including iforest.h is the cycle found"
