#!/usr/bin/env bash
# npm start: the built system (dist/) in production mode, with the same defaults as npm run dev.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/supervise.sh"
"$ROOT/scripts/services.sh" start
ensure_node
cd "$ROOT"
load_dotenv
ensure_dev_admin
if [ ! -f dist/api/main.js ] || [ -n "$(find api core worker -name '*.ts' -newer dist/api/main.js -print -quit)" ]; then
  log "building (npm run build)"
  npm run build --silent
fi
export NODE_ENV=production
export SCHEDULER="${SCHEDULER:-internal}"
# The cache store services.sh runs beside the queue store (docs/reliability.md).
export CACHE_REDIS_URL="${CACHE_REDIS_URL:-redis://127.0.0.1:6380}"
export HISTORY_RETENTION_DAYS="${HISTORY_RETENTION_DAYS:-5000}"
# Production mode requires a secret; for a local run, the installation's own (.run/secret-key).
ensure_secret_key
node dist/core/market/bundled/seed-cli.js --prepare
# The tracing preload: OpenTelemetry when OTEL_EXPORTER_OTLP_ENDPOINT is set (.env), nothing otherwise.
node=(node --enable-source-maps --import=./dist/core/platform/tracing/register.js)
processes=("${node[*]} dist/api/main.js")
[ -f dist/worker/main.js ] && processes+=("${node[*]} dist/worker/main.js")
supervise "${processes[@]}"
