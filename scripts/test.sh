#!/usr/bin/env bash
# npm test: starts PostgreSQL and Redis (and builds the chart tools, the Kubernetes control plane and the
# OpenTelemetry Collector) when needed, then runs Jest on Node 24.
#   npm test                          every test, with coverage (thresholds enforced) and reports/junit.xml
#   npm test -- api/http/response-cache        only the test files whose path matches (no coverage thresholds)
#   npm test -- -t 'cache HIT'        only the tests whose name matches
#   npm run test:watch                re-runs the tests related to changed files
#   npm run test:coverage             every test, plus the per-file coverage table
#   npm run test:unit                 pure-logic tests only: no services, nothing but Node (scripts/test-unit.sh)
source "$(dirname "$0")/lib/common.sh"
"$ROOT/scripts/services.sh" start
CHART_TOOLS="$("$ROOT/scripts/chart-tools.sh")"
export PATH="$CHART_TOOLS:$PATH"
TEST_PYTHON_BIN="$("$ROOT/scripts/python-test-tools.sh")"
# poppler-utils (pdftotext, pdfinfo, pdffonts, pdftoppm): the report tests read their PDFs back with them.
TEST_PDF_TOOLS="$("$ROOT/scripts/pdf-tools.sh")"
export TEST_PDF_TOOLS
export TEST_PYTHON_BIN
# The Kubernetes control plane the operator and chart-install tests run (cold build: minutes, once).
TEST_KUBE_BIN="$("$ROOT/scripts/kube-tools.sh")"
export TEST_KUBE_BIN
# The OpenTelemetry Collector the tracing test sends spans through (cold build: a minute or two, once).
TEST_OTELCOL_BIN="$("$ROOT/scripts/otel-collector.sh")"
export TEST_OTELCOL_BIN
ensure_node
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$PATH"

args=()
mode="${1:-}"
case "$mode" in
  --watch) shift; args=(--watch) ;;
  --coverage-table) shift; args=(--coverage --coverageReporters=text --coverageReporters=text-summary --coverageReporters=lcov) ;;
esac
# A whole-suite run measures coverage against the thresholds in jest.config.js; a filtered run would
# fall short of them by construction, so it runs without.
if [ "$#" -eq 0 ] && [ "${#args[@]}" -eq 0 ]; then args=(--coverage); fi
exec node --experimental-vm-modules "$ROOT/node_modules/jest/bin/jest.js" "${args[@]}" "$@"
