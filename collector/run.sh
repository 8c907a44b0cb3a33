#!/usr/bin/env bash
# Runs the otel-preset collector locally with otel-collector-config.yaml: builds it if needed, and routes
# sampled traces to Sentry when SENTRY_DSN is set (through `otel-preset sentry-env`). Without a DSN,
# traces stay in the debug log and metrics are still served to Prometheus.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

"$root/collector/build.sh" >&2
if [ -n "${SENTRY_DSN:-}" ]; then
  eval "$(node "$root/packages/node/dist/cli.cjs" sentry-env --shell)"
fi
# The Go runtime's soft limit a little under memory_limiter's, so GC works before data is refused.
export GOMEMLIMIT="${GOMEMLIMIT:-400MiB}"
exec "$root/collector/_build/otelcol-preset" --config "$root/otel-collector-config.yaml" "$@"
