// SPDX-License-Identifier: Apache-2.0
// The preload on a real express + PostgreSQL + Redis app, ESM and CommonJS, exporting to an in-test
// OTLP receiver. Expected trace for GET /users/7?token=secret:
//
//   GET /users/:id                    SERVER  @otel-preset/instrumentation-http-server
//   ├─ SELECT otel_preset_test        CLIENT  @otel-preset/instrumentation-pg
//   └─ incr                           CLIENT  @otel-preset/instrumentation-ioredis
//
// Express names the route on the server span but adds no layer spans, and the pool checkout adds no
// pg-pool.connect span, unless OTEL_PRESET_EXPRESS_HANDLER_SPANS / OTEL_PRESET_PG_CONNECT_SPANS say so.
import {
  type Fixture,
  formatSpans,
  type OtlpReceiver,
  type ReceivedMetric,
  type ReceivedSpan,
  startOtlpReceiver,
} from '@otel-preset/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { requestApp, type StackAppOptions, scopeOf, startStackApp, waitForStackTrace } from './stack.js';

let receiver: OtlpReceiver;
let app: Fixture | undefined;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver.close();
});
afterEach(async () => {
  await app?.kill('SIGKILL');
  app = undefined;
  receiver.reset();
});

const startApp = (
  script: StackAppOptions['script'],
  flag: StackAppOptions['flag'],
  env?: Record<string, string>,
) => startStackApp({ script, flag, receiver, env });
const request = (path: string) => requestApp(app!, path);
const traceFor = (route: string) => waitForStackTrace(receiver, route);

function point(metric: ReceivedMetric, attributes: Record<string, unknown>) {
  return metric.dataPoints.find((dp) => Object.entries(attributes).every(([k, v]) => dp.attributes[k] === v));
}

describe.each([
  { kind: 'ESM', script: 'stack-app.mjs', flag: '--import' },
  { kind: 'CommonJS', script: 'stack-app.cjs', flag: '--require' },
  // With in-thread module hooks (Node >= 22.22.3 / 24.11.1) even --require instruments ES modules.
  { kind: 'ESM (required)', script: 'stack-app.mjs', flag: '--require' },
] as const)('$kind app under $flag', ({ kind, script, flag }) => {
  const serviceName = `stack-app-${kind.toLowerCase().replace(/\W+/g, '-')}`;

  it('exports one trace with server, pg and redis spans carrying semconv attributes', async () => {
    app = startApp(script, flag, { OTEL_SERVICE_NAME: serviceName });
    const response = await request('/users/7?token=secret');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: 7, answer: 42 });

    const { server, spans } = await traceFor('/users/:id');
    const context = `\n${formatSpans(spans, { attributes: true })}`;
    const byScope = (lib: string) => spans.filter((span) => span.scope.name === scopeOf(lib));
    const isDescendantOfServer = (span: ReceivedSpan) => {
      for (let current: ReceivedSpan | undefined = span; current; ) {
        if (current.parentSpanId === server.spanId) return true;
        current = spans.find((candidate) => candidate.spanId === current!.parentSpanId);
      }
      return false;
    };

    expect(server.name, context).toBe('GET /users/:id');
    expect(server.scope.name).toBe(scopeOf('http'));
    expect(server.parentSpanId).toBe('');
    expect(server.resource['service.name']).toBe(serviceName);
    expect(server.resource['telemetry.distro.name']).toBe('@otel-preset/node');
    expect(server.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/users/:id',
      'http.response.status_code': 200,
      'url.path': '/users/7',
      'url.scheme': 'http',
    });
    // Query strings stay private unless OTEL_PRESET_CAPTURE_URL_QUERY=true.
    expect(server.attributes['url.query'], context).toBeUndefined();

    // The route is named (above) without a layer span repeating it.
    expect(byScope('express'), context).toEqual([]);
    expect(
      byScope('pg').filter((span) => span.name.endsWith('.connect')),
      context,
    ).toEqual([]);

    const query = byScope('pg').find((span) => span.kind === 'CLIENT' && span.attributes['db.query.text']);
    expect(query, context).toBeDefined();
    expect(query!.attributes).toMatchObject({
      'db.system.name': 'postgresql',
      'db.namespace': 'otel_preset_test',
      'server.address': '127.0.0.1',
      // The literal 42 is masked; the bound parameter value never appears.
      'db.query.text': 'SELECT $1::int AS id, ? AS answer',
    });
    expect(query!.name).toMatch(/SELECT/);
    expect(typeof query!.attributes['server.port']).toBe('number');
    expect(isDescendantOfServer(query!), context).toBe(true);
    expect(JSON.stringify(query!.attributes)).not.toContain('"7"');

    const incr = byScope('ioredis').find((span) => span.name === 'incr');
    expect(incr, context).toBeDefined();
    expect(incr!.kind).toBe('CLIENT');
    expect(incr!.attributes).toMatchObject({
      'db.system.name': 'redis',
      'db.operation.name': 'incr',
      // Keys and arguments are private by default.
      'db.query.text': 'incr',
    });
    expect(isDescendantOfServer(incr!), context).toBe(true);
    // Nothing to report: every instrumentation started and every export succeeded.
    expect(app!.stderr()).toBe('');
  });

  it('exports HTTP, database and runtime metrics with bounded labels', async () => {
    app = startApp(script, flag, { OTEL_SERVICE_NAME: serviceName });
    for (const id of [1, 2, 3]) expect((await request(`/users/${id}`)).status).toBe(200);

    const http = await receiver.waitForMetric(
      'http.server.request.duration',
      (metric) => (point(metric, { 'http.route': '/users/:id' })?.count ?? 0) >= 3,
    );
    expect(http).toMatchObject({ unit: 's', type: 'histogram', temporality: 'CUMULATIVE' });
    const routePoint = point(http, { 'http.route': '/users/:id' })!;
    expect(routePoint.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.response.status_code': 200,
    });
    // One series for three different ids: the path never becomes a label.
    expect(http.dataPoints.filter((dp) => dp.attributes['http.route'] === '/users/:id')).toHaveLength(1);
    expect(Object.keys(routePoint.attributes).sort()).not.toContain('url.path');
    expect(routePoint.sum!).toBeGreaterThan(0);
    expect(routePoint.sum!).toBeLessThan(10);

    const dbDuration = await receiver.waitForMetric('db.client.operation.duration', (metric) =>
      metric.dataPoints.some(
        (dp) => dp.attributes['db.system.name'] === 'postgresql' && (dp.count ?? 0) >= 3,
      ),
    );
    expect(dbDuration.unit).toBe('s');

    const connections = await receiver.waitForMetric('db.client.connection.count');
    expect(connections.dataPoints.map((dp) => dp.attributes['db.client.connection.state']).sort()).toEqual(
      expect.arrayContaining(['idle', 'used']),
    );

    const cpu = await receiver.waitForMetric('process.cpu.time');
    expect(cpu.dataPoints.map((dp) => dp.attributes['cpu.mode']).sort()).toEqual(['system', 'user']);
    const rss = await receiver.waitForMetric('process.memory.usage');
    expect(rss.dataPoints[0]!.value!).toBeGreaterThan(10 * 1024 * 1024);
    await receiver.waitForMetric('nodejs.eventloop.utilization');
    // The exporter's own requests to the collector are not telemetry about the app. By the third
    // metric export, the first two exports' requests would have been recorded.
    await vi.waitFor(
      () =>
        expect(receiver.requests.filter((r) => r.path === '/v1/metrics').length).toBeGreaterThanOrEqual(3),
      { timeout: 10_000 },
    );
    const exportCalls = receiver
      .metrics()
      .filter((metric) => metric.name === 'http.client.request.duration')
      .flatMap((metric) => metric.dataPoints)
      .filter((dp) => dp.attributes['server.port'] === receiver.port);
    expect(exportCalls).toEqual([]);
    expect(http.resource['service.name']).toBe(serviceName);
  });
});

describe('privacy and noise', () => {
  it('captures query strings and statement arguments only when asked to', async () => {
    app = startApp('stack-app.mjs', '--import', {
      OTEL_PRESET_CAPTURE_URL_QUERY: 'true',
      OTEL_PRESET_CAPTURE_DB_PARAMETERS: 'true',
    });
    expect((await request('/users/9?token=secret')).status).toBe(200);
    const { server, spans } = await traceFor('/users/:id');
    expect(server.attributes['url.query']).toBe('token=secret');
    const incr = spans.find((span) => span.name === 'incr')!;
    expect(incr.attributes['db.query.text']).toBe('incr visits:9');
    const query = spans.find((span) => span.attributes['db.query.text']?.toString().startsWith('SELECT'))!;
    expect(query.attributes['db.query.text']).toBe('SELECT $1::int AS id, 42 AS answer');
  });

  it('adds Express handler and pg pool checkout spans when asked to', async () => {
    app = startApp('stack-app.mjs', '--import', {
      OTEL_PRESET_EXPRESS_HANDLER_SPANS: 'true',
      OTEL_PRESET_PG_CONNECT_SPANS: 'true',
    });
    expect((await request('/users/5')).status).toBe(200);
    const { spans } = await waitForStackTrace(receiver, '/users/:id', ['pg', 'ioredis', 'express']);
    const context = `\n${formatSpans(spans, { attributes: true })}`;
    const express = spans.filter((span) => span.scope.name === '@opentelemetry/instrumentation-express');
    expect(
      express.map((span) => span.attributes['express.type']),
      context,
    ).toEqual(['request_handler']);
    expect(express[0]!.attributes['http.route']).toBe('/users/:id');
    expect(
      spans.some((span) => span.name === 'pg-pool.connect'),
      context,
    ).toBe(true);
  });

  it('does not trace health checks', async () => {
    app = startApp('stack-app.mjs', '--import');
    expect((await request('/healthz')).status).toBe(200);
    expect((await request('/users/1')).status).toBe(200);
    const spans = await traceFor('/users/:id');
    expect(spans.server).toBeDefined();
    expect(receiver.spans().filter((span) => span.attributes['url.path'] === '/healthz')).toEqual([]);
  });
});
