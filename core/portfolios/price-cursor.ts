import { dec, type Decimal } from './decimal.ts';
import { scaledOf, scaledOfDecimal, type TScaled } from './exact-sum.ts';

/** Each held symbol's daily closes, oldest first (the last stored point of each UTC day). */
export type TDailyCloses = Map<string, { date: string; price: Decimal }[]>;

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
  private readonly index = new Map<string, number>();
  private readonly lastTradePrice = new Map<string, { price: Decimal; scaled?: TScaled | null }>();

  private readonly closes: TDailyCloses;

  constructor(closes: TDailyCloses) {
    this.closes = closes;
  }

  noteTrade(symbol: string, price: Decimal | null): void {
    if (price) this.lastTradePrice.set(symbol, { price });
  }

  /** The close in effect at the end of `day` (days must not go backwards), or the last trade's price. */
  private current(symbol: string, day: string) {
    const series = this.closes.get(symbol);
    if (series?.length) {
      let at = this.index.get(symbol) ?? -1;
      while (at + 1 < series.length && series[at + 1]!.date <= day) at += 1;
      this.index.set(symbol, at);
      if (at >= 0) return { close: series[at]! };
    }
    const trade = this.lastTradePrice.get(symbol);
    return trade ? { trade } : null;
  }

  /** The close in effect at the end of `day` (days must not go backwards). */
  price(symbol: string, day: string): Decimal | null {
    const found = this.current(symbol, day);
    return found ? (found.close?.price ?? found.trade!.price) : null;
  }

  /** The same price as an integer and scale: undefined when there is none, null when it has no plain form. */
  scaled(symbol: string, day: string): TScaled | null | undefined {
    const found = this.current(symbol, day);
    if (!found) return undefined;
    if (found.close) return scaledClose(found.close);
    const trade = found.trade!;
    if (trade.scaled === undefined) trade.scaled = scaledOfDecimal(trade.price);
    return trade.scaled;
  }
}

/** Stored closes (decimal strings) as the valuation takes them; each decimal is parsed on first use. */
export const decimalCloses = (rows: { date: string; price: string }[]): { date: string; price: Decimal }[] =>
  rows.map((row) => new StoredClose(row.date, row.price));
