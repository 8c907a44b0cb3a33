// SPDX-License-Identifier: Apache-2.0
// The PostgreSQL instrumentation in-process against a real server: pg and pg-pool required after it
// is enabled, spans and metrics read from the in-memory SDK.
import { createRequire } from 'node:module';
import { context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { childSpansOf, inSpan, installInProcessSdk, waitFor } from '@otel-preset/test-utils';
import type * as Pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { PgInstrumentation } from '../../packages/node/src/pg.js';

const SCOPE = '@otel-preset/instrumentation-pg';
const sdk = installInProcessSdk({ temporality: 'cumulative' });
const instrumentation = new PgInstrumentation({ enabled: false });
instrumentation.setTracerProvider(sdk.tracerProvider);
instrumentation.setMeterProvider(sdk.meterProvider);
instrumentation.enable();
// Required after enable(), so require-in-the-middle hands the modules to the instrumentation.
const pg = createRequire(import.meta.url)('pg') as typeof Pg;

let url: URL;
let database: string;
const pools: Pg.Pool[] = [];
function newPool(options: Pg.PoolConfig = {}): Pg.Pool {
  const pool = new pg.Pool({ connectionString: url.href, ...options });
  pools.push(pool);
  return pool;
}

beforeAll(() => {
  url = new URL(inject('pgUrl'));
  database = url.pathname.slice(1);
});
afterEach(() => sdk.spanExporter.reset());
afterAll(async () => {
  // A failed test can leave a client checked out, and end() waits for it.
  const ended = Promise.all(pools.map((pool) => pool.end().catch(() => {})));
  await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 2000))]);
  instrumentation.disable();
});

const querySpans = () =>
  sdk.spans().filter((span) => span.instrumentationScope.name === SCOPE && !span.name.endsWith('.connect'));

function childOf(parent: Span, spans: ReadableSpan[] = querySpans()): ReadableSpan[] {
  return childSpansOf(parent, spans);
}

async function histogramPoints(name: string): Promise<DataPoint<Histogram>[]> {
  const metric = (await sdk.collectMetrics(SCOPE)).find((m) => m.descriptor.name === name);
  return (metric?.dataPoints ?? []) as DataPoint<Histogram>[];
}

async function gaugePoints(name: string) {
  const metric = (await sdk.collectMetrics(SCOPE)).find((m) => m.descriptor.name === name);
  return (metric?.dataPoints ?? []) as DataPoint<number>[];
}

describe('PgInstrumentation', () => {
  it('makes one client span per query with the database attributes and a sanitized statement', async () => {
    const pool = newPool();
    const { span: parent, result } = await inSpan('request', () =>
      pool.query("SELECT $1::text AS email, 4111111111111111 AS card, 'jane@example.com' AS who", [
        'secret@example.com',
      ]),
    );
    expect(result.rows[0]).toMatchObject({ email: 'secret@example.com', who: 'jane@example.com' });

    const [span, ...more] = childOf(parent);
    expect(more).toEqual([]);
    expect(span!.name).toBe(`SELECT ${database}`);
    expect(span!.kind).toBe(SpanKind.CLIENT);
    expect(span!.attributes).toEqual({
      'db.system.name': 'postgresql',
      'db.namespace': database,
      'server.address': url.hostname,
      'server.port': Number(url.port),
      'db.operation.name': 'SELECT',
      'db.query.text': 'SELECT $1::text AS email, ? AS card, ? AS who',
      'sentry.op': 'db',
      'db.system': 'postgresql',
    });
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);

    const point = (await histogramPoints('db.client.operation.duration')).find(
      (p) => p.attributes['db.operation.name'] === 'SELECT',
    );
    expect(point?.attributes).toEqual({
      'db.system.name': 'postgresql',
      'db.namespace': database,
      'server.address': url.hostname,
      'server.port': Number(url.port),
      'db.operation.name': 'SELECT',
    });
    expect(point!.value.count).toBeGreaterThanOrEqual(1);
  });

  it('ends the span before a callback, which runs in the caller context', async () => {
    const pool = newPool();
    const client = await pool.connect();
    try {
      const { span: parent, result } = await inSpan(
        'request',
        (span) =>
          new Promise<{ active: Span | undefined; ended: number }>((resolve, reject) => {
            // Another context in between, as when the connection's socket events fire.
            context.with(trace.deleteSpan(context.active()), () => {});
            client.query('SELECT 1 AS one', (error) => {
              if (error) return reject(error);
              resolve({ active: trace.getActiveSpan(), ended: childOf(span).length });
            });
          }),
      );
      expect(result.active).toBe(parent);
      expect(result.ended).toBe(1);
    } finally {
      client.release();
    }
  });

  it('parents every query to its own request when callers wait for a busy pool', async () => {
    // One connection: the second caller's checkout completes when the first caller releases, inside
    // the first caller's code.
    const pool = newPool({ max: 1 });
    const requests = await Promise.all(
      ['first', 'second', 'third'].map((name) =>
        inSpan(name, () => pool.query('SELECT pg_sleep(0.02), $1::text AS name', [name])),
      ),
    );
    for (const { span } of requests) expect(childOf(span)).toHaveLength(1);
  });

  it('marks a failed query with its SQLSTATE and keeps the server message, which quotes input, out', async () => {
    const pool = newPool();
    let thrown: unknown;
    const { span: parent } = await inSpan('request', async () => {
      thrown = await pool.query("SELECT 'card-4111111111111111'::int").catch((error: unknown) => error);
    });
    expect((thrown as Error).message).toContain('card-4111111111111111');

    const [span] = childOf(parent);
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.attributes['error.type']).toBe('22P02');
    expect(span!.events.map((event) => event.name)).toEqual(['exception']);
    expect(JSON.stringify([span!.status, span!.events, span!.attributes])).not.toContain('4111');

    const points = await histogramPoints('db.client.operation.duration');
    expect(points.some((p) => p.attributes['error.type'] === '22P02')).toBe(true);
  });

  it('traces nothing outside a span', async () => {
    const pool = newPool();
    await pool.query('SELECT 1');
    expect(querySpans()).toEqual([]);
  });

  it('ends the span of a Submittable query when the server is ready again', async () => {
    const pool = newPool();
    const client = await pool.connect();
    try {
      const { span: parent } = await inSpan(
        'request',
        () =>
          new Promise<void>((resolve, reject) => {
            const query = client.query(new pg.Query('SELECT generate_series(1, 3) AS n'));
            query.on('error', reject);
            query.on('end', () => resolve());
          }),
      );
      await waitFor(() => childOf(parent).length === 1);
      expect(childOf(parent)[0]!.attributes['db.operation.name']).toBe('SELECT');
    } finally {
      client.release();
    }
  });

  it('reports pool connections, checkouts waiting and the limit from the pools themselves', async () => {
    const pool = newPool({ max: 2 });
    const name = `${url.hostname}:${url.port}/${database}`;
    const ofPool = async (metric: string) =>
      (await gaugePoints(metric)).filter((p) => p.attributes['db.client.connection.pool.name'] === name);
    const inState = async (state: string) =>
      (await ofPool('db.client.connection.count')).find(
        (p) => p.attributes['db.client.connection.state'] === state,
      )?.value;

    const first = await pool.connect();
    const second = await pool.connect();
    second.release();
    expect([await inState('used'), await inState('idle')]).toEqual([1, 1]);
    expect((await ofPool('db.client.connection.max')).map((p) => p.value)).toEqual([2]);

    const again = await pool.connect();
    const waiting = pool.connect();
    expect([await inState('used'), await inState('idle')]).toEqual([2, 0]);
    expect((await ofPool('db.client.connection.pending_requests')).map((p) => p.value)).toEqual([1]);

    first.release();
    (await waiting).release();
    again.release();
    expect((await ofPool('db.client.connection.pending_requests')).map((p) => p.value)).toEqual([0]);
    expect([await inState('used'), await inState('idle')]).toEqual([0, 2]);
  });

  it('captures the raw statement and its parameters only when asked to', async () => {
    const pool = newPool();
    const statement = 'SELECT $1::text AS a, $2::int AS b, 42 AS c';
    const run = () => inSpan('request', () => pool.query(statement, ['jane@example.com', 7]));
    instrumentation.setConfig({ captureParameters: true });
    try {
      const { span: parent } = await run();
      expect(childOf(parent)[0]!.attributes).toMatchObject({
        'db.query.text': statement,
        'db.query.parameter.0': 'jane@example.com',
        'db.query.parameter.1': '7',
      });
    } finally {
      instrumentation.setConfig({});
    }
    // The same statement again, capture off: nothing of the captured form is left in a cache.
    const { span: parent } = await run();
    const { attributes } = childOf(parent)[0]!;
    expect(attributes['db.query.text']).toBe('SELECT $1::text AS a, $2::int AS b, ? AS c');
    expect(Object.keys(attributes).filter((key) => key.startsWith('db.query.parameter'))).toEqual([]);
  });

  it('adds connect and pool checkout spans when asked to', async () => {
    instrumentation.setConfig({ connectSpans: true });
    try {
      const pool = newPool();
      const { span: parent } = await inSpan('request', () => pool.query('SELECT 1'));
      const spans = sdk.spans().filter((span) => span.instrumentationScope.name === SCOPE);
      const checkout = spans.find((span) => span.name === 'pg-pool.connect');
      expect(checkout?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
      const connect = spans.find((span) => span.name === 'pg.connect');
      expect(connect?.parentSpanContext?.spanId).toBe(checkout!.spanContext().spanId);
      expect(childOf(parent, spans).map((span) => span.name)).toEqual(
        expect.arrayContaining(['pg-pool.connect', `SELECT ${database}`]),
      );
    } finally {
      instrumentation.setConfig({});
    }
  });
});
