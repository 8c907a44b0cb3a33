// SPDX-License-Identifier: Apache-2.0
// The tracer provider: sampler, propagators, batching and the redacting OTLP exporter.
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
  type SpanExporter,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { PresetConfig } from './config.js';
import { createSpanExporter } from './exporters.js';
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
  /** The OTLP exporter, for flushes that must wait until delivery (the batch processor does not). */
  exporter: SpanExporter | undefined;
}

export function createTracing(config: PresetConfig, resource: Resource, deadline: ExportDeadline): Tracing {
  const { captureUrlQuery } = config.privacy;
  const exporter = config.traces.enabled
    ? new RedactingSpanExporter(createSpanExporter(config.traces, deadline), captureUrlQuery)
    : undefined;
  const spanProcessors: SpanProcessor[] = [];
  if (exporter) {
    spanProcessors.push(
      new BatchSpanProcessor({
        exporter,
        scheduledDelayMillis: config.batch.scheduleDelayMs,
        maxQueueSize: config.batch.maxQueueSize,
        maxExportBatchSize: config.batch.maxExportBatchSize,
        exportTimeoutMillis: config.batch.exportTimeoutMs,
      }),
    );
  }
  if (config.traces.console) {
    const console = new RedactingSpanExporter(new ConsoleSpanExporter(), captureUrlQuery);
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
