import { describe, expect, test } from '@jest/globals';
import { conditionHolds, step, type TAlertState, type TRule } from './rules.ts';

const above: TRule = { kind: 'price_above', direction: 'above', threshold: 100 };
const t0 = new Date('2024-01-01T00:00:00Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

/** Runs a series of values through the state machine; returns which evaluations fired. */
function run(rule: TRule, values: (number | string | null)[], cooldownSeconds = 0, spacing = 60) {
  let state: TAlertState = 'armed';
  let lastFiredAt: Date | null = null;
  return values.map((value, index) => {
    const now = at(index * spacing);
    const next = step({ rule, state, value, lastFiredAt, cooldownSeconds, now });
    state = next.state;
    if (next.fire) lastFiredAt = now;
    return next.fire;
  });
}

describe('Alert rules', () => {
  test('When a price stays above the threshold over three syncs, then the alert fires once', () => {
    expect(run(above, [120, 125, 130])).toEqual([true, false, false]);
  });

  test('When the price falls back and crosses again, then it fires again (once per crossing)', () => {
    expect(run(above, [99, 101, 102, 98, 105])).toEqual([false, true, false, false, true]);
  });

  test('When a second crossing comes within the cooldown, then it waits and fires once the cooldown is over', () => {
    // Evaluations a minute apart, cooldown 150 s: the crossing at 120 s is within it; at 180 s it is over.
    expect(run(above, [101, 90, 101, 101, 101], 150)).toEqual([true, false, false, true, false]);
  });

  test('When there is no value (no price yet), then nothing changes', () => {
    expect(run(above, [null, 101, null, 101])).toEqual([false, true, false, false]);
  });

  test('When the kind is below, a fall, a rise, a metric or a limit, then the condition is the right side of the threshold', () => {
    expect(conditionHolds({ kind: 'price_below', direction: 'above', threshold: 100 }, 100)).toBe(true);
    expect(conditionHolds({ kind: 'price_below', direction: 'above', threshold: 100 }, 100.01)).toBe(false);
    expect(conditionHolds({ kind: 'pct_change', direction: 'above', threshold: -0.05 }, -0.06)).toBe(true);
    expect(conditionHolds({ kind: 'pct_change', direction: 'above', threshold: -0.05 }, 0.2)).toBe(false);
    expect(conditionHolds({ kind: 'pct_change', direction: 'above', threshold: 0.05 }, 0.05)).toBe(true);
    expect(conditionHolds({ kind: 'risk_metric', direction: 'below', threshold: 0.5 }, 0.4)).toBe(true);
    expect(conditionHolds({ kind: 'risk_metric', direction: 'above', threshold: 0.5 }, 0.4)).toBe(false);
    expect(conditionHolds({ kind: 'limit_breach', direction: 'above', threshold: null }, 'warning')).toBe(
      true,
    );
    expect(conditionHolds({ kind: 'limit_breach', direction: 'above', threshold: null }, 'breached')).toBe(
      true,
    );
    expect(conditionHolds({ kind: 'limit_breach', direction: 'above', threshold: null }, 'ok')).toBe(false);
  });
});
