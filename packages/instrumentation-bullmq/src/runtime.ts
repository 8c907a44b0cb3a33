// SPDX-License-Identifier: Apache-2.0
// What every patch shares, and the one way patches call BullMQ: run the original, watch its outcome
// on a side chain, and hand back BullMQ's own return value untouched.
import { type Context, context, type DiagLogger, type Tracer } from '@opentelemetry/api';
import type { QueueRegistry } from './backlog.js';
import type { JobMetrics } from './metrics.js';
import type { Settings } from './settings.js';

export interface Runtime {
  readonly tracer: Tracer;
  /** Undefined until a meter provider is set. */
  readonly metrics: JobMetrics | undefined;
  readonly settings: Settings;
  readonly queues: QueueRegistry;
  readonly diag: DiagLogger;
}

/** Runs `fn`, swallowing and logging anything it throws: telemetry never fails the app's call. */
export function guard<T>(diag: DiagLogger, what: string, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (error) {
    diag.debug(`bullmq instrumentation: ${what} failed`, error);
    return undefined;
  }
}

/**
 * Calls `call` in `ctx` and reports how it settled to `settle`, without changing what it returns or
 * throws. The observer chain handles both outcomes, so it can never become an unhandled rejection.
 */
export function callObserved<T>(
  diag: DiagLogger,
  ctx: Context,
  call: () => T,
  settle: (error: unknown, value?: unknown) => void,
): T {
  let result: T;
  try {
    result = context.with(ctx, call);
  } catch (error) {
    guard(diag, 'settle', () => settle(error ?? new Error('undefined thrown')));
    throw error;
  }
  if (result && typeof (result as { then?: unknown }).then === 'function') {
    (result as unknown as PromiseLike<unknown>).then(
      (value) => guard(diag, 'settle', () => settle(undefined, value)),
      (error: unknown) => guard(diag, 'settle', () => settle(error ?? new Error('undefined rejection'))),
    );
  } else {
    guard(diag, 'settle', () => settle(undefined, result));
  }
  return result;
}
