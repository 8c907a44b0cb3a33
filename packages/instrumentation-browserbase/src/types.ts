// SPDX-License-Identifier: Apache-2.0
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';

/** A Browserbase plan whose published overage rates are built in (see README, "Cost"). */
export type BrowserbasePlan = 'developer' | 'startup';

export interface BrowserbaseInstrumentationConfig extends InstrumentationConfig {
  /**
   * Plan whose rates price browser minutes and proxy traffic.
   * Default: `developer`; env `OTEL_PRESET_BROWSERBASE_PLAN`.
   */
  plan?: BrowserbasePlan;
  /** USD per browser minute; overrides the plan. Env `OTEL_PRESET_BROWSERBASE_PRICE_PER_MINUTE`. */
  pricePerMinute?: number;
  /** USD per GB (10^9 bytes) of proxy traffic; overrides the plan. Env `OTEL_PRESET_BROWSERBASE_PRICE_PER_GB_PROXY`. */
  pricePerGbProxy?: number;
  /**
   * A session open longer than this (ms) is flagged as stuck. Default 600000 (10 minutes);
   * env `OTEL_PRESET_BROWSERBASE_STUCK_AFTER` (ms, or with an `s`/`m` suffix).
   */
  stuckAfterMs?: number;
  /**
   * Export debugger, live-view, replay and connect URLs and `userMetadata`. They grant access to a
   * running browser, so they are off by default. Env `OTEL_PRESET_BROWSERBASE_CAPTURE_URLS`.
   */
  captureSessionUrls?: boolean;
  /**
   * Record the instructions given to Stagehand `act`/`extract`/`observe`. They are prompt-like
   * content, so off by default. Env `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`.
   */
  captureInstructions?: boolean;
}
