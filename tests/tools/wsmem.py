#!/usr/bin/env python3
"""wsmem: peers that claim anomalyd's memory, for tests/reliability (issue 16).

usage: wsmem.py hellos PORT N WINDOW POINTS [PARAMS_JSON]
       wsmem.py frags PORT N BYTES
       wsmem.py batch PORT CLIENT WINDOW N CHUNK [PARAMS_JSON]

hellos: N connections one after the other, each with a protocol-2 hello
message of window WINDOW and PARAMS_JSON (default: every sizing parameter at
its bound); one that gets ready sends a batch of POINTS points, waits for
its reply and stays open; one closed by the server is counted by its close
code (1013 after the hello or the batch: refused).  Prints "accepted A refused R other O" (R: closed with 1013), then
"holding" and keeps the accepted connections open until stdin ends.

frags: N connections, each with a hello of window 4, then a fragmented
message of BYTES bytes that never gets its final fragment (a hello closed
by the server counts as closed).  Prints "sent",
then waits (60 s at most) until the server closed every one and prints
"closed C codes CODE:COUNT,... after S s".

batch: a protocol-2 client CLIENT sends N points (a fixed series with
spikes) in batches of CHUNK points, one batch at a time, and prints every
verdict of the replies, one JSON object a line: the same points in other
chunks must print the same lines.
"""
import base64
import json
import os
import select
import socket
import struct
import sys
import time

MAX = {"iforest.trees": 200, "iforest.sample": 512, "ma.m": 50,
       "novelty.protos": 512, "novelty.dim": 32, "novelty.average": 1000,
       "novelty.history": 10000, "novelty.learn": 10000}


def frame(payload, opcode=1, fin=True):
    b = bytearray([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        b.append(0x80 | n)
    elif n < 65536:
        b.append(0x80 | 126)
        b += struct.pack(">H", n)
    else:
        b.append(0x80 | 127)
        b += struct.pack(">Q", n)
    mask = os.urandom(4)
    b += mask
    # a zero mask keeps it cheap for big payloads
    if mask != b"\0\0\0\0":
        b[-4:] = b"\0\0\0\0"
    b += payload
    return bytes(b)


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
               % (port, key)).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            raise OSError("eof in handshake")
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    if b" 101 " not in head.split(b"\r\n")[0]:
        raise OSError("handshake: %r" % head.split(b"\r\n")[0])
    return s, rest


def recv_frame(s, rest):
    """One whole frame: (opcode, payload, rest)."""
    buf = rest
    while True:
        if len(buf) >= 2:
            n = buf[1] & 0x7f
            off = 2
            if n == 126 and len(buf) >= 4:
                n = struct.unpack(">H", buf[2:4])[0]
                off = 4
            elif n == 127 and len(buf) >= 10:
                n = struct.unpack(">Q", buf[2:10])[0]
                off = 10
            if n < 126 or off > 2:
                if len(buf) >= off + n:
                    return buf[0] & 0x0f, buf[off:off + n], buf[off + n:]
        d = s.recv(1 << 20)
        if not d:
            return None, b"", b""
        buf += d


def close_code(payload):
    return struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005


def hellos(port, n, window, points, params):
    held, acc, ref, other = [], 0, 0, 0
    batch = json.dumps([{"timestamp": i + 1, "value": (i * 7919 % 1000) / 7.0,
                         "seq": i + 1} for i in range(points)]).encode()
    for i in range(n):
        try:
            s, rest = connect(port)
            s.sendall(frame(json.dumps({"client_id": "hog%d" % i,
                                        "window": window, "version": 2,
                                        "params": params}).encode()))
            op, p, rest = recv_frame(s, rest)
            if op == 8:
                if close_code(p) == 1013:
                    ref += 1
                else:
                    other += 1
                    sys.stderr.write("wsmem: hello %d: closed %d %s\n" %
                                     (i, close_code(p), p[2:].decode()))
                s.close()
                continue
            if points > 0:
                s.sendall(frame(batch))
                op, p, rest = recv_frame(s, rest)
                if op == 8 and close_code(p) == 1013:
                    ref += 1
                    s.close()
                    continue
                if op != 1:
                    other += 1
                    sys.stderr.write("wsmem: batch %d: opcode %s %r\n" %
                                     (i, op, p[:80]))
                    s.close()
                    continue
            acc += 1
            held.append(s)
        except OSError as e:
            other += 1
            sys.stderr.write("wsmem: hello %d: %s\n" % (i, e))
    print("accepted %d refused %d other %d" % (acc, ref, other), flush=True)
    print("holding", flush=True)
    sys.stdin.read()
    for s in held:
        s.close()


def frags(port, n, size):
    socks, codes = [], {}
    chunk = b"[" + b" " * 65535
    for i in range(n):
        s, rest = connect(port)
        s.sendall(frame(json.dumps({"client_id": "frag%d" % i, "window": 4,
                                    "version": 2}).encode()))
        op, p, rest = recv_frame(s, rest)
        if op == 8:
            code = close_code(p)
            codes[code] = codes.get(code, 0) + 1
            s.close()
            continue
        if op != 1:
            print("hello %d: opcode %s" % (i, op))
            return 1
        sent, first = 0, True
        try:
            while sent < size:
                c = chunk[:min(len(chunk), size - sent)]
                s.sendall(frame(c, 1 if first else 0, False))
                first = False
                sent += len(c)
        except OSError:
            pass        # closed by the server: its close frame tells
        socks.append(s)
    print("sent", flush=True)
    t0 = time.time()
    left = {s: b"" for s in socks}
    while left and time.time() - t0 < 60:
        r, _, _ = select.select(list(left), [], [], 1)
        for s in r:
            try:
                d = s.recv(65536)
            except OSError:
                d = b""
            left[s] += d
            buf = left[s]
            code = None
            if not d:
                code = 1006
            elif len(buf) >= 4 and buf[0] & 0x0f == 8:
                code = close_code(buf[2:])
            if code is not None:
                codes[code] = codes.get(code, 0) + 1
                del left[s]
                s.close()
    print("closed %d codes %s after %.1f s" % (
        n - len(left), ",".join("%d:%d" % kv for kv in sorted(codes.items())),
        time.time() - t0), flush=True)
    return 0


def batch(port, client, window, n, chunk, params):
    s, rest = connect(port)
    s.sendall(frame(json.dumps({"client_id": client, "window": window,
                                "version": 2, "detail": True,
                                "params": params}).encode()))
    op, p, rest = recv_frame(s, rest)
    if op != 1 or b"ready" not in p:
        sys.stderr.write("wsmem: no ready: %s %r\n" % (op, p[:200]))
        return 1
    i = 0
    while i < n:
        pts = []
        for j in range(i, min(n, i + chunk)):
            v = 50 + 10 * ((j * 7919) % 13) / 13.0 + (300 if j % 97 == 0
                                                        else 0)
            pts.append({"timestamp": j + 1, "value": v, "seq": j + 1})
        s.sendall(frame(json.dumps(pts).encode()))
        op, p, rest = recv_frame(s, rest)
        if op != 1:
            sys.stderr.write("wsmem: batch at %d: %s %r\n" % (i, op, p[:200]))
            return 1
        for v in json.loads(p):
            print(json.dumps(v, sort_keys=True))
        i += len(pts)
    s.close()
    return 0


def main():
    a = sys.argv[1:]
    if len(a) >= 5 and a[0] == "hellos":
        params = json.loads(a[5]) if len(a) > 5 else MAX
        hellos(int(a[1]), int(a[2]), int(a[3]), int(a[4]), params)
        return 0
    if len(a) == 4 and a[0] == "frags":
        return frags(int(a[1]), int(a[2]), int(a[3]))
    if len(a) >= 6 and a[0] == "batch":
        params = json.loads(a[6]) if len(a) > 6 else MAX
        return batch(int(a[1]), a[2], int(a[3]), int(a[4]), int(a[5]),
                     params)
    sys.stderr.write(__doc__)
    return 2


sys.exit(main())
