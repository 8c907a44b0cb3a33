// SPDX-License-Identifier: Apache-2.0
// Every environment variable this package reads, in one place. The package must work without the
// preset, so it reads process.env itself; a malformed value becomes one warning line that names the
// variable, the value and the fallback, never an exception.
import { diag } from '@opentelemetry/api';
import type { BrowserbasePlan } from './types.js';

export const ENV_PLAN = 'OTEL_PRESET_BROWSERBASE_PLAN';
export const ENV_PRICE_PER_MINUTE = 'OTEL_PRESET_BROWSERBASE_PRICE_PER_MINUTE';
export const ENV_PRICE_PER_GB_PROXY = 'OTEL_PRESET_BROWSERBASE_PRICE_PER_GB_PROXY';
export const ENV_STUCK_AFTER = 'OTEL_PRESET_BROWSERBASE_STUCK_AFTER';
export const ENV_CAPTURE_URLS = 'OTEL_PRESET_BROWSERBASE_CAPTURE_URLS';
export const ENV_CAPTURE_CONTENT = 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT';

export type Env = Readonly<Record<string, string | undefined>>;
export type Warn = (line: string) => void;

const defaultWarn: Warn = (line) => diag.warn(line);

function raw(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function warnLine(warn: Warn, name: string, value: string, problem: string, fallback: string): void {
  warn(`${name}=${JSON.stringify(value)} ${problem}; using ${fallback}.`);
}

export function envBool(env: Env, name: string, warn: Warn = defaultWarn): boolean | undefined {
  const value = raw(env, name);
  if (value === undefined) return undefined;
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  warnLine(warn, name, value, "is not 'true' or 'false'", 'false');
  return undefined;
}

/** A non-negative decimal amount of USD. */
export function envPrice(env: Env, name: string, fallback: number, warn: Warn = defaultWarn): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const parsed = /^\+?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(parsed)) {
    warnLine(warn, name, value, 'is not a non-negative number', String(fallback));
    return fallback;
  }
  return parsed;
}

export function envPlan(env: Env, fallback: BrowserbasePlan, warn: Warn = defaultWarn): BrowserbasePlan {
  const value = raw(env, ENV_PLAN);
  if (value === undefined) return fallback;
  const lower = value.toLowerCase();
  if (lower === 'developer' || lower === 'startup') return lower;
  warnLine(warn, ENV_PLAN, value, "is not 'developer' or 'startup'", fallback);
  return fallback;
}

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/i;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

/**
 * A duration: a bare number is milliseconds (the OTEL_* convention), `30s` and `10m` are seconds and
 * minutes. Zero is refused: it would flag every session the moment it opens.
 */
export function envDurationMs(env: Env, name: string, fallbackMs: number, warn: Warn = defaultWarn): number {
  const value = raw(env, name);
  if (value === undefined) return fallbackMs;
  const match = DURATION.exec(value);
  const ms = match ? Number(match[1]) * (UNIT_MS[(match[2] ?? 'ms').toLowerCase()] ?? 1) : Number.NaN;
  if (!Number.isFinite(ms) || ms <= 0) {
    warnLine(warn, name, value, 'is not a positive duration (ms, or with an s/m suffix)', `${fallbackMs} ms`);
    return fallbackMs;
  }
  return Math.round(ms);
}
