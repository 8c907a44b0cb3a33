// SPDX-License-Identifier: Apache-2.0
// Wrappers for the calls that enqueue: Queue.add, Queue.addBulk, Queue.upsertJobScheduler,
// FlowProducer.add and FlowProducer.addBulk (whose per-job work happens in FlowProducer.addNode).
import { type Context, context, createContextKey } from '@opentelemetry/api';
import type {
  AnyFunction,
  BulkJobLike,
  FlowNodeArgs,
  FlowNodeLike,
  JobLike,
  JobNodeLike,
  JobOptionsLike,
  QueueLike,
} from './internal-types.js';
import { type CreateOperation, SendOperation } from './producer-span.js';
import { withContextMetadata } from './propagation.js';
import { callObserved, guard, type Runtime } from './runtime.js';
import { suppressTracing, unsuppressedContext } from './suppress.js';

// Set while a flow is being added, so the recursive addNode calls know whose `send` span they belong to.
const FLOW_SEND_KEY = createContextKey('@otel-preset/instrumentation-bullmq flow send');

type Wrapper = (original: AnyFunction) => AnyFunction;

/**
 * The context BullMQ's own work for a call runs in. Its Redis commands (a Lua script per add) get no
 * spans of their own unless `redisSpans` asks for them: the `send` span already times the round trip,
 * and a child per script, without its arguments, would say nothing more at the cost of a span.
 */
function callContext(rt: Runtime, ctx: Context): Context {
  return rt.settings.redisSpans ? ctx : suppressTracing(ctx);
}

/** Queue events BullMQ emits from inside `add` (`waiting`) reach the app's listeners in the caller's context. */
export function wrapQueueEmit(): Wrapper {
  return (original) =>
    function emit(this: { listenerCount?(event: unknown): number }, ...args: unknown[]) {
      // Most apps listen to none of these events; entering a context for nobody would cost every add.
      if (this.listenerCount?.(args[0]) === 0) return original.apply(this, args);
      const outer = unsuppressedContext();
      return outer === undefined ? original.apply(this, args) : context.with(outer, original, this, ...args);
    };
}

export function wrapQueueAdd(rt: Runtime): Wrapper {
  return (original) =>
    function add(this: QueueLike, ...args: unknown[]) {
      const send = guard(rt.diag, 'Queue.add', () => {
        rt.queues.track(this);
        const [name, data, opts] = args as [string, unknown, JobOptionsLike | undefined];
        const op = new SendOperation(rt, this.name, { single: { name, data, delay: opts?.delay } });
        args[2] = withContextMetadata(opts, op.context);
        return op;
      });
      if (!send) return original.apply(this, args);
      return callObserved(
        rt.diag,
        callContext(rt, send.context),
        () => original.apply(this, args),
        (error, job) => send.end(error, job as JobLike | undefined),
      );
    };
}

export function wrapQueueAddBulk(rt: Runtime): Wrapper {
  return (original) =>
    function addBulk(this: QueueLike, ...args: unknown[]) {
      const started = guard(rt.diag, 'Queue.addBulk', () => {
        rt.queues.track(this);
        const jobs = args[0];
        if (!Array.isArray(jobs)) return undefined;
        const send = new SendOperation(rt, this.name, { batchCount: jobs.length });
        const creates = (jobs as BulkJobLike[]).map((job) =>
          send.startCreate(this.name, { name: job.name, data: job.data, delay: job.opts?.delay }),
        );
        args[0] = (jobs as BulkJobLike[]).map((job, index) => ({
          ...job,
          opts: withContextMetadata(job.opts, creates[index]!.context),
        }));
        return { send, creates };
      });
      if (!started) return original.apply(this, args);
      const { send, creates } = started;
      return callObserved(
        rt.diag,
        callContext(rt, send.context),
        () => original.apply(this, args),
        (error, jobs) => {
          creates.forEach((create, index) => {
            create.end(error, Array.isArray(jobs) ? (jobs[index] as JobLike | undefined) : undefined);
          });
          send.end(error);
        },
      );
    };
}

export function wrapQueueUpsertJobScheduler(rt: Runtime): Wrapper {
  return (original) =>
    function upsertJobScheduler(this: QueueLike, ...args: unknown[]) {
      const send = guard(rt.diag, 'Queue.upsertJobScheduler', () => {
        rt.queues.track(this);
        const schedulerId = String(args[0]);
        const template = args[2] as { name?: string; data?: unknown; opts?: JobOptionsLike } | undefined;
        const op = new SendOperation(rt, this.name, {
          single: { name: template?.name ?? schedulerId, data: template?.data ?? {}, schedulerId },
        });
        // Every job the scheduler creates inherits the template's options, this context included;
        // consumers link to it rather than parent (see propagation.ts).
        args[2] = { ...template, opts: withContextMetadata(template?.opts, op.context) };
        return op;
      });
      if (!send) return original.apply(this, args);
      return callObserved(
        rt.diag,
        callContext(rt, send.context),
        () => original.apply(this, args),
        (error, job) => send.end(error, job as JobLike | undefined),
      );
    };
}

function countNodes(node: FlowNodeLike | undefined): number {
  if (!node) return 0;
  let count = 1;
  if (Array.isArray(node.children)) for (const child of node.children) count += countNodes(child);
  return count;
}

function wrapFlowCall(
  rt: Runtime,
  what: string,
  describe: (args: unknown[]) => SendOperation | undefined,
): Wrapper {
  return (original) =>
    function flowCall(this: unknown, ...args: unknown[]) {
      const send = guard(rt.diag, what, () => describe(args));
      if (!send) return original.apply(this, args);
      return callObserved(
        rt.diag,
        callContext(rt, send.context.setValue(FLOW_SEND_KEY, send)),
        () => original.apply(this, args),
        (error, tree) => send.end(error, (tree as JobNodeLike | undefined)?.job),
      );
    };
}

export function wrapFlowProducerAdd(rt: Runtime): Wrapper {
  return wrapFlowCall(rt, 'FlowProducer.add', (args) => {
    const flow = args[0] as FlowNodeLike | undefined;
    if (!flow || typeof flow.queueName !== 'string') return undefined;
    return new SendOperation(rt, flow.queueName, { batchCount: countNodes(flow) });
  });
}

export function wrapFlowProducerAddBulk(rt: Runtime): Wrapper {
  return wrapFlowCall(rt, 'FlowProducer.addBulk', (args) => {
    const flows = args[0];
    if (!Array.isArray(flows)) return undefined;
    const queues = new Set((flows as FlowNodeLike[]).map((flow) => flow?.queueName));
    const [only] = queues;
    const queueName = queues.size === 1 && typeof only === 'string' ? only : undefined;
    const count = (flows as FlowNodeLike[]).reduce((sum, flow) => sum + countNodes(flow), 0);
    return new SendOperation(rt, queueName, { batchCount: count });
  });
}

/** One `create` span per flow node; children are added under the `send` span, not under their parent's `create`. */
export function wrapFlowProducerAddNode(rt: Runtime): Wrapper {
  return (original) =>
    function addNode(this: unknown, ...args: unknown[]) {
      const create = guard(rt.diag, 'FlowProducer.addNode', () => {
        const send = context.active().getValue(FLOW_SEND_KEY) as SendOperation | undefined;
        const input = args[0] as FlowNodeArgs | undefined;
        const node = input?.node;
        if (!send || !node || typeof node.queueName !== 'string') return undefined;
        const op: CreateOperation = send.startCreate(node.queueName, {
          name: node.name,
          data: node.data,
          delay: node.opts?.delay,
        });
        args[0] = { ...input, node: { ...node, opts: withContextMetadata(node.opts, op.context) } };
        return op;
      });
      if (!create) return original.apply(this, args);
      return callObserved(
        rt.diag,
        context.active(),
        () => original.apply(this, args),
        (error, tree) => create.end(error, (tree as JobNodeLike | undefined)?.job),
      );
    };
}
