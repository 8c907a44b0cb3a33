// SPDX-License-Identifier: Apache-2.0
// BullMQ under the preload, real Redis, exporting to an in-test OTLP receiver. Expected traces:
//
//   POST /signup                      INTERNAL (the app's request span)
//   ├─ send tasks  (email)            PRODUCER  ── process tasks  CONSUMER (child, same trace)
//   ├─ send tasks  (flaky)            PRODUCER  ── process tasks ×2 (retry, then completed)
//   └─ send tasks  (charge)           PRODUCER  ── process tasks ×2 (retry, then failed for good)
//   send tasks (addBulk)              PRODUCER
//   └─ create tasks ×3                PRODUCER  ── process tasks, one per create span
//   send reports (flow)               PRODUCER
//   ├─ create reports                 PRODUCER  ── process reports
//   └─ create tasks ×2                PRODUCER  ── process tasks
//   send tasks (job scheduler)        PRODUCER  <-link- process tasks ×3, each the root of its own trace
import { fileURLToPath } from 'node:url';
import {
  type FixtureResult,
  findSpan,
  findSpans,
  formatSpans,
  type OtlpReceiver,
  type ReceivedDataPoint,
  type ReceivedMetric,
  type ReceivedSpan,
  runFixture,
  startOtlpReceiver,
} from '@otel-preset/test-utils';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const SCOPE = '@otel-preset/instrumentation-bullmq';
const fixturePath = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

function runUnderPreload(
  receiver: OtlpReceiver,
  script: string,
  flag: '--import' | '--require',
  env: Record<string, string> = {},
): Promise<FixtureResult> {
  return runFixture({
    script: fixturePath(script),
    nodeOptions: [flag, '@otel-preset/node/register'],
    timeoutMs: 30_000,
    env: {
      REDIS_URL: inject('redisUrl'),
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_METRIC_EXPORT_INTERVAL: '300',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_SERVICE_NAME: 'bullmq-fixture',
      // A distinct key prefix per run: tests never see each other's jobs.
      QUEUE_PREFIX: `test-${script.replace(/\W+/g, '-')}-${Date.now()}`,
      ...env,
    },
  });
}

const ours = (spans: readonly ReceivedSpan[]) => spans.filter((span) => span.scope.name === SCOPE);
const byMessageId = (spans: readonly ReceivedSpan[], name: string, id: unknown) =>
  findSpans(spans, { name, attributes: { 'messaging.message.id': id } }).sort((a, b) =>
    a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1,
  );

/** The latest export of `name`; counters are cumulative, so it holds the totals. */
function latest(receiver: OtlpReceiver, name: string): ReceivedMetric {
  const found = receiver.metrics().filter((metric) => metric.name === name);
  expect(found.length, `metric ${name} was never exported`).toBeGreaterThan(0);
  return found[found.length - 1]!;
}

function pointsWith(metric: ReceivedMetric, attributes: Record<string, unknown>): ReceivedDataPoint[] {
  return metric.dataPoints.filter((point) =>
    Object.entries(attributes).every(([key, value]) => point.attributes[key] === value),
  );
}

function total(
  metric: ReceivedMetric,
  attributes: Record<string, unknown>,
  field: 'value' | 'count' = 'value',
) {
  return pointsWith(metric, attributes).reduce((sum, point) => sum + (point[field] ?? 0), 0);
}

describe('BullMQ app (ESM) under --import', () => {
  let receiver: OtlpReceiver;
  let run: FixtureResult;
  let spans: ReceivedSpan[];
  let context: string;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    run = await runUnderPreload(receiver, 'bullmq-scenarios.mjs', '--import');
    // 14 attempts run; the last ones are the scheduler's, exported on the way out.
    spans = await receiver.waitForSpans(
      (received) =>
        findSpans(received, { name: 'process tasks', attributes: { 'bullmq.job.name': 'heartbeat' } })
          .length >= 3,
      15_000,
    );
    context = `\n${formatSpans(ours(spans), { attributes: true })}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`;
  }, 60_000);
  afterAll(async () => {
    await receiver?.close();
  });

  it('runs every scenario and exits by itself once queues and workers are closed', () => {
    expect(run.code, context).toBe(0);
    expect(run.stdout).toContain('done');
    expect(run.stderr).toBe('');
  });

  it('continues the request trace: send is a child of the request, process a child of send', () => {
    const request = findSpan(spans, { name: 'POST /signup' });
    expect(request, context).toBeDefined();
    const send = findSpan(spans, { name: 'send tasks', attributes: { 'bullmq.job.name': 'email' } });
    expect(send, context).toBeDefined();
    expect(send!.kind).toBe('PRODUCER');
    expect(send!.traceId).toBe(request!.traceId);
    expect(send!.parentSpanId).toBe(request!.spanId);
    expect(send!.attributes).toMatchObject({
      'messaging.system': 'bullmq',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.destination.name': 'tasks',
      'sentry.op': 'queue.publish',
      'bullmq.job.name': 'email',
    });
    expect(send!.attributes['messaging.message.body.size']).toBe(
      Buffer.byteLength(JSON.stringify({ to: 'user@example.com', body: 'payload-stays-private' })),
    );
    const jobId = send!.attributes['messaging.message.id'];
    expect(typeof jobId, context).toBe('string');

    const [process, ...more] = byMessageId(spans, 'process tasks', jobId);
    expect(more, context).toEqual([]);
    expect(process!.kind).toBe('CONSUMER');
    expect(process!.traceId).toBe(send!.traceId);
    expect(process!.parentSpanId).toBe(send!.spanId);
    expect(process!.links).toEqual([]);
    expect(process!.status.code).toBe('UNSET');
    expect(process!.attributes).toMatchObject({
      'messaging.system': 'bullmq',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': 'tasks',
      'sentry.op': 'queue.process',
      'messaging.message.retry.count': 0,
      'bullmq.job.outcome': 'completed',
      'bullmq.job.attempts.max': 1,
    });
    const latency = process!.attributes['messaging.message.receive.latency'];
    expect(typeof latency).toBe('number');
    expect(latency as number).toBeGreaterThanOrEqual(0);
    expect(latency as number).toBeLessThan(5000);
    expect(typeof process!.attributes['messaging.client.id']).toBe('string');
  });

  it('keeps payloads and return values off every span', () => {
    const text = JSON.stringify(ours(spans), (_key, value) =>
      typeof value === 'bigint' ? String(value) : value,
    );
    expect(text).not.toContain('payload-stays-private');
    expect(text).not.toContain('user@example.com');
    expect(text).not.toContain('return-value-stays-private');
  });

  it('records a failed attempt that will be retried, then the successful retry, in the same trace', () => {
    const send = findSpan(spans, { name: 'send tasks', attributes: { 'bullmq.job.name': 'flaky' } });
    expect(send, context).toBeDefined();
    const attempts = byMessageId(spans, 'process tasks', send!.attributes['messaging.message.id']);
    expect(attempts.length, context).toBe(2);
    const [first, second] = attempts as [ReceivedSpan, ReceivedSpan];
    for (const attempt of attempts) {
      expect(attempt.traceId).toBe(send!.traceId);
      expect(attempt.parentSpanId).toBe(send!.spanId);
      expect(attempt.attributes['bullmq.job.attempts.max']).toBe(3);
    }
    expect(first.status.code).toBe('ERROR');
    expect(first.attributes).toMatchObject({
      'error.type': 'TransientError',
      'bullmq.job.outcome': 'retry',
      'bullmq.job.failure.final': false,
      'messaging.message.retry.count': 0,
    });
    expect(first.events.find((event) => event.name === 'exception')?.attributes['exception.type']).toBe(
      'TransientError',
    );
    expect(second.status.code).toBe('UNSET');
    expect(second.attributes).toMatchObject({
      'bullmq.job.outcome': 'completed',
      'messaging.message.retry.count': 1,
    });
    // After a retry BullMQ keeps no record of when the job became ready again.
    expect(second.attributes['messaging.message.receive.latency']).toBeUndefined();
    // The fixed 50 ms backoff separates the attempts.
    expect(Number(second.startTimeUnixNano - first.endTimeUnixNano) / 1e6).toBeGreaterThanOrEqual(40);
  });

  it('tells the final failure apart from the retry before it', () => {
    const send = findSpan(spans, { name: 'send tasks', attributes: { 'bullmq.job.name': 'charge' } });
    const attempts = byMessageId(spans, 'process tasks', send!.attributes['messaging.message.id']);
    expect(attempts.length, context).toBe(2);
    const [retry, final] = attempts as [ReceivedSpan, ReceivedSpan];
    expect(retry.attributes).toMatchObject({
      'bullmq.job.outcome': 'retry',
      'bullmq.job.failure.final': false,
    });
    expect(final.attributes).toMatchObject({
      'bullmq.job.outcome': 'failed',
      'bullmq.job.failure.final': true,
      'error.type': 'PaymentDeclinedError',
      'messaging.message.retry.count': 1,
    });
    expect(final.status).toEqual({ code: 'ERROR', message: 'card declined' });
    expect(final.events.some((event) => event.name === 'exception')).toBe(true);
  });

  it('does not count a delay as time spent waiting', () => {
    const send = findSpan(spans, { name: 'send tasks', attributes: { 'bullmq.job.name': 'reminder' } });
    expect(send?.attributes['bullmq.job.delay'], context).toBe(400);
    const [process] = byMessageId(spans, 'process tasks', send!.attributes['messaging.message.id']);
    expect(process, context).toBeDefined();
    expect(process!.parentSpanId).toBe(send!.spanId);
    expect(Number(process!.startTimeUnixNano - send!.startTimeUnixNano) / 1e6).toBeGreaterThanOrEqual(390);
    expect(process!.attributes['messaging.message.receive.latency'] as number).toBeLessThan(390);
  });

  it('gives a bulk add one send span and a create span per job, each job continuing its own create span', () => {
    const send = findSpan(spans, { name: 'send tasks', attributes: { 'messaging.batch.message_count': 3 } });
    expect(send, context).toBeDefined();
    expect(send!.attributes['messaging.message.id']).toBeUndefined();
    const creates = findSpans(spans, {
      name: 'create tasks',
      attributes: { 'bullmq.job.name': 'bulk-item' },
    });
    expect(creates.length, context).toBe(3);
    for (const create of creates) {
      expect(create.kind).toBe('PRODUCER');
      expect(create.parentSpanId).toBe(send!.spanId);
      expect(create.attributes).toMatchObject({
        'messaging.operation.type': 'create',
        'sentry.op': 'queue.publish',
      });
      const [process, ...more] = byMessageId(
        spans,
        'process tasks',
        create.attributes['messaging.message.id'],
      );
      expect(more).toEqual([]);
      expect(process!.parentSpanId, context).toBe(create.spanId);
      expect(process!.traceId).toBe(send!.traceId);
    }
  });

  it('gives a flow one send span and a create span per node; parent and children continue them', () => {
    const send = findSpan(spans, { name: 'send reports', kind: 'PRODUCER' });
    expect(send, context).toBeDefined();
    expect(send!.attributes['messaging.batch.message_count']).toBe(3);
    const parentCreate = findSpan(spans, { name: 'create reports' });
    const childCreates = findSpans(spans, {
      name: 'create tasks',
      attributes: { 'bullmq.job.name': 'chunk' },
    });
    expect(childCreates.length, context).toBe(2);
    for (const create of [parentCreate!, ...childCreates]) {
      expect(create.parentSpanId, context).toBe(send!.spanId);
      const queue = create.attributes['messaging.destination.name'];
      const [process] = byMessageId(spans, `process ${queue}`, create.attributes['messaging.message.id']);
      expect(process?.parentSpanId, context).toBe(create.spanId);
    }
    // The parent job runs only after both children completed.
    const parentRun = byMessageId(
      spans,
      'process reports',
      parentCreate!.attributes['messaging.message.id'],
    )[0]!;
    for (const create of childCreates) {
      const childRun = byMessageId(spans, 'process tasks', create.attributes['messaging.message.id'])[0]!;
      expect(childRun.endTimeUnixNano <= parentRun.startTimeUnixNano).toBe(true);
    }
  });

  it('starts a new trace for each job a scheduler creates, linked to the call that created the schedule', () => {
    const send = findSpan(spans, {
      name: 'send tasks',
      attributes: { 'bullmq.job.scheduler.id': 'heartbeat-every-200ms' },
    });
    expect(send, context).toBeDefined();
    const runs = findSpans(spans, { name: 'process tasks', attributes: { 'bullmq.job.name': 'heartbeat' } });
    expect(runs.length, context).toBe(3);
    expect(new Set(runs.map((run) => run.traceId)).size).toBe(3);
    for (const run of runs) {
      expect(run.parentSpanId).toBe('');
      expect(run.traceId).not.toBe(send!.traceId);
      expect(run.links.map((link) => [link.traceId, link.spanId])).toEqual([[send!.traceId, send!.spanId]]);
      expect(run.attributes['bullmq.job.scheduler.id']).toBe('heartbeat-every-200ms');
    }
  });

  it('counts sent and consumed jobs, retries, failures and attempts', () => {
    const sent = latest(receiver, 'messaging.client.sent.messages');
    expect(sent.unit).toBe('{message}');
    expect(total(sent, { 'messaging.destination.name': 'tasks', 'bullmq.job.name': 'bulk-item' })).toBe(3);
    expect(total(sent, { 'messaging.destination.name': 'tasks', 'bullmq.job.name': 'chunk' })).toBe(2);
    expect(total(sent, { 'messaging.destination.name': 'reports', 'bullmq.job.name': 'report' })).toBe(1);
    expect(total(sent, { 'messaging.destination.name': 'backlog' })).toBe(6);
    for (const point of sent.dataPoints) {
      expect(point.attributes['messaging.message.id']).toBeUndefined();
      expect(point.attributes).toMatchObject({
        'messaging.system': 'bullmq',
        'messaging.operation.name': 'send',
      });
    }

    const consumed = latest(receiver, 'messaging.client.consumed.messages');
    expect(total(consumed, { 'bullmq.job.name': 'email' })).toBe(1);
    expect(total(consumed, { 'bullmq.job.name': 'flaky' })).toBe(2);
    expect(total(consumed, { 'bullmq.job.name': 'charge' })).toBe(2);
    expect(total(consumed, { 'messaging.destination.name': 'tasks' })).toBe(14);

    const failures = latest(receiver, 'bullmq.job.failures');
    expect(total(failures, { 'bullmq.job.name': 'charge', 'bullmq.job.failure.final': true })).toBe(1);
    expect(total(failures, { 'bullmq.job.name': 'charge', 'bullmq.job.failure.final': false })).toBe(1);
    expect(total(failures, { 'bullmq.job.name': 'flaky', 'bullmq.job.failure.final': false })).toBe(1);
    expect(total(failures, { 'bullmq.job.name': 'flaky', 'bullmq.job.failure.final': true })).toBe(0);
    expect(pointsWith(failures, { 'bullmq.job.name': 'charge' })[0]?.attributes['error.type']).toBe(
      'PaymentDeclinedError',
    );

    const retries = latest(receiver, 'bullmq.job.retries');
    expect(total(retries, { 'bullmq.job.name': 'flaky' })).toBe(1);
    expect(total(retries, { 'bullmq.job.name': 'charge' })).toBe(1);
    expect(total(retries, { 'bullmq.job.name': 'email' })).toBe(0);

    const attempts = latest(receiver, 'bullmq.job.attempts');
    const flaky = pointsWith(attempts, { 'bullmq.job.name': 'flaky', 'bullmq.job.outcome': 'completed' });
    expect(flaky.map((point) => [point.count, point.sum])).toEqual([[1, 2]]);
    const charge = pointsWith(attempts, { 'bullmq.job.name': 'charge', 'bullmq.job.outcome': 'failed' });
    expect(charge.map((point) => [point.count, point.sum])).toEqual([[1, 2]]);
  });

  it('records processing time up to an hour, time spent waiting, and enqueue time', () => {
    const processing = latest(receiver, 'messaging.process.duration');
    expect(processing.unit).toBe('s');
    expect(total(processing, { 'bullmq.job.name': 'email' }, 'count')).toBe(1);
    expect(
      total(processing, { 'bullmq.job.name': 'charge', 'error.type': 'PaymentDeclinedError' }, 'count'),
    ).toBe(2);
    const bounds = processing.dataPoints[0]!.explicitBounds!;
    expect(bounds[0]).toBe(0.005);
    expect(bounds[bounds.length - 1]).toBe(3600);
    const email = pointsWith(processing, { 'bullmq.job.name': 'email' })[0]!;
    expect(email.sum!).toBeGreaterThanOrEqual(0.02);

    const waiting = latest(receiver, 'bullmq.job.wait.duration');
    expect(waiting.unit).toBe('s');
    const reminder = pointsWith(waiting, { 'bullmq.job.name': 'reminder' });
    expect(reminder.map((point) => point.count)).toEqual([1]);
    expect(reminder[0]!.sum!).toBeLessThan(0.39);
    // Only first attempts have a known wait: 14 attempts, 2 of them retries.
    expect(total(waiting, { 'messaging.destination.name': 'tasks' }, 'count')).toBe(12);

    const enqueue = latest(receiver, 'messaging.client.operation.duration');
    expect(enqueue.unit).toBe('s');
    expect(total(enqueue, { 'messaging.destination.name': 'backlog' }, 'count')).toBe(1);
  });

  it('reports the backlog by state and the age of the oldest waiting job, per queue', async () => {
    const backlogPoints = (metric: ReceivedMetric) =>
      pointsWith(metric, { 'messaging.destination.name': 'backlog' }).map((point) => [
        point.attributes['bullmq.job.state'],
        point.value,
      ]);
    await receiver.waitForMetric('bullmq.queue.jobs', (metric) => {
      expect(Object.fromEntries(backlogPoints(metric))).toEqual({
        waiting: 3,
        active: 0,
        delayed: 2,
        prioritized: 1,
        'waiting-children': 0,
        failed: 0,
        completed: 0,
      });
      return true;
    });
    const jobs = receiver.metrics().find((metric) => metric.name === 'bullmq.queue.jobs')!;
    expect(jobs.unit).toBe('{job}');
    for (const point of jobs.dataPoints) {
      expect(Object.keys(point.attributes).sort()).toEqual([
        'bullmq.job.state',
        'messaging.destination.name',
        'messaging.system',
      ]);
    }
    // The tasks queue is polled as well: its delayed reminder shows up while it waits out its 400 ms.
    await receiver.waitForMetric('bullmq.queue.jobs', (metric) =>
      pointsWith(metric, { 'messaging.destination.name': 'tasks', 'bullmq.job.state': 'delayed' }).some(
        (point) => point.value === 1,
      ),
    );

    const age = await receiver.waitForMetric('bullmq.queue.oldest_waiting_job.age', (metric) =>
      pointsWith(metric, { 'messaging.destination.name': 'backlog' }).some(
        (point) => (point.value ?? 0) >= 0.6,
      ),
    );
    expect(age.unit).toBe('s');
    // The age never exceeds how long the fixture ran.
    const ages = receiver
      .metrics()
      .filter((metric) => metric.name === 'bullmq.queue.oldest_waiting_job.age')
      .flatMap((metric) => pointsWith(metric, { 'messaging.destination.name': 'backlog' }))
      .map((point) => point.value ?? 0);
    expect(Math.max(...ages)).toBeLessThan(30);
  });
});

describe('a stalled job', () => {
  it('is counted, moved back to wait and run again by another worker', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const run = await runUnderPreload(receiver, 'bullmq-stalled.mjs', '--import');
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout).toMatch(/stalled 1/);
      const stalled = await receiver.waitForMetric('bullmq.job.stalled', (metric) =>
        pointsWith(metric, { 'messaging.destination.name': 'fragile' }).some((point) => point.value === 1),
      );
      expect(stalled.unit).toBe('{job}');
      const spans = await receiver.waitForSpans(
        (received) => findSpan(received, { name: 'process fragile' }) !== undefined,
      );
      // The crashed worker took the job by hand (no process span); the rescuer's run is the only one.
      const runs = findSpans(spans, { name: 'process fragile' });
      expect(runs.length, formatSpans(spans, { attributes: true })).toBe(1);
      const send = findSpan(spans, { name: 'send fragile' })!;
      expect(runs[0]!.parentSpanId).toBe(send.spanId);
      expect(runs[0]!.attributes['bullmq.job.outcome']).toBe('completed');
      // Its wait includes the stall, so no receive latency is claimed.
      expect(runs[0]!.attributes['messaging.message.receive.latency']).toBeUndefined();
    } finally {
      await receiver.close();
    }
  });
});

describe('context propagation mode (CommonJS under --require)', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });

  async function processAndSend(env: Record<string, string>) {
    receiver.reset();
    const run = await runUnderPreload(receiver, 'bullmq-context.cjs', '--require', env);
    const spans = await receiver.waitForSpans(
      (received) => findSpan(received, { name: 'process notifications' }) !== undefined,
    );
    const context = `\n${formatSpans(spans, { attributes: true })}\n${run.stdout}\n${run.stderr}`;
    expect(run.code, context).toBe(0);
    return {
      run,
      context,
      request: findSpan(spans, { name: 'POST /notify' })!,
      send: findSpan(spans, { name: 'send notifications' })!,
      process: findSpan(spans, { name: 'process notifications' })!,
    };
  }

  it('OTEL_PRESET_BULLMQ_CONTEXT=link starts a new trace that links to the producer', async () => {
    const { run, context, request, send, process } = await processAndSend({
      OTEL_PRESET_BULLMQ_CONTEXT: 'link',
    });
    expect(run.stderr).toBe('');
    expect(send.parentSpanId, context).toBe(request.spanId);
    expect(process.parentSpanId, context).toBe('');
    expect(process.traceId).not.toBe(send.traceId);
    expect(process.links.map((link) => [link.traceId, link.spanId])).toEqual([[send.traceId, send.spanId]]);
  });

  it('a malformed value prints one line naming it and the fallback, and the app runs on as parent', async () => {
    const { run, context, send, process } = await processAndSend({ OTEL_PRESET_BULLMQ_CONTEXT: 'sideways' });
    const lines = run.stderr.split('\n').filter((line) => line !== '');
    expect(lines, context).toHaveLength(1);
    expect(lines[0]).toContain('OTEL_PRESET_BULLMQ_CONTEXT');
    expect(lines[0]).toContain('sideways');
    expect(lines[0]).toMatch(/using parent/);
    expect(run.stdout).toContain('done');
    expect(process.traceId, context).toBe(send.traceId);
    expect(process.parentSpanId).toBe(send.spanId);
  });
});
