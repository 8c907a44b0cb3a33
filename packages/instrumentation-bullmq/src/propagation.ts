// SPDX-License-Identifier: Apache-2.0
// Trace context travels in BullMQ's own carrier: `opts.telemetry.metadata`, persisted with the job (the
// `tm` field of its hash) and restored on every attempt. It holds the JSON of the headers the global
// propagator injects, the same shape bullmq-otel writes, so a producer instrumented by either one can
// be continued by the other.
import {
  type Context,
  isSpanContextValid,
  type Link,
  propagation,
  ROOT_CONTEXT,
  trace,
} from '@opentelemetry/api';
import type { JobLike, JobOptionsLike } from './internal-types.js';
import type { ContextPropagationMode } from './types.js';

/** A copy of `opts` carrying `ctx`; `opts` itself when the caller opted out with `telemetry.omitContext`. */
export function withContextMetadata(
  opts: JobOptionsLike | undefined,
  ctx: Context,
): JobOptionsLike | undefined {
  if (opts?.telemetry?.omitContext) return opts;
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  if (Object.keys(carrier).length === 0) return opts;
  return { ...opts, telemetry: { ...opts?.telemetry, metadata: JSON.stringify(carrier) } };
}

function extractProducerContext(job: JobLike): Context | undefined {
  const metadata = job.opts?.telemetry?.metadata;
  if (typeof metadata !== 'string' || metadata === '') return undefined;
  let carrier: unknown;
  try {
    carrier = JSON.parse(metadata);
  } catch {
    return undefined;
  }
  if (!carrier || typeof carrier !== 'object') return undefined;
  // From the root: a worker's loop inherits whatever context constructed it (often a request), and
  // that must not become the parent of every job it ever runs.
  return propagation.extract(ROOT_CONTEXT, carrier as Record<string, string>);
}

export interface ConsumerStart {
  /** Context the process span starts in (its parent, or just the baggage when linking). */
  parent: Context;
  links: Link[];
}

/**
 * Where a job attempt's span starts. Scheduler jobs always link: each iteration carries the context of
 * the call that created the schedule, and parenting would hang every run, forever, off one trace.
 */
export function consumerStart(job: JobLike, mode: ContextPropagationMode): ConsumerStart {
  const extracted = extractProducerContext(job);
  if (!extracted) return { parent: ROOT_CONTEXT, links: [] };
  const producer = trace.getSpanContext(extracted);
  if (!producer || !isSpanContextValid(producer)) return { parent: extracted, links: [] };
  if (mode === 'link' || job.repeatJobKey) {
    return { parent: trace.deleteSpan(extracted), links: [{ context: producer }] };
  }
  return { parent: extracted, links: [] };
}
