// SPDX-License-Identifier: Apache-2.0
// The processor that encodes spans as they end must send what the batch serializer would have sent
// for the same spans, redacted, in batches of the configured size, and never throw into the app.
import { setTimeout as sleep } from 'node:timers/promises';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  InMemorySpanExporter,
  type ReadableSpan,
  type Sampler,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import {
  type EncodedSpanExporter,
  EncodingSpanProcessor,
  type EncodingSpanProcessorOptions,
} from '../src/encoding-span-processor.js';
import { serializeTraceRequest } from '../src/otlp-trace-proto.js';

class Bodies implements EncodedSpanExporter {
  readonly sent: Buffer[] = [];
  stopped = false;
  export(body: Uint8Array, resultCallback: (result: ExportResult) => void): void {
    this.sent.push(Buffer.from(body));
    resultCallback({ code: ExportResultCode.SUCCESS });
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }
}

function setUp(
  options: Partial<EncodingSpanProcessorOptions> = {},
  sampler: Sampler = new AlwaysOnSampler(),
) {
  const bodies = new Bodies();
  const processor = new EncodingSpanProcessor(bodies, {
    captureUrlQuery: false,
    maxExportBatchSize: 512,
    scheduleDelayMs: 60_000,
    ...options,
  });
  // The same spans, as the SDK hands them to processors, to compute the expected bytes.
  const ended = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'svc' }),
    sampler,
    spanProcessors: [new SimpleSpanProcessor({ exporter: ended }), processor],
  });
  const spans = (): ReadableSpan[] => ended.getFinishedSpans();
  return { bodies, processor, provider, spans };
}

describe('EncodingSpanProcessor', () => {
  it('sends a full batch as soon as it fills, byte for byte what the serializer writes', () => {
    const { bodies, provider, spans } = setUp({ maxExportBatchSize: 2 });
    const a = provider.getTracer('scope-a', '1.0.0');
    const b = provider.getTracer('scope-b');
    a.startSpan('one', { attributes: { 'db.system.name': 'redis', 'messaging.message.id': '41' } }).end();
    b.startSpan('two').end();
    a.startSpan('three', { attributes: { 'messaging.message.id': '42' } }).end();
    expect(bodies.sent).toHaveLength(1);
    expect(bodies.sent[0]).toEqual(Buffer.from(serializeTraceRequest(spans().slice(0, 2))));
    a.startSpan('four').end();
    expect(bodies.sent).toHaveLength(2);
    expect(bodies.sent[1]).toEqual(Buffer.from(serializeTraceRequest(spans().slice(2, 4))));
  });

  it('sends a partial batch after the schedule delay, and on flush', async () => {
    const { bodies, processor, provider } = setUp({ scheduleDelayMs: 20 });
    provider.getTracer('t').startSpan('timed').end();
    expect(bodies.sent).toHaveLength(0);
    await sleep(100);
    expect(bodies.sent).toHaveLength(1);
    provider.getTracer('t').startSpan('flushed').end();
    await processor.forceFlush();
    expect(bodies.sent).toHaveLength(2);
    await processor.forceFlush();
    expect(bodies.sent).toHaveLength(2);
  });

  it('removes query strings and credential headers before encoding', async () => {
    const { bodies, processor, provider } = setUp();
    provider
      .getTracer('t')
      .startSpan('GET', {
        attributes: {
          'url.full': 'https://api.example.com/v1/items?token=sk-planted-secret',
          'url.query': 'token=sk-planted-secret',
          'http.request.header.authorization': 'Bearer planted-bearer',
          'url.path': '/v1/items',
        },
      })
      .end();
    await processor.forceFlush();
    const body = bodies.sent[0]!.toString('latin1');
    expect(body).toContain('https://api.example.com/v1/items');
    expect(body).toContain('/v1/items');
    expect(body).not.toContain('planted');
  });

  it('skips spans that are not sampled', async () => {
    const { bodies, processor, provider } = setUp({}, new AlwaysOffSampler());
    provider.getTracer('t').startSpan('dropped').end();
    await processor.forceFlush();
    expect(bodies.sent).toHaveLength(0);
  });

  it('drops a span it cannot encode without throwing, and keeps the rest of the batch', async () => {
    const { bodies, processor, provider, spans } = setUp();
    const tracer = provider.getTracer('t');
    tracer.startSpan('before').end();
    const broken = tracer.startSpan('broken');
    broken.end();
    const [before, ended] = spans();
    // Fields that fail as they are read, as a buggy span implementation could hand over: one before
    // encoding starts (redaction reads the attributes), one halfway through, in a scope of its own.
    const unreadable = {
      get() {
        throw new Error('unreadable');
      },
    };
    const hostile = Object.create(ended!, { attributes: unreadable }) as ReadableSpan;
    const halfway = Object.create(ended!, {
      instrumentationScope: { value: { name: 'only-this-span' } },
      events: unreadable,
    }) as ReadableSpan;
    expect(() => processor.onEnd(hostile)).not.toThrow();
    expect(() => processor.onEnd(halfway)).not.toThrow();
    tracer.startSpan('after').end();
    await processor.forceFlush();
    expect(bodies.sent).toEqual([Buffer.from(serializeTraceRequest([before!, ended!, spans()[2]!]))]);
  });

  it('keeps an exporter that throws away from the app', () => {
    const { bodies, provider } = setUp({ maxExportBatchSize: 1 });
    bodies.export = () => {
      throw new Error('exporter broke');
    };
    expect(() => provider.getTracer('t').startSpan('ends a batch').end()).not.toThrow();
  });

  it('holds the batch until asynchronous resource attributes are in', async () => {
    let region: (value: string) => void = () => {};
    const detected = new Promise<string>((resolve) => {
      region = resolve;
    });
    const bodies = new Bodies();
    const processor = new EncodingSpanProcessor(bodies, {
      captureUrlQuery: false,
      maxExportBatchSize: 1,
      scheduleDelayMs: 60_000,
    });
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'svc', 'cloud.region': detected }),
      spanProcessors: [processor],
    });
    provider.getTracer('t').startSpan('early').end();
    await sleep(10);
    expect(bodies.sent).toHaveLength(0);
    region('eu-north-1');
    await processor.forceFlush();
    expect(bodies.sent).toHaveLength(1);
    expect(bodies.sent[0]!.toString('latin1')).toContain('eu-north-1');
  });

  it('sends what is left on shutdown and nothing after', async () => {
    const { bodies, processor, provider } = setUp();
    provider.getTracer('t').startSpan('last').end();
    await processor.shutdown();
    expect(bodies.sent).toHaveLength(1);
    expect(bodies.stopped).toBe(true);
    provider.getTracer('t').startSpan('too late').end();
    await processor.forceFlush();
    expect(bodies.sent).toHaveLength(1);
  });
});
