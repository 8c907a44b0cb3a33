// SPDX-License-Identifier: Apache-2.0
// The SDK an instrumentation's unit tests run it under: in-memory spans, a metric reader that collects on
// demand, registered as the process-wide providers (instrumentations patch process-wide anyway).
import { context, metrics, type Span, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
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

class OnDemandReader extends MetricReader {
  constructor(temporality: AggregationTemporality) {
    super({ aggregationTemporalitySelector: () => temporality });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface InProcessSdk {
  readonly tracerProvider: TracerProvider;
  readonly meterProvider: MeterProvider;
  readonly spanExporter: InMemorySpanExporter;
  /** Spans ended so far. */
  spans(): ReadableSpan[];
  /**
   * Collects now; with delta temporality, only what was recorded since the previous collection.
   * `scopeName` keeps one instrumentation scope's metrics.
   */
  collectMetrics(scopeName?: string): Promise<MetricData[]>;
}

/** Creates the providers and registers them (and an AsyncLocalStorage context manager) globally. */
export function installInProcessSdk(options: { temporality: 'delta' | 'cumulative' }): InProcessSdk {
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({
    spanProcessors: [new SimpleSpanProcessor({ exporter: spanExporter })],
  });
  const reader = new OnDemandReader(
    options.temporality === 'delta' ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE,
  );
  const meterProvider = new MeterProvider({ readers: [reader] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  return {
    tracerProvider,
    meterProvider,
    spanExporter,
    spans: () => spanExporter.getFinishedSpans(),
    async collectMetrics(scopeName) {
      const { resourceMetrics } = await reader.collect();
      return resourceMetrics.scopeMetrics
        .filter((scope) => scopeName === undefined || scope.scope.name === scopeName)
        .flatMap((scope) => scope.metrics);
    },
  };
}

/** Resolves once `check` holds, polling every 10 ms; rejects after `timeoutMs`. */
export function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = async () => {
      if (await check()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`condition not met within ${timeoutMs} ms`));
      setTimeout(poll, 10);
    };
    void poll();
  });
}

/** Runs `fn` inside a fresh active parent span, which ends when `fn` settles. */
export function inSpan<T>(name: string, fn: (span: Span) => Promise<T>): Promise<{ span: Span; result: T }> {
  return trace.getTracer('test').startActiveSpan(name, async (span) => {
    try {
      return { span, result: await fn(span) };
    } finally {
      span.end();
    }
  });
}

/** The in-process spans among `spans` whose parent is `parent` (`childrenOf` does this for received spans). */
export function childSpansOf(parent: Span, spans: readonly ReadableSpan[]): ReadableSpan[] {
  return spans.filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId);
}
