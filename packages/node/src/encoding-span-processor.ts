// SPDX-License-Identifier: Apache-2.0
// Span batching for OTLP/protobuf: each sampled span is redacted and encoded when it ends, and the
// batch is kept as bytes. The SDK's batch processor holds the span objects instead, up to a batch of
// them, and under load those spans (with their attributes, times, ids and contexts) are most of what
// outlives each young-generation GC: they are copied, some promoted, and they make V8 grow the young
// generation. Encoded, a span is garbage as soon as it ends.
import { diag, TraceFlags } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode, globalErrorHandler } from '@opentelemetry/core';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import { TraceRequestEncoder } from './otlp-trace-proto.js';
import { redactSpan } from './privacy.js';

export interface EncodedSpanExporter {
  export(body: Uint8Array, resultCallback: (result: ExportResult) => void): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface EncodingSpanProcessorOptions {
  captureUrlQuery: boolean;
  /** A batch is sent when it holds this many spans... */
  maxExportBatchSize: number;
  /** ...or this long after its first span ended. */
  scheduleDelayMs: number;
}

export class EncodingSpanProcessor implements SpanProcessor {
  private readonly encoder = new TraceRequestEncoder();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failedSpans = 0;
  // Set while a span's resource still waits for asynchronous attributes (cloud detectors): its
  // batch goes out once they are in, as the SDK's batch processor does it.
  private resourcePending: Promise<void> | undefined;

  constructor(
    private readonly exporter: EncodedSpanExporter,
    private readonly options: EncodingSpanProcessorOptions,
  ) {}

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if (this.stopped || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    try {
      this.encoder.add(redactSpan(span, this.options.captureUrlQuery));
    } catch (error) {
      // One span the encoder cannot write must not cost the app, or the rest of the batch.
      if (this.failedSpans++ === 0) diag.warn('a span could not be encoded for export; dropped', error);
      return;
    }
    if (this.resourcePending === undefined && span.resource.asyncAttributesPending) {
      this.resourcePending = Promise.resolve(span.resource.waitForAsyncAttributes?.())
        .catch(() => {})
        .then(() => {
          this.resourcePending = undefined;
          this.send();
        });
    }
    if (this.encoder.count >= this.options.maxExportBatchSize) this.send();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.send(), this.options.scheduleDelayMs);
      this.timer.unref();
    }
  }

  async forceFlush(): Promise<void> {
    await this.resourcePending;
    this.send();
    await this.exporter.forceFlush();
  }

  async shutdown(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      await this.resourcePending;
      this.send();
    }
    await this.exporter.shutdown();
  }

  private send(): void {
    if (this.resourcePending !== undefined) return;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    // Runs inside the app's span.end() or on the timer: nothing may escape.
    try {
      const body = this.encoder.take();
      if (body === undefined) return;
      this.exporter.export(body, (result) => {
        // Refusals (shut down, too many batches waiting) were reported by the exporter, once.
        if (result.code !== ExportResultCode.SUCCESS) diag.debug('span batch not sent', result.error);
      });
    } catch (error) {
      globalErrorHandler(error as Error);
    }
  }
}
