#!/bin/sh
# alert-log.sh: an anomalyd --on-alert command that appends one line per
# alert to $ANOMALY_ALERT_LOG (default ./anomaly-alerts.log):
#   anomalyd --on-alert /usr/local/share/anomaly/examples/alert-log.sh
# The alert comes in the environment only; quoting every expansion keeps
# what a client sent (a timestamp is any string) from being run.
log=${ANOMALY_ALERT_LOG:-./anomaly-alerts.log}
printf '%s client=%s n=%s timestamp=%s value=%s detectors=%s %s\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$ANOMALY_CLIENT_ID" "$ANOMALY_N" \
    "$ANOMALY_TIMESTAMP" "$ANOMALY_VALUE" "$ANOMALY_DETECTORS" \
    "$ANOMALY_URL" >>"$log"
