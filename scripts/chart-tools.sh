#!/usr/bin/env bash
# Installs the delivery toolchain into .tools/bin when missing: Helm and kubeconform from the Go module
# proxy, compose-config (compose-go, the loader of docker compose) built from scripts/compose-config,
# and Prometheus/promtool from Debian's packages. Idempotent; prints the bin folder.
source "$(dirname "$0")/lib/common.sh"
HELM_VERSION=v3.22.0
KUBECONFORM_VERSION=v0.8.0
BIN="$TOOLS_DIR/bin"
# Go is preinstalled on the project's machines, not always on PATH in non-login shells.
command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { log "Go is needed to build helm and kubeconform (https://go.dev/dl)"; exit 1; }
mkdir -p "$BIN"

if [ ! -x "$BIN/helm" ] || ! "$BIN/helm" version --short 2>/dev/null | grep -q "^${HELM_VERSION%.*}"; then
  log "building helm $HELM_VERSION (go install)"
  GOBIN="$BIN" GOFLAGS=-mod=mod go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2
fi
if [ ! -x "$BIN/kubeconform" ]; then
  log "building kubeconform $KUBECONFORM_VERSION (go install)"
  GOBIN="$BIN" go install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION" >&2
fi
if [ ! -x "$BIN/compose-config" ] || [ "$ROOT/scripts/compose-config/main.go" -nt "$BIN/compose-config" ]; then
  log "building compose-config"
  (cd "$ROOT/scripts/compose-config" && go build -o "$BIN/compose-config" .) >&2
fi
if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
  apt_install prometheus
fi
echo "$BIN"
