// SPDX-License-Identifier: Apache-2.0
// OTLP/HTTP exporters for traces and metrics, protobuf or JSON, built from PresetConfig only: the
// exporters' own env parsing is bypassed by passing every setting explicitly.
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { OtlpSignalConfig, PresetConfig } from './config.js';

function baseOptions(signal: OtlpSignalConfig) {
  return {
    url: signal.url,
    headers: signal.headers,
    timeoutMillis: signal.timeoutMs,
    compression: signal.compression === 'gzip' ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
  };
}

export function createSpanExporter(config: PresetConfig): SpanExporter {
  const options = baseOptions(config.traces);
  if (config.traces.protocol === 'http/json') {
    const { OTLPTraceExporter } =
      require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter(options);
  }
  const { OTLPTraceExporter } =
    require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter(options);
}

export function createMetricExporter(config: PresetConfig): PushMetricExporter {
  const { AggregationTemporalityPreference } =
    require('@opentelemetry/exporter-metrics-otlp-http') as typeof import('@opentelemetry/exporter-metrics-otlp-http');
  const temporalityPreference = {
    cumulative: AggregationTemporalityPreference.CUMULATIVE,
    delta: AggregationTemporalityPreference.DELTA,
    lowmemory: AggregationTemporalityPreference.LOWMEMORY,
  }[config.metrics.temporality];
  const options = { ...baseOptions(config.metrics), temporalityPreference };
  if (config.metrics.protocol === 'http/json') {
    const { OTLPMetricExporter } =
      require('@opentelemetry/exporter-metrics-otlp-http') as typeof import('@opentelemetry/exporter-metrics-otlp-http');
    return new OTLPMetricExporter(options);
  }
  const { OTLPMetricExporter } =
    require('@opentelemetry/exporter-metrics-otlp-proto') as typeof import('@opentelemetry/exporter-metrics-otlp-proto');
  return new OTLPMetricExporter(options);
}
