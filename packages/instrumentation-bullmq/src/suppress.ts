// SPDX-License-Identifier: Apache-2.0
import { type Context, context, createContextKey } from '@opentelemetry/api';

// @opentelemetry/core's suppressTracing() sets this key (createContextKey is Symbol.for, so the key is
// shared); recreating it spares a runtime dependency. The SDK's tracer returns non-recording spans
// under it, so the ioredis instrumentation records nothing for the commands BullMQ sends in it.
const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');
// The context a suppressed call started from, for the app's code that BullMQ calls back from inside it.
const UNSUPPRESSED_KEY = createContextKey('@otel-preset/instrumentation-bullmq unsuppressed');

/** `ctx` with tracing suppressed: what runs in it records no spans, whoever's instrumentation asks. */
export function suppressTracing(ctx: Context): Context {
  return ctx.setValue(SUPPRESS_TRACING_KEY, true).setValue(UNSUPPRESSED_KEY, ctx);
}

/**
 * The context the active suppressed call started from, or undefined outside one: event listeners
 * BullMQ calls from inside a suppressed `add` are the app's, and run there, traced as usual.
 */
export function unsuppressedContext(): Context | undefined {
  return context.active().getValue(UNSUPPRESSED_KEY) as Context | undefined;
}
