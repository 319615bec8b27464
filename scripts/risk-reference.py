#!/usr/bin/env python3
"""Independent reference values for the risk engine's tests and docs/risk-methodology.md.

Computed with numpy (percentile, std ddof=1) and the empyrical formulas, from the same inputs the
TypeScript tests use. Run:  pip install numpy && python3 scripts/risk-reference.py
"""
import csv
import json
import math
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N = 365
Z95, Z99 = -1.6448536269514722, -2.3263478740408408


def metrics(prices, bench=None, rf_annual=0.0, dates=None, bench_dates=None):
    p = np.array(prices, dtype=float)
    r = p[1:] / p[:-1] - 1
    rf = (1 + rf_annual) ** (1 / N) - 1
    ex = r - rf
    n = len(r)
    out = {
        "n": n,
        "volatility_daily": float(np.std(r, ddof=1)),
        "volatility_annualized": float(np.std(r, ddof=1) * math.sqrt(N)),
        "return_total": float(p[-1] / p[0] - 1),
    }
    out["return_annualized"] = float((1 + out["return_total"]) ** (N / n) - 1)
    peak = np.maximum.accumulate(p)
    dd = p / peak - 1
    out["max_drawdown"] = float(dd.min())
    for c, z in ((0.95, Z95), (0.99, Z99)):
        key = str(int(round(c * 100)))
        out["var_" + key] = float(-np.percentile(r, 100 * (1 - c)))
        k = math.floor((n - 1) * (1 - c)) + 1
        out["cvar_" + key] = float(-np.sort(r)[:k].mean())
        out["parametric_var_" + key] = float(-(r.mean() + z * np.std(r, ddof=1)))
    sd = np.std(ex, ddof=1)
    out["sharpe_ratio"] = float(ex.mean() / sd * math.sqrt(N)) if sd > 0 else None
    down = math.sqrt(np.mean(np.minimum(ex, 0) ** 2)) * math.sqrt(N)
    out["sortino_ratio"] = float(ex.mean() * N / down) if down > 0 else None
    out["calmar_ratio"] = float(out["return_annualized"] / abs(out["max_drawdown"])) if out["max_drawdown"] < 0 else None
    if bench is not None:
        b = np.array(bench, dtype=float)
        if dates is not None:
            ra = dict(zip(dates[1:], r))
            rb = dict(zip(bench_dates[1:], b[1:] / b[:-1] - 1))
            common = [d for d in dates[1:] if d in rb]
            x = np.array([ra[d] for d in common])
            y = np.array([rb[d] for d in common])
        else:
            x, y = r, b[1:] / b[:-1] - 1
        beta = float(np.cov(x, y, ddof=1)[0, 1] / np.var(y, ddof=1))
        out["beta"] = beta
        out["correlation_to_benchmark"] = float(np.corrcoef(x, y)[0, 1])
        out["alpha_annualized"] = float((1 + np.mean(x - rf - beta * (y - rf))) ** N - 1)
        out["aligned"] = len(x)
    return out


def fixed_series():
    # Deterministic, non-trivial: a trend, a cycle and a crash (same formula in risk-math.test.ts).
    prices = [100 * (1 + 0.002 * i) * (1 + 0.05 * math.sin(i / 3)) * (0.7 if i >= 30 else 1) for i in range(45)]
    bench = [50 * (1 + 0.001 * i) * (1 + 0.03 * math.cos(i / 4)) for i in range(45)]
    return prices, bench


def bundled(symbol, start, end):
    rows = []
    with open(os.path.join(ROOT, "data", "market-data", "coingecko-daily-2015-2022", symbol + ".csv")) as f:
        for row in csv.DictReader(f):
            if start <= row["date"] <= end:
                rows.append(row)
    return rows


def worked_example():
    # One year of the bundled CoinGecko closes: window=365 (daily returns) ending 2022-09-26 -> the 366 closes
    # 2021-09-26 .. 2022-09-26.
    start, end = "2021-09-26", "2022-09-26"
    btc = bundled("BTC", start, end)
    eth = bundled("ETH", start, end)
    result = {}
    for name, rows in (("BTC", btc), ("ETH", eth)):
        prices = [float(r["close"]) for r in rows]
        vols = [float(r["volume"]) for r in rows if r["volume"] and r["market_cap"]]
        caps = [float(r["market_cap"]) for r in rows if r["volume"] and r["market_cap"]]
        m = metrics(prices, [float(r["close"]) for r in btc], 0.0, [r["date"] for r in rows], [r["date"] for r in btc])
        m["closes"] = len(prices)
        p = np.array(prices)
        dd = p / np.maximum.accumulate(p) - 1
        valley = int(np.argmin(dd))
        peak = max(i for i in range(valley + 1) if dd[i] == 0)
        later = [i for i in range(valley + 1, len(p)) if p[i] >= p[peak]]
        m["dates"] = [rows[peak]["date"], rows[valley]["date"], rows[later[0]]["date"] if later else None]
        m["liquidity_ratio"] = float(np.mean(vols) / np.mean(caps))
        result[name] = m
    return result


def gapped():
    # The fixed series on 45 consecutive days; the benchmark misses days 10, 11 and 25, so it has no
    # returns dated 10, 11 and 25 (those dated 12 and 26 span the gap): 41 dates in common.
    prices, bench = fixed_series()
    dates = ["d%02d" % i for i in range(45)]
    keep = [i for i in range(45) if i not in (10, 11, 25)]
    return metrics(prices, [bench[i] for i in keep], 0.0, dates, [dates[i] for i in keep])


prices, bench = fixed_series()
print(json.dumps({"fixed": metrics(prices, bench), "fixed_rf5": metrics(prices, bench, 0.05), "gapped": gapped(), "worked": worked_example()}, indent=2))
