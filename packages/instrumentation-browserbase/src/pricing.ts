// SPDX-License-Identifier: Apache-2.0
// Turns browser time and proxy traffic into USD. The built-in rates are the overage rates of
// Browserbase's public plans (browserbase.com/pricing): Developer $0.12 per browser hour and $12 per
// GB of proxy traffic, Startup $0.10 per hour and $10 per GB. Included hours are not subtracted: the
// counter answers "what did this work cost at the margin", which is what alerts and budgets need.
import {
  ENV_PRICE_PER_GB_PROXY,
  ENV_PRICE_PER_MINUTE,
  type Env,
  envPlan,
  envPrice,
  type Warn,
} from './env.js';
import type { BrowserbaseInstrumentationConfig, BrowserbasePlan } from './types.js';

export interface Rates {
  plan: BrowserbasePlan;
  /** USD per browser minute. */
  perMinute: number;
  /** USD per 10^9 bytes of proxy traffic. */
  perGbProxy: number;
}

export const PLAN_RATES: Readonly<Record<BrowserbasePlan, { perMinute: number; perGbProxy: number }>> = {
  developer: { perMinute: 0.12 / 60, perGbProxy: 12 },
  startup: { perMinute: 0.1 / 60, perGbProxy: 10 },
};

const validPrice = (value: number | undefined): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;

/** Options win over env, env over the plan's rates. */
export function resolveRates(config: BrowserbaseInstrumentationConfig, env: Env, warn?: Warn): Rates {
  const plan = config.plan && config.plan in PLAN_RATES ? config.plan : envPlan(env, 'developer', warn);
  const base = PLAN_RATES[plan];
  return {
    plan,
    perMinute: validPrice(config.pricePerMinute)
      ? config.pricePerMinute
      : envPrice(env, ENV_PRICE_PER_MINUTE, base.perMinute, warn),
    perGbProxy: validPrice(config.pricePerGbProxy)
      ? config.pricePerGbProxy
      : envPrice(env, ENV_PRICE_PER_GB_PROXY, base.perGbProxy, warn),
  };
}

export const browserCost = (rates: Rates, ms: number): number => (Math.max(0, ms) / 60_000) * rates.perMinute;

export const proxyCost = (rates: Rates, bytes: number): number =>
  (Math.max(0, bytes) / 1e9) * rates.perGbProxy;
