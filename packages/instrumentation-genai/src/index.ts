// SPDX-License-Identifier: Apache-2.0
export { GenAIInstrumentation } from './instrumentation.js';
