// SPDX-License-Identifier: Apache-2.0
// Metric attributes are handed out once per series, frozen, and equal to what the caller asked for.
import { describe, expect, it } from 'vitest';
import { seriesAttributes } from '../src/series.js';

describe('seriesAttributes', () => {
  it('returns one frozen object per series, equal to the attributes asked for', () => {
    const base = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'server.port': 443 };
    const first = seriesAttributes({ ...base });
    expect(first).toEqual(base);
    expect(Object.isFrozen(first)).toBe(true);
    expect(seriesAttributes({ ...base })).toBe(first);

    const input = seriesAttributes(first, 'gen_ai.token.type', 'input');
    expect(input).toEqual({ ...base, 'gen_ai.token.type': 'input' });
    expect(seriesAttributes(first, 'gen_ai.token.type', 'input')).toBe(input);
    expect(seriesAttributes(first, 'gen_ai.token.type', 'output')).not.toBe(input);
    // The caller's object is neither frozen nor changed.
    const mine = { ...base };
    seriesAttributes(mine, 'error.type', 'RateLimitError');
    expect(Object.isFrozen(mine)).toBe(false);
    expect(mine).toEqual(base);
  });

  it('keeps series apart whose values differ only in type or in where the key/value boundary falls', () => {
    const number = seriesAttributes({ 'server.port': 443 });
    const text = seriesAttributes({ 'server.port': '443' });
    expect(number).not.toBe(text);
    expect(text['server.port']).toBe('443');
    expect(seriesAttributes({ a: 'b:c' })).not.toBe(seriesAttributes({ 'a\u0001string:b': 'c' }));
  });
});
