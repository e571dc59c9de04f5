#!/usr/bin/env python3
"""examples.py: runs the examples of README.md and of the man pages (TAP).

usage: examples.py --top DIR --work DIR --readme-work DIR --demo-port P
                   --default-port Q [--first N] FILE...

The examples are found, not listed: every command line of a ```sh block of
a Markdown file, and of the EXAMPLES section of an mdoc page (.Dl lines and
.Bd -literal blocks; "$ " prompts dropped, \\e and the like unescaped, lines
ending in a backslash joined).  SKIP and SKIP_PREFIX hold the few that
cannot run in a test, each with its reason.

Each example runs with sh, build/ first on $PATH.  A Markdown file's run in
--readme-work, the directory of the demo after `make start` (its demo.db,
and shard1.db, shard2.db), with ANOMALY_URL at the demo; a man page's in
--work, which holds the files its examples name (./anomaly.db, cpu.csv,
...), with ANOMALY_URL at the server on ./anomaly.db (--default-port).
These rewrites are shown with each example:
  - 3000, the demo's port, becomes --demo-port;
  - an anomalyd listens on a free port of its own, in a directory of its own
    (the demo holds demo.db and ./anomaly.db is served): `-l ADDR:3000` is
    rewritten and `-l 127.0.0.1:PORT` added where no -l is given; the other
    commands of its block then talk to it (3000 and ANOMALY_URL);
  - 0.0.0.0 and * become 127.0.0.1, [::] becomes [::1] (tests listen on
    loopback only);
  - /var/... and /etc/... are taken under the example's directory;
  - anomaly-top runs with `-b --iterations 1` (one snapshot, no terminal).
An example passes when it exits 0 and prints something or writes a file
(or is quiet by -q); a server, when it answers /healthz and exits 0 on
SIGTERM.  The last lines: the plan, and how many examples ran and were
skipped.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

# example (its comment dropped) -> why it is not run
SKIP = {
    "make start": "the demo itself: this test runs "
                  "share/anomaly/demo/start.sh on a free port",
    "make test": "runs every test, this one too",
    "make": "tests/packaging/build.sh checks that plain make builds",
    "make && sudo make install": "as root: tests/packaging/install.sh "
                                 "installs into a DESTDIR",
    "sudo make uninstall": "as root: tests/packaging/install.sh uninstalls "
                           "from a DESTDIR",
}
# examples starting so -> why not run
SKIP_PREFIX = {
    "sudo ": "as root",
    "systemctl ": "needs systemd and root",
    "kill ": "signals processes found by name, maybe not the test's",
    "pkill ": "signals processes found by name, maybe not the test's",
    "killall ": "signals processes found by name, maybe not the test's",
}

# files of the work directory that an example's own directory links to
SHARED_FILES = ("build", "share", "cpu.csv", "AAPL.csv", "metrics.csv",
                "prices.csv")


def unescape_mdoc(s):
    """The text of an mdoc line as printed."""
    s = s.replace("\\e", "\x00").replace("\\-", "-").replace("\\&", "")
    s = s.replace("\\(aq", "'").replace("\\(dq", '"')
    return s.replace("\x00", "\\")


def blocks_markdown(path):
    """[(line, [(line, text)...])] of each ```sh block."""
    out, cur = [], None
    with open(path) as f:
        for no, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if cur is None and re.match(r"^```(sh|shell|console)\s*$", line):
                cur = []
            elif cur is not None and line.startswith("```"):
                out.append(cur)
                cur = None
            elif cur is not None:
                cur.append((no, line))
    return out


def blocks_mdoc(path):
    """The lines of each .Dl and .Bd -literal of the EXAMPLES section."""
    out, cur, inside = [], None, False
    with open(path) as f:
        for no, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if line.startswith(".Sh "):
                inside = line.split(None, 1)[1].strip() == "EXAMPLES"
                continue
            if not inside:
                continue
            if cur is not None:
                if line.startswith(".Ed"):
                    out.append(cur)
                    cur = None
                elif not line.startswith(".\\\""):
                    cur.append((no, unescape_mdoc(line)))
            elif line.startswith(".Bd") and "-literal" in line:
                cur = []
            elif line.startswith(".Dl "):
                out.append([(no, unescape_mdoc(line[4:]))])
    return out


def examples(block):
    """[(line, text)] of a block: prompts dropped, continuations joined,
    blank and comment lines left out."""
    out, acc, first = [], "", None
    for no, line in block:
        line = re.sub(r"^\s*\$ ", "", line)
        if first is None:
            first = no
        if line.endswith("\\"):
            acc += line[:-1] + " "
            continue
        acc += line
        text = re.sub(r"\s+", " ", acc).strip()
        if text and not text.startswith("#"):
            out.append((first, text))
        acc, first = "", None
    return out


def bare(text):
    """The example without its trailing comment."""
    return re.sub(r"\s+#.*$", "", text).strip()


def skip_reason(text):
    b = bare(text)
    if b in SKIP:
        return SKIP[b]
    for p, why in SKIP_PREFIX.items():
        if b.startswith(p):
            return why
    return None


def command(text):
    """The name of the program an example starts with."""
    w = bare(text).split()
    return os.path.basename(w[0]) if w else ""


CMD = r"(^|[|;&]\s*)((?:\S*/)?%s)(?=\s|$)"


def rewrite(text, port, cwd):
    """The example as run (see the module's comment)."""
    t = re.sub(r"\b0\.0\.0\.0:", "127.0.0.1:", text)
    t = re.sub(r"(?<=\s)(['\"]?)\*:(\d+)\1(?=\s|$)", r"127.0.0.1:\2", t)
    t = t.replace("[::]:", "[::1]:")
    t = re.sub(r"(?<![\w.])3000\b", str(port), t)
    t = re.sub(r"(?<![\w./-])/(var|etc)/", cwd + r"/\1/", t)
    if command(t) == "anomalyd" and not re.search(r"\s(-l|--listen)\b", t):
        t = re.sub(CMD % "anomalyd", r"\1\2 -l 127.0.0.1:%d" % port, t,
                   count=1)
    if not re.search(r"\s(-b|--batch)\b", t):
        t = re.sub(CMD % "anomaly-top", r"\1\2 -b --iterations 1", t)
    return t


def healthy(port, proc, deadline=10):
    end = time.time() + deadline
    while time.time() < end:
        if proc.poll() is not None:
            return False
        for host in ("127.0.0.1", "[::1]"):
            try:
                with urllib.request.urlopen("http://%s:%d/healthz" % (
                        host, port), timeout=1) as r:
                    if r.read().strip() == b"ok":
                        return True
            except OSError:
                pass
        time.sleep(0.05)
    return False


def snapshot(d):
    """{name: (mtime, size)} of the files of d."""
    out = {}
    for root, _, files in os.walk(d, followlinks=False):
        for f in files:
            p = os.path.join(root, f)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            out[p] = (st.st_mtime_ns, st.st_size)
    return out


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Tap:
    def __init__(self, first):
        self.n = first
        self.ran = self.skipped = self.failed = 0

    def line(self, good, desc, notes=(), skip=None):
        self.n += 1
        if skip is not None:
            self.skipped += 1
            print("ok %d - %s # SKIP %s" % (self.n, desc, skip))
            return
        self.ran += 1
        if not good:
            self.failed += 1
        print("%s %d - %s" % ("ok" if good else "not ok", self.n, desc))
        for s in notes:
            for l in s.splitlines():
                print("# " + l)
        sys.stdout.flush()


def show(label, s, lines):
    s = s.strip("\n").splitlines()
    more = " (%d lines)" % len(s) if len(s) > lines else ""
    return ["%s%s: %s" % (label, more if i == 0 else "", l[:100])
            for i, l in enumerate(s[:lines])]


def run_block(tap, where, block, a, env0, nblock):
    exs = examples(block)
    servers = any(command(t) == "anomalyd" and not skip_reason(t)
                  for _, t in exs)
    if servers:
        cwd = os.path.join(os.path.dirname(a.work), "b%d" % nblock)
        os.makedirs(os.path.join(cwd, "var/lib/anomaly"))
        os.makedirs(os.path.join(cwd, "etc"))
        shutil.copytree(os.path.join(a.work, "etc/anomaly"),
                        os.path.join(cwd, "etc/anomaly"))
        for f in SHARED_FILES:
            os.symlink(os.path.join(a.work, f), os.path.join(cwd, f))
        port = free_port()
    elif where.endswith(".md"):
        cwd, port = a.readme_work, a.demo_port
    else:
        cwd, port = a.work, a.demo_port
    env = dict(env0)
    env["ANOMALY_URL"] = "ws://127.0.0.1:%d/ws" % (
        a.default_port if cwd == a.work else port)
    running = []        # (proc, desc, notes)
    for no, text in exs:
        # TAP: a '#' in a description would start a directive
        desc = "%s:%d: %s" % (where, no, bare(text).replace("#", "\\#"))
        why = skip_reason(text)
        if not why and "../shared/" in text and \
                not os.path.isdir(os.path.join(cwd, "../shared")):
            why = "no shared folder (SHARED=DIR)"
        if why:
            tap.line(True, desc, skip=why)
            continue
        cmd = rewrite(text, port, cwd)
        notes = [] if cmd == text else ["ran: " + cmd]
        if command(text) == "anomalyd":
            cmd = re.sub(r"\s*&\s*$", "", cmd)
            log = open(os.path.join(cwd, "anomalyd.%d.log" % no), "w+")
            p = subprocess.Popen(["sh", "-c", "exec " + cmd], cwd=cwd,
                                 env=env, stdout=log, stderr=log)
            if healthy(port, p):
                running.append((p, desc, notes, log))
                continue
            p.kill()
            p.wait()
            log.seek(0)
            tap.line(False, desc, notes + ["it did not answer /healthz"] +
                     show("log", log.read(), 5))
            continue
        before = snapshot(cwd)
        try:
            r = subprocess.run(["sh", "-c", cmd], cwd=cwd, env=env,
                               stdin=subprocess.DEVNULL,
                               capture_output=True, text=True,
                               errors="replace", timeout=30)
            rc, so, se = r.returncode, r.stdout, r.stderr
        except subprocess.TimeoutExpired as e:
            rc, so, se = "timeout", e.stdout or "", e.stderr or ""
            so = so if isinstance(so, str) else so.decode(errors="replace")
            se = se if isinstance(se, str) else se.decode(errors="replace")
        after = snapshot(cwd)
        wrote = sorted(os.path.relpath(p, cwd) for p in after
                       if before.get(p) != after[p] and
                       "anomalyd." not in p and not p.endswith(
                           ("-wal", "-shm", ".lock", ".db")))
        quiet = re.search(r"\s(-q|--quiet)\b", cmd) is not None
        good = rc == 0 and (so.strip() != "" or wrote != [] or quiet)
        notes += ["exit %s" % rc] + show("out", so, 2) + show("err", se, 3)
        if wrote:
            notes.append("wrote: " + " ".join(wrote))
        tap.line(good, desc, notes)
    for p, desc, notes, log in running:
        p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = "none in 10 s"
        log.seek(0)
        tap.line(rc == 0, desc, notes + [
            "answered /healthz; exit %s on SIGTERM" % rc] +
            show("log", log.read(), 2))
        log.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--top", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--readme-work", required=True)
    ap.add_argument("--demo-port", type=int, required=True)
    ap.add_argument("--default-port", type=int, required=True)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    env = dict(os.environ)
    env.pop("ANOMALY_DB", None)
    env["PATH"] = os.path.join(a.top, "build") + os.pathsep + env["PATH"]
    tap = Tap(a.first)
    nblock = 0
    for f in a.files:
        bl = blocks_markdown(f) if f.endswith(".md") else blocks_mdoc(f)
        for b in bl:
            nblock += 1
            run_block(tap, f, b, a, env, nblock)
    print("1..%d" % tap.n)
    print("# examples: %d run (%d failed), %d skipped" %
          (tap.ran, tap.failed, tap.skipped))
    return 0


if __name__ == "__main__":
    sys.exit(main())
