// SPDX-License-Identifier: Apache-2.0
// LLM usage for engineers and for whoever pays the bill: list-price cost, tokens, calls, errors,
// duration and time to first chunk, by provider and model.
import type { DashboardSpec } from '../builder.js';

const SEL = 'job=~"$service", gen_ai_request_model=~"$model"';

export const llmDashboard: DashboardSpec = {
  uid: 'otel-preset-llm',
  title: 'LLM: cost, tokens and latency',
  description:
    'Calls to OpenAI, Anthropic and Google Gen AI: spend at list prices, tokens, errors and latency.',
  variables: [
    {
      name: 'service',
      label: 'Service',
      query: 'label_values(gen_ai_client_operation_duration_seconds_count, job)',
    },
    {
      name: 'model',
      label: 'Model',
      query: 'label_values(gen_ai_client_operation_duration_seconds_count, gen_ai_request_model)',
    },
  ],
  rows: [
    {
      title: 'Spend',
      panels: [
        {
          title: 'Spend in the selected range',
          description: 'List-price cost of all LLM calls in the time range (USD).',
          kind: 'stat',
          unit: 'currencyUSD',
          width: 6,
          queries: [{ expr: `sum(increase(gen_ai_client_cost_USD_total{${SEL}}[$__range]))`, legend: 'USD' }],
        },
        {
          title: 'Spend in the last hour against the budget',
          description:
            'Cost over the last hour, all services, and the hourly budget from prometheus/rules/budgets.yml.',
          kind: 'stat',
          unit: 'currencyUSD',
          width: 6,
          queries: [
            { expr: 'sum(llm:cost_usd:increase1h)', legend: 'last hour' },
            { expr: 'budget:llm_cost_usd:per_hour', legend: 'hourly budget' },
          ],
        },
        {
          title: 'Spend by service',
          description: 'Which service spent what in the time range (USD).',
          kind: 'bargauge',
          unit: 'currencyUSD',
          width: 12,
          queries: [
            {
              expr: `sum by (job) (increase(gen_ai_client_cost_USD_total{${SEL}}[$__range]))`,
              legend: '{{job}}',
            },
          ],
        },
        {
          title: 'Cost rate by model (USD per hour)',
          description: 'Current spend rate projected to an hour, per provider and model.',
          kind: 'timeseries',
          unit: 'currencyUSD',
          stack: true,
          queries: [
            {
              expr: `sum by (gen_ai_provider_name, gen_ai_request_model) (rate(gen_ai_client_cost_USD_total{${SEL}}[$__rate_interval])) * 3600`,
              legend: '{{gen_ai_provider_name}} {{gen_ai_request_model}}',
            },
          ],
        },
        {
          title: 'Tokens per second by model and type',
          description: 'Input and output tokens per second.',
          kind: 'timeseries',
          unit: 'short',
          stack: true,
          queries: [
            {
              expr: `sum by (gen_ai_request_model, gen_ai_token_type) (rate(gen_ai_client_token_usage_sum{${SEL}}[$__rate_interval]))`,
              legend: '{{gen_ai_request_model}} {{gen_ai_token_type}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Calls, errors and latency',
      panels: [
        {
          title: 'Calls per second by model',
          description: 'LLM operations per second (chat, generate_content, embeddings...).',
          kind: 'timeseries',
          unit: 'ops',
          queries: [
            {
              expr: `sum by (gen_ai_provider_name, gen_ai_request_model, gen_ai_operation_name) (rate(gen_ai_client_operation_duration_seconds_count{${SEL}}[$__rate_interval]))`,
              legend: '{{gen_ai_provider_name}} {{gen_ai_request_model}} {{gen_ai_operation_name}}',
            },
          ],
        },
        {
          title: 'Errors per second by provider, model and error type',
          description: 'Failed LLM calls: rate limits (RateLimitError), provider errors, time-outs.',
          kind: 'timeseries',
          unit: 'ops',
          queries: [
            {
              expr: `sum by (gen_ai_provider_name, gen_ai_request_model, error_type) (rate(gen_ai_client_operation_duration_seconds_count{${SEL}, error_type!=""}[$__rate_interval]))`,
              legend: '{{gen_ai_provider_name}} {{gen_ai_request_model}} {{error_type}}',
            },
          ],
        },
        {
          title: 'Error ratio by model',
          description: 'Share of LLM calls that failed (last 5 minutes, all services).',
          kind: 'timeseries',
          unit: 'percentunit',
          queries: [
            {
              expr: 'llm:error_ratio:rate5m{gen_ai_request_model=~"$model"}',
              legend: '{{gen_ai_provider_name}} {{gen_ai_request_model}}',
            },
          ],
        },
        {
          title: 'Call duration p95 by model',
          description: '95th percentile duration of LLM calls, streamed ones until the last chunk.',
          kind: 'timeseries',
          unit: 's',
          queries: [
            {
              expr: `histogram_quantile(0.95, sum by (le, gen_ai_provider_name, gen_ai_request_model) (rate(gen_ai_client_operation_duration_seconds_bucket{${SEL}}[$__rate_interval])))`,
              legend: '{{gen_ai_provider_name}} {{gen_ai_request_model}}',
            },
          ],
        },
        {
          title: 'Time to first chunk p95 by model',
          description: 'How long users wait before a streamed answer starts (95th percentile).',
          kind: 'timeseries',
          unit: 's',
          queries: [
            {
              expr: `histogram_quantile(0.95, sum by (le, gen_ai_provider_name, gen_ai_request_model) (rate(gen_ai_client_operation_time_to_first_chunk_seconds_bucket{${SEL}}[$__rate_interval])))`,
              legend: '{{gen_ai_provider_name}} {{gen_ai_request_model}}',
            },
          ],
        },
        {
          title: 'LLM spans p95 (traces)',
          description: 'Duration of LLM client spans from the span metrics. Exemplar dots link to the trace.',
          kind: 'timeseries',
          unit: 's',
          queries: [
            {
              expr: 'histogram_quantile(0.95, sum by (le, service_name, gen_ai_request_model) (rate(traces_span_metrics_duration_seconds_bucket{service_name=~"$service", gen_ai_request_model=~"$model", gen_ai_request_model!=""}[$__rate_interval])))',
              legend: '{{service_name}} {{gen_ai_request_model}}',
              exemplar: true,
            },
          ],
        },
      ],
    },
  ],
};
