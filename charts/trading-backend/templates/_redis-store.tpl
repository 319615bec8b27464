{{/*
One Redis store of the release: a StatefulSet of one Redis, or (ha) of `replicas` Redis pods with a
Sentinel beside each, its ConfigMap, Service, and with Sentinels a headless Service and a PDB. Used for
the queue store and the cache store (redis.yaml). Parameters: root, component, name, ha, replicas,
masterName, conf (redis.conf lines), comment, maxmemory (for the restart checksum), resources, persistence (size, storageClass; nil:
an emptyDir).
*/}}
{{- define "tb.redisStore" -}}
{{- $root := .root }}
{{- $values := .root.Values.redis }}
{{- $component := dict "root" .root "component" .component }}
{{- $name := .name }}
{{- $ha := .ha }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ $name }}-config
  labels:
    {{- include "tb.componentLabels" $component | nindent 4 }}
data:
  {{- .comment | nindent 2 }}
  redis.conf: |
    {{- range .conf }}
    {{ . }}
    {{- end }}
    dir /data
    protected-mode no
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  labels:
    {{- include "tb.componentLabels" $component | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "tb.componentSelector" $component | nindent 4 }}
  ports:
    - name: redis
      port: 6379
      targetPort: redis
{{- if $ha }}
---
# Stable names for each pod (<name>-N.<name>-headless), which replication and the Sentinels use.
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}-headless
  labels:
    {{- include "tb.componentLabels" $component | nindent 4 }}
spec:
  clusterIP: None
  publishNotReadyAddresses: true
  selector:
    {{- include "tb.componentSelector" $component | nindent 4 }}
  ports:
    - { name: redis, port: 6379, targetPort: redis }
    - { name: sentinel, port: 26379, targetPort: sentinel }
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $name }}
  labels:
    {{- include "tb.componentLabels" $component | nindent 4 }}
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      {{- include "tb.componentSelector" $component | nindent 6 }}
{{- end }}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ $name }}
  labels:
    {{- include "tb.componentLabels" $component | nindent 4 }}
spec:
  replicas: {{ ternary .replicas 1 $ha }}
  serviceName: {{ ternary (printf "%s-headless" $name) $name $ha }}
  selector:
    matchLabels:
      {{- include "tb.componentSelector" $component | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "tb.componentLabels" $component | nindent 8 }}
      annotations:
        checksum/config: {{ printf "%s%s" .maxmemory $values.image.tag | sha256sum }}
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 999
        runAsGroup: 999
        fsGroup: 999
        seccompProfile:
          type: RuntimeDefault
      terminationGracePeriodSeconds: 30
      {{- if $ha }}
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 100
              podAffinityTerm:
                topologyKey: kubernetes.io/hostname
                labelSelector:
                  matchLabels:
                    {{- include "tb.componentSelector" $component | nindent 20 }}
      # Each pod starts as a replica of the master the Sentinels name (the first pod, on a fresh set).
      initContainers:
        - name: config
          image: "{{ $values.image.repository }}:{{ $values.image.tag }}"
          imagePullPolicy: {{ $values.image.pullPolicy }}
          command: [sh, -c]
          args:
            - |
              set -eu
              self="$(hostname).{{ $name }}-headless"
              master=""
              for i in $(seq 0 {{ sub (int .replicas) 1 }}); do
                master="$(timeout 3 redis-cli -h {{ $name }}-$i.{{ $name }}-headless -p 26379 sentinel get-master-addr-by-name {{ .masterName }} 2>/dev/null | head -n 1 || true)"
                [ -n "$master" ] && break
              done
              [ -n "$master" ] || master="{{ $name }}-0.{{ $name }}-headless"
              cp /etc/redis/redis.conf /runtime/redis.conf
              echo "replica-announce-ip $self" >> /runtime/redis.conf
              echo "masterauth $REDIS_PASSWORD" >> /runtime/redis.conf
              [ "$master" = "$self" ] || echo "replicaof $master 6379" >> /runtime/redis.conf
              cat > /runtime/sentinel.conf <<EOF
              port 26379
              sentinel resolve-hostnames yes
              sentinel announce-hostnames yes
              sentinel announce-ip $self
              sentinel monitor {{ .masterName }} $master 6379 2
              sentinel auth-pass {{ .masterName }} $REDIS_PASSWORD
              sentinel down-after-milliseconds {{ .masterName }} {{ $values.sentinel.downAfterMilliseconds }}
              sentinel failover-timeout {{ .masterName }} 60000
              sentinel parallel-syncs {{ .masterName }} 1
              EOF
          env:
            - name: REDIS_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: {{ include "tb.redisSecretName" $root }}
                  key: {{ $values.auth.existingSecretKey }}
          resources:
            {{- toYaml $values.sentinel.resources | nindent 12 }}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            runAsNonRoot: true
            runAsUser: 999
            capabilities:
              drop: [ALL]
          volumeMounts:
            - { name: config, mountPath: /etc/redis }
            - { name: runtime, mountPath: /runtime }
      {{- end }}
      containers:
        - name: redis
          image: "{{ $values.image.repository }}:{{ $values.image.tag }}"
          imagePullPolicy: {{ $values.image.pullPolicy }}
          args: [{{ ternary "/runtime/redis.conf" "/etc/redis/redis.conf" $ha }}, --requirepass, $(REDIS_PASSWORD)]
          env:
            - name: REDIS_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: {{ include "tb.redisSecretName" $root }}
                  key: {{ $values.auth.existingSecretKey }}
          ports:
            - name: redis
              containerPort: 6379
          startupProbe:
            tcpSocket: { port: redis }
            periodSeconds: 5
            failureThreshold: 24
          readinessProbe:
            tcpSocket: { port: redis }
            periodSeconds: 10
          livenessProbe:
            tcpSocket: { port: redis }
            periodSeconds: 15
          resources:
            {{- toYaml .resources | nindent 12 }}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            runAsNonRoot: true
            runAsUser: 999
            capabilities:
              drop: [ALL]
          volumeMounts:
            - name: data
              mountPath: /data
            - name: config
              mountPath: /etc/redis
            - name: tmp
              mountPath: /tmp
            {{- if $ha }}
            - name: runtime
              mountPath: /runtime
            {{- end }}
        {{- if $ha }}
        - name: sentinel
          image: "{{ $values.image.repository }}:{{ $values.image.tag }}"
          imagePullPolicy: {{ $values.image.pullPolicy }}
          # The Sentinel rewrites its configuration as it learns the set: it lives in the pod's runtime volume.
          args: [/runtime/sentinel.conf, --sentinel]
          ports:
            - name: sentinel
              containerPort: 26379
          startupProbe:
            tcpSocket: { port: sentinel }
            periodSeconds: 5
            failureThreshold: 24
          readinessProbe:
            tcpSocket: { port: sentinel }
            periodSeconds: 10
          livenessProbe:
            tcpSocket: { port: sentinel }
            periodSeconds: 15
          resources:
            {{- toYaml $values.sentinel.resources | nindent 12 }}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            runAsNonRoot: true
            runAsUser: 999
            capabilities:
              drop: [ALL]
          volumeMounts:
            - name: runtime
              mountPath: /runtime
            - name: tmp
              mountPath: /tmp
        {{- end }}
      volumes:
        - name: config
          configMap:
            name: {{ $name }}-config
        - name: tmp
          emptyDir:
            sizeLimit: 16Mi
        {{- if $ha }}
        - name: runtime
          emptyDir:
            sizeLimit: 1Mi
        {{- end }}
        {{- if not .persistence }}
        # Nothing is persisted; a replica's full resync may spool the master's snapshot here.
        - name: data
          emptyDir:
            sizeLimit: 1Gi
        {{- end }}
  {{- with .persistence }}
  volumeClaimTemplates:
    - metadata:
        name: data
        labels:
          {{- include "tb.componentSelector" $component | nindent 10 }}
      spec:
        accessModes: [ReadWriteOnce]
        {{- with .storageClass }}
        storageClassName: {{ . }}
        {{- end }}
        resources:
          requests:
            storage: {{ .size }}
  {{- end }}
{{- end -}}
