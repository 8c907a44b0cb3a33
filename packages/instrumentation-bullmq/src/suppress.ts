// SPDX-License-Identifier: Apache-2.0
import { type Context, createContextKey } from '@opentelemetry/api';

// @opentelemetry/core's suppressTracing() sets this key (createContextKey is Symbol.for, so the key is
// shared); recreating it spares a runtime dependency. The SDK's tracer returns non-recording spans
// under it, so the ioredis instrumentation records nothing for the commands BullMQ sends in it.
const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

/** `ctx` with tracing suppressed: what runs in it records no spans, whoever's instrumentation asks. */
export function suppressTracing(ctx: Context): Context {
  return ctx.setValue(SUPPRESS_TRACING_KEY, true);
}
