// SPDX-License-Identifier: Apache-2.0
// BullMQ queues: backlog, age of the next job, throughput, failures, retries, stalls and durations.
import type { DashboardSpec } from '../builder.js';

const Q = 'messaging_destination_name=~"$queue"';

export const queuesDashboard: DashboardSpec = {
  uid: 'otel-preset-queues',
  title: 'Queues (BullMQ)',
  description: 'Backlog, throughput, failures and durations of BullMQ queues and their workers.',
  variables: [
    { name: 'queue', label: 'Queue', query: 'label_values(bullmq_queue_jobs, messaging_destination_name)' },
  ],
  rows: [
    {
      title: 'Backlog',
      panels: [
        {
          title: 'Jobs waiting',
          description:
            'Waiting and prioritized jobs per queue (reported by every process holding the queue; the max is shown).',
          kind: 'timeseries',
          unit: 'short',
          width: 8,
          queries: [{ expr: `queue:backlog:jobs{${Q}}`, legend: '{{messaging_destination_name}}' }],
        },
        {
          title: 'Oldest waiting job',
          description: 'How long the next job in line has been ready to run.',
          kind: 'timeseries',
          unit: 's',
          width: 8,
          queries: [
            { expr: `queue:oldest_waiting_job_age:seconds{${Q}}`, legend: '{{messaging_destination_name}}' },
          ],
        },
        {
          title: 'Jobs by state',
          description:
            'Current jobs per queue and state (waiting, active, delayed, prioritized, completed, failed).',
          kind: 'table',
          unit: 'short',
          width: 8,
          queries: [
            {
              expr: `max by (messaging_destination_name, bullmq_job_state) (bullmq_queue_jobs{${Q}})`,
              instant: true,
            },
          ],
        },
      ],
    },
    {
      title: 'Throughput and failures',
      panels: [
        {
          title: 'Jobs added per second',
          description: 'Jobs enqueued by producers (each job of a bulk add counts).',
          kind: 'timeseries',
          unit: 'ops',
          queries: [
            {
              expr: `sum by (messaging_destination_name) (rate(messaging_client_sent_messages_total{${Q}}[$__rate_interval]))`,
              legend: '{{messaging_destination_name}}',
            },
          ],
        },
        {
          title: 'Jobs finished per second by outcome',
          description: 'Jobs that completed, or failed with no attempt left.',
          kind: 'timeseries',
          unit: 'ops',
          stack: true,
          queries: [
            {
              expr: `sum by (messaging_destination_name, bullmq_job_outcome) (rate(bullmq_job_attempts_count{${Q}}[$__rate_interval]))`,
              legend: '{{messaging_destination_name}} {{bullmq_job_outcome}}',
            },
          ],
        },
        {
          title: 'Failed attempts per second by error',
          description: 'Every failed attempt, retried or final, by error type.',
          kind: 'timeseries',
          unit: 'ops',
          queries: [
            {
              expr: `sum by (messaging_destination_name, error_type, bullmq_job_failure_final) (rate(bullmq_job_failures_total{${Q}}[$__rate_interval]))`,
              legend: '{{messaging_destination_name}} {{error_type}} final={{bullmq_job_failure_final}}',
            },
          ],
        },
        {
          title: 'Final failure ratio (15 minutes)',
          description: 'Share of finished jobs that failed for good.',
          kind: 'timeseries',
          unit: 'percentunit',
          queries: [
            { expr: `queue:job_failure_ratio:rate15m{${Q}}`, legend: '{{messaging_destination_name}}' },
          ],
        },
        {
          title: 'Retries and stalled jobs in the range',
          description:
            'Retries scheduled, and jobs whose lock expired while active (0 until the first stall).',
          kind: 'bargauge',
          unit: 'short',
          queries: [
            {
              expr: `sum by (messaging_destination_name) (increase(bullmq_job_retries_total{${Q}}[$__range]))`,
              legend: '{{messaging_destination_name}} retries',
            },
            {
              // The stalled counter appears with the first stall; until then show 0 for each queue.
              expr: `sum by (messaging_destination_name) (increase(bullmq_job_stalled_total{${Q}}[$__range])) or sum by (messaging_destination_name) (increase(messaging_client_consumed_messages_total{${Q}}[$__range])) * 0`,
              legend: '{{messaging_destination_name}} stalled',
            },
          ],
        },
        {
          title: 'Attempts per finished job (p95)',
          description: 'How many attempts jobs need; above 1 means retries are routine.',
          kind: 'timeseries',
          unit: 'short',
          queries: [
            {
              expr: `histogram_quantile(0.95, sum by (le, messaging_destination_name) (rate(bullmq_job_attempts_bucket{${Q}}[$__rate_interval])))`,
              legend: '{{messaging_destination_name}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Durations',
      panels: [
        {
          title: 'Job run time p95',
          description: '95th percentile duration of one attempt.',
          kind: 'timeseries',
          unit: 's',
          queries: [
            {
              expr: `histogram_quantile(0.95, sum by (le, messaging_destination_name) (rate(messaging_process_duration_seconds_bucket{${Q}}[$__rate_interval])))`,
              legend: '{{messaging_destination_name}}',
            },
          ],
        },
        {
          title: 'Time in queue p95',
          description: 'From when a job could first run to its first attempt.',
          kind: 'timeseries',
          unit: 's',
          queries: [
            {
              expr: `histogram_quantile(0.95, sum by (le, messaging_destination_name) (rate(bullmq_job_wait_duration_seconds_bucket{${Q}}[$__rate_interval])))`,
              legend: '{{messaging_destination_name}}',
            },
          ],
        },
      ],
    },
  ],
};
