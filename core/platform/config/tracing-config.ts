import { z } from 'zod';

/**
 * OpenTelemetry tracing (issue #26): off unless OTEL_EXPORTER_OTLP_ENDPOINT is set. The names are the
 * OpenTelemetry SDK's own, so an operator's usual settings work; the values reach the SDK only through
 * this schema (core/platform/tracing/sdk.ts passes them explicitly).
 */
export const TRACING_SETTINGS = {
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .url()
    .optional()
    .describe(
      'OTLP/HTTP base URL of a collector, Tempo or Jaeger (traces go to <url>/v1/traces); unset: no tracing',
    ),
  OTEL_TRACES_SAMPLER_ARG: z.coerce
    .number()
    .min(0)
    .max(1)
    .default(1)
    .describe(
      'Share of new traces recorded (parent-based trace-id ratio: a sampled caller is always followed)',
    ),
  OTEL_SERVICE_NAME: z
    .string()
    .min(1)
    .optional()
    .describe("Service name on the spans (default: the process's, e.g. trading-backend-api)"),
};

const ZTracing = z.object(TRACING_SETTINGS);
export type TTracingConfig = z.output<typeof ZTracing>;

/**
 * The tracing part alone, for the preload (core/platform/tracing/register.ts), which runs before the
 * process's own loadConfig. An invalid value turns tracing off here; the root's loadConfig then stops
 * the process with the message.
 */
export function loadTracingConfig(env: NodeJS.ProcessEnv = process.env): TTracingConfig | null {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = ZTracing.safeParse(present);
  return result.success ? result.data : null;
}
