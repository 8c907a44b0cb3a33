// SPDX-License-Identifier: Apache-2.0
// One instrumentation instance for the whole test process (patching is process-wide), with
// in-memory span and metric readers. Each suite enables it, resets the data, and disables it.
import { createRequire } from 'node:module';
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  type DataPoint,
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
import { BrowserbaseInstrumentation } from '../src/index.js';

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
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

export const instrumentation = new BrowserbaseInstrumentation({ enabled: false });
instrumentation.setTracerProvider(tracerProvider);
instrumentation.setMeterProvider(meterProvider);
instrumentation.enable();

/** Loaded through require() after enable(), so require-in-the-middle patches it. */
export const Browserbase = createRequire(import.meta.url)(
  '@browserbasehq/sdk',
) as typeof import('@browserbasehq/sdk').Browserbase;

export const spans = (): ReadableSpan[] => spanExporter.getFinishedSpans();
export const spanNamed = (name: string): ReadableSpan[] => spans().filter((span) => span.name === name);

export async function collectMetrics(): Promise<MetricData[]> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics
    .filter((scope) => scope.scope.name === '@otel-preset/instrumentation-browserbase')
    .flatMap((scope) => scope.metrics);
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

export function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = async () => {
      if (await check()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`condition not met within ${timeoutMs} ms`));
      setTimeout(poll, 20);
    };
    void poll();
  });
}
