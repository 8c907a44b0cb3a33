// SPDX-License-Identifier: Apache-2.0
// Secrets planted in a request (query string, auth header, cookie, API key), DB parameters and literals,
// Redis arguments, an LLM prompt, a job payload and an error message about it, and Browserbase session
// metadata, with every setting at its default: none of them may reach Sentry or Prometheus.
import {
  type BrowserbaseEmulator,
  type Fixture,
  type ProviderEmulator,
  type RunningCollector,
  type RunningPrometheus,
  type SentryEmulator,
  startBrowserbaseEmulator,
  startFixture,
  startOpenAIEmulator,
  startPrometheus,
  stopAllFixtures,
} from '@otel-preset/test-utils';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fixturePath, startSentryPipeline } from '../stack.js';

const SECRETS = {
  queryString: 'drill-query-secret-5b1c',
  bearer: 'drill-bearer-token-9f8e7d6c',
  cookie: 'drill-cookie-77aa01',
  apiKey: 'sk-drill0123456789abcdefghijklmnop',
  email: 'jane.doe.drill@example.com',
  card: '4111 1111 1111 1111',
  dbParam: 'drill-db-param-c0ffee',
  redisValue: 'drill-redis-value-d00d',
  prompt: 'drill-prompt-secret-phrase',
  jobPayload: 'drill-job-payload-b16b00b5',
  browserbaseMetadata: 'drill-browserbase-meta-feed',
};

describe('privacy drill: planted secrets, default settings', () => {
  let sentry: SentryEmulator;
  let openai: ProviderEmulator;
  let browserbase: BrowserbaseEmulator;
  let collector: RunningCollector;
  let stopPipeline: (() => Promise<void>) | undefined;
  let prometheus: RunningPrometheus;
  let app: Fixture;

  beforeAll(async () => {
    [openai, browserbase] = await Promise.all([startOpenAIEmulator(), startBrowserbaseEmulator()]);
    // The pipeline keeps every trace, so the check covers all of them rather than a sample.
    ({
      sentry,
      collector,
      stop: stopPipeline,
    } = await startSentryPipeline({
      OTEL_PRESET_SPAN_METRICS_FLUSH_INTERVAL: '1s',
    }));
    prometheus = await startPrometheus({
      jobs: {
        'otel-collector': [collector.metricsTarget],
        'otel-collector-self': [collector.telemetryTarget],
      },
    });
    app = startFixture({
      script: fixturePath('privacy-app.mjs'),
      nodeOptions: ['--import', '@otel-preset/node/register'],
      env: {
        SECRETS: JSON.stringify(SECRETS),
        PG_URL: inject('pgUrl'),
        REDIS_URL: inject('redisUrl'),
        OPENAI_BASE_URL: openai.url,
        BROWSERBASE_BASE_URL: browserbase.url,
        OTEL_SERVICE_NAME: 'privacy-drill',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpUrl,
        OTEL_METRIC_EXPORT_INTERVAL: '500',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    });
  });

  afterAll(async () => {
    await stopAllFixtures('SIGKILL');
    await Promise.allSettled([stopPipeline?.(), prometheus?.stop(), openai?.close(), browserbase?.close()]);
  });

  it('keeps every secret out of Sentry and Prometheus', { timeout: 90_000 }, async () => {
    const [, port] = (await app.waitForOutput(/listening (\d+)/)) as RegExpMatchArray;
    const query = new URLSearchParams({ q: SECRETS.queryString, email: SECRETS.email });
    const response = await fetch(`http://127.0.0.1:${port}/search?${query}`, {
      headers: {
        authorization: `Bearer ${SECRETS.bearer}`,
        cookie: `sid=${SECRETS.cookie}`,
        'x-api-key': SECRETS.apiKey,
      },
    });
    expect(response.status).toBe(200);
    await app.waitForOutput(/job failed/);

    // Wait until everything the workload produces has arrived: the request's trace with its LLM,
    // queue and Browserbase spans, the failed job's trace, and the metrics in Prometheus.
    const spans = await sentry.waitForSpans((received) => {
      const names = received.map((span) => span.name);
      return [
        'GET /search',
        'chat gpt-4o-mini',
        'process privacy-drill',
        'browserbase.sessions.create',
      ].every((name) => names.includes(name));
    }, 30_000);
    await prometheus.waitForQuery('gen_ai_client_token_usage_count', undefined, 30_000);
    await prometheus.waitForQuery('messaging_client_consumed_messages_total', undefined, 30_000);
    await prometheus.waitForQuery('browserbase_session_created_total', undefined, 30_000);

    // The emulators did see the secrets: the drill planted them for real.
    expect(JSON.stringify(openai.requests)).toContain(SECRETS.prompt);
    expect(JSON.stringify(browserbase.requests)).toContain(SECRETS.browserbaseMetadata);

    const exported = JSON.stringify(
      spans.map(({ name, attributes, events, links, resource, status }) => ({
        name,
        attributes,
        events,
        links,
        resource,
        status,
      })),
      (_key, value) => (typeof value === 'bigint' ? value.toString() : value),
    );
    const series = await (await fetch(`${prometheus.url}/api/v1/series?match[]={__name__=~".%2B"}`)).text();
    const leaks = Object.entries(SECRETS).flatMap(([name, secret]) => [
      ...(exported.includes(secret) ? [`${name} reached Sentry`] : []),
      ...(series.includes(secret) ? [`${name} reached Prometheus`] : []),
    ]);
    console.log(
      `privacy drill: ${spans.length} spans and ${JSON.parse(series).data.length} series checked for ` +
        `${Object.keys(SECRETS).length} planted secrets; leaks: ${leaks.length ? leaks.join(', ') : 'none'}`,
    );
    expect(leaks).toEqual([]);
  });
});
