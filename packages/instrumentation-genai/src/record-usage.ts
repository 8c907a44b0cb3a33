// SPDX-License-Identifier: Apache-2.0
// Usage reported outside the provider SDKs (e.g. an agent framework's own token counts) lands in the
// same token and cost metrics as instrumented calls.
import { diag } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
} from './attributes.js';
import { recordUsage } from './metrics.js';
import { currentTelemetry } from './telemetry.js';

export interface GenAIUsage {
  provider: string;
  model: string;
  operation: string;
  inputTokens?: number;
  outputTokens?: number;
  cacheReadTokens?: number;
  cacheCreationTokens?: number;
  reasoningTokens?: number;
}

const count = (value: unknown) =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;

/**
 * Records gen_ai.client.token.usage and the cost counter (or the unpriced counter) for usage
 * reported outside the provider SDKs. `inputTokens` must include cached tokens. Never throws.
 */
export function recordGenAIUsage(usage: GenAIUsage): void {
  try {
    if (!usage || typeof usage.provider !== 'string' || typeof usage.model !== 'string') return;
    const { metrics, pricing } = currentTelemetry();
    recordUsage(
      metrics,
      pricing,
      {
        [ATTR_GEN_AI_OPERATION_NAME]: String(usage.operation || 'chat'),
        [ATTR_GEN_AI_PROVIDER_NAME]: usage.provider,
        [ATTR_GEN_AI_REQUEST_MODEL]: usage.model,
      },
      {
        inputTokens: count(usage.inputTokens),
        outputTokens: count(usage.outputTokens),
        cacheReadTokens: count(usage.cacheReadTokens),
        cacheCreationTokens: count(usage.cacheCreationTokens),
        reasoningTokens: count(usage.reasoningTokens),
      },
    );
  } catch (error) {
    diag.debug('@otel-preset/instrumentation-genai: recordGenAIUsage failed', error);
  }
}
