// SPDX-License-Identifier: Apache-2.0
// Reads the AI SDK's telemetry payloads (events, provider results, stream parts) into the request and
// response shapes every provider path fills in, so AI SDK calls get the same spans and metrics.
import {
  ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
  ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY,
  ATTR_GEN_AI_REQUEST_SEED,
  ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_REQUEST_TOP_K,
  ATTR_GEN_AI_REQUEST_TOP_P,
  PROVIDER_ANTHROPIC,
  PROVIDER_GEMINI,
  PROVIDER_OPENAI,
  PROVIDER_VERTEX_AI,
} from '../attributes.js';
import type { ChatMessage } from '../content.js';
import { type OperationRequest, type OperationResponse, serverFromUrl, type ToolCall } from '../operation.js';
import { defined, num, type Obj, obj, str, stringList } from '../providers/common.js';
import type { TokenUsage } from '../usage-types.js';
import { inputContent, partOf } from './content.js';

// AI SDK provider ids are `{provider}.{api}` (`openai.responses`, `anthropic.messages`,
// `google.generative-ai`); the first segment names the provider, mapped to gen_ai.provider.name.
const PROVIDERS: Record<string, string> = {
  openai: PROVIDER_OPENAI,
  anthropic: PROVIDER_ANTHROPIC,
  google: PROVIDER_GEMINI,
  vertex: PROVIDER_VERTEX_AI,
  azure: 'azure.ai.openai',
  'amazon-bedrock': 'aws.bedrock',
  bedrock: 'aws.bedrock',
  mistral: 'mistral_ai',
  xai: 'x_ai',
  groq: 'groq',
  deepseek: 'deepseek',
  cohere: 'cohere',
  perplexity: 'perplexity',
};

export function providerName(id: unknown): string {
  const value = str(id) ?? '';
  if (value.startsWith('google.vertex')) return PROVIDER_VERTEX_AI;
  const prefix = value.split('.')[0] ?? '';
  return PROVIDERS[prefix] ?? (prefix || '_OTHER');
}

/** A `languageModelCall` event: the model, the call settings, and the prompt (read lazily). */
export function chatRequest(event: Obj): OperationRequest {
  return {
    provider: providerName(event.provider),
    operation: 'chat',
    model: str(event.modelId),
    attributes: defined({
      [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: num(event.maxOutputTokens),
      [ATTR_GEN_AI_REQUEST_TEMPERATURE]: num(event.temperature),
      [ATTR_GEN_AI_REQUEST_TOP_P]: num(event.topP),
      [ATTR_GEN_AI_REQUEST_TOP_K]: num(event.topK),
      [ATTR_GEN_AI_REQUEST_STOP_SEQUENCES]: stringList(event.stopSequences),
      [ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY]: num(event.frequencyPenalty),
      [ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY]: num(event.presencePenalty),
      [ATTR_GEN_AI_REQUEST_SEED]: num(event.seed),
    }),
    content: () => inputContent(event),
  };
}

/** An `embed` / `embedMany` event. */
export function embeddingsRequest(event: Obj): OperationRequest {
  return {
    provider: providerName(event.provider),
    operation: 'embeddings',
    model: str(event.modelId),
    attributes: defined({ [ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT]: num(event.dimensions) }),
  };
}

/**
 * Token usage in either AI SDK shape: the provider result's (`inputTokens: { total, cacheRead,
 * cacheWrite }`, `outputTokens: { total, reasoning }`) or the flattened `LanguageModelUsage`. Both
 * totals already include cached and reasoning tokens, as `TokenUsage` expects.
 */
export function tokenUsage(usage: unknown): TokenUsage | undefined {
  const u = obj(usage);
  if (!u) return undefined;
  const input = obj(u.inputTokens);
  const output = obj(u.outputTokens);
  const inputDetails = obj(u.inputTokenDetails);
  const outputDetails = obj(u.outputTokenDetails);
  const result: TokenUsage = {
    inputTokens: num(input ? input.total : u.inputTokens),
    outputTokens: num(output ? output.total : u.outputTokens),
    cacheReadTokens: num(input ? input.cacheRead : inputDetails?.cacheReadTokens),
    cacheCreationTokens: num(input ? input.cacheWrite : inputDetails?.cacheWriteTokens),
    reasoningTokens: num(output ? output.reasoning : outputDetails?.reasoningTokens),
  };
  return result.inputTokens === undefined && result.outputTokens === undefined ? undefined : result;
}

/** `{ unified, raw }` in provider results; a plain string in older ones. */
export function finishReasons(reason: unknown): string[] | undefined {
  const value = str(reason) ?? str(obj(reason)?.unified);
  return value ? [value] : undefined;
}

/** The sanitised origin some providers report (`request.url`); the AI SDK strips paths and credentials. */
export function serverOf(request: unknown): Pick<OperationResponse, 'serverAddress' | 'serverPort'> {
  const url = str(obj(request)?.url);
  return url ? serverFromUrl(url) : {};
}

function toolCallsOf(parts: unknown[]): ToolCall[] {
  const calls: ToolCall[] = [];
  for (const part of parts) {
    const message = partOf(part);
    if (message.type === 'tool_call')
      calls.push({
        id: message.id as string | undefined,
        name: String(message.name),
        arguments: message.arguments,
      });
  }
  return calls;
}

/** The output message of one model call, for content capture. */
function outputMessages(parts: unknown[], finish: string[] | undefined): ChatMessage[] {
  return [{ role: 'assistant', parts: parts.map(partOf), ...(finish ? { finish_reason: finish[0] } : {}) }];
}

/** A non-streamed provider result (`doGenerate`), as published on `languageModelCall`'s asyncEnd. */
export function generateResponse(result: Obj): OperationResponse {
  const response = obj(result.response);
  const content = Array.isArray(result.content) ? result.content : [];
  const finish = finishReasons(result.finishReason);
  return {
    id: str(response?.id),
    model: str(response?.modelId),
    finishReasons: finish,
    usage: tokenUsage(result.usage),
    toolCalls: toolCallsOf(content),
    outputMessages: outputMessages(content, finish),
    ...serverOf(result.request),
  };
}

/** An `embed` / `embedMany` result. The raw body names the model that answered, when it is kept. */
export function embeddingsResponse(result: Obj): OperationResponse {
  const usage = obj(result.usage);
  const tokens = num(usage?.tokens);
  return {
    model: str(obj(obj(result.response)?.body)?.model),
    usage: tokens === undefined ? undefined : { inputTokens: tokens },
  };
}

/** Accumulates a provider stream's parts (`LanguageModelV4StreamPart`) into the response shape. */
export class StreamedResponse {
  private text = '';
  private reasoning = '';
  private readonly calls: unknown[] = [];
  readonly response: OperationResponse = {};
  /** Set by an `error` part: providers report some failures in-stream rather than by throwing. */
  error: unknown;

  /** Reads one part; returns true when it carries output (for the time-per-chunk metrics). */
  add(part: Obj): boolean {
    switch (part.type) {
      case 'response-metadata':
        if (str(part.id)) this.response.id = str(part.id);
        if (str(part.modelId)) this.response.model = str(part.modelId);
        return false;
      case 'text-delta':
        this.text += str(part.delta) ?? '';
        return true;
      case 'reasoning-delta':
        this.reasoning += str(part.delta) ?? '';
        return true;
      case 'tool-input-delta':
        return true;
      case 'tool-call':
        this.calls.push(part);
        return true;
      case 'finish':
        this.response.usage = tokenUsage(part.usage);
        this.response.finishReasons = finishReasons(part.finishReason);
        return false;
      case 'error':
        this.error = part.error ?? new Error('stream error');
        return false;
      default:
        return false;
    }
  }

  result(): OperationResponse {
    const parts: unknown[] = [
      ...(this.reasoning ? [{ type: 'reasoning', text: this.reasoning }] : []),
      ...(this.text ? [{ type: 'text', text: this.text }] : []),
      ...this.calls,
    ];
    return {
      ...this.response,
      toolCalls: toolCallsOf(this.calls),
      outputMessages: outputMessages(parts, this.response.finishReasons),
    };
  }
}
