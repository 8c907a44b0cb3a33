// SPDX-License-Identifier: Apache-2.0
// Our trace serializer must produce exactly the bytes of the upstream one for any batch: same fields,
// same order, same encodings. Spans come from the real SDK, so their shape is what the exporter sees.
import { type Attributes, context, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { serializeTraceRequest } from '../src/otlp-trace-proto.js';

function record(
  build: (provider: TracerProvider) => void,
  resourceAttributes: Attributes = {},
): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'svc', ...resourceAttributes }),
    sampler: new AlwaysOnSampler(),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  build(provider);
  return exporter.getFinishedSpans();
}

const upstream = (spans: ReadableSpan[]) => Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
// Viewed, not copied: the reuse check below must see the very bytes the exporter would send.
function ours(spans: ReadableSpan[]): Buffer {
  const body = serializeTraceRequest(spans);
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

describe('serializeTraceRequest', () => {
  it('matches the upstream serializer on spans with every attribute type, events, links and status', () => {
    const spans = record((provider) => {
      const tracer = provider.getTracer('scope-a', '1.2.3', {
        schemaUrl: 'https://opentelemetry.io/schemas/1.30.0',
      });
      const parent = tracer.startSpan('parent', { kind: SpanKind.SERVER });
      const child = tracer.startSpan(
        'child ünïcødé ✓ 🚀',
        {
          kind: SpanKind.CLIENT,
          attributes: {
            str: 'value',
            empty: '',
            long: 'x'.repeat(300),
            nonAscii: 'héllo wörld 日本',
            // ASCII up to the last char, which is not: the fast path must start over.
            asciiThenNot: `${'a'.repeat(126)}ü`,
            longest127: 'y'.repeat(127),
            // 100 chars, 300 bytes: the length prefix takes two bytes.
            longNonAscii: '日'.repeat(100),
            int: 42,
            negative: -7,
            big: 2 ** 40 + 3,
            hugeNegative: -(2 ** 50),
            float: 3.25,
            nan: Number.NaN,
            bool: true,
            no: false,
            strings: ['a', 'b', ''],
            numbers: [1, 2.5, -3],
            bools: [true, false],
            withGaps: ['a', null, 'c'] as string[],
          },
          links: [
            {
              context: {
                traceId: '0af7651916cd43dd8448eb211c80319c',
                spanId: 'b7ad6b7169203331',
                traceFlags: TraceFlags.SAMPLED,
                isRemote: true,
                traceState: new TraceState('vendor=value,other=x'),
              },
              attributes: { 'link.attr': 1 },
            },
          ],
        },
        trace.setSpan(context.active(), parent),
      );
      child.addEvent('event one', { 'event.attr': 'x', n: 1 });
      child.addEvent('exception', { 'exception.message': 'boom' }, [1_700_000_000, 123_456_789]);
      child.setStatus({ code: SpanStatusCode.ERROR, message: 'it failed' });
      child.end();
      parent.setStatus({ code: SpanStatusCode.OK });
      parent.end();
      provider.getTracer('scope-b').startSpan('internal').end();
    });
    expect(spans).toHaveLength(3);
    expect(ours(spans).equals(upstream(spans))).toBe(true);
  });

  it('matches on a remote parent with trace state and on unsampled flags', () => {
    const remote = trace.setSpanContext(context.active(), {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
      traceState: new TraceState('congo=t61rcWkgMzE'),
    });
    const spans = record((provider) => {
      provider.getTracer('s').startSpan('from remote', { kind: SpanKind.CONSUMER }, remote).end();
    });
    expect(ours(spans).equals(upstream(spans))).toBe(true);
  });

  it('matches on a batch large enough for multi-byte lengths, with values that repeat and values that do not, and across consecutive batches', () => {
    const batch = () =>
      record(
        (provider) => {
          const tracer = provider.getTracer('@opentelemetry/instrumentation-http', '0.300.0');
          for (let i = 0; i < 600; i++) {
            const span = tracer.startSpan('GET /users/:id', {
              kind: SpanKind.SERVER,
              attributes: {
                'http.request.method': 'GET',
                'url.path': `/users/${i}`,
                'http.response.status_code': 200,
                'network.peer.port': 40_000 + i,
                'user_agent.original': `agent-${i % 7}`,
              },
            });
            span.end();
          }
        },
        { 'host.name': 'bench', 'process.pid': 1234 },
      );
    const first = batch();
    const second = batch();
    const encoded = ours(first);
    expect(encoded.length).toBeGreaterThan(100_000);
    expect(encoded.equals(upstream(first))).toBe(true);
    // The writer's buffer is reused: the first result must not change when the second is written.
    const copy = Buffer.from(encoded);
    expect(ours(second).equals(upstream(second))).toBe(true);
    expect(encoded.equals(copy)).toBe(true);
  });

  it('encodes an empty batch as an empty request', () => {
    expect(ours([]).length).toBe(0);
  });

  it('groups spans of interleaved resources and scopes as upstream does', () => {
    const a = record((provider) => {
      provider.getTracer('scope-1').startSpan('a1').end();
      provider.getTracer('scope-2', '2.0.0').startSpan('a2').end();
    });
    const b = record(
      (provider) => {
        provider.getTracer('scope-1').startSpan('b1').end();
      },
      { 'service.name': 'other' },
    );
    const interleaved = [a[0]!, b[0]!, a[1]!, a[0]!];
    expect(ours(interleaved).equals(upstream(interleaved))).toBe(true);
  });
});
