#!/usr/bin/env python3
"""prices-check.py: the alert stream on daily closes, as the issue's price
bars read it: alerts per 1,000 trading days, and in how many series a
crash (the dates in DIR/crash.txt: first last) was alerted.

usage: prices-check.py NAB DIR [NAB-OPTION]...
NAB is build/tests/tools/nab (it streams each DIR/*.csv through the library,
window 50 unless an option says otherwise); DIR holds the series, e.g. what
tests/tools/prices-synth.py writes.  Prints one line per series and a total.
"""
import csv
import glob
import os
import subprocess
import sys
import tempfile


def main():
    nab, data = sys.argv[1], sys.argv[2]
    opts = sys.argv[3:] or ["-w", "50"]
    crash = None
    if os.path.exists(os.path.join(data, "crash.txt")):
        crash = open(os.path.join(data, "crash.txt")).read().split()
    files = sorted(f for f in glob.glob(os.path.join(data, "*.csv")))
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([nab] + opts + [out] + files, check=True)
        cat = os.path.basename(os.path.normpath(data))
        alerts = days = hit = 0
        for f in files:
            rows = list(csv.DictReader(open(os.path.join(out, cat,
                                                         os.path.basename(f)))))
            dates = [r["timestamp"] for r in rows if r["anomaly_score"] == "1"]
            alerts += len(dates)
            days += len(rows)
            got = crash is not None and any(crash[0] <= d <= crash[1]
                                            for d in dates)
            hit += got
            print("%s: %d alerts%s: %s" % (os.path.basename(f), len(dates),
                  " (crash alerted)" if got else "", " ".join(dates)))
    print("total: %d series, %d days, %.2f alerts per 1,000 days%s" % (
        len(files), days, 1000.0 * alerts / days,
        ", crash alerted in %d of %d" % (hit, len(files)) if crash else ""))


if __name__ == "__main__":
    main()
