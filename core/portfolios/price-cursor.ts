import { dec, type Decimal } from './decimal.ts';
import { scaledOf, scaledOfDecimal, type TScaled } from './exact-sum.ts';

/** Each held symbol's daily closes, oldest first (the last stored point of each UTC day). */
export type TDailyCloses = Map<string, TClose[]>;
type TClose = { date: string; price: Decimal };

/** A stored close: its decimal parsed when first asked for (most are only ever summed, exactly, as integers). */
class StoredClose {
  readonly date: string;
  readonly text: string;
  private parsed: Decimal | undefined = undefined;
  private integer: TScaled | null | undefined = undefined;

  constructor(date: string, text: string) {
    this.date = date;
    this.text = text;
  }

  get price(): Decimal {
    return (this.parsed ??= dec(this.text));
  }

  get scaled(): TScaled | null {
    if (this.integer === undefined) this.integer = scaledOf(this.text);
    return this.integer;
  }
}

const scaledCloses = new WeakMap<object, TScaled | null>();
/** A close's value as an integer and scale (null when it has no plain decimal form). */
function scaledClose(close: { price: Decimal }): TScaled | null {
  if (close instanceof StoredClose) return close.scaled;
  let found = scaledCloses.get(close);
  if (found === undefined) scaledCloses.set(close, (found = scaledOfDecimal(close.price)));
  return found;
}

/** Carries each symbol's close forward as the days advance (one pass over each series). */
export class PriceCursor {
  // Per symbol, its series and the position reached: one lookup per price asked (50 coins × 1,826 days).
  private readonly cursors = new Map<string, { series: TClose[] | undefined; at: number }>();
  private readonly lastTradePrice = new Map<string, { price: Decimal; scaled?: TScaled | null }>();

  private readonly closes: TDailyCloses;

  constructor(closes: TDailyCloses) {
    this.closes = closes;
  }

  noteTrade(symbol: string, price: Decimal | null): void {
    if (price) this.lastTradePrice.set(symbol, { price });
  }

  /** The close in effect at the end of `day` (days must not go backwards), if the symbol has one yet. */
  private close(symbol: string, day: string): TClose | undefined {
    let cursor = this.cursors.get(symbol);
    if (!cursor) this.cursors.set(symbol, (cursor = { series: this.closes.get(symbol), at: -1 }));
    const series = cursor.series;
    if (!series) return undefined;
    let at = cursor.at;
    while (at + 1 < series.length && series[at + 1]!.date <= day) at += 1;
    cursor.at = at;
    return at >= 0 ? series[at] : undefined;
  }

  /** The close in effect at the end of `day` (days must not go backwards), or the last trade's price. */
  price(symbol: string, day: string): Decimal | null {
    return this.close(symbol, day)?.price ?? this.lastTradePrice.get(symbol)?.price ?? null;
  }

  /** The same price as an integer and scale: undefined when there is none, null when it has no plain form. */
  scaled(symbol: string, day: string): TScaled | null | undefined {
    const close = this.close(symbol, day);
    if (close) return scaledClose(close);
    const trade = this.lastTradePrice.get(symbol);
    if (!trade) return undefined;
    if (trade.scaled === undefined) trade.scaled = scaledOfDecimal(trade.price);
    return trade.scaled;
  }
}

/** Stored closes (decimal strings) as the valuation takes them; each decimal is parsed on first use. */
export const decimalCloses = (rows: { date: string; price: string }[]): { date: string; price: Decimal }[] =>
  rows.map((row) => new StoredClose(row.date, row.price));
