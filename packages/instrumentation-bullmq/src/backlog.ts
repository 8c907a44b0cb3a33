// SPDX-License-Identifier: Apache-2.0
// Queue backlog gauges: for every queue this process has used (a Queue that added jobs or was
// constructed, a Worker that ran), job counts by state and the age of the job next in line. Polled
// from the metric collection callback, one round trip per queue, on a connection the app already
// has; nothing here schedules work of its own or holds a queue object alive.
import {
  type BatchObservableResult,
  context,
  type DiagLogger,
  type Meter,
  type ObservableGauge,
  ROOT_CONTEXT,
} from '@opentelemetry/api';
import { queueAttributes } from './attributes.js';
import { BACKLOG_COMMAND, BACKLOG_LUA, BACKLOG_STATES, type BacklogState } from './backlog-script.js';
import type { QueueLike, RedisClientLike } from './internal-types.js';
import {
  ATTR_BULLMQ_JOB_STATE,
  METRIC_BULLMQ_QUEUE_JOBS,
  METRIC_BULLMQ_QUEUE_OLDEST_WAITING_JOB_AGE,
} from './semconv.js';
import { suppressTracing } from './suppress.js';

// A few instances per queue are plenty to find one that is still open.
const MAX_SOURCES_PER_QUEUE = 4;

export interface QueueBacklog {
  queueName: string;
  counts: Record<BacklogState, number>;
  /** Epoch ms at which the job next in line became ready; undefined when none is waiting or unknown. */
  oldestReadyAt?: number;
  /** False when only counts could be read (a backend without Lua); the age is then unknown, not zero. */
  ageKnown: boolean;
}

interface Entry {
  queueName: string;
  sources: WeakRef<QueueLike>[];
  inFlight?: Promise<QueueBacklog | undefined>;
}

const clientsWithCommand = new WeakSet<object>();

function isOpen(queue: QueueLike | undefined): queue is QueueLike {
  return queue !== undefined && !queue.closing && !queue.closed;
}

function toCount(value: unknown): number {
  const number = Number(value);
  return Number.isFinite(number) && number >= 0 ? number : 0;
}

async function readWithScript(
  queue: QueueLike,
  prefix: string,
  client: RedisClientLike,
): Promise<QueueBacklog> {
  if (!clientsWithCommand.has(client)) {
    client.defineCommand!(BACKLOG_COMMAND, { numberOfKeys: 1, lua: BACKLOG_LUA });
    clientsWithCommand.add(client);
  }
  const reply = await client.runCommand!(BACKLOG_COMMAND, [prefix]);
  const values = Array.isArray(reply) ? reply : [];
  const counts = {} as Record<BacklogState, number>;
  BACKLOG_STATES.forEach((state, index) => {
    counts[state] = toCount(values[index]);
  });
  const readyAt = Number(values[BACKLOG_STATES.length]);
  return {
    queueName: queue.name,
    counts,
    oldestReadyAt: Number.isFinite(readyAt) && readyAt >= 0 ? readyAt : undefined,
    ageKnown: true,
  };
}

async function readBacklog(queue: QueueLike, diag: DiagLogger): Promise<QueueBacklog | undefined> {
  try {
    const prefix = queue.keys?.[''];
    const backend = typeof queue.getBackend === 'function' ? queue.getBackend() : undefined;
    const client = backend?.client ? await backend.client : undefined;
    if (
      prefix &&
      client &&
      typeof client.defineCommand === 'function' &&
      typeof client.runCommand === 'function'
    ) {
      return await readWithScript(queue, prefix, client);
    }
    if (typeof queue.getJobCounts === 'function') {
      const raw = await queue.getJobCounts(...BACKLOG_STATES);
      const counts = {} as Record<BacklogState, number>;
      for (const state of BACKLOG_STATES) counts[state] = toCount(raw?.[state]);
      return { queueName: queue.name, counts, ageKnown: false };
    }
  } catch (error) {
    diag.debug(`bullmq instrumentation: backlog poll of queue ${queue.name} failed`, error);
  }
  return undefined;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, ms, undefined);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class QueueRegistry {
  private readonly entries = new Map<string, Entry>();

  get size(): number {
    return this.entries.size;
  }

  track(queue: QueueLike): void {
    if (!queue || typeof queue.name !== 'string') return;
    const key = typeof queue.qualifiedName === 'string' ? queue.qualifiedName : queue.name;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { queueName: queue.name, sources: [] };
      this.entries.set(key, entry);
    }
    // Called on every add: the common case, a queue already tracked, allocates nothing.
    for (const ref of entry.sources) if (ref.deref() === queue) return;
    const live = entry.sources.filter((ref) => ref.deref() !== undefined);
    if (live.length < MAX_SOURCES_PER_QUEUE) live.push(new WeakRef(queue));
    entry.sources = live;
  }

  /** One backlog per tracked queue that still has an open Queue or Worker; closed ones are forgotten. */
  async poll(timeoutMs: number, diag: DiagLogger): Promise<QueueBacklog[]> {
    const polls: Promise<QueueBacklog | undefined>[] = [];
    for (const [key, entry] of this.entries) {
      const source = entry.sources.map((ref) => ref.deref()).find(isOpen);
      if (!source) {
        this.entries.delete(key);
        continue;
      }
      // Two readers collecting at once share one round trip.
      entry.inFlight ??= context
        .with(suppressTracing(ROOT_CONTEXT), () => readBacklog(source, diag))
        .finally(() => {
          entry.inFlight = undefined;
        });
      polls.push(withTimeout(entry.inFlight, timeoutMs));
    }
    const results = await Promise.all(polls);
    return results.filter((result): result is QueueBacklog => result !== undefined);
  }
}

/** Registers the two backlog gauges on `meter`; returns the function that unregisters them. */
export function registerBacklogGauges(
  meter: Meter,
  registry: QueueRegistry,
  timeoutMs: number,
  diag: DiagLogger,
): () => void {
  const jobs: ObservableGauge = meter.createObservableGauge(METRIC_BULLMQ_QUEUE_JOBS, {
    description: 'Jobs in the queue, by state (bullmq.job.state).',
    unit: '{job}',
  });
  const oldestAge: ObservableGauge = meter.createObservableGauge(METRIC_BULLMQ_QUEUE_OLDEST_WAITING_JOB_AGE, {
    description: 'How long the job next in line has been ready to run; 0 when nothing is waiting.',
    unit: 's',
  });
  const observe = async (result: BatchObservableResult) => {
    if (registry.size === 0) return;
    const backlogs = await registry.poll(timeoutMs, diag);
    const now = Date.now();
    for (const backlog of backlogs) {
      const attributes = queueAttributes(backlog.queueName);
      for (const state of BACKLOG_STATES) {
        result.observe(jobs, backlog.counts[state], { ...attributes, [ATTR_BULLMQ_JOB_STATE]: state });
      }
      if (backlog.oldestReadyAt !== undefined) {
        result.observe(oldestAge, Math.max(0, now - backlog.oldestReadyAt) / 1000, attributes);
      } else if (backlog.ageKnown || backlog.counts.waiting + backlog.counts.prioritized === 0) {
        result.observe(oldestAge, 0, attributes);
      }
    }
  };
  const callback = (result: BatchObservableResult) =>
    observe(result).catch((error: unknown) =>
      diag.debug('bullmq instrumentation: backlog gauges failed', error),
    );
  meter.addBatchObservableCallback(callback, [jobs, oldestAge]);
  return () => meter.removeBatchObservableCallback(callback, [jobs, oldestAge]);
}
