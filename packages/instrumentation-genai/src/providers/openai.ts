// SPDX-License-Identifier: Apache-2.0
// OpenAI: Chat Completions, the Responses API and embeddings, streamed or not. The SDK's helpers
// (`chat.completions.stream()`, `responses.stream()`, `parse()`, `runTools()`) call these same
// `create` methods, so they are covered too.
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
  ATTR_GEN_AI_OUTPUT_TYPE,
  ATTR_GEN_AI_REQUEST_CHOICE_COUNT,
  ATTR_GEN_AI_REQUEST_ENCODING_FORMATS,
  ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY,
  ATTR_GEN_AI_REQUEST_SEED,
  ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_REQUEST_TOP_P,
  ATTR_OPENAI_REQUEST_SERVICE_TIER,
  ATTR_OPENAI_RESPONSE_SERVICE_TIER,
  ATTR_OPENAI_RESPONSE_SYSTEM_FINGERPRINT,
  PROVIDER_OPENAI,
} from '../attributes.js';
import { type ChatMessage, type MessagePart, parseArguments, partsFromContent } from '../content.js';
import { type Operation, type OperationResponse, serverFromUrl, type ToolCall } from '../operation.js';
import type { TokenUsage } from '../usage-types.js';
import {
  defined,
  num,
  type Obj,
  obj,
  observeApiCall,
  observeSdkStream,
  type StartOperation,
  str,
  stringList,
} from './common.js';

export interface OpenAIOptions {
  /** Ask for usage on streamed chat completions (`stream_options.include_usage`); default true. */
  injectStreamUsage: () => boolean;
}

function outputType(format: unknown): string | undefined {
  const type = str(obj(format)?.type);
  if (!type) return undefined;
  return type === 'text' ? 'text' : type.startsWith('json') ? 'json' : undefined;
}

function server(resource: unknown) {
  return serverFromUrl(obj(obj(resource)?._client)?.baseURL);
}

function chatUsage(usage: unknown): TokenUsage | undefined {
  const u = obj(usage);
  if (!u) return undefined;
  const prompt = obj(u.prompt_tokens_details);
  return {
    // prompt_tokens already includes the cached tokens.
    inputTokens: num(u.prompt_tokens),
    outputTokens: num(u.completion_tokens),
    cacheReadTokens: num(prompt?.cached_tokens),
    cacheCreationTokens: num(prompt?.cache_write_tokens),
    reasoningTokens: num(obj(u.completion_tokens_details)?.reasoning_tokens),
  };
}

function responsesUsage(usage: unknown): TokenUsage | undefined {
  const u = obj(usage);
  if (!u) return undefined;
  const input = obj(u.input_tokens_details);
  return {
    inputTokens: num(u.input_tokens),
    outputTokens: num(u.output_tokens),
    cacheReadTokens: num(input?.cached_tokens),
    cacheCreationTokens: num(input?.cache_write_tokens),
    reasoningTokens: num(obj(u.output_tokens_details)?.reasoning_tokens),
  };
}

function chatInput(body: Obj) {
  const messages = Array.isArray(body.messages) ? (body.messages as Obj[]) : [];
  const systemInstructions: MessagePart[] = [];
  const inputMessages: ChatMessage[] = [];
  for (const message of messages) {
    const role = String(message.role ?? 'user');
    if (role === 'system' || role === 'developer') {
      systemInstructions.push(...partsFromContent(message.content));
      continue;
    }
    const parts = partsFromContent(message.content);
    if (role === 'tool') {
      inputMessages.push({
        role,
        parts: [{ type: 'tool_call_response', id: str(message.tool_call_id), response: message.content }],
      });
      continue;
    }
    for (const call of Array.isArray(message.tool_calls) ? (message.tool_calls as Obj[]) : []) {
      const fn = obj(call.function);
      parts.push({
        type: 'tool_call',
        id: str(call.id),
        name: String(fn?.name),
        arguments: parseArguments(fn?.arguments),
      });
    }
    inputMessages.push({ role, parts });
  }
  return { inputMessages, systemInstructions };
}

function chatRequestAttributes(body: Obj): Attributes {
  const n = num(body.n);
  return defined({
    [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: num(body.max_completion_tokens) ?? num(body.max_tokens),
    [ATTR_GEN_AI_REQUEST_TEMPERATURE]: num(body.temperature),
    [ATTR_GEN_AI_REQUEST_TOP_P]: num(body.top_p),
    [ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY]: num(body.frequency_penalty),
    [ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY]: num(body.presence_penalty),
    [ATTR_GEN_AI_REQUEST_STOP_SEQUENCES]: stringList(body.stop),
    [ATTR_GEN_AI_REQUEST_SEED]: num(body.seed),
    [ATTR_GEN_AI_REQUEST_CHOICE_COUNT]: n !== undefined && n !== 1 ? n : undefined,
    [ATTR_GEN_AI_REQUEST_STREAM]: body.stream === true ? true : undefined,
    [ATTR_GEN_AI_OUTPUT_TYPE]: outputType(body.response_format),
    [ATTR_OPENAI_REQUEST_SERVICE_TIER]: str(body.service_tier),
  });
}

function chatResponseAttributes(data: Obj): Attributes {
  return defined({
    [ATTR_OPENAI_RESPONSE_SERVICE_TIER]: str(data.service_tier),
    [ATTR_OPENAI_RESPONSE_SYSTEM_FINGERPRINT]: str(data.system_fingerprint),
  });
}

function chatCompletion(data: unknown): OperationResponse {
  const completion = obj(data) ?? {};
  const choices = Array.isArray(completion.choices) ? (completion.choices as Obj[]) : [];
  const toolCalls: ToolCall[] = [];
  const outputMessages: ChatMessage[] = choices.map((choice) => {
    const message = obj(choice.message) ?? {};
    const parts = partsFromContent(message.content);
    for (const call of Array.isArray(message.tool_calls) ? (message.tool_calls as Obj[]) : []) {
      const fn = obj(call.function);
      const toolCall = { id: str(call.id), name: String(fn?.name), arguments: parseArguments(fn?.arguments) };
      toolCalls.push(toolCall);
      parts.push({ type: 'tool_call', ...toolCall });
    }
    return { role: 'assistant', parts, finish_reason: str(choice.finish_reason) };
  });
  return {
    id: str(completion.id),
    model: str(completion.model),
    finishReasons: choices.map((choice) => str(choice.finish_reason)).filter((r): r is string => !!r),
    usage: chatUsage(completion.usage),
    toolCalls,
    outputMessages,
    attributes: chatResponseAttributes(completion),
  };
}

/** Accumulates streamed chat chunks into the same response shape as a non-streamed completion. */
function chatStreamAccumulator(operation: Operation) {
  const texts = new Map<number, string>();
  const finish = new Map<number, string>();
  const calls = new Map<string, { id?: string; name: string; args: string }>();
  let last: Obj = {};
  let usage: TokenUsage | undefined;
  return {
    add(chunk: Obj) {
      last = chunk;
      // Known before the first output chunk, so the streaming metrics carry it too.
      if (str(chunk.model)) operation.update({ model: str(chunk.model) });
      if (chunk.usage) usage = chatUsage(chunk.usage);
      let output = false;
      for (const choice of Array.isArray(chunk.choices) ? (chunk.choices as Obj[]) : []) {
        const index = num(choice.index) ?? 0;
        const delta = obj(choice.delta) ?? {};
        if (typeof delta.content === 'string' && delta.content) {
          texts.set(index, (texts.get(index) ?? '') + delta.content);
          output = true;
        }
        if (typeof delta.refusal === 'string' && delta.refusal) output = true;
        for (const call of Array.isArray(delta.tool_calls) ? (delta.tool_calls as Obj[]) : []) {
          output = true;
          const key = `${index}:${num(call.index) ?? 0}`;
          const entry = calls.get(key) ?? { name: '', args: '' };
          const fn = obj(call.function);
          if (str(call.id)) entry.id = str(call.id);
          if (str(fn?.name)) entry.name += str(fn?.name);
          if (str(fn?.arguments)) entry.args += str(fn?.arguments);
          calls.set(key, entry);
        }
        if (str(choice.finish_reason)) finish.set(index, str(choice.finish_reason) as string);
      }
      if (output) operation.chunk();
    },
    result(): OperationResponse {
      const toolCalls = [...calls.values()].map((call) => ({
        id: call.id,
        name: call.name,
        arguments: parseArguments(call.args),
      }));
      const indexes = [...new Set([...texts.keys(), ...finish.keys()])].sort();
      return {
        id: str(last.id),
        model: str(last.model),
        finishReasons: indexes.map((index) => finish.get(index)).filter((r): r is string => !!r),
        usage,
        toolCalls,
        outputMessages: indexes.map((index) => ({
          role: 'assistant',
          parts: [
            ...partsFromContent(texts.get(index)),
            ...toolCalls.map((call) => ({ type: 'tool_call', ...call })),
          ],
          finish_reason: finish.get(index),
        })),
        attributes: chatResponseAttributes(last),
      };
    },
  };
}

export function patchChatCompletions(start: StartOperation, options: OpenAIOptions) {
  return (original: (...args: unknown[]) => unknown) =>
    function create(this: unknown, ...args: unknown[]) {
      const body = obj(args[0]);
      if (!body) return original.apply(this, args);
      const stream = body.stream === true;
      // Usage on streams only comes when asked for; asking adds one chunk the caller did not ask for,
      // which is dropped below, and `usage: null` on the others, which is removed.
      const streamOptions = obj(body.stream_options);
      const inject = stream && options.injectStreamUsage() && streamOptions?.include_usage === undefined;
      const operation = start({
        provider: PROVIDER_OPENAI,
        operation: 'chat',
        model: str(body.model),
        ...server(this),
        attributes: chatRequestAttributes(body),
        content: () => chatInput(body),
      });
      if (!operation) return original.apply(this, args);
      const callArgs = inject
        ? [{ ...body, stream_options: { ...streamOptions, include_usage: true } }, ...args.slice(1)]
        : args;
      return observeApiCall(
        operation,
        () => original.apply(this, callArgs),
        (data) => {
          if (!stream) {
            operation.update(chatCompletion(data));
            operation.end();
            return;
          }
          const accumulator = chatStreamAccumulator(operation);
          observeSdkStream(
            data,
            operation,
            (chunk) => {
              accumulator.add(chunk);
              if (!inject) return true;
              const choices = chunk.choices;
              if (Array.isArray(choices) && choices.length === 0 && chunk.usage) return false;
              if (chunk.usage === null) delete chunk.usage;
              return true;
            },
            () => operation.update(accumulator.result()),
          );
        },
      );
    };
}

function responsesInput(body: Obj) {
  const systemInstructions = partsFromContent(body.instructions);
  const input = body.input;
  if (typeof input === 'string')
    return { inputMessages: [{ role: 'user', parts: partsFromContent(input) }], systemInstructions };
  const inputMessages: ChatMessage[] = [];
  for (const item of Array.isArray(input) ? (input as Obj[]) : []) {
    if (item.type === 'function_call_output') {
      inputMessages.push({
        role: 'tool',
        parts: [{ type: 'tool_call_response', id: str(item.call_id), response: item.output }],
      });
    } else if (item.type === 'function_call') {
      inputMessages.push({
        role: 'assistant',
        parts: [
          {
            type: 'tool_call',
            id: str(item.call_id),
            name: String(item.name),
            arguments: parseArguments(item.arguments),
          },
        ],
      });
    } else {
      const role = String(item.role ?? 'user');
      if (role === 'system' || role === 'developer')
        systemInstructions.push(...partsFromContent(item.content));
      else inputMessages.push({ role, parts: partsFromContent(item.content) });
    }
  }
  return { inputMessages, systemInstructions };
}

function responseResult(data: unknown): OperationResponse {
  const response = obj(data) ?? {};
  const output = Array.isArray(response.output) ? (response.output as Obj[]) : [];
  const toolCalls: ToolCall[] = [];
  const parts: MessagePart[] = [];
  for (const item of output) {
    if (item.type === 'message') {
      for (const part of Array.isArray(item.content) ? (item.content as Obj[]) : []) {
        if (typeof part.text === 'string') parts.push({ type: 'text', content: part.text });
      }
    } else if (item.type === 'function_call') {
      const call = {
        id: str(item.call_id),
        name: String(item.name),
        arguments: parseArguments(item.arguments),
      };
      toolCalls.push(call);
      parts.push({ type: 'tool_call', ...call });
    }
  }
  const status = str(response.status);
  const incomplete = str(obj(response.incomplete_details)?.reason);
  const finishReason = toolCalls.length
    ? 'tool_calls'
    : status === 'completed'
      ? 'stop'
      : (incomplete ?? status);
  return {
    id: str(response.id),
    model: str(response.model),
    finishReasons: finishReason ? [finishReason] : undefined,
    usage: responsesUsage(response.usage),
    toolCalls,
    outputMessages: [{ role: 'assistant', parts, finish_reason: finishReason }],
    attributes: defined({ [ATTR_OPENAI_RESPONSE_SERVICE_TIER]: str(response.service_tier) }),
  };
}

const RESPONSE_DONE_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed']);

export function patchResponses(start: StartOperation) {
  return (original: (...args: unknown[]) => unknown) =>
    function create(this: unknown, ...args: unknown[]) {
      const body = obj(args[0]);
      if (!body) return original.apply(this, args);
      const stream = body.stream === true;
      const operation = start({
        provider: PROVIDER_OPENAI,
        operation: 'chat',
        model: str(body.model),
        ...server(this),
        attributes: defined({
          [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: num(body.max_output_tokens),
          [ATTR_GEN_AI_REQUEST_TEMPERATURE]: num(body.temperature),
          [ATTR_GEN_AI_REQUEST_TOP_P]: num(body.top_p),
          [ATTR_GEN_AI_REQUEST_STREAM]: stream ? true : undefined,
          [ATTR_GEN_AI_OUTPUT_TYPE]: outputType(obj(body.text)?.format),
          [ATTR_OPENAI_REQUEST_SERVICE_TIER]: str(body.service_tier),
        }),
        content: () => responsesInput(body),
      });
      if (!operation) return original.apply(this, args);
      return observeApiCall(
        operation,
        () => original.apply(this, args),
        (data) => {
          if (!stream) {
            operation.update(responseResult(data));
            operation.end();
            return;
          }
          observeSdkStream(
            data,
            operation,
            (event) => {
              const type = str(event.type) ?? '';
              if (type.endsWith('.delta')) operation.chunk();
              else if (type === 'response.created') {
                const response = obj(event.response);
                operation.update({ id: str(response?.id), model: str(response?.model) });
              } else if (RESPONSE_DONE_EVENTS.has(type)) operation.update(responseResult(event.response));
              return true;
            },
            () => {},
          );
        },
      );
    };
}

export function patchEmbeddings(start: StartOperation) {
  return (original: (...args: unknown[]) => unknown) =>
    function create(this: unknown, ...args: unknown[]) {
      const body = obj(args[0]);
      if (!body) return original.apply(this, args);
      const operation = start({
        provider: PROVIDER_OPENAI,
        operation: 'embeddings',
        model: str(body.model),
        ...server(this),
        attributes: defined({
          [ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT]: num(body.dimensions),
          [ATTR_GEN_AI_REQUEST_ENCODING_FORMATS]: stringList(body.encoding_format),
        }),
      });
      if (!operation) return original.apply(this, args);
      return observeApiCall(
        operation,
        () => original.apply(this, args),
        (data) => {
          const result = obj(data) ?? {};
          const usage = obj(result.usage);
          operation.update({
            model: str(result.model),
            usage: usage ? { inputTokens: num(usage.prompt_tokens) } : undefined,
          });
          operation.end();
        },
      );
    };
}
