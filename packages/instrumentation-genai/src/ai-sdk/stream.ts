// SPDX-License-Identifier: Apache-2.0
// Streamed model calls: the AI SDK publishes the provider's result (`{ stream, ... }`) when the
// response headers arrive, long before the stream is read, and publishes nothing about its parts.
// Usage, the response id and model, and chunk timing are only in the stream, so it is observed in
// place: the AI SDK reads it with exactly one `pipeThrough()`, and that one call is routed through
// an identity TransformStream first. The stream object, its parts and their order are unchanged.
import { diag } from '@opentelemetry/api';
import type { Obj } from '../providers/common.js';

export interface StreamObserver {
  onPart(part: Obj): void;
  /** The stream finished (`reason` undefined) or was cancelled or failed (`reason` = why). */
  onEnd(reason?: unknown): void;
}

function guard(step: () => void) {
  try {
    step();
  } catch (error) {
    diag.debug('@otel-preset/instrumentation-genai: AI SDK stream observer failed', error);
  }
}

/** Returns false when the stream cannot be observed (not a web stream, already being read). */
export function observeModelStream(stream: unknown, observer: StreamObserver): boolean {
  if (typeof ReadableStream !== 'function' || !(stream instanceof ReadableStream)) return false;
  if (stream.locked || Object.hasOwn(stream, 'pipeThrough')) return false;
  const pipeThrough = ReadableStream.prototype.pipeThrough;
  let ended = false;
  const end = (reason?: unknown) => {
    if (ended) return;
    ended = true;
    guard(() => observer.onEnd(reason));
  };
  Object.defineProperty(stream, 'pipeThrough', {
    configurable: true,
    writable: true,
    value: function observedPipeThrough(
      this: ReadableStream,
      transform: ReadableWritablePair<unknown, unknown>,
      options?: Parameters<ReadableStream['pipeThrough']>[1],
    ) {
      // One use only: later readers (if any) get the plain method.
      Reflect.deleteProperty(stream, 'pipeThrough');
      let observed: ReadableStream;
      try {
        observed = pipeThrough.call(
          stream,
          new TransformStream({
            transform(part, controller) {
              guard(() => observer.onPart((part ?? {}) as Obj));
              controller.enqueue(part);
            },
            flush: () => end(),
            // The reader cancelled (abort, early stop) or the source failed.
            cancel: (reason) => end(reason ?? new Error('stream cancelled')),
          }),
        );
      } catch {
        return pipeThrough.call(this, transform, options);
      }
      return pipeThrough.call(observed, transform, options);
    },
  });
  return true;
}
