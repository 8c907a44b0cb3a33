// SPDX-License-Identifier: Apache-2.0
// Sentry answers 503 for 30 s while an app keeps producing spans; in the second run the collector is
// also restarted in the middle of it. Every span the app ended must reach Sentry once the outage is over: counted by span id.
import {
  type Fixture,
  type RunningCollector,
  type SentryEmulator,
  startCollector,
  startFixture,
  startSentryEmulator,
  stopAllFixtures,
} from '@otel-preset/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from './stack.js';

const OUTAGE_MS = 30_000;
const RESTART_AT_MS = 12_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each([
  { restart: false, title: 'Sentry outage' },
  { restart: true, title: 'Sentry outage with a collector restart' },
])('$title', ({ restart }) => {
  let sentry: SentryEmulator;
  let collector: RunningCollector;
  let app: Fixture;

  beforeAll(async () => {
    sentry = await startSentryEmulator();
    collector = await startCollector({
      env: {
        SENTRY_OTLP_TRACES_URL: sentry.otlpTracesUrl,
        SENTRY_OTLP_AUTH: sentry.otlpAuth,
        OTEL_PRESET_TRACES_EXPORTERS: '[otlp_http/sentry]',
        OTEL_PRESET_SAMPLING_PERCENT: '100',
        OTEL_PRESET_SAMPLING_DECISION_WAIT: '1s',
        // Production backs off up to 60 s; a short cap keeps the recovery inside the test's time.
        OTEL_PRESET_SENTRY_RETRY_INITIAL_INTERVAL: '1s',
        OTEL_PRESET_SENTRY_RETRY_MAX_INTERVAL: '3s',
        OTEL_PRESET_COLLECTOR_LOG_LEVEL: 'warn',
      },
    });
  });

  afterAll(async () => {
    await stopAllFixtures('SIGKILL');
    await Promise.allSettled([collector?.stop(), sentry?.close()]);
  });

  it('loses no span, counted by span id', { timeout: 120_000 }, async () => {
    await sentry.setOutage({ kind: 'status', statusCode: 503 });
    const outageStarted = Date.now();
    app = startFixture({
      script: fixturePath('span-stream.mjs'),
      nodeOptions: ['--import', '@otel-preset/node/register'],
      env: {
        OTEL_SERVICE_NAME: 'outage-drill',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpUrl,
        OTEL_BSP_SCHEDULE_DELAY: '200',
        SPAN_STREAM_INTERVAL_MS: '100',
      },
    });
    await app.waitForOutput(/streaming/);

    if (restart) {
      await sleep(RESTART_AT_MS);
      await collector.restart();
    }
    await sleep(OUTAGE_MS - (Date.now() - outageStarted));
    const rejectedDuringOutage = sentry.requests.filter((r) => r.statusCode === 503).length;
    await sentry.setOutage(undefined);

    // Stop producing, let the preload flush, then wait for Sentry to have every span.
    await app.kill('SIGTERM');
    const sent = new Set([...app.stdout().matchAll(/^span ([0-9a-f]{16})$/gm)].map((m) => m[1]!));
    expect(sent.size).toBeGreaterThan(500);
    const delivered = () => new Set(sentry.spans().map((span) => span.spanId));
    await sentry
      .waitForSpans(() => [...sent].every((id) => delivered().has(id)), 60_000)
      .catch((error: Error) => {
        const missing = [...sent].filter((id) => !delivered().has(id));
        throw new Error(
          `${missing.length} of ${sent.size} spans never reached Sentry (e.g. ${missing.slice(0, 5).join(', ')})\n` +
            `collector logs:\n${collector.logs().slice(-4000)}\n${error.message.slice(0, 2000)}`,
        );
      });

    const arrived = delivered();
    const lost = [...sent].filter((id) => !arrived.has(id));
    console.log(
      `outage drill${restart ? ' with restart' : ''}: ${sent.size} spans sent, ${[...sent].filter((id) => arrived.has(id)).length} delivered, ` +
        `${lost.length} lost; ${rejectedDuringOutage} export attempts answered 503 during the outage; ` +
        `${sentry.spans().length - arrived.size} duplicate deliveries`,
    );
    expect(lost).toEqual([]);
    // The outage was real: the collector kept trying and was turned away.
    expect(rejectedDuringOutage).toBeGreaterThan(2);
    expect(collector.logs().includes('--- restart ---')).toBe(restart);
  });
});
