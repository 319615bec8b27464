#!/usr/bin/env bash
# npm run dev: provisions what is missing (Node 24, PostgreSQL, Redis, npm packages), migrates, loads
# the bundled real CoinGecko data when the database is empty, then runs the API (port 8000) and the
# worker with the internal scheduler on the offline replay provider, in the foreground until Ctrl-C.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/supervise.sh"
"$ROOT/scripts/services.sh" start
ensure_node
cd "$ROOT"
load_dotenv
ensure_dev_admin
ensure_secret_key
export NODE_ENV="${NODE_ENV:-development}"
export SCHEDULER="${SCHEDULER:-internal}"
# The cache store services.sh runs beside the queue store (docs/reliability.md).
export CACHE_REDIS_URL="${CACHE_REDIS_URL:-redis://127.0.0.1:6380}"
# The bundled history reaches back to 2015 (shifted); keep it locally instead of letting the daily cleanup delete it.
export HISTORY_RETENTION_DAYS="${HISTORY_RETENTION_DAYS:-5000}"
node core/market/bundled/seed-cli.ts --prepare
log "API on http://localhost:${PORT:-8000} (docs: /docs); Ctrl-C stops everything"
# The tracing preload: OpenTelemetry when OTEL_EXPORTER_OTLP_ENDPOINT is set (.env), nothing otherwise.
trace=--import=./core/platform/tracing/register.ts
processes=("node $trace --watch-path=api --watch-path=core api/main.ts")
[ -f worker/main.ts ] && processes+=("node $trace --watch-path=worker --watch-path=core worker/main.ts")
supervise "${processes[@]}"
