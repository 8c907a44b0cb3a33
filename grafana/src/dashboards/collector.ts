// SPDX-License-Identifier: Apache-2.0
// The collector's health: is it scraped, does it accept, send, refuse or drop data, how full is its
// persistent queue, what does tail sampling keep, and what it costs in memory and CPU.
import type { DashboardSpec } from '../builder.js';

const SELF = 'job="otel-collector-self"';

export const collectorDashboard: DashboardSpec = {
  uid: 'otel-preset-collector',
  title: 'Collector health',
  description: 'The otel-preset collector: intake, export to Sentry, queue, sampling and resources.',
  variables: [],
  rows: [
    {
      title: 'Intake',
      panels: [
        {
          title: 'Scrape targets up',
          description:
            '1 when Prometheus can scrape the collector endpoint (8889: app metrics, 8888: own telemetry).',
          kind: 'stat',
          unit: 'none',
          width: 6,
          thresholds: [],
          queries: [{ expr: 'up{job=~"otel-collector|otel-collector-self"}', legend: '{{job}}' }],
        },
        {
          title: 'Spans received per second',
          description: 'Accepted and refused spans (refused: memory_limiter back-pressure).',
          kind: 'timeseries',
          unit: 'ops',
          width: 9,
          queries: [
            {
              expr: `sum by (receiver) (rate(otelcol_receiver_accepted_spans_total{${SELF}}[$__rate_interval]))`,
              legend: 'accepted {{receiver}}',
            },
            {
              expr: `sum by (receiver) (rate(otelcol_receiver_refused_spans_total{${SELF}}[$__rate_interval]))`,
              legend: 'refused {{receiver}}',
            },
          ],
        },
        {
          title: 'Metric points received per second',
          description: 'Accepted and refused metric points.',
          kind: 'timeseries',
          unit: 'ops',
          width: 9,
          queries: [
            {
              expr: `sum by (receiver) (rate(otelcol_receiver_accepted_metric_points_total{${SELF}}[$__rate_interval]))`,
              legend: 'accepted {{receiver}}',
            },
            {
              expr: `sum by (receiver) (rate(otelcol_receiver_refused_metric_points_total{${SELF}}[$__rate_interval]))`,
              legend: 'refused {{receiver}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Export',
      panels: [
        {
          title: 'Spans sent per second by exporter',
          description:
            'Spans delivered, and spans whose sends failed for good (with unlimited retries, a failing backend shows in the queue fill instead).',
          kind: 'timeseries',
          unit: 'ops',
          queries: [
            {
              expr: `sum by (exporter) (rate(otelcol_exporter_sent_spans_total{${SELF}}[$__rate_interval]))`,
              legend: 'sent {{exporter}}',
            },
            {
              // The failure counter appears with the first failure; until then 0 per exporter.
              expr: `sum by (exporter) (rate(otelcol_exporter_send_failed_spans_total{${SELF}}[$__rate_interval])) or sum by (exporter) (rate(otelcol_exporter_sent_spans_total{${SELF}}[$__rate_interval])) * 0`,
              legend: 'failed {{exporter}}',
            },
          ],
        },
        {
          title: 'Items dropped (queue full)',
          description:
            'Spans and metric points that could not be queued for export: data lost. 0 until the first drop.',
          kind: 'timeseries',
          unit: 'ops',
          queries: [
            {
              expr: `sum by (exporter) (rate(otelcol_exporter_enqueue_failed_spans_total{${SELF}}[$__rate_interval])) or sum by (exporter) (rate(otelcol_exporter_sent_spans_total{${SELF}}[$__rate_interval])) * 0`,
              legend: 'spans {{exporter}}',
            },
          ],
        },
        {
          title: 'Sending queue fill',
          description: 'Queue size over capacity; alerts above 80 %.',
          kind: 'timeseries',
          unit: 'percentunit',
          queries: [
            {
              expr: `max by (exporter) (otelcol_exporter_queue_size{${SELF}} / otelcol_exporter_queue_capacity{${SELF}})`,
              legend: '{{exporter}}',
            },
          ],
        },
        {
          title: 'Tail sampling decisions per second',
          description: 'Traces kept for Sentry and traces dropped (span metrics saw them all).',
          kind: 'timeseries',
          unit: 'ops',
          stack: true,
          queries: [
            {
              expr: `sum by (decision) (rate(otelcol_processor_tail_sampling_global_count_traces_sampled_total{${SELF}}[$__rate_interval]))`,
              legend: '{{decision}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Resources',
      panels: [
        {
          title: 'Collector memory',
          description: 'Resident memory of the collector process.',
          kind: 'timeseries',
          unit: 'bytes',
          width: 8,
          queries: [{ expr: `otelcol_process_memory_rss_bytes{${SELF}}`, legend: '{{instance}}' }],
        },
        {
          title: 'Collector CPU',
          description: 'CPU seconds per second.',
          kind: 'timeseries',
          unit: 'percentunit',
          width: 8,
          queries: [
            {
              expr: `rate(otelcol_process_cpu_seconds_total{${SELF}}[$__rate_interval])`,
              legend: '{{instance}}',
            },
          ],
        },
        {
          title: 'Health-check spans filtered per second',
          description: 'Probe spans dropped before anything else sees them.',
          kind: 'timeseries',
          unit: 'ops',
          width: 8,
          queries: [
            {
              expr: `sum(rate(otelcol_processor_filter_spans_filtered_total{${SELF}}[$__rate_interval]))`,
              legend: 'filtered',
            },
          ],
        },
      ],
    },
  ],
};
