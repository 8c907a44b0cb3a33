// SPDX-License-Identifier: Apache-2.0
// Feeds Stagehand's token usage into the GenAI package's token and cost metrics, so browser work and
// direct LLM calls land in the same gen_ai.client.token.usage and cost series.
import * as genai from '@otel-preset/instrumentation-genai';

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

type Recorder = (usage: GenAIUsage) => void;

// Looked up on the namespace rather than imported by name, so this package keeps loading with a
// GenAI package that predates recordGenAIUsage; the usage then stays on the spans only.
const recorder = (genai as unknown as { recordGenAIUsage?: Recorder }).recordGenAIUsage;

export function recordUsage(usage: GenAIUsage): boolean {
  if (typeof recorder !== 'function') return false;
  try {
    recorder(usage);
    return true;
  } catch {
    return false;
  }
}
