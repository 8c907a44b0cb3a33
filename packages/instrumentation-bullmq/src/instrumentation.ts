// SPDX-License-Identifier: Apache-2.0
// BullMQ instrumentation: patches the prototypes of Queue, FlowProducer, Worker and Job (shared by
// every instance, whatever options the app passed), for `require('bullmq')` and `import 'bullmq'`
// alike. Why prototypes and not BullMQ's `telemetry` option: see README, "Design".
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
  isWrapped,
} from '@opentelemetry/instrumentation';
import { QueueRegistry, registerBacklogGauges } from './backlog.js';
import {
  wrapJobMoveToCompleted,
  wrapJobMoveToFailed,
  wrapWorkerEmit,
  wrapWorkerProcessJob,
  wrapWorkerRun,
} from './consumer.js';
import type { AnyFunction, BullMQExports, QueueLike } from './internal-types.js';
import { JobMetrics } from './metrics.js';
import {
  wrapFlowProducerAdd,
  wrapFlowProducerAddBulk,
  wrapFlowProducerAddNode,
  wrapQueueAdd,
  wrapQueueAddBulk,
  wrapQueueEmit,
  wrapQueueUpsertJobScheduler,
} from './producer.js';
import { guard, type Runtime } from './runtime.js';
import { resolveSettings, type Settings } from './settings.js';
import type { BullMQInstrumentationConfig } from './types.js';
import { PACKAGE_NAME, VERSION } from './version.js';

/** Tested against 6.7; the patched methods are the same across 6.x. */
export const SUPPORTED_VERSIONS = ['>=6.0.0 <7'];

type Wrapper = (original: AnyFunction) => AnyFunction;
type Prototype = Record<string, AnyFunction>;

interface State {
  settings: Settings;
  queues: QueueRegistry;
  metrics?: JobMetrics;
  unregisterBacklog?: () => void;
}

export class BullMQInstrumentation extends InstrumentationBase<BullMQInstrumentationConfig> {
  // The base constructor calls setConfig, _updateMetricInstruments and possibly patch before this
  // class's own constructor body runs, so everything below reads `state` lazily and tolerates it unset.
  private state: State | undefined;

  constructor(config: BullMQInstrumentationConfig = {}) {
    super(PACKAGE_NAME, VERSION, config);
    this.state = { settings: resolveSettings(this.getConfig()), queues: new QueueRegistry() };
    this._updateMetricInstruments();
  }

  override setConfig(config: BullMQInstrumentationConfig = {}): void {
    super.setConfig(config);
    if (this.state) this.state.settings = resolveSettings(config);
  }

  protected override _updateMetricInstruments(): void {
    const state = this.state;
    if (!state) return;
    guard(this._diag, 'metric instruments', () => {
      state.unregisterBacklog?.();
      state.unregisterBacklog = undefined;
      state.metrics = new JobMetrics(this.meter);
      if (state.settings.queueBacklogMetrics) {
        state.unregisterBacklog = registerBacklogGauges(
          this.meter,
          state.queues,
          state.settings.backlogTimeoutMs,
          this._diag,
        );
      }
    });
  }

  /**
   * The class files, not the package entry: bullmq ships CommonJS only (no `exports` map), so even an
   * ES import of it loads its classes through require(), where these hooks see them. Hooking the
   * entry would also need import-in-the-middle to discover the exports of every file the entry
   * re-exports, which costs tens of milliseconds at start-up.
   */
  protected init() {
    const files = ['queue', 'worker', 'job', 'flow-producer'].map(
      (name) =>
        new InstrumentationNodeModuleFile(
          `bullmq/dist/cjs/classes/${name}.js`,
          SUPPORTED_VERSIONS,
          (moduleExports: unknown) => {
            guard(this._diag, 'patch', () => this.patch(moduleExports as BullMQExports));
            return moduleExports;
          },
          (moduleExports: unknown) => {
            guard(this._diag, 'unpatch', () => this.unpatch(moduleExports as BullMQExports));
          },
        ),
    );
    return new InstrumentationNodeModuleDefinition('bullmq', SUPPORTED_VERSIONS, undefined, undefined, files);
  }

  private runtime(): Runtime {
    const self = this;
    const state = (): State => {
      if (!self.state) throw new Error('used before construction finished');
      return self.state;
    };
    return {
      get tracer() {
        return self.tracer;
      },
      get metrics() {
        return self.state?.metrics;
      },
      get settings() {
        return state().settings;
      },
      get queues() {
        return state().queues;
      },
      get diag() {
        return self._diag;
      },
    };
  }

  private patchTable(rt: Runtime, bullmq: BullMQExports): Array<[Prototype | undefined, string, Wrapper]> {
    const queue = bullmq.Queue?.prototype;
    const worker = bullmq.Worker?.prototype;
    const job = bullmq.Job?.prototype;
    const flow = bullmq.FlowProducer?.prototype;
    return [
      [queue, 'add', wrapQueueAdd(rt)],
      [queue, 'addBulk', wrapQueueAddBulk(rt)],
      [queue, 'upsertJobScheduler', wrapQueueUpsertJobScheduler(rt)],
      [queue, 'waitUntilReady', wrapTracking(rt)],
      [queue, 'emit', wrapQueueEmit()],
      [flow, 'add', wrapFlowProducerAdd(rt)],
      [flow, 'addBulk', wrapFlowProducerAddBulk(rt)],
      [flow, 'addNode', wrapFlowProducerAddNode(rt)],
      [worker, 'processJob', wrapWorkerProcessJob(rt)],
      [worker, 'run', wrapWorkerRun(rt)],
      [worker, 'emit', wrapWorkerEmit(rt)],
      [job, 'moveToCompleted', wrapJobMoveToCompleted(rt)],
      [job, 'moveToFailed', wrapJobMoveToFailed(rt)],
    ];
  }

  private patch(bullmq: BullMQExports | undefined): void {
    if (!bullmq) return;
    for (const [prototype, method, wrapper] of this.patchTable(this.runtime(), bullmq)) {
      // Each class file exports one of the classes; the others are patched from their own files.
      if (!prototype) continue;
      if (typeof prototype[method] !== 'function') {
        this._diag.debug(`bullmq has no ${method} to patch; that part of the telemetry is off`);
        continue;
      }
      if (isWrapped(prototype[method])) this._unwrap(prototype, method);
      this._wrap(prototype, method, wrapper);
    }
  }

  private unpatch(bullmq: BullMQExports | undefined): void {
    if (!bullmq) return;
    for (const [prototype, method] of this.patchTable(this.runtime(), bullmq)) {
      if (prototype && isWrapped(prototype[method])) this._unwrap(prototype, method);
    }
  }
}

/** The Queue constructor calls waitUntilReady, so every Queue is tracked for backlog from its creation. */
function wrapTracking(rt: Runtime): Wrapper {
  return (original) =>
    function waitUntilReady(this: QueueLike, ...args: unknown[]) {
      guard(rt.diag, 'Queue.waitUntilReady', () => rt.queues.track(this));
      return original.apply(this, args);
    };
}
