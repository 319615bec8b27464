#!/usr/bin/env bash
# Installs the delivery toolchain into .tools/bin when missing: Helm and kubeconform from the Go module
# proxy, compose-config (compose-go, the loader of docker compose) built from scripts/compose-config,
# and Prometheus/promtool from Debian's packages. Go itself is provisioned when missing or older than
# 1.26 (ensure_go in lib/common.sh). Idempotent; prints the bin folder.
source "$(dirname "$0")/lib/common.sh"
HELM_VERSION=v3.22.0
KUBECONFORM_VERSION=v0.8.0
BIN="$TOOLS_DIR/bin"
mkdir -p "$BIN"

go_ready=0
need_go() { [ "$go_ready" = 1 ] || { ensure_go; go_ready=1; }; }
if [ ! -x "$BIN/helm" ] || ! "$BIN/helm" version --short 2>/dev/null | grep -q "^${HELM_VERSION%.*}"; then
  need_go
  log "building helm $HELM_VERSION (go install)"
  GOBIN="$BIN" GOFLAGS="$GOFLAGS -mod=mod" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2
fi
if [ ! -x "$BIN/kubeconform" ]; then
  need_go
  log "building kubeconform $KUBECONFORM_VERSION (go install)"
  GOBIN="$BIN" go install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION" >&2
fi
if [ ! -x "$BIN/compose-config" ] || [ "$ROOT/scripts/compose-config/main.go" -nt "$BIN/compose-config" ]; then
  need_go
  log "building compose-config"
  (cd "$ROOT/scripts/compose-config" && go build -o "$BIN/compose-config" .) >&2
fi
if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
  apt_install prometheus
fi
echo "$BIN"
