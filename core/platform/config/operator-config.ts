import { z } from 'zod';

/** The operator's settings (operator/main.ts): its namespace, probes, Lease and the trigger Jobs it makes. */
export const OPERATOR_SETTINGS = {
  OPERATOR_NAMESPACE: z
    .string()
    .min(1)
    .default('default')
    .describe('Namespace whose MarketDataFeeds the operator reconciles'),
  OPERATOR_PORT: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(9300)
    .describe('Operator /livez, /readyz, /metrics'),
  OPERATOR_LEASE_NAME: z.string().min(1).default('trading-backend-operator'),
  OPERATOR_LEASE_SECONDS: z.coerce.number().int().min(2).max(300).default(15),
  OPERATOR_IDENTITY: z
    .string()
    .min(1)
    .optional()
    .describe('Lease holder identity (default: host name and pid)'),
  KUBECONFIG: z
    .string()
    .min(1)
    .optional()
    .describe('kubeconfig file; without it the in-cluster service account'),
  OPERATOR_TRIGGER_TEMPLATE: z
    .string()
    .default('{"spec":{"containers":[{"name":"trigger","image":"trading-backend:latest"}]}}')
    .transform((value, ctx) => {
      try {
        const template = JSON.parse(value) as {
          metadata?: { labels?: Record<string, string> };
          spec?: { containers?: unknown[] };
        };
        if (Array.isArray(template.spec?.containers) && template.spec.containers.length > 0)
          return template as {
            metadata?: { labels?: Record<string, string> };
            spec: Record<string, unknown> & { containers: Record<string, unknown>[] };
          };
      } catch {
        // reported below
      }
      ctx.addIssue({
        code: 'custom',
        message: 'must be the JSON of a pod template ({metadata, spec}) with at least one container',
      });
      return z.NEVER;
    })
    .describe(
      'Pod template (JSON: labels and spec) of the trigger Jobs the operator’s CronJobs run; the chart renders it',
    ),
};
