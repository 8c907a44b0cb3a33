// SPDX-License-Identifier: Apache-2.0
// The subscriber of the AI SDK's `ai:telemetry` tracing channel (ai v7 publishes on it whenever it
// has subscribers, unless a call sets `telemetry: { isEnabled: false }`). `start` runs in the
// caller's async context, so spans started there take the caller's active span as parent. The
// span's context is then made active until `end`: tracePromise runs the traced work synchronously
// between the two, so everything it starts (nested events, the provider's HTTP request) inherits it,
// and the caller's own context is restored at `end`. Diagnostics-channel subscribers that throw
// surface as uncaught exceptions, so every handler is guarded.
import { tracingChannel } from 'node:diagnostics_channel';
import { type Context, context, diag } from '@opentelemetry/api';
import type { OperationDeps } from '../operation.js';
import type { Obj } from '../providers/common.js';
import { HANDLERS, type Tracker } from './handlers.js';

export const AI_SDK_TELEMETRY_CHANNEL = 'ai:telemetry';

interface Message {
  type?: unknown;
  event?: unknown;
  result?: unknown;
  error?: unknown;
}

interface Entry {
  tracker: Tracker;
  restore?: { dispose(): void };
  failed: boolean;
}

function guard(step: () => void) {
  try {
    step();
  } catch (error) {
    diag.debug('@otel-preset/instrumentation-genai: AI SDK telemetry handler failed', error);
  }
}

/** `context.attach` is new in @opentelemetry/api 1.10; without it spans still nest under the caller. */
function attach(ctx: Context): { dispose(): void } | undefined {
  const api = context as { attach?: (ctx: unknown) => { dispose(): void } };
  return typeof api.attach === 'function' ? api.attach.call(context, ctx) : undefined;
}

export class AiSdkChannel {
  // Keyed by the AI SDK's own message object, so nothing outlives the call it describes.
  private readonly entries = new WeakMap<object, Entry>();
  private subscribed = false;
  private readonly subscribers = {
    start: (message: object) => guard(() => this.start(message as Message)),
    end: (message: object) => guard(() => this.end(message)),
    asyncStart: () => {},
    asyncEnd: (message: object) => guard(() => this.settle(message, (message as Message).result)),
    error: (message: object) => guard(() => this.error(message)),
  };

  constructor(private readonly deps: () => OperationDeps | undefined) {}

  subscribe(): void {
    if (this.subscribed) return;
    guard(() => {
      tracingChannel(AI_SDK_TELEMETRY_CHANNEL).subscribe(this.subscribers);
      this.subscribed = true;
    });
  }

  unsubscribe(): void {
    if (!this.subscribed) return;
    guard(() => {
      tracingChannel(AI_SDK_TELEMETRY_CHANNEL).unsubscribe(this.subscribers);
      this.subscribed = false;
    });
  }

  private start(message: Message) {
    const handler = typeof message.type === 'string' ? HANDLERS[message.type] : undefined;
    const event = message.event;
    const deps = handler && event && typeof event === 'object' ? this.deps() : undefined;
    if (!handler || !deps) return;
    const tracker = handler(deps, event as Obj);
    const entry: Entry = { tracker, failed: false };
    this.entries.set(message, entry);
    entry.restore = attach(tracker.context);
  }

  private end(message: object) {
    const entry = this.entries.get(message);
    if (!entry) return;
    entry.restore?.dispose();
    entry.restore = undefined;
    // A synchronous throw publishes `error` then `end`, and no `asyncEnd` follows.
    if (entry.failed) this.settle(message, undefined);
  }

  private error(message: object) {
    const entry = this.entries.get(message);
    if (!entry) return;
    entry.failed = true;
    entry.tracker.fail((message as Message).error);
  }

  private settle(message: object, result: unknown) {
    const entry = this.entries.get(message);
    if (!entry) return;
    this.entries.delete(message);
    // After a failure the result is not the provider's (the AI SDK may publish a generic error).
    entry.tracker.settle(entry.failed ? undefined : result);
  }
}
