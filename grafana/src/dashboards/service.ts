// SPDX-License-Identifier: Apache-2.0
// Service overview: requests, errors and duration (RED) per service and per route, from the
// collector's span metrics. Entry spans are SERVER (HTTP) and CONSUMER (queue jobs).
import type { DashboardSpec } from '../builder.js';

const ENTRY = 'service_name=~"$service", span_kind=~"SPAN_KIND_SERVER|SPAN_KIND_CONSUMER"';

export const serviceDashboard: DashboardSpec = {
  uid: 'otel-preset-service',
  title: 'Service overview (RED)',
  description: 'Requests, errors and duration of every service and route, from every span before sampling.',
  variables: [
    {
      name: 'service',
      label: 'Service',
      query: 'label_values(traces_span_metrics_calls_total, service_name)',
    },
  ],
  rows: [
    {
      title: 'Services',
      panels: [
        {
          title: 'Requests per second',
          description: 'Entry spans per second: HTTP requests served and jobs processed.',
          kind: 'timeseries',
          unit: 'reqps',
          width: 8,
          queries: [
            {
              expr: `sum by (service_name) (rate(traces_span_metrics_calls_total{${ENTRY}}[$__rate_interval]))`,
              legend: '{{service_name}}',
            },
          ],
        },
        {
          title: 'Error ratio',
          description: 'Share of entry spans with an error status (5xx responses, failed jobs).',
          kind: 'timeseries',
          unit: 'percentunit',
          width: 8,
          queries: [
            {
              expr: `sum by (service_name) (rate(traces_span_metrics_calls_total{${ENTRY}, status_code="STATUS_CODE_ERROR"}[$__rate_interval])) / sum by (service_name) (rate(traces_span_metrics_calls_total{${ENTRY}}[$__rate_interval]))`,
              legend: '{{service_name}}',
            },
          ],
        },
        {
          title: 'Latency p95',
          description: '95th percentile duration of entry spans. Exemplar dots link to the trace.',
          kind: 'timeseries',
          unit: 's',
          width: 8,
          queries: [
            {
              expr: `histogram_quantile(0.95, sum by (le, service_name) (rate(traces_span_metrics_duration_seconds_bucket{${ENTRY}}[$__rate_interval])))`,
              legend: '{{service_name}}',
              exemplar: true,
            },
          ],
        },
      ],
    },
    {
      title: 'Routes and jobs',
      panels: [
        {
          title: 'Requests per second by route',
          description: 'Per span name: the method and route of HTTP requests, the queue of jobs.',
          kind: 'timeseries',
          unit: 'reqps',
          queries: [
            {
              expr: `sum by (service_name, span_name) (rate(traces_span_metrics_calls_total{${ENTRY}}[$__rate_interval]))`,
              legend: '{{service_name}} {{span_name}}',
            },
          ],
        },
        {
          title: 'Errors per second by route',
          description: 'Entry spans with an error status, per route or queue.',
          kind: 'timeseries',
          unit: 'reqps',
          queries: [
            {
              expr: `sum by (service_name, span_name) (rate(traces_span_metrics_calls_total{${ENTRY}, status_code="STATUS_CODE_ERROR"}[$__rate_interval]))`,
              legend: '{{service_name}} {{span_name}}',
            },
          ],
        },
        {
          title: 'Latency p95 by route',
          description: '95th percentile duration per route or queue. Exemplar dots link to the trace.',
          kind: 'timeseries',
          unit: 's',
          queries: [
            {
              expr: `histogram_quantile(0.95, sum by (le, service_name, span_name) (rate(traces_span_metrics_duration_seconds_bucket{${ENTRY}}[$__rate_interval])))`,
              legend: '{{service_name}} {{span_name}}',
              exemplar: true,
            },
          ],
        },
        {
          title: 'HTTP responses by status code',
          description: 'Responses per second by route and status, from the HTTP server metrics of the apps.',
          kind: 'timeseries',
          unit: 'reqps',
          stack: true,
          queries: [
            {
              expr: 'sum by (http_route, http_response_status_code) (rate(http_server_request_duration_seconds_count{job=~"$service"}[$__rate_interval]))',
              legend: '{{http_route}} {{http_response_status_code}}',
            },
          ],
        },
        {
          title: 'Slowest routes (p95, last 5 minutes)',
          description: 'Routes and queues ranked by their 95th percentile duration.',
          kind: 'table',
          unit: 's',
          queries: [
            {
              expr: 'topk(10, route:latency_seconds:p95_5m{service_name=~"$service"})',
              instant: true,
            },
          ],
        },
        {
          title: 'Slowest dependencies (p95 of client spans)',
          description:
            'Outgoing calls ranked by 95th percentile duration: database queries, Redis commands, HTTP and LLM APIs.',
          kind: 'table',
          unit: 's',
          queries: [
            {
              expr: 'topk(10, histogram_quantile(0.95, sum by (le, service_name, span_name) (rate(traces_span_metrics_duration_seconds_bucket{service_name=~"$service", span_kind="SPAN_KIND_CLIENT"}[5m]))))',
              instant: true,
            },
          ],
        },
      ],
    },
  ],
};
