// SPDX-License-Identifier: Apache-2.0
// Google Gen AI (`@google/genai`): the public `models.generateContent`, `generateContentStream` and
// `embedContent` are per-instance arrow functions, so the prototype methods they call for each HTTP
// request are patched instead. That also gives one span per model round trip when the SDK loops
// (automatic function calling, automatic continuation).
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
  ATTR_GEN_AI_OUTPUT_TYPE,
  ATTR_GEN_AI_REQUEST_CHOICE_COUNT,
  ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY,
  ATTR_GEN_AI_REQUEST_SEED,
  ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_REQUEST_TOP_K,
  ATTR_GEN_AI_REQUEST_TOP_P,
  PROVIDER_GEMINI,
  PROVIDER_VERTEX_AI,
} from '../attributes.js';
import { type ChatMessage, type MessagePart, partsFromContent } from '../content.js';
import { type Operation, type OperationResponse, serverFromUrl, type ToolCall } from '../operation.js';
import { observeIterator } from '../streams.js';
import type { TokenUsage } from '../usage-types.js';
import { defined, num, type Obj, obj, type StartOperation, safely, str, stringList } from './common.js';

const DEFAULT_GEMINI_URL = 'https://generativelanguage.googleapis.com/';

function modelName(value: unknown): string | undefined {
  const model = str(value);
  if (!model) return undefined;
  // 'models/gemini-x' and 'publishers/google/models/gemini-x' name the same model.
  const slash = model.lastIndexOf('models/');
  return slash >= 0 ? model.slice(slash + 'models/'.length) : model;
}

function endpoint(models: unknown) {
  const apiClient = obj(obj(models)?.apiClient);
  const call = <T>(method: string): T | undefined => {
    const fn = apiClient?.[method];
    return typeof fn === 'function' ? safely(() => fn.call(apiClient) as T) : undefined;
  };
  const vertex = call<boolean>('isVertexAI') === true;
  const baseUrl = call<string>('getBaseUrl') ?? DEFAULT_GEMINI_URL;
  return { provider: vertex ? PROVIDER_VERTEX_AI : PROVIDER_GEMINI, ...serverFromUrl(baseUrl) };
}

function geminiUsage(metadata: unknown): TokenUsage | undefined {
  const u = obj(metadata);
  if (!u) return undefined;
  const candidates = num(u.candidatesTokenCount);
  const thoughts = num(u.thoughtsTokenCount);
  const prompt = num(u.promptTokenCount);
  const toolPrompt = num(u.toolUsePromptTokenCount);
  return {
    // promptTokenCount includes cached content; tool-use prompts are billed as input too.
    inputTokens:
      prompt === undefined && toolPrompt === undefined ? undefined : (prompt ?? 0) + (toolPrompt ?? 0),
    // Thinking tokens are billed as output but reported apart from the candidates.
    outputTokens:
      candidates === undefined && thoughts === undefined ? undefined : (candidates ?? 0) + (thoughts ?? 0),
    cacheReadTokens: num(u.cachedContentTokenCount),
    reasoningTokens: thoughts,
  };
}

function outputType(config: Obj): string | undefined {
  const mime = str(config.responseMimeType);
  if (!mime) return undefined;
  return mime === 'application/json' ? 'json' : mime.startsWith('text/') ? 'text' : undefined;
}

function requestAttributes(params: Obj, stream: boolean): Attributes {
  const config = obj(params.config) ?? {};
  const candidates = num(config.candidateCount);
  return defined({
    [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: num(config.maxOutputTokens),
    [ATTR_GEN_AI_REQUEST_TEMPERATURE]: num(config.temperature),
    [ATTR_GEN_AI_REQUEST_TOP_P]: num(config.topP),
    [ATTR_GEN_AI_REQUEST_TOP_K]: num(config.topK),
    [ATTR_GEN_AI_REQUEST_STOP_SEQUENCES]: stringList(config.stopSequences),
    [ATTR_GEN_AI_REQUEST_SEED]: num(config.seed),
    [ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY]: num(config.frequencyPenalty),
    [ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY]: num(config.presencePenalty),
    [ATTR_GEN_AI_REQUEST_CHOICE_COUNT]: candidates !== undefined && candidates !== 1 ? candidates : undefined,
    [ATTR_GEN_AI_REQUEST_STREAM]: stream ? true : undefined,
    [ATTR_GEN_AI_OUTPUT_TYPE]: outputType(config),
  });
}

function geminiParts(parts: unknown): MessagePart[] {
  return (Array.isArray(parts) ? (parts as Obj[]) : []).map((part): MessagePart => {
    if (typeof part.text === 'string')
      return part.thought ? { type: 'reasoning', content: part.text } : { type: 'text', content: part.text };
    const call = obj(part.functionCall);
    if (call) return { type: 'tool_call', id: str(call.id), name: String(call.name), arguments: call.args };
    const response = obj(part.functionResponse);
    if (response) return { type: 'tool_call_response', id: str(response.id), response: response.response };
    return { type: Object.keys(part)[0] ?? 'unknown' };
  });
}

function input(params: Obj) {
  const contents = params.contents;
  const list = Array.isArray(contents) ? contents : [contents];
  const inputMessages: ChatMessage[] = list.map((content) => {
    if (typeof content === 'string') return { role: 'user', parts: partsFromContent(content) };
    const item = obj(content) ?? {};
    if (!Array.isArray(item.parts)) return { role: 'user', parts: geminiParts([item]) };
    return {
      role: str(item.role) === 'model' ? 'assistant' : (str(item.role) ?? 'user'),
      parts: geminiParts(item.parts),
    };
  });
  const system = obj(params.config)?.systemInstruction;
  const systemInstructions =
    typeof system === 'string'
      ? partsFromContent(system)
      : geminiParts(obj(system)?.parts ?? (system ? [system] : []));
  return { inputMessages, systemInstructions };
}

function responseResult(data: unknown): OperationResponse {
  const response = obj(data) ?? {};
  const candidates = Array.isArray(response.candidates) ? (response.candidates as Obj[]) : [];
  const toolCalls: ToolCall[] = [];
  const outputMessages = candidates.map((candidate): ChatMessage => {
    const parts = geminiParts(obj(candidate.content)?.parts);
    for (const part of parts) {
      if (part.type === 'tool_call') {
        const call = part as { id?: string; name: string; arguments?: unknown };
        toolCalls.push({ id: call.id, name: call.name, arguments: call.arguments });
      }
    }
    return { role: 'assistant', parts, finish_reason: str(candidate.finishReason) };
  });
  return {
    id: str(response.responseId),
    model: str(response.modelVersion),
    finishReasons: candidates.map((candidate) => str(candidate.finishReason)).filter((r): r is string => !!r),
    usage: geminiUsage(response.usageMetadata),
    toolCalls,
    outputMessages,
  };
}

/** Chunks carry deltas; the last chunk carries the finish reason and the usage totals. */
function streamAccumulator(operation: Operation) {
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  let last: OperationResponse = {};
  return {
    add(chunk: unknown) {
      const result = responseResult(chunk);
      const parts = result.outputMessages?.[0]?.parts ?? [];
      if (result.model) operation.update({ model: result.model });
      if (parts.length) operation.chunk();
      for (const part of parts)
        if (part.type === 'text') texts.push(String((part as { content: string }).content));
      toolCalls.push(...(result.toolCalls ?? []));
      last = {
        id: result.id ?? last.id,
        model: result.model ?? last.model,
        finishReasons: result.finishReasons?.length ? result.finishReasons : last.finishReasons,
        usage: result.usage ?? last.usage,
      };
    },
    result(): OperationResponse {
      const parts: MessagePart[] = [
        ...(texts.length ? [{ type: 'text', content: texts.join('') }] : []),
        ...toolCalls.map((call) => ({ type: 'tool_call', ...call })),
      ];
      return {
        ...last,
        toolCalls,
        outputMessages: [{ role: 'assistant', parts, finish_reason: last.finishReasons?.[0] }],
      };
    },
  };
}

function run(operation: Operation, call: () => unknown, onData: (data: unknown) => unknown): unknown {
  const promise = call() as Promise<unknown>;
  if (!(promise instanceof Promise)) {
    operation.end();
    return promise;
  }
  return promise.then(
    (data) => safely(() => onData(data)) ?? data,
    (error: unknown) => {
      operation.fail(error);
      operation.end();
      throw error;
    },
  );
}

export function patchGenerateContent(start: StartOperation, stream: boolean) {
  return (original: (...args: unknown[]) => unknown) =>
    function generateContent(this: unknown, ...args: unknown[]) {
      const params = obj(args[0]);
      if (!params) return original.apply(this, args);
      const operation = start({
        operation: 'generate_content',
        model: modelName(params.model),
        ...endpoint(this),
        attributes: requestAttributes(params, stream),
        content: () => input(params),
      });
      if (!operation) return original.apply(this, args);
      return run(
        operation,
        () => operation.run(() => original.apply(this, args)),
        (data) => {
          if (!stream) {
            operation.update(responseResult(data));
            operation.end();
            return data;
          }
          const iterator = obj(data);
          if (!iterator || typeof iterator.next !== 'function') {
            operation.end();
            return data;
          }
          const accumulator = streamAccumulator(operation);
          return observeIterator(iterator as unknown as AsyncIterator<unknown>, operation, {
            onChunk: (chunk) => {
              accumulator.add(chunk);
              return true;
            },
            onEnd: () => operation.update(accumulator.result()),
          });
        },
      );
    };
}

export function patchEmbedContent(start: StartOperation) {
  return (original: (...args: unknown[]) => unknown) =>
    function embedContent(this: unknown, ...args: unknown[]) {
      const params = obj(args[0]);
      if (!params) return original.apply(this, args);
      const operation = start({
        operation: 'embeddings',
        model: modelName(params.model),
        ...endpoint(this),
        attributes: defined({
          [ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT]: num(obj(params.config)?.outputDimensionality),
        }),
      });
      if (!operation) return original.apply(this, args);
      return run(
        operation,
        () => operation.run(() => original.apply(this, args)),
        (data) => {
          // The Gemini API reports no token counts for embeddings; Vertex AI reports them per input.
          const embeddings = obj(data)?.embeddings;
          let tokens: number | undefined;
          if (Array.isArray(embeddings)) {
            for (const embedding of embeddings as Obj[]) {
              const count = num(obj(obj(embedding)?.statistics)?.tokenCount);
              if (count !== undefined) tokens = (tokens ?? 0) + count;
            }
          }
          operation.update({ usage: tokens === undefined ? undefined : { inputTokens: tokens } });
          operation.end();
          return data;
        },
      );
    };
}
