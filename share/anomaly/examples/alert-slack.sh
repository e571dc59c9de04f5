#!/bin/sh
# alert-slack.sh: an anomalyd --on-alert command that POSTs each alert to a
# chat webhook in the Slack-compatible {"text": "..."} shape (Slack,
# Mattermost, Rocket.Chat, Discord's /slack endpoint), with curl(1):
#   SLACK_WEBHOOK_URL=https://hooks.slack.com/services/T0/B0/XXXX \
#       anomalyd --on-alert /usr/local/share/anomaly/examples/alert-slack.sh
# The alert comes in the environment only; python3 writes the JSON so that
# any text a client sent is escaped.
: "${SLACK_WEBHOOK_URL:?set SLACK_WEBHOOK_URL}"
python3 -c 'import json, os
e = os.environ
print(json.dumps({"text": ":rotating_light: anomaly alert: *%s* point %s "
    "(timestamp %s) value %s, by %s <%s>" % (e["ANOMALY_CLIENT_ID"],
    e["ANOMALY_N"], e["ANOMALY_TIMESTAMP"], e["ANOMALY_VALUE"],
    e["ANOMALY_DETECTORS"], e["ANOMALY_URL"])}))' |
    curl -sS -f --max-time 20 -H 'Content-Type: application/json' \
    --data-binary @- "$SLACK_WEBHOOK_URL" >/dev/null
