// SPDX-License-Identifier: Apache-2.0
// The instruments, and what one finished operation records on them. Labels are bounded: operation,
// provider, model names, server and error type; never ids, users or content.
import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_TOKEN_TYPE,
  METRIC_COST,
  METRIC_COST_UNPRICED,
  METRIC_OPERATION_DURATION,
  METRIC_TIME_PER_OUTPUT_CHUNK,
  METRIC_TIME_TO_FIRST_CHUNK,
  METRIC_TOKEN_USAGE,
} from './attributes.js';
import type { CostBreakdown, Pricing } from './pricing.js';
import { seriesAttributes } from './series.js';
import type { TokenUsage } from './usage-types.js';

// The semconv advisory buckets stop at 81.92 s; agent and reasoning calls run for minutes.
const DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92, 163.84, 327.68,
  655.36,
];
const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
// Per-chunk gaps are usually milliseconds; the duration buckets would put them all in the first one.
const CHUNK_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96,
  81.92,
];

export interface GenAIMetrics {
  duration: Histogram;
  tokenUsage: Histogram;
  timeToFirstChunk: Histogram;
  timePerOutputChunk: Histogram;
  cost: Counter;
  unpriced: Counter;
}

export function createMetrics(meter: Meter): GenAIMetrics {
  return {
    duration: meter.createHistogram(METRIC_OPERATION_DURATION, {
      description: 'GenAI operation duration.',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    }),
    tokenUsage: meter.createHistogram(METRIC_TOKEN_USAGE, {
      description: 'Number of input and output tokens used.',
      unit: '{token}',
      advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
    }),
    timeToFirstChunk: meter.createHistogram(METRIC_TIME_TO_FIRST_CHUNK, {
      description: 'Time to receive the first output chunk of a streamed response.',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    }),
    timePerOutputChunk: meter.createHistogram(METRIC_TIME_PER_OUTPUT_CHUNK, {
      description: 'Time between consecutive output chunks of a streamed response.',
      unit: 's',
      advice: { explicitBucketBoundaries: CHUNK_BUCKETS },
    }),
    cost: meter.createCounter(METRIC_COST, {
      description: 'Cost of GenAI operations at list prices from the price table, by token type.',
      unit: 'USD',
    }),
    unpriced: meter.createCounter(METRIC_COST_UNPRICED, {
      description: 'GenAI operations whose model has no price in the price table (no cost was recorded).',
      unit: '{operation}',
    }),
  };
}

/**
 * Records token usage and cost (or the unpriced signal) for one operation. `attributes` is the
 * common metric label set. Returns the cost so the caller can put it on the span.
 */
export function recordUsage(
  metrics: GenAIMetrics,
  pricing: Pricing,
  attributes: Attributes,
  usage: TokenUsage | undefined,
): CostBreakdown | undefined {
  if (!usage) return undefined;
  if (usage.inputTokens !== undefined)
    metrics.tokenUsage.record(
      usage.inputTokens,
      seriesAttributes(attributes, ATTR_GEN_AI_TOKEN_TYPE, 'input'),
    );
  if (usage.outputTokens !== undefined)
    metrics.tokenUsage.record(
      usage.outputTokens,
      seriesAttributes(attributes, ATTR_GEN_AI_TOKEN_TYPE, 'output'),
    );
  if (usage.inputTokens === undefined && usage.outputTokens === undefined) return undefined;

  const provider = String(attributes[ATTR_GEN_AI_PROVIDER_NAME] ?? '');
  // The response model names the exact snapshot that was billed; the request model may be an alias.
  const model = String(attributes[ATTR_GEN_AI_RESPONSE_MODEL] ?? attributes[ATTR_GEN_AI_REQUEST_MODEL] ?? '');
  const cost = model ? pricing.cost(provider, model, usage) : undefined;
  const costLabels = seriesAttributes({
    [ATTR_GEN_AI_PROVIDER_NAME]: provider,
    [ATTR_GEN_AI_REQUEST_MODEL]: attributes[ATTR_GEN_AI_REQUEST_MODEL] ?? model,
    ...(attributes[ATTR_GEN_AI_RESPONSE_MODEL] !== undefined
      ? { [ATTR_GEN_AI_RESPONSE_MODEL]: attributes[ATTR_GEN_AI_RESPONSE_MODEL] }
      : {}),
  });
  if (!cost) {
    metrics.unpriced.add(1, costLabels);
    return undefined;
  }
  for (const [type, amount] of Object.entries(cost.byType)) {
    if (amount > 0) metrics.cost.add(amount, seriesAttributes(costLabels, ATTR_GEN_AI_TOKEN_TYPE, type));
  }
  return cost;
}
