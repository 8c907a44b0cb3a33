// SPDX-License-Identifier: Apache-2.0
// One record per Browserbase session this process created, from create to release or time-out.
//
// Each session gets a `browserbase.session` span: a root span (so the creating request's trace does
// not stay open for minutes) linked to the `sessions.create` span, started at create and ended on
// release, on a retrieve that reports a final status, when `expiresAt` passes, or when the process
// drains its event loop. A span is only exported once it ends, so everything that must be visible
// while a session runs (open sessions, stuck sessions, cost accrued so far) is a metric instead.
import { type Attributes, type Span, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { Metrics, SessionGauges } from './metrics.js';
import { browserCost, proxyCost, type Rates } from './pricing.js';
import {
  ATTR_BROWSERBASE_COST_TYPE,
  ATTR_BROWSERBASE_PROJECT_ID,
  ATTR_BROWSERBASE_REGION,
  ATTR_BROWSERBASE_REPLAY_URL,
  ATTR_BROWSERBASE_SESSION_COST,
  ATTR_BROWSERBASE_SESSION_DURATION,
  ATTR_BROWSERBASE_SESSION_END_REASON,
  ATTR_BROWSERBASE_SESSION_PROXY_BYTES,
  ATTR_BROWSERBASE_SESSION_STATUS,
  ATTR_BROWSERBASE_SESSION_TIMEOUT,
  EVENT_SESSION_STUCK,
} from './semconv.js';
import { expiresAtMs, type SessionData, sessionAttributes, TERMINAL_STATUSES } from './session-data.js';

export type EndReason = 'released' | 'timed_out' | 'observed' | 'shutdown';

interface OpenSession {
  id: string;
  span: Span;
  openedAt: number;
  expiresAt: number | undefined;
  /** Bounded metric labels: region and project, never the session id. */
  labels: Attributes;
  stuck: boolean;
  /** Browser time already turned into cost by earlier ticks. */
  chargedMs: number;
  costUsd: number;
  proxyBytes: number;
}

export interface TrackerOptions {
  tracer: () => Tracer;
  metrics: () => Metrics;
  rates: () => Rates;
  stuckAfterMs: () => number;
  captureUrls: () => boolean;
  /** Called when the first session opens and when the last one closes. */
  onBusyChange?: (busy: boolean) => void;
}

// Proxy bytes are cumulative per session; remember what was counted for recently closed sessions so
// the common "release, then retrieve for the final numbers" does not count them twice or drop them.
const CLOSED_MEMORY = 1000;

export class SessionTracker implements SessionGauges {
  private readonly open = new Map<string, OpenSession>();
  private readonly closedProxyBytes = new Map<string, number>();
  // Every label set ever seen (bounded: regions x projects). Gauges report 0 for the ones with no
  // open session; a set that is simply not observed keeps its last value in cumulative exports.
  private readonly labelSets = new Map<string, Attributes>();

  constructor(private readonly options: TrackerOptions) {}

  get size(): number {
    return this.open.size;
  }

  /** After a successful `sessions.create`. */
  opened(data: SessionData, createSpan: Span | undefined, timeoutSeconds: number | undefined): void {
    if (!data.id || this.open.has(data.id)) return;
    const now = Date.now();
    const labels = metricLabels(data);
    this.labelSets.set(JSON.stringify(labels), labels);
    const attributes = sessionAttributes(data, this.options.captureUrls());
    if (timeoutSeconds !== undefined) attributes[ATTR_BROWSERBASE_SESSION_TIMEOUT] = timeoutSeconds;
    if (this.options.captureUrls()) attributes[ATTR_BROWSERBASE_REPLAY_URL] = replayUrl(data.id);
    const span = this.options.tracer().startSpan('browserbase.session', {
      root: true,
      startTime: now,
      attributes,
      links: createSpan ? [{ context: createSpan.spanContext() }] : [],
    });
    this.open.set(data.id, {
      id: data.id,
      span,
      openedAt: now,
      expiresAt: expiresAtMs(data),
      labels,
      stuck: false,
      chargedMs: 0,
      costUsd: 0,
      proxyBytes: data.proxyBytes ?? 0,
    });
    this.options.metrics().created.add(1, labels);
    if (this.open.size === 1) this.options.onBusyChange?.(true);
  }

  /** After `retrieve` or `update` returned a session payload. */
  observed(data: SessionData): void {
    if (!data.id) return;
    const session = this.open.get(data.id);
    if (data.proxyBytes !== undefined) this.countProxyBytes(data.id, session, data.proxyBytes, data);
    if (!session) return;
    const expiresAt = expiresAtMs(data);
    if (expiresAt !== undefined) session.expiresAt = expiresAt;
    if (data.status && TERMINAL_STATUSES.has(data.status)) this.close(session, data.status, 'observed');
  }

  /** After a successful `update(id, { status: 'REQUEST_RELEASE' })`. */
  released(id: string, data: SessionData | undefined): void {
    const session = this.open.get(id);
    if (data?.proxyBytes !== undefined) this.countProxyBytes(id, session, data.proxyBytes, data);
    if (session) this.close(session, 'COMPLETED', 'released');
  }

  /** The watchdog: stuck flags, expiry and cost accrued so far. */
  tick(now = Date.now()): void {
    for (const session of [...this.open.values()]) {
      if (session.expiresAt !== undefined && now >= session.expiresAt) {
        this.close(session, 'TIMED_OUT', 'timed_out', session.expiresAt);
        continue;
      }
      const age = now - session.openedAt;
      if (!session.stuck && age >= this.options.stuckAfterMs()) {
        session.stuck = true;
        session.span.addEvent(EVENT_SESSION_STUCK, {
          [ATTR_BROWSERBASE_SESSION_DURATION]: age / 1000,
          'browserbase.session.stuck_after': this.options.stuckAfterMs() / 1000,
        });
        this.options.metrics().stuck.add(1, session.labels);
      }
      this.chargeBrowserTime(session, age);
    }
  }

  /** Ends every open session's span; the sessions themselves may well still be running. */
  endAll(reason: EndReason = 'shutdown'): void {
    for (const session of [...this.open.values()]) this.close(session, 'UNKNOWN', reason);
  }

  *active(): Iterable<{ count: number; attributes: Attributes }> {
    yield* groupByLabels(this.open.values(), this.labelSets);
  }

  *stuck(): Iterable<{ count: number; attributes: Attributes }> {
    yield* groupByLabels(
      [...this.open.values()].filter((session) => session.stuck),
      this.labelSets,
    );
  }

  private close(session: OpenSession, status: string, reason: EndReason, endedAt = Date.now()): void {
    this.open.delete(session.id);
    this.remember(session.id, session.proxyBytes);
    const durationMs = Math.max(0, endedAt - session.openedAt);
    this.chargeBrowserTime(session, durationMs);
    const { span } = session;
    span.setAttributes({
      [ATTR_BROWSERBASE_SESSION_STATUS]: status,
      [ATTR_BROWSERBASE_SESSION_END_REASON]: reason,
      [ATTR_BROWSERBASE_SESSION_DURATION]: durationMs / 1000,
      [ATTR_BROWSERBASE_SESSION_PROXY_BYTES]: session.proxyBytes,
      [ATTR_BROWSERBASE_SESSION_COST]: session.costUsd,
    });
    if (status === 'ERROR') span.setStatus({ code: SpanStatusCode.ERROR, message: 'session ended in ERROR' });
    span.end(Math.max(endedAt, session.openedAt));
    this.options.metrics().duration.record(durationMs / 1000, {
      ...session.labels,
      [ATTR_BROWSERBASE_SESSION_STATUS]: status,
      [ATTR_BROWSERBASE_SESSION_END_REASON]: reason,
    });
    if (this.open.size === 0) this.options.onBusyChange?.(false);
  }

  private chargeBrowserTime(session: OpenSession, upToMs: number): void {
    if (upToMs <= session.chargedMs) return;
    const usd = browserCost(this.options.rates(), upToMs - session.chargedMs);
    session.chargedMs = upToMs;
    session.costUsd += usd;
    if (usd > 0)
      this.options
        .metrics()
        .cost.add(usd, { ...session.labels, [ATTR_BROWSERBASE_COST_TYPE]: 'browser_minutes' });
  }

  private countProxyBytes(
    id: string,
    session: OpenSession | undefined,
    total: number,
    data: SessionData,
  ): void {
    const counted = session?.proxyBytes ?? this.closedProxyBytes.get(id);
    // A session we neither opened nor saw closing has no baseline: its earlier traffic is not ours.
    if (counted === undefined || total <= counted) return;
    const delta = total - counted;
    const labels = session?.labels ?? metricLabels(data);
    const usd = proxyCost(this.options.rates(), delta);
    this.options.metrics().proxyBytes.add(delta, labels);
    if (usd > 0) this.options.metrics().cost.add(usd, { ...labels, [ATTR_BROWSERBASE_COST_TYPE]: 'proxy' });
    if (session) {
      session.proxyBytes = total;
      session.costUsd += usd;
    } else {
      this.remember(id, total);
    }
  }

  private remember(id: string, proxyBytes: number): void {
    this.closedProxyBytes.delete(id);
    this.closedProxyBytes.set(id, proxyBytes);
    if (this.closedProxyBytes.size > CLOSED_MEMORY) {
      const oldest = this.closedProxyBytes.keys().next().value;
      if (oldest !== undefined) this.closedProxyBytes.delete(oldest);
    }
  }
}

export const replayUrl = (id: string): string =>
  `https://www.browserbase.com/sessions/${encodeURIComponent(id)}`;

function metricLabels(data: SessionData): Attributes {
  const labels: Attributes = {};
  if (data.region) labels[ATTR_BROWSERBASE_REGION] = data.region;
  if (data.projectId) labels[ATTR_BROWSERBASE_PROJECT_ID] = data.projectId;
  return labels;
}

function* groupByLabels(
  sessions: Iterable<OpenSession>,
  known: Map<string, Attributes>,
): Iterable<{ count: number; attributes: Attributes }> {
  const groups = new Map<string, { count: number; attributes: Attributes }>();
  for (const [key, attributes] of known) groups.set(key, { count: 0, attributes });
  for (const session of sessions) {
    const key = JSON.stringify(session.labels);
    const group = groups.get(key);
    if (group) group.count += 1;
    else groups.set(key, { count: 1, attributes: session.labels });
  }
  yield* groups.values();
}
