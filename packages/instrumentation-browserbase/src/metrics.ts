// SPDX-License-Identifier: Apache-2.0
// The metric instruments. Session ids never become labels: labels are the final status, the end
// reason, the region and the project, all bounded. Gauges read the open-session table when the
// reader collects, so they stay right when the meter provider is replaced mid-session.
import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import {
  METRIC_PROXY_BYTES,
  METRIC_SESSION_ACTIVE,
  METRIC_SESSION_COST,
  METRIC_SESSION_CREATED,
  METRIC_SESSION_DURATION,
  METRIC_SESSION_FAILED,
  METRIC_SESSION_STUCK,
  METRIC_SESSION_STUCK_CURRENT,
  METRIC_STAGEHAND_DURATION,
} from './semconv.js';

export interface SessionGauges {
  /** Open sessions grouped by their label set. */
  active(): Iterable<{ count: number; attributes: Attributes }>;
  /** Open sessions past the stuck threshold, grouped by their label set. */
  stuck(): Iterable<{ count: number; attributes: Attributes }>;
}

export interface Metrics {
  created: Counter;
  failed: Counter;
  duration: Histogram;
  cost: Counter;
  proxyBytes: Counter;
  stuck: Counter;
  stagehandDuration: Histogram;
}

// Sessions run from seconds to hours; the default histogram buckets stop at 10 s.
const SESSION_BUCKETS_S = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 21_600];
const OPERATION_BUCKETS_S = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160];

export function createMetrics(meter: Meter, gauges: SessionGauges): Metrics {
  const active = meter.createObservableUpDownCounter(METRIC_SESSION_ACTIVE, {
    description: 'Browserbase sessions created by this process and not yet released or timed out.',
    unit: '{session}',
  });
  active.addCallback((result) => {
    for (const { count, attributes } of gauges.active()) result.observe(count, attributes);
  });
  const stuckCurrent = meter.createObservableGauge(METRIC_SESSION_STUCK_CURRENT, {
    description: 'Open Browserbase sessions older than the stuck-session threshold.',
    unit: '{session}',
  });
  stuckCurrent.addCallback((result) => {
    for (const { count, attributes } of gauges.stuck()) result.observe(count, attributes);
  });

  return {
    created: meter.createCounter(METRIC_SESSION_CREATED, {
      description: 'Browserbase sessions created.',
      unit: '{session}',
    }),
    failed: meter.createCounter(METRIC_SESSION_FAILED, {
      description: 'Browserbase session creations that failed.',
      unit: '{session}',
    }),
    duration: meter.createHistogram(METRIC_SESSION_DURATION, {
      description: 'Lifetime of a Browserbase session, from creation to release, time-out or shutdown.',
      unit: 's',
      advice: { explicitBucketBoundaries: SESSION_BUCKETS_S },
    }),
    cost: meter.createCounter(METRIC_SESSION_COST, {
      description: 'Estimated Browserbase spend from browser minutes and proxy traffic.',
      unit: 'USD',
    }),
    proxyBytes: meter.createCounter(METRIC_PROXY_BYTES, {
      description: 'Proxy traffic of Browserbase sessions, as reported by sessions.retrieve.',
      unit: 'By',
    }),
    stuck: meter.createCounter(METRIC_SESSION_STUCK, {
      description: 'Browserbase sessions flagged for staying open longer than the stuck-session threshold.',
      unit: '{session}',
    }),
    stagehandDuration: meter.createHistogram(METRIC_STAGEHAND_DURATION, {
      description: 'Duration of Stagehand act, extract, observe and agent operations.',
      unit: 's',
      advice: { explicitBucketBoundaries: OPERATION_BUCKETS_S },
    }),
  };
}
