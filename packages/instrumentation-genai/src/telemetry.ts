// SPDX-License-Identifier: Apache-2.0
// Where instruments and prices come from. The live instrumentation registers its own (bound to the
// MeterProvider it was given); without one, usage reported by other packages goes to the global
// MeterProvider. Kept on globalThis so a CJS and an ESM copy of this package share one registration.
import { type MeterProvider, metrics } from '@opentelemetry/api';
import { createMetrics, type GenAIMetrics } from './metrics.js';
import { Pricing } from './pricing.js';
import { PACKAGE_NAME, VERSION } from './version.js';

export interface Telemetry {
  metrics: GenAIMetrics;
  pricing: Pricing;
}

interface Registry {
  live?: Telemetry;
  fallback?: { provider: MeterProvider; telemetry: Telemetry };
  defaultPricing?: Pricing;
}

const KEY = Symbol.for('@otel-preset/instrumentation-genai.registry');
const shared = globalThis as Record<symbol, Registry | undefined>;
shared[KEY] ??= {};
const registry: Registry = shared[KEY];

export function registerLiveTelemetry(telemetry: Telemetry | undefined): void {
  registry.live = telemetry;
}

/** The live instrumentation's instruments, else ones on the current global MeterProvider. */
export function currentTelemetry(): Telemetry {
  if (registry.live) return registry.live;
  // The API hands out no-op meters until an SDK registers, and does not upgrade them later, so the
  // instruments are rebuilt whenever the global provider changes.
  const provider = metrics.getMeterProvider();
  if (registry.fallback?.provider !== provider) {
    registry.defaultPricing ??= Pricing.load();
    registry.fallback = {
      provider,
      telemetry: {
        metrics: createMetrics(provider.getMeter(PACKAGE_NAME, VERSION)),
        pricing: registry.defaultPricing,
      },
    };
  }
  return registry.fallback.telemetry;
}
