import { z } from 'zod';
import { FEED_GROUP, FEED_KIND, FEED_PLURAL, FEED_VERSION, ZFeedSpec, ZFeedStatus } from './feed.schema.ts';

type TSchema = Record<string, unknown>;

/**
 * A zod schema as a Kubernetes structural schema: OpenAPI 3.0 from zod, without what the API server
 * refuses (`additionalProperties: false` beside `properties`, `$schema`); unknown fields are pruned by
 * the server instead, which is what structural schemas do.
 */
export function structural(schema: z.ZodType): TSchema {
  const clean = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(clean);
    if (!node || typeof node !== 'object') return node;
    const out: TSchema = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === '$schema' || (key === 'additionalProperties' && value === false)) continue;
      out[key] = clean(value);
    }
    return out;
  };
  return clean(z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' })) as TSchema;
}

/** The MarketDataFeed CustomResourceDefinition (charts/trading-backend/crds/), from the zod schemas. */
export function feedCrd() {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${FEED_PLURAL}.${FEED_GROUP}` },
    spec: {
      group: FEED_GROUP,
      scope: 'Namespaced',
      names: {
        kind: FEED_KIND,
        listKind: `${FEED_KIND}List`,
        plural: FEED_PLURAL,
        singular: 'marketdatafeed',
        shortNames: ['mdf', 'feed'],
      },
      versions: [
        {
          name: FEED_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Provider', type: 'string', jsonPath: '.spec.provider' },
            { name: 'Top', type: 'integer', jsonPath: '.spec.topN' },
            { name: 'Schedule', type: 'string', jsonPath: '.spec.schedule' },
            { name: 'Suspended', type: 'boolean', jsonPath: '.spec.suspend' },
            { name: 'Ready', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].status" },
            { name: 'Last result', type: 'string', jsonPath: '.status.lastResult' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description:
                'A schedule of market data syncs, reconciled by the trading-backend operator into CronJobs.',
              required: ['spec'],
              properties: { spec: structural(ZFeedSpec), status: structural(ZFeedStatus) },
            },
          },
        },
      ],
    },
  };
}
