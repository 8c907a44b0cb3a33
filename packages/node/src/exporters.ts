// SPDX-License-Identifier: Apache-2.0
// Span and metric exporters: OTLP serializers (ours for protobuf spans, upstream's otherwise) over our
// OtlpHttpSender.
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import {
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufMetricsSerializer,
} from '@opentelemetry/otlp-transformer';
import {
  AggregationTemporality,
  InstrumentType,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { OtlpSignalConfig, Temporality } from './config.js';
import { log } from './logging.js';
import { type ExportDeadline, ExportFailure, OtlpHttpSender } from './otlp-http.js';

interface Serializer<T> {
  serializeRequest(request: T): Uint8Array | undefined;
}

// Batches waiting for delivery (in flight or between retries). Past this, new batches are dropped:
// memory stays bounded during a long outage.
const MAX_PENDING_BATCHES = 32;

/**
 * Takes a batch from the SDK, answers at once and delivers in the background. The SDK's batch
 * processor and metric reader hold the event loop with a ref'd timer for as long as an export is
 * unanswered; answering immediately is what lets a finished app exit while the collector is down.
 * Shutdown and flush wait for the background deliveries, bounded by the shutdown deadline.
 */
export class OtlpExporter<T> {
  private readonly sender: OtlpHttpSender;
  private readonly pending = new Set<Promise<unknown>>();
  private dropped = 0;
  private stopped = false;

  constructor(
    private readonly signal: 'traces' | 'metrics',
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
    if (this.pending.size >= MAX_PENDING_BATCHES) {
      if (this.dropped++ === 0) {
        log.warn(
          `${MAX_PENDING_BATCHES} ${this.signal} batches are waiting for the collector; dropping new ones.`,
        );
      }
      resultCallback({ code: ExportResultCode.FAILED, error: new ExportFailure('too many pending batches') });
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
    const delivery = this.sender.send(body).then((attempt) => {
      if (attempt.ok) this.dropped = 0;
    });
    this.pending.add(delivery);
    void delivery.finally(() => this.pending.delete(delivery));
    resultCallback({ code: ExportResultCode.SUCCESS });
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.pending);
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    await this.forceFlush();
  }
}

/** JSON span export (protobuf spans are encoded as they end: encoding-span-processor.ts). */
export function createJsonSpanExporter(
  config: OtlpSignalConfig,
  deadline: ExportDeadline,
): OtlpExporter<ReadableSpan[]> {
  return new OtlpExporter<ReadableSpan[]>('traces', config, deadline, JsonTraceSerializer);
}

/** Protobuf span export of requests the processor has already encoded. */
export function createEncodedSpanExporter(
  config: OtlpSignalConfig,
  deadline: ExportDeadline,
): OtlpExporter<Uint8Array> {
  return new OtlpExporter<Uint8Array>('traces', config, deadline, { serializeRequest: (body) => body });
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
