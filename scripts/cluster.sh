#!/usr/bin/env bash
# npm run cluster -- up|load|down|check|env: a one-node Kubernetes with a real kubelet on this machine,
# no Docker and no registry: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet and
# kube-proxy built from the Go module proxy (scripts/kube-tools.sh --node), containerd and runc and the
# CNI bridge plugin from Debian, CoreDNS built from the Go module proxy (scripts/coredns), a pause image
# built from the kubelet's own pause.c. Every image is imported locally (charts use IfNotPresent).
#   check   can this machine run it? (root, cgroups, netfilter, bridge); prints why not, exits 1
#   up      starts it (minutes cold: binaries, CoreDNS; about 20 s warm) and waits for CoreDNS Ready
#   load    imports image archives (default: every .run/images/*.tar that npm run image wrote)
#   tag     tags an imported image anew (tag SOURCE TARGET), as a push of a new tag would
#   env     prints KUBECONFIG=... and the addresses pods reach the host's PostgreSQL and Redis on
#   down    stops everything and removes what it made on the host (iptables chains, the bridge, cgroups)
# Host-wide: iptables, a bridge, cgroups, /var/lib/cni, /var/log/pods and fixed ports (10248-10259): one
# per machine, root only; `down` always (the test tier traps it). PostgreSQL and Redis stay outside the
# cluster (the shared ones on loopback): socat forwards them on the bridge's address, for pods only.
# Network rule: pods reach loopback services through that forward and each other; no masquerading out,
# no upstream DNS (CoreDNS answers cluster names only), no pulls.
source "$(dirname "$0")/lib/common.sh"

DIR="${CLUSTER_DIR:-$RUN_DIR/cluster}"
PKI="$DIR/pki"
SOCK="$DIR/containerd/containerd.sock"
BRIDGE=tbbr0
POD_CIDR=10.244.0.0/24
GATEWAY=10.244.0.1
SERVICE_CIDR=10.96.0.0/24
DNS_IP=10.96.0.10
API_PORT=16443
NODE_NAME="$(hostname | tr 'A-Z_' 'a-z-')"
# Host services pods reach on the bridge address (socat, see above): port=target.
FORWARDS=(5432=127.0.0.1:5432 6379=127.0.0.1:6379 6380=127.0.0.1:6380)

node_ip() { ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | grep -v "^${GATEWAY}$" | head -1; }
ctr_() { ctr --address "$SOCK" -n k8s.io "$@"; }
kubectl_() { "$BIN/kubectl" --kubeconfig "$DIR/admin.kubeconfig" "$@"; }

check() {
  local problems=()
  [ "$(id -u)" = 0 ] || problems+=("not root (the kubelet, containerd and kube-proxy need root)")
  [ -d /sys/fs/cgroup/memory ] || [ -f /sys/fs/cgroup/cgroup.controllers ] || problems+=("no memory cgroup")
  [ -w /sys/fs/cgroup ] || problems+=("/sys/fs/cgroup is not writable")
  # The kernel's netfilter is what counts: `up` installs the iptables command itself (a fresh machine lacks it).
  [ -e /proc/net/ip_tables_names ] || modprobe ip_tables 2>/dev/null || [ -e /proc/net/ip_tables_names ] ||
    problems+=("no iptables in the kernel (ip_tables)")
  command -v iptables >/dev/null || [ -x /usr/sbin/iptables ] || command -v apt-get >/dev/null ||
    problems+=("no iptables and no apt-get to install it")
  [ -e /proc/sys/net/bridge ] || modprobe br_netfilter 2>/dev/null || [ -e /proc/sys/net/bridge ] ||
    problems+=("no bridge netfilter (br_netfilter)")
  command -v apt-get >/dev/null || command -v containerd >/dev/null || problems+=("no containerd and no apt-get to install it")
  for port in 10248 10249 10250 10256 10257 10259 "$API_PORT"; do
    if ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then problems+=("port $port is taken (another cluster?)"); fi
  done
  if [ "${#problems[@]}" -gt 0 ]; then
    printf 'unsupported: %s\n' "${problems[@]}"
    return 1
  fi
  echo "supported"
}

provision() {
  ensure_commands containerd:containerd runc:runc iptables:iptables openssl:openssl socat:socat \
    buildah:buildah gcc:gcc conntrack:conntrack
  [ -x /usr/lib/cni/bridge ] || apt_install containernetworking-plugins
  [ -f /usr/include/stdio.h ] || apt_install libc6-dev
  BIN="$("$ROOT/scripts/kube-tools.sh" --node)"
}

buildah_() { buildah --root "$TOOLS_DIR/buildah/root" --runroot "$TOOLS_DIR/buildah/runroot" --storage-driver vfs "$@"; }

# pause (the sandbox image) from the kubelet's own pause.c, and a minimal CoreDNS: FROM scratch, static.
build_images() {
  mkdir -p "$TOOLS_DIR/cluster-images"
  local pause_tar="$TOOLS_DIR/cluster-images/pause.tar" dns_tar="$TOOLS_DIR/cluster-images/coredns.tar" src c
  if [ ! -s "$pause_tar" ]; then
    ensure_go
    src="$(cd "$ROOT/scripts/kube-tools" && go list -m -f '{{.Dir}}' k8s.io/kubernetes)/build/pause/linux/pause.c"
    log "building the pause image from $src"
    gcc -Os -Wall -Werror -static -DVERSION=v3.10-local -o "$DIR/pause" "$src" && strip "$DIR/pause"
    c="$(buildah_ from scratch)"
    buildah_ copy "$c" "$DIR/pause" /pause >/dev/null
    buildah_ config --entrypoint '["/pause"]' --user 65535:65535 "$c"
    buildah_ commit --quiet --format docker --rm "$c" localhost/pause:local >/dev/null
    buildah_ push --quiet localhost/pause:local "docker-archive:$pause_tar:localhost/pause:local"
  fi
  if [ ! -s "$dns_tar" ]; then
    ensure_go
    log "building CoreDNS (scripts/coredns; cold: about 2 minutes)"
    (cd "$ROOT/scripts/coredns" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$DIR/coredns" .) >&2
    c="$(buildah_ from scratch)"
    buildah_ copy "$c" "$DIR/coredns" /coredns >/dev/null
    buildah_ config --entrypoint '["/coredns"]' --user 65532:65532 "$c"
    buildah_ commit --quiet --format docker --rm "$c" localhost/coredns:local >/dev/null
    buildah_ push --quiet localhost/coredns:local "docker-archive:$dns_tar:localhost/coredns:local"
  fi
}

cert() { # name subject [extensions]
  local name="$1" subject="$2" ext="${3:-}"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$PKI/$name.key" -subj "$subject" -out "$PKI/$name.csr" 2>/dev/null
  printf '%s\n' "$ext" > "$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial -days 30 \
    -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
}

kubeconfig() { # file user token
  cat > "$1" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: local, cluster: {server: "https://127.0.0.1:$API_PORT", certificate-authority: "$PKI/ca.crt"}}]
users: [{name: "$2", user: {token: "$3"}}]
contexts: [{name: local, context: {cluster: local, user: "$2"}}]
current-context: local
EOF
}

start_bg() { # name command...
  local name="$1"; shift
  # Without the caller's other descriptors: a daemon must not keep a lock (flock) its caller holds.
  (
    for fd in $(ls /proc/$BASHPID/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null; done
    exec nohup "$@" >"$DIR/logs/$name.log" 2>&1
  ) &
  echo $! > "$DIR/pids/$name"
}

wait_for() { # what seconds command...
  local what="$1" seconds="$2"; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || { log "timed out waiting for $what"; return 1; }
    sleep 0.5
  done
}

up() {
  check >/dev/null || { check; exit 1; }
  provision
  mkdir -p "$DIR"/{pki,logs,pids,containerd,cni/net.d,cni/ipam,var/kubelet,var/log/pods}
  build_images
  local ip started=$SECONDS
  ip="$(node_ip)"
  log "starting a one-node cluster on $ip (state in ${DIR#"$ROOT"/})"

  # PKI: a CA, the API server's serving certificate, its client certificate for the kubelet, SA keys.
  openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$PKI/ca.key" -subj /CN=trading-backend-local-ca \
    -days 30 -out "$PKI/ca.crt" 2>/dev/null
  cert apiserver /CN=kube-apiserver "subjectAltName=IP:127.0.0.1,IP:$ip,IP:10.96.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
extendedKeyUsage=serverAuth"
  cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "extendedKeyUsage=clientAuth"
  openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  # Static tokens: file|user|group.
  local entry file name group token
  : > "$PKI/tokens.csv"
  for entry in "admin|admin|system:masters" "kubelet|system:node:$NODE_NAME|system:nodes" \
    "kube-scheduler|system:kube-scheduler|" "kube-controller-manager|system:kube-controller-manager|" \
    "kube-proxy|system:kube-proxy|"; do
    IFS='|' read -r file name group <<<"$entry"
    token="$(openssl rand -hex 24)"
    echo "$token,$name,$name${group:+,\"$group\"}" >> "$PKI/tokens.csv"
    kubeconfig "$DIR/$file.kubeconfig" "$name" "$token"
  done
  cat /proc/sys/net/ipv4/ip_forward > "$DIR/ip_forward.before"

  # containerd (CRI): restrict_oom_score_adj, since CAP_SYS_RESOURCE may be missing (VMs, containers).
  cat > "$DIR/containerd/config.toml" <<EOF
version = 2
root = "$DIR/containerd/root"
state = "$DIR/containerd/state"
[grpc]
  address = "$SOCK"
[ttrpc]
  address = ""
[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "localhost/pause:local"
    disable_apparmor = true
    restrict_oom_score_adj = true
    disable_hugetlb_controller = true
    tolerate_missing_hugetlb_controller = true
    enable_selinux = false
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "$DIR/cni/net.d"
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          SystemdCgroup = false
          BinaryName = "$(command -v runc)"
EOF
  # The bridge, made here so socat can listen on its address before the first pod; no masquerading.
  ip link add "$BRIDGE" type bridge 2>/dev/null || true
  ip addr replace "$GATEWAY/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  cat > "$DIR/cni/net.d/10-trading-backend.conflist" <<EOF
{"cniVersion": "1.0.0", "name": "trading-backend", "plugins": [
  {"type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
   "ipam": {"type": "host-local", "dataDir": "$DIR/cni/ipam", "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$GATEWAY"}]],
            "routes": [{"dst": "0.0.0.0/0"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
EOF
  start_bg containerd containerd --config "$DIR/containerd/config.toml"
  wait_for containerd 20 ctr_ version
  for archive in "$TOOLS_DIR/cluster-images/pause.tar" "$TOOLS_DIR/cluster-images/coredns.tar"; do
    ctr_ images import --no-unpack "$archive" >/dev/null
  done

  for forward in "${FORWARDS[@]}"; do
    start_bg "socat-${forward%%=*}" socat "TCP-LISTEN:${forward%%=*},bind=$GATEWAY,reuseaddr,fork" "TCP:${forward#*=}"
  done

  start_bg etcd "$BIN/etcd" --name=default --data-dir="$DIR/var/etcd" \
    --listen-client-urls=http://127.0.0.1:12379 --advertise-client-urls=http://127.0.0.1:12379 \
    --listen-peer-urls=http://127.0.0.1:12380 --initial-advertise-peer-urls=http://127.0.0.1:12380 \
    --initial-cluster=default=http://127.0.0.1:12380 --listen-metrics-urls=http://127.0.0.1:12381 \
    --unsafe-no-fsync --log-level=error
  start_bg kube-apiserver "$BIN/kube-apiserver" --etcd-servers=http://127.0.0.1:12379 \
    --bind-address=0.0.0.0 --advertise-address="$ip" --secure-port="$API_PORT" \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" --client-ca-file="$PKI/ca.crt" \
    --token-auth-file="$PKI/tokens.csv" --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
    --allow-privileged=true \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types=InternalIP,Hostname \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc --service-cluster-ip-range="$SERVICE_CIDR" \
    --cert-dir="$DIR/var/apiserver-certs" --v=0
  wait_for kube-apiserver 60 kubectl_ get --raw /readyz
  start_bg kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig="$DIR/kube-controller-manager.kubeconfig" \
    --authentication-kubeconfig="$DIR/kube-controller-manager.kubeconfig" \
    --authorization-kubeconfig="$DIR/kube-controller-manager.kubeconfig" --bind-address=127.0.0.1 --secure-port=10257 \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" --use-service-account-credentials=true \
    --service-cluster-ip-range="$SERVICE_CIDR" --leader-elect=false --v=0
  start_bg kube-scheduler "$BIN/kube-scheduler" --kubeconfig="$DIR/kube-scheduler.kubeconfig" \
    --authentication-kubeconfig="$DIR/kube-scheduler.kubeconfig" --authorization-kubeconfig="$DIR/kube-scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port=10259 --leader-elect=false

  cat > "$DIR/kubelet-config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
failSwapOn: false
protectKernelDefaults: false
containerRuntimeEndpoint: unix://$SOCK
imageServiceEndpoint: unix://$SOCK
podLogsDir: $DIR/var/log/pods
resolvConf: /etc/resolv.conf
address: $ip
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
oomScoreAdj: 0
clusterDomain: cluster.local
clusterDNS: [$DNS_IP]
authentication: {anonymous: {enabled: false}, webhook: {enabled: true}, x509: {clientCAFile: $PKI/ca.crt}}
authorization: {mode: Webhook}
rotateCertificates: false
serverTLSBootstrap: false
maxPods: 50
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
EOF
  start_bg kubelet "$BIN/kubelet" --config="$DIR/kubelet-config.yaml" --kubeconfig="$DIR/kubelet.kubeconfig" \
    --hostname-override="$NODE_NAME" --node-ip="$ip" --root-dir="$DIR/var/kubelet" --v=1
  cat > "$DIR/kube-proxy-config.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $DIR/kube-proxy.kubeconfig}
mode: iptables
hostnameOverride: $NODE_NAME
clusterCIDR: $POD_CIDR
bindAddress: 0.0.0.0
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
oomScoreAdj: 0
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
  start_bg kube-proxy "$BIN/kube-proxy" --config="$DIR/kube-proxy-config.yaml" --v=1

  # Ready and untainted: the not-ready taint outlives the Ready condition by seconds.
  wait_for "the node to be Ready" 120 node_ready
  wait_for "the node to lose its taints" 60 node_untainted
  wait_for "the default ServiceAccount" 60 kubectl_ get serviceaccount default -n default
  kubectl_ apply -f - >/dev/null <<EOF
$(coredns_manifest)
EOF
  kubectl_ -n kube-system rollout status deployment/coredns --timeout=120s >&2
  log "cluster up in $((SECONDS - started)) s: KUBECONFIG=$DIR/admin.kubeconfig"
}

node_ready() {
  [ "$(kubectl_ get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}
node_untainted() { [ -z "$(kubectl_ get node "$NODE_NAME" -o jsonpath='{.spec.taints}')" ]; }

coredns_manifest() {
  cat <<EOF
apiVersion: v1
kind: ServiceAccount
metadata: {name: coredns, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:coredns}
rules:
  - apiGroups: [""]
    resources: [endpoints, services, pods, namespaces]
    verbs: [list, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system:coredns}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:coredns}
subjects: [{kind: ServiceAccount, name: coredns, namespace: kube-system}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: kube-system}
data:
  # Cluster names only: no forward, so nothing is resolved outside the cluster.
  Corefile: |
    .:1053 {
        errors
        health :8080
        ready :8181
        kubernetes cluster.local in-addr.arpa ip6.arpa {
            pods insecure
            fallthrough in-addr.arpa ip6.arpa
        }
        cache 30
        loop
        loadbalance
    }
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  replicas: 1
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      serviceAccountName: coredns
      dnsPolicy: Default
      terminationGracePeriodSeconds: 2
      containers:
        - name: coredns
          image: localhost/coredns:local
          imagePullPolicy: Never
          args: [-conf, /etc/coredns/Corefile]
          # Port 1053: a non-root process gets no NET_BIND_SERVICE from the runtime; the Service maps 53.
          ports:
            - {containerPort: 1053, name: dns, protocol: UDP}
            - {containerPort: 1053, name: dns-tcp, protocol: TCP}
          securityContext:
            runAsNonRoot: true
            allowPrivilegeEscalation: false
            capabilities: {drop: [ALL]}
            readOnlyRootFilesystem: true
          readinessProbe: {httpGet: {path: /ready, port: 8181}, periodSeconds: 2}
          livenessProbe: {httpGet: {path: /health, port: 8080}, periodSeconds: 10}
          volumeMounts: [{name: config, mountPath: /etc/coredns, readOnly: true}]
      volumes: [{name: config, configMap: {name: coredns}}]
---
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  clusterIP: $DNS_IP
  selector: {k8s-app: kube-dns}
  ports:
    - {name: dns, port: 53, targetPort: 1053, protocol: UDP}
    - {name: dns-tcp, port: 53, targetPort: 1053, protocol: TCP}
EOF
}

load() {
  local archives=("$@") archive
  [ "${#archives[@]}" -gt 0 ] || archives=("$RUN_DIR"/images/*.tar)
  for archive in "${archives[@]}"; do
    [ -s "$archive" ] || { log "no image archive $archive (npm run image writes them)"; exit 1; }
    log "importing ${archive#"$ROOT"/}"
    ctr_ images import "$archive" >&2
  done
}

stop_pid() {
  local file="$1" pid
  [ -f "$file" ] || return 0
  pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

down() {
  [ -d "$DIR" ] || { log "no cluster state in ${DIR#"$ROOT"/}"; return 0; }
  BIN="$("$ROOT/scripts/kube-tools.sh" --node 2>/dev/null || true)"
  local name
  # The control loops first, so nothing restarts what is being stopped; then the pods' tasks.
  for name in kube-proxy kubelet kube-scheduler kube-controller-manager kube-apiserver etcd; do
    stop_pid "$DIR/pids/$name"
  done
  if [ -S "$SOCK" ]; then
    for task in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks kill -s SIGKILL "$task" >/dev/null 2>&1 || true; done
    sleep 1
    for task in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks delete -f "$task" >/dev/null 2>&1 || true; done
  fi
  stop_pid "$DIR/pids/containerd"
  # Shims left behind by containerd (each pod's), by their address under our state folder only.
  for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $SOCK" || true); do kill -9 "$pid" 2>/dev/null || true; done
  for file in "$DIR"/pids/socat-*; do if [ -e "$file" ]; then stop_pid "$file"; fi; done
  [ -n "$BIN" ] && [ -x "$BIN/kube-proxy" ] && "$BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true
  # The bridge plugin's and the kubelet's chains, in both families.
  local table chain tool
  for tool in iptables ip6tables; do
    for table in nat filter mangle; do
      for chain in $("$tool" -t "$table" -S 2>/dev/null | awk '/^-N (CNI-|KUBE-)/{print $2}'); do
        { "$tool" -t "$table" -S 2>/dev/null | grep -E "^-A [A-Z-]+ .*-j $chain( |$)" || true; } | sed 's/^-A /-D /' |
          while read -r rule; do eval "$tool -t $table $rule" 2>/dev/null || true; done
      done
      for chain in $("$tool" -t "$table" -S 2>/dev/null | awk '/^-N (CNI-|KUBE-)/{print $2}'); do
        "$tool" -t "$table" -F "$chain" 2>/dev/null || true
      done
      for chain in $("$tool" -t "$table" -S 2>/dev/null | awk '/^-N (CNI-|KUBE-)/{print $2}'); do
        "$tool" -t "$table" -X "$chain" 2>/dev/null || true
      done
    done
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  for link in $(ip -o link show type veth 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
    ip link show "$link" 2>/dev/null | grep -q "master $BRIDGE" && ip link del "$link" 2>/dev/null || true
  done
  for ns in /var/run/netns/cni-*; do [ -e "$ns" ] && { ip netns del "$(basename "$ns")" 2>/dev/null || true; }; done
  # What containerd and the kubelet keep outside the state folder (fixed paths).
  rm -rf /var/lib/cni/results /var/lib/cni/networks/trading-backend /var/log/containers /var/log/pods
  # Mounts under the state folder (pod volumes, sandbox /dev/shm, overlay snapshots), deepest first.
  awk -v d="$DIR/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | while read -r mount; do
    umount -l "$mount" 2>/dev/null || true
  done
  local hierarchy
  for hierarchy in /sys/fs/cgroup/*/; do
    [ -d "${hierarchy}kubepods" ] || continue
    find "${hierarchy}kubepods" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  cat "$DIR/ip_forward.before" > /proc/sys/net/ipv4/ip_forward 2>/dev/null || true
  rm -rf "$DIR"
  log "cluster down; host state removed"
}

env_() {
  echo "KUBECONFIG=$DIR/admin.kubeconfig"
  echo "CLUSTER_BIN=$("$ROOT/scripts/kube-tools.sh" --node)"
  echo "CLUSTER_HOST_ADDRESS=$GATEWAY"
  echo "CLUSTER_NODE=$NODE_NAME"
}

case "${1:-}" in
  check) check ;;
  up) up ;;
  load) shift; BIN=""; load "$@" ;;
  tag) ctr_ images tag --force "$2" "$3" >/dev/null ;;
  down) down ;;
  env) env_ ;;
  *) echo "usage: npm run cluster -- check|up|load [archive...]|tag SOURCE TARGET|env|down" >&2; exit 2 ;;
esac
