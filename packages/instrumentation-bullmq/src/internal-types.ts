// SPDX-License-Identifier: Apache-2.0
// The parts of BullMQ's objects this package touches, typed structurally so that the instrumentation
// compiles without BullMQ installed and tolerates fields a release may drop (every field is checked).

export interface JobTelemetryOptions {
  metadata?: string;
  omitContext?: boolean;
}

export interface JobOptionsLike {
  attempts?: number;
  delay?: number;
  telemetry?: JobTelemetryOptions;
  [key: string]: unknown;
}

export interface JobLike {
  id?: string;
  name: string;
  data: unknown;
  opts?: JobOptionsLike;
  timestamp?: number;
  processedOn?: number;
  finishedOn?: number;
  attemptsMade?: number;
  attemptsStarted?: number;
  repeatJobKey?: string;
}

export interface RedisClientLike {
  defineCommand?(name: string, definition: { numberOfKeys: number; lua: string }): void;
  runCommand?(name: string, args: unknown[]): Promise<unknown>;
}

export interface QueueBackendLike {
  client?: Promise<RedisClientLike> | RedisClientLike;
}

/** A Queue or Worker: both own a (non-blocking) Redis connection we may borrow for backlog polls. */
export interface QueueLike {
  name: string;
  qualifiedName?: string;
  keys?: Record<string, string>;
  closing?: Promise<void>;
  closed?: boolean;
  getBackend?(): QueueBackendLike;
  getJobCounts?(...types: string[]): Promise<Record<string, number>>;
}

export interface WorkerLike extends QueueLike {
  id?: string;
}

export interface BulkJobLike {
  name: string;
  data: unknown;
  opts?: JobOptionsLike;
}

export interface FlowNodeLike {
  name: string;
  queueName: string;
  data?: unknown;
  opts?: JobOptionsLike;
  children?: FlowNodeLike[];
}

export interface FlowNodeArgs {
  node: FlowNodeLike;
  [key: string]: unknown;
}

export interface JobNodeLike {
  job?: JobLike;
  children?: JobNodeLike[];
}

// biome-ignore lint/suspicious/noExplicitAny: prototypes are patched generically; each wrapper narrows its own arguments.
export type AnyFunction = (...args: any[]) => any;

export interface BullMQExports {
  Queue?: { prototype: Record<string, AnyFunction> };
  Worker?: { prototype: Record<string, AnyFunction> };
  Job?: { prototype: Record<string, AnyFunction> };
  FlowProducer?: { prototype: Record<string, AnyFunction> };
}
