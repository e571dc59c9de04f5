#!/usr/bin/env python3
"""hookrecv.py PORTFILE OUT: a webhook receiver on 127.0.0.1 for alerts.sh.

Listens on a free port (written to PORTFILE once listening; with
PORT=N in the environment, on that port), appends each POSTed body as
one line to OUT and answers 200 with an empty body.
"""
import http.server
import os
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode()
        with open(sys.argv[2], "a") as f:
            f.write(body.replace("\n", " ") + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


srv = http.server.HTTPServer(("127.0.0.1", int(os.environ.get("PORT", "0"))),
                             Handler)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
