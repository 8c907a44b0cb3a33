// SPDX-License-Identifier: Apache-2.0
// Sentry is unavailable for 30 s (503s; or refused connections, then 503s, then 429s with Retry-After)
// while an app keeps producing spans, with and without a collector restart in the middle. Every span the
// app ended must reach Sentry once the outage is over: counted by span id.
import {
  type Fixture,
  type RunningCollector,
  type SentryEmulator,
  type SentryOutage,
  startFixture,
  stopAllFixtures,
} from '@otel-preset/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, startSentryPipeline } from './stack.js';

type OutagePhase = { outage: SentryOutage; forMs: number };

interface Drill {
  title: string;
  phases: OutagePhase[];
  /** When to restart the collector, from the start of the outage. */
  restartAtMs?: number;
}

const unavailable = (forMs: number): OutagePhase => ({ outage: { kind: 'status', statusCode: 503 }, forMs });

const DRILLS: Drill[] = [
  { title: 'Sentry answers 503 for 30 s', phases: [unavailable(30_000)] },
  {
    title: 'Sentry answers 503 for 30 s, collector restarted',
    phases: [unavailable(30_000)],
    restartAtMs: 12_000,
  },
  {
    title: 'Sentry refuses connections, then answers 503, then 429 with Retry-After; collector restarted',
    phases: [
      { outage: { kind: 'refuse' }, forMs: 10_000 },
      unavailable(10_000),
      { outage: { kind: 'status', statusCode: 429, retryAfterSeconds: 2 }, forMs: 10_000 },
    ],
    restartAtMs: 15_000,
  },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Plays the phases and the restart in time order. */
async function playOutage(drill: Drill, sentry: SentryEmulator, collector: RunningCollector): Promise<void> {
  const started = Date.now();
  const events: { atMs: number; run: () => Promise<void> }[] = [];
  let atMs = 0;
  for (const phase of drill.phases) {
    events.push({ atMs, run: () => sentry.setOutage(phase.outage) });
    atMs += phase.forMs;
  }
  events.push({ atMs, run: () => sentry.setOutage(undefined) });
  if (drill.restartAtMs !== undefined)
    events.push({ atMs: drill.restartAtMs, run: () => collector.restart() });
  events.sort((a, b) => a.atMs - b.atMs);
  for (const event of events) {
    await sleep(started + event.atMs - Date.now());
    await event.run();
  }
}

describe.each(DRILLS)('$title', (drill) => {
  const restart = drill.restartAtMs !== undefined;
  let sentry: SentryEmulator;
  let collector: RunningCollector;
  let stopPipeline: (() => Promise<void>) | undefined;
  let app: Fixture;

  beforeAll(async () => {
    ({
      sentry,
      collector,
      stop: stopPipeline,
    } = await startSentryPipeline({
      // Production backs off up to 60 s; a short cap keeps the recovery inside the test's time.
      OTEL_PRESET_SENTRY_RETRY_INITIAL_INTERVAL: '1s',
      OTEL_PRESET_SENTRY_RETRY_MAX_INTERVAL: '3s',
    }));
  });

  afterAll(async () => {
    await stopAllFixtures('SIGKILL');
    await stopPipeline?.();
  });

  it('loses no span, counted by span id', { timeout: 120_000 }, async () => {
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
    const before = sentry.requests.length;
    await playOutage(drill, sentry, collector);
    const turnedAway = sentry.requests.slice(before).filter((r) => r.statusCode >= 400).length;

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
      `${drill.title}: ${sent.size} spans sent, ${[...sent].filter((id) => arrived.has(id)).length} delivered, ` +
        `${lost.length} lost; ${turnedAway} export attempts turned away during the outage; ` +
        `${sentry.spans().length - arrived.size} duplicate deliveries`,
    );
    expect(lost).toEqual([]);
    // The outage was real: the collector kept trying and was turned away (refused connections leave no
    // request behind, so a refuse-only outage would show none).
    expect(turnedAway).toBeGreaterThan(2);
    expect(collector.logs().includes('--- restart ---')).toBe(restart);
  });
});
