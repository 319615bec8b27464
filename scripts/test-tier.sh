#!/usr/bin/env bash
# The test tiers apart from npm test (each takes minutes and needs root, buildah and runc):
#   npm run test:image     builds the image (scripts/image.sh) and runs its entrypoints as containers
#                          with the chart's securityContext (test/image/*.image.test.ts)
#   npm run test:cluster   builds the image, starts the one-node cluster (scripts/cluster.sh up), imports
#                          the image, runs test/cluster/*.cluster.test.ts and always takes the cluster down
# Extra arguments go to Jest (a path fragment, -t 'name').
source "$(dirname "$0")/lib/common.sh"
tier="${1:?usage: test-tier.sh image|cluster [jest args]}"
shift
"$ROOT/scripts/services.sh" start
ensure_node
CHART_TOOLS="$("$ROOT/scripts/chart-tools.sh")"
export PATH="$CHART_TOOLS:$ROOT/node_modules/.bin:$PATH"
TEST_KUBE_BIN="$("$ROOT/scripts/kube-tools.sh")"
export TEST_KUBE_BIN
TEST_IMAGE="$("$ROOT/scripts/image.sh")"
export TEST_IMAGE TEST_BUILDAH_DIR="${BUILDAH_DIR:-$TOOLS_DIR/buildah}"
if [ "$tier" = cluster ]; then
  if ! why="$("$ROOT/scripts/cluster.sh" check)"; then
    log "this machine cannot run the cluster tier: $why"
    exit 1
  fi
  trap '"$ROOT/scripts/cluster.sh" down' EXIT
  "$ROOT/scripts/cluster.sh" up
  "$ROOT/scripts/cluster.sh" load "$RUN_DIR/images/$(echo "$TEST_IMAGE" | tr '/:@' '___').tar"
  set -a
  # KUBECONFIG, CLUSTER_BIN, CLUSTER_HOST_ADDRESS, CLUSTER_NODE
  eval "$("$ROOT/scripts/cluster.sh" env)"
  set +a
  export TEST_CLUSTER=1
  # Skaffold (test/cluster/skaffold.cluster.test.ts) only when asked: building it cold takes ~12 minutes.
  if [ "${TEST_SKAFFOLD:-0}" = 1 ]; then "$ROOT/scripts/skaffold.sh" tools >/dev/null; fi
fi
cd "$ROOT"
# One file at a time: the cluster and the image's containers are one per machine.
TEST_TIER="$tier" node --experimental-vm-modules "$ROOT/node_modules/jest/bin/jest.js" --runInBand "$@"
