#!/bin/sh
# login.sh: the login page of --read-token-file in headless Chromium
# (issue 17 item 2): / shows the form, the form given the read token sets
# the cookie and leads to the index, whose script polls the API with it.
# Runs tests/browser/pages.js with LOGIN set.  Needs node and chromium.
. tests/lib.sh
shots=${SHOTS:-build/screenshots}

if ! command -v node >/dev/null 2>&1 ||
    ! command -v "${CHROMIUM:-chromium}" >/dev/null 2>&1; then
	echo "1..0 # SKIP node or chromium missing: make deps"
	exit 0
fi
mkdir -p "$shots"
printf '%s\n' 'br0wser/R34d' >"$tmp/read"
start --read-token-file "$tmp/read"
printf '%s\n' connect 'send {"client_id":"steady","window":10}' \
    'send {"timestamp":1,"value":1}' recv | ws >"$tmp/steady" 2>&1
BASE=http://127.0.0.1:$port SHOTS=$shots STEADY=steady LOGIN='br0wser/R34d' \
    PROFILE=$tmp/chromium node tests/browser/pages.js
rc=$?
stop
exit $rc
