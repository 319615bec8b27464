import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { DATA_DIR, MARKET_CHART_SNAPSHOT, MARKETS_SNAPSHOT } from '../core/market/index.ts';

/** A scripted answer; anything not scripted gets the real recorded response. */
export type TScripted = {
  status?: number;
  body?: unknown;
  text?: string;
  headers?: Record<string, string>;
  delayMs?: number;
};
export type TSeenRequest = { path: string; query: URLSearchParams; headers: http.IncomingHttpHeaders };

const CMC_FIXTURE = path.join(
  import.meta.dirname,
  '..',
  'worker',
  'test',
  'fixtures',
  'coinmarketcap',
  'listings_latest_convert_usd_limit100_2021-04-20.json',
);
const read = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

/**
 * A local stand-in for CoinGecko and CoinMarketCap that replays real recorded responses
 * (data/market-data/coingecko-snapshots, worker/test/fixtures/coinmarketcap) and lets a test script
 * failures per path: 429s with or without Retry-After, 500s, slow answers, malformed or partial bodies.
 */
export async function startProviderServer() {
  const markets = read(path.join(DATA_DIR, 'market-data', 'coingecko-snapshots', MARKETS_SNAPSHOT)) as Record<
    string,
    unknown
  >[];
  const chart = read(path.join(DATA_DIR, 'market-data', 'coingecko-snapshots', MARKET_CHART_SNAPSHOT));
  const cmc = read(CMC_FIXTURE) as { status: Record<string, unknown>; data: unknown[] };
  const scripts = new Map<string, TScripted[]>();
  const seen: TSeenRequest[] = [];

  function recorded(pathname: string, query: URLSearchParams): { status: number; body: unknown } {
    if (pathname === '/api/v3/coins/markets') {
      const perPage = Number(query.get('per_page') ?? 100);
      const page = Number(query.get('page') ?? 1);
      return { status: 200, body: markets.slice((page - 1) * perPage, page * perPage) };
    }
    if (/^\/api\/v3\/coins\/[^/]+\/market_chart$/.test(pathname)) return { status: 200, body: chart };
    if (pathname === '/api/v3/simple/price') {
      // CoinGecko's /simple/price carries the same quote as /coins/markets (price, 24 h change and
      // volume): answered from the recorded /coins/markets response, for the ids asked, in its shape.
      const ids = new Set((query.get('ids') ?? '').split(','));
      const quotes: Record<string, Record<string, unknown>> = {};
      for (const market of markets) {
        if (!ids.has(market.id as string)) continue;
        quotes[market.id as string] = {
          usd: market.current_price,
          ...(query.get('include_24hr_change') === 'true'
            ? { usd_24h_change: market.price_change_percentage_24h }
            : {}),
          ...(query.get('include_24hr_vol') === 'true' ? { usd_24h_vol: market.total_volume } : {}),
        };
      }
      return { status: 200, body: quotes };
    }
    if (pathname === '/v1/cryptocurrency/listings/latest') {
      const limit = Number(query.get('limit') ?? 100);
      return { status: 200, body: { ...cmc, data: cmc.data.slice(0, limit) } };
    }
    return { status: 404, body: { error: 'not recorded' } };
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    seen.push({ path: url.pathname, query: url.searchParams, headers: req.headers });
    const queue = scripts.get(url.pathname);
    const scripted = queue?.shift();
    const answer = () => {
      if (
        scripted &&
        (scripted.status !== undefined || scripted.body !== undefined || scripted.text !== undefined)
      ) {
        const text =
          scripted.text ?? JSON.stringify(scripted.body ?? recorded(url.pathname, url.searchParams).body);
        res.writeHead(scripted.status ?? 200, {
          'content-type': scripted.text ? 'text/plain' : 'application/json',
          ...scripted.headers,
        });
        res.end(text);
        return;
      }
      const { status, body } = recorded(url.pathname, url.searchParams);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (scripted?.delayMs) setTimeout(answer, scripted.delayMs);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    coingeckoUrl: `${base}/api/v3`,
    coinmarketcapUrl: base,
    seen,
    requests: (pathname: string) => seen.filter((request) => request.path === pathname),
    /** Answers the next requests to `pathname` with these, in order; then the recording again. */
    script: (pathname: string, ...answers: TScripted[]) =>
      scripts.set(pathname, [...(scripts.get(pathname) ?? []), ...answers]),
    reset: () => {
      scripts.clear();
      seen.length = 0;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type TProviderServer = Awaited<ReturnType<typeof startProviderServer>>;
