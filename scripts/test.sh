#!/usr/bin/env bash
# npm test: starts PostgreSQL and Redis when needed, then runs every test (unit and integration) on Node 24.
#   npm test                       all tests
#   npm test -- api/test/cache.int.test.ts   selected files
source "$(dirname "$0")/lib/common.sh"
"$ROOT/scripts/services.sh" start
CHART_TOOLS="$("$ROOT/scripts/chart-tools.sh")"
export PATH="$CHART_TOOLS:$PATH"
ensure_node
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$PATH"
if [ "$#" -gt 0 ]; then files=("$@"); else
  mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.test.ts' | sort)
fi
exec node --test --test-concurrency="${TEST_CONCURRENCY:-2}" --test-timeout=120000 --test-reporter=spec "${files[@]}"
