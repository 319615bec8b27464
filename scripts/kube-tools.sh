#!/usr/bin/env bash
# Builds the Kubernetes control plane the tests run on loopback into .tools/kube-<version>/: kube-apiserver,
# kube-controller-manager and kubectl from k8s.io/kubernetes (scripts/kube-tools/go.mod pins the release and
# its staging modules), and etcd 3.6 from scripts/etcd-tool (Debian's etcd 3.4 breaks this API server's
# watches). Everything comes from the Go module proxy: about 7 minutes and 2 GB of memory cold, seconds
# when the Go build cache is warm, nothing when the binaries for these versions exist. Prints the folder.
#   --node   also the node's binaries for npm run cluster: kubelet, kube-scheduler, kube-proxy (same
#            release; about 5 more minutes cold, seconds warm)
source "$(dirname "$0")/lib/common.sh"
NODE=0
[ "${1:-}" = --node ] && NODE=1
K8S_VERSION=v1.36.3
ETCD_VERSION=v3.6.16
BIN="$TOOLS_DIR/kube-$K8S_VERSION-etcd-$ETCD_VERSION"
node_ready() { [ "$NODE" = 0 ] || { [ -x "$BIN/kubelet" ] && [ -x "$BIN/kube-scheduler" ] && [ -x "$BIN/kube-proxy" ]; }; }
if [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/kube-controller-manager" ] && [ -x "$BIN/kubectl" ] && [ -x "$BIN/etcd" ] && node_ready; then
  echo "$BIN"
  exit 0
fi
ensure_go
mkdir -p "$BIN"
minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
# Without the version stamps the server reports v0.0.0-master and charts with kubeVersion refuse it.
stamp=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  stamp="$stamp -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  stamp="$stamp -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
if ! [ -x "$BIN/kube-apiserver" ] || ! [ -x "$BIN/kube-controller-manager" ] || ! [ -x "$BIN/kubectl" ]; then
  log "building kube-apiserver, kube-controller-manager and kubectl $K8S_VERSION (go build; cold: minutes)"
  (cd "$ROOT/scripts/kube-tools" && go build -trimpath -ldflags "-s -w $stamp" -o "$BIN/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl) >&2
fi
if ! [ -x "$BIN/etcd" ]; then
  log "building etcd $ETCD_VERSION"
  (cd "$ROOT/scripts/etcd-tool" && go build -trimpath -ldflags "-s -w" -o "$BIN/etcd" .) >&2
fi
if ! node_ready; then
  log "building kubelet, kube-scheduler and kube-proxy $K8S_VERSION (go build; cold: minutes)"
  (cd "$ROOT/scripts/kube-tools" && go build -trimpath -ldflags "-s -w $stamp" -o "$BIN/" \
    k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kube-proxy) >&2
fi
echo "$BIN"
