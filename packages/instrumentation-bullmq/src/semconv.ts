// SPDX-License-Identifier: Apache-2.0
// Messaging names are still Development in the semantic conventions, so they are copied here rather
// than imported from the package's `/incubating` entry (which may change between minor releases).
// Names that no convention defines yet live under `bullmq.*` (see README, "Metrics").

/** @experimental Messaging semconv, Development. */
export const ATTR_MESSAGING_SYSTEM = 'messaging.system';
/** @experimental */
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
/** @experimental */
export const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name';
/** @experimental */
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
/** @experimental */
export const ATTR_MESSAGING_MESSAGE_ID = 'messaging.message.id';
/** @experimental */
export const ATTR_MESSAGING_BATCH_MESSAGE_COUNT = 'messaging.batch.message_count';
/** @experimental */
export const ATTR_MESSAGING_MESSAGE_BODY_SIZE = 'messaging.message.body.size';
/** @experimental */
export const ATTR_MESSAGING_CLIENT_ID = 'messaging.client.id';

/** @experimental */
export const METRIC_MESSAGING_CLIENT_SENT_MESSAGES = 'messaging.client.sent.messages';
/** @experimental */
export const METRIC_MESSAGING_CLIENT_CONSUMED_MESSAGES = 'messaging.client.consumed.messages';
/** @experimental */
export const METRIC_MESSAGING_PROCESS_DURATION = 'messaging.process.duration';
/** @experimental */
export const METRIC_MESSAGING_CLIENT_OPERATION_DURATION = 'messaging.client.operation.duration';

// Read by Sentry's Queues view (docs.sentry.io, "queues-module"); not OpenTelemetry names.
export const ATTR_SENTRY_OP = 'sentry.op';
/** Milliseconds from when the job could first run to when a worker started it. */
export const ATTR_MESSAGING_MESSAGE_RECEIVE_LATENCY = 'messaging.message.receive.latency';
export const ATTR_MESSAGING_MESSAGE_RETRY_COUNT = 'messaging.message.retry.count';

export const MESSAGING_SYSTEM_BULLMQ = 'bullmq';
export const OPERATION_SEND = 'send';
export const OPERATION_CREATE = 'create';
export const OPERATION_PROCESS = 'process';
export const SENTRY_OP_PUBLISH = 'queue.publish';
export const SENTRY_OP_PROCESS = 'queue.process';

// BullMQ-specific names (no convention covers them).
export const ATTR_BULLMQ_JOB_NAME = 'bullmq.job.name';
export const ATTR_BULLMQ_JOB_STATE = 'bullmq.job.state';
export const ATTR_BULLMQ_JOB_OUTCOME = 'bullmq.job.outcome';
export const ATTR_BULLMQ_JOB_ATTEMPTS_MAX = 'bullmq.job.attempts.max';
export const ATTR_BULLMQ_JOB_DELAY = 'bullmq.job.delay';
export const ATTR_BULLMQ_JOB_SCHEDULER_ID = 'bullmq.job.scheduler.id';
export const ATTR_BULLMQ_JOB_FAILURE_FINAL = 'bullmq.job.failure.final';

export const METRIC_BULLMQ_JOB_WAIT_DURATION = 'bullmq.job.wait.duration';
export const METRIC_BULLMQ_JOB_ATTEMPTS = 'bullmq.job.attempts';
export const METRIC_BULLMQ_JOB_FAILURES = 'bullmq.job.failures';
export const METRIC_BULLMQ_JOB_RETRIES = 'bullmq.job.retries';
export const METRIC_BULLMQ_JOB_STALLED = 'bullmq.job.stalled';
export const METRIC_BULLMQ_QUEUE_JOBS = 'bullmq.queue.jobs';
export const METRIC_BULLMQ_QUEUE_OLDEST_WAITING_JOB_AGE = 'bullmq.queue.oldest_waiting_job.age';
