// SPDX-License-Identifier: Apache-2.0
// One instrumentation instance for the whole test process (patching is process-wide), with
// in-memory span and metric readers. Each suite enables it, resets the data, and disables it.
import { createRequire } from 'node:module';
import type { DataPoint, MetricData } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import {
  type BrowserbaseEmulator,
  installInProcessSdk,
  startBrowserbaseEmulator,
} from '@otel-preset/test-utils';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { BrowserbaseInstrumentation } from '../src/index.js';

const sdk = installInProcessSdk({ temporality: 'cumulative' });
export const spanExporter = sdk.spanExporter;
export { waitFor } from '@otel-preset/test-utils';

export const instrumentation = new BrowserbaseInstrumentation({ enabled: false });
instrumentation.setTracerProvider(sdk.tracerProvider);
instrumentation.setMeterProvider(sdk.meterProvider);
instrumentation.enable();

/** Loaded through require() after enable(), so require-in-the-middle patches it. */
export const Browserbase = createRequire(import.meta.url)(
  '@browserbasehq/sdk',
) as typeof import('@browserbasehq/sdk').Browserbase;

export const spans = (): ReadableSpan[] => sdk.spans();
export const spanNamed = (name: string): ReadableSpan[] => spans().filter((span) => span.name === name);

export function collectMetrics(): Promise<MetricData[]> {
  return sdk.collectMetrics('@otel-preset/instrumentation-browserbase');
}

export async function metric(name: string): Promise<MetricData | undefined> {
  return (await collectMetrics()).find((data) => data.descriptor.name === name);
}

/** The sum of a counter's (or the count of a histogram's) points whose attributes include `match`. */
export async function total(name: string, match: Record<string, unknown> = {}): Promise<number> {
  const data = await metric(name);
  if (!data) return 0;
  let sum = 0;
  for (const point of data.dataPoints as DataPoint<unknown>[]) {
    if (!Object.entries(match).every(([key, value]) => point.attributes[key] === value)) continue;
    const value = point.value as number | { count: number };
    sum += typeof value === 'number' ? value : value.count;
  }
  return sum;
}

/**
 * A suite's Browserbase emulator and an SDK client pointed at it. After each test, open sessions are
 * ended and the data, config and emulator reset.
 */
export function useBrowserbaseEmulator(projectId: string): {
  emulator: BrowserbaseEmulator;
  client: InstanceType<typeof Browserbase>;
} {
  const suite = {} as { emulator: BrowserbaseEmulator; client: InstanceType<typeof Browserbase> };
  beforeAll(async () => {
    suite.emulator = await startBrowserbaseEmulator({ projectId });
    suite.client = new Browserbase({
      apiKey: suite.emulator.apiKey,
      baseURL: suite.emulator.url,
      maxRetries: 0,
    });
  });
  afterAll(async () => {
    instrumentation.endOpenSessions();
    await suite.emulator.close();
  });
  afterEach(() => {
    instrumentation.endOpenSessions();
    instrumentation.setConfig({});
    spanExporter.reset();
    suite.emulator.reset();
  });
  return suite;
}
