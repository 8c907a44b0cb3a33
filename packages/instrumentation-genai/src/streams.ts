// SPDX-License-Identifier: Apache-2.0
// Observes an SDK's async iterator in place (same object, same prototype), so the caller keeps every
// method the SDK gave it. The operation ends exactly once: on completion, on error (including an
// abort), or when the caller stops early (`break` calls `return()`).
import { diag } from '@opentelemetry/api';
import type { Operation } from './operation.js';

export interface ChunkObserver<T> {
  /** Reads one chunk; return false to keep it from the caller (a chunk only we asked for). */
  onChunk(chunk: T): boolean;
  /** Called once before the operation ends: the stream completed, failed, or the caller stopped early. */
  onEnd?(reason: 'complete' | 'error' | 'return'): void;
}

function guard(step: () => void) {
  try {
    step();
  } catch (error) {
    diag.debug('@otel-preset/instrumentation-genai: stream observer failed', error);
  }
}

export function observeIterator<T>(
  iterator: AsyncIterator<T>,
  operation: Operation,
  observer: ChunkObserver<T>,
) {
  const next = iterator.next.bind(iterator);
  const originalReturn = iterator.return?.bind(iterator);
  const originalThrow = iterator.throw?.bind(iterator);
  let done = false;
  const finish = (reason: 'complete' | 'error' | 'return', error?: unknown) => {
    if (done) return;
    done = true;
    guard(() => observer.onEnd?.(reason));
    if (error !== undefined) operation.fail(error);
    operation.end();
  };
  const target = iterator as AsyncIterator<T> & Record<string, unknown>;
  target.next = async (...args: [] | [unknown]) => {
    for (;;) {
      let result: IteratorResult<T>;
      try {
        result = await next(...args);
      } catch (error) {
        finish('error', error);
        throw error;
      }
      if (result.done) {
        finish('complete');
        return result;
      }
      let deliver = true;
      guard(() => {
        deliver = observer.onChunk(result.value);
      });
      if (deliver) return result;
    }
  };
  if (originalReturn) {
    target.return = async (value?: unknown) => {
      finish('return');
      return originalReturn(value);
    };
  }
  if (originalThrow) {
    target.throw = async (error?: unknown) => {
      finish('error', error);
      return originalThrow(error);
    };
  }
  return iterator;
}
