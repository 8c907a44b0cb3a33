// SPDX-License-Identifier: Apache-2.0
// Spans for Stagehand's act, extract and observe. Stagehand 4 runs its AI work in a browser
// extension and returns the LLM usage of each operation in `result.metadata.usage`; we put it on the
// span and feed it to the GenAI token and cost metrics.
//
// Double counting: with a model given by name (`model: { modelName }`) the LLM calls happen inside
// Chrome (or through Browserbase's Model Gateway), where no Node instrumentation sees them, so we
// record them. With a client model (`model: { generate }`) the app's own code makes the calls in this
// process, typically through the `openai` or `ai` packages that the GenAI instrumentation already
// counts, so we keep the usage on the span but do not record it again.
import {
  type Attributes,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { recordUsage } from './genai-usage.js';
import type { Metrics } from './metrics.js';
import {
  ATTR_BROWSERBASE_SESSION_ID,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_TOKENS,
  ATTR_STAGEHAND_ACTION_COUNT,
  ATTR_STAGEHAND_BROWSER,
  ATTR_STAGEHAND_CACHE_STATUS,
  ATTR_STAGEHAND_INFERENCE_TIME,
  ATTR_STAGEHAND_INSTRUCTION,
  ATTR_STAGEHAND_INSTRUCTION_KIND,
  ATTR_STAGEHAND_MODEL_SOURCE,
  ATTR_STAGEHAND_OPERATION,
  ATTR_STAGEHAND_SUCCESS,
} from './semconv.js';

export const STAGEHAND_METHODS = ['act', 'extract', 'observe'] as const;
export type StagehandMethod = (typeof STAGEHAND_METHODS)[number];

export interface StagehandPatchContext {
  tracer: () => Tracer;
  metrics: () => Metrics;
  captureInstructions: () => boolean;
  enabled: () => boolean;
  warn: (message: string, error: unknown) => void;
}

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

interface ModelInfo {
  source: 'named' | 'client' | 'auto';
  provider: string;
  model: string;
}

const record = (value: unknown): Record<string, unknown> | undefined =>
  value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
const count = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

/** `openai/gpt-4.1-mini` -> provider `openai`, model `gpt-4.1-mini`; a per-call model beats the instance's. */
export function modelInfo(instance: unknown, args: unknown[]): ModelInfo {
  const perCall = args
    .slice(1)
    .map((arg) => record(record(arg)?.['model']))
    .find((model) => model !== undefined);
  const configured = perCall ?? record(record(record(instance)?.['createConfig'])?.['model']);
  if (configured && typeof configured['generate'] === 'function')
    return { source: 'client', provider: 'client', model: 'client' };
  const name = configured?.['modelName'];
  if (typeof name === 'string' && name) {
    const slash = name.indexOf('/');
    return slash > 0
      ? { source: 'named', provider: name.slice(0, slash), model: name.slice(slash + 1) }
      : { source: 'named', provider: 'unknown', model: name };
  }
  // No model: Browserbase's Model Gateway picks one and does not say which.
  return { source: 'auto', provider: 'browserbase', model: 'auto' };
}

function instructionKind(method: StagehandMethod, args: unknown[]): string {
  const first = args[0];
  if (method === 'act') return typeof first === 'string' ? 'instruction' : 'action';
  if (method === 'observe') return typeof first === 'string' ? 'instruction' : 'none';
  const schema = record(args[1]);
  const isSchema = schema !== undefined && typeof schema['safeParse'] === 'function';
  if (first === undefined) return 'page';
  return isSchema ? 'schema' : 'instruction';
}

function startAttributes(method: StagehandMethod, instance: unknown, args: unknown[], model: ModelInfo) {
  const attributes: Attributes = {
    [ATTR_STAGEHAND_OPERATION]: method,
    [ATTR_STAGEHAND_INSTRUCTION_KIND]: instructionKind(method, args),
    [ATTR_STAGEHAND_MODEL_SOURCE]: model.source,
  };
  if (model.source === 'named') {
    attributes[ATTR_GEN_AI_PROVIDER_NAME] = model.provider;
    attributes[ATTR_GEN_AI_REQUEST_MODEL] = model.model;
  }
  const browser = record(record(instance)?.['browserHandle']);
  if (typeof browser?.['provider'] === 'string') attributes[ATTR_STAGEHAND_BROWSER] = browser['provider'];
  if (typeof browser?.['sessionId'] === 'string')
    attributes[ATTR_BROWSERBASE_SESSION_ID] = browser['sessionId'];
  return attributes;
}

function instructionText(args: unknown[]): string | undefined {
  const first = args[0];
  if (typeof first === 'string') return first;
  if (first === undefined) return undefined;
  try {
    return JSON.stringify(first);
  } catch {
    return undefined;
  }
}

function recordResult(span: Span, method: StagehandMethod, result: unknown, model: ModelInfo): void {
  const outcome = record(result);
  const metadata = record(outcome?.['metadata']);
  const usage = record(metadata?.['usage']);
  const data = outcome?.['data'];
  const cacheStatus = record(metadata?.['cache'])?.['status'];
  if (typeof cacheStatus === 'string') span.setAttribute(ATTR_STAGEHAND_CACHE_STATUS, cacheStatus);
  if (method === 'observe' && Array.isArray(data))
    span.setAttribute(ATTR_STAGEHAND_ACTION_COUNT, data.length);
  if (method === 'act') {
    const actions = record(data)?.['actions'];
    if (Array.isArray(actions)) span.setAttribute(ATTR_STAGEHAND_ACTION_COUNT, actions.length);
    const success = record(data)?.['success'];
    if (typeof success === 'boolean') {
      span.setAttribute(ATTR_STAGEHAND_SUCCESS, success);
      if (!success) span.setStatus({ code: SpanStatusCode.ERROR, message: 'act did not succeed' });
    }
  }
  if (!usage) return;
  const inputTokens = count(usage['inputTokens']);
  const outputTokens = count(usage['outputTokens']);
  const reasoningTokens = count(usage['reasoningTokens']);
  const cacheReadTokens = count(usage['cachedInputTokens']);
  const tokenAttributes: Attributes = {};
  if (inputTokens !== undefined) tokenAttributes[ATTR_GEN_AI_USAGE_INPUT_TOKENS] = inputTokens;
  if (outputTokens !== undefined) tokenAttributes[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = outputTokens;
  if (reasoningTokens) tokenAttributes[ATTR_GEN_AI_USAGE_REASONING_TOKENS] = reasoningTokens;
  if (cacheReadTokens) tokenAttributes[ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = cacheReadTokens;
  const inferenceMs = count(usage['inferenceTimeMs']);
  if (inferenceMs !== undefined) tokenAttributes[ATTR_STAGEHAND_INFERENCE_TIME] = inferenceMs;
  span.setAttributes(tokenAttributes);
  // Zero usage means no inference ran (a cache hit, or an action replayed without the LLM).
  if (model.source === 'client' || (!inputTokens && !outputTokens)) return;
  recordUsage({
    provider: model.provider,
    model: model.model,
    operation: 'chat',
    inputTokens,
    outputTokens,
    cacheReadTokens,
    reasoningTokens,
  });
}

export function wrapStagehandMethod(
  method: StagehandMethod,
  original: AnyFunction,
  ctx: StagehandPatchContext,
) {
  return function patched(this: unknown, ...args: unknown[]): unknown {
    if (!ctx.enabled()) return original.apply(this, args);
    let span: Span;
    let model: ModelInfo;
    const startedAt = performance.now();
    try {
      model = modelInfo(this, args);
      span = ctx.tracer().startSpan(`stagehand ${method}`, {
        kind: SpanKind.INTERNAL,
        attributes: startAttributes(method, this, args, model),
      });
      if (ctx.captureInstructions()) {
        const text = instructionText(args);
        if (text !== undefined) span.setAttribute(ATTR_STAGEHAND_INSTRUCTION, text);
      }
    } catch (error) {
      ctx.warn(`stagehand ${method}: could not start a span`, error);
      return original.apply(this, args);
    }
    const finish = (error: unknown, result: unknown) => {
      try {
        const labels: Attributes = { [ATTR_STAGEHAND_OPERATION]: method };
        if (model.source === 'named') labels[ATTR_GEN_AI_REQUEST_MODEL] = model.model;
        if (error !== undefined) {
          const type = error instanceof Error ? error.constructor.name : 'Error';
          labels[ATTR_ERROR_TYPE] = type;
          span.setAttribute(ATTR_ERROR_TYPE, type);
          if (error instanceof Error) span.recordException(error);
          span.setStatus({
            code: SpanStatusCode.ERROR,
            message: error instanceof Error ? error.message : '',
          });
        } else {
          recordResult(span, method, result, model);
        }
        ctx.metrics().stagehandDuration.record((performance.now() - startedAt) / 1000, labels);
      } catch (failure) {
        ctx.warn(`stagehand ${method}: could not record the result`, failure);
      } finally {
        span.end();
      }
    };
    let returned: unknown;
    try {
      returned = context.with(trace.setSpan(context.active(), span), () => original.apply(this, args));
    } catch (error) {
      finish(error, undefined);
      throw error;
    }
    if (returned instanceof Promise) {
      returned.then(
        (result: unknown) => finish(undefined, result),
        (error: unknown) => finish(error ?? new Error('rejected'), undefined),
      );
    } else {
      finish(undefined, returned);
    }
    return returned;
  };
}
