// SPDX-License-Identifier: Apache-2.0
// The public helpers other packages and apps call: recordGenAIUsage and withToolSpan.
import { trace } from '@opentelemetry/api';
import { beforeEach, describe, expect, it } from 'vitest';
import { type GenAIUsage, recordGenAIUsage, withToolSpan } from '../src/index.js';
import { drainMetrics, reset, setUpInstrumentation, spans, usd } from './setup.js';

setUpInstrumentation();
beforeEach(reset);

describe('recordGenAIUsage', () => {
  it('records token usage and cost on the same instruments as the instrumentation', async () => {
    recordGenAIUsage({
      provider: 'openai',
      model: 'gpt-4o-mini',
      operation: 'chat',
      inputTokens: 1000,
      cacheReadTokens: 200,
      outputTokens: 100,
    });
    const metrics = await drainMetrics();
    const labels = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
    };
    expect(metrics['gen_ai.client.token.usage']).toEqual([
      { attributes: { ...labels, 'gen_ai.token.type': 'input' }, value: 1000, count: 1 },
      { attributes: { ...labels, 'gen_ai.token.type': 'output' }, value: 100, count: 1 },
    ]);
    const costLabels = { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' };
    expect(metrics['gen_ai.client.cost']).toEqual([
      { attributes: { ...costLabels, 'gen_ai.token.type': 'input' }, value: usd(800, 0.15), count: 1 },
      { attributes: { ...costLabels, 'gen_ai.token.type': 'cache_read' }, value: usd(200, 0.075), count: 1 },
      { attributes: { ...costLabels, 'gen_ai.token.type': 'output' }, value: usd(100, 0.6), count: 1 },
    ]);
  });

  it('counts an unknown model as unpriced', async () => {
    recordGenAIUsage({ provider: 'openai', model: 'house-model', operation: 'chat', inputTokens: 5 });
    const metrics = await drainMetrics();
    expect(metrics['gen_ai.client.cost']).toBeUndefined();
    expect(metrics['gen_ai.client.cost.unpriced']).toEqual([
      {
        attributes: { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'house-model' },
        value: 1,
        count: 1,
      },
    ]);
  });

  it('never throws, whatever it is given', () => {
    expect(() => recordGenAIUsage(undefined as unknown as GenAIUsage)).not.toThrow();
    expect(() =>
      recordGenAIUsage({ provider: 'openai', model: 'gpt-4o', operation: 'chat', inputTokens: Number.NaN }),
    ).not.toThrow();
  });
});

describe('withToolSpan', () => {
  it('wraps a sync or async tool in an execute_tool span under the current span', async () => {
    const parent = trace.getTracer('test').startSpan('agent');
    const result = await trace.getTracer('test').startActiveSpan('agent-turn', async (turn) => {
      const value = await withToolSpan('get_weather', async () => 'sunny', {
        callId: 'call_1',
        description: 'Looks up the weather',
        arguments: { city: 'Paris' },
      });
      turn.end();
      return value;
    });
    parent.end();
    expect(result).toBe('sunny');
    expect(withToolSpan('add', () => 1 + 1)).toBe(2);
    const [tool, turn, , sync] = spans();
    expect(tool?.name).toBe('execute_tool get_weather');
    expect(tool?.kind).toBe(0); // INTERNAL
    expect(tool?.parentSpanContext?.spanId).toBe(turn?.spanContext().spanId);
    expect(tool?.attributes).toEqual({
      'gen_ai.operation.name': 'execute_tool',
      'sentry.op': 'gen_ai.execute_tool',
      'gen_ai.tool.name': 'get_weather',
      'gen_ai.tool.type': 'function',
      'gen_ai.tool.call.id': 'call_1',
      'gen_ai.tool.description': 'Looks up the weather',
    });
    expect(sync?.name).toBe('execute_tool add');
  });

  it('records a failure and rethrows it unchanged; captures arguments and result only when asked', async () => {
    const boom = new TypeError('bad input');
    await expect(
      withToolSpan(
        'broken',
        async () => {
          throw boom;
        },
        { captureContent: true, arguments: { a: 1 } },
      ),
    ).rejects.toBe(boom);
    withToolSpan('echo', () => ({ ok: true }), { captureContent: true, arguments: { a: 1 } });
    const [broken, echo] = spans();
    expect(broken?.attributes['error.type']).toBe('TypeError');
    expect(broken?.status.code).toBe(2);
    expect(echo?.attributes['gen_ai.tool.call.arguments']).toBe('{"a":1}');
    expect(echo?.attributes['gen_ai.tool.call.result']).toBe('{"ok":true}');
  });
});
