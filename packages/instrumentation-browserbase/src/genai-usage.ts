// SPDX-License-Identifier: Apache-2.0
// Feeds Stagehand's token usage into the GenAI package's token and cost metrics, so browser work and
// direct LLM calls land in the same gen_ai.client.token.usage and cost series.
import { type GenAIUsage, recordGenAIUsage } from '@otel-preset/instrumentation-genai';

export type { GenAIUsage };

/** recordGenAIUsage never throws by contract; the guard keeps that true here whatever it does. */
export function recordUsage(usage: GenAIUsage): void {
  try {
    recordGenAIUsage(usage);
  } catch {
    // never into the host
  }
}
