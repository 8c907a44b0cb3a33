// SPDX-License-Identifier: Apache-2.0
export { BullMQInstrumentation } from './instrumentation.js';
