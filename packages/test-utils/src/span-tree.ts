// SPDX-License-Identifier: Apache-2.0
import { isDeepStrictEqual } from 'node:util';
import type { Attributes, ReceivedSpan, SpanKindName } from './otlp-normalize.js';

export interface SpanQuery {
  /** Exact name, or a pattern for names that embed variable parts (ports, ids). */
  name?: string | RegExp;
  kind?: SpanKindName;
  traceId?: string;
  /**
   * Every listed key must be present with a deep-equal value; a RegExp matches
   * string values.
   */
  attributes?: Attributes;
}

function valueMatches(actual: unknown, expected: unknown): boolean {
  if (expected instanceof RegExp) return typeof actual === 'string' && expected.test(actual);
  return isDeepStrictEqual(actual, expected);
}

export function spanMatches(span: ReceivedSpan, query: SpanQuery): boolean {
  if (query.name !== undefined) {
    const ok = typeof query.name === 'string' ? span.name === query.name : query.name.test(span.name);
    if (!ok) return false;
  }
  if (query.kind !== undefined && span.kind !== query.kind) return false;
  if (query.traceId !== undefined && span.traceId !== query.traceId) return false;
  for (const [key, expected] of Object.entries(query.attributes ?? {})) {
    if (!(key in span.attributes) || !valueMatches(span.attributes[key], expected)) return false;
  }
  return true;
}

export function findSpan(spans: readonly ReceivedSpan[], query: SpanQuery): ReceivedSpan | undefined {
  return spans.find((span) => spanMatches(span, query));
}

export function findSpans(spans: readonly ReceivedSpan[], query: SpanQuery): ReceivedSpan[] {
  return spans.filter((span) => spanMatches(span, query));
}

function byStartTime(a: ReceivedSpan, b: ReceivedSpan): number {
  return a.startTimeUnixNano < b.startTimeUnixNano ? -1 : a.startTimeUnixNano > b.startTimeUnixNano ? 1 : 0;
}

/** Direct children, earliest first. */
export function childrenOf(spans: readonly ReceivedSpan[], parent: ReceivedSpan): ReceivedSpan[] {
  return spans
    .filter((span) => span.traceId === parent.traceId && span.parentSpanId === parent.spanId)
    .sort(byStartTime);
}

/** All spans of one trace, earliest first. */
export function traceOf(spans: readonly ReceivedSpan[], traceId: string): ReceivedSpan[] {
  return spans.filter((span) => span.traceId === traceId).sort(byStartTime);
}

export interface FormatSpansOptions {
  /** Append each span's attributes; off by default because HTTP spans carry dozens. */
  attributes?: boolean;
}

function describe(span: ReceivedSpan, present: ReadonlySet<string>, options: FormatSpansOptions): string {
  let parent = 'root';
  if (span.parentSpanId) {
    // A parent that never arrived is the usual cause of a broken tree, so call it out.
    parent = present.has(span.parentSpanId) ? span.parentSpanId : `${span.parentSpanId} (not received)`;
  }
  let line = `${span.name} [${span.kind}] span=${span.spanId} parent=${parent}`;
  if (span.status.code !== 'UNSET') {
    line += ` status=${span.status.code}${span.status.message ? `(${span.status.message})` : ''}`;
  }
  if (options.attributes) {
    line += ` ${JSON.stringify(span.attributes, (_key, value) => (typeof value === 'bigint' ? `${value}n` : value))}`;
  }
  return line;
}

/**
 * Renders spans as one indented tree per trace, for assertion messages. Spans
 * whose parent is missing are shown as roots so nothing is hidden.
 */
export function formatSpans(spans: readonly ReceivedSpan[], options: FormatSpansOptions = {}): string {
  if (spans.length === 0) return '(no spans received)';
  const traceIds = [...new Set(spans.map((span) => span.traceId))];
  const lines: string[] = [];
  for (const traceId of traceIds) {
    const trace = traceOf(spans, traceId);
    const present = new Set(trace.map((span) => span.spanId));
    const printed = new Set<ReceivedSpan>();
    lines.push(`trace ${traceId}`);
    const walk = (span: ReceivedSpan, depth: number): void => {
      if (printed.has(span)) return;
      printed.add(span);
      lines.push(`${'  '.repeat(depth + 1)}${describe(span, present, options)}`);
      for (const child of childrenOf(trace, span)) walk(child, depth + 1);
    };
    for (const span of trace) {
      if (!span.parentSpanId || !present.has(span.parentSpanId)) walk(span, 0);
    }
    // Anything left is part of a parent cycle (malformed data); still list it.
    for (const span of trace) walk(span, 0);
  }
  return lines.join('\n');
}
