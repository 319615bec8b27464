#!/usr/bin/env bash
# Builds the OpenTelemetry Collector the tracing tests run (the OTLP receiver, the batch processor and
# the OTLP/HTTP exporter; scripts/otel-collector/ pins collector v0.165.0) into .tools/otelcol-<version>/,
# from the Go module proxy: about a minute and a half cold on two cores, seconds when the Go build cache is
# warm, nothing when the binary exists. Prints the binary's path.
source "$(dirname "$0")/lib/common.sh"
COLLECTOR_VERSION=v0.165.0
BIN="$TOOLS_DIR/otelcol-$COLLECTOR_VERSION/otelcol-tb"
if [ -x "$BIN" ]; then
  echo "$BIN"
  exit 0
fi
ensure_go
mkdir -p "$(dirname "$BIN")"
log "building the OpenTelemetry Collector $COLLECTOR_VERSION (go build; cold: a minute or two)"
(cd "$ROOT/scripts/otel-collector" && go build -trimpath -ldflags "-s -w" -o "$BIN.tmp" .) >&2
mv "$BIN.tmp" "$BIN"
echo "$BIN"
