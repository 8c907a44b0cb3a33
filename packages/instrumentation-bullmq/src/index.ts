// SPDX-License-Identifier: Apache-2.0
export { BullMQInstrumentation, SUPPORTED_VERSIONS } from './instrumentation.js';
export { ENV_CONTEXT } from './settings.js';
export type { BullMQInstrumentationConfig, ContextPropagationMode } from './types.js';
