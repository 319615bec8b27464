#!/usr/bin/env bash
# Runs a command on the project's Node 24 (provisioned into .tools/ when the system Node is older),
# with node_modules/.bin on PATH. Every npm script goes through here so that dev, tests and CI
# all run on the same runtime.
source "$(dirname "$0")/lib/common.sh"
ensure_node
ensure_deps
export PATH="$ROOT/node_modules/.bin:$PATH"
cd "$ROOT"
exec "$@"
