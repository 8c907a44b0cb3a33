// SPDX-License-Identifier: Apache-2.0
// The dashboards and rules against real data: the demo stack (collector, Prometheus with our rules,
// Sentry and provider emulators, the demo API and worker under the preload) runs a short version of
// the demo workload, then every panel query of every dashboard and every recording rule must return
// data from that Prometheus. Failures name the dashboard and panel.
import { readFileSync } from 'node:fs';
import { collectorAvailable } from '@otel-preset/test-utils';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { type DemoStack, ruleFiles, startDemoStack } from '../../examples/agent-demo/stack.js';
import { runWorkload } from '../../examples/agent-demo/workload.js';
import { dashboardQueries } from '../../grafana/src/builder.js';
import { renderDashboards } from '../../grafana/src/index.js';

const WORKLOAD_MS = Number(process.env['STACK_WORKLOAD_MS'] ?? 45_000);

/** Grafana's variables, as a user with every service, model and queue selected would see them. */
function concrete(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__range', '5m')
    .replaceAll('$__interval', '10s')
    .replace(/\$(service|model|queue)\b/g, '.*');
}

describe.skipIf(!collectorAvailable())('dashboards and rules on the demo workload', () => {
  let stack: DemoStack;

  beforeAll(async () => {
    stack = await startDemoStack({
      pgUrl: inject('pgUrl'),
      redisUrl: inject('redisUrl'),
      intervalSeconds: 2,
    });
    await runWorkload(stack, WORKLOAD_MS);
    // The last export (2 s), span metrics flush (2 s), scrape and rule evaluation (2 s each).
    await stack.prometheus.query('up');
    await new Promise((resolve) => setTimeout(resolve, 8_000));
  }, WORKLOAD_MS + 90_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('every panel query of every dashboard returns data', async () => {
    const empty: string[] = [];
    let checked = 0;
    for (const [file, json] of Object.entries(renderDashboards())) {
      for (const { panel, expr } of dashboardQueries(JSON.parse(json))) {
        checked++;
        const samples = await stack.prometheus.query(concrete(expr)).catch((error: Error) => error);
        if (samples instanceof Error) empty.push(`${file} / ${panel}: query failed: ${samples.message}`);
        else if (samples.length === 0) empty.push(`${file} / ${panel}: no data for ${concrete(expr)}`);
      }
    }
    expect(checked).toBeGreaterThan(40);
    expect(empty, `panels without data:\n${empty.join('\n')}`).toEqual([]);
  });

  it('every recording rule evaluates without error and has data', async () => {
    const records = ruleFiles().flatMap((file) =>
      (parse(readFileSync(file, 'utf8')).groups as { rules: { record?: string }[] }[]).flatMap((group) =>
        group.rules.flatMap((rule) => (rule.record ? [rule.record] : [])),
      ),
    );
    const response = await fetch(`${stack.prometheus.url}/api/v1/rules`);
    const loaded = (
      (await response.json()) as {
        data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
      }
    ).data.groups.flatMap((group) => group.rules);
    const unhealthy = loaded
      .filter((rule) => rule.health !== 'ok')
      .map((rule) => `${rule.name}: ${rule.lastError}`);
    expect(unhealthy, 'rules failing to evaluate').toEqual([]);
    const empty: string[] = [];
    for (const record of records) if ((await stack.prometheus.query(record)).length === 0) empty.push(record);
    expect(empty, 'recording rules without data').toEqual([]);
  });

  it('the leaked browser session trips BrowserSessionsStuck (pending within the short run)', async () => {
    const alerts = await stack.prometheus.query('ALERTS{alertname="BrowserSessionsStuck"}');
    expect(alerts.map((a) => a.metric['job'])).toContain('agent-worker');
  });

  it('latency exemplars carry trace ids of traces Sentry received', async () => {
    const url = `${stack.prometheus.url}/api/v1/query_exemplars?query=${encodeURIComponent(
      'traces_span_metrics_duration_seconds_bucket{span_kind="SPAN_KIND_SERVER"}',
    )}&start=${Math.floor(Date.now() / 1000) - 600}&end=${Math.ceil(Date.now() / 1000)}`;
    const body = (await (await fetch(url)).json()) as {
      data: { exemplars: { labels: Record<string, string> }[] }[];
    };
    const traceIds = new Set(
      body.data.flatMap((series) => series.exemplars.map((e) => e.labels['trace_id'])),
    );
    expect(traceIds.size).toBeGreaterThan(0);
    const received = new Set(stack.sentry!.spans().map((span) => span.traceId));
    expect([...traceIds].some((id) => id && received.has(id))).toBe(true);
  });

  it('the Sentry outage shows as queued data, the signal OtelCollectorFailingToSend watches', async () => {
    const queued = await stack.prometheus.query(
      'max_over_time(otelcol_exporter_queue_size{exporter="otlp_http/sentry"}[5m])',
    );
    expect(queued[0]?.value).toBeGreaterThan(0);
  });
});
