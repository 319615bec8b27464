# syntax=docker/dockerfile:1.7
# One image, four entrypoints: api (default), worker, trigger (CronJobs) and migrate (Helm hook).
#   docker build -t trading-backend .
#   docker run trading-backend                      # API on :8000
#   docker run trading-backend worker/main.js       # worker, health/metrics on :9100
#   docker run trading-backend worker/trigger.js sync --limit 50
#   docker run trading-backend core/platform/db/migrate.js run
#   docker run trading-backend core/market/bundled/seed-cli.js --prepare   # bundled offline data
#   docker run -i trading-backend core/auth/admin-cli.js create-user --email ops@example.com --role admin < password.txt
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
# Where the registry is reached through a TLS proxy with its own CA, scripts/image.sh mounts that CA for
# the npm steps only (an ARG: nothing of it reaches the runtime image).
ARG NODE_EXTRA_CA_CERTS
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY api ./api
COPY core ./core
COPY worker ./worker
COPY operator ./operator
RUN npx tsc -p tsconfig.build.json

FROM ${NODE_IMAGE} AS deps
ARG NODE_EXTRA_CA_CERTS
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
# tini reaps zombies and forwards SIGTERM to node, so graceful shutdown works as PID 1.
RUN apt-get update && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    PORT=8000 \
    WORKER_PORT=9100
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./
COPY package.json ./
COPY data ./data
# Numeric non-root user (matches runAsUser in the Helm chart); the root filesystem can be read-only:
# the app writes nothing but /tmp.
USER 10001:10001
EXPOSE 8000 9100
# Every process starts with the tracing preload: it does nothing unless OTEL_EXPORTER_OTLP_ENDPOINT is set
# (then it loads the OpenTelemetry SDK and its ES-module hook before the entry; docs/architecture.md).
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--import=/app/core/platform/tracing/register.js"]
CMD ["api/main.js"]
