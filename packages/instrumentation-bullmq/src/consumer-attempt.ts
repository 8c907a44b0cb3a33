// SPDX-License-Identifier: Apache-2.0
// One job attempt on a worker: its `process {queue}` span and the metrics recorded when it starts and
// when BullMQ settles it (completed, failed for good, failed with a retry to come, or deferred).
import {
  type Attributes,
  type Context,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { bodySize, isNonNegativeNumber, operationAttributes, withErrorType } from './attributes.js';
import type { JobLike, WorkerLike } from './internal-types.js';
import { recordSafely } from './metrics.js';
import { consumerStart } from './propagation.js';
import type { Runtime } from './runtime.js';
import {
  ATTR_BULLMQ_JOB_ATTEMPTS_MAX,
  ATTR_BULLMQ_JOB_FAILURE_FINAL,
  ATTR_BULLMQ_JOB_OUTCOME,
  ATTR_BULLMQ_JOB_SCHEDULER_ID,
  ATTR_MESSAGING_CLIENT_ID,
  ATTR_MESSAGING_MESSAGE_BODY_SIZE,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_MESSAGE_RECEIVE_LATENCY,
  ATTR_MESSAGING_MESSAGE_RETRY_COUNT,
  ATTR_SENTRY_OP,
  SENTRY_OP_PROCESS,
} from './semconv.js';

/**
 * `completed`; `retry` (failed, BullMQ will run it again); `failed` (failed for good); `deferred` (the
 * processor moved it to delayed or waiting-children, it was rate-limited, or the worker closed first).
 */
export type Outcome = 'completed' | 'retry' | 'failed' | 'deferred';

/**
 * Milliseconds between the moment the job could first run (added, plus its delay) and the moment a
 * worker took it. Only the first attempt has a known start: after a retry or a stall BullMQ keeps
 * no record of when the job went back to waiting.
 */
function receiveLatencyMs(job: JobLike): number | undefined {
  if ((job.attemptsMade ?? 0) > 0 || (job.attemptsStarted ?? 1) > 1) return undefined;
  if (!isNonNegativeNumber(job.processedOn) || !isNonNegativeNumber(job.timestamp)) return undefined;
  const delay = isNonNegativeNumber(job.opts?.delay) ? job.opts.delay : 0;
  return Math.max(0, job.processedOn - (job.timestamp + delay));
}

export class Attempt {
  readonly context: Context;
  private readonly span: Span;
  private readonly started = performance.now();
  private readonly metricAttributes: Readonly<Attributes>;
  private failure: unknown;
  private settled = false;

  constructor(
    private readonly rt: Runtime,
    worker: WorkerLike,
    private readonly job: JobLike,
  ) {
    const queueName = worker.name;
    this.metricAttributes = operationAttributes('process', queueName, job.name);
    const attributes: Attributes = {
      ...this.metricAttributes,
      [ATTR_SENTRY_OP]: SENTRY_OP_PROCESS,
      [ATTR_MESSAGING_MESSAGE_RETRY_COUNT]: job.attemptsMade ?? 0,
    };
    if (job.id !== undefined) attributes[ATTR_MESSAGING_MESSAGE_ID] = String(job.id);
    if (typeof worker.id === 'string') attributes[ATTR_MESSAGING_CLIENT_ID] = worker.id;
    // BullMQ stores `attempts: 0` when the option was not given, which means one attempt.
    const maxAttempts = job.opts?.attempts;
    attributes[ATTR_BULLMQ_JOB_ATTEMPTS_MAX] =
      typeof maxAttempts === 'number' && maxAttempts > 1 ? maxAttempts : 1;
    if (job.repeatJobKey) attributes[ATTR_BULLMQ_JOB_SCHEDULER_ID] = job.repeatJobKey;
    const latency = receiveLatencyMs(job);
    if (latency !== undefined) attributes[ATTR_MESSAGING_MESSAGE_RECEIVE_LATENCY] = latency;
    if (rt.settings.messageBodySize) {
      const size = bodySize(job.data);
      if (size !== undefined) attributes[ATTR_MESSAGING_MESSAGE_BODY_SIZE] = size;
    }

    const { parent, links } = consumerStart(job, rt.settings.contextPropagation);
    this.span = rt.tracer.startSpan(
      `process ${queueName}`,
      { kind: SpanKind.CONSUMER, attributes, links },
      parent,
    );
    this.context = trace.setSpan(parent, this.span);

    const metrics = rt.metrics;
    if (metrics) {
      recordSafely(() => {
        metrics.consumedMessages.add(1, this.metricAttributes);
        if (latency !== undefined) metrics.waitDuration.record(latency / 1000, this.metricAttributes);
      });
    }
  }

  /** BullMQ was asked to fail the job with `error`; remembered in case that move itself fails. */
  noteFailure(error: unknown): void {
    this.failure = error;
  }

  completed(): void {
    this.finish('completed', undefined);
  }

  failed(error: unknown, final: boolean): void {
    this.finish(final ? 'failed' : 'retry', error);
  }

  /** The worker is done with the job; anything not settled by a move to completed/failed ends here. */
  processed(error: unknown): void {
    const failure = error ?? this.failure;
    this.finish(failure === undefined ? 'deferred' : 'retry', failure);
  }

  private finish(outcome: Outcome, error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    const failed = outcome === 'failed' || outcome === 'retry';
    const span = this.span;
    span.setAttribute(ATTR_BULLMQ_JOB_OUTCOME, outcome);
    if (failed) {
      span.setAttribute(ATTR_BULLMQ_JOB_FAILURE_FINAL, outcome === 'failed');
      span.setAttributes(withErrorType({}, error));
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : undefined,
      });
    }
    span.end();

    const metrics = this.rt.metrics;
    if (!metrics) return;
    const seconds = (performance.now() - this.started) / 1000;
    const attributes = failed ? withErrorType(this.metricAttributes, error) : this.metricAttributes;
    recordSafely(() => {
      metrics.processDuration.record(seconds, attributes);
      if (failed) {
        metrics.failures.add(1, { ...attributes, [ATTR_BULLMQ_JOB_FAILURE_FINAL]: outcome === 'failed' });
        if (outcome === 'retry') metrics.retries.add(1, attributes);
      }
      if (outcome === 'completed' || outcome === 'failed') {
        // BullMQ has counted this attempt by now (attemptsMade is bumped after the move).
        const used = this.job.attemptsMade;
        if (isNonNegativeNumber(used) && used > 0) {
          metrics.attempts.record(used, { ...this.metricAttributes, [ATTR_BULLMQ_JOB_OUTCOME]: outcome });
        }
      }
    });
  }
}
