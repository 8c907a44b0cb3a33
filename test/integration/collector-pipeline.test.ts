// SPDX-License-Identifier: Apache-2.0
// The whole pipeline with real processes: an app under the preload (with @sentry/node for errors) → the
// collector binary built from collector/manifest.yaml → the Sentry emulator (OTLP + envelopes) and a
// real Prometheus scraping the collector.
import { execFileSync, spawnSync } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  COLLECTOR_BINARY,
  COLLECTOR_CONFIG,
  type Fixture,
  findSpan,
  type ReceivedSpan,
  type RunningCollector,
  type RunningPrometheus,
  type SentryEmulator,
  startCollector,
  startFixture,
  startPrometheus,
  startSentryEmulator,
  stopAllFixtures,
  traceOf,
} from '@otel-preset/test-utils';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fixturePath, scopeOf } from './stack.js';

const SERVICE = 'checkout-api';
const cli = fileURLToPath(new URL('../../packages/node/dist/cli.cjs', import.meta.url));

/** The collector's Sentry settings exactly as users get them: from `otel-preset sentry-env`. */
function sentryEnvFor(dsn: string): Record<string, string> {
  const lines = execFileSync(process.execPath, [cli, 'sentry-env'], {
    env: { PATH: process.env['PATH'] ?? '', SENTRY_DSN: dsn },
    encoding: 'utf8',
  });
  return Object.fromEntries(
    lines
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/** Every trace is kept (100 %) and decided after 1 s, so assertions do not wait out the sampler. */
const FAST_PIPELINE = {
  OTEL_PRESET_SAMPLING_PERCENT: '100',
  OTEL_PRESET_SAMPLING_DECISION_WAIT: '1s',
  OTEL_PRESET_SPAN_METRICS_FLUSH_INTERVAL: '1s',
  OTEL_PRESET_COLLECTOR_LOG_LEVEL: 'warn',
};

describe('collector pipeline: app → collector → Sentry and Prometheus', () => {
  let sentry: SentryEmulator;
  let collector: RunningCollector;
  let prometheus: RunningPrometheus;
  let app: Fixture;
  let appUrl: string;
  let echo: Server;
  let echoUrl: string;
  const echoed: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    sentry = await startSentryEmulator();
    echo = createServer((req, res) => {
      echoed.push(req.headers);
      res.setHeader('content-type', 'application/json');
      res.end('{"echo":true}');
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/`;

    collector = await startCollector({ env: { ...sentryEnvFor(sentry.dsn), ...FAST_PIPELINE } });
    prometheus = await startPrometheus({
      jobs: {
        'otel-collector': [collector.metricsTarget],
        'otel-collector-self': [collector.telemetryTarget],
      },
    });
    app = startFixture({
      script: fixturePath('sentry-app.mjs'),
      nodeOptions: ['--import', '@otel-preset/node/register'],
      env: {
        PG_URL: inject('pgUrl'),
        REDIS_URL: inject('redisUrl'),
        SENTRY_DSN: sentry.dsn,
        ECHO_URL: echoUrl,
        OTEL_SERVICE_NAME: SERVICE,
        // Express handler spans are off by default; on here so the trace has every layer to deliver.
        OTEL_PRESET_EXPRESS_HANDLER_SPANS: 'true',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpUrl,
        OTEL_METRIC_EXPORT_INTERVAL: '500',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    });
    const [, port] = (await app.waitForOutput(/listening (\d+)/)) as RegExpMatchArray;
    appUrl = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await stopAllFixtures('SIGTERM');
    await Promise.allSettled([collector?.stop(), prometheus?.stop(), sentry?.close()]);
    echo?.close();
  });

  const serverSpan = (spans: ReceivedSpan[], route: string) =>
    findSpan(spans, { kind: 'SERVER', attributes: { 'http.route': route } });

  it('delivers the trace to Sentry with its http, express, pg and redis spans, and drops health checks', async () => {
    expect((await fetch(`${appUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${appUrl}/users/7`)).status).toBe(200);

    const spans = await sentry.waitForSpans((received) => {
      const server = serverSpan(received, '/users/:id');
      if (!server) return false;
      const scopes = new Set(traceOf(received, server.traceId).map((span) => span.scope.name));
      return ['http', 'express', 'pg', 'ioredis'].every((lib) => scopes.has(scopeOf(lib)));
    });
    const server = serverSpan(spans, '/users/:id')!;
    expect(server.resource['service.name']).toBe(SERVICE);
    // Added by the collector's resource processor when the app does not say.
    expect(server.resource['deployment.environment.name']).toBe('development');
    const trace = traceOf(spans, server.traceId);
    const ofScope = (lib: string) => trace.filter((span) => span.scope.name === scopeOf(lib));
    const query = ofScope('pg').find((span) => span.kind === 'CLIENT' && span.attributes['db.query.text']);
    expect(query?.attributes['db.query.text']).toBe('SELECT $1::int AS id, ? AS answer');
    expect(ofScope('ioredis').map((span) => span.attributes['db.query.text'])).toContain('incr');

    expect(serverSpan(spans, '/healthz')).toBeUndefined();
    expect(spans.some((span) => span.attributes['url.path'] === '/healthz')).toBe(false);
    // The emulator accepted only correctly addressed, correctly keyed requests.
    expect(sentry.requests.filter((r) => r.kind === 'otlp').every((r) => r.statusCode === 200)).toBe(true);
  });

  it('serves RED metrics from spans and the app metrics to Prometheus', async () => {
    for (let i = 0; i < 5; i++) expect((await fetch(`${appUrl}/users/${i}`)).status).toBe(200);
    const calls = await prometheus.waitForQuery(
      `sum by (span_name) (traces_span_metrics_calls_total{service_name="${SERVICE}", span_kind="SPAN_KIND_SERVER"})`,
      (samples) => samples.some((s) => s.metric['span_name'] === 'GET /users/:id' && s.value >= 6),
    );
    expect(calls.find((s) => s.metric['span_name'] === 'GET /users/:id')!.value).toBeGreaterThanOrEqual(6);

    const p95 = await prometheus.waitForQuery(
      `histogram_quantile(0.95, sum by (le) (traces_span_metrics_duration_seconds_bucket{service_name="${SERVICE}", span_name="GET /users/:id"}))`,
      (samples) => samples.length === 1 && Number.isFinite(samples[0]!.value),
    );
    expect(p95[0]!.value).toBeGreaterThan(0);
    expect(p95[0]!.value).toBeLessThan(10);

    const http = await prometheus.waitForQuery(
      `sum(http_server_request_duration_seconds_count{job="${SERVICE}", http_route="/users/:id"})`,
      (samples) => (samples[0]?.value ?? 0) >= 6,
    );
    expect(http[0]!.value).toBeGreaterThanOrEqual(6);

    // The collector's own telemetry, under the names the alert rules use.
    const accepted = await prometheus.waitForQuery(
      'sum(otelcol_receiver_accepted_spans_total)',
      (s) => (s[0]?.value ?? 0) > 0,
    );
    expect(accepted[0]!.value).toBeGreaterThan(0);
    const sent = await prometheus.waitForQuery(
      'sum(otelcol_exporter_sent_spans_total{exporter="otlp_http/sentry"})',
      (s) => (s[0]?.value ?? 0) > 0,
    );
    expect(sent[0]!.value).toBeGreaterThan(0);
  });

  it('links an error captured by @sentry/node to the trace of the failing request', async () => {
    expect((await fetch(`${appUrl}/checkout/31`)).status).toBe(500);
    const event = (await sentry.waitForItem('event', (payload) =>
      JSON.stringify(payload).includes('payment declined for order 31'),
    )) as { contexts: { trace: { trace_id: string; span_id: string } } };

    const spans = await sentry.waitForSpans(
      (received) => serverSpan(received, '/checkout/:id') !== undefined,
    );
    const server = serverSpan(spans, '/checkout/:id')!;
    expect(server.status.code).toBe('ERROR');
    expect(event.contexts.trace.trace_id).toBe(server.traceId);
    const traceSpanIds = traceOf(spans, server.traceId).map((span) => span.spanId);
    expect(traceSpanIds).toContain(event.contexts.trace.span_id);
    // Sentry reports errors only: no transactions, so no span is sent twice.
    expect(sentry.items('transaction')).toEqual([]);
  });

  it('leaves propagation to OpenTelemetry: traceparent goes out, sentry-trace does not', async () => {
    expect((await fetch(`${appUrl}/outbound`)).status).toBe(200);
    const headers = echoed.at(-1)!;
    expect(headers['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(headers['sentry-trace']).toBeUndefined();
  });

  it('scrubs secrets that reach it despite the app-side defaults', async () => {
    const traceId = 'aa'.repeat(16);
    const attribute = (key: string, value: string) => ({ key, value: { stringValue: value } });
    const body = {
      resourceSpans: [
        {
          resource: { attributes: [attribute('service.name', 'leaky-app')] },
          scopeSpans: [
            {
              scope: { name: 'hand-written' },
              spans: [
                {
                  traceId,
                  spanId: 'bb'.repeat(8),
                  name: 'GET /search',
                  kind: 2,
                  startTimeUnixNano: String(Date.now() * 1e6),
                  endTimeUnixNano: String((Date.now() + 5) * 1e6),
                  status: { code: 2 },
                  attributes: [
                    attribute('http.request.header.authorization', 'Bearer abc.def.ghi'),
                    attribute('http.request.header.cookie', 'session=s3cr3t'),
                    attribute('url.full', 'https://api.example.com/search?q=jane@example.com&token=t0k3n'),
                    attribute('url.query', 'q=jane@example.com'),
                    attribute(
                      'db.query.text',
                      "SELECT * FROM users WHERE email = 'jane@example.com' AND id = 42",
                    ),
                    attribute('db.query.parameter.0', 'jane@example.com'),
                    attribute('app.note', 'customer jane@example.com paid with 4111 1111 1111 1111'),
                    attribute('app.upstream_key', 'sk-proj-abcdefghijklmnopqrstuvwxyz0123'),
                    attribute(
                      'gen_ai.input.messages',
                      '[{"role":"user","content":"my password is hunter2"}]',
                    ),
                  ],
                },
              ],
            },
          ],
        },
      ],
    };
    const response = await fetch(`${collector.otlpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);

    const spans = await sentry.waitForSpans((received) => received.some((span) => span.traceId === traceId));
    const span = spans.find((s) => s.traceId === traceId)!;
    const exported = JSON.stringify({
      attributes: span.attributes,
      resource: span.resource,
      name: span.name,
    });
    for (const secret of [
      'abc.def.ghi',
      's3cr3t',
      'jane@example.com',
      't0k3n',
      '4111 1111',
      'sk-proj-',
      'hunter2',
      '42',
    ]) {
      expect(exported, `'${secret}' reached Sentry`).not.toContain(secret);
    }
    expect(span.attributes['url.full']).toBe('https://api.example.com/search');
    expect(span.attributes['db.query.text']).toBe('SELECT * FROM users WHERE email = ? AND id = ?');
    for (const key of [
      'http.request.header.authorization',
      'http.request.header.cookie',
      'url.query',
      'db.query.parameter.0',
      'gen_ai.input.messages',
    ]) {
      expect(span.attributes).not.toHaveProperty(key);
    }
  });

  it("passes the collector's own validation, with and without Sentry configured", () => {
    for (const env of [{}, sentryEnvFor(sentry.dsn)]) {
      const result = spawnSync(COLLECTOR_BINARY, ['validate', '--config', COLLECTOR_CONFIG], {
        env: { PATH: process.env['PATH'] ?? '', ...env },
        encoding: 'utf8',
      });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    }
  });
});

describe('collector without a Sentry DSN', () => {
  it('runs, accepts traces and keeps them local without errors', async () => {
    const collector = await startCollector({
      env: { ...FAST_PIPELINE, OTEL_PRESET_COLLECTOR_LOG_LEVEL: 'info' },
    });
    try {
      const stream = startFixture({
        script: fixturePath('span-stream.mjs'),
        nodeOptions: ['--import', '@otel-preset/node/register'],
        env: {
          OTEL_SERVICE_NAME: 'no-dsn',
          OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpUrl,
          OTEL_BSP_SCHEDULE_DELAY: '100',
        },
      });
      await stream.waitForOutput(/span [0-9a-f]{16}/);
      // The debug exporter logs one line per batch it received after sampling.
      await collector.process.waitForOutput(/Traces.*"spans": \d+/, 20_000);
      await stream.kill('SIGTERM');
      const logs = collector.logs();
      expect(logs).not.toMatch(/\t(error|warn)\t/i);
      expect(logs).not.toContain('sentry-not-configured');
    } finally {
      await collector.stop();
    }
  });
});
