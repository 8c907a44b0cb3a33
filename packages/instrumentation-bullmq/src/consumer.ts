// SPDX-License-Identifier: Apache-2.0
// Wrappers for the worker side. Worker.processJob bounds one attempt; Job.moveToCompleted and
// Job.moveToFailed say how it ended (BullMQ decides retry-or-fail inside moveToFailed); Worker.emit
// is where stalled jobs surface.
import { context } from '@opentelemetry/api';
import { queueAttributes } from './attributes.js';
import { Attempt } from './consumer-attempt.js';
import type { AnyFunction, JobLike, WorkerLike } from './internal-types.js';
import { recordSafely } from './metrics.js';
import { callObserved, guard, type Runtime } from './runtime.js';

type Wrapper = (original: AnyFunction) => AnyFunction;

/** Attempts in flight, by the Job object BullMQ hands to processJob and later moves. */
const attempts = new WeakMap<object, Attempt>();

export function wrapWorkerProcessJob(rt: Runtime): Wrapper {
  return (original) =>
    function processJob(this: WorkerLike, ...args: unknown[]) {
      const job = args[0] as JobLike | undefined;
      const attempt = guard(rt.diag, 'Worker.processJob', () => {
        rt.queues.track(this);
        if (!job || typeof job !== 'object') return undefined;
        const started = new Attempt(rt, this, job);
        attempts.set(job, started);
        return started;
      });
      if (!attempt || !job) return original.apply(this, args);
      return callObserved(
        rt.diag,
        attempt.context,
        () => original.apply(this, args),
        (error) => {
          attempts.delete(job);
          attempt.processed(error);
        },
      );
    };
}

export function wrapJobMoveToCompleted(rt: Runtime): Wrapper {
  return (original) =>
    function moveToCompleted(this: JobLike, ...args: unknown[]) {
      const attempt = attempts.get(this);
      if (!attempt) return original.apply(this, args);
      return callObserved(
        rt.diag,
        context.active(),
        () => original.apply(this, args),
        (error) => {
          if (error === undefined) attempt.completed();
        },
      );
    };
}

export function wrapJobMoveToFailed(rt: Runtime): Wrapper {
  return (original) =>
    function moveToFailed(this: JobLike, ...args: unknown[]) {
      const attempt = attempts.get(this);
      if (!attempt) return original.apply(this, args);
      const failure = args[0];
      // BullMQ sets finishedOn only when the job fails for good; a retry leaves it as it was.
      const finishedBefore = this.finishedOn;
      attempt.noteFailure(failure);
      return callObserved(
        rt.diag,
        context.active(),
        () => original.apply(this, args),
        (error) => {
          if (error !== undefined) return;
          const final = typeof this.finishedOn === 'number' && this.finishedOn !== finishedBefore;
          attempt.failed(failure, final);
        },
      );
    };
}

/** Every Worker.run registers its queue for backlog polling, even before it has taken a job. */
export function wrapWorkerRun(rt: Runtime): Wrapper {
  return (original) =>
    function run(this: WorkerLike, ...args: unknown[]) {
      guard(rt.diag, 'Worker.run', () => rt.queues.track(this));
      return original.apply(this, args);
    };
}

export function wrapWorkerEmit(rt: Runtime): Wrapper {
  return (original) =>
    function emit(this: WorkerLike, ...args: unknown[]) {
      if (args[0] === 'stalled') {
        const metrics = rt.metrics;
        if (metrics) {
          recordSafely(() => metrics.stalled.add(1, queueAttributes(this.name)));
        }
      }
      return original.apply(this, args);
    };
}
