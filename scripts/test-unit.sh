#!/usr/bin/env bash
# npm run test:unit: the pure-logic tests (risk math, config, validation, providers' mappers...). They need
# nothing but Node: no PostgreSQL, Redis or chart tools are started.
source "$(dirname "$0")/lib/common.sh"
ensure_node
ensure_deps
# poppler-utils: the report tests read their PDFs back with them (a Debian package, not a service).
TEST_PDF_TOOLS="$("$ROOT/scripts/pdf-tools.sh")"
export TEST_PDF_TOOLS
cd "$ROOT"
exec node --experimental-vm-modules "$ROOT/node_modules/jest/bin/jest.js" --selectProjects unit "$@"
