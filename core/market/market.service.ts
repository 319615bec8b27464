import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import { keysetPage } from '../platform/paging.ts';
import type { TCryptocurrencyRepository } from './cryptocurrency.repository.ts';
import { TOP_LISTS, type THistoryQuery, type TListQuery, type TTopList } from './market.types.ts';

/** Market data use cases: plain input, plain output, AppError on failure. No HTTP in here. */
export function createMarketService(deps: { coins: TCryptocurrencyRepository }) {
  const { coins } = deps;

  async function requireCoinId(symbol: string): Promise<number> {
    const id = await coins.findIdBySymbol(symbol);
    if (id === null) throw notFound(symbol);
    return id;
  }

  return {
    async list(query: TListQuery) {
      const { rows, total } = await coins.list(query);
      return { data: rows, pagination: { total, limit: query.limit, offset: query.offset } };
    },

    async get(symbol: string) {
      const coin = await coins.findBySymbol(symbol);
      if (!coin) throw notFound(symbol);
      return coin;
    },

    async history(symbol: string, query: THistoryQuery) {
      const id = await requireCoinId(symbol);
      // One extra row tells whether another page exists without counting the whole range.
      const { data, pagination } = await keysetPage(
        query.limit,
        (limit) => coins.history(id, { ...query, limit }),
        (last) => cursorAfter(last, query),
      );
      return {
        symbol,
        interval: query.interval,
        data,
        pagination: {
          limit: query.limit,
          count: data.length,
          has_more: pagination.next_cursor !== null,
          next_cursor: pagination.next_cursor,
        },
      };
    },

    async top(category: string, limit: number) {
      if ((TOP_LISTS as readonly string[]).includes(category)) {
        return { category, data: await coins.top(category as TTopList, limit) };
      }
      const categories = await coins.listCategories();
      if (!categories.some((known) => known.slug === category)) {
        const valid = [...TOP_LISTS, ...categories.map((known) => known.slug)];
        throw new AppError(ErrorCode.NotFound, {
          detail: `Unknown category "${category}". Valid values: ${valid.join(', ')}.`,
          extensions: { valid_categories: valid },
        });
      }
      return { category, data: await coins.topInCategory(category, limit) };
    },

    listCategories: () => coins.listCategories(),
  };
}

/** The value to pass as `to` (newest first) or `from` (oldest first) to read the next page. */
function cursorAfter(point: { timestamp: string }, query: THistoryQuery): string {
  const last = new Date(point.timestamp).getTime();
  if (query.order === 'asc') return new Date(last + 1).toISOString();
  // Newest first, aggregated: the page's last point closes its bucket, so continue before the bucket.
  const bucketMs = { raw: 1, hourly: 3_600_000, daily: 86_400_000 }[query.interval];
  return new Date(last - (last % bucketMs) - 1).toISOString();
}

function notFound(symbol: string): AppError {
  return new AppError(ErrorCode.NotFound, { detail: `No cryptocurrency with symbol "${symbol}".` });
}
