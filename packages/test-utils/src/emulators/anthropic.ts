// SPDX-License-Identifier: Apache-2.0
// An Anthropic Messages API emulator: JSON replies and the SSE event sequence message_start,
// content_block_start/delta/stop, message_delta (final output usage) and message_stop.
import {
  DEFAULT_TEXT,
  type EmulatedUsage,
  type ProviderEmulator,
  type Reply,
  resolveUsage,
  type SseEvent,
  sendJson,
  sendSse,
  startEmulator,
  words,
} from './server.js';

function anthropicError({ res, script }: Reply): boolean {
  if (!script.status) return false;
  const status = script.status;
  const type =
    status === 429
      ? 'rate_limit_error'
      : status === 529
        ? 'overloaded_error'
        : status >= 500
          ? 'api_error'
          : 'invalid_request_error';
  sendJson(
    res,
    status,
    { type: 'error', error: { type, message: script.errorMessage ?? `emulated ${status}` } },
    status === 429 ? { 'retry-after-ms': '10' } : {},
  );
  return true;
}

// Anthropic's input_tokens excludes cached tokens; the neutral `input` includes them.
function anthropicUsage(usage: EmulatedUsage, outputTokens = usage.output) {
  return {
    input_tokens: usage.input - usage.cacheRead - usage.cacheCreation,
    cache_creation_input_tokens: usage.cacheCreation,
    cache_read_input_tokens: usage.cacheRead,
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

let sequence = 0;

async function messages({ req, res, script }: Reply): Promise<boolean> {
  if (req.method !== 'POST' || !req.path.endsWith('/v1/messages')) return false;
  const model = script.model ?? req.body?.model ?? 'unknown';
  const toolCalls = script.toolCalls ?? [];
  const text = script.text ?? (toolCalls.length ? undefined : DEFAULT_TEXT);
  const usage = resolveUsage(script);
  const id = `msg_emu_${++sequence}`;
  const stopReason = toolCalls.length ? 'tool_use' : 'end_turn';
  const toolBlocks = toolCalls.map((call, index) => ({
    type: 'tool_use',
    id: call.id ?? `toolu_emu_${index + 1}`,
    name: call.name,
    input: call.arguments,
  }));
  const content = [...(text ? [{ type: 'text', text }] : []), ...toolBlocks];
  if (!req.body?.stream) {
    sendJson(res, 200, {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content,
      stop_reason: stopReason,
      stop_sequence: null,
      ...(usage ? { usage: anthropicUsage(usage) } : {}),
    });
    return true;
  }
  const event = (type: string, payload: object): SseEvent => ({
    event: type,
    data: JSON.stringify({ type, ...payload }),
  });
  const events: SseEvent[] = [
    event('message_start', {
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        ...(usage ? { usage: anthropicUsage(usage, 1) } : {}),
      },
    }),
    event('ping', {}),
  ];
  let index = 0;
  if (text) {
    events.push(event('content_block_start', { index, content_block: { type: 'text', text: '' } }));
    for (const piece of words(text)) {
      events.push(event('content_block_delta', { index, delta: { type: 'text_delta', text: piece } }));
    }
    events.push(event('content_block_stop', { index }));
    index++;
  }
  for (const block of toolBlocks) {
    events.push(
      event('content_block_start', { index, content_block: { ...block, input: {} } }),
      event('content_block_delta', {
        index,
        delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) },
      }),
      event('content_block_stop', { index }),
    );
    index++;
  }
  events.push(
    event('message_delta', {
      delta: { stop_reason: stopReason, stop_sequence: null },
      ...(usage ? { usage: { output_tokens: usage.output } } : {}),
    }),
    event('message_stop', {}),
  );
  await sendSse(res, events, script.chunkDelayMs);
  return true;
}

/** Starts the emulator; give `url` to `new Anthropic({ baseURL })`. */
export function startAnthropicEmulator(): Promise<ProviderEmulator> {
  return startEmulator([anthropicError, messages]);
}
