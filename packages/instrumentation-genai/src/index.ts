// SPDX-License-Identifier: Apache-2.0
export * from './attributes.js';
export type { CaptureMode } from './content.js';
export { GenAIInstrumentation } from './instrumentation.js';
export type { ModelPrice, PriceTable } from './pricing.js';
export { PRICES_FILE_ENV } from './pricing.js';
export { type GenAIUsage, recordGenAIUsage } from './record-usage.js';
export { type ToolSpanOptions, withToolSpan } from './tool-span.js';
export type { GenAIInstrumentationConfig } from './types.js';
export { PACKAGE_NAME, VERSION } from './version.js';
