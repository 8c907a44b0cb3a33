// SPDX-License-Identifier: Apache-2.0
// One instrumentation instance per test file (patching is process-wide), with in-memory span and
// metric readers. Metrics use delta temporality so each `drainMetrics()` sees only the last calls.
import { createRequire } from 'node:module';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { installInProcessSdk } from '@otel-preset/test-utils';
import { GenAIInstrumentation, type GenAIInstrumentationConfig } from '../src/index.js';

const sdk = installInProcessSdk({ temporality: 'delta' });
export const spanExporter = sdk.spanExporter;
export { waitFor } from '@otel-preset/test-utils';

export function setUpInstrumentation(config: GenAIInstrumentationConfig = {}) {
  const instrumentation = new GenAIInstrumentation({ ...config, enabled: false });
  instrumentation.setTracerProvider(sdk.tracerProvider);
  instrumentation.setMeterProvider(sdk.meterProvider);
  instrumentation.enable();
  return instrumentation;
}

/** Loaded through require() after enable(), so require-in-the-middle patches the CJS build. */
export const requireSdk = createRequire(import.meta.url);

export const spans = sdk.spans;

export interface Point {
  attributes: Record<string, unknown>;
  value: number;
  /** Histograms: the number of recordings. */
  count: number;
}

export type MetricPoints = Record<string, Point[]>;

/** Metrics recorded since the previous call, by name, with simplified points. */
export async function drainMetrics(): Promise<MetricPoints> {
  const result: MetricPoints = {};
  for (const data of await sdk.collectMetrics()) {
    const points = (data.dataPoints as DataPoint<number | Histogram>[]).map((point) => {
      const value = point.value;
      return typeof value === 'number'
        ? { attributes: { ...point.attributes }, value, count: 1 }
        : { attributes: { ...point.attributes }, value: value.sum ?? 0, count: value.count };
    });
    if (points.length) result[data.descriptor.name] = [...(result[data.descriptor.name] ?? []), ...points];
  }
  return result;
}

export async function reset(): Promise<void> {
  spanExporter.reset();
  await drainMetrics();
}

/** USD for `tokens` at `perMillion` USD per 1M tokens. */
export const usd = (tokens: number, perMillion: number) => (tokens * perMillion) / 1_000_000;
