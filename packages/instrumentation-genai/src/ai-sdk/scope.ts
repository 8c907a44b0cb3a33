// SPDX-License-Identifier: Apache-2.0
// Context values the AI SDK handlers leave for work that runs inside them.
import { type Context, context, createContextKey } from '@opentelemetry/api';
import type { Operation } from '../operation.js';

const MODEL_CALL = createContextKey('@otel-preset/instrumentation-genai ai-sdk model call');
const STEP = createContextKey('@otel-preset/instrumentation-genai ai-sdk step');

/**
 * Marks a context as inside an AI SDK model call, already measured from the AI SDK's events. A
 * provider SDK client the AI SDK provider wraps (one this package patches) then records nothing,
 * so the call's tokens and cost are counted once.
 */
export const markModelCall = (ctx: Context): Context => ctx.setValue(MODEL_CALL, true);

export const insideAiSdkModelCall = (): boolean => context.active().getValue(MODEL_CALL) === true;

/** One AI SDK step: streamed model calls still open when it ends are ended with it. */
export interface StepScope {
  pending: Set<Operation>;
}

export const withStep = (ctx: Context, step: StepScope): Context => ctx.setValue(STEP, step);

export const currentStep = (): StepScope | undefined =>
  context.active().getValue(STEP) as StepScope | undefined;
