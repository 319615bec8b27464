#!/usr/bin/env bash
# Skaffold against npm run cluster, with no Docker daemon and no outside registry:
#   bash scripts/skaffold.sh tools          builds skaffold (scripts/skaffold-tool, Go module proxy) and a
#                                           registry (distribution) into .tools/bin; prints the folder
#   bash scripts/skaffold.sh run [args]     skaffold run -p cluster against the running npm run cluster
# Skaffold's local builder needs a Docker daemon unless it pushes, and reads the digest of what it pushed
# back from the registry: a registry on loopback (127.0.0.1:5000, storage in .run/registry) takes the push,
# and scripts/image.sh --skaffold also imports the image into the cluster's containerd, so the kubelet
# never pulls. The registry is stopped again when the command ends.
source "$(dirname "$0")/lib/common.sh"
SKAFFOLD_VERSION=v2.16.1
REGISTRY_VERSION=v3.0.0
REGISTRY=127.0.0.1:5000
BIN="$TOOLS_DIR/bin"
mkdir -p "$BIN"

tools() {
  if [ ! -x "$BIN/skaffold" ] || ! "$BIN/skaffold" version 2>/dev/null | grep -q "^$SKAFFOLD_VERSION"; then
    ensure_go
    log "building skaffold $SKAFFOLD_VERSION (go build; cold: about 10 minutes)"
    (cd "$ROOT/scripts/skaffold-tool" && go build -trimpath \
      -ldflags "-s -w -X github.com/GoogleContainerTools/skaffold/v2/pkg/skaffold/version.version=$SKAFFOLD_VERSION" \
      -o "$BIN/skaffold" github.com/GoogleContainerTools/skaffold/v2/cmd/skaffold) >&2
  fi
  if [ ! -x "$BIN/registry" ]; then
    ensure_go
    log "building the registry (distribution $REGISTRY_VERSION)"
    GOBIN="$BIN" go install "github.com/distribution/distribution/v3/cmd/registry@$REGISTRY_VERSION" >&2
  fi
  echo "$BIN"
}

run() {
  tools >/dev/null
  CHART_TOOLS="$("$ROOT/scripts/chart-tools.sh")"
  set -a
  eval "$("$ROOT/scripts/cluster.sh" env)"
  set +a
  export PATH="$BIN:$CHART_TOOLS:$CLUSTER_BIN:$PATH"
  mkdir -p "$RUN_DIR/registry"
  cat > "$RUN_DIR/registry/config.yml" <<CONFIG
version: 0.1
storage:
  filesystem:
    rootdirectory: $RUN_DIR/registry/data
http:
  addr: $REGISTRY
log:
  level: warn
CONFIG
  "$BIN/registry" serve "$RUN_DIR/registry/config.yml" >"$RUN_DIR/registry/registry.log" 2>&1 &
  REGISTRY_PID=$!
  trap 'kill "$REGISTRY_PID" 2>/dev/null || true' EXIT
  for _ in $(seq 1 50); do curl -fs "http://$REGISTRY/v2/" >/dev/null && break; sleep 0.2; done
  cd "$ROOT"
  SKAFFOLD_UPDATE_CHECK=false SKAFFOLD_INTERACTIVE=false "$BIN/skaffold" run -p cluster \
    --default-repo "$REGISTRY" --insecure-registry "$REGISTRY" --cache-artifacts=false \
    --status-check=true "$@"
}

case "${1:-}" in
  tools) tools ;;
  run) shift; run "$@" ;;
  *) echo "usage: scripts/skaffold.sh tools|run [skaffold args]" >&2; exit 2 ;;
esac
