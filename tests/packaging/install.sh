#!/bin/sh
# install.sh: `make install` and `make uninstall` into a temporary DESTDIR
# (TAP): the programs, the man pages by section, the completions, the whole
# share/anomaly tree and the systemd unit with its paths written in; the
# installed anomalyd serves the installed assets; the installed demo runs
# with the installed programs off $PATH; uninstall leaves no file.
. tests/lib.sh
root=$tmp/root
prefix=/usr/local
mk() {
	${MAKE:-make} --no-print-directory -s "$@" >"$tmp/out" 2>&1
}

echo "1..13"

mk install DESTDIR="$root" PREFIX=$prefix
rc=$?
out=$(cat "$tmp/out")
ok $rc "make install DESTDIR=... PREFIX=$prefix"

# every program of the Makefile's INSTALL_PROGRAMS, at least these three
programs=$(${MAKE:-make} -s --no-print-directory \
    --eval='print-programs: ; @echo $(INSTALL_PROGRAMS)' print-programs)
missing=
for p in anomalyd anomaly-send anomaly-export $programs; do
	[ -x "$root$prefix/bin/${p##*/}" ] || missing="$missing bin/${p##*/}"
done
for p in man/*.[1-8]; do
	s=${p##*.}
	cmp -s "$p" "$root$prefix/share/man/man$s/${p#man/}" ||
	    missing="$missing $p"
done
out="missing:$missing"
[ -z "$missing" ]
ok $? "programs in bin/, every man page in its section"

missing=
for c in anomalyd anomaly-send anomaly-top anomaly-export; do
	cmp -s completions/anomaly.bash \
	    "$root$prefix/share/bash-completion/completions/$c" ||
	    missing="$missing bash:$c"
	cmp -s "completions/$c.fish" \
	    "$root$prefix/share/fish/vendor_completions.d/$c.fish" ||
	    missing="$missing fish:$c"
done
cmp -s completions/_anomaly "$root$prefix/share/zsh/site-functions/_anomaly" ||
    missing="$missing zsh"
out="missing:$missing"
[ -z "$missing" ]
ok $? "completions for bash (one per command), zsh and fish"

missing=
for f in $(cd share/anomaly && find . -type f ! -name anomalyd.service \
    ! -path ./demo/start.sh ! -path './cluster/anomalyd@.service' \
    ! -path ./cluster/cluster.sh); do
	cmp -s "share/anomaly/$f" "$root$prefix/share/anomaly/$f" ||
	    missing="$missing $f"
	if [ -x "share/anomaly/$f" ] && [ ! -x "$root$prefix/share/anomaly/$f" ]
	then
		missing="$missing $f(mode)"
	fi
done
out="missing:$missing"
[ -z "$missing" ] && [ -f "$root$prefix/share/anomaly/www/style.css" ] &&
    [ -f "$root$prefix/share/anomaly/demo/ACME.csv" ]
ok $? "the whole share/anomaly tree: web assets and demo data"

unit=$root$prefix/share/anomaly/anomalyd.service
out=$(cat "$unit" 2>&1)
! grep -q @ "$unit" &&
    grep -q "^ExecStart=$prefix/bin/anomalyd .*--www $prefix/share/anomaly/www" \
    "$unit" && grep -q '^WantedBy=multi-user.target' "$unit"
ok $? "the systemd unit, with the installed paths"
if command -v systemd-analyze >/dev/null 2>&1 && [ -d /run/systemd/system ]
then
	sed "s|$prefix|$root$prefix|g" "$unit" >"$tmp/anomalyd.service"
	out=$(systemd-analyze verify "$tmp/anomalyd.service" 2>&1)
	ok $? "systemd-analyze verify accepts the unit"
else
	echo "ok $((n = n + 1)) - systemd-analyze verify # SKIP no systemd"
fi

# the cluster (anomaly(7) SCALING): the shards' template unit and the
# script, with the installed paths; the script writes a configuration
# HAProxy accepts
tunit=$root$prefix/share/anomaly/cluster/anomalyd@.service
cscript=$root$prefix/share/anomaly/cluster/cluster.sh
out=$(grep -n '@BINDIR@\|@DATADIR@\|ExecStart' "$tunit" "$cscript" 2>&1)
! grep -q '@BINDIR@\|@DATADIR@' "$tunit" "$cscript" &&
    grep -q "^ExecStart=$prefix/bin/anomalyd -l 127.0.0.1:%i .*--www $prefix/share/anomaly/www" \
    "$tunit" && grep -q "\"$prefix/bin\"" "$cscript" && [ -x "$cscript" ] &&
    [ -f "$root$prefix/share/anomaly/cluster/haproxy.cfg.in" ]
rc=$?
if [ $rc -eq 0 ] && command -v haproxy >/dev/null 2>&1; then
	SHARDS=2 sh "$cscript" --print-config >"$tmp/haproxy.cfg" &&
	    out=$(haproxy -c -f "$tmp/haproxy.cfg" 2>&1)
	rc=$?
fi
if [ $rc -eq 0 ] && command -v systemd-analyze >/dev/null 2>&1 &&
    [ -d /run/systemd/system ]; then
	sed "s|$prefix|$root$prefix|g" "$tunit" >"$tmp/anomalyd@3010.service"
	out=$(systemd-analyze verify "$tmp/anomalyd@3010.service" 2>&1)
	rc=$?
fi
ok $rc "the cluster: the shards' unit anomalyd@.service and cluster.sh, with the installed paths"

out=$("$root$prefix/bin/anomaly-export" --version 2>&1)
ok $? "the installed anomaly-export runs"

anomalyd=$root$prefix/bin/anomalyd
start --www "$root$prefix/share/anomaly/www"
out=$(http_get "http://127.0.0.1:$port/static/style.css")
[ "$out" = "$(cat share/anomaly/www/style.css)" ]
ok $? "the installed anomalyd serves the installed assets"
stop

# The demo finds the installed programs beside it, with $PATH not
# holding them (the bin directory written in at install is /usr/local/bin,
# not under DESTDIR).
demo=$root$prefix/share/anomaly/demo/start.sh
out=$(grep -n 'BINDIR\|for d in' "$demo")
! grep -q @BINDIR@ "$demo" && grep -q "\"$prefix/bin\"" "$demo"
ok $? "the demo's start.sh has the bin directory written in"
port=$(free_port)
PATH=/usr/bin:/bin PORT=$port DB=$tmp/demo.db sh "$demo" >"$tmp/out" \
    2>"$tmp/err" &
dpid=$!
spid=$dpid
waitfor "$tmp/out" "Ctrl-C stops it all"
up=$?
health=$(http_get "http://127.0.0.1:$port/healthz" 2>/dev/null)
kill -TERM "$dpid" 2>/dev/null
wait "$dpid"
rc=$?
spid=
out=$(cat "$tmp/out" "$tmp/err")
[ "$up" -eq 0 ] && [ "$health" = ok ] && [ "$rc" -eq 0 ] &&
    grep -q "anomaly-top -d $tmp/demo.db" "$tmp/out" &&
    grep -q "$root$prefix/bin/anomaly-top" "$tmp/out"
ok $? "the installed demo runs the installed programs, off \$PATH"

mk uninstall DESTDIR="$root" PREFIX=$prefix
rc=$?
left=$(find "$root" -type f)
out="$(cat "$tmp/out") left: $left"
[ "$rc" -eq 0 ] && [ -z "$left" ]
ok $? "make uninstall removes every installed file"

mk install DESTDIR="$root" PREFIX=/opt/anomaly &&
    grep -q '^ExecStart=/opt/anomaly/bin/anomalyd ' \
    "$root/opt/anomaly/share/anomaly/anomalyd.service" &&
    [ -x "$root/opt/anomaly/bin/anomalyd" ]
ok $? "another PREFIX"
