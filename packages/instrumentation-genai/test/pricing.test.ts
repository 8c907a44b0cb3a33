// SPDX-License-Identifier: Apache-2.0
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { Pricing } from '../src/pricing.js';

describe('price lookup', () => {
  const pricing = Pricing.load({}, {});

  it('matches exact names, then only the documented snapshot suffixes', () => {
    expect(pricing.lookup('openai', 'gpt-4o')?.pricedAs).toBe('gpt-4o');
    expect(pricing.lookup('openai', 'gpt-4o-2024-08-06')?.pricedAs).toBe('gpt-4o');
    expect(pricing.lookup('anthropic', 'claude-haiku-4-5-20251001')?.pricedAs).toBe('claude-haiku-4-5');
    expect(pricing.lookup('gcp.gemini', 'gemini-2.0-flash-001')?.pricedAs).toBe('gemini-2.0-flash');
    expect(pricing.lookup('gcp.vertex_ai', 'models/gemini-2.5-pro')?.pricedAs).toBe('gemini-2.5-pro');
    // No fuzzy matching: a different model is not its neighbour.
    expect(pricing.lookup('openai', 'gpt-4o-mini-tts')).toBeUndefined();
    expect(pricing.lookup('openai', 'gpt-4o-latest')).toBeUndefined();
    expect(pricing.lookup('azure.ai.openai', 'gpt-4o')).toBeUndefined();
  });

  it('charges cache reads and writes at their own rates, or the input rate when the table has none', () => {
    const table = new Pricing({ p: { m: { input: 2, output: 8, cache_read: 0.5 } } });
    const cost = table.cost('p', 'm', {
      inputTokens: 1_000_000,
      cacheReadTokens: 400_000,
      cacheCreationTokens: 100_000,
      outputTokens: 10,
    });
    expect(cost?.byType).toEqual({ input: 1, cache_read: 0.2, cache_creation: 0.2, output: 0.00008 });
  });
});

describe('overrides', () => {
  const dir = mkdtempSync(join(tmpdir(), 'genai-prices-'));

  it('merges a prices file named by OTEL_PRESET_GENAI_PRICES_FILE, then the prices option', () => {
    const file = join(dir, 'prices.json');
    writeFileSync(
      file,
      JSON.stringify({
        providers: {
          openai: { 'gpt-4o': { input: 1, output: 2 }, 'ft:gpt-4o:acme': { input: 3, output: 12 } },
        },
      }),
    );
    const pricing = Pricing.load(
      { prices: { anthropic: { 'claude-internal': { input: 4, output: 20 } } } },
      { OTEL_PRESET_GENAI_PRICES_FILE: file },
    );
    expect(pricing.lookup('openai', 'gpt-4o')?.price).toEqual({ input: 1, output: 2 });
    expect(pricing.lookup('openai', 'ft:gpt-4o:acme')?.price.input).toBe(3);
    expect(pricing.lookup('anthropic', 'claude-internal')?.price.output).toBe(20);
    expect(pricing.lookup('openai', 'gpt-4o-mini')?.price.input).toBe(0.15);
  });

  it('warns once and keeps the built-in table when the file is unreadable', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const pricing = Pricing.load({ pricesFile: join(dir, 'missing.json') }, {});
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/missing\.json.*using the built-in prices/);
    expect(pricing.lookup('openai', 'gpt-4o')?.price.input).toBe(2.5);
    warn.mockRestore();
  });
});
