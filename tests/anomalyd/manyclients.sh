#!/bin/sh
# manyclients.sh: 20,000 stored clients (issue 16, item 10), TAP.  / and
# /api/clients are pages of clients by id, bounded in size, whose links
# lead through every id exactly once (each way); /metrics does not grow
# with the number of clients and reads none of them per scrape: its totals
# are kept as the server commits, so a row written behind its back does
# not show, and they agree with the database after points and a deletion.
# Before, / was 8.5 MB and /api/clients 4.6 MB here, whole.
. tests/lib.sh

echo "1..7"

start
stop
python3 tests/anomalyd/gen.py "$db" big 2000 20000 || exit 1
start

out=$(python3 tests/anomalyd/manyclients.py "$port" 20000 2>&1)
line() { printf '%s\n' "$out" | grep "^$1 "; }
set -- $(line api)
[ "$2" = ok ] && [ "$3" -lt 400000 ]
ok $? "/api/clients?limit=1000: the Link rel=next pages hold every id once, in order, each page < 400 KB ($(line api))"
set -- $(line api-default)
[ "$2" = ok ] && [ "$3" -lt 40000 ]
ok $? "/api/clients: 100 clients by default, < 40 KB ($(line api-default))"
[ "$(line api-back)" = "api-back ok" ]
ok $? "the rel=prev links lead back through every id once"
set -- $(line index)
[ "$2" = ok ] && [ "$3" -lt 100000 ]
ok $? "/: the next links lead through every id once, each page < 100 KB ($(line index))"
set -- $(line metrics)
[ "$2" = ok ] && [ "$3" -lt 4096 ]
ok $? "/metrics: counts the 20,001 clients, names none, < 4 KB ($(line metrics))"

# a row behind the server's back: a scrape does not read the table
sql "INSERT INTO clients(client_id, window, settings, active, first_seen_ms, last_seen_ms, points, anomalies, alerts, last_alert_n, last_value, last_seq, peer) VALUES ('zz-behind', 10, '{}', 0, 1, 1, 5, 0, 0, NULL, NULL, 0, NULL)"
out=$(http_get "http://127.0.0.1:$port/metrics")
printf '%s\n' "$out" | grep -q '^anomalyd_clients{state="inactive"} 20001$' &&
    printf '%s\n' "$out" | grep -q '^anomalyd_points_total 2000$'
ok $? "/metrics reads no client: a row written behind its back does not show"
sql "DELETE FROM clients WHERE client_id = 'zz-behind'"

# the totals move with what the server does: points, a new client, a delete
csv_series 300 | build/anomaly-send -u "ws://127.0.0.1:$port/ws" -i fresh --no-log \
    -w 10 >/dev/null 2>>"$tmp/err"
curl -s -X DELETE "http://127.0.0.1:$port/api/clients/c00007" >/dev/null
out=$(http_get "http://127.0.0.1:$port/metrics")
want=$(sql "SELECT 'anomalyd_points_total ' || sum(points) || ' anomalyd_anomalies_total ' || sum(anomalies) || ' anomalyd_alerts_total ' || sum(alerts) || ' anomalyd_clients{state=\"active\"} ' || sum(active) || ' anomalyd_clients{state=\"inactive\"} ' || (count(*) - sum(active)) FROM clients")
got=$(printf '%s\n' "$out" | grep -E '^anomalyd_(points_total|anomalies_total|alerts_total|clients)' | tr '\n' ' ' | sed 's/ $//')
[ "$got" = "$want" ]
ok $? "after 300 points of a new client and a deletion the totals match the database ($got)"
stop
