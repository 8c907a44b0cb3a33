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

/** The attributes every span and metric point of one operation on one queue shares. */
export function operationAttributes(
  operation: OperationType,
  queueName: string | undefined,
  jobName?: string,
): Attributes {
  const attributes: Attributes = {
    [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM_BULLMQ,
    [ATTR_MESSAGING_OPERATION_TYPE]: operation,
    [ATTR_MESSAGING_OPERATION_NAME]: operation,
  };
  if (queueName) attributes[ATTR_MESSAGING_DESTINATION_NAME] = queueName;
  if (typeof jobName === 'string') attributes[ATTR_BULLMQ_JOB_NAME] = jobName;
  return attributes;
}

/** Just the queue: for metrics about a queue rather than an operation (backlog, stalled jobs). */
export function queueAttributes(queueName: string): Attributes {
  return { [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM_BULLMQ, [ATTR_MESSAGING_DESTINATION_NAME]: queueName };
}

export function withErrorType(attributes: Attributes, error: unknown): Attributes {
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
