// SPDX-License-Identifier: Apache-2.0
// Attribute builders. Payloads, return values and Redis arguments never become attributes; only the
// size of the payload does. Metric attributes are limited to bounded values (queue, job name, state,
// operation, error class), never job ids.
import type { Attributes } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import {
  ATTR_BULLMQ_JOB_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  MESSAGING_SYSTEM_BULLMQ,
} from './semconv.js';

export type OperationType = 'send' | 'create' | 'process';

// Frozen attribute sets, one per series. The metric calls on every add and every job attempt reuse
// them instead of building a fresh object the metrics SDK must sort and serialize again to find its
// series (the preset's bundled SDK hashes a frozen object once). Queue and job names are bounded in
// practice; the limit only guards memory against an app that names jobs after ids.
const SERIES_LIMIT = 2000;
const series = new Map<string, Readonly<Attributes>>();

/** The attributes every span and metric point of one operation on one queue shares. Frozen: copy to add to it. */
export function operationAttributes(
  operation: OperationType,
  queueName: string | undefined,
  jobName?: string,
): Readonly<Attributes> {
  // The queue name's length keeps the key unambiguous whatever characters the names hold.
  const queue = queueName ?? '';
  const key = `${operation}|${queue.length}|${queue}${typeof jobName === 'string' ? `|${jobName}` : ''}`;
  let attributes = series.get(key);
  if (attributes === undefined) {
    const fresh: Attributes = {
      [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM_BULLMQ,
      [ATTR_MESSAGING_OPERATION_TYPE]: operation,
      [ATTR_MESSAGING_OPERATION_NAME]: operation,
    };
    if (queueName) fresh[ATTR_MESSAGING_DESTINATION_NAME] = queueName;
    if (typeof jobName === 'string') fresh[ATTR_BULLMQ_JOB_NAME] = jobName;
    if (series.size >= SERIES_LIMIT) series.clear();
    attributes = Object.freeze(fresh);
    series.set(key, attributes);
  }
  return attributes;
}

/** Just the queue: for metrics about a queue rather than an operation (backlog, stalled jobs). */
export function queueAttributes(queueName: string): Attributes {
  return { [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM_BULLMQ, [ATTR_MESSAGING_DESTINATION_NAME]: queueName };
}

export function withErrorType(attributes: Readonly<Attributes>, error: unknown): Readonly<Attributes> {
  return error === undefined ? attributes : { ...attributes, [ATTR_ERROR_TYPE]: errorType(error) };
}

/** The error's class name: low-cardinality and free of the message text (which may hold user data). */
export function errorType(error: unknown): string {
  if (error instanceof Error) {
    const constructorName = error.constructor?.name;
    if (typeof error.name === 'string' && error.name && error.name !== 'Error') return error.name;
    return constructorName || 'Error';
  }
  if (error && typeof error === 'object' && typeof (error as { name?: unknown }).name === 'string') {
    return (error as { name: string }).name;
  }
  return '_OTHER';
}

/** Bytes of the job data as BullMQ stores it (JSON); undefined when it cannot be serialized. */
export function bodySize(data: unknown): number | undefined {
  try {
    const json = JSON.stringify(data === undefined ? {} : data);
    return typeof json === 'string' ? Buffer.byteLength(json) : undefined;
  } catch {
    return undefined;
  }
}

export function isNonNegativeNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
