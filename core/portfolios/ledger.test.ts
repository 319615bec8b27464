import { describe, expect, test } from '@jest/globals';
import { dec, money, sum } from './decimal.ts';
import { LedgerError, runLedger, type TCostBasisMethod, type TLedgerSettings } from './ledger.ts';
import type { TLedgerTransaction } from './transaction.ts';

let clock = Date.parse('2024-01-01T00:00:00Z');
/** Transactions one day apart, in the order written. */
function history(
  rows: [TLedgerTransaction['type'], string, string, string?, string?][],
): TLedgerTransaction[] {
  clock = Date.parse('2024-01-01T00:00:00Z');
  return rows.map(([type, symbol, quantity, price, fee], index) => ({
    id: `t${index + 1}`,
    type,
    symbol,
    quantity: dec(quantity),
    price: price === undefined ? null : dec(price),
    fee: dec(fee ?? '0'),
    timestamp: new Date((clock += 86_400_000)),
    lot_ids: null,
  }));
}
const settings = (method: TCostBasisMethod, extra: Partial<TLedgerSettings> = {}): TLedgerSettings => ({
  method,
  feesInCostBasis: true,
  cashTracking: false,
  allowNegative: false,
  ...extra,
});
const gains = (ledger: ReturnType<typeof runLedger>) => {
  const byTransaction = new Map<string, string[]>();
  for (const disposal of ledger.disposals) {
    byTransaction.set(disposal.transaction_id, [
      ...(byTransaction.get(disposal.transaction_id) ?? []),
      money(disposal.gain),
    ]);
  }
  return [...byTransaction.values()].map((parts) => money(sum(parts.map((part) => dec(part)))));
};
const held = (ledger: ReturnType<typeof runLedger>, symbol: string) => {
  const lots = ledger.lots.get(symbol) ?? [];
  return {
    quantity: money(sum(lots.map((lot) => lot.quantity))),
    cost: money(sum(lots.map((lot) => lot.cost))),
  };
};

describe('Golden cases from the references', () => {
  test('Rotki average cost basis (test_accounting_average_cost_basis): realized +5, −15, +20, −15, −2.5 and the ACB after each step', () => {
    const steps: [TLedgerTransaction['type'], string, string][] = [
      ['buy', '2', '10'],
      ['sell', '1', '15'],
      ['buy', '1', '30'],
      ['sell', '1.5', '10'],
      ['buy', '3', '20'],
      ['sell', '2', '30'],
      ['sell', '1.5', '10'],
      ['buy', '1', '10'],
      ['sell', '0.5', '5'],
    ];
    const acb: string[] = [];
    for (let count = 1; count <= steps.length; count++) {
      const ledger = runLedger(
        history(steps.slice(0, count).map(([type, quantity, price]) => [type, 'ETH', quantity, price])),
        settings('average'),
      );
      acb.push(held(ledger, 'ETH').cost);
      if (count === steps.length) expect(gains(ledger)).toEqual(['5', '-15', '20', '-15', '-2.5']);
    }
    expect(acb).toEqual(['20', '10', '40', '10', '70', '30', '0', '10', '5']);
    // Rotki's next step sells 0.6 with 0.5 held and books the 0.1 at zero cost; here it is refused.
    const oversell = history([
      ...steps.map(
        ([type, quantity, price]) =>
          [type, 'ETH', quantity, price] as [TLedgerTransaction['type'], string, string, string],
      ),
      ['sell', 'ETH', '0.6', '5'],
    ]);
    expect(() => runLedger(oversell, settings('average'))).toThrow(/exceeds the 0.5 held by 0.1/);
  });

  test('Rotki fees in the cost basis (test_fees, the Canada example): ACB gives +3485 and −16; FIFO without fees +3500 and +1600', () => {
    const rows = history([
      ['buy', 'ETH', '100', '50', '10'],
      ['sell', 'ETH', '50', '120', '10'],
      ['buy', 'ETH', '50', '130', '10'],
      ['sell', 'ETH', '40', '90', '10'],
    ]);
    expect(gains(runLedger(rows, settings('average')))).toEqual(['3485', '-16']);
    const fifo = runLedger(rows, settings('fifo', { feesInCostBasis: false }));
    expect(gains(fifo)).toEqual(['3500', '1600']);
    expect(money(fifo.fees)).toBe('40');
  });

  test('beancount HIFO (test_reduce__multiple_reductions_hifo): 40, 35, 30 from lots @115, @116, @114 leave 45 @114', () => {
    const rows = history([
      ['buy', 'X', '50', '115'],
      ['buy', 'X', '50', '116'],
      ['buy', 'X', '50', '114'],
      ['sell', 'X', '40', '120'],
      ['sell', 'X', '35', '120'],
      ['sell', 'X', '30', '120'],
    ]);
    const ledger = runLedger(rows, settings('hifo'));
    expect(ledger.disposals.map((d) => `${money(d.quantity)}@${money(d.cost.div(d.quantity))}`)).toEqual([
      '40@116',
      '10@116',
      '25@115',
      '25@115',
      '5@114',
    ]);
    expect(held(ledger, 'X')).toEqual({ quantity: '45', cost: '5130' });
  });

  test('beancount (test_reduce__competing__with_error): reducing 4 and 4 from 5 is refused, naming the shortfall of 3', () => {
    const rows = history([
      ['buy', 'X', '5', '1'],
      ['sell', 'X', '4', '1'],
      ['sell', 'X', '4', '1'],
    ]);
    try {
      runLedger(rows, settings('fifo'));
      throw new Error('no error');
    } catch (error) {
      expect(error).toBeInstanceOf(LedgerError);
      expect((error as LedgerError).code).toBe('shortfall');
      expect((error as LedgerError).transactionId).toBe('t3');
      expect(money((error as LedgerError).shortfall!)).toBe('3');
    }
  });

  test('Portfolio Performance cost methodology: FIFO realizes 2250 (600 unrealized at 108), moving average 1650 (1200)', () => {
    const rows = history([
      ['buy', 'S', '100', '95'],
      ['buy', 'S', '200', '105'],
      ['buy', 'S', '100', '107'],
      ['sell', 'S', '150', '110'],
      ['buy', 'S', '50', '100'],
      ['buy', 'S', '300', '107.5'],
      ['sell', 'S', '200', '108'],
    ]);
    for (const [method, realized, unrealized] of [
      ['fifo', '2250', '600'],
      ['average', '1650', '1200'],
    ] as const) {
      const ledger = runLedger(rows, settings(method));
      expect(money(sum(ledger.disposals.map((d) => d.gain)))).toBe(realized);
      const position = held(ledger, 'S');
      expect(position.quantity).toBe('400');
      expect(money(dec(400).times(108).minus(position.cost))).toBe(unrealized);
    }
  });

  test('Ghostfolio BALN buy and sell: fees in the basis give a net −15.8', () => {
    const rows = history([
      ['buy', 'B', '2', '142.9', '1.55'],
      ['sell', 'B', '2', '136.6', '1.65'],
    ]);
    expect(gains(runLedger(rows, settings('fifo')))).toEqual(['-15.8']);
    expect(gains(runLedger(rows, settings('fifo', { feesInCostBasis: false })))).toEqual(['-12.6']);
  });
});

describe('Methods and edge cases', () => {
  const rows = () =>
    history([
      ['buy', 'BTC', '1', '100'],
      ['buy', 'BTC', '1', '300'],
      ['buy', 'BTC', '1', '200'],
      ['sell', 'BTC', '1.5', '400'],
    ]);

  test.each([
    ['fifo', '250', '350'], // 1 @100 + 0.5 @300
    ['lifo', '350', '250'], // 1 @200 + 0.5 @300
    ['hifo', '400', '200'], // 1 @300 + 0.5 @200
    ['average', '300', '300'], // 1.5 × 200
  ] as const)(
    'When 1.5 of three lots is sold under %s, then the cost is %s and the gain of 600 − cost is right',
    (method, cost, gain) => {
      const ledger = runLedger(rows(), settings(method));
      expect(money(sum(ledger.disposals.map((d) => d.cost)))).toBe(cost);
      expect(money(sum(ledger.disposals.map((d) => d.gain)))).toBe(gain);
      // Whatever the method, cost is conserved: what is left plus what was sold is what was paid.
      expect(money(dec(held(ledger, 'BTC').cost).plus(cost))).toBe('600');
    },
  );

  test('When a sell empties several lots, then each gets a disposal with its own dates, quantities and holding days, and proceeds add up exactly', () => {
    const ledger = runLedger(
      history([
        ['buy', 'ETH', '0.1', '1000'],
        ['buy', 'ETH', '0.2', '1100'],
        ['buy', 'ETH', '0.3', '1200'],
        ['sell', 'ETH', '0.6', '1333.333333333333333333'],
      ]),
      settings('fifo'),
    );
    expect(ledger.disposals.map((d) => [d.lot_id, money(d.quantity), d.holding_days])).toEqual([
      ['t1', '0.1', 3],
      ['t2', '0.2', 2],
      ['t3', '0.3', 1],
    ]);
    expect(money(sum(ledger.disposals.map((d) => d.proceeds)))).toBe(
      money(dec('0.6').times('1333.333333333333333333')),
    );
    expect(ledger.lots.get('ETH')).toBeUndefined();
  });

  test('When a specific sell names its lots, then exactly those are consumed in that order; unknown lots and lots too small are refused', () => {
    const base = rows().slice(0, 3);
    const sell = { ...rows()[3]!, quantity: dec('1.5'), lot_ids: ['t3', 't2'] };
    const ledger = runLedger([...base, sell], settings('specific'));
    expect(ledger.disposals.map((d) => `${d.lot_id}:${money(d.quantity)}`)).toEqual(['t3:1', 't2:0.5']);
    expect(() => runLedger([...base, { ...sell, lot_ids: ['nope'] }], settings('specific'))).toThrow(
      /lot nope/,
    );
    expect(() => runLedger([...base, { ...sell, lot_ids: ['t1'] }], settings('specific'))).toThrow(
      /cover 1 of the 1.5/,
    );
    // Without lot ids, specific identification falls back to FIFO.
    expect(runLedger(rows(), settings('specific')).disposals.map((d) => d.lot_id)).toEqual(['t1', 't2']);
  });

  test('When a buy and a sell fall on the same day, then entry order decides and the sell consumes the buy', () => {
    const [buy, sell] = history([
      ['buy', 'SOL', '10', '20'],
      ['sell', 'SOL', '10', '25'],
    ]);
    const sameDay = [buy!, { ...sell!, timestamp: buy!.timestamp, sequence: 2 }].map((tx, index) => ({
      ...tx,
      sequence: index,
    }));
    expect(gains(runLedger(sameDay, settings('fifo')))).toEqual(['50']);
  });

  test('When income arrives, then it opens a lot at its market value and counts as income; a later sale realizes only the gain since', () => {
    const ledger = runLedger(
      history([
        ['income', 'ETH', '0.5', '2000'],
        ['sell', 'ETH', '0.5', '2100'],
      ]),
      settings('fifo'),
    );
    expect(money(ledger.income)).toBe('1000');
    expect(gains(ledger)).toEqual(['50']);
  });

  test('When negative positions are allowed, then an oversell opens a short lot and a later buy covers it, realizing the difference', () => {
    const ledger = runLedger(
      history([
        ['buy', 'BTC', '1', '100'],
        ['sell', 'BTC', '3', '150'],
        ['buy', 'BTC', '1', '120'],
        ['buy', 'BTC', '2', '90'],
      ]),
      settings('fifo', { allowNegative: true }),
    );
    // 1 long sold (+50); 2 short at 150: covered 1 at 120 (+30), then 1 at 90 (+60), then 1 long at 90 opens.
    expect(ledger.disposals.map((d) => [money(d.gain), d.short])).toEqual([
      ['50', false],
      ['30', true],
      ['60', true],
    ]);
    expect(held(ledger, 'BTC')).toEqual({ quantity: '1', cost: '90' });
    expect(() => runLedger(history([['sell', 'BTC', '1', '10']]), settings('fifo'))).toThrow(LedgerError);
  });

  test('When cash is tracked, then buys and sells move cash, deposits and withdrawals too, and cash may not go negative', () => {
    const tracked = settings('fifo', { cashTracking: true });
    const ledger = runLedger(
      history([
        ['deposit', 'USD', '1000'],
        ['buy', 'BTC', '2', '400', '1'],
        ['sell', 'BTC', '1', '500', '2'],
        ['withdrawal', 'USD', '100'],
        ['fee', 'USD', '3'],
      ]),
      tracked,
    );
    expect(money(ledger.cash)).toBe(String(1000 - 801 + 498 - 100 - 3));
    expect(money(ledger.fees)).toBe('6');
    expect(() =>
      runLedger(
        history([
          ['deposit', 'USD', '10'],
          ['buy', 'BTC', '1', '11'],
        ]),
        tracked,
      ),
    ).toThrow(/cash would be -1/);
    expect(() => runLedger(history([['deposit', 'USD', '10']]), settings('fifo'))).toThrow(/cash tracking/);
  });

  test('When the transactions arrive in another order, then the ledger is the same (history is sorted by time)', () => {
    const ordered = rows();
    const shuffled = [ordered[3]!, ordered[1]!, ordered[0]!, ordered[2]!];
    expect(runLedger(shuffled, settings('hifo'))).toEqual(runLedger(ordered, settings('hifo')));
  });

  test('When a transfer out leaves, then its lots go without a realized gain; more than held is refused even when negatives are allowed', () => {
    const ledger = runLedger(
      history([
        ['buy', 'ADA', '100', '1'],
        ['transfer_out', 'ADA', '40', '1.5'],
      ]),
      settings('fifo', { allowNegative: true }),
    );
    expect(ledger.disposals).toEqual([]);
    expect(held(ledger, 'ADA')).toEqual({ quantity: '60', cost: '60' });
    expect(() =>
      runLedger(
        history([
          ['buy', 'ADA', '1', '1'],
          ['transfer_out', 'ADA', '2', '1'],
        ]),
        settings('fifo', { allowNegative: true }),
      ),
    ).toThrow(/exceeds/);
  });
});
