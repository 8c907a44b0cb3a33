// SPDX-License-Identifier: Apache-2.0
// Private by default: query strings, credentials-bearing headers and SQL literals stay in the process
// unless the user opts in. The collector scrubs again; this is the first line.
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

const SQL_LITERAL = /'(?:[^']|'')*'|\$\$[\s\S]*?\$\$|(?<![\w$."])-?\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi;

// Apps run the same few statements over and over; remember their sanitized form (bounded).
const sanitized = new Map<string, string>();
const SANITIZED_CACHE_SIZE = 500;

/** Replaces string, dollar-quoted and numeric literals with `?`, keeping the statement's shape. */
export function sanitizeSql(sql: string): string {
  let result = sanitized.get(sql);
  if (result === undefined) {
    result = sql.replace(SQL_LITERAL, '?');
    if (sanitized.size >= SANITIZED_CACHE_SIZE) sanitized.clear();
    sanitized.set(sql, result);
  }
  return result;
}

const SENSITIVE_HEADER =
  /^http\.(request|response)\.header\.(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api-key|x-auth-token|x-sentry-auth)$/;
const URL_KEYS = new Set(['url.full', 'http.url', 'http.target']);
// Header keys share this prefix; checking it first keeps the regex off every other http.* key.
const HEADER_PREFIX = 'http.re';

const QUERY_OR_FRAGMENT = /[?#]/;

function stripQuery(value: string): string {
  const cut = value.search(QUERY_OR_FRAGMENT);
  return cut === -1 ? value : value.slice(0, cut);
}

const DROP = Symbol('drop');

/** What to export for this attribute: the value, another value, or DROP. */
function redactedValue(key: string, value: AttributeValue | undefined, captureUrlQuery: boolean): unknown {
  // Every key that can hold a private value starts with 'h' (http.*) or 'u' (url.*); every span's
  // every attribute passes here, and most (db.*, gen_ai.*, server.*) are ruled out by one char.
  const first = key.charCodeAt(0);
  if (first !== 104 && first !== 117) return value;
  if (key.startsWith(HEADER_PREFIX) && SENSITIVE_HEADER.test(key)) return DROP;
  if (captureUrlQuery) return value;
  // An empty query (fetch's spans always carry one) has nothing to hide.
  if (key === 'url.query') return value === '' ? value : DROP;
  if (typeof value === 'string' && URL_KEYS.has(key) && QUERY_OR_FRAGMENT.test(value))
    return stripQuery(value);
  return value;
}

/** The attributes with private values removed, or undefined when nothing needed removing. */
export function redactAttributes(attributes: Attributes, captureUrlQuery: boolean): Attributes | undefined {
  let changed = false;
  for (const key in attributes) {
    const value = attributes[key];
    if (redactedValue(key, value, captureUrlQuery) !== value) {
      changed = true;
      break;
    }
  }
  if (!changed) return undefined;
  // Built key by key rather than copied and deleted from: a deletion turns the copy into a slow
  // dictionary-mode object, which the encoder then walks.
  const result: Attributes = {};
  for (const key in attributes) {
    const kept = redactedValue(key, attributes[key], captureUrlQuery);
    if (kept !== DROP) result[key] = kept as AttributeValue | undefined;
  }
  return result;
}

function withAttributes(span: ReadableSpan, attributes: Attributes): ReadableSpan {
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status: span.status,
    attributes,
    links: span.links,
    events: span.events,
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

/** The span, or a view of it with private attribute values removed. */
export function redactSpan(span: ReadableSpan, captureUrlQuery: boolean): ReadableSpan {
  const attributes = redactAttributes(span.attributes, captureUrlQuery);
  return attributes ? withAttributes(span, attributes) : span;
}

/**
 * Redacts what the SDK's processors hand to an exporter: the console exporter and OTLP/JSON. OTLP/protobuf
 * spans are redacted by the encoding processor as they end (encoding-span-processor.ts).
 */
export class RedactingSpanExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly captureUrlQuery: boolean,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const redacted = spans.map((span) => redactSpan(span, this.captureUrlQuery));
    this.inner.export(redacted, resultCallback);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
