// SPDX-License-Identifier: Apache-2.0
export { BrowserbaseInstrumentation } from './instrumentation.js';
export { PLAN_RATES } from './pricing.js';
export type { BrowserbaseInstrumentationConfig, BrowserbasePlan } from './types.js';
