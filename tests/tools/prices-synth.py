#!/usr/bin/env python3
"""prices-synth.py: synthetic daily stock prices for judging the `prices`
preset (anomaly(7)) when no real history is at hand.  Not real data: a
model of it, stated here so that its figures are read for what they are.

20 tickers, the business days of 2015-2020 (about 1,510), in the layout of
a Yahoo Finance download.  Each ticker's log-return is
    beta * market + idiosyncratic + earnings gap (4 a year),
where the market and the idiosyncratic parts are GARCH(1,1) with Student-t
(5 degrees of freedom) shocks: stochastic volatility with fat tails.  The
market part also carries the corrections of those years at about their
dates (Aug 2015 -11% in 5 days, Jan-Feb 2016 -10%, Feb 2018 -10% in 9
days, Dec 2018 -15%) and a 2020-like crash: -34% in 23 trading days from
2020-02-20, with daily moves up to about +-10% (the S&P 500's own sequence
of those days, scaled), then a rebound.  Deterministic (own generator,
fixed seed).

usage: prices-synth.py OUTDIR [SEED]  writes OUTDIR/T00.csv .. T19.csv and
                                     OUTDIR/crash.txt (first and last date);
                                     SEED (default 0) draws another history
"""
import csv
import datetime
import math
import os
import sys

# S&P 500 daily moves (%), 2020-02-20 .. 2020-03-23, then the rebound days
CRASH = [-0.38, -1.05, -3.35, -3.03, -0.38, -4.42, -0.82, 4.60, -2.81,
         4.22, -3.39, -1.71, -7.60, 4.94, -4.89, -9.51, 9.29, -11.98, 6.00,
         -5.18, -4.34, 0.0, -2.93]
REBOUND = [9.38, 1.15, 6.24, 3.35, -1.60, -4.41, 2.28, -1.51, 7.03, -0.16,
           3.41, 1.45, -1.01, 3.06, 0.58, -2.20, 1.05, 2.29, -3.07, 1.43]
# corrections of the market part: (first date, total %, days)
CORRECTIONS = [("2015-08-19", -11.0, 5), ("2016-01-04", -10.0, 25),
               ("2018-01-29", -10.0, 9), ("2018-12-03", -15.0, 17)]


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
        u, v = self.uniform(), self.uniform()
        return math.sqrt(-2.0 * math.log(u)) * math.cos(2.0 * math.pi * v)

    def student(self, nu):
        """A Student-t deviate scaled to unit variance."""
        chi = sum(self.gauss() ** 2 for _ in range(nu))
        return self.gauss() / math.sqrt(chi / nu) * math.sqrt((nu - 2) / nu)


def garch(rng, n, vol, alpha=0.08, beta=0.90, nu=5):
    """n GARCH(1,1)-t returns of long-run daily volatility vol."""
    omega = vol * vol * (1 - alpha - beta)
    h, out = vol * vol, []
    for _ in range(n):
        r = math.sqrt(h) * rng.student(nu)
        out.append(r)
        h = omega + alpha * r * r + beta * h
    return out


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    d, dates = datetime.date(2015, 1, 2), []
    while d <= datetime.date(2020, 12, 31):
        if d.weekday() < 5:
            dates.append(d.isoformat())
        d += datetime.timedelta(days=1)
    n = len(dates)
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    rng = Rng(0x5EED2020 + 104729 * seed)
    market = garch(rng, n, 0.008)
    for first, total, days in CORRECTIONS:
        i = dates.index(first)
        for j in range(days):
            market[i + j] = math.log(1 + total / 100) / days + \
                0.5 * market[i + j]
    c0 = dates.index("2020-02-20")
    scale = math.log(0.66) / sum(math.log(1 + m / 100) for m in CRASH)
    for j, m in enumerate(CRASH + REBOUND):
        f = scale if j < len(CRASH) else 1.0
        market[c0 + j] = f * math.log(1 + m / 100)
    with open(os.path.join(out, "crash.txt"), "w") as f:
        f.write("%s %s\n" % (dates[c0], dates[c0 + len(CRASH) - 1]))
    for k in range(20):
        trng = Rng(0xACE + 7919 * k + 15485863 * seed)
        beta = 0.6 + 0.8 * trng.uniform()
        ivol = 0.006 + 0.010 * trng.uniform()
        gap = 0.02 + 0.04 * trng.uniform()
        idio = garch(trng, n, ivol)
        price, rows = 20 + 200 * trng.uniform(), []
        for i in range(n):
            r = beta * market[i] + idio[i] + 0.0003
            if i % 63 == 40:            # earnings, about 4 a year
                r += gap * trng.student(5)
            price *= math.exp(r)
            rows.append((dates[i], price))
        with open(os.path.join(out, "T%02d.csv" % k), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["Date", "Open", "High", "Low", "Close", "Adj Close",
                        "Volume"])
            for dt, p in rows:
                vol = int(5e6 * math.exp(0.4 * trng.gauss()))
                w.writerow([dt, "%.2f" % p, "%.2f" % p, "%.2f" % p,
                            "%.2f" % p, "%.2f" % p, vol])


if __name__ == "__main__":
    main()
