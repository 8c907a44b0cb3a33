// SPDX-License-Identifier: Apache-2.0
// OTLP/protobuf request bodies for the collector benchmark, made once by the real SDK and serializer.
// Trace ids are rewritten per request (tail sampling must see new traces, not one trace over and over).
import { randomBytes, randomFillSync } from 'node:crypto';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { TracerProvider } from '@opentelemetry/sdk-trace';

const resource = resourceFromAttributes({ 'service.name': 'bench-app', 'service.instance.id': 'bench-1' });
// A recognisable id the request template carries, found once and overwritten per request.
const MARKER = 'b3c4'.repeat(7);

/** `traces` traces of 10 spans each (a server span, db and http children), like a busy API's batch. */
export function traceRequestTemplate(traces) {
  const finished = [];
  const collect = {
    onStart() {},
    onEnd: (span) => finished.push(span),
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const provider = new TracerProvider({ resource, spanProcessors: [collect] });
  const tracer = provider.getTracer('bench');
  for (let t = 0; t < traces; t++) {
    // Each trace continues an incoming traceparent whose trace id carries the marker.
    const incoming = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: `${MARKER}${t.toString(16).padStart(4, '0')}`,
      spanId: randomBytes(8).toString('hex'),
      traceFlags: 1,
      isRemote: true,
    });
    const failed = t % 20 === 0;
    const server = tracer.startSpan(
      'GET /users/:id',
      {
        kind: 1,
        attributes: {
          'http.request.method': 'GET',
          'http.route': '/users/:id',
          'http.response.status_code': failed ? 500 : 200,
          'url.path': `/users/${t}`,
          'user_agent.original': 'bench/1.0',
        },
      },
      incoming,
    );
    if (failed) server.setStatus({ code: 2, message: 'upstream failed' });
    const parent = trace.setSpan(ROOT_CONTEXT, server);
    for (let c = 0; c < 9; c++) {
      const db = c % 3 === 0;
      const child = tracer.startSpan(
        db ? 'SELECT app' : c % 3 === 1 ? 'GET' : 'incr',
        {
          kind: 2,
          attributes: db
            ? { 'db.system.name': 'postgresql', 'db.query.text': 'SELECT * FROM users WHERE id = $1' }
            : { 'server.address': 'api.example.com', 'http.request.method': 'GET' },
        },
        parent,
      );
      child.end();
    }
    server.end();
  }
  const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(finished));
  const offsets = [];
  const marker = Buffer.from(MARKER, 'hex');
  for (let at = body.indexOf(marker); at !== -1; at = body.indexOf(marker, at + 1)) offsets.push(at);
  return {
    spans: traces * 10,
    /** A copy of the template with fresh trace ids (same id for all spans of one trace). */
    next() {
      const copy = Buffer.from(body);
      const fresh = new Map();
      for (const at of offsets) {
        const old = copy.toString('hex', at + 14, at + 16);
        let id = fresh.get(old);
        if (!id) {
          id = randomFillSync(Buffer.alloc(16));
          fresh.set(old, id);
        }
        id.copy(copy, at);
      }
      return copy;
    },
  };
}

class CollectOnce extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  onForceFlush() {
    return Promise.resolve();
  }
  onShutdown() {
    return Promise.resolve();
  }
}

/** About `points` data points: request counters and duration histograms over routes and statuses. */
export async function metricRequestBody(points) {
  const reader = new CollectOnce();
  const provider = new MeterProvider({ resource, readers: [reader] });
  const meter = provider.getMeter('bench');
  const counter = meter.createCounter('bench.requests');
  const histogram = meter.createHistogram('bench.request.duration', { unit: 's' });
  for (let i = 0; i < points / 2; i++) {
    const attributes = { 'http.route': `/route/${i % 50}`, 'http.response.status_code': 200 + (i % 5) };
    attributes['series'] = i;
    counter.add(1, attributes);
    histogram.record(0.05, attributes);
  }
  const { resourceMetrics } = await reader.collect();
  return Buffer.from(ProtobufMetricsSerializer.serializeRequest(resourceMetrics));
}
