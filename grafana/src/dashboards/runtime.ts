// SPDX-License-Identifier: Apache-2.0
// Node.js runtime and database: event loop, memory, GC, CPU, the PostgreSQL pool and query times.
import type { DashboardSpec } from '../builder.js';

const S = 'job=~"$service"';

export const runtimeDashboard: DashboardSpec = {
  uid: 'otel-preset-runtime',
  title: 'Runtime and database',
  description:
    'Per process: event loop, memory, garbage collection, CPU; per pool: PostgreSQL connections and query times.',
  variables: [
    { name: 'service', label: 'Service', query: 'label_values(nodejs_eventloop_delay_p99_seconds, job)' },
  ],
  rows: [
    {
      title: 'Node.js runtime',
      panels: [
        {
          title: 'Event loop delay p99',
          description:
            'How late timers fire: the time every request and job in the process waits for the loop.',
          kind: 'timeseries',
          unit: 's',
          width: 8,
          queries: [
            {
              expr: `max by (job, instance) (nodejs_eventloop_delay_p99_seconds{${S}})`,
              legend: '{{job}} {{instance}}',
            },
          ],
        },
        {
          title: 'Event loop utilization',
          description: 'Share of time the event loop is busy.',
          kind: 'timeseries',
          unit: 'percentunit',
          width: 8,
          queries: [
            {
              expr: `max by (job, instance) (nodejs_eventloop_utilization_ratio{${S}})`,
              legend: '{{job}} {{instance}}',
            },
          ],
        },
        {
          title: 'CPU utilization',
          description: 'Process CPU time per wall-clock second (1 = one core).',
          kind: 'timeseries',
          unit: 'percentunit',
          width: 8,
          queries: [
            {
              expr: `max by (job, instance) (process_cpu_utilization_ratio{${S}})`,
              legend: '{{job}} {{instance}}',
            },
          ],
        },
        {
          title: 'Resident memory',
          description: 'Process resident set size.',
          kind: 'timeseries',
          unit: 'bytes',
          width: 8,
          queries: [
            {
              expr: `max by (job, instance) (process_memory_usage_bytes{${S}})`,
              legend: '{{job}} {{instance}}',
            },
          ],
        },
        {
          title: 'V8 heap used',
          description: 'JavaScript heap in use, all heap spaces together.',
          kind: 'timeseries',
          unit: 'bytes',
          width: 8,
          queries: [
            {
              expr: `sum by (job, instance) (v8js_memory_heap_used_bytes{${S}})`,
              legend: '{{job}} {{instance}}',
            },
          ],
        },
        {
          title: 'Garbage collection time per second',
          description: 'Seconds spent in GC per second, by GC type.',
          kind: 'timeseries',
          unit: 'percentunit',
          width: 8,
          stack: true,
          queries: [
            {
              expr: `sum by (job, v8js_gc_type) (rate(v8js_gc_duration_seconds_sum{${S}}[$__rate_interval]))`,
              legend: '{{job}} {{v8js_gc_type}}',
            },
          ],
        },
      ],
    },
    {
      title: 'PostgreSQL',
      panels: [
        {
          title: 'Pool connections',
          description: 'Connections in use and idle, and the pool maximum.',
          kind: 'timeseries',
          unit: 'short',
          width: 8,
          queries: [
            {
              expr: `sum by (job, db_client_connection_state) (db_client_connection_count{${S}})`,
              legend: '{{job}} {{db_client_connection_state}}',
            },
            { expr: `sum by (job) (db_client_connection_max{${S}})`, legend: '{{job}} max' },
          ],
        },
        {
          title: 'Clients waiting for a connection',
          description: 'Queries queued because every pool connection is busy.',
          kind: 'timeseries',
          unit: 'short',
          width: 8,
          queries: [
            {
              expr: `sum by (job, instance) (db_client_connection_pending_requests{${S}})`,
              legend: '{{job}} {{instance}}',
            },
          ],
        },
        {
          title: 'Query duration p95 by operation',
          description: '95th percentile duration of PostgreSQL operations.',
          kind: 'timeseries',
          unit: 's',
          width: 8,
          queries: [
            {
              expr: `histogram_quantile(0.95, sum by (le, job, db_operation_name) (rate(db_client_operation_duration_seconds_bucket{${S}}[$__rate_interval])))`,
              legend: '{{job}} {{db_operation_name}}',
            },
          ],
        },
        {
          title: 'Slowest queries (p95 of database spans, last 5 minutes)',
          description:
            'Database client spans ranked by their 95th percentile duration; the span name is the operation and table.',
          kind: 'table',
          unit: 's',
          width: 24,
          queries: [
            {
              expr: 'topk(10, histogram_quantile(0.95, sum by (le, service_name, span_name) (rate(traces_span_metrics_duration_seconds_bucket{service_name=~"$service", span_kind="SPAN_KIND_CLIENT", span_name=~"(?i)(select|insert|update|delete|with|pg\\\\.).*"}[5m]))))',
              instant: true,
            },
          ],
        },
      ],
    },
  ],
};
