// SPDX-License-Identifier: Apache-2.0
export { startAnthropicEmulator } from './anthropic.js';
export { startGeminiEmulator } from './gemini.js';
export { emulatedEmbedding, startOpenAIEmulator } from './openai.js';
export {
  DEFAULT_TEXT,
  DEFAULT_USAGE,
  type EmulatedRequest,
  type EmulatedToolCall,
  type EmulatedUsage,
  type ProviderEmulator,
  type ReplyScript,
} from './server.js';
