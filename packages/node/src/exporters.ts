// SPDX-License-Identifier: Apache-2.0
// Span and metric exporters: the upstream OTLP serializers over our OtlpHttpSender.
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import {
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import {
  AggregationTemporality,
  InstrumentType,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { OtlpSignalConfig, Temporality } from './config.js';
import { type ExportDeadline, ExportFailure, OtlpHttpSender } from './otlp-http.js';

interface Serializer<T> {
  serializeRequest(request: T): Uint8Array | undefined;
}

/** Sends batches one after another, reporting each result to the SDK's callback. */
class OtlpExporter<T> {
  private readonly sender: OtlpHttpSender;
  private readonly pending = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(
    signal: 'traces' | 'metrics',
    config: OtlpSignalConfig,
    deadline: ExportDeadline,
    private readonly serializer: Serializer<T>,
  ) {
    this.sender = new OtlpHttpSender(signal, config, deadline);
  }

  export(items: T, resultCallback: (result: ExportResult) => void): void {
    if (this.stopped) {
      resultCallback({ code: ExportResultCode.FAILED, error: new ExportFailure('exporter is shut down') });
      return;
    }
    let body: Uint8Array | undefined;
    try {
      body = this.serializer.serializeRequest(items);
    } catch (error) {
      resultCallback({ code: ExportResultCode.FAILED, error: error as Error });
      return;
    }
    if (!body) {
      resultCallback({ code: ExportResultCode.FAILED, error: new ExportFailure('nothing to serialize') });
      return;
    }
    const sent = this.sender
      .send(body)
      .then((attempt) =>
        resultCallback(
          attempt.ok
            ? { code: ExportResultCode.SUCCESS }
            : { code: ExportResultCode.FAILED, error: new ExportFailure(attempt.reason) },
        ),
      );
    this.pending.add(sent);
    void sent.finally(() => this.pending.delete(sent));
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.pending);
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    await this.forceFlush();
  }
}

export function createSpanExporter(config: OtlpSignalConfig, deadline: ExportDeadline): SpanExporter {
  const serializer = config.protocol === 'http/json' ? JsonTraceSerializer : ProtobufTraceSerializer;
  return new OtlpExporter<ReadableSpan[]>('traces', config, deadline, serializer);
}

function temporalitySelector(preference: Temporality): (type: InstrumentType) => AggregationTemporality {
  const deltaFor: Record<Temporality, InstrumentType[]> = {
    cumulative: [],
    delta: [InstrumentType.COUNTER, InstrumentType.OBSERVABLE_COUNTER, InstrumentType.HISTOGRAM],
    lowmemory: [InstrumentType.COUNTER, InstrumentType.HISTOGRAM],
  };
  const delta = new Set(deltaFor[preference]);
  return (type) => (delta.has(type) ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE);
}

export function createMetricExporter(
  config: OtlpSignalConfig,
  temporality: Temporality,
  deadline: ExportDeadline,
): PushMetricExporter {
  const serializer = config.protocol === 'http/json' ? JsonMetricsSerializer : ProtobufMetricsSerializer;
  const exporter = new OtlpExporter<ResourceMetrics>('metrics', config, deadline, serializer);
  return Object.assign(exporter, { selectAggregationTemporality: temporalitySelector(temporality) });
}
