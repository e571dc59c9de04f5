#!/usr/bin/env python3
"""hookrecv.py PORTFILE OUT: a webhook receiver on 127.0.0.1 for alerts.sh.

Listens on a free port (written to PORTFILE once listening; with
PORT=N in the environment, on that port), appends each POSTed body as
one line to OUT and answers 200 with an empty body.  With CERT and KEY
(PEM files) in the environment it speaks https; with HANG_FIRST=1 it
reads the first request and never answers it (the others are answered).
"""
import http.server
import os
import ssl
import sys
import threading

first = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode()
        if os.environ.get("HANG_FIRST") and first.acquire(blocking=False):
            with open(sys.argv[2] + ".hung", "a") as f:
                f.write(body.replace("\n", " ") + "\n")
            threading.Event().wait()    # accepted, read, never answered
        with open(sys.argv[2], "a") as f:
            f.write(body.replace("\n", " ") + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


srv = http.server.ThreadingHTTPServer(
    ("127.0.0.1", int(os.environ.get("PORT", "0"))), Handler)
srv.daemon_threads = True
if os.environ.get("CERT"):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.environ["CERT"], os.environ["KEY"])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
