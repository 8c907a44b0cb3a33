// SPDX-License-Identifier: Apache-2.0
// The real `openai` client against the local OpenAI emulator, patched through require().
import { type ProviderEmulator, startOpenAIEmulator } from '@otel-preset/test-utils';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { drainMetrics, requireSdk, reset, setUpInstrumentation, spans, usd } from './setup.js';

const instrumentation = setUpInstrumentation();
const { OpenAI } = requireSdk('openai') as typeof import('openai');

let emulator: ProviderEmulator;
let client: InstanceType<typeof OpenAI>;
const user = [{ role: 'user' as const, content: 'hi' }];

beforeAll(async () => {
  emulator = await startOpenAIEmulator();
  client = new OpenAI({ apiKey: 'test-key', baseURL: emulator.url, maxRetries: 0 });
});
afterAll(() => emulator.close());
beforeEach(async () => {
  instrumentation.enable();
  emulator.reset();
  await reset();
});

const common = () => ({
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o',
  'server.address': '127.0.0.1',
  'server.port': emulator.port,
});

describe('chat completions', () => {
  it('records a non-streamed call: span, tokens, duration and cost', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: user,
      max_tokens: 100,
      temperature: 0.2,
      top_p: 0.9,
      stop: ['END'],
      seed: 7,
    });
    expect(completion.choices[0]?.message.content).toBe('Hello from the emulator.');

    const [span] = spans();
    expect(spans()).toHaveLength(1);
    expect(span?.name).toBe('chat gpt-4o');
    expect(span?.kind).toBe(2); // CLIENT
    expect(span?.attributes).toEqual({
      ...common(),
      'sentry.op': 'gen_ai.chat',
      'gen_ai.request.max_tokens': 100,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.stop_sequences': ['END'],
      'gen_ai.request.seed': 7,
      'gen_ai.response.id': completion.id,
      'gen_ai.response.model': 'gpt-4o',
      'gen_ai.response.finish_reasons': ['stop'],
      'openai.response.service_tier': 'default',
      'openai.response.system_fingerprint': 'fp_emulator',
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 8,
      'gen_ai.usage.cache_read.input_tokens': 0,
      'gen_ai.usage.input_tokens.cached': 0,
      'gen_ai.usage.reasoning.output_tokens': 0,
      'gen_ai.usage.output_tokens.reasoning': 0,
      'gen_ai.usage.total_tokens': 20,
      'gen_ai.usage.cost.amount': expect.closeTo(usd(12, 2.5) + usd(8, 10), 15),
      'gen_ai.usage.cost.currency': 'USD',
      'gen_ai.usage.cost.source': 'local',
    });

    const metrics = await drainMetrics();
    const labels = { ...common(), 'gen_ai.response.model': 'gpt-4o' };
    expect(metrics['gen_ai.client.operation.duration']).toEqual([
      { attributes: labels, value: expect.any(Number), count: 1 },
    ]);
    expect(metrics['gen_ai.client.token.usage']).toEqual([
      { attributes: { ...labels, 'gen_ai.token.type': 'input' }, value: 12, count: 1 },
      { attributes: { ...labels, 'gen_ai.token.type': 'output' }, value: 8, count: 1 },
    ]);
    const costLabels = {
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o',
    };
    expect(metrics['gen_ai.client.cost']).toEqual([
      { attributes: { ...costLabels, 'gen_ai.token.type': 'input' }, value: usd(12, 2.5), count: 1 },
      { attributes: { ...costLabels, 'gen_ai.token.type': 'output' }, value: usd(8, 10), count: 1 },
    ]);
    expect(metrics['gen_ai.client.cost.unpriced']).toBeUndefined();
    expect(metrics['gen_ai.client.operation.time_to_first_chunk']).toBeUndefined();
  });

  it('prices cached and reasoning tokens, and a dated snapshot at its base model', async () => {
    emulator.enqueue({
      model: 'gpt-4o-2024-08-06',
      usage: { input: 2000, cacheRead: 1500, output: 300, reasoning: 100 },
    });
    await client.chat.completions.create({ model: 'gpt-4o', messages: user });
    expect(spans()[0]?.attributes).toMatchObject({
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.usage.input_tokens': 2000,
      'gen_ai.usage.cache_read.input_tokens': 1500,
      'gen_ai.usage.input_tokens.cached': 1500,
      'gen_ai.usage.output_tokens': 300,
      'gen_ai.usage.reasoning.output_tokens': 100,
      'gen_ai.usage.total_tokens': 2300,
    });
    const metrics = await drainMetrics();
    const cost = Object.fromEntries(
      (metrics['gen_ai.client.cost'] ?? []).map((point) => [
        point.attributes['gen_ai.token.type'],
        point.value,
      ]),
    );
    // 500 uncached input at 2.50, 1500 cached at 1.25, 300 output (reasoning included) at 10.
    expect(cost).toEqual({ input: usd(500, 2.5), cache_read: usd(1500, 1.25), output: usd(300, 10) });
    expect(spans()[0]?.attributes['gen_ai.usage.cost.amount']).toBeCloseTo(
      usd(500, 2.5) + usd(1500, 1.25) + usd(300, 10),
      12,
    );
  });

  it('counts an unknown model as unpriced and records no cost', async () => {
    await client.chat.completions.create({ model: 'acme-llm-1', messages: user });
    const metrics = await drainMetrics();
    expect(metrics['gen_ai.client.cost']).toBeUndefined();
    expect(metrics['gen_ai.client.cost.unpriced']).toEqual([
      {
        attributes: {
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'acme-llm-1',
          'gen_ai.response.model': 'acme-llm-1',
        },
        value: 1,
        count: 1,
      },
    ]);
    expect(spans()[0]?.attributes['gen_ai.usage.cost.amount']).toBeUndefined();
  });

  it('records no usage, cost or unpriced signal when the response has no usage', async () => {
    emulator.enqueue({ usage: false });
    await client.chat.completions.create({ model: 'gpt-4o', messages: user });
    const attributes = spans()[0]?.attributes ?? {};
    expect(Object.keys(attributes).filter((key) => key.startsWith('gen_ai.usage'))).toEqual([]);
    const metrics = await drainMetrics();
    expect(metrics['gen_ai.client.token.usage']).toBeUndefined();
    expect(metrics['gen_ai.client.cost']).toBeUndefined();
    expect(metrics['gen_ai.client.cost.unpriced']).toBeUndefined();
    expect(metrics['gen_ai.client.operation.duration']).toHaveLength(1);
  });

  it.each([
    [429, 'RateLimitError'],
    [500, 'InternalServerError'],
  ])('records an HTTP %i as error.type %s and rethrows the SDK error', async (status, type) => {
    emulator.enqueue({ status });
    const error = await client.chat.completions.create({ model: 'gpt-4o', messages: user }).catch((e) => e);
    expect(error?.constructor?.name).toBe(type);
    const [span] = spans();
    expect(span?.attributes['error.type']).toBe(type);
    expect(span?.status.code).toBe(2); // ERROR
    const metrics = await drainMetrics();
    expect(metrics['gen_ai.client.operation.duration']).toEqual([
      { attributes: { ...common(), 'error.type': type }, value: expect.any(Number), count: 1 },
    ]);
    expect(metrics['gen_ai.client.token.usage']).toBeUndefined();
  });

  it('records the tool calls the model asks for', async () => {
    emulator.enqueue({ toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }] });
    await client.chat.completions.create({ model: 'gpt-4o', messages: user });
    const attributes = spans()[0]?.attributes ?? {};
    expect(attributes['gen_ai.response.finish_reasons']).toEqual(['tool_calls']);
    // Names and ids only: arguments are content.
    expect(JSON.parse(String(attributes['gen_ai.response.tool_calls']))).toEqual([
      { type: 'function', id: 'call_1', name: 'get_weather' },
    ]);
  });

  it('keeps withResponse() and asResponse() working', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o', messages: user })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from the emulator.');
    expect(response.status).toBe(200);
    const raw = await client.chat.completions.create({ model: 'gpt-4o', messages: user }).asResponse();
    expect(((await raw.json()) as { object: string }).object).toBe('chat.completion');
    expect(spans()[0]?.attributes['gen_ai.usage.input_tokens']).toBe(12);
  });
});

/** Chunks as the caller sees them, with the per-request ids made comparable. */
async function collectChunks(options: { include_usage?: boolean } = {}) {
  const stream = await client.chat.completions.create({
    model: 'gpt-4o',
    messages: user,
    stream: true,
    ...(options.include_usage !== undefined
      ? { stream_options: { include_usage: options.include_usage } }
      : {}),
  });
  const chunks: unknown[] = [];
  for await (const chunk of stream) chunks.push({ ...chunk, id: 'id' });
  return chunks;
}

describe('streamed chat completions', () => {
  it('asks for usage, and the caller receives exactly the chunks it would without instrumentation', async () => {
    instrumentation.disable();
    const plain = await collectChunks();
    instrumentation.enable();
    const instrumented = await collectChunks();
    expect(instrumented).toEqual(plain);
    expect(JSON.stringify(instrumented)).not.toContain('usage');
    expect(emulator.requests[1]?.body.stream_options).toEqual({ include_usage: true });
    expect(emulator.requests[0]?.body.stream_options).toBeUndefined();

    const [span] = spans();
    expect(spans()).toHaveLength(1);
    expect(span?.attributes).toMatchObject({
      ...common(),
      'gen_ai.request.stream': true,
      'gen_ai.response.model': 'gpt-4o',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 8,
    });
    expect(span?.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
    const metrics = await drainMetrics();
    const labels = { ...common(), 'gen_ai.response.model': 'gpt-4o' };
    expect(metrics['gen_ai.client.operation.time_to_first_chunk']).toEqual([
      { attributes: labels, value: expect.any(Number), count: 1 },
    ]);
    // "Hello from the emulator." arrives as four content chunks: three gaps after the first.
    expect(metrics['gen_ai.client.operation.time_per_output_chunk']).toEqual([
      { attributes: labels, value: expect.any(Number), count: 3 },
    ]);
    expect(metrics['gen_ai.client.cost']?.map((point) => point.value)).toEqual([usd(12, 2.5), usd(8, 10)]);
  });

  it('leaves the usage chunk to a caller that asked for it, and respects include_usage: false', async () => {
    const asked = await collectChunks({ include_usage: true });
    expect((asked.at(-1) as { usage?: { prompt_tokens: number } }).usage?.prompt_tokens).toBe(12);
    const declined = await collectChunks({ include_usage: false });
    expect(emulator.requests[1]?.body.stream_options).toEqual({ include_usage: false });
    expect(JSON.stringify(declined)).not.toContain('prompt_tokens');
    expect(spans()[1]?.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
  });

  it('ends the span when the caller breaks out half-way', async () => {
    emulator.enqueue({ text: 'one two three four five six seven eight', chunkDelayMs: 20 });
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: user, stream: true });
    let seen = 0;
    for await (const _chunk of stream) {
      if (++seen === 3) break;
    }
    const [span] = spans();
    expect(span?.name).toBe('chat gpt-4o');
    expect(span?.status.code).toBe(0);
    expect(span?.attributes['error.type']).toBeUndefined();
    expect(span?.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    expect((await drainMetrics())['gen_ai.client.operation.duration']).toHaveLength(1);
  });

  it('ends the span with error.type AbortError when the caller aborts', async () => {
    emulator.enqueue({ text: 'one two three four five six seven eight', chunkDelayMs: 30 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'gpt-4o', messages: user, stream: true },
      { signal: controller.signal },
    );
    let seen = 0;
    // The SDK ends an aborted stream quietly; the caller's loop simply stops.
    for await (const _chunk of stream) if (++seen === 2) controller.abort();
    expect(seen).toBeLessThan(8);
    expect(spans()[0]?.attributes['error.type']).toBe('AbortError');
    expect(spans()[0]?.status.code).toBe(2);
  });

  it('observes once through tee()', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: user, stream: true });
    const [left, right] = stream.tee();
    const read = async (branch: typeof left) => {
      let text = '';
      for await (const chunk of branch) text += chunk.choices[0]?.delta.content ?? '';
      return text;
    };
    expect(await Promise.all([read(left), read(right)])).toEqual([
      'Hello from the emulator.',
      'Hello from the emulator.',
    ]);
    expect(spans()).toHaveLength(1);
    expect(spans()[0]?.attributes['gen_ai.usage.output_tokens']).toBe(8);
  });

  it('covers the chat.completions.stream() helper and streamed tool calls', async () => {
    emulator.enqueue({ toolCalls: [{ id: 'call_9', name: 'lookup', arguments: { q: 'x' } }] });
    const runner = client.chat.completions.stream({ model: 'gpt-4o', messages: user });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]?.message.tool_calls?.[0]?.id).toBe('call_9');
    const attributes = spans()[0]?.attributes ?? {};
    expect(attributes['gen_ai.response.finish_reasons']).toEqual(['tool_calls']);
    expect(JSON.parse(String(attributes['gen_ai.response.tool_calls']))).toEqual([
      { type: 'function', id: 'call_9', name: 'lookup' },
    ]);
    expect(attributes['gen_ai.usage.input_tokens']).toBe(12);
  });
});

describe('responses API', () => {
  it('records a non-streamed response', async () => {
    emulator.enqueue({ usage: { input: 100, cacheRead: 40, output: 20, reasoning: 5 } });
    const response = await client.responses.create({ model: 'gpt-4o', input: 'hi', max_output_tokens: 50 });
    expect(response.output_text).toBe('Hello from the emulator.');
    expect(spans()[0]?.attributes).toMatchObject({
      ...common(),
      'gen_ai.request.max_tokens': 50,
      'gen_ai.response.id': response.id,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 100,
      'gen_ai.usage.cache_read.input_tokens': 40,
      'gen_ai.usage.output_tokens': 20,
      'gen_ai.usage.reasoning.output_tokens': 5,
    });
  });

  it('records a streamed response and the responses.stream() helper', async () => {
    const stream = await client.responses.create({ model: 'gpt-4o', input: 'hi', stream: true });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types.at(-1)).toBe('response.completed');
    const helper = client.responses.stream({ model: 'gpt-4o', input: 'hi' });
    expect((await helper.finalResponse()).output_text).toBe('Hello from the emulator.');

    expect(spans()).toHaveLength(2);
    for (const span of spans()) {
      expect(span.attributes).toMatchObject({
        'gen_ai.request.stream': true,
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.usage.input_tokens': 12,
        'gen_ai.usage.output_tokens': 8,
      });
      expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
    }
  });
});

describe('embeddings', () => {
  it('records tokens and cost; the caller still gets decoded vectors', async () => {
    const result = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
    expect(result.data[1]?.embedding[0]).toBeCloseTo(0.2, 5);
    expect(spans()[0]?.name).toBe('embeddings text-embedding-3-small');
    expect(spans()[0]?.attributes).toMatchObject({
      'gen_ai.operation.name': 'embeddings',
      'sentry.op': 'gen_ai.embeddings',
      'gen_ai.usage.input_tokens': 12,
    });
    expect(spans()[0]?.attributes['gen_ai.usage.cost.amount']).toBeCloseTo(usd(12, 0.02), 15);
    const metrics = await drainMetrics();
    expect(
      metrics['gen_ai.client.token.usage']?.map((point) => point.attributes['gen_ai.token.type']),
    ).toEqual(['input']);
  });
});

describe('disabled', () => {
  it('records nothing and leaves the call alone', async () => {
    instrumentation.disable();
    await client.chat.completions.create({ model: 'gpt-4o', messages: user });
    expect(spans()).toHaveLength(0);
  });
});
