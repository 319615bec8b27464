#!/usr/bin/env bash
# The short load pass CI runs: the real API and worker on the real PostgreSQL and Redis (started by
# services.sh), bundled data loaded, then the smoke scenario and a shortened load scenario.
source "$(dirname "$0")/lib/common.sh"
ensure_node
ensure_commands curl:curl
mkdir -p "$RUN_DIR"
cd "$ROOT"
# A key of this run only: production refuses the ones published in this repository.
SECRET_KEY="$(node -e "process.stdout.write(require('crypto').randomBytes(32).toString('hex'))")"
export NODE_ENV=production SECRET_KEY LOG_LEVEL=warn \
  PORT="${PORT:-8000}" WORKER_PORT="${WORKER_PORT:-9100}" RATE_LIMIT_PER_MINUTE=1000000 \
  HISTORY_RETENTION_DAYS=5000 MARKET_DATA_PROVIDER=replay \
  CACHE_REDIS_URL="${CACHE_REDIS_URL:-redis://127.0.0.1:6380}"
if curl -s "http://127.0.0.1:$PORT/livez" >/dev/null 2>&1; then
  log "port $PORT is already serving something; stop it (or set PORT) so the load test measures this build"; exit 1
fi
node core/platform/db/migrate.ts run
node core/market/bundled/seed-cli.ts --prepare
node api/main.ts > "$RUN_DIR/loadtest-api.log" 2>&1 &
api=$!
node worker/main.ts > "$RUN_DIR/loadtest-worker.log" 2>&1 &
worker=$!
trap 'kill -TERM $api $worker 2>/dev/null; wait $api $worker 2>/dev/null || true' EXIT
# Both must be ready: the load scenarios trigger syncs that only the worker completes.
wait_ready() { # name url pid log
  for _ in $(seq 1 100); do curl -sf "$2" >/dev/null && return 0; kill -0 "$3" 2>/dev/null || break; sleep 0.2; done
  log "the $1 did not become ready ($2):"; cat "$4" >&2; exit 1
}
wait_ready API "http://127.0.0.1:$PORT/readyz" "$api" "$RUN_DIR/loadtest-api.log"
wait_ready worker "http://127.0.0.1:$WORKER_PORT/readyz" "$worker" "$RUN_DIR/loadtest-worker.log"
# The sync trigger needs credentials: a service account of its own for this run (the database may be
# reused from an earlier run), made with the operators' CLI, and its API key with jobs:trigger only.
email="loadtest-$(date +%s)-$$@example.com"
password="$(node -e "process.stdout.write(require('crypto').randomBytes(18).toString('base64url'))")"
printf '%s' "$password" | node core/auth/admin-cli.ts create-user --email "$email" --role service >/dev/null
token="$(curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\"}" | node -e "process.stdout.write(JSON.parse(require('fs').readFileSync(0)).access_token)")"
API_KEY="$(curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/api-keys" -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"name":"load test","scopes":["jobs:trigger"]}' | node -e "process.stdout.write(JSON.parse(require('fs').readFileSync(0)).key)")"
export API_KEY
node scripts/loadtest.ts smoke --base-url "http://127.0.0.1:$PORT"
node scripts/loadtest.ts load --scale "${LOADTEST_SCALE:-0.25}" --base-url "http://127.0.0.1:$PORT"
