#!/usr/bin/env python3
"""gen.py: makes the demo data of `make start` (SPEC §7).

Three stock-like series, daily quotes of fictitious tickers on the business
days of 2019-2021, in the layout of a Yahoo Finance download (Date, Open,
High, Low, Close, Adj Close, Volume): a geometric random walk with a drift
and a volatility per ticker, plus a few known anomalies written to
anomalies.csv (ticker, date, kind).  Deterministic: its own generator with a
fixed seed, so the files come out the same on every machine.  Nothing is
downloaded.

usage: gen.py [DIR]   (default: the directory of this script)
"""
import csv
import datetime
import math
import os
import sys

# ticker, first close, yearly drift, yearly volatility, anomalies:
# (business day index, kind, factor, days)
TICKERS = [
    ("ACME", 75.0, 0.18, 0.28, [
        (130, "spike", 1.55, 1),        # a one-day jump that reverts
        (520, "crash", 0.55, 6),        # a sudden fall that lasts a week
    ]),
    ("GLOBEX", 140.0, 0.06, 0.22, [
        (170, "dip", 0.50, 1),          # a one-day fall (a bad print)
        (610, "spike", 1.70, 2),
    ]),
    ("INITECH", 32.0, 0.25, 0.35, [
        (470, "spike", 2.00, 1),
        (680, "dip", 0.45, 1),
    ]),
]
START = datetime.date(2019, 1, 2)
DAYS = 780              # about three years of business days


class Rng:
    """xorshift64*, so that the data never depends on Python's version."""

    def __init__(self, seed):
        self.s = seed & 0xFFFFFFFFFFFFFFFF or 1

    def uniform(self):
        s = self.s
        s ^= s >> 12
        s ^= (s << 25) & 0xFFFFFFFFFFFFFFFF
        s ^= s >> 27
        self.s = s
        r = (s * 0x2545F4914F6CDD1D) & 0xFFFFFFFFFFFFFFFF
        return ((r >> 11) + 0.5) / float(1 << 53)

    def gauss(self):
        """Box-Muller: one standard normal deviate."""
        u, v = self.uniform(), self.uniform()
        return math.sqrt(-2.0 * math.log(u)) * math.cos(2.0 * math.pi * v)


def business_days(start, n):
    d = start
    while n > 0:
        if d.weekday() < 5:
            yield d
            n -= 1
        d += datetime.timedelta(days=1)


def series(rng, first, drift, vol, anomalies):
    """Closes of a geometric random walk, then the anomalies applied."""
    dt = 1.0 / 252
    closes = [first]
    for _ in range(DAYS - 1):
        r = (drift - vol * vol / 2) * dt + vol * math.sqrt(dt) * rng.gauss()
        closes.append(closes[-1] * math.exp(r))
    for day, _kind, factor, length in anomalies:
        for i in range(day, min(day + length, DAYS)):
            closes[i] *= factor
    return closes


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.dirname(os.path.abspath(__file__))
    dates = list(business_days(START, DAYS))
    labels = []
    for k, (ticker, first, drift, vol, anomalies) in enumerate(TICKERS):
        rng = Rng(0x5EED + 7919 * k)
        closes = series(rng, first, drift, vol, anomalies)
        with open(os.path.join(out, ticker + ".csv"), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["Date", "Open", "High", "Low", "Close", "Adj Close",
                        "Volume"])
            prev = first
            for d, c in zip(dates, closes):
                o = prev * math.exp(0.004 * rng.gauss())
                hi = max(o, c) * (1 + abs(0.006 * rng.gauss()))
                lo = min(o, c) * (1 - abs(0.006 * rng.gauss()))
                vol_ = int(2e6 * math.exp(0.3 * rng.gauss()))
                w.writerow([d.isoformat(), "%.2f" % o, "%.2f" % hi,
                            "%.2f" % lo, "%.2f" % c, "%.2f" % c, vol_])
                prev = c
        for day, kind, _factor, length in anomalies:
            for i in range(day, min(day + length, DAYS)):
                labels.append((ticker, dates[i].isoformat(), kind))
    with open(os.path.join(out, "anomalies.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["ticker", "Date", "kind"])
        w.writerows(labels)


if __name__ == "__main__":
    main()
