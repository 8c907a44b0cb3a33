// SPDX-License-Identifier: Apache-2.0
// An OpenAI API emulator speaking the real wire formats: Chat Completions (JSON and SSE `data:` chunks
// ending `[DONE]`, usage chunk only when `stream_options.include_usage`), the Responses API (JSON and
// typed SSE events) and embeddings (float or base64, as the SDK asks).
import {
  DEFAULT_TEXT,
  type EmulatedToolCall,
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

const CREATED = 1_767_225_600;

function openAIError({ res, script }: Reply): boolean {
  if (!script.status) return false;
  const status = script.status;
  const type =
    status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error';
  sendJson(
    res,
    status,
    { error: { message: script.errorMessage ?? `emulated ${status}`, type, param: null, code: type } },
    // Lets a test that does enable SDK retries keep them fast.
    status === 429 ? { 'retry-after-ms': '10' } : {},
  );
  return true;
}

const toolCallId = (call: EmulatedToolCall, index: number) => call.id ?? `call_emu_${index + 1}`;

function chatUsage(usage: EmulatedUsage) {
  return {
    prompt_tokens: usage.input,
    completion_tokens: usage.output,
    total_tokens: usage.input + usage.output,
    prompt_tokens_details: { cached_tokens: usage.cacheRead, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: usage.reasoning, audio_tokens: 0 },
  };
}

let sequence = 0;
const nextId = (prefix: string) => `${prefix}${++sequence}`;

async function chatCompletions({ req, res, script }: Reply): Promise<boolean> {
  if (req.method !== 'POST' || !req.path.endsWith('/chat/completions')) return false;
  const model = script.model ?? req.body?.model ?? 'unknown';
  const text = script.text ?? (script.toolCalls?.length ? null : DEFAULT_TEXT);
  const toolCalls = script.toolCalls ?? [];
  const finishReason = toolCalls.length ? 'tool_calls' : 'stop';
  const usage = resolveUsage(script);
  const id = nextId('chatcmpl-emu-');
  const base = { id, created: CREATED, model, system_fingerprint: 'fp_emulator', service_tier: 'default' };
  if (!req.body?.stream) {
    sendJson(res, 200, {
      ...base,
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: text,
            refusal: null,
            ...(toolCalls.length
              ? {
                  tool_calls: toolCalls.map((call, index) => ({
                    id: toolCallId(call, index),
                    type: 'function',
                    function: { name: call.name, arguments: JSON.stringify(call.arguments) },
                  })),
                }
              : {}),
          },
          logprobs: null,
          finish_reason: finishReason,
        },
      ],
      ...(usage ? { usage: chatUsage(usage) } : {}),
    });
    return true;
  }
  const chunk = (delta: object, finish: string | null = null) => ({
    data: JSON.stringify({
      ...base,
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      // With include_usage, every chunk but the last carries `usage: null`.
      ...(req.body?.stream_options?.include_usage ? { usage: null } : {}),
    }),
  });
  const events: SseEvent[] = [chunk({ role: 'assistant', content: '', refusal: null })];
  for (const piece of text ? words(text) : []) events.push(chunk({ content: piece }));
  toolCalls.forEach((call, index) => {
    events.push(
      chunk({
        tool_calls: [
          {
            index,
            id: toolCallId(call, index),
            type: 'function',
            function: { name: call.name, arguments: '' },
          },
        ],
      }),
    );
    events.push(chunk({ tool_calls: [{ index, function: { arguments: JSON.stringify(call.arguments) } }] }));
  });
  events.push(chunk({}, finishReason));
  if (req.body?.stream_options?.include_usage && usage) {
    events.push({
      data: JSON.stringify({
        ...base,
        object: 'chat.completion.chunk',
        choices: [],
        usage: chatUsage(usage),
      }),
    });
  }
  events.push({ data: '[DONE]' });
  await sendSse(res, events, script.chunkDelayMs);
  return true;
}

function responseUsage(usage: EmulatedUsage) {
  return {
    input_tokens: usage.input,
    input_tokens_details: { cached_tokens: usage.cacheRead },
    output_tokens: usage.output,
    output_tokens_details: { reasoning_tokens: usage.reasoning },
    total_tokens: usage.input + usage.output,
  };
}

async function responses({ req, res, script }: Reply): Promise<boolean> {
  if (req.method !== 'POST' || !req.path.endsWith('/responses')) return false;
  const model = script.model ?? req.body?.model ?? 'unknown';
  const text = script.text ?? (script.toolCalls?.length ? undefined : DEFAULT_TEXT);
  const usage = resolveUsage(script);
  const id = nextId('resp_emu_');
  const messageItem = text
    ? {
        type: 'message',
        id: `msg_${id}`,
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
      }
    : undefined;
  const toolItems = (script.toolCalls ?? []).map((call, index) => ({
    type: 'function_call',
    id: `fc_${id}_${index}`,
    call_id: toolCallId(call, index),
    name: call.name,
    arguments: JSON.stringify(call.arguments),
    status: 'completed',
  }));
  const response = (status: string, output: object[], withUsage: boolean) => ({
    id,
    object: 'response',
    created_at: CREATED,
    status,
    model,
    output,
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: [],
    temperature: req.body?.temperature ?? 1,
    top_p: req.body?.top_p ?? 1,
    max_output_tokens: req.body?.max_output_tokens ?? null,
    incomplete_details: null,
    error: null,
    instructions: req.body?.instructions ?? null,
    metadata: {},
    usage: withUsage && usage ? responseUsage(usage) : null,
  });
  const output = [...(messageItem ? [messageItem] : []), ...toolItems];
  if (!req.body?.stream) {
    sendJson(res, 200, response('completed', output, true));
    return true;
  }
  let sequenceNumber = 0;
  const event = (type: string, payload: object): SseEvent => ({
    event: type,
    data: JSON.stringify({ type, sequence_number: sequenceNumber++, ...payload }),
  });
  const events: SseEvent[] = [
    event('response.created', { response: response('in_progress', [], false) }),
    event('response.in_progress', { response: response('in_progress', [], false) }),
  ];
  if (messageItem && text) {
    const itemId = messageItem.id;
    events.push(
      event('response.output_item.added', {
        output_index: 0,
        item: { ...messageItem, status: 'in_progress', content: [] },
      }),
      event('response.content_part.added', {
        item_id: itemId,
        output_index: 0,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
      }),
    );
    for (const piece of words(text)) {
      events.push(
        event('response.output_text.delta', {
          item_id: itemId,
          output_index: 0,
          content_index: 0,
          delta: piece,
          logprobs: [],
        }),
      );
    }
    events.push(
      event('response.output_text.done', {
        item_id: itemId,
        output_index: 0,
        content_index: 0,
        text,
        logprobs: [],
      }),
      event('response.content_part.done', {
        item_id: itemId,
        output_index: 0,
        content_index: 0,
        part: messageItem.content[0],
      }),
      event('response.output_item.done', { output_index: 0, item: messageItem }),
    );
  }
  const offset = messageItem ? 1 : 0;
  toolItems.forEach((item, index) => {
    events.push(
      event('response.output_item.added', { output_index: offset + index, item: { ...item, arguments: '' } }),
      event('response.function_call_arguments.delta', {
        item_id: item.id,
        output_index: offset + index,
        delta: item.arguments,
      }),
      event('response.function_call_arguments.done', {
        item_id: item.id,
        output_index: offset + index,
        arguments: item.arguments,
      }),
      event('response.output_item.done', { output_index: offset + index, item }),
    );
  });
  events.push(event('response.completed', { response: response('completed', output, true) }));
  await sendSse(res, events, script.chunkDelayMs);
  return true;
}

/** A deterministic vector per input, so tests can compare what the caller decoded. */
export function emulatedEmbedding(index: number, dimensions = 4): number[] {
  return Array.from({ length: dimensions }, (_, i) => (index + 1) / 10 + i / 100);
}

function embeddings({ req, res, script }: Reply): boolean {
  if (req.method !== 'POST' || !req.path.endsWith('/embeddings')) return false;
  const inputs: unknown[] = Array.isArray(req.body?.input) ? req.body.input : [req.body?.input];
  const usage = resolveUsage(script);
  const base64 = req.body?.encoding_format === 'base64';
  sendJson(res, 200, {
    object: 'list',
    model: script.model ?? req.body?.model ?? 'unknown',
    data: inputs.map((_, index) => {
      const vector = emulatedEmbedding(index, req.body?.dimensions ?? 4);
      return {
        object: 'embedding',
        index,
        embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector,
      };
    }),
    ...(usage ? { usage: { prompt_tokens: usage.input, total_tokens: usage.input } } : {}),
  });
  return true;
}

/** Starts the emulator; give `url` (which ends in `/v1`) to `new OpenAI({ baseURL })`. */
export function startOpenAIEmulator(): Promise<ProviderEmulator> {
  return startEmulator([openAIError, chatCompletions, responses, embeddings], '/v1');
}
