#!/usr/bin/env bash
# npm run bench: starts PostgreSQL and Redis, installs wrk (Debian package) when missing, then runs the
# benchmarks (scripts/bench/run.ts; its header lists the options).
source "$(dirname "$0")/lib/common.sh"
"$ROOT/scripts/services.sh" start >/dev/null
ensure_commands wrk:wrk
ensure_node
cd "$ROOT"
exec node scripts/bench/run.ts "$@"
