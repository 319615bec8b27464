import { OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { registry } from './registry.ts';
// Route modules register their paths when loaded; importing them here makes the document complete
// wherever it is generated (the app, the export script, the conformance tests).
import '../routes/market/market.routes.ts';
import '../routes/jobs/jobs.routes.ts';
import '../routes/risk/risk.routes.ts';
import '../routes/system/system.routes.ts';

export type TOpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

/** The OpenAPI 3.1 document, generated from the zod schemas the routes validate with. */
export function generateOpenApiDocument(version: string): TOpenApiDocument {
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'trading-backend API',
      version,
      description:
        'Real-time cryptocurrency market data, risk assessment and portfolio management. ' +
        'Errors are RFC 9457 application/problem+json. Data provided by CoinGecko.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'Market data', description: 'Listings, detail, history and top lists' },
      { name: 'Risk', description: 'Volatility, VaR/CVaR, drawdown, ratios, beta and correlations' },
      { name: 'Jobs', description: 'Trigger ingestion and follow its jobs' },
      { name: 'System', description: 'Health, readiness, metrics and documentation' },
    ],
  });
}
