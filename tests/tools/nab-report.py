#!/usr/bin/env python3
"""nab-report: the NAB scores of a results directory (written by
build/tests/tools/nab) per category, per fold and on all files, with the
scorer itself (../shared/tools/nab-score --json, fixed threshold 1).

usage: nab-report.py SCORER NAB_DIR RESULTS_DIR

Folds: the data files in sorted order of their path category/file.csv;
fold A holds the 1st, 3rd, 5th... (even positions from 0), fold B the 2nd,
4th... A fold is scored by giving the scorer a windows file of its files
only, so each fold has its own 0..100 scale, as each category has.  The
last line is the scorer's own summary line for all files.
"""

import json
import os
import subprocess
import sys
import tempfile

PROFILES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")


def score(scorer, data, windows, results, only=None):
    cmd = [scorer, "--data", data, "--windows", windows, "--threshold", "1",
           "--profile", "all", "--json", results]
    if only:
        cmd[1:1] = ["--only", only]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True).stdout
    return json.loads(out)


def row(name, res):
    std = res["profiles"]["standard"]
    cells = []
    for p in PROFILES:
        s = res["profiles"][p]["score"]
        cells.append("%8s" % ("-" if s is None else "%.2f" % s))
    return "%-26s %s %5d/%-3d %5d" % (
        name, " ".join(cells), std["detected"], std["windows"],
        std["false_detections"])


def main():
    if len(sys.argv) != 4:
        sys.stderr.write("usage: nab-report.py SCORER NAB_DIR RESULTS_DIR\n")
        return 2
    scorer, nab, results = sys.argv[1:]
    data = os.path.join(nab, "data")
    windows_file = os.path.join(nab, "labels", "combined_windows.json")
    with open(windows_file) as fh:
        windows = json.load(fh)
    files = sorted(os.path.relpath(os.path.join(root, n), data).replace(
        os.sep, "/") for root, _, names in os.walk(data) for n in names
        if n.endswith(".csv"))
    files = [f for f in files if f in windows]
    categories = sorted({f.split("/")[0] for f in files})

    print("%-26s %8s %8s %8s %9s %5s" % ("NAB, threshold 1", "standard",
                                         "low_FP", "low_FN", "TP/win", "FP"))
    for c in categories:
        print(row(c, score(scorer, data, windows_file, results, c)))
    with tempfile.TemporaryDirectory() as tmp:
        for name, part in (("fold A", files[0::2]), ("fold B", files[1::2])):
            path = os.path.join(tmp, "windows.json")
            with open(path, "w") as fh:
                json.dump({f: windows[f] for f in part}, fh)
            print(row("%s: %d files" % (name, len(part)),
                      score(scorer, data, path, results)))
    res = score(scorer, data, windows_file, results)
    print(row("all: %d files" % len(files), res))
    print()
    print(res["summary"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
