// SPDX-License-Identifier: Apache-2.0
// Browserbase sessions: open and stuck sessions, creates and failures, lifetimes and spend.
import type { DashboardSpec } from '../builder.js';

const S = 'job=~"$service"';

export const browserDashboard: DashboardSpec = {
  uid: 'otel-preset-browser',
  title: 'Browser sessions (Browserbase)',
  description:
    'Browserbase sessions of every service: open, stuck, failed, how long they live and what they cost.',
  variables: [
    { name: 'service', label: 'Service', query: 'label_values(browserbase_session_created_total, job)' },
  ],
  rows: [
    {
      title: 'Sessions',
      panels: [
        {
          title: 'Open sessions',
          description: 'Sessions created and not yet released or timed out.',
          kind: 'timeseries',
          unit: 'short',
          width: 8,
          queries: [{ expr: `sum by (job) (browserbase_session_active{${S}})`, legend: '{{job}}' }],
        },
        {
          title: 'Stuck sessions now',
          description: 'Open sessions older than the stuck threshold (OTEL_PRESET_BROWSERBASE_STUCK_AFTER).',
          kind: 'stat',
          unit: 'short',
          width: 8,
          thresholds: [[1, 'red']],
          queries: [{ expr: `sum(browserbase_session_stuck_current{${S}})`, legend: 'stuck' }],
        },
        {
          title: 'Sessions flagged stuck in the range',
          description: 'Sessions the watchdog reported as stuck, per service.',
          kind: 'bargauge',
          unit: 'short',
          width: 8,
          queries: [
            {
              expr: `sum by (job) (increase(browserbase_session_stuck_total{${S}}[$__range]))`,
              legend: '{{job}}',
            },
          ],
        },
        {
          title: 'Session creates per second',
          description: 'Successful and failed session creates.',
          kind: 'timeseries',
          unit: 'ops',
          queries: [
            {
              expr: `sum by (job) (rate(browserbase_session_created_total{${S}}[$__rate_interval]))`,
              legend: '{{job}} created',
            },
            {
              expr: `sum by (job, error_type) (rate(browserbase_session_failed_total{${S}}[$__rate_interval]))`,
              legend: '{{job}} failed {{error_type}}',
            },
          ],
        },
        {
          title: 'Session create failure ratio (15 minutes)',
          description: 'Share of session creates that failed.',
          kind: 'timeseries',
          unit: 'percentunit',
          queries: [{ expr: `browser:session_failure_ratio:rate15m{${S}}`, legend: '{{job}}' }],
        },
        {
          title: 'Session lifetime p95 by end reason',
          description: 'From creation to release, time-out or shutdown.',
          kind: 'timeseries',
          unit: 's',
          queries: [
            {
              expr: `histogram_quantile(0.95, sum by (le, browserbase_session_end_reason) (rate(browserbase_session_duration_seconds_bucket{${S}}[$__rate_interval])))`,
              legend: '{{browserbase_session_end_reason}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Spend',
      panels: [
        {
          title: 'Browser spend in the selected range',
          description: 'Estimated Browserbase cost (browser minutes and proxy traffic) in the time range.',
          kind: 'stat',
          unit: 'currencyUSD',
          queries: [
            { expr: `sum(increase(browserbase_session_cost_USD_total{${S}}[$__range]))`, legend: 'USD' },
          ],
        },
        {
          title: 'Browser cost rate (USD per hour)',
          description: 'Current spend rate projected to an hour, per service and cost type.',
          kind: 'timeseries',
          unit: 'currencyUSD',
          stack: true,
          queries: [
            {
              expr: `sum by (job, browserbase_cost_type) (rate(browserbase_session_cost_USD_total{${S}}[$__rate_interval])) * 3600`,
              legend: '{{job}} {{browserbase_cost_type}}',
            },
          ],
        },
      ],
    },
  ],
};
