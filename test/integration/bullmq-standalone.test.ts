// SPDX-License-Identifier: Apache-2.0
// The instrumentation without the preset: a plain NodeSDK in this process, in-memory exporters,
// `require('bullmq')` (CommonJS), real Redis. Also checks what the backlog poller must never do:
// trace its own Redis calls, or hold a metric collection hostage to a Redis that does not answer.
import { createRequire } from 'node:module';
import { createServer, type Server, type Socket } from 'node:net';
import { trace } from '@opentelemetry/api';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { type GaugeMetricData, MetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { BullMQInstrumentation } from '@otel-preset/instrumentation-bullmq';
import type * as BullMQ from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

class CollectOnDemand extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

const spans = new InMemorySpanExporter();
const reader = new CollectOnDemand();
const bullmqConfig = { contextPropagation: 'link', backlogTimeoutMs: 300 } as const;
const instrumentation = new BullMQInstrumentation(bullmqConfig);
let sdk: NodeSDK;
let bullmq: typeof BullMQ;
let connection: { host: string; port: number };
const prefix = `standalone-${Date.now()}`;

async function gaugePoints(name: string) {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .find((candidate) => candidate.descriptor.name === name) as GaugeMetricData | undefined;
  return metric?.dataPoints ?? [];
}

const ioredisSpans = () =>
  spans.getFinishedSpans().filter((span) => span.instrumentationScope.name.includes('ioredis'));

beforeAll(() => {
  // The config option must win over the environment.
  process.env.OTEL_PRESET_BULLMQ_CONTEXT = 'parent';
  process.env.OTEL_LOGS_EXPORTER = 'none';
  sdk = new NodeSDK({
    autoDetectResources: false,
    spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
    metricReaders: [reader],
    instrumentations: [
      instrumentation,
      // Off-parent spans on, so an unsuppressed backlog poll would show up as a root ioredis span.
      new IORedisInstrumentation({ requireParentSpan: false }),
    ],
  });
  sdk.start();
  bullmq = createRequire(import.meta.url)('bullmq') as typeof BullMQ;
  const url = new URL(inject('redisUrl'));
  connection = { host: url.hostname, port: Number(url.port) };
});

afterAll(async () => {
  await sdk?.shutdown();
  delete process.env.OTEL_PRESET_BULLMQ_CONTEXT;
  delete process.env.OTEL_LOGS_EXPORTER;
});

describe('BullMQInstrumentation in a plain NodeSDK', () => {
  it('traces add and process, linking as configured', async () => {
    const queue = new bullmq.Queue('standalone', { connection, prefix });
    const worker = new bullmq.Worker('standalone', async () => 'ok', { connection, prefix });
    const completed = new Promise((resolve) => worker.once('completed', resolve));
    await trace.getTracer('test').startActiveSpan('request', async (span) => {
      await queue.add('job', { n: 1 });
      span.end();
    });
    await completed;
    await worker.close();
    await queue.close();

    const ours = spans
      .getFinishedSpans()
      .filter((span) => span.instrumentationScope.name === '@otel-preset/instrumentation-bullmq');
    const send = ours.find((span) => span.name === 'send standalone') as ReadableSpan;
    const process = ours.find((span) => span.name === 'process standalone') as ReadableSpan;
    expect(send, ours.map((span) => span.name).join(', ')).toBeDefined();
    expect(process).toBeDefined();
    expect(process.parentSpanContext).toBeUndefined();
    expect(process.spanContext().traceId).not.toBe(send.spanContext().traceId);
    expect(process.links.map((link) => link.context.spanId)).toEqual([send.spanContext().spanId]);
  });

  it("leaves BullMQ's own Redis commands out of the send span unless redisSpans asks for them", async () => {
    const queue = new bullmq.Queue('standalone-redis', { connection, prefix });
    await queue.waitUntilReady();
    const tracer = trace.getTracer('test');
    // BullMQ emits `waiting` from inside add: the app's listener must still be traced.
    queue.on('waiting', () => tracer.startSpan('waiting listener').end());
    await tracer.startActiveSpan('quiet request', async (span) => {
      await queue.add('quiet', {});
      span.end();
    });
    instrumentation.setConfig({ ...bullmqConfig, redisSpans: true });
    try {
      await tracer.startActiveSpan('loud request', async (span) => {
        await queue.add('loud', {});
        span.end();
      });
    } finally {
      instrumentation.setConfig(bullmqConfig);
    }
    await queue.close();

    const send = (job: string) =>
      spans
        .getFinishedSpans()
        .find(
          (span) => span.name === 'send standalone-redis' && span.attributes['bullmq.job.name'] === job,
        ) as ReadableSpan;
    const redisChildren = (parent: ReadableSpan) =>
      ioredisSpans().filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId);
    expect(send('quiet')).toBeDefined();
    expect(send('loud')).toBeDefined();
    expect(redisChildren(send('quiet'))).toEqual([]);
    const listener = spans.getFinishedSpans().filter((span) => span.name === 'waiting listener');
    expect(listener.map((span) => span.parentSpanContext?.spanId)).toEqual([
      send('quiet').spanContext().spanId,
      send('loud').spanContext().spanId,
    ]);
    // The script that adds the job, which the default leaves out.
    expect(redisChildren(send('loud')).map((span) => span.name)).toContain('evalsha');
  });

  it('polls the backlog in one round trip per queue, without tracing its own Redis calls', async () => {
    const queue = new bullmq.Queue('standalone-backlog', { connection, prefix });
    await queue.addBulk([
      { name: 'a', data: {} },
      { name: 'b', data: {} },
    ]);
    await queue.add('c', {}, { delay: 60_000 });
    const before = ioredisSpans().length;

    const points = await gaugePoints('bullmq.queue.jobs');
    const counts = Object.fromEntries(
      points
        .filter((point) => point.attributes['messaging.destination.name'] === 'standalone-backlog')
        .map((point) => [point.attributes['bullmq.job.state'], point.value]),
    );
    expect(counts).toMatchObject({ waiting: 2, delayed: 1, active: 0 });
    expect(ioredisSpans().length).toBe(before);

    // The same read through the app's own API is traced: the check above can fail.
    await queue.getJobCounts();
    expect(ioredisSpans().length).toBeGreaterThan(before);
    await queue.close();

    // A closed queue is dropped from polling: collecting afterwards neither fails nor waits.
    const started = performance.now();
    const { errors } = await reader.collect();
    expect(errors).toEqual([]);
    expect(performance.now() - started).toBeLessThan(250);
  });

  it('gives up on a Redis that never answers within backlogTimeoutMs', async () => {
    const sockets = new Set<Socket>();
    const blackHole: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const { port } = blackHole.address() as { port: number };
    const stuck = new bullmq.Queue('stuck', {
      // No reconnecting once the black hole closes, so close() can finish.
      connection: { host: '127.0.0.1', port, retryStrategy: () => null },
      prefix,
    });
    stuck.on('error', () => {});
    try {
      const started = performance.now();
      const points = await gaugePoints('bullmq.queue.jobs');
      const elapsed = performance.now() - started;
      expect(elapsed).toBeLessThan(2000);
      expect(points.some((point) => point.attributes['messaging.destination.name'] === 'stuck')).toBe(false);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => blackHole.close(resolve));
      await stuck.close();
    }
  });
});
