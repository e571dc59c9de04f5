#!/bin/sh
# alert-mail.sh: an anomalyd --on-alert command that mails each alert with
# sendmail(8) to $ANOMALY_MAIL_TO (default root):
#   ANOMALY_MAIL_TO=ops@example.org \
#       anomalyd --on-alert /usr/local/share/anomaly/examples/alert-mail.sh
# The alert comes in the environment only.  Header values are cut at the
# first line break so that a client's data cannot add headers.
to=${ANOMALY_MAIL_TO:-root}
sendmail=${SENDMAIL:-/usr/sbin/sendmail}
id=$(printf '%s' "$ANOMALY_CLIENT_ID" | head -n 1)
{
	printf 'To: %s\n' "$to"
	printf 'Subject: anomaly alert: %s at point %s\n' "$id" \
	    "$(printf '%s' "$ANOMALY_N" | head -n 1)"
	printf 'Content-Type: text/plain; charset=utf-8\n\n'
	printf 'client:    %s\n' "$ANOMALY_CLIENT_ID"
	printf 'point:     %s\n' "$ANOMALY_N"
	printf 'timestamp: %s\n' "$ANOMALY_TIMESTAMP"
	printf 'value:     %s\n' "$ANOMALY_VALUE"
	printf 'detectors: %s\n' "$ANOMALY_DETECTORS"
	printf '\n%s\n' "$ANOMALY_URL"
} | "$sendmail" -t -i
