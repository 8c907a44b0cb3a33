// SPDX-License-Identifier: Apache-2.0
// One instrumentation instance per test file (patching is process-wide), with in-memory span and
// metric readers. Metrics use delta temporality so each `drainMetrics()` sees only the last calls.
import { createRequire } from 'node:module';
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  MeterProvider,
  type MetricData,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { GenAIInstrumentation, type GenAIInstrumentationConfig } from '../src/index.js';

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export const spanExporter = new InMemorySpanExporter();
const tracerProvider = new TracerProvider({
  spanProcessors: [new SimpleSpanProcessor({ exporter: spanExporter })],
});
const reader = new TestReader();
const meterProvider = new MeterProvider({ readers: [reader] });

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(tracerProvider);
metrics.setGlobalMeterProvider(meterProvider);

export function setUpInstrumentation(config: GenAIInstrumentationConfig = {}) {
  const instrumentation = new GenAIInstrumentation({ ...config, enabled: false });
  instrumentation.setTracerProvider(tracerProvider);
  instrumentation.setMeterProvider(meterProvider);
  instrumentation.enable();
  return instrumentation;
}

/** Loaded through require() after enable(), so require-in-the-middle patches the CJS build. */
export const requireSdk = createRequire(import.meta.url);

export const spans = (): ReadableSpan[] => spanExporter.getFinishedSpans();

export interface Point {
  attributes: Record<string, unknown>;
  value: number;
  /** Histograms: the number of recordings. */
  count: number;
}

export type MetricPoints = Record<string, Point[]>;

/** Metrics recorded since the previous call, by name, with simplified points. */
export async function drainMetrics(): Promise<MetricPoints> {
  const { resourceMetrics } = await reader.collect();
  const result: MetricPoints = {};
  const all: MetricData[] = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
  for (const data of all) {
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

export function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) return resolve();
      if (Date.now() > deadline) return reject(new Error('timed out waiting for condition'));
      setTimeout(tick, 10);
    };
    tick();
  });
}

/** USD for `tokens` at `perMillion` USD per 1M tokens. */
export const usd = (tokens: number, perMillion: number) => (tokens * perMillion) / 1_000_000;
