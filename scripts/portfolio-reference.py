#!/usr/bin/env python3
"""Independent reference for the portfolio engine (core/portfolios), checked by
core/portfolios/portfolio-reference.int.test.ts on a generated history of a few hundred transactions.

Written from docs/portfolio-methodology.md, not from the TypeScript: exact rational arithmetic
(fractions.Fraction) for lots, cost and P&L under every method; the daily time-weighted return with
inflows at the start and outflows at the end of each UTC day; XIRR (Actual/365) by Newton's method
from several starting points, polished by bisection. Python's standard library only.

Input (stdin, JSON): {"transactions": [...], "closes": {"SYM": [["YYYY-MM-DD", "price"], ...]},
"prices": {"SYM": "price"}, "from": "YYYY-MM-DD", "to": "YYYY-MM-DD", "cash_tracking": bool,
"fees_in_cost_basis": bool}. Output (stdout, JSON): per method the realized totals by symbol and the
open quantity and cost by symbol; the TWR, the XIRR rate and the values at both ends.
"""
import json
import sys
from datetime import date, datetime, timedelta
from fractions import Fraction as F

METHODS = ["fifo", "lifo", "hifo", "average"]


def day_of(timestamp):
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).date().isoformat()


def ledger(transactions, method, fees_in_basis):
    """Open lots per symbol [(quantity, cost)] and realized gain per symbol, by the rules of the methodology."""
    lots = {}  # symbol -> list of [quantity, cost, order]
    pool = {}  # symbol -> [quantity, cost] for the average method
    realized = {}
    order = 0

    def take(symbol, quantity):
        """Removes quantity from the symbol's lots in the method's order; returns the cost removed."""
        held = lots.setdefault(symbol, [])
        if method == "average":
            q, c = pool[symbol]
            cost = c if quantity == q else c * quantity / q
            pool[symbol] = [q - quantity, c - cost]
            remaining = quantity  # the lots only carry dates and quantities here
            for lot in held:
                used = min(lot[0], remaining)
                lot[0] -= used
                remaining -= used
                if remaining == 0:
                    break
            lots[symbol] = [lot for lot in held if lot[0] != 0]
            return cost
        if method == "fifo":
            sequence = held
        elif method == "lifo":
            sequence = list(reversed(held))
        else:  # hifo: highest unit cost first, the older lot on ties
            sequence = sorted(held, key=lambda lot: (-(lot[1] / lot[0]), lot[2]))
        remaining, cost = quantity, F(0)
        for lot in sequence:
            if remaining == 0:
                break
            used = min(lot[0], remaining)
            part = lot[1] if used == lot[0] else lot[1] * used / lot[0]
            lot[0] -= used
            lot[1] -= part
            cost += part
            remaining -= used
        if remaining != 0:
            raise ValueError("oversold %s by %s" % (symbol, remaining))
        lots[symbol] = [lot for lot in held if lot[0] != 0]
        return cost

    def add(symbol, quantity, cost):
        nonlocal order
        lots.setdefault(symbol, []).append([quantity, cost, order])
        order += 1
        q, c = pool.get(symbol, [F(0), F(0)])
        pool[symbol] = [q + quantity, c + cost]

    for tx in transactions:
        quantity, price, fee = F(tx["quantity"]), F(tx["price"] or 0), F(tx["fee"])
        symbol, kind = tx["symbol"], tx["type"]
        gross = quantity * price
        if kind == "buy":
            add(symbol, quantity, gross + fee if fees_in_basis else gross)
        elif kind in ("transfer_in", "income"):
            add(symbol, quantity, gross + (fee if fees_in_basis and kind == "transfer_in" else 0))
        elif kind == "sell":
            cost = take(symbol, quantity)
            proceeds = gross - fee if fees_in_basis else gross
            realized[symbol] = realized.get(symbol, F(0)) + proceeds - cost
        elif kind == "transfer_out":
            take(symbol, quantity)
    open_ = {}
    for symbol, held in lots.items():
        q = sum((lot[0] for lot in held), F(0))
        if q == 0:
            continue
        c = pool[symbol][1] if method == "average" else sum((lot[1] for lot in held), F(0))
        open_[symbol] = {"quantity": str(float(q)), "quantity_exact": "%d/%d" % (q.numerator, q.denominator),
                         "cost_exact": "%d/%d" % (c.numerator, c.denominator)}
    return {
        "realized": {s: "%d/%d" % (g.numerator, g.denominator) for s, g in sorted(realized.items())},
        "open": open_,
    }


def valuation(transactions, closes, start, end, cash_tracking):
    """(V_start, [(day, value, inflow, outflow)]) on the UTC day grid, valued at carried-forward closes."""
    series = {s: sorted((d, F(p)) for d, p in rows) for s, rows in closes.items()}

    def close(symbol, day, fallback):
        best = None
        for d, p in series.get(symbol, []):
            if d > day:
                break
            best = p
        return best if best is not None else fallback

    quantities, cash, last_price = {}, F(0), {}

    def apply(tx):
        nonlocal cash
        q, p, fee = F(tx["quantity"]), F(tx["price"] or 0), F(tx["fee"])
        kind, symbol = tx["type"], tx["symbol"]
        if symbol != "USD" and tx["price"] is not None:
            last_price[symbol] = p
        sign = {"buy": 1, "transfer_in": 1, "income": 1, "sell": -1, "transfer_out": -1}.get(kind, 0)
        if symbol != "USD":
            quantities[symbol] = quantities.get(symbol, F(0)) + sign * q
        cash += {"buy": -(q * p + fee), "sell": q * p - fee, "deposit": q, "withdrawal": -q,
                 "transfer_in": -fee, "transfer_out": -fee}.get(kind, F(0))
        if kind == "fee" and symbol == "USD":
            cash -= q

    def value(day):
        total = cash if cash_tracking else F(0)
        for symbol, q in quantities.items():
            p = close(symbol, day, last_price.get(symbol))
            if q != 0 and p is not None:
                total += q * p
        return total

    def flow(tx, day):
        q, p, fee = F(tx["quantity"]), F(tx["price"] or 0), F(tx["fee"])
        kind = tx["type"]
        if kind in ("transfer_in", "transfer_out"):
            amount = q * close(tx["symbol"], day, p)
            return amount if kind == "transfer_in" else -amount
        if kind == "deposit":
            return q
        if kind == "withdrawal":
            return -q
        if not cash_tracking and kind == "buy":
            return q * p + fee
        if not cash_tracking and kind == "sell":
            return -(q * p - fee)
        return F(0)

    ordered = list(transactions)
    index = 0
    first = date.fromisoformat(start)
    before = (first - timedelta(days=1)).isoformat()
    while index < len(ordered) and day_of(ordered[index]["timestamp"]) <= before:
        apply(ordered[index])
        index += 1
    start_value = value(before)
    days = []
    current = first
    while current.isoformat() <= end:
        today = current.isoformat()
        inflow = outflow = F(0)
        while index < len(ordered) and day_of(ordered[index]["timestamp"]) == today:
            tx = ordered[index]
            apply(tx)
            f = flow(tx, today)
            if f > 0:
                inflow += f
            else:
                outflow -= f
            index += 1
        days.append((today, value(today), inflow, outflow))
        current += timedelta(days=1)
    return before, start_value, days


def twr(start_value, days):
    growth, previous = F(1), start_value
    for _, value, inflow, outflow in days:
        base = previous + inflow
        if base != 0:
            growth *= (value + outflow) / base
        previous = value
    return float(growth - 1)


def xirr(flows):
    """The rate r nearest 0 with sum(a / (1 + r) ** (days / 365)) = 0, or None."""
    flows = [(date.fromisoformat(d), float(a)) for d, a in flows if a != 0]
    if not any(a > 0 for _, a in flows) or not any(a < 0 for _, a in flows):
        return None
    d0 = min(d for d, _ in flows)
    times = [((d - d0).days / 365.0, a) for d, a in flows]

    def npv(r):
        return sum(a / (1 + r) ** t for t, a in times)

    def derivative(r):
        return sum(-t * a / (1 + r) ** (t + 1) for t, a in times)

    roots = []
    for guess in (0.1, 0.0, -0.5, -0.9, -0.99, -0.999, 1.0, 5.0):
        r = guess
        for _ in range(200):
            try:
                step = npv(r) / derivative(r)
            except (ZeroDivisionError, OverflowError):
                break
            r_next = r - step
            if r_next <= -1:
                r_next = (r - 1) / 2
            if abs(r_next - r) < 1e-14:
                r = r_next
                break
            r = r_next
        try:
            if abs(npv(r)) < 1e-6 * max(abs(a) for _, a in times):
                roots.append(r)
        except (ZeroDivisionError, OverflowError):
            pass
    return min(roots, key=abs) if roots else None


def main():
    data = json.load(sys.stdin)
    transactions = sorted(data["transactions"], key=lambda tx: (tx["timestamp"], tx["sequence"]))
    out = {"methods": {}}
    for method in METHODS:
        out["methods"][method] = ledger(transactions, method, data["fees_in_cost_basis"])
    before, start_value, days = valuation(transactions, data["closes"], data["from"], data["to"], data["cash_tracking"])
    end_value = days[-1][1]
    flows = [(before, -start_value)] + [(d, o - i) for d, _, i, o in days] + [(days[-1][0], end_value)]
    out["twr"] = twr(start_value, days)
    out["xirr"] = xirr([(d, float(a)) for d, a in flows])
    out["value_start"] = str(float(start_value))
    out["value_end"] = "%d/%d" % (end_value.numerator, end_value.denominator)
    out["values"] = ["%d/%d" % (v.numerator, v.denominator) for _, v, _, _ in days]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
