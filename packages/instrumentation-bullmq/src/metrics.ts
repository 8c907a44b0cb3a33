// SPDX-License-Identifier: Apache-2.0
// Synchronous job instruments. Names follow the messaging semconv where one exists; the rest are
// `bullmq.*` (see README). Buckets reach an hour because background jobs routinely outlive the
// semconv's 10 s ceiling.
import type { Counter, Histogram, Meter } from '@opentelemetry/api';
import {
  METRIC_BULLMQ_JOB_ATTEMPTS,
  METRIC_BULLMQ_JOB_FAILURES,
  METRIC_BULLMQ_JOB_RETRIES,
  METRIC_BULLMQ_JOB_STALLED,
  METRIC_BULLMQ_JOB_WAIT_DURATION,
  METRIC_MESSAGING_CLIENT_CONSUMED_MESSAGES,
  METRIC_MESSAGING_CLIENT_OPERATION_DURATION,
  METRIC_MESSAGING_CLIENT_SENT_MESSAGES,
  METRIC_MESSAGING_PROCESS_DURATION,
} from './semconv.js';

/** The semconv buckets, for client operations (enqueueing), which stay short. */
const OPERATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
/** The semconv buckets extended to an hour, for job runs and time spent queued. */
export const JOB_BUCKETS_S = [...OPERATION_BUCKETS_S, 30, 60, 120, 300, 600, 1800, 3600];
const ATTEMPT_BUCKETS = [1, 2, 3, 4, 5, 10, 25, 50, 100];

export class JobMetrics {
  readonly sentMessages: Counter;
  readonly consumedMessages: Counter;
  readonly operationDuration: Histogram;
  readonly processDuration: Histogram;
  readonly waitDuration: Histogram;
  readonly attempts: Histogram;
  readonly failures: Counter;
  readonly retries: Counter;
  readonly stalled: Counter;

  constructor(meter: Meter) {
    this.sentMessages = meter.createCounter(METRIC_MESSAGING_CLIENT_SENT_MESSAGES, {
      description: 'Jobs added to a queue (each job of a bulk or flow counts once).',
      unit: '{message}',
    });
    this.consumedMessages = meter.createCounter(METRIC_MESSAGING_CLIENT_CONSUMED_MESSAGES, {
      description: 'Job attempts a worker started.',
      unit: '{message}',
    });
    this.operationDuration = meter.createHistogram(METRIC_MESSAGING_CLIENT_OPERATION_DURATION, {
      description: 'Duration of adding jobs (add, addBulk, flows, job schedulers).',
      unit: 's',
      advice: { explicitBucketBoundaries: OPERATION_BUCKETS_S },
    });
    this.processDuration = meter.createHistogram(METRIC_MESSAGING_PROCESS_DURATION, {
      description: 'Duration of one job attempt, from the worker taking it to its completion or failure.',
      unit: 's',
      advice: { explicitBucketBoundaries: JOB_BUCKETS_S },
    });
    this.waitDuration = meter.createHistogram(METRIC_BULLMQ_JOB_WAIT_DURATION, {
      description: 'Time a job waited in the queue, from when it could first run to its first attempt.',
      unit: 's',
      advice: { explicitBucketBoundaries: JOB_BUCKETS_S },
    });
    this.attempts = meter.createHistogram(METRIC_BULLMQ_JOB_ATTEMPTS, {
      description: 'Attempts a job used, recorded when it completes or finally fails.',
      unit: '{attempt}',
      advice: { explicitBucketBoundaries: ATTEMPT_BUCKETS },
    });
    this.failures = meter.createCounter(METRIC_BULLMQ_JOB_FAILURES, {
      description: 'Failed job attempts; bullmq.job.failure.final=true when no retry follows.',
      unit: '{failure}',
    });
    this.retries = meter.createCounter(METRIC_BULLMQ_JOB_RETRIES, {
      description: 'Failed job attempts BullMQ scheduled a retry for.',
      unit: '{retry}',
    });
    this.stalled = meter.createCounter(METRIC_BULLMQ_JOB_STALLED, {
      description: 'Jobs a worker found stalled (lock expired while active) and moved back to wait.',
      unit: '{job}',
    });
  }
}

export function recordSafely(record: () => void): void {
  try {
    record();
  } catch {
    // A metric that cannot be recorded is not worth disturbing the job for.
  }
}
