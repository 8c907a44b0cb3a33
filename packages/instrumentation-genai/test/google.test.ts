// SPDX-License-Identifier: Apache-2.0
// The real `@google/genai` client against the local Gemini emulator.
import { type ProviderEmulator, startGeminiEmulator } from '@otel-preset/test-utils';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { drainMetrics, requireSdk, reset, setUpInstrumentation, spans, usd } from './setup.js';

setUpInstrumentation();
const { GoogleGenAI } = requireSdk('@google/genai') as typeof import('@google/genai');

let emulator: ProviderEmulator;
let client: InstanceType<typeof GoogleGenAI>;
const MODEL = 'gemini-2.5-flash';

beforeAll(async () => {
  emulator = await startGeminiEmulator();
  client = new GoogleGenAI({ apiKey: 'test-key', httpOptions: { baseUrl: emulator.url } });
});
afterAll(() => emulator.close());
beforeEach(async () => {
  emulator.reset();
  await reset();
});

const common = () => ({
  'gen_ai.operation.name': 'generate_content',
  'gen_ai.provider.name': 'gcp.gemini',
  'gen_ai.request.model': MODEL,
  'server.address': '127.0.0.1',
  'server.port': emulator.port,
});

describe('generateContent', () => {
  it('records span, usage with thinking tokens as output, and cost', async () => {
    emulator.enqueue({ usage: { input: 100, cacheRead: 40, output: 30, reasoning: 10 } });
    const response = await client.models.generateContent({
      model: MODEL,
      contents: 'hi',
      config: { temperature: 0.1, maxOutputTokens: 256, topK: 5 },
    });
    expect(response.text).toBe('Hello from the emulator.');
    expect(spans()[0]?.name).toBe(`generate_content ${MODEL}`);
    expect(spans()[0]?.attributes).toEqual({
      ...common(),
      'sentry.op': 'gen_ai.generate_content',
      'gen_ai.request.temperature': 0.1,
      'gen_ai.request.max_tokens': 256,
      'gen_ai.request.top_k': 5,
      'gen_ai.response.id': response.responseId,
      'gen_ai.response.model': MODEL,
      'gen_ai.response.finish_reasons': ['STOP'],
      'gen_ai.usage.input_tokens': 100,
      'gen_ai.usage.output_tokens': 30,
      'gen_ai.usage.cache_read.input_tokens': 40,
      'gen_ai.usage.input_tokens.cached': 40,
      'gen_ai.usage.reasoning.output_tokens': 10,
      'gen_ai.usage.output_tokens.reasoning': 10,
      'gen_ai.usage.total_tokens': 130,
      'gen_ai.usage.cost.amount': expect.closeTo(usd(60, 0.3) + usd(40, 0.03) + usd(30, 2.5), 15),
      'gen_ai.usage.cost.currency': 'USD',
      'gen_ai.usage.cost.source': 'local',
    });
    const metrics = await drainMetrics();
    expect(
      metrics['gen_ai.client.token.usage']?.map((point) => [
        point.attributes['gen_ai.token.type'],
        point.value,
      ]),
    ).toEqual([
      ['input', 100],
      ['output', 30],
    ]);
    expect(
      metrics['gen_ai.client.cost']?.map((point) => [point.attributes['gen_ai.token.type'], point.value]),
    ).toEqual([
      ['input', usd(60, 0.3)],
      ['cache_read', usd(40, 0.03)],
      ['output', usd(30, 2.5)],
    ]);
  });

  it('records a 429 with the SDK error class, and a response without usage', async () => {
    emulator.enqueue({ status: 429 }, { usage: false });
    const error = await client.models.generateContent({ model: MODEL, contents: 'hi' }).catch((e) => e);
    expect(error?.status).toBe(429);
    await client.models.generateContent({ model: MODEL, contents: 'hi' });
    expect(spans()[0]?.attributes['error.type']).toBe('ApiError');
    expect(spans()[1]?.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    const metrics = await drainMetrics();
    expect(metrics['gen_ai.client.token.usage']).toBeUndefined();
    expect(metrics['gen_ai.client.cost.unpriced']).toBeUndefined();
  });

  it('records function calls', async () => {
    emulator.enqueue({ toolCalls: [{ name: 'get_time', arguments: { tz: 'UTC' } }] });
    await client.models.generateContent({ model: MODEL, contents: 'hi' });
    expect(JSON.parse(String(spans()[0]?.attributes['gen_ai.response.tool_calls']))).toEqual([
      { type: 'function', name: 'get_time' },
    ]);
  });
});

describe('generateContentStream', () => {
  it('records chunks, time to first chunk and the final usage', async () => {
    const stream = await client.models.generateContentStream({ model: MODEL, contents: 'hi' });
    let text = '';
    for await (const chunk of stream) text += chunk.text ?? '';
    expect(text).toBe('Hello from the emulator.');
    expect(emulator.requests[0]?.query.get('alt')).toBe('sse');
    expect(spans()[0]?.attributes).toMatchObject({
      ...common(),
      'gen_ai.request.stream': true,
      'gen_ai.response.finish_reasons': ['STOP'],
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 8,
    });
    const metrics = await drainMetrics();
    expect(metrics['gen_ai.client.operation.time_to_first_chunk']).toHaveLength(1);
    expect(metrics['gen_ai.client.operation.time_per_output_chunk']?.[0]?.count).toBe(3);
    expect(metrics['gen_ai.client.cost']?.map((point) => point.value)).toEqual([usd(12, 0.3), usd(8, 2.5)]);
  });

  it('ends the span when the caller breaks out', async () => {
    emulator.enqueue({ text: 'a b c d e f', chunkDelayMs: 20 });
    const stream = await client.models.generateContentStream({ model: MODEL, contents: 'hi' });
    for await (const _chunk of stream) break;
    expect(spans()).toHaveLength(1);
    expect(spans()[0]?.attributes['error.type']).toBeUndefined();
  });
});

describe('embedContent', () => {
  it('records an embeddings span (the Gemini API reports no token counts)', async () => {
    const result = await client.models.embedContent({ model: 'gemini-embedding-001', contents: ['a', 'b'] });
    expect(result.embeddings).toHaveLength(2);
    expect(spans()[0]?.name).toBe('embeddings gemini-embedding-001');
    expect(spans()[0]?.attributes).toMatchObject({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.provider.name': 'gcp.gemini',
      'sentry.op': 'gen_ai.embeddings',
    });
    expect((await drainMetrics())['gen_ai.client.operation.duration']).toHaveLength(1);
  });
});
