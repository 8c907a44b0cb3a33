// SPDX-License-Identifier: Apache-2.0
// What the demo prints at the end: where the telemetry went, as answers from the real backends.
import type { SentryEmulator } from '@otel-preset/test-utils';
import type { PromQuery } from './stack.js';

export interface Question {
  title: string;
  promql: string;
  /** Formats one sample's labels and value. */
  format: (labels: Record<string, string>, value: number) => string;
}

const usd = (value: number) => `$${value.toFixed(value < 1 ? 4 : 2)}`;
const ms = (value: number) => (Number.isFinite(value) ? `${Math.round(value * 1000)} ms` : 'n/a');

export const QUESTIONS: Question[] = [
  {
    title: 'LLM cost by model (USD, whole run)',
    promql: 'sort_desc(sum by (gen_ai_provider_name, gen_ai_request_model) (gen_ai_client_cost_USD_total))',
    format: (l, v) => `${l['gen_ai_provider_name']}/${l['gen_ai_request_model']}: ${usd(v)}`,
  },
  {
    title: 'LLM cost rate (USD per hour, last 5m)',
    promql: 'sum(llm:cost_usd_per_hour:rate5m)',
    format: (_l, v) => usd(v),
  },
  {
    title: 'p95 latency by route (last 5m)',
    promql: 'sort_desc(route:latency_seconds:p95_5m)',
    format: (l, v) => `${l['service_name']} ${l['span_name']}: ${ms(v)}`,
  },
  {
    title: 'Error ratio by service (last 5m)',
    promql: 'service:error_ratio:rate5m',
    format: (l, v) => `${l['service_name']}: ${(v * 100).toFixed(1)} %`,
  },
  {
    title: 'Queue backlog (jobs waiting)',
    promql: 'queue:backlog:jobs',
    format: (l, v) => `${l['messaging_destination_name']}: ${v}`,
  },
  {
    title: 'Stuck browser sessions (open past the threshold)',
    promql: 'browser:sessions_stuck:current',
    format: (l, v) => `${l['job']}: ${v}`,
  },
  {
    title: 'Alerts pending or firing',
    promql: 'ALERTS',
    format: (l) =>
      `${l['alertname']} (${l['alertstate']})${l['service_name'] ? ` ${l['service_name']}` : ''}`,
  },
];

export async function summarize(prometheus: PromQuery, sentry: SentryEmulator | undefined): Promise<string> {
  const lines = ['', '=== Where the telemetry went ==='];
  if (sentry) {
    const spans = sentry.spans();
    const traces = new Set(spans.map((span) => span.traceId));
    const errors = spans.filter((span) => span.status.code === 'ERROR').length;
    lines.push(
      `Sentry OTLP endpoint (emulated): ${spans.length} spans in ${traces.size} traces received ` +
        `(${errors} error spans; errors and slow traces are always kept, the rest sampled)`,
    );
  }
  lines.push(`Prometheus: ${prometheus.url}`);
  for (const question of QUESTIONS) {
    lines.push('', `${question.title}:   ${question.promql}`);
    const samples = await prometheus.query(question.promql).catch((error: Error) => error);
    if (samples instanceof Error) lines.push(`  query failed: ${samples.message}`);
    else if (samples.length === 0) lines.push('  (no data)');
    else
      for (const sample of samples.slice(0, 10))
        lines.push(`  ${question.format(sample.metric, sample.value)}`);
  }
  return lines.join('\n');
}
