// SPDX-License-Identifier: Apache-2.0

/**
 * Token counts of one operation, already normalised: `inputTokens` includes cached tokens (cache
 * reads and writes are subsets of it) and `outputTokens` includes reasoning tokens.
 */
export interface TokenUsage {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadTokens?: number;
  cacheCreationTokens?: number;
  reasoningTokens?: number;
}
