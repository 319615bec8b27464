// The tracing preload: `node --import ./core/platform/tracing/register.ts <entry>` (the image, npm start,
// npm run dev and the chart's pods, through the image's entrypoint, start every process with it). With
// OTEL_EXPORTER_OTLP_ENDPOINT unset it reads the tracing settings and returns: no SDK, no loader hook,
// nothing patched. With it set, it registers the ES-module loader hook (import-in-the-middle, so the
// instrumentations can patch http, pg, ioredis and undici, which the entry imports as ES modules) and
// starts the SDK, both before the entry is loaded.
import { register } from 'node:module';
import path from 'node:path';
import { loadTracingConfig } from '../config/tracing-config.ts';

/** trading-backend-api, -worker, -trigger, -operator…: the entry's own name (as its logger's). */
export function serviceNameOf(entry: string | undefined): string {
  const parts = (entry ?? '').split(path.sep);
  const file = path.basename(parts.at(-1) ?? '', path.extname(parts.at(-1) ?? ''));
  const folder = parts.at(-2) ?? '';
  const role = file === 'main' ? folder : file.replace(/-cli$/, '');
  return `trading-backend-${role || 'node'}`;
}

/** The modules the instrumentations of ./sdk.ts patch. */
const INSTRUMENTED_MODULES = ['http', 'https', 'pg', 'pg-pool', 'ioredis', 'undici'];

const config = loadTracingConfig();
if (config?.OTEL_EXPORTER_OTLP_ENDPOINT) {
  // Only the instrumented packages are wrapped: the hook's proxies on every module (ours included) cost
  // more per request than the spans (docs/benchmarks.md, Tracing).
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, {
    data: { include: INSTRUMENTED_MODULES },
  });
  const [{ startTracing }, { APP_VERSION }] = await Promise.all([
    import('./sdk.ts'),
    import('../version.ts'),
  ]);
  startTracing({
    endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
    samplingRatio: config.OTEL_TRACES_SAMPLER_ARG,
    serviceName: config.OTEL_SERVICE_NAME ?? serviceNameOf(process.argv[1]),
    serviceVersion: APP_VERSION,
  });
}
