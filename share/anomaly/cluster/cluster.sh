#!/bin/sh
# cluster.sh: SHARDS anomalyd shards behind one HAProxy (`make cluster`;
# anomaly(7) "SCALING").
#
# Shard K (0, 1, ...) listens on 127.0.0.1:$((SHARD_PORT + K)) with its own
# database $STATE/shard-K.db; HAProxy listens on $ADDR:$PORT (pages, JSON
# API, protocol-2 WebSockets routed by client_id), on $ADDR:$ORIG_PORT
# (original-protocol WebSockets, routed by source address) and on
# 127.0.0.1:$STATS_PORT (its stats page), with the configuration
# $STATE/haproxy.cfg written from haproxy.cfg.in beside this script.
# A shard that dies is started again (as systemd's Restart= would); its
# clients get 503 meanwhile and reconnect.  Runs until SIGINT (Ctrl-C),
# SIGTERM or SIGHUP: then it stops HAProxy and the shards, waits for each
# and exits 0.  If HAProxy dies, it stops the shards and exits 1.
#
#   cluster.sh                 run the cluster in the foreground
#   cluster.sh --print-config  write the HAProxy configuration on stdout
#                              (for an HAProxy of its own, with the shards
#                              of anomalyd@.service: SHARD_PORT=3010, ...)
#
# Environment: SHARDS (3), PORT (3000), ORIG_PORT (PORT + 1), STATS_PORT
# (PORT + 2), SHARD_PORT (PORT + 10), ADDR (127.0.0.1; * for every
# address), STATE (./cluster), ANOMALYD_OPTS (more options for each shard,
# e.g. "--token-file /etc/anomaly/token"), BIN (the directory of anomalyd:
# default beside this script, the bin/ of the installation or the build/ of
# the source tree, else $PATH), HAPROXY (haproxy), MAXCONN (HAProxy's connections
# in all: 100000, or what `ulimit -n` allows), PER_ADDR (1024: connections of one peer address).
set -u
here=$(cd "$(dirname "$0")" && pwd)
SHARDS=${SHARDS:-3}
PORT=${PORT:-3000}
ORIG_PORT=${ORIG_PORT:-$((PORT + 1))}
STATS_PORT=${STATS_PORT:-$((PORT + 2))}
SHARD_PORT=${SHARD_PORT:-$((PORT + 10))}
ADDR=${ADDR:-127.0.0.1}
STATE=${STATE:-./cluster}
ANOMALYD_OPTS=${ANOMALYD_OPTS:-}
HAPROXY=${HAPROXY:-haproxy}
# HAProxy needs two descriptors a connection
if [ -z "${MAXCONN:-}" ]; then
	MAXCONN=100000
	fds=$(ulimit -n)
	case $fds in
	''|*[!0-9]*) ;;
	*) [ $(((fds - 64) / 2)) -lt $MAXCONN ] && MAXCONN=$(((fds - 64) / 2)) ;;
	esac
fi
PER_ADDR=${PER_ADDR:-1024}
if [ -z "${BIN:-}" ]; then
	for d in "$here/../../../bin" "$here/../../../build" "@BINDIR@"; do
		if [ -x "$d/anomalyd" ]; then
			BIN=$(cd "$d" && pwd)
			break
		fi
	done
fi
bin=${BIN:+$BIN/}
www=$here/../www
hpid=
dpids=
tick=

say() {
	echo "cluster: $*"
}

die() {
	echo "cluster: $*" >&2
	exit 1
}

case $SHARDS in
''|*[!0-9]*|0) die "SHARDS=$SHARDS: a number of shards, 1 or more" ;;
esac
[ "$SHARDS" -le 64 ] || die "SHARDS=$SHARDS: 64 at most"

# config: the HAProxy configuration on stdout.  A line of the template
# holding @K@ is repeated for each shard.
config() {
	list=
	k=0
	while [ $k -lt "$SHARDS" ]; do
		list="$list${list:+ }$k"
		k=$((k + 1))
	done
	addr=$ADDR
	[ "$addr" = "*" ] && addr=
	awk -v n="$SHARDS" -v base="$SHARD_PORT" '
	/@K@/ {
		for (k = 0; k < n; k++) {
			l = $0
			gsub(/@K@/, k, l)
			gsub(/@SHARD_PORT@/, base + k, l)
			print l
		}
		next
	}
	{ print }' "$here/haproxy.cfg.in" | sed -e "s|@ADDR@|$addr|g" \
	    -e "s|@PORT@|$PORT|g" -e "s|@ORIG_PORT@|$ORIG_PORT|g" \
	    -e "s|@STATS_PORT@|$STATS_PORT|g" -e "s|@MAXCONN@|$MAXCONN|g" \
	    -e "s|@SHARD_MAXCONN@|$MAXCONN|g" -e "s|@PER_ADDR@|$PER_ADDR|g" \
	    -e "s|@SHARDS@|$SHARDS|g" -e "s|@SHARD_LIST@|$list|g" \
	    -e "s|@STATE@|$state_abs|g"
}

if [ "${1:-}" = --print-config ]; then
	state_abs=/run/haproxy
	config
	exit 0
elif [ $# -gt 0 ]; then
	echo "usage: cluster.sh [--print-config]" >&2
	exit 2
fi

command -v "${bin}anomalyd" >/dev/null 2>&1 ||
    die "${bin}anomalyd: not found (run make)"
command -v "$HAPROXY" >/dev/null 2>&1 ||
    die "$HAPROXY: not found (apt-get install haproxy)"
mkdir -p "$STATE" || die "cannot make $STATE"
state_abs=$(cd "$STATE" && pwd)

# get URL: the body on stdout; status 0 on a 2xx answer.
get() {
	if command -v curl >/dev/null 2>&1; then
		curl -sf --max-time 2 "$1"
	else
		python3 -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())' "$1"
	fi
}

# gone PID: waits up to 5 s for PID to end, then kills it; reaps it.
gone() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# stop_all: HAProxy first (no new connection reaches a shard), then the
# shards; waits for every one of them.
stop_all() {
	trap '' INT TERM HUP
	[ -n "$tick" ] && kill "$tick" 2>/dev/null
	if [ -n "$hpid" ]; then
		kill -TERM "$hpid" 2>/dev/null
		gone "$hpid"
	fi
	for p in $dpids; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $dpids; do
		gone "$p"
	done
	[ -n "$tick" ] && wait "$tick" 2>/dev/null
	hpid= dpids= tick=
	rm -f "$state_abs"/shard-*.pid "$state_abs/haproxy.pid"
}

trap 'echo; stop_all; say stopped; exit 0' INT
trap 'stop_all; say stopped; exit 0' TERM HUP

# Every port must be free: a clear message rather than a bind error.
ports="$PORT $ORIG_PORT $STATS_PORT"
k=0
while [ $k -lt "$SHARDS" ]; do
	ports="$ports $((SHARD_PORT + k))"
	k=$((k + 1))
done
python3 -c 'import socket, sys
for p in sys.argv[1:]:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", int(p)))
    except OSError as e:
        sys.exit("cluster: port %s is in use (%s): stop what listens '\
'there, or choose other ports (PORT=N, SHARD_PORT=N)" % (p, e.strerror))
    s.close()' $ports || exit 1

config >"$state_abs/haproxy.cfg" || die "cannot write $state_abs/haproxy.cfg"
out=$("$HAPROXY" -c -q -f "$state_abs/haproxy.cfg" 2>&1) ||
    die "$state_abs/haproxy.cfg: $out"

# shard K: starts shard K, its pid in $spid and $STATE/shard-K.pid.
shard() {
	# shellcheck disable=SC2086 # ANOMALYD_OPTS: several words
	"${bin}anomalyd" -l "127.0.0.1:$((SHARD_PORT + $1))" \
	    -d "$state_abs/shard-$1.db" --www "$www" --max-per-addr "$MAXCONN" \
	    $ANOMALYD_OPTS 2>>"$state_abs/shard-$1.log" &
	spid=$!
	echo "$spid" >"$state_abs/shard-$1.pid"
}

# up K: until shard K answers /healthz (10 s at most).
up() {
	i=0
	until [ "$(get "http://127.0.0.1:$((SHARD_PORT + $1))/healthz" \
	    2>/dev/null)" = ok ]; do
		[ $i -lt 200 ] || return 1
		sleep 0.05
		i=$((i + 1))
	done
}

k=0
while [ $k -lt "$SHARDS" ]; do
	shard $k
	dpids="$dpids $spid"
	k=$((k + 1))
done
k=0
while [ $k -lt "$SHARDS" ]; do
	up $k || { stop_all; die "shard $k did not start (see $state_abs/shard-$k.log)"; }
	k=$((k + 1))
done

"$HAPROXY" -db -f "$state_abs/haproxy.cfg" 2>>"$state_abs/haproxy.log" &
hpid=$!
echo "$hpid" >"$state_abs/haproxy.pid"
i=0
until [ "$(get "http://127.0.0.1:$PORT/healthz" 2>/dev/null)" = ok ]; do
	kill -0 "$hpid" 2>/dev/null || { hpid=; stop_all; die "haproxy did not start (see $state_abs/haproxy.log)"; }
	[ $i -lt 200 ] || { stop_all; die "haproxy did not answer in 10 s"; }
	sleep 0.05
	i=$((i + 1))
done

host=$ADDR
[ "$host" = "*" ] && host=127.0.0.1
say "$SHARDS shards on 127.0.0.1:$SHARD_PORT-$((SHARD_PORT + SHARDS - 1)), databases $state_abs/shard-K.db"
say "pages and protocol 2: http://$host:$PORT/ (ws://$host:$PORT/ws?client_id=ID)"
say "original protocol: ws://$host:$ORIG_PORT/ws"
say "HAProxy stats: http://127.0.0.1:$STATS_PORT/"
say "watch it in a terminal: ${bin}anomaly-top -u http://$host:$PORT/"
say "Ctrl-C stops it all"

# Wait for a signal; start a shard that died again; end if HAProxy dies.
while kill -0 "$hpid" 2>/dev/null; do
	k=0
	live=
	for p in $dpids; do
		if ! kill -0 "$p" 2>/dev/null; then
			wait "$p" 2>/dev/null
			say "shard $k (pid $p) died with status $?: starting it again"
			shard $k
			p=$spid
			if up $k; then
				say "shard $k is back (pid $p)"
			else
				say "shard $k did not start again (see $state_abs/shard-$k.log)"
			fi
		fi
		live="$live $p"
		k=$((k + 1))
	done
	dpids=$live
	sleep 0.2 &
	tick=$!
	wait "$tick"
	tick=
done
wait "$hpid"
hpid=
stop_all
die "haproxy stopped; the cluster ended"
