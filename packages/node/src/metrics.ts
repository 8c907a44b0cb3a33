// SPDX-License-Identifier: Apache-2.0
// The meter provider: cumulative OTLP export, views that keep label sets bounded, and process
// CPU/memory gauges (a few observable callbacks instead of a host-metrics dependency tree).
import { type Attributes, type Meter, ValueType } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import {
  ConsoleMetricExporter,
  type IAttributesProcessor,
  type IMetricReader,
  MeterProvider,
  PeriodicExportingMetricReader,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import type { PresetConfig } from './config.js';
import { createMetricExporter } from './exporters.js';
import type { ExportDeadline } from './otlp-http.js';

// Stable HTTP semconv metric attributes. Anything else (a raw path, an id added by a hook) would
// multiply series, so the views keep exactly these.
const HTTP_SERVER_KEYS = [
  'http.request.method',
  'http.response.status_code',
  'http.route',
  'url.scheme',
  'network.protocol.name',
  'network.protocol.version',
  'error.type',
];
const HTTP_CLIENT_KEYS = [
  'http.request.method',
  'http.response.status_code',
  'server.address',
  'server.port',
  'url.scheme',
  'network.protocol.name',
  'network.protocol.version',
  'error.type',
];

/**
 * Keeps only `keys`. Attribute sets that hold nothing else (our own instrumentations' do) are passed on
 * as they are, not copied: a copy would cost an object per measurement, and the frozen sets our
 * instrumentations keep per series are hashed once only while they stay the same object.
 */
export function allowOnly(keys: readonly string[]): IAttributesProcessor {
  const allowed = new Set(keys);
  return {
    process(incoming: Attributes): Attributes {
      for (const key in incoming) {
        if (allowed.has(key)) continue;
        const kept: Attributes = {};
        for (const name in incoming) if (allowed.has(name)) kept[name] = incoming[name];
        return kept;
      }
      return incoming;
    },
  };
}

function metricViews(): ViewOptions[] {
  return [
    { instrumentName: 'http.server.request.duration', attributesProcessors: [allowOnly(HTTP_SERVER_KEYS)] },
    { instrumentName: 'http.client.request.duration', attributesProcessors: [allowOnly(HTTP_CLIENT_KEYS)] },
  ];
}

export function createMeterProvider(
  config: PresetConfig,
  resource: Resource,
  deadline: ExportDeadline,
): MeterProvider {
  const readers: IMetricReader[] = [];
  if (config.metrics.enabled) {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: createMetricExporter(config.metrics, config.metrics.temporality, deadline),
        exportIntervalMillis: config.metrics.intervalMs,
        exportTimeoutMillis: config.metrics.exportTimeoutMs,
        cardinalityLimits: { default: config.metricCardinalityLimit },
      }),
    );
  }
  if (config.metrics.console) {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new ConsoleMetricExporter(),
        exportIntervalMillis: config.metrics.intervalMs,
      }),
    );
  }
  return new MeterProvider({ resource, views: metricViews(), readers });
}

/** process.cpu.time, process.cpu.utilization and process.memory.usage, per the process semconv. */
export function registerProcessMetrics(meter: Meter): void {
  const cpuTime = meter.createObservableCounter('process.cpu.time', {
    unit: 's',
    description: 'Total CPU seconds broken down by mode.',
    valueType: ValueType.DOUBLE,
  });
  const cpuUtilization = meter.createObservableGauge('process.cpu.utilization', {
    unit: '1',
    description: 'CPU used since the last measurement, as a fraction of one core.',
    valueType: ValueType.DOUBLE,
  });
  const memory = meter.createObservableUpDownCounter('process.memory.usage', {
    unit: 'By',
    description: 'Resident set size of the process.',
    valueType: ValueType.INT,
  });
  let last = { usage: process.cpuUsage(), at: process.hrtime.bigint() };
  meter.addBatchObservableCallback(
    (result) => {
      const usage = process.cpuUsage();
      const at = process.hrtime.bigint();
      result.observe(cpuTime, usage.user / 1e6, { 'cpu.mode': 'user' });
      result.observe(cpuTime, usage.system / 1e6, { 'cpu.mode': 'system' });
      const elapsedUs = Number(at - last.at) / 1e3;
      if (elapsedUs > 0) {
        const used = usage.user - last.usage.user + (usage.system - last.usage.system);
        result.observe(cpuUtilization, used / elapsedUs);
      }
      last = { usage, at };
      result.observe(memory, process.memoryUsage.rss());
    },
    [cpuTime, cpuUtilization, memory],
  );
}
