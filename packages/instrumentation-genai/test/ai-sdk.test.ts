// SPDX-License-Identifier: Apache-2.0
// The real Vercel AI SDK (`ai` v7 + `@ai-sdk/openai`, Responses API) against the OpenAI emulator.
// Nothing is patched: every span and metric comes from the `ai:telemetry` diagnostics channel.
import { createOpenAI } from '@ai-sdk/openai';
import type { LanguageModelV4 } from '@ai-sdk/provider';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { type ProviderEmulator, startOpenAIEmulator } from '@otel-preset/test-utils';
import { embed, generateText, stepCountIs, streamText, tool } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { drainMetrics, requireSdk, reset, setUpInstrumentation, spans, usd, waitFor } from './setup.js';

const instrumentation = setUpInstrumentation();
const { OpenAI } = requireSdk('openai') as typeof import('openai');

let emulator: ProviderEmulator;
let openai: ReturnType<typeof createOpenAI>;

beforeAll(async () => {
  emulator = await startOpenAIEmulator();
  openai = createOpenAI({ baseURL: emulator.url, apiKey: 'test' });
});
afterAll(() => emulator.close());
beforeEach(async () => {
  instrumentation.enable();
  emulator.reset();
  await reset();
});

const MODEL = 'gpt-4o-mini';
// gpt-4o-mini list price: 0.15 USD in, 0.60 USD out per 1M tokens; the emulator reports 12 in, 8 out.
const CHAT_COST = usd(12, 0.15) + usd(8, 0.6);
const chatLabels = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': MODEL,
  'gen_ai.response.model': MODEL,
};
const usageAttributes = {
  'gen_ai.usage.input_tokens': 12,
  'gen_ai.usage.output_tokens': 8,
  'gen_ai.usage.cache_read.input_tokens': 0,
  'gen_ai.usage.input_tokens.cached': 0,
  'gen_ai.usage.reasoning.output_tokens': 0,
  'gen_ai.usage.output_tokens.reasoning': 0,
  'gen_ai.usage.total_tokens': 20,
  'gen_ai.usage.cost.amount': expect.closeTo(CHAT_COST, 15),
  'gen_ai.usage.cost.currency': 'USD',
  'gen_ai.usage.cost.source': 'local',
};
const agentAttributes = {
  'gen_ai.operation.name': 'invoke_agent',
  'sentry.op': 'gen_ai.invoke_agent',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': MODEL,
};

const byName = (name: string) => spans().filter((span) => span.name === name);
const only = (name: string): ReadableSpan => {
  const found = byName(name);
  expect(found).toHaveLength(1);
  return found[0] as ReadableSpan;
};
const nanos = (time: [number, number]) => time[0] * 1e9 + time[1];
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan) => span.spanContext().spanId;

/** Token and cost points of `calls` identical chat calls (delta temporality aggregates them). */
function expectChatUsageMetrics(metrics: Awaited<ReturnType<typeof drainMetrics>>, calls = 1) {
  expect(metrics['gen_ai.client.token.usage']).toEqual([
    { attributes: { ...chatLabels, 'gen_ai.token.type': 'input' }, value: 12 * calls, count: calls },
    { attributes: { ...chatLabels, 'gen_ai.token.type': 'output' }, value: 8 * calls, count: calls },
  ]);
  const costLabels = {
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': MODEL,
    'gen_ai.response.model': MODEL,
  };
  expect(metrics['gen_ai.client.cost']).toEqual([
    {
      attributes: { ...costLabels, 'gen_ai.token.type': 'input' },
      value: expect.closeTo(usd(12, 0.15) * calls, 15),
      count: 1,
    },
    {
      attributes: { ...costLabels, 'gen_ai.token.type': 'output' },
      value: expect.closeTo(usd(8, 0.6) * calls, 15),
      count: 1,
    },
  ]);
  expect(metrics['gen_ai.client.cost.unpriced']).toBeUndefined();
}

describe('generateText', () => {
  it('records a chat span under an invoke_agent span under the caller, with tokens, duration and cost', async () => {
    const parent = trace.getTracer('app').startSpan('request');
    const result = await context.with(trace.setSpan(context.active(), parent), () =>
      generateText({
        model: openai(MODEL),
        prompt: 'hi',
        maxOutputTokens: 50,
        temperature: 0.3,
        topP: 0.9,
      }),
    );
    parent.end();
    expect(result.text).toBe('Hello from the emulator.');
    expect(emulator.requests.map((request) => request.path)).toEqual(['/v1/responses']);

    const chat = only(`chat ${MODEL}`);
    const agent = only('invoke_agent');
    expect(spans()).toHaveLength(3);
    expect(chat.kind).toBe(SpanKind.CLIENT);
    expect(chat.instrumentationScope.name).toBe('@otel-preset/instrumentation-genai');
    expect(chat.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': MODEL,
      'sentry.op': 'gen_ai.chat',
      'gen_ai.request.max_tokens': 50,
      'gen_ai.request.temperature': 0.3,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.response.id': result.response.id,
      'gen_ai.response.model': MODEL,
      'gen_ai.response.finish_reasons': ['stop'],
      ...usageAttributes,
    });
    expect(agent.kind).toBe(SpanKind.INTERNAL);
    expect(agent.attributes).toEqual(agentAttributes);
    expect(parentOf(chat)).toBe(idOf(agent));
    expect(parentOf(agent)).toBe(parent.spanContext().spanId);
    expect(chat.spanContext().traceId).toBe(parent.spanContext().traceId);

    const metrics = await drainMetrics();
    // One duration point: the invoke_agent span records no metrics.
    expect(metrics['gen_ai.client.operation.duration']).toEqual([
      { attributes: chatLabels, value: expect.any(Number), count: 1 },
    ]);
    expectChatUsageMetrics(metrics);
    expect(metrics['gen_ai.client.operation.time_to_first_chunk']).toBeUndefined();
  });

  it('names the agent after telemetry.functionId', async () => {
    await generateText({ model: openai(MODEL), prompt: 'hi', telemetry: { functionId: 'support-bot' } });
    expect(only('invoke_agent support-bot').attributes).toEqual({
      ...agentAttributes,
      'gen_ai.agent.name': 'support-bot',
    });
  });

  it('records no prompt or completion unless content capture is on', async () => {
    await generateText({ model: openai(MODEL), system: 'be brief', prompt: 'secret prompt' });
    const chat = only(`chat ${MODEL}`);
    expect(JSON.stringify(chat.attributes)).not.toContain('secret');
    expect(chat.attributes['gen_ai.input.messages']).toBeUndefined();
    expect(chat.attributes['gen_ai.output.messages']).toBeUndefined();
    expect(chat.attributes['gen_ai.system_instructions']).toBeUndefined();
  });

  it('records prompt and completion in the semconv shape when content capture is on', async () => {
    instrumentation.setConfig({ captureMessageContent: true });
    try {
      await generateText({ model: openai(MODEL), system: 'be brief', prompt: 'hello there' });
    } finally {
      instrumentation.setConfig({});
    }
    const chat = only(`chat ${MODEL}`);
    expect(JSON.parse(String(chat.attributes['gen_ai.system_instructions']))).toEqual([
      { type: 'text', content: 'be brief' },
    ]);
    expect(JSON.parse(String(chat.attributes['gen_ai.input.messages']))).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'hello there' }] },
    ]);
    expect(JSON.parse(String(chat.attributes['gen_ai.output.messages']))).toEqual([
      {
        role: 'assistant',
        parts: [{ type: 'text', content: 'Hello from the emulator.' }],
        finish_reason: 'stop',
      },
    ]);
  });

  it('records the error type of a failed call (429) on both spans and the duration metric', async () => {
    emulator.enqueue({ status: 429 });
    const error = await generateText({ model: openai(MODEL), prompt: 'hi', maxRetries: 0 }).catch(
      (caught: unknown) => caught,
    );
    expect((error as { statusCode?: number }).statusCode).toBe(429);

    const chat = only(`chat ${MODEL}`);
    expect(chat.attributes['error.type']).toBe('APICallError');
    expect(chat.status.code).toBe(SpanStatusCode.ERROR);
    expect(chat.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    expect(chat.events.map((event) => event.name)).toEqual(['exception']);
    const agent = only('invoke_agent');
    expect(agent.attributes['error.type']).toBe('APICallError');
    expect(agent.status.code).toBe(SpanStatusCode.ERROR);
    expect(parentOf(chat)).toBe(idOf(agent));

    const metrics = await drainMetrics();
    expect(metrics['gen_ai.client.operation.duration']).toEqual([
      {
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': MODEL,
          'error.type': 'APICallError',
        },
        value: expect.any(Number),
        count: 1,
      },
    ]);
    expect(metrics['gen_ai.client.token.usage']).toBeUndefined();
    expect(metrics['gen_ai.client.cost']).toBeUndefined();
  });

  it('records nothing for a call with telemetry: { isEnabled: false }', async () => {
    const result = await generateText({
      model: openai(MODEL),
      prompt: 'hi',
      telemetry: { isEnabled: false },
    });
    expect(result.text).toBe('Hello from the emulator.');
    expect(spans()).toEqual([]);
    expect(await drainMetrics()).toEqual({});
  });

  it('records nothing once the instrumentation is disabled', async () => {
    instrumentation.disable();
    await generateText({ model: openai(MODEL), prompt: 'hi' });
    expect(spans()).toEqual([]);
    expect(await drainMetrics()).toEqual({});
  });
});

describe('streamText', () => {
  it('ends the chat span when the stream ends, with usage, time to first chunk and time per chunk', async () => {
    const result = streamText({ model: openai(MODEL), prompt: 'hi' });
    let text = '';
    for await (const piece of result.textStream) text += piece;
    expect(text).toBe('Hello from the emulator.');
    await waitFor(() => byName('invoke_agent').length === 1);

    const chat = only(`chat ${MODEL}`);
    const agent = only('invoke_agent');
    expect(chat.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': MODEL,
      'sentry.op': 'gen_ai.chat',
      'gen_ai.request.stream': true,
      'gen_ai.response.id': (await result.response).id,
      'gen_ai.response.model': MODEL,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.response.time_to_first_chunk': expect.any(Number),
      ...usageAttributes,
    });
    expect(parentOf(chat)).toBe(idOf(agent));
    expect(agent.attributes).toEqual(agentAttributes);

    const metrics = await drainMetrics();
    expect(metrics['gen_ai.client.operation.duration']).toEqual([
      { attributes: chatLabels, value: expect.any(Number), count: 1 },
    ]);
    expectChatUsageMetrics(metrics);
    expect(metrics['gen_ai.client.operation.time_to_first_chunk']).toEqual([
      { attributes: chatLabels, value: chat.attributes['gen_ai.response.time_to_first_chunk'], count: 1 },
    ]);
    // Four one-word text deltas: three gaps after the first.
    expect(metrics['gen_ai.client.operation.time_per_output_chunk']).toEqual([
      { attributes: chatLabels, value: expect.any(Number), count: 3 },
    ]);
  });
});

describe('tool loop', () => {
  it('records chat, execute_tool and chat spans under one invoke_agent span, tokens counted per call', async () => {
    emulator.enqueue({ toolCalls: [{ id: 'call_1', name: 'weather', arguments: { city: 'Paris' } }] });
    const result = await generateText({
      model: openai(MODEL),
      prompt: 'weather in Paris?',
      tools: {
        weather: tool({
          description: 'Current weather',
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }) => `sunny in ${city}`,
        }),
      },
      stopWhen: stepCountIs(3),
    });
    expect(result.steps).toHaveLength(2);
    expect(result.text).toBe('Hello from the emulator.');

    const agent = only('invoke_agent');
    const chats = byName(`chat ${MODEL}`).sort((a, b) => nanos(a.startTime) - nanos(b.startTime));
    const toolSpan = only('execute_tool weather');
    expect(spans()).toHaveLength(4);
    expect(chats).toHaveLength(2);
    for (const span of [...chats, toolSpan]) expect(parentOf(span)).toBe(idOf(agent));

    const [toolFirst, textAfter] = chats as [ReadableSpan, ReadableSpan];
    expect(toolFirst.attributes['gen_ai.response.finish_reasons']).toEqual(['tool-calls']);
    expect(toolFirst.attributes['gen_ai.response.tool_calls']).toBe(
      JSON.stringify([{ type: 'function', id: 'call_1', name: 'weather' }]),
    );
    expect(textAfter.attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);
    expect(toolSpan.kind).toBe(SpanKind.INTERNAL);
    expect(toolSpan.attributes).toEqual({
      'gen_ai.operation.name': 'execute_tool',
      'sentry.op': 'gen_ai.execute_tool',
      'gen_ai.tool.name': 'weather',
      'gen_ai.tool.type': 'function',
      'gen_ai.tool.call.id': 'call_1',
    });
    // The tool ran between the two model calls.
    expect(nanos(toolSpan.startTime)).toBeGreaterThanOrEqual(nanos(toolFirst.endTime));
    expect(nanos(textAfter.startTime)).toBeGreaterThanOrEqual(nanos(toolSpan.endTime));

    const metrics = await drainMetrics();
    expect(metrics['gen_ai.client.operation.duration']).toEqual([
      { attributes: chatLabels, value: expect.any(Number), count: 2 },
    ]);
    expectChatUsageMetrics(metrics, 2);
  });

  it('marks a failing tool with error.type', async () => {
    emulator.enqueue({ toolCalls: [{ id: 'call_2', name: 'broken', arguments: {} }] });
    class ToolFailure extends Error {}
    await generateText({
      model: openai(MODEL),
      prompt: 'go',
      tools: {
        broken: tool({
          inputSchema: z.object({ order: z.string().optional() }),
          execute: async (): Promise<string> => {
            throw new ToolFailure('no');
          },
        }),
      },
      stopWhen: stepCountIs(2),
    });
    const toolSpan = only('execute_tool broken');
    expect(toolSpan.attributes['error.type']).toBe('ToolFailure');
    expect(toolSpan.status.code).toBe(SpanStatusCode.ERROR);
  });
});

describe('embed', () => {
  it('records an embeddings span with tokens and cost', async () => {
    const result = await embed({ model: openai.embedding('text-embedding-3-small'), value: 'hi' });
    expect(result.embedding).toHaveLength(4);

    const span = only('embeddings text-embedding-3-small');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(parentOf(span)).toBeUndefined();
    expect(span.attributes).toEqual({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'text-embedding-3-small',
      'sentry.op': 'gen_ai.embeddings',
      'gen_ai.response.model': 'text-embedding-3-small',
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.total_tokens': 12,
      'gen_ai.usage.cost.amount': expect.closeTo(usd(12, 0.02), 15),
      'gen_ai.usage.cost.currency': 'USD',
      'gen_ai.usage.cost.source': 'local',
    });

    const labels = {
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'text-embedding-3-small',
      'gen_ai.response.model': 'text-embedding-3-small',
    };
    const metrics = await drainMetrics();
    expect(metrics['gen_ai.client.operation.duration']).toEqual([
      { attributes: labels, value: expect.any(Number), count: 1 },
    ]);
    expect(metrics['gen_ai.client.token.usage']).toEqual([
      { attributes: { ...labels, 'gen_ai.token.type': 'input' }, value: 12, count: 1 },
    ]);
    expect(metrics['gen_ai.client.cost']).toEqual([
      {
        attributes: {
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'text-embedding-3-small',
          'gen_ai.response.model': 'text-embedding-3-small',
          'gen_ai.token.type': 'input',
        },
        value: expect.closeTo(usd(12, 0.02), 15),
        count: 1,
      },
    ]);
  });
});

describe('an AI SDK provider that wraps a patched SDK client', () => {
  it('counts the call once: the AI SDK span, no nested openai-package span', async () => {
    const client = new OpenAI({ apiKey: 'test', baseURL: emulator.url, maxRetries: 0 });
    // A minimal community-style provider: the AI SDK model interface over the `openai` package.
    const wrapped: LanguageModelV4 = {
      specificationVersion: 'v4',
      provider: 'openai.wrapped',
      modelId: MODEL,
      supportedUrls: {},
      async doGenerate() {
        const completion = await client.chat.completions.create({
          model: MODEL,
          messages: [{ role: 'user', content: 'hi' }],
        });
        const usage = completion.usage;
        return {
          content: [{ type: 'text', text: completion.choices[0]?.message.content ?? '' }],
          finishReason: { unified: 'stop', raw: 'stop' },
          usage: {
            inputTokens: {
              total: usage?.prompt_tokens,
              noCache: undefined,
              cacheRead: 0,
              cacheWrite: undefined,
            },
            outputTokens: { total: usage?.completion_tokens, text: undefined, reasoning: 0 },
          },
          response: { id: completion.id, modelId: completion.model },
          warnings: [],
        };
      },
      async doStream() {
        throw new Error('not used');
      },
    };
    await generateText({ model: wrapped, prompt: 'hi' });
    expect(emulator.requests.map((request) => request.path)).toEqual(['/v1/chat/completions']);
    expect(
      spans()
        .map((span) => span.name)
        .sort(),
    ).toEqual([`chat ${MODEL}`, 'invoke_agent']);
    const metrics = await drainMetrics();
    expect(metrics['gen_ai.client.operation.duration']).toEqual([
      { attributes: chatLabels, value: expect.any(Number), count: 1 },
    ]);
    expectChatUsageMetrics(metrics);
  });
});
