// SPDX-License-Identifier: Apache-2.0
// The price table and cost arithmetic. Prices are list prices in USD per million tokens; a model that
// is not in the table gets no cost at all (the caller counts it as unpriced), never an estimate.
import { readFileSync } from 'node:fs';
import { diag } from '@opentelemetry/api';
import { PROVIDER_GEMINI, PROVIDER_VERTEX_AI } from './attributes.js';
import vendored from './prices.json' with { type: 'json' };
import type { TokenUsage } from './usage-types.js';

/** USD per 1M tokens. `cache_read` / `cache_creation` default to `input` when absent. */
export interface ModelPrice {
  input: number;
  output: number;
  cache_read?: number;
  cache_creation?: number;
}

/** provider (gen_ai.provider.name) → model → price. */
export type PriceTable = Record<string, Record<string, ModelPrice>>;

export const PRICES_FILE_ENV = 'OTEL_PRESET_GENAI_PRICES_FILE';

// The Gemini models are the same whichever Google endpoint serves them; list prices match.
const PROVIDER_ALIASES: Record<string, string> = {
  'gcp.gen_ai': PROVIDER_GEMINI,
  [PROVIDER_VERTEX_AI]: PROVIDER_GEMINI,
};

/**
 * Dated snapshots share their base model's list price. Exactly one suffix is removed, and only these
 * shapes: `-YYYY-MM-DD` (OpenAI, `gpt-4o-2024-08-06`), `-YYYYMMDD` (Anthropic,
 * `claude-haiku-4-5-20251001`) and `-NNN` (Gemini stable versions, `gemini-2.0-flash-001`).
 */
const SNAPSHOT_SUFFIX = /-(\d{4}-\d{2}-\d{2}|\d{8}|\d{3})$/;

export type CostTokenType = 'input' | 'output' | 'cache_read' | 'cache_creation';

export interface CostBreakdown {
  /** The table key the price came from (the model itself, or its base for a snapshot). */
  pricedAs: string;
  total: number;
  byType: Partial<Record<CostTokenType, number>>;
}

export interface PricingOptions {
  /** Entries merged over the vendored table (a model's entry replaces the vendored one). */
  prices?: PriceTable;
  /** JSON file with the same shape as `prices` (or `{ "providers": { ... } }`); default: $OTEL_PRESET_GENAI_PRICES_FILE. */
  pricesFile?: string;
}

function isPrice(value: unknown): value is ModelPrice {
  if (!value || typeof value !== 'object') return false;
  const price = value as Record<string, unknown>;
  const optional = (key: string) =>
    price[key] === undefined || (typeof price[key] === 'number' && price[key] >= 0);
  return (
    typeof price.input === 'number' &&
    price.input >= 0 &&
    typeof price.output === 'number' &&
    price.output >= 0 &&
    optional('cache_read') &&
    optional('cache_creation')
  );
}

/** Keeps only well-formed entries; reports what it dropped. */
function sanitize(raw: unknown, origin: string): PriceTable {
  const providers =
    raw && typeof raw === 'object' && 'providers' in raw ? (raw as { providers: unknown }).providers : raw;
  const table: PriceTable = {};
  if (!providers || typeof providers !== 'object') {
    diag.warn(`${origin}: expected an object of providers; ignoring it`);
    return table;
  }
  for (const [provider, models] of Object.entries(providers)) {
    if (!models || typeof models !== 'object') continue;
    for (const [model, price] of Object.entries(models)) {
      if (isPrice(price)) {
        table[provider] ??= {};
        table[provider][model] = { ...price };
      } else diag.warn(`${origin}: price for ${provider}/${model} needs numeric input and output; ignored`);
    }
  }
  return table;
}

function readPricesFile(path: string): PriceTable {
  try {
    return sanitize(JSON.parse(readFileSync(path, 'utf8')), path);
  } catch (error) {
    // One line on stderr: a broken override silently falling back to list prices would mislead budgets.
    console.warn(
      `@otel-preset/instrumentation-genai: cannot read price file ${path} (${(error as Error).message}); using the built-in prices`,
    );
    return {};
  }
}

function merge(...tables: PriceTable[]): PriceTable {
  const merged: PriceTable = {};
  for (const table of tables) {
    for (const [provider, models] of Object.entries(table)) {
      merged[provider] = { ...merged[provider], ...models };
    }
  }
  return merged;
}

export class Pricing {
  constructor(readonly table: PriceTable) {}

  static load(options: PricingOptions = {}, env: NodeJS.ProcessEnv = process.env): Pricing {
    const file = options.pricesFile ?? env[PRICES_FILE_ENV];
    return new Pricing(
      merge(
        sanitize(vendored, 'prices.json'),
        file ? readPricesFile(file) : {},
        options.prices ? sanitize(options.prices, 'prices option') : {},
      ),
    );
  }

  /** The price for a model, by exact name, then by the documented snapshot rule. */
  lookup(provider: string, model: string): { pricedAs: string; price: ModelPrice } | undefined {
    const models = this.table[provider] ?? this.table[PROVIDER_ALIASES[provider] ?? ''];
    if (!models) return undefined;
    const name = model.startsWith('models/') ? model.slice('models/'.length) : model;
    const exact = models[name];
    if (exact) return { pricedAs: name, price: exact };
    const base = name.replace(SNAPSHOT_SUFFIX, '');
    const price = base !== name ? models[base] : undefined;
    return price ? { pricedAs: base, price } : undefined;
  }

  /** USD for the usage, split by token type; undefined when the model has no price. */
  cost(provider: string, model: string, usage: TokenUsage): CostBreakdown | undefined {
    const found = this.lookup(provider, model);
    if (!found) return undefined;
    const { price } = found;
    const cacheRead = usage.cacheReadTokens ?? 0;
    const cacheCreation = usage.cacheCreationTokens ?? 0;
    // input_tokens includes the cached ones; those are charged at their own rates.
    const uncachedInput = Math.max(0, (usage.inputTokens ?? 0) - cacheRead - cacheCreation);
    const usd = (tokens: number, perMillion: number) => (tokens * perMillion) / 1_000_000;
    const byType: CostBreakdown['byType'] = {};
    if (uncachedInput) byType.input = usd(uncachedInput, price.input);
    if (cacheRead) byType.cache_read = usd(cacheRead, price.cache_read ?? price.input);
    if (cacheCreation) byType.cache_creation = usd(cacheCreation, price.cache_creation ?? price.input);
    if (usage.outputTokens) byType.output = usd(usage.outputTokens, price.output);
    const total = Object.values(byType).reduce((sum, value) => sum + value, 0);
    return { pricedAs: found.pricedAs, total, byType };
  }
}
