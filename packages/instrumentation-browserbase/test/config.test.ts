// SPDX-License-Identifier: Apache-2.0
// Env parsing and pricing: every malformed value is one warning naming the variable, the value and
// the fallback; options beat env, env beats the plan.
import { describe, expect, it } from 'vitest';
import { envBool, envDurationMs, envPrice } from '../src/env.js';
import { browserCost, PLAN_RATES, proxyCost, resolveRates } from '../src/pricing.js';
import { modelInfo } from '../src/stagehand.js';
import { watchdogPeriodMs } from '../src/watchdog.js';

function collect() {
  const lines: string[] = [];
  return { lines, warn: (line: string) => lines.push(line) };
}

describe('env', () => {
  it.each([
    ['600000', 600_000],
    ['90s', 90_000],
    ['10m', 600_000],
    ['250ms', 250],
    [' 1.5s ', 1500],
  ])('OTEL_PRESET_BROWSERBASE_STUCK_AFTER=%j is %d ms', (value, ms) => {
    const { lines, warn } = collect();
    expect(envDurationMs({ X: value }, 'X', 1, warn)).toBe(ms);
    expect(lines).toEqual([]);
  });

  it.each(['0', '-5', 'soon', '10h', '5 minutes'])('a duration of %j warns once and falls back', (value) => {
    const { lines, warn } = collect();
    expect(
      envDurationMs(
        { OTEL_PRESET_BROWSERBASE_STUCK_AFTER: value },
        'OTEL_PRESET_BROWSERBASE_STUCK_AFTER',
        600_000,
        warn,
      ),
    ).toBe(600_000);
    expect(lines).toEqual([
      `OTEL_PRESET_BROWSERBASE_STUCK_AFTER=${JSON.stringify(value)} is not a positive duration (ms, or with an s/m suffix); using 600000 ms.`,
    ]);
  });

  it.each(['-1', 'free', '1,5', 'NaN', 'Infinity'])('a price of %j warns once and falls back', (value) => {
    const { lines, warn } = collect();
    expect(envPrice({ P: value }, 'P', 0.002, warn)).toBe(0.002);
    expect(lines).toEqual([`P=${JSON.stringify(value)} is not a non-negative number; using 0.002.`]);
  });

  it('booleans are true/false in any case; anything else warns and counts as unset', () => {
    const { lines, warn } = collect();
    expect(envBool({ B: 'TRUE' }, 'B', warn)).toBe(true);
    expect(envBool({ B: 'false' }, 'B', warn)).toBe(false);
    expect(envBool({ B: '' }, 'B', warn)).toBeUndefined();
    expect(envBool({ B: '1' }, 'B', warn)).toBeUndefined();
    expect(lines).toEqual([`B="1" is not 'true' or 'false'; using false.`]);
  });
});

describe('pricing', () => {
  it('defaults to the Developer plan; the Startup plan and explicit prices override it', () => {
    expect(resolveRates({}, {})).toEqual({ plan: 'developer', ...PLAN_RATES.developer });
    expect(resolveRates({}, { OTEL_PRESET_BROWSERBASE_PLAN: 'Startup' })).toEqual({
      plan: 'startup',
      ...PLAN_RATES.startup,
    });
    expect(
      resolveRates(
        {},
        { OTEL_PRESET_BROWSERBASE_PLAN: 'startup', OTEL_PRESET_BROWSERBASE_PRICE_PER_MINUTE: '0.01' },
      ),
    ).toMatchObject({ perMinute: 0.01, perGbProxy: 10 });
    expect(
      resolveRates({ pricePerGbProxy: 3 }, { OTEL_PRESET_BROWSERBASE_PRICE_PER_GB_PROXY: '9' }).perGbProxy,
    ).toBe(3);
  });

  it('an unknown plan warns once and uses the Developer plan', () => {
    const { lines, warn } = collect();
    expect(resolveRates({}, { OTEL_PRESET_BROWSERBASE_PLAN: 'enterprise' }, warn).plan).toBe('developer');
    expect(lines).toEqual([
      `OTEL_PRESET_BROWSERBASE_PLAN="enterprise" is not 'developer' or 'startup'; using developer.`,
    ]);
  });

  it('prices an hour of browser time and a GB of proxy traffic at the plan rates', () => {
    const rates = resolveRates({}, {});
    expect(browserCost(rates, 3_600_000)).toBeCloseTo(0.12, 10);
    expect(proxyCost(rates, 1e9)).toBeCloseTo(12, 10);
    expect(browserCost(rates, -5)).toBe(0);
  });
});

describe('stagehand model', () => {
  it('splits provider/model, prefers a per-call model, and recognises client models', () => {
    const instance = { createConfig: { model: { modelName: 'anthropic/claude-sonnet-4-5' } } };
    expect(modelInfo(instance, ['do it'])).toEqual({
      source: 'named',
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
    });
    expect(modelInfo(instance, ['do it', { model: { modelName: 'openai/gpt-4.1-mini' } }]).model).toBe(
      'gpt-4.1-mini',
    );
    expect(modelInfo({ createConfig: { model: { generate: async () => ({}) } } }, []).source).toBe('client');
    expect(modelInfo({ createConfig: {} }, [])).toEqual({
      source: 'auto',
      provider: 'browserbase',
      model: 'auto',
    });
  });
});

describe('watchdog period', () => {
  it('is a quarter of the threshold, between 50 ms and 15 s', () => {
    expect(watchdogPeriodMs(600_000)).toBe(15_000);
    expect(watchdogPeriodMs(1000)).toBe(250);
    expect(watchdogPeriodMs(100)).toBe(50);
  });
});
