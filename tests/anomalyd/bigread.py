# bigread.py PORT PID N PATH WANT: N concurrent GETs of PATH that wait
# until every one has its first bytes (so the server holds all N responses
# at once), then are read to the end; meanwhile another process probes
# /healthz every 100 ms.  Prints "growth_kb=G probes=P slow=S responses=R
# bad=B max_probe_ms=M": growth is anomalyd's VmHWM (peak RSS) over its
# VmRSS before, slow the probes that took over 1 s or failed, bad the
# responses that are not what WANT says: "points:L", a JSON array of L
# points n = 1..L, or "file:F", the bytes of file F.
import json, os, selectors, socket, sys, time

port, pid, n = (int(a) for a in sys.argv[1:4])
path, want = sys.argv[4], sys.argv[5]


def kb(field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def get(path, timeout):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               "Connection: close\r\n\r\n" % path).encode())
    return s


def prober(w):
    # a process of its own: the readers do not slow its clock
    worst, count, slow = 0.0, 0, 0
    while True:
        t0 = time.monotonic()
        try:
            s = get("/healthz", 1)
            data = b""
            while True:
                b = s.recv(4096)
                if not b:
                    break
                data += b
            s.close()
            ok = data.endswith(b"ok\n")
        except Exception:
            ok = False
        t = time.monotonic() - t0
        count += 1
        worst = max(worst, t)
        slow += not ok or t > 1.0
        if os.path.exists(stopfile):
            break
        time.sleep(0.1)
    os.write(w, ("%d %d %d" % (count, slow, int(worst * 1000))).encode())
    os._exit(0)


stopfile = "/tmp/bigread-stop.%d" % os.getpid()
before = kb("VmRSS")
r, w = os.pipe()
child = os.fork()
if child == 0:
    os.close(r)
    prober(w)
os.close(w)

socks = [get(path, 120) for i in range(n)]
bufs = [[s.recv(1)] for s in socks]		# every one has begun
sel = selectors.DefaultSelector()
for i, s in enumerate(socks):
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, i)
left = n
deadline = time.monotonic() + 120
while left > 0 and time.monotonic() < deadline:
    for key, _ in sel.select(timeout=1):
        i = key.data
        try:
            b = key.fileobj.recv(1 << 18)
        except BlockingIOError:
            continue
        if b:
            bufs[i].append(b)
        else:
            sel.unregister(key.fileobj)
            key.fileobj.close()
            left -= 1
open(stopfile, "w").close()
probe = os.read(r, 100).decode().split()
os.waitpid(child, 0)
os.unlink(stopfile)
peak = kb("VmHWM")

bodies = [b"".join(b).partition(b"\r\n\r\n")[2] for b in bufs]
bad = 0
kind, arg = want.split(":", 1)
if kind == "file":
    with open(arg, "rb") as f:
        good = bodies[0] == f.read()
else:
    limit = int(arg)
    try:
        a = json.loads(bodies[0])
        good = len(a) == limit and [p["n"] for p in a] == \
            list(range(1, limit + 1))
    except ValueError:
        good = False
for b in bodies:
    # the same points every time: one parse, then byte for byte
    if not good or b != bodies[0]:
        bad += 1
print("growth_kb=%d probes=%s slow=%s responses=%d bad=%d max_probe_ms=%s" %
      (peak - before, probe[0], probe[1], n, bad, probe[2]))
