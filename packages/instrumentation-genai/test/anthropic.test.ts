// SPDX-License-Identifier: Apache-2.0
// The real `@anthropic-ai/sdk` client against the local Anthropic emulator.
import { type ProviderEmulator, startAnthropicEmulator } from '@otel-preset/test-utils';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { drainMetrics, requireSdk, reset, setUpInstrumentation, spans, usd } from './setup.js';

setUpInstrumentation();
const { Anthropic } = requireSdk('@anthropic-ai/sdk') as typeof import('@anthropic-ai/sdk');

let emulator: ProviderEmulator;
let client: InstanceType<typeof Anthropic>;
const MODEL = 'claude-haiku-4-5';
const params = { model: MODEL, max_tokens: 64, messages: [{ role: 'user' as const, content: 'hi' }] };

beforeAll(async () => {
  emulator = await startAnthropicEmulator();
  client = new Anthropic({ apiKey: 'test-key', baseURL: emulator.url, maxRetries: 0 });
});
afterAll(() => emulator.close());
beforeEach(async () => {
  emulator.reset();
  await reset();
});

const common = () => ({
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'anthropic',
  'gen_ai.request.model': MODEL,
  'server.address': '127.0.0.1',
  'server.port': emulator.port,
});

// 1000 input tokens of which 600 read from cache and 200 written to it; Anthropic reports 200 uncached.
const CACHED = { input: 1000, cacheRead: 600, cacheCreation: 200, output: 50 };
const CACHED_COST = {
  input: usd(200, 1),
  cache_read: usd(600, 0.1),
  cache_creation: usd(200, 1.25),
  output: usd(50, 5),
};

describe('messages.create', () => {
  it('normalises input tokens to include the cache, prices each part, and keeps one span', async () => {
    emulator.enqueue({ usage: CACHED });
    // This SDK version no longer types temperature; older apps still send it.
    const message = await client.messages.create({ ...params, temperature: 0.5, top_k: 40 } as typeof params);
    expect(emulator.requests[0]?.body).not.toHaveProperty('stream_options');

    // The SDK's own `anthropic.messages.create` span is replaced by ours, not added to it.
    expect(spans().map((span) => span.name)).toEqual([`chat ${MODEL}`]);
    expect(spans()[0]?.attributes).toEqual({
      ...common(),
      'sentry.op': 'gen_ai.chat',
      'gen_ai.request.max_tokens': 64,
      'gen_ai.request.temperature': 0.5,
      'gen_ai.request.top_k': 40,
      'gen_ai.response.id': message.id,
      'gen_ai.response.model': MODEL,
      'gen_ai.response.finish_reasons': ['end_turn'],
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 50,
      'gen_ai.usage.cache_read.input_tokens': 600,
      'gen_ai.usage.input_tokens.cached': 600,
      'gen_ai.usage.cache_creation.input_tokens': 200,
      'gen_ai.usage.cache_write.input_tokens': 200,
      'gen_ai.usage.input_tokens.cache_write': 200,
      'gen_ai.usage.total_tokens': 1050,
      'gen_ai.usage.cost.amount': expect.closeTo(
        CACHED_COST.input + CACHED_COST.cache_read + CACHED_COST.cache_creation + CACHED_COST.output,
        15,
      ),
      'gen_ai.usage.cost.currency': 'USD',
      'gen_ai.usage.cost.source': 'local',
    });

    const metrics = await drainMetrics();
    const labels = { ...common(), 'gen_ai.response.model': MODEL };
    expect(metrics['gen_ai.client.token.usage']).toEqual([
      { attributes: { ...labels, 'gen_ai.token.type': 'input' }, value: 1000, count: 1 },
      { attributes: { ...labels, 'gen_ai.token.type': 'output' }, value: 50, count: 1 },
    ]);
    const costLabels = {
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': MODEL,
      'gen_ai.response.model': MODEL,
    };
    expect(metrics['gen_ai.client.cost']).toEqual(
      Object.entries(CACHED_COST).map(([type, value]) => ({
        attributes: { ...costLabels, 'gen_ai.token.type': type },
        value,
        count: 1,
      })),
    );
  });

  it('records a 429 as RateLimitError and a 500 as InternalServerError', async () => {
    emulator.enqueue({ status: 429 }, { status: 500 });
    await expect(client.messages.create(params)).rejects.toThrow();
    await expect(client.messages.create(params)).rejects.toThrow();
    expect(spans().map((span) => span.attributes['error.type'])).toEqual([
      'RateLimitError',
      'InternalServerError',
    ]);
    const metrics = await drainMetrics();
    expect(
      metrics['gen_ai.client.operation.duration']?.map((point) => point.attributes['error.type']),
    ).toEqual(['RateLimitError', 'InternalServerError']);
  });

  it('records tool use', async () => {
    emulator.enqueue({ toolCalls: [{ id: 'toolu_1', name: 'search', arguments: { q: 'otel' } }] });
    await client.messages.create(params);
    const attributes = spans()[0]?.attributes ?? {};
    expect(attributes['gen_ai.response.finish_reasons']).toEqual(['tool_use']);
    expect(JSON.parse(String(attributes['gen_ai.response.tool_calls']))).toEqual([
      { type: 'function', id: 'toolu_1', name: 'search' },
    ]);
  });

  it('counts an unpriced model', async () => {
    await client.messages.create({ ...params, model: 'claude-mythos-5' });
    const metrics = await drainMetrics();
    expect(metrics['gen_ai.client.cost']).toBeUndefined();
    expect(metrics['gen_ai.client.cost.unpriced']?.[0]).toEqual({
      attributes: {
        'gen_ai.provider.name': 'anthropic',
        'gen_ai.request.model': 'claude-mythos-5',
        'gen_ai.response.model': 'claude-mythos-5',
      },
      value: 1,
      count: 1,
    });
  });
});

describe('streaming', () => {
  it('records usage from message_start and message_delta on a stream: true call', async () => {
    emulator.enqueue({ usage: CACHED });
    const stream = await client.messages.create({ ...params, stream: true });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');

    expect(spans()).toHaveLength(1);
    expect(spans()[0]?.attributes).toMatchObject({
      ...common(),
      'gen_ai.request.stream': true,
      'gen_ai.response.finish_reasons': ['end_turn'],
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.cache_read.input_tokens': 600,
      'gen_ai.usage.output_tokens': 50,
    });
    const metrics = await drainMetrics();
    expect(metrics['gen_ai.client.operation.time_to_first_chunk']).toHaveLength(1);
    expect(metrics['gen_ai.client.operation.time_per_output_chunk']?.[0]?.count).toBe(3);
  });

  it('covers the messages.stream() helper: events and finalMessage() still work, one span', async () => {
    emulator.enqueue({ toolCalls: [{ id: 'toolu_2', name: 'search', arguments: { q: 'x' } }] });
    const stream = client.messages.stream(params);
    let text = '';
    stream.on('text', (delta) => {
      text += delta;
    });
    const final = await stream.finalMessage();
    expect(text).toBe('');
    expect(final.content[0]).toMatchObject({ type: 'tool_use', name: 'search', input: { q: 'x' } });
    expect(spans().map((span) => span.name)).toEqual([`chat ${MODEL}`]);
    expect(spans()[0]?.attributes).toMatchObject({
      'gen_ai.response.finish_reasons': ['tool_use'],
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 8,
    });
  });

  it('ends the span when the caller abandons the stream half-way', async () => {
    emulator.enqueue({ text: 'a b c d e f g h i j', chunkDelayMs: 20 });
    const stream = await client.messages.create({ ...params, stream: true });
    let deltas = 0;
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && ++deltas === 2) break;
    }
    expect(spans()).toHaveLength(1);
    expect(spans()[0]?.attributes['error.type']).toBeUndefined();
    // message_start already reported the input side.
    expect(spans()[0]?.attributes['gen_ai.usage.input_tokens']).toBe(12);
  });
});
