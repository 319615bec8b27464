import { z } from '../../openapi/zod.ts';
import { ZTick } from '../../../core/market/index.ts';

const SYMBOL = /^[A-Za-z0-9._-]{1,20}$/;
export const MAX_LIVE_SYMBOLS = 100;

export const ZLiveTick = z.strictObject(ZTick.shape).openapi('MarketTick');

const ZSymbolList = z
  .array(z.string().regex(SYMBOL, 'must be 1-20 letters, digits, ".", "_" or "-"'))
  .min(1)
  .max(MAX_LIVE_SYMBOLS)
  .transform((symbols) => [...new Set(symbols.map((symbol) => symbol.toUpperCase()))]);

/** `symbols=BTC,ETH`: one to MAX_LIVE_SYMBOLS symbols, case-insensitive. */
const ZSymbolsParam = z
  .string()
  .max(2100)
  .transform((value) => value.split(',').filter(Boolean))
  .pipe(ZSymbolList)
  .openapi({
    example: 'BTC,ETH',
    description: `Comma-separated symbols (1-${MAX_LIVE_SYMBOLS}), case-insensitive`,
  });

export const ZLiveStreamQuery = z.strictObject({
  symbols: ZSymbolsParam,
  last_event_id: z
    .string()
    .regex(/^\d{1,15}$/, 'must be an event id')
    .optional()
    .openapi({
      maxLength: 15,
      description: 'Resume after this event (as the Last-Event-ID header does; the header wins)',
    }),
});

/** `GET /api/v1/ws?symbols=…`: the symbols are optional on connect (subscribe later). */
export const ZLiveSocketQuery = z.strictObject({ symbols: ZSymbolsParam.optional() });

/** What a WebSocket client sends (JSON text frames). */
export const ZLiveClientMessage = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('subscribe'), symbols: ZSymbolList }),
    z.strictObject({ type: z.literal('unsubscribe'), symbols: ZSymbolList }),
    z.strictObject({ type: z.literal('ping') }),
  ])
  .openapi('LiveClientMessage', {
    description:
      'A WebSocket client message: subscribe to or unsubscribe from symbols, or an application-level ping.',
  });
export type TLiveClientMessage = z.infer<typeof ZLiveClientMessage>;

/** What the server sends over the WebSocket (JSON text frames). */
export const ZLiveServerMessage = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('snapshot'), ticks: z.array(ZLiveTick) }),
    z.strictObject({ type: z.literal('ticks'), ticks: z.array(ZLiveTick) }),
    z.strictObject({ type: z.literal('subscribed'), symbols: z.array(z.string()) }),
    z.strictObject({ type: z.literal('pong') }),
    z.strictObject({ type: z.literal('error'), detail: z.string() }),
  ])
  .openapi('LiveServerMessage', {
    description:
      '`snapshot`: the latest tick of each newly subscribed symbol; `ticks`: new ticks (the latest per symbol when the client reads slower than they come: `seq` gaps); `subscribed`: the symbols now subscribed; `pong`: the answer to `ping`; `error`: a message that was not understood (the connection stays open).',
  });
export type TLiveServerMessage = z.infer<typeof ZLiveServerMessage>;
