// SPDX-License-Identifier: Apache-2.0
// The collector goes away for 60 s while the app serves traffic. The app must not notice: every request
// succeeds, memory stays put, one warning (not one per batch), and export resumes by itself.
import {
  type Fixture,
  findSpan,
  type RunningCollector,
  type SentryEmulator,
  startLoad,
  stopAllFixtures,
} from '@otel-preset/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, startSentryPipeline, startStackApp } from '../stack.js';

const OUTAGE_MS = 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The latest `memory <retained> <rss>` line of test/fixtures/memory-probe.mjs, in MiB. */
function memoryOf(app: Fixture): { retained: number; rss: number } {
  const lines = [...app.stdout().matchAll(/^memory ([\d.]+) ([\d.]+)$/gm)];
  const last = lines.at(-1);
  if (!last) throw new Error('the memory probe printed nothing');
  return { retained: Number(last[1]), rss: Number(last[2]) };
}

describe('collector down for 60 s under traffic', () => {
  let sentry: SentryEmulator;
  let collector: RunningCollector;
  let stopPipeline: (() => Promise<void>) | undefined;
  let app: Fixture;

  beforeAll(async () => {
    ({ sentry, collector, stop: stopPipeline } = await startSentryPipeline());
  });

  afterAll(async () => {
    await stopAllFixtures('SIGKILL');
    await stopPipeline?.();
  });

  it('keeps serving, holds memory, warns once and resumes export', { timeout: 150_000 }, async () => {
    app = startStackApp({
      script: 'stack-app.mjs',
      flag: '--import',
      receiver: { url: collector.otlpUrl },
      env: {
        OTEL_SERVICE_NAME: 'collector-down-drill',
        OTEL_METRIC_EXPORT_INTERVAL: '1000',
        NODE_OPTIONS: `--expose-gc --import ${fixturePath('memory-probe.mjs')}`,
      },
    });
    const [, port] = (await app.waitForOutput(/listening (\d+)/)) as RegExpMatchArray;
    let n = 0;
    const load = startLoad(() => `http://127.0.0.1:${port}/users/${n++ % 50}`, {
      concurrency: 4,
      pauseMs: 20,
    });

    // Warm up with the collector up, so the baseline includes JIT, pools and exporter buffers.
    await sleep(10_000);
    const baseline = memoryOf(app);
    await collector.shutdown();
    const outageStarted = Date.now();
    let peak = baseline;
    while (Date.now() - outageStarted < OUTAGE_MS) {
      await sleep(2000);
      const now = memoryOf(app);
      peak = { retained: Math.max(peak.retained, now.retained), rss: Math.max(peak.rss, now.rss) };
    }
    const sentDuringOutage = load.report.sent;
    await collector.start();
    const recovered = Date.now();

    // Export resumes without anyone touching the app: a request served after the collector came back
    // reaches Sentry.
    await sentry.waitForSpans(
      (spans) =>
        spans.some(
          (span) =>
            findSpan([span], { kind: 'SERVER', attributes: { 'http.route': '/users/:id' } }) &&
            Number(span.startTimeUnixNano / 1_000_000n) > recovered,
        ),
      30_000,
    );
    const report = await load.stop();

    const failed = [...report.statuses].filter(([status]) => status !== 200);
    const warnings = app.stderr().match(/cannot export traces/g) ?? [];
    console.log(
      `collector-down drill: ${report.sent} requests (${sentDuringOutage} before recovery), ` +
        `non-200: ${JSON.stringify(failed)}; app retained memory ${baseline.retained} MiB before, peak ` +
        `${peak.retained} MiB during the outage (+${(peak.retained - baseline.retained).toFixed(1)}); ` +
        `RSS ${baseline.rss} → peak ${peak.rss} MiB; ` +
        `trace export warnings: ${warnings.length}`,
    );
    expect(failed).toEqual([]);
    expect(report.sent).toBeGreaterThan(1000);
    expect(peak.retained - baseline.retained).toBeLessThanOrEqual(20);
    expect(warnings).toHaveLength(1);
    expect(app.stderr()).toMatch(/exporting traces to .* works again/);
  });
});
