{{/* Names */}}
{{- define "tb.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tb.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "tb.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels: every resource gets the standard set; components add app.kubernetes.io/component. */}}
{{- define "tb.labels" -}}
helm.sh/chart: {{ include "tb.chart" . }}
{{ include "tb.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: trading-backend
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "tb.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tb.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "tb.componentLabels" -}}
{{ include "tb.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "tb.componentSelector" -}}
{{ include "tb.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "tb.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "tb.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Image: digest wins over tag; the tag defaults to appVersion and may not be "latest". */}}
{{- define "tb.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if eq $tag "latest" -}}
{{- fail "image.tag must not be \"latest\": pin a version (or set image.digest)" -}}
{{- end -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "tb.secretName" -}}
{{- default (printf "%s-app" (include "tb.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "tb.cnpgClusterName" -}}
{{- printf "%s-pg" (include "tb.fullname" .) | trunc 50 | trimSuffix "-" -}}
{{- end -}}

{{- define "tb.redisName" -}}
{{- printf "%s-redis" (include "tb.fullname" .) -}}
{{- end -}}

{{- define "tb.redisCacheName" -}}
{{- printf "%s-redis-cache" (include "tb.fullname" .) -}}
{{- end -}}

{{/* The Sentinels of a Redis store (dict name replicas): every pod's, through its headless Service. */}}
{{- define "tb.sentinelHosts" -}}
{{- $name := .name -}}
{{- $hosts := list -}}
{{- range $index := until (int .replicas) -}}
{{- $hosts = append $hosts (printf "%s-%d.%s-headless:26379" $name $index $name) -}}
{{- end -}}
{{- join "," $hosts -}}
{{- end -}}

{{- define "tb.redisSentinels" -}}
{{- include "tb.sentinelHosts" (dict "name" (include "tb.redisName" .) "replicas" .Values.redis.sentinel.replicas) -}}
{{- end -}}

{{- define "tb.redisSecretName" -}}
{{- default (include "tb.redisName" .) .Values.redis.auth.existingSecret -}}
{{- end -}}

{{/* True when the cluster serves an API group/version (or the user declares it, for offline rendering). */}}
{{- define "tb.hasApi" -}}
{{- if or (.root.Capabilities.APIVersions.Has .api) (has .api .root.Values.assumeApiVersions) -}}true{{- end -}}
{{- end -}}

{{/* Fail early, with a hint, on combinations that cannot work. */}}
{{- define "tb.validate" -}}
{{- if and .Values.postgresql.cnpg.enabled (not (include "tb.hasApi" (dict "root" . "api" "postgresql.cnpg.io/v1"))) -}}
{{- fail "postgresql.cnpg.enabled=true but the CloudNativePG API (postgresql.cnpg.io/v1) is not installed in this cluster. Install the operator first (see k8s/README.md), or set postgresql.cnpg.enabled=false and postgresql.external.existingSecret to use an external database." -}}
{{- end -}}
{{- if and (not .Values.postgresql.cnpg.enabled) (not .Values.postgresql.external.existingSecret) -}}
{{- fail "No database: enable postgresql.cnpg or set postgresql.external.existingSecret (a Secret whose key postgresql.external.existingSecretKey holds the connection URI)." -}}
{{- end -}}
{{- if and (not .Values.redis.enabled) (not .Values.redis.external.existingSecret) -}}
{{- fail "No Redis: enable redis or set redis.external.existingSecret (a Secret whose key redis.external.existingSecretKey holds the Redis URL)." -}}
{{- end -}}
{{- if and .Values.metrics.serviceMonitor.enabled (not (include "tb.hasApi" (dict "root" . "api" "monitoring.coreos.com/v1"))) -}}
{{- fail "metrics.serviceMonitor.enabled=true but the Prometheus operator API (monitoring.coreos.com/v1) is not installed. Install kube-prometheus-stack (k8s/README.md) or set metrics.serviceMonitor.enabled=false and metrics.prometheusRule.enabled=false." -}}
{{- end -}}
{{- if and .Values.metrics.prometheusRule.enabled (not (include "tb.hasApi" (dict "root" . "api" "monitoring.coreos.com/v1"))) -}}
{{- fail "metrics.prometheusRule.enabled=true but the Prometheus operator API (monitoring.coreos.com/v1) is not installed. Install kube-prometheus-stack (k8s/README.md) or set metrics.prometheusRule.enabled=false." -}}
{{- end -}}
{{- if and .Values.worker.autoscaling.enabled (not (include "tb.hasApi" (dict "root" . "api" "keda.sh/v1alpha1"))) -}}
{{- fail "worker.autoscaling.enabled=true but KEDA (keda.sh/v1alpha1) is not installed. Install KEDA (k8s/README.md) or set worker.autoscaling.enabled=false." -}}
{{- end -}}
{{- if le (int .Values.api.terminationGracePeriodSeconds) (add (int .Values.api.shutdownDelaySeconds) 6) -}}
{{- fail "api.terminationGracePeriodSeconds must exceed api.shutdownDelaySeconds by more than 6 seconds, or pods are killed before they drain." -}}
{{- end -}}
{{- end -}}

{{/* Environment shared by every app container: config by value, secrets by reference only. */}}
{{/* The app containers' env; "tb.envDirect" for the migrate Job, which needs a session (advisory lock) and so bypasses the Pooler. */}}
{{- define "tb.env" -}}
{{- include "tb.envFor" (dict "root" . "direct" false) -}}
{{- end -}}

{{- define "tb.envDirect" -}}
{{- include "tb.envFor" (dict "root" . "direct" true) -}}
{{- end -}}

{{/* DATABASE_URL: through the Pooler when there is one, unless `direct` (migrations go to the primary). */}}
{{- define "tb.databaseEnv" -}}
{{- $direct := .direct }}
{{- with .root }}
{{- if and .Values.postgresql.cnpg.enabled .Values.postgresql.cnpg.pooler.enabled (not $direct) }}
{{- /* Through the Pooler: the operator's app Secret holds the credentials, the Pooler's Service the host. */}}
- name: DATABASE_USER
  valueFrom: { secretKeyRef: { name: {{ include "tb.cnpgClusterName" . }}-app, key: username } }
- name: DATABASE_PASSWORD
  valueFrom: { secretKeyRef: { name: {{ include "tb.cnpgClusterName" . }}-app, key: password } }
- name: DATABASE_URL
  value: postgres://$(DATABASE_USER):$(DATABASE_PASSWORD)@{{ include "tb.cnpgClusterName" . }}-pooler-rw:5432/{{ .Values.postgresql.cnpg.database }}
{{- else }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
{{- if .Values.postgresql.cnpg.enabled }}
      name: {{ include "tb.cnpgClusterName" . }}-app
      key: uri
{{- else }}
      name: {{ .Values.postgresql.external.existingSecret }}
      key: {{ .Values.postgresql.external.existingSecretKey }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "tb.envFor" -}}
{{- $direct := .direct }}
{{- $root := .root }}
{{- include "tb.databaseEnv" . }}
{{- with .root }}
{{- if .Values.redis.enabled }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "tb.redisSecretName" . }}
      key: {{ .Values.redis.auth.existingSecretKey }}
{{- if .Values.redis.sentinel.enabled }}
{{- /* Through the Sentinels: they name the master, which changes on a failover. */}}
- name: REDIS_SENTINELS
  value: {{ include "tb.redisSentinels" . | quote }}
- name: REDIS_SENTINEL_MASTER
  value: {{ .Values.redis.sentinel.masterName | quote }}
{{- else }}
- name: REDIS_URL
  value: "redis://:$(REDIS_PASSWORD)@{{ include "tb.redisName" . }}:6379"
{{- end }}
{{- with .Values.redis.cache }}
{{- if .enabled }}
{{- /* The cache store: its own, evicting Redis (docs/reliability.md), with the same password. */}}
{{- if .sentinel.enabled }}
- name: CACHE_REDIS_SENTINELS
  value: {{ include "tb.sentinelHosts" (dict "name" (include "tb.redisCacheName" $root) "replicas" .sentinel.replicas) | quote }}
- name: CACHE_REDIS_SENTINEL_MASTER
  value: {{ .sentinel.masterName | quote }}
- name: CACHE_REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "tb.redisSecretName" $root }}
      key: {{ $root.Values.redis.auth.existingSecretKey }}
{{- else }}
- name: CACHE_REDIS_URL
  value: "redis://:$(REDIS_PASSWORD)@{{ include "tb.redisCacheName" $root }}:6379"
{{- end }}
{{- end }}
{{- end }}
{{- else }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.external.existingSecret }}
      key: {{ .Values.redis.external.existingSecretKey }}
{{- with .Values.redis.external.cacheSecretKey }}
- name: CACHE_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ $root.Values.redis.external.existingSecret }}
      key: {{ . }}
{{- end }}
{{- end }}
- name: SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "tb.secretName" . }}
      key: SECRET_KEY
- name: SECRET_KEY_PREVIOUS
  valueFrom:
    secretKeyRef:
      name: {{ include "tb.secretName" . }}
      key: SECRET_KEY_PREVIOUS
      optional: true
- name: JWT_PRIVATE_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "tb.secretName" . }}
      key: JWT_PRIVATE_KEY
      optional: true
- name: JWT_PREVIOUS_PUBLIC_KEYS
  valueFrom:
    secretKeyRef:
      name: {{ include "tb.secretName" . }}
      key: JWT_PREVIOUS_PUBLIC_KEYS
      optional: true
{{- with (include "tb.bootstrapSecretName" .) }}
- name: BOOTSTRAP_ADMIN_EMAIL
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: BOOTSTRAP_ADMIN_EMAIL
- name: BOOTSTRAP_ADMIN_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: BOOTSTRAP_ADMIN_PASSWORD
{{- end }}
- name: COINGECKO_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "tb.secretName" . }}
      key: COINGECKO_API_KEY
      optional: true
- name: COINMARKETCAP_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "tb.secretName" . }}
      key: COINMARKETCAP_API_KEY
      optional: true

{{- end }}
{{- end -}}

{{/* OpenTelemetry (issue #26): the endpoint and sampling for the containers without the ConfigMap (operator, migrate). */}}
{{- define "tb.otelEnv" -}}
{{- if .Values.otel.endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ .Values.otel.endpoint | quote }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ .Values.otel.samplingRatio | quote }}
{{- end }}
{{- end -}}

{{- define "tb.envFrom" -}}
- configMapRef:
    name: {{ include "tb.fullname" . }}-config
{{- end -}}

{{/* The config checksum rolls pods when the ConfigMap or the chart-made Secret changes. */}}
{{- define "tb.checksums" -}}
checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secret: {{ include (print $.Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end -}}

{{- define "tb.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end -}}

{{- define "tb.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{- define "tb.topologySpread" -}}
{{- if .settings.enabled }}
topologySpreadConstraints:
  - maxSkew: {{ .settings.maxSkew }}
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: {{ .settings.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "tb.componentSelector" (dict "root" .root "component" .component) | nindent 8 }}
  - maxSkew: {{ .settings.maxSkew }}
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "tb.componentSelector" (dict "root" .root "component" .component) | nindent 8 }}
{{- end }}
{{- end -}}

{{/* PromQL shared by KEDA, the alerts and the dashboard. */}}
{{- define "tb.queueBacklogQuery" -}}
sum(max by (queue, state) (bullmq_queue_jobs{namespace="{{ .Release.Namespace }}",queue!="dead-letter",state=~"waiting|prioritized"}))
{{- end -}}

{{- define "tb.deadLetterQuery" -}}
max(bullmq_queue_jobs{namespace="{{ .Release.Namespace }}",queue="dead-letter",state="waiting"})
{{- end -}}

{{/* Egress every app pod needs: DNS, PostgreSQL, Redis. */}}
{{- define "tb.egressDependencies" -}}
# DNS
- ports:
    - { protocol: UDP, port: 53 }
    - { protocol: TCP, port: 53 }
# PostgreSQL
{{- if .Values.postgresql.cnpg.enabled }}
- to:
    - podSelector:
        matchLabels:
          cnpg.io/cluster: {{ include "tb.cnpgClusterName" . }}
    {{- if .Values.postgresql.cnpg.pooler.enabled }}
    - podSelector:
        matchLabels:
          cnpg.io/poolerName: {{ include "tb.cnpgClusterName" . }}-pooler-rw
    {{- end }}
  ports:
    - { protocol: TCP, port: 5432 }
{{- else }}
- ports:
    - { protocol: TCP, port: 5432 }
{{- end }}
# Redis
{{- if .Values.redis.enabled }}
- to:
    - podSelector:
        matchLabels:
          {{- include "tb.componentSelector" (dict "root" . "component" "redis") | nindent 10 }}
  ports:
    - { protocol: TCP, port: 6379 }
    {{- if .Values.redis.sentinel.enabled }}
    - { protocol: TCP, port: 26379 }
    {{- end }}
{{- if .Values.redis.cache.enabled }}
- to:
    - podSelector:
        matchLabels:
          {{- include "tb.componentSelector" (dict "root" . "component" "redis-cache") | nindent 10 }}
  ports:
    - { protocol: TCP, port: 6379 }
    {{- if .Values.redis.cache.sentinel.enabled }}
    - { protocol: TCP, port: 26379 }
    {{- end }}
{{- end }}
{{- else }}
- ports:
    - { protocol: TCP, port: 6379 }
{{- end }}
{{- include "tb.otelEgress" . }}
{{- end -}}

{{/* Egress to the OpenTelemetry endpoint (traces), when one is set. */}}
{{- define "tb.otelEgress" -}}
{{- if .Values.otel.endpoint }}
# The OpenTelemetry endpoint (traces)
- ports:
    - { protocol: TCP, port: {{ .Values.otel.egressPort }} }
{{- end }}
{{- end -}}

{{/* The Secret holding the first admin's credentials, or nothing when no bootstrap admin is configured. */}}
{{- define "tb.bootstrapSecretName" -}}
{{- if .Values.bootstrapAdmin.existingSecret -}}
{{ .Values.bootstrapAdmin.existingSecret }}
{{- else if .Values.bootstrapAdmin.email -}}
{{ include "tb.fullname" . }}-bootstrap-admin
{{- end -}}
{{- end -}}

{{/*
The pod spec of a trigger run (worker/trigger.js enqueues a job and exits): the static CronJobs use it,
and the operator gets it as JSON (OPERATOR_TRIGGER_TEMPLATE) for the CronJobs it makes from feeds.
*/}}
{{- define "tb.triggerPodSpec" -}}
{{- $component := dict "root" . "component" "trigger" -}}
restartPolicy: Never
serviceAccountName: {{ include "tb.serviceAccountName" . }}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
containers:
  - name: trigger
    image: {{ include "tb.image" . | quote }}
    imagePullPolicy: {{ .Values.image.pullPolicy }}
    envFrom:
      {{- include "tb.envFrom" . | nindent 6 }}
    env:
      {{- include "tb.env" . | nindent 6 }}
    resources:
      {{- toYaml .Values.cronJobs.resources | nindent 6 }}
    securityContext:
      {{- toYaml .Values.securityContext | nindent 6 }}
    volumeMounts:
      {{- include "tb.tmpMount" . | nindent 6 }}
volumes:
  {{- include "tb.tmpVolume" . | nindent 2 }}
{{- end -}}
