// SPDX-License-Identifier: Apache-2.0
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';

/**
 * How a job's `process` span relates to the `send`/`create` span that enqueued it.
 * - `parent`: the process span continues the producer's trace as its child (what Sentry's Queues view expects).
 * - `link`: the process span starts a new trace and links to the producer span (semconv's default).
 * Jobs created by a job scheduler always link, whatever this says, so one schedule never grows one endless trace.
 */
export type ContextPropagationMode = 'parent' | 'link';

export interface BullMQInstrumentationConfig extends InstrumentationConfig {
  /** Default: `OTEL_PRESET_BULLMQ_CONTEXT` when set and valid, else `parent`. */
  contextPropagation?: ContextPropagationMode;
  /**
   * Poll job counts and the oldest waiting job's age for every queue this process uses, at each metric
   * collection (one Redis round trip per queue). Default true.
   */
  queueBacklogMetrics?: boolean;
  /** Upper bound on one backlog poll, in ms; a slow Redis yields no backlog points rather than a late export. Default 1000. */
  backlogTimeoutMs?: number;
  /** Record `messaging.message.body.size` (bytes of the JSON-serialized job data). Default true. */
  messageBodySize?: boolean;
  /**
   * Trace the Redis commands BullMQ sends while adding jobs (its Lua scripts) as children of the `send`
   * span. Default false: the `send` span times the call, and the Redis instrumentation records nothing
   * inside it.
   */
  redisSpans?: boolean;
}
