// SPDX-License-Identifier: Apache-2.0
import {
  AggregationTemporality,
  type DataPoint,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
  type SumMetricData,
} from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { SERIES_LIMIT, withSummedCounters } from '../src/summed-counters.js';

let provider: MeterProvider | undefined;

afterEach(async () => {
  await provider?.shutdown();
  provider = undefined;
});

function setup(temporality = AggregationTemporality.CUMULATIVE) {
  const exporter = new InMemoryMetricExporter(temporality);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
  provider = new MeterProvider({ readers: [reader] });
  const meter = withSummedCounters(provider).getMeter('test-scope', '1.0.0');
  const collect = async (): Promise<MetricData[]> => {
    exporter.reset();
    await reader.forceFlush();
    return exporter
      .getMetrics()
      .flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics));
  };
  return { meter, collect };
}

const points = (metric: MetricData | undefined) =>
  (metric?.dataPoints ?? []).map((point: DataPoint<unknown>) => ({
    attributes: point.attributes,
    value: point.value,
  }));

describe('withSummedCounters', () => {
  it('exports an up-down counter as the same cumulative series the SDK would', async () => {
    const { meter, collect } = setup();
    const connections = meter.createUpDownCounter('db.client.connection.count', { unit: '{connection}' });
    for (let i = 0; i < 5; i++) {
      connections.add(1, { 'db.client.connection.state': 'used', 'db.client.connection.pool.name': 'p' });
      connections.add(-1, { 'db.client.connection.state': 'idle', 'db.client.connection.pool.name': 'p' });
    }
    connections.add(-3, { 'db.client.connection.state': 'used', 'db.client.connection.pool.name': 'p' });
    // Same attribute set, keys in another order: one series.
    connections.add(10, { 'db.client.connection.pool.name': 'p', 'db.client.connection.state': 'idle' });

    const metric = (await collect()).find((m) => m.descriptor.name === 'db.client.connection.count');
    expect(metric?.descriptor.unit).toBe('{connection}');
    expect((metric as SumMetricData | undefined)?.isMonotonic).toBe(false);
    expect(points(metric)).toEqual(
      expect.arrayContaining([
        {
          attributes: { 'db.client.connection.state': 'used', 'db.client.connection.pool.name': 'p' },
          value: 2,
        },
        {
          attributes: { 'db.client.connection.pool.name': 'p', 'db.client.connection.state': 'idle' },
          value: 5,
        },
      ]),
    );
    expect(points(metric)).toHaveLength(2);
  });

  it('keeps counters monotonic, keeps zero-valued series, and reports deltas under delta temporality', async () => {
    const { meter, collect } = setup(AggregationTemporality.DELTA);
    const jobs = meter.createCounter('jobs');
    jobs.add(0, { queue: 'a' });
    jobs.add(2, { queue: 'b' });
    jobs.add(-5, { queue: 'b' });
    jobs.add(Number.NaN, { queue: 'b' });
    expect(points((await collect())[0])).toEqual([
      { attributes: { queue: 'a' }, value: 0 },
      { attributes: { queue: 'b' }, value: 2 },
    ]);
    jobs.add(3, { queue: 'b' });
    const second = points((await collect())[0]);
    expect(second).toContainEqual({ attributes: { queue: 'b' }, value: 3 });
  });

  it('distinguishes values that print alike and bounds the number of series', async () => {
    const { meter, collect } = setup();
    const counter = meter.createCounter('c');
    counter.add(1, { v: 1 });
    counter.add(1, { v: '1' });
    for (let i = 0; i < SERIES_LIMIT + 50; i++) counter.add(1, { id: String(i) });
    const metric = (await collect())[0];
    const byAttributes = points(metric);
    expect(byAttributes).toContainEqual({ attributes: { v: 1 }, value: 1 });
    expect(byAttributes).toContainEqual({ attributes: { v: '1' }, value: 1 });
    const overflow = byAttributes.filter((p) => p.attributes['otel.metric.overflow'] === true);
    expect(overflow).toHaveLength(1);
    expect(overflow[0]!.value).toBeGreaterThanOrEqual(50);
  });

  it('hands out one instrument per name, so instruments created again do not report twice', async () => {
    const { meter, collect } = setup();
    const first = meter.createUpDownCounter('pool.size');
    const second = meter.createUpDownCounter('pool.size');
    expect(second).toBe(first);
    first.add(2, { pool: 'p' });
    expect(points((await collect())[0])).toEqual([{ attributes: { pool: 'p' }, value: 2 }]);
  });

  it('never throws into the caller, even for attribute values JSON cannot encode', async () => {
    const { meter, collect } = setup();
    const counter = meter.createCounter('odd');
    expect(() => counter.add(1, { big: [1n, 2n] as unknown as number[] })).not.toThrow();
    expect(() => counter.add(1, { big: [1n, 2n] as unknown as number[] })).not.toThrow();
    counter.add(3, { queue: 'a' });
    // The SDK cannot hash the BigInt series and drops it; the other series still arrives.
    expect(points((await collect())[0])).toEqual([{ attributes: { queue: 'a' }, value: 3 }]);
  });

  it('passes histograms through to the SDK', async () => {
    const { meter, collect } = setup();
    meter.createHistogram('h').record(0.5, { a: 'x' });
    const metric = (await collect())[0];
    expect(metric?.descriptor.name).toBe('h');
    expect(metric?.dataPoints).toHaveLength(1);
  });
});
