// SPDX-License-Identifier: Apache-2.0
import { gzipSync } from 'node:zlib';
import { type HrTime, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, ValueType } from '@opentelemetry/api';
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter as JsonMetricExporter,
} from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationType,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import {
  BatchSpanProcessor,
  type IdGenerator,
  type SpanExporter,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  childrenOf,
  findSpan,
  formatSpans,
  type OtlpReceiver,
  type ReceivedMetric,
  type ReceivedSpan,
  startOtlpReceiver,
  traceOf,
} from '../src/index.js';

// Every attribute type OTLP carries; sent by the exporters and expected back unchanged.
const SERVER_ATTRIBUTES = {
  'http.request.method': 'GET',
  'http.response.status_code': 200,
  'test.double': 1.5,
  'test.bool': true,
  'test.negative': -7,
  'test.max_safe': Number.MAX_SAFE_INTEGER,
  'test.strings': ['a', 'b'],
  'test.ints': [1, 2, 3],
};

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const ROOT_SPAN_ID = '00f067aa0ba902b7';
const CHILD_SPAN_ID = '00f067aa0ba902b8';
const LINKED_TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const LINKED_SPAN_ID = 'b7ad6b7169203331';

// Nanosecond timestamps above 2^53 prove that fixed64 survives both decoders.
const T0: HrTime = [1_700_000_000, 123_456_789];
const T1: HrTime = [1_700_000_000, 223_456_789];
const T2: HrTime = [1_700_000_000, 323_456_789];
const T3: HrTime = [1_700_000_000, 423_456_789];
const T4: HrTime = [1_700_000_000, 523_456_789];

const resource = resourceFromAttributes({
  'service.name': 'receiver-self-test',
  'deployment.environment': 'test',
});

/** Fixed ids make the protobuf and JSON runs produce byte-for-byte comparable spans. */
class FixedIds implements IdGenerator {
  private spans = [ROOT_SPAN_ID, CHILD_SPAN_ID];
  generateTraceId(): string {
    return TRACE_ID;
  }
  generateSpanId(): string {
    return this.spans.shift() ?? 'ffffffffffffffff';
  }
}

async function emitSpans(exporter: SpanExporter): Promise<void> {
  const provider = new TracerProvider({
    resource,
    idGenerator: new FixedIds(),
    // A long delay leaves exporting to forceFlush, so nothing races the assertions.
    spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: 60_000 })],
  });
  const tracer = provider.getTracer('receiver-self-test', '1.2.3');
  const root = tracer.startSpan(
    'GET /orders',
    {
      kind: SpanKind.SERVER,
      startTime: T0,
      attributes: SERVER_ATTRIBUTES,
    },
    ROOT_CONTEXT,
  );
  const child = tracer.startSpan(
    'SELECT orders',
    {
      kind: SpanKind.CLIENT,
      startTime: T1,
      attributes: { 'db.system.name': 'postgresql' },
      links: [
        {
          context: { traceId: LINKED_TRACE_ID, spanId: LINKED_SPAN_ID, traceFlags: 1 },
          attributes: { 'link.reason': 'batch' },
        },
      ],
    },
    trace.setSpan(ROOT_CONTEXT, root),
  );
  child.addEvent('exception', { 'exception.message': 'boom' }, T2);
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  child.end(T3);
  root.setStatus({ code: SpanStatusCode.OK });
  root.end(T4);
  await provider.forceFlush();
  await provider.shutdown();
}

interface Variant {
  name: string;
  contentType: string;
  contentEncoding: string;
  traceExporter(url: string): SpanExporter;
  metricExporter(url: string): PushMetricExporter;
}

const protocols = [
  {
    label: 'protobuf',
    contentType: 'application/x-protobuf',
    Trace: ProtoTraceExporter,
    Metric: ProtoMetricExporter,
  },
  { label: 'JSON', contentType: 'application/json', Trace: JsonTraceExporter, Metric: JsonMetricExporter },
];
const compressions = [
  { label: 'gzip', contentEncoding: 'gzip', compression: CompressionAlgorithm.GZIP },
  { label: 'uncompressed', contentEncoding: '', compression: CompressionAlgorithm.NONE },
];
const variants: Variant[] = compressions.flatMap(({ label: how, contentEncoding, compression }) =>
  protocols.map(({ label, contentType, Trace, Metric }) => ({
    name: `${label}, ${how}`,
    contentType,
    contentEncoding,
    traceExporter: (url: string) => new Trace({ url, compression }),
    metricExporter: (url: string) => new Metric({ url, compression }),
  })),
);

async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected the promise to reject');
}

let receiver: OtlpReceiver;

beforeEach(async () => {
  receiver = await startOtlpReceiver();
});

afterEach(async () => {
  await receiver.close();
});

describe('spans from the real OTLP trace exporters', () => {
  async function receiveSpans(variant: Variant): Promise<ReceivedSpan[]> {
    receiver.reset();
    await emitSpans(variant.traceExporter(`${receiver.url}/v1/traces`));
    const spans = await receiver.waitForSpans((received) => received.length >= 2);
    expect(receiver.requests.map((r) => [r.path, r.contentType, r.contentEncoding, r.statusCode])).toEqual([
      ['/v1/traces', variant.contentType, variant.contentEncoding, 200],
    ]);
    expect(receiver.errors).toEqual([]);
    return spans;
  }

  it.each(variants)(
    'decodes ids, kinds, timestamps, attributes, status, events and links ($name)',
    async (variant) => {
      const spans = await receiveSpans(variant);
      expect(spans).toHaveLength(2);

      const root = findSpan(spans, { name: 'GET /orders' })!;
      expect(root).toEqual({
        traceId: TRACE_ID,
        spanId: ROOT_SPAN_ID,
        parentSpanId: '',
        name: 'GET /orders',
        kind: 'SERVER',
        startTimeUnixNano: 1_700_000_000_123_456_789n,
        endTimeUnixNano: 1_700_000_000_523_456_789n,
        attributes: SERVER_ATTRIBUTES,
        status: { code: 'OK' },
        events: [],
        links: [],
        resource: expect.objectContaining({
          'service.name': 'receiver-self-test',
          'deployment.environment': 'test',
        }),
        scope: { name: 'receiver-self-test', version: '1.2.3' },
      });

      const child = findSpan(spans, { kind: 'CLIENT' })!;
      expect(child).toMatchObject({
        traceId: TRACE_ID,
        spanId: CHILD_SPAN_ID,
        parentSpanId: ROOT_SPAN_ID,
        name: 'SELECT orders',
        attributes: { 'db.system.name': 'postgresql' },
        status: { code: 'ERROR', message: 'boom' },
        events: [
          {
            name: 'exception',
            timeUnixNano: 1_700_000_000_323_456_789n,
            attributes: { 'exception.message': 'boom' },
          },
        ],
        links: [{ traceId: LINKED_TRACE_ID, spanId: LINKED_SPAN_ID, attributes: { 'link.reason': 'batch' } }],
      });
      expect(childrenOf(spans, root)).toEqual([child]);
      expect(traceOf(spans, TRACE_ID).map((s) => s.name)).toEqual(['GET /orders', 'SELECT orders']);
    },
  );

  it('yields identical spans from protobuf and JSON', async () => {
    const decoded: ReceivedSpan[][] = [];
    for (const variant of variants) decoded.push(await receiveSpans(variant));
    for (const spans of decoded.slice(1)) expect(spans).toEqual(decoded[0]);
  });

  it('lists every received span when waitForSpans times out', async () => {
    await emitSpans(variants[0]!.traceExporter(`${receiver.url}/v1/traces`));
    await receiver.waitForSpans((spans) => spans.length >= 2);
    const error = await rejectionOf(
      receiver.waitForSpans((spans) => spans.some((s) => s.name === 'never emitted'), 200),
    );
    expect(error.message).toContain('Timed out after 200 ms');
    expect(error.message).toContain(`trace ${TRACE_ID}`);
    expect(error.message).toContain(`GET /orders [SERVER] span=${ROOT_SPAN_ID} parent=root`);
    expect(error.message).toContain(`SELECT orders [CLIENT] span=${CHILD_SPAN_ID} parent=${ROOT_SPAN_ID}`);
  });
});

describe('metrics from the real OTLP metric exporters', () => {
  async function receiveMetrics(exporter: PushMetricExporter): Promise<ReceivedMetric[]> {
    receiver.reset();
    const provider = new MeterProvider({
      resource,
      readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })],
      views: [
        {
          instrumentName: 'test.exp_histogram',
          aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM },
        },
      ],
    });
    const meter = provider.getMeter('receiver-self-test', '1.2.3');

    const counter = meter.createCounter('test.requests', {
      unit: '{request}',
      description: 'Requests served',
    });
    counter.add(3, { route: '/a' });
    counter.add(4, { route: '/a' });
    counter.add(1, { route: '/b' });
    meter.createCounter('test.int_counter', { valueType: ValueType.INT }).add(5);
    const inFlight = meter.createUpDownCounter('test.in_flight');
    inFlight.add(5);
    inFlight.add(-2);
    meter
      .createObservableGauge('test.temperature')
      .addCallback((result) => result.observe(21.5, { room: 'lab' }));
    const duration = meter.createHistogram('test.duration', {
      unit: 's',
      advice: { explicitBucketBoundaries: [0.1, 1, 10] },
    });
    for (const value of [0.05, 0.5, 5, 50]) duration.record(value, { route: '/a' });
    const exp = meter.createHistogram('test.exp_histogram');
    for (const value of [1, 2, 4]) exp.record(value);

    await provider.forceFlush();
    const metrics = receiver.metrics();
    // Shutdown exports once more; the first export is the one under test.
    await provider.shutdown();
    expect(receiver.errors).toEqual([]);
    return metrics;
  }

  function byName(metrics: ReceivedMetric[], name: string): ReceivedMetric {
    const metric = metrics.find((m) => m.name === name);
    if (!metric) throw new Error(`no metric ${name} in ${metrics.map((m) => m.name).join(', ')}`);
    return metric;
  }

  function withoutTimestamps(metrics: ReceivedMetric[]): unknown[] {
    return metrics
      .map((m) => ({
        ...m,
        dataPoints: m.dataPoints.map(({ startTimeUnixNano: _s, timeUnixNano: _t, ...rest }) => rest),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  it.each(variants)('decodes sums, gauges and histograms ($name)', async (variant) => {
    const metrics = await receiveMetrics(variant.metricExporter(`${receiver.url}/v1/metrics`));
    expect(receiver.requests[0]).toMatchObject({
      path: '/v1/metrics',
      contentType: variant.contentType,
      contentEncoding: variant.contentEncoding,
      statusCode: 200,
    });

    const requests = byName(metrics, 'test.requests');
    expect(requests).toMatchObject({
      unit: '{request}',
      description: 'Requests served',
      type: 'sum',
      monotonic: true,
      temporality: 'CUMULATIVE',
      resource: expect.objectContaining({ 'service.name': 'receiver-self-test' }),
      scope: { name: 'receiver-self-test', version: '1.2.3' },
    });
    expect(requests.dataPoints.map((p) => [p.attributes, p.value])).toEqual(
      expect.arrayContaining([
        [{ route: '/a' }, 7],
        [{ route: '/b' }, 1],
      ]),
    );
    expect(requests.dataPoints[0]!.timeUnixNano).toBeGreaterThan(0n);
    expect(requests.dataPoints[0]!.startTimeUnixNano).toBeGreaterThan(0n);

    expect(byName(metrics, 'test.int_counter').dataPoints.map((p) => p.value)).toEqual([5]);
    expect(byName(metrics, 'test.in_flight')).toMatchObject({
      type: 'sum',
      monotonic: false,
      dataPoints: [{ value: 3 }],
    });

    const gauge = byName(metrics, 'test.temperature');
    expect(gauge.type).toBe('gauge');
    expect(gauge.temporality).toBeUndefined();
    expect(gauge.dataPoints).toMatchObject([{ attributes: { room: 'lab' }, value: 21.5 }]);

    const histogram = byName(metrics, 'test.duration');
    expect(histogram).toMatchObject({ type: 'histogram', unit: 's', temporality: 'CUMULATIVE' });
    expect(histogram.dataPoints).toHaveLength(1);
    const point = histogram.dataPoints[0]!;
    expect(point).toMatchObject({
      attributes: { route: '/a' },
      count: 4,
      min: 0.05,
      max: 50,
      bucketCounts: [1, 1, 1, 1],
      explicitBounds: [0.1, 1, 10],
    });
    expect(point.sum).toBeCloseTo(55.55, 10);

    const exponential = byName(metrics, 'test.exp_histogram');
    expect(exponential).toMatchObject({ type: 'exponentialHistogram', temporality: 'CUMULATIVE' });
    const expPoint = exponential.dataPoints[0]!;
    expect(expPoint).toMatchObject({ count: 3, sum: 7, min: 1, max: 4, zeroCount: 0 });
    expect(expPoint.positive!.bucketCounts.reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('yields identical metrics from protobuf and JSON', async () => {
    const decoded: unknown[][] = [];
    for (const variant of variants) {
      decoded.push(
        withoutTimestamps(await receiveMetrics(variant.metricExporter(`${receiver.url}/v1/metrics`))),
      );
    }
    for (const metrics of decoded.slice(1)) expect(metrics).toEqual(decoded[0]);
  });

  it('reports delta temporality', async () => {
    const metrics = await receiveMetrics(
      new JsonMetricExporter({
        url: `${receiver.url}/v1/metrics`,
        temporalityPreference: AggregationTemporalityPreference.DELTA,
      }),
    );
    expect(byName(metrics, 'test.requests').temporality).toBe('DELTA');
  });

  it('waitForMetric returns the latest matching export and explains a timeout', async () => {
    const exporter = variants[0]!.metricExporter(`${receiver.url}/v1/metrics`);
    const provider = new MeterProvider({
      readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })],
    });
    const counter = provider.getMeter('m').createCounter('test.ticks');
    counter.add(1);
    await provider.forceFlush();
    counter.add(1);
    await provider.forceFlush();

    const latest = await receiver.waitForMetric('test.ticks');
    expect(latest.dataPoints[0]!.value).toBe(2);
    const first = await receiver.waitForMetric('test.ticks', (m) => m.dataPoints[0]!.value === 1);
    expect(first.dataPoints[0]!.value).toBe(1);

    const error = await rejectionOf(receiver.waitForMetric('test.missing', undefined, 200));
    expect(error.message).toContain("waiting for metric 'test.missing'");
    expect(error.message).toContain('test.ticks (sum, CUMULATIVE)');
    await provider.shutdown();
  });
});

describe('receiver behaviour', () => {
  const jsonSpan = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'hand-written' } }] },
        scopeSpans: [
          {
            scope: { name: 'manual' },
            spans: [
              {
                traceId: TRACE_ID,
                spanId: ROOT_SPAN_ID,
                name: 'manual span',
                // OTLP/JSON permits enum names and string-encoded int64.
                kind: 'SPAN_KIND_PRODUCER',
                startTimeUnixNano: '1700000000123456789',
                endTimeUnixNano: '1700000000223456789',
                attributes: [
                  { key: 'big', value: { intValue: '12345678901234567890' } },
                  { key: 'small', value: { intValue: '42' } },
                  { key: 'bytes', value: { bytesValue: Buffer.from('hi').toString('base64') } },
                  {
                    key: 'map',
                    value: { kvlistValue: { values: [{ key: 'inner', value: { boolValue: false } }] } },
                  },
                ],
                status: { code: 'STATUS_CODE_ERROR', message: 'nope' },
              },
            ],
          },
        ],
      },
    ],
  };

  function post(path: string, body: string | Buffer, headers: Record<string, string>): Promise<Response> {
    return fetch(`${receiver.url}${path}`, { method: 'POST', body, headers });
  }

  it('accepts hand-written OTLP/JSON with enum names and large integers', async () => {
    const response = await post('/v1/traces', gzipSync(JSON.stringify(jsonSpan)), {
      'content-type': 'application/json; charset=utf-8',
      'content-encoding': 'gzip',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
    const [span] = await receiver.waitForSpans((spans) => spans.length === 1);
    expect(span).toMatchObject({
      kind: 'PRODUCER',
      parentSpanId: '',
      startTimeUnixNano: 1_700_000_000_123_456_789n,
      attributes: {
        big: 12_345_678_901_234_567_890n,
        small: 42,
        bytes: Buffer.from('hi'),
        map: { inner: false },
      },
      status: { code: 'ERROR', message: 'nope' },
      resource: { 'service.name': 'hand-written' },
      scope: { name: 'manual', version: undefined },
    });
  });

  it('answers with the configured failure status and stores nothing', async () => {
    receiver.setResponse(503, { 'retry-after': '1' });
    const failed = await post('/v1/traces', JSON.stringify(jsonSpan), { 'content-type': 'application/json' });
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('1');
    expect(receiver.spans()).toEqual([]);
    expect(receiver.requests).toMatchObject([{ path: '/v1/traces', statusCode: 503 }]);

    receiver.setResponse(200);
    const ok = await post('/v1/traces', JSON.stringify(jsonSpan), { 'content-type': 'application/json' });
    expect(ok.status).toBe(200);
    expect(receiver.spans()).toHaveLength(1);
  });

  it('counts log records', async () => {
    const logs = {
      resourceLogs: [
        { scopeLogs: [{ logRecords: [{ body: { stringValue: 'one' } }, { body: { stringValue: 'two' } }] }] },
      ],
    };
    const response = await post('/v1/logs', JSON.stringify(logs), { 'content-type': 'application/json' });
    expect(response.status).toBe(200);
    expect(receiver.logRecordCount()).toBe(2);
    expect(receiver.requests[0]!.path).toBe('/v1/logs');
  });

  it('rejects unknown paths, media types and undecodable bodies', async () => {
    expect((await post('/v1/profiles', '{}', { 'content-type': 'application/json' })).status).toBe(404);
    expect((await post('/v1/traces', 'x', { 'content-type': 'text/plain' })).status).toBe(415);
    expect(
      (
        await post('/v1/traces', Buffer.from([0xff, 0xff, 0xff]), {
          'content-type': 'application/x-protobuf',
        })
      ).status,
    ).toBe(400);
    expect(receiver.errors).toHaveLength(1);
    expect(receiver.errors[0]!.message).toContain('/v1/traces (application/x-protobuf');
  });

  it('reset forgets everything', async () => {
    await post('/v1/traces', JSON.stringify(jsonSpan), { 'content-type': 'application/json' });
    receiver.setResponse(500);
    receiver.reset();
    expect(receiver.spans()).toEqual([]);
    expect(receiver.requests).toEqual([]);
    const response = await post('/v1/traces', JSON.stringify(jsonSpan), {
      'content-type': 'application/json',
    });
    expect(response.status).toBe(200);
  });

  it('formats spans as a tree and flags missing parents', () => {
    const base = {
      traceId: TRACE_ID,
      kind: 'INTERNAL' as const,
      endTimeUnixNano: 0n,
      attributes: {},
      status: { code: 'UNSET' as const },
      events: [],
      links: [],
      resource: {},
      scope: { name: 's', version: undefined },
    };
    const spans: ReceivedSpan[] = [
      { ...base, name: 'child', spanId: 'b', parentSpanId: 'a', startTimeUnixNano: 2n },
      { ...base, name: 'root', spanId: 'a', parentSpanId: '', startTimeUnixNano: 1n },
      { ...base, name: 'orphan', spanId: 'c', parentSpanId: 'zz', startTimeUnixNano: 3n },
    ];
    expect(formatSpans(spans)).toBe(
      [
        `trace ${TRACE_ID}`,
        '  root [INTERNAL] span=a parent=root',
        '    child [INTERNAL] span=b parent=a',
        '  orphan [INTERNAL] span=c parent=zz (not received)',
      ].join('\n'),
    );
    expect(formatSpans([])).toBe('(no spans received)');
  });
});
