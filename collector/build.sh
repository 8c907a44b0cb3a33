#!/usr/bin/env bash
# Builds the otel-preset collector from manifest.yaml with the OpenTelemetry Collector Builder into
# collector/_build/otelcol-preset. The result is keyed by the hash of the manifest and this script, so
# a rebuild only happens when one of them changes.
set -euo pipefail
cd "$(dirname "$0")"

BUILDER_VERSION=v0.165.0
out=_build
binary=$out/otelcol-preset
stamp=$out/otelcol-preset.sha256
key=$(cat manifest.yaml build.sh | sha256sum | cut -d' ' -f1)

if [ -x "$binary" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$key" ]; then
  echo "collector: $binary is up to date (manifest ${key:0:12})"
  exit 0
fi

# Go's default install location, for shells that do not have it on PATH.
export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null 2>&1 || {
  echo "collector: Go is required to build the collector (https://go.dev/dl/, >= 1.26)" >&2
  exit 1
}

start=$(date +%s)
builder=$out/bin/builder
if [ ! -x "$builder" ] || [ "$(cat "$out/bin/builder.version" 2>/dev/null)" != "$BUILDER_VERSION" ]; then
  echo "collector: installing the builder $BUILDER_VERSION"
  GOBIN="$PWD/$out/bin" go install "go.opentelemetry.io/collector/cmd/builder@$BUILDER_VERSION"
  echo "$BUILDER_VERSION" >"$out/bin/builder.version"
fi

echo "collector: building (manifest ${key:0:12})"
rm -f "$stamp"
# -trimpath and no VCS stamping: the same manifest gives the same binary wherever it is built.
GOFLAGS="${GOFLAGS:-} -trimpath -buildvcs=false" "$builder" --config manifest.yaml
cp "$out/src/otelcol-preset" "$binary"
echo "$key" >"$stamp"
echo "collector: built $binary in $(($(date +%s) - start)) s"
