// SPDX-License-Identifier: Apache-2.0
// The producer side's spans and metrics: one `send {queue}` span per call that enqueues, and for calls
// that enqueue several jobs (addBulk, flows) one `create {queue}` span per job, whose context is the
// one each job carries to its worker.
import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { bodySize, operationAttributes, withErrorType } from './attributes.js';
import type { JobLike } from './internal-types.js';
import { recordSafely } from './metrics.js';
import type { Runtime } from './runtime.js';
import {
  ATTR_BULLMQ_JOB_DELAY,
  ATTR_BULLMQ_JOB_NAME,
  ATTR_BULLMQ_JOB_SCHEDULER_ID,
  ATTR_MESSAGING_BATCH_MESSAGE_COUNT,
  ATTR_MESSAGING_MESSAGE_BODY_SIZE,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_SENTRY_OP,
  SENTRY_OP_PUBLISH,
} from './semconv.js';

export interface SingleJob {
  name: string;
  data: unknown;
  delay?: unknown;
  schedulerId?: string;
}

function endSpan(span: Span, error: unknown): void {
  if (error !== undefined) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : undefined,
    });
  }
  span.end();
}

function setMessageId(span: Span, job: JobLike | undefined): void {
  if (job && (typeof job.id === 'string' || typeof job.id === 'number')) {
    span.setAttribute(ATTR_MESSAGING_MESSAGE_ID, String(job.id));
  }
}

/** A span's attributes for `operation` on `queueName`, plus those of the one job it enqueues. */
function spanAttributes(
  rt: Runtime,
  operation: 'send' | 'create',
  queueName: string | undefined,
  job: SingleJob | undefined,
): Attributes {
  const attributes: Attributes = { ...operationAttributes(operation, queueName) };
  if (!job) return attributes;
  attributes[ATTR_BULLMQ_JOB_NAME] = job.name;
  attributes[ATTR_SENTRY_OP] = SENTRY_OP_PUBLISH;
  if (rt.settings.messageBodySize) {
    const size = bodySize(job.data);
    if (size !== undefined) attributes[ATTR_MESSAGING_MESSAGE_BODY_SIZE] = size;
  }
  if (typeof job.delay === 'number' && job.delay > 0) attributes[ATTR_BULLMQ_JOB_DELAY] = job.delay;
  if (job.schedulerId) attributes[ATTR_BULLMQ_JOB_SCHEDULER_ID] = job.schedulerId;
  return attributes;
}

export class CreateOperation {
  readonly span: Span;
  /** The context the job carries: the worker's span continues or links to this span. */
  readonly context: Context;

  constructor(rt: Runtime, parent: Context, queueName: string, job: SingleJob) {
    this.span = rt.tracer.startSpan(
      `create ${queueName}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: spanAttributes(rt, 'create', queueName, job),
      },
      parent,
    );
    this.context = trace.setSpan(parent, this.span);
  }

  end(error: unknown, job: JobLike | undefined): void {
    setMessageId(this.span, job);
    endSpan(this.span, error);
  }
}

interface Message {
  queueName: string;
  jobName: string;
}

export class SendOperation {
  readonly span: Span;
  readonly context: Context;
  private readonly started = performance.now();
  private readonly messages: Message[] = [];

  /** `queueName` is undefined for a bulk of flows rooted in different queues. */
  constructor(
    private readonly rt: Runtime,
    private readonly queueName: string | undefined,
    options: { single?: SingleJob; batchCount?: number },
  ) {
    const attributes = spanAttributes(rt, 'send', queueName, options.single);
    if (options.batchCount !== undefined) attributes[ATTR_MESSAGING_BATCH_MESSAGE_COUNT] = options.batchCount;
    const parent = context.active();
    this.span = rt.tracer.startSpan(
      queueName ? `send ${queueName}` : 'send',
      { kind: SpanKind.PRODUCER, attributes },
      parent,
    );
    this.context = trace.setSpan(parent, this.span);
    if (options.single && queueName) this.messages.push({ queueName, jobName: options.single.name });
  }

  /** A `create` span for one job of this call, a child of the `send` span. */
  startCreate(queueName: string, job: SingleJob): CreateOperation {
    this.messages.push({ queueName, jobName: job.name });
    return new CreateOperation(this.rt, this.context, queueName, job);
  }

  end(error: unknown, job?: JobLike): void {
    setMessageId(this.span, job);
    endSpan(this.span, error);
    const metrics = this.rt.metrics;
    if (!metrics) return;
    const seconds = (performance.now() - this.started) / 1000;
    recordSafely(() => {
      metrics.operationDuration.record(
        seconds,
        withErrorType(operationAttributes('send', this.queueName), error),
      );
      for (const message of this.messages) {
        metrics.sentMessages.add(
          1,
          withErrorType(operationAttributes('send', message.queueName, message.jobName), error),
        );
      }
    });
  }
}
