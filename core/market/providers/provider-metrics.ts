import { Counter, Gauge, type Registry } from 'prom-client';

export type TProviderMetrics = ReturnType<typeof createProviderMetrics>;

export function createProviderMetrics(registry: Registry) {
  return {
    requests: new Counter({
      name: 'provider_requests_total',
      help: 'Calls to market data providers by provider and outcome',
      labelNames: ['provider', 'outcome'],
      registers: [registry],
    }),
    credits: new Counter({
      name: 'provider_credits_used_total',
      help: 'API credits reported as used by the provider (CoinMarketCap status.credit_count)',
      labelNames: ['provider'],
      registers: [registry],
    }),
    cooldowns: new Counter({
      name: 'provider_cooldowns_total',
      help: 'Rate limits (HTTP 429 and the like) that put a provider in a cooldown shared by all workers',
      labelNames: ['provider'],
      registers: [registry],
    }),
    circuit: new Gauge({
      name: 'provider_circuit_open',
      help: '1 while the provider circuit breaker is open',
      labelNames: ['provider'],
      registers: [registry],
    }),
  };
}
