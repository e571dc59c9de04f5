# manyclients.py PORT NCLIENTS: pages through / and /api/clients by their
# links and checks /metrics; prints one line per check, "ok" or what went
# wrong, and the largest body in bytes.
import re, sys, urllib.request, html

port, ncl = int(sys.argv[1]), int(sys.argv[2])
base = "http://127.0.0.1:%d" % port
want = ["big"] + ["c%05d" % i for i in range(ncl)]
want.sort()


def get(path):
    with urllib.request.urlopen(base + path, timeout=10) as r:
        return r.read(), r.headers


# /api/clients, by its Link headers, 1000 a page
seen, path, biggest, pages = [], "/api/clients?limit=1000", 0, 0
while path is not None and pages < 1000:
    body, h = get(path)
    import json
    seen += [c["client_id"] for c in json.loads(body)]
    biggest = max(biggest, len(body))
    m = re.search(r'<([^>]*)>; rel="next"', h.get("Link") or "")
    path = m.group(1) if m else None
    pages += 1
print("api", "ok" if seen == want else "ids differ (%d seen)" % len(seen),
      biggest, pages)

# the default page: 100
body, h = get("/api/clients")
print("api-default", "ok" if len(json.loads(body)) == 100 else "not 100",
      len(body))

# back from the last page by rel="prev": the same ids, in reverse
back, path = [], "/api/clients?before=%s&limit=1000" % "zzzz"
while path is not None:
    body, h = get(path)
    back = [c["client_id"] for c in json.loads(body)] + back
    m = re.search(r'<([^>]*)>; rel="prev"', h.get("Link") or "")
    path = m.group(1) if m else None
print("api-back", "ok" if back == want else "ids differ (%d)" % len(back))

# / by its "next" links, 100 a page
seen, path, biggest, pages = [], "/", 0, 0
while path is not None and pages < 1000:
    body, h = get(path)
    text = body.decode()
    seen += [html.unescape(i) for i in
             re.findall(r'<tr><td data-label="client"><a href="/client/([^"]*)"',
                        text)]
    biggest = max(biggest, len(body))
    m = re.search(r'<a rel="next" id="clients-next" href="([^"]*)"', text)
    path = html.unescape(m.group(1)) if m else None
    pages += 1
print("index", "ok" if seen == want else "ids differ (%d seen)" % len(seen),
      biggest, pages)

body, h = get("/metrics")
text = body.decode()
m = re.search(r'anomalyd_clients\{state="inactive"\} (\d+)', text)
print("metrics", "ok" if m and int(m.group(1)) == ncl + 1 and
      "c00001" not in text else "wrong", len(body))
