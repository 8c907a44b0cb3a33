// SPDX-License-Identifier: Apache-2.0
// Anthropic: `messages.create` (streamed or not) and the `messages.stream()` helper, which calls
// `create` with `stream: true`. Anthropic's input_tokens excludes cached tokens; semconv's includes them.
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_REQUEST_TOP_K,
  ATTR_GEN_AI_REQUEST_TOP_P,
  PROVIDER_ANTHROPIC,
} from '../attributes.js';
import { type ChatMessage, partsFromContent } from '../content.js';
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

function anthropicUsage(usage: unknown): TokenUsage | undefined {
  const u = obj(usage);
  if (!u) return undefined;
  const uncached = num(u.input_tokens);
  const cacheRead = num(u.cache_read_input_tokens);
  const cacheCreation = num(u.cache_creation_input_tokens);
  const input =
    uncached === undefined && cacheRead === undefined && cacheCreation === undefined
      ? undefined
      : (uncached ?? 0) + (cacheRead ?? 0) + (cacheCreation ?? 0);
  return {
    inputTokens: input,
    outputTokens: num(u.output_tokens),
    cacheReadTokens: cacheRead,
    cacheCreationTokens: cacheCreation,
    reasoningTokens: num(obj(u.output_tokens_details)?.thinking_tokens),
  };
}

function requestAttributes(body: Obj): Attributes {
  return defined({
    [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: num(body.max_tokens),
    [ATTR_GEN_AI_REQUEST_TEMPERATURE]: num(body.temperature),
    [ATTR_GEN_AI_REQUEST_TOP_P]: num(body.top_p),
    [ATTR_GEN_AI_REQUEST_TOP_K]: num(body.top_k),
    [ATTR_GEN_AI_REQUEST_STOP_SEQUENCES]: stringList(body.stop_sequences),
    [ATTR_GEN_AI_REQUEST_STREAM]: body.stream === true ? true : undefined,
  });
}

function input(body: Obj) {
  const messages = Array.isArray(body.messages) ? (body.messages as Obj[]) : [];
  return {
    inputMessages: messages.map((message) => ({
      role: String(message.role ?? 'user'),
      parts: partsFromContent(message.content),
    })),
    systemInstructions: partsFromContent(body.system),
  };
}

function messageResult(data: unknown): OperationResponse {
  const message = obj(data) ?? {};
  const content = Array.isArray(message.content) ? (message.content as Obj[]) : [];
  const toolCalls: ToolCall[] = content
    .filter((block) => block.type === 'tool_use')
    .map((block) => ({ id: str(block.id), name: String(block.name), arguments: block.input }));
  const stopReason = str(message.stop_reason);
  const output: ChatMessage = {
    role: 'assistant',
    parts: partsFromContent(content),
    finish_reason: stopReason,
  };
  return {
    id: str(message.id),
    model: str(message.model),
    finishReasons: stopReason ? [stopReason] : undefined,
    usage: anthropicUsage(message.usage),
    toolCalls,
    outputMessages: [output],
  };
}

/** Rebuilds the message from stream events, as the SDK's MessageStream does, for the span. */
function streamAccumulator(operation: Operation) {
  let message: Obj = {};
  const blocks: Obj[] = [];
  const partialJson = new Map<number, string>();
  let usage: Obj = {};
  return {
    add(event: Obj) {
      switch (event.type) {
        case 'message_start': {
          message = { ...obj(event.message) };
          usage = { ...obj(message.usage) };
          operation.update({ model: str(message.model) });
          break;
        }
        case 'content_block_start': {
          blocks[num(event.index) ?? blocks.length] = { ...obj(event.content_block) };
          break;
        }
        case 'content_block_delta': {
          operation.chunk();
          const index = num(event.index) ?? 0;
          const block = blocks[index] ?? {};
          const delta = obj(event.delta) ?? {};
          if (delta.type === 'text_delta') block.text = `${str(block.text) ?? ''}${str(delta.text) ?? ''}`;
          else if (delta.type === 'thinking_delta')
            block.thinking = `${str(block.thinking) ?? ''}${str(delta.thinking) ?? ''}`;
          else if (delta.type === 'input_json_delta')
            partialJson.set(index, (partialJson.get(index) ?? '') + (str(delta.partial_json) ?? ''));
          blocks[index] = block;
          break;
        }
        case 'message_delta': {
          // Cumulative counts: the final output_tokens, and input/cache counts when a gateway sends them here.
          for (const [key, value] of Object.entries(obj(event.usage) ?? {}))
            if (value !== null) usage[key] = value;
          const delta = obj(event.delta);
          if (str(delta?.stop_reason)) message.stop_reason = delta?.stop_reason;
          break;
        }
      }
    },
    result(): OperationResponse {
      for (const [index, json] of partialJson) {
        const block = blocks[index];
        if (!block) continue;
        try {
          block.input = JSON.parse(json);
        } catch {
          block.input = json;
        }
      }
      const hasUsage = Object.keys(usage).length > 0;
      return messageResult({
        ...message,
        content: blocks.filter(Boolean),
        usage: hasUsage ? usage : undefined,
      });
    },
  };
}

/**
 * Anthropic's SDK (1.x) starts its own `anthropic.messages.create` span when a tracer provider is
 * registered. Ours replaces it for the calls we instrument (two spans would count the tokens twice in
 * Sentry), so the SDK's tracer is unset for the synchronous part of the call, where the SDK reads it.
 */
function withoutSdkTracing<T>(resource: unknown, call: () => T): T {
  const client = obj(obj(resource)?._client);
  if (!client || client._tracer === undefined) return call();
  const saved = client._tracer;
  client._tracer = undefined;
  try {
    return call();
  } finally {
    client._tracer = saved;
  }
}

export function patchMessagesCreate(start: StartOperation) {
  return (original: (...args: unknown[]) => unknown) =>
    function create(this: unknown, ...args: unknown[]) {
      const body = obj(args[0]);
      if (!body) return original.apply(this, args);
      const stream = body.stream === true;
      const operation = start({
        provider: PROVIDER_ANTHROPIC,
        operation: 'chat',
        model: str(body.model),
        ...serverFromUrl(obj(obj(this)?._client)?.baseURL),
        attributes: requestAttributes(body),
        content: () => input(body),
      });
      if (!operation) return original.apply(this, args);
      // The stream helper hands create() the SDK span it started; without SDK tracing it must not.
      const options = obj(args[1]);
      const callArgs = options?.__span
        ? [args[0], { ...options, __span: undefined }, ...args.slice(2)]
        : args;
      return observeApiCall(
        operation,
        () => withoutSdkTracing(this, () => original.apply(this, callArgs)),
        (data) => {
          if (!stream) {
            operation.update(messageResult(data));
            operation.end();
            return;
          }
          const accumulator = streamAccumulator(operation);
          observeSdkStream(
            data,
            operation,
            (event) => {
              accumulator.add(event);
              return true;
            },
            () => operation.update(accumulator.result()),
          );
        },
      );
    };
}

/** `messages.stream()` starts the SDK's own span synchronously; keep it from doing so. */
export function patchMessagesStream() {
  return (original: (...args: unknown[]) => unknown) =>
    function stream(this: unknown, ...args: unknown[]) {
      return withoutSdkTracing(this, () => original.apply(this, args));
    };
}
