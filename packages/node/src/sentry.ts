// SPDX-License-Identifier: Apache-2.0
// Sentry's OTLP ingestion takes traces at a per-project URL with the DSN's public key in a header. The
// collector cannot parse a DSN, so the preset derives both and hands them over as environment variables.

/** Where the collector sends traces for a Sentry project. */
export interface SentryOtlpTarget {
  /** `https://<host>[/<prefix>]/api/<project>/integration/otlp/v1/traces` */
  tracesUrl: string;
  /** Value of the `x-sentry-auth` header: `sentry sentry_key=<public key>`. */
  authHeader: string;
}

/**
 * Maps a DSN (`https://<public key>@<host>[/<prefix>]/<project id>`) to Sentry's OTLP traces endpoint.
 * Returns undefined for anything that is not a DSN, so a typo never turns into a request to a wrong host.
 */
export function sentryOtlpTarget(dsn: string): SentryOtlpTarget | undefined {
  let url: URL;
  try {
    url = new URL(dsn.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  const publicKey = decodeURIComponent(url.username);
  const segments = url.pathname.split('/').filter(Boolean);
  const projectId = segments.pop();
  if (!publicKey || !projectId || !/^\d+$/.test(projectId)) return undefined;
  const prefix = segments.length ? `/${segments.join('/')}` : '';
  return {
    tracesUrl: `${url.protocol}//${url.host}${prefix}/api/${projectId}/integration/otlp/v1/traces`,
    authHeader: `sentry sentry_key=${publicKey}`,
  };
}

/**
 * The variables otel-collector-config.yaml reads to route sampled traces to Sentry. Empty when there is
 * no DSN: the collector then keeps its local default.
 */
export function sentryCollectorEnv(dsn: string | undefined): Record<string, string> {
  if (!dsn) return {};
  const target = sentryOtlpTarget(dsn);
  if (!target) return {};
  return {
    SENTRY_OTLP_TRACES_URL: target.tracesUrl,
    SENTRY_OTLP_AUTH: target.authHeader,
    OTEL_PRESET_TRACES_EXPORTERS: '[otlp_http/sentry]',
  };
}
