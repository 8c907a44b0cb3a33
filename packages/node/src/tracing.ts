// SPDX-License-Identifier: Apache-2.0
// The tracer provider: sampler, propagators, and span export (redacted, batched, OTLP).
import type { TextMapPropagator } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  type Sampler,
  SimpleSpanProcessor,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { PresetConfig } from './config.js';
import { EncodingSpanProcessor } from './encoding-span-processor.js';
import { createEncodedSpanExporter, createJsonSpanExporter } from './exporters.js';
import type { ExportDeadline } from './otlp-http.js';
import { RedactingSpanExporter } from './privacy.js';

function createSampler(config: PresetConfig): Sampler {
  const { name, ratio } = config.sampler;
  const root: Record<string, () => Sampler> = {
    always_on: () => new AlwaysOnSampler(),
    always_off: () => new AlwaysOffSampler(),
    traceidratio: () => new TraceIdRatioBasedSampler(ratio),
  };
  if (name.startsWith('parentbased_')) {
    return new ParentBasedSampler({ root: root[name.slice('parentbased_'.length)]!() });
  }
  return root[name]!();
}

export function createPropagator(config: PresetConfig): TextMapPropagator {
  const propagators: TextMapPropagator[] = [];
  if (config.propagators.includes('tracecontext')) propagators.push(new W3CTraceContextPropagator());
  if (config.propagators.includes('baggage')) propagators.push(new W3CBaggagePropagator());
  return new CompositePropagator({ propagators });
}

export interface Tracing {
  tracerProvider: TracerProvider;
  /** The OTLP exporter, for flushes that must wait until delivery (the processors do not). */
  exporter: { forceFlush(): Promise<void> } | undefined;
}

function createOtlpSpanProcessor(
  config: PresetConfig,
  deadline: ExportDeadline,
): { processor: SpanProcessor; exporter: { forceFlush(): Promise<void> } } {
  const { captureUrlQuery } = config.privacy;
  if (config.traces.protocol === 'http/json') {
    const exporter = createJsonSpanExporter(config.traces, deadline);
    const processor = new BatchSpanProcessor({
      exporter: new RedactingSpanExporter(exporter, captureUrlQuery),
      scheduledDelayMillis: config.batch.scheduleDelayMs,
      maxQueueSize: config.batch.maxQueueSize,
      maxExportBatchSize: config.batch.maxExportBatchSize,
      exportTimeoutMillis: config.batch.exportTimeoutMs,
    });
    return { processor, exporter };
  }
  const exporter = createEncodedSpanExporter(config.traces, deadline);
  const processor = new EncodingSpanProcessor(exporter, {
    captureUrlQuery,
    scheduleDelayMs: config.batch.scheduleDelayMs,
    maxExportBatchSize: config.batch.maxExportBatchSize,
  });
  return { processor, exporter };
}

export function createTracing(config: PresetConfig, resource: Resource, deadline: ExportDeadline): Tracing {
  const spanProcessors: SpanProcessor[] = [];
  let exporter: Tracing['exporter'];
  if (config.traces.enabled) {
    const otlp = createOtlpSpanProcessor(config, deadline);
    spanProcessors.push(otlp.processor);
    exporter = otlp.exporter;
  }
  if (config.traces.console) {
    const console = new RedactingSpanExporter(new ConsoleSpanExporter(), config.privacy.captureUrlQuery);
    spanProcessors.push(new SimpleSpanProcessor({ exporter: console }));
  }
  const tracerProvider = new TracerProvider({
    resource,
    sampler: createSampler(config),
    spanLimits: config.spanLimits,
    spanProcessors,
  });
  return { tracerProvider, exporter };
}
