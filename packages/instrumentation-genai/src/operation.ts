// SPDX-License-Identifier: Apache-2.0
// One model call: its CLIENT span, and the metrics recorded once when it ends. Providers fill in
// the request and response; this file owns the shared shape, so all three look the same.
import {
  type Attributes,
  type Context,
  context,
  type Logger,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_COST_AMOUNT,
  ATTR_GEN_AI_USAGE_COST_CURRENCY,
  ATTR_GEN_AI_USAGE_COST_SOURCE,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  ATTR_SENTRY_CACHE_WRITE_INPUT_TOKENS,
  ATTR_SENTRY_CACHED_INPUT_TOKENS,
  ATTR_SENTRY_OP,
  ATTR_SENTRY_REASONING_OUTPUT_TOKENS,
  ATTR_SENTRY_RESPONSE_TOOL_CALLS,
  ATTR_SENTRY_TOTAL_TOKENS,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  EVENT_INFERENCE_DETAILS,
} from './attributes.js';
import { type CaptureMode, type ChatMessage, type MessagePart, onEvent, onSpan, toJson } from './content.js';
import { recordUsage } from './metrics.js';
import { seriesAttributes } from './series.js';
import type { Telemetry } from './telemetry.js';
import type { TokenUsage } from './usage-types.js';

export interface OperationRequest {
  provider: string;
  operation: string;
  model: string | undefined;
  serverAddress?: string;
  serverPort?: number;
  /** gen_ai.request.* and provider-specific request attributes. */
  attributes: Attributes;
  /** Only read when content capture is on. */
  content?: () => { inputMessages?: ChatMessage[]; systemInstructions?: MessagePart[] };
}

export interface ToolCall {
  id?: string;
  name: string;
  arguments?: unknown;
}

export interface OperationResponse {
  id?: string;
  model?: string;
  finishReasons?: string[];
  usage?: TokenUsage;
  toolCalls?: ToolCall[];
  /** Where the call went, when only the response says so (the AI SDK reports it after the call). */
  serverAddress?: string;
  serverPort?: number;
  /** Output messages for content capture. */
  outputMessages?: ChatMessage[];
  attributes?: Attributes;
}

export interface OperationDeps {
  tracer: Tracer;
  logger: Logger | undefined;
  telemetry: Telemetry;
  capture: CaptureMode;
}

export function serverFromUrl(url: unknown): { serverAddress?: string; serverPort?: number } {
  try {
    const parsed = new URL(String(url));
    const port = parsed.port ? Number(parsed.port) : parsed.protocol === 'http:' ? 80 : 443;
    return { serverAddress: parsed.hostname, serverPort: port };
  } catch {
    return {};
  }
}

/** An error's class name (or HTTP status) keeps error.type low-cardinality. */
export function errorType(error: unknown): string {
  if (error && typeof error === 'object') {
    const name = (error as { constructor?: { name?: string } }).constructor?.name;
    if (name && name !== 'Object' && name !== 'Error') return name;
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number') return String(status);
    if (error instanceof Error && error.name) return error.name;
  }
  return '_OTHER';
}

export class Operation {
  readonly span: Span;
  readonly context: Context;
  private readonly started = performance.now();
  private firstChunkAt: number | undefined;
  private lastChunkAt: number | undefined;
  private response: OperationResponse = {};
  private error: unknown;
  private ended = false;
  private readonly metricAttributes: Attributes;

  constructor(
    private readonly deps: OperationDeps,
    private readonly request: OperationRequest,
  ) {
    const { provider, operation, model, serverAddress, serverPort } = request;
    this.metricAttributes = seriesAttributes({
      [ATTR_GEN_AI_OPERATION_NAME]: operation,
      [ATTR_GEN_AI_PROVIDER_NAME]: provider,
      ...(model ? { [ATTR_GEN_AI_REQUEST_MODEL]: model } : {}),
      ...(serverAddress ? { [ATTR_SERVER_ADDRESS]: serverAddress } : {}),
      ...(serverPort ? { [ATTR_SERVER_PORT]: serverPort } : {}),
    });
    this.span = deps.tracer.startSpan(model ? `${operation} ${model}` : operation, {
      kind: SpanKind.CLIENT,
      attributes: {
        ...this.metricAttributes,
        [ATTR_SENTRY_OP]: `gen_ai.${operation}`,
        ...request.attributes,
      },
    });
    this.context = trace.setSpan(context.active(), this.span);
    if (onSpan(deps.capture) && this.span.isRecording()) {
      const content = this.inputContent();
      if (content.inputMessages) this.setJson(ATTR_GEN_AI_INPUT_MESSAGES, content.inputMessages);
      if (content.systemInstructions?.length)
        this.setJson(ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, content.systemInstructions);
    }
  }

  private inputContent() {
    try {
      return this.request.content?.() ?? {};
    } catch {
      return {};
    }
  }

  private setJson(key: string, value: unknown) {
    const json = toJson(value);
    if (json !== undefined) this.span.setAttribute(key, json);
  }

  /** Runs `fn` with this operation's span active, so HTTP spans nest under it. */
  run<T>(fn: () => T): T {
    return context.with(this.context, fn);
  }

  /** A streamed chunk that carries output arrived. */
  chunk(): void {
    const now = performance.now();
    const attributes = this.currentMetricAttributes();
    if (this.firstChunkAt === undefined) {
      this.firstChunkAt = now;
      this.deps.telemetry.metrics.timeToFirstChunk.record((now - this.started) / 1000, attributes);
    } else if (this.lastChunkAt !== undefined) {
      this.deps.telemetry.metrics.timePerOutputChunk.record((now - this.lastChunkAt) / 1000, attributes);
    }
    this.lastChunkAt = now;
  }

  /** Merges what is known of the response so far (streams report it piece by piece). */
  update(response: OperationResponse): void {
    const merged = { ...this.response };
    for (const [key, value] of Object.entries(response)) {
      if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
    }
    if (response.usage) merged.usage = { ...this.response.usage, ...definedOnly(response.usage) };
    this.response = merged;
  }

  fail(error: unknown): void {
    this.error ??= error ?? new Error('unknown error');
  }

  private currentMetricAttributes(): Attributes {
    const { model, serverAddress, serverPort } = this.response;
    if (!model && !serverAddress) return this.metricAttributes;
    return seriesAttributes({
      ...this.metricAttributes,
      ...(serverAddress && this.metricAttributes[ATTR_SERVER_ADDRESS] === undefined
        ? { [ATTR_SERVER_ADDRESS]: serverAddress, ...(serverPort ? { [ATTR_SERVER_PORT]: serverPort } : {}) }
        : {}),
      ...(model ? { [ATTR_GEN_AI_RESPONSE_MODEL]: model } : {}),
    });
  }

  /** Ends the span and records the metrics; later calls do nothing. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    try {
      this.finish();
    } catch {
      // Telemetry must never fail the call it observes.
    }
    try {
      this.span.end();
    } catch {}
  }

  private finish() {
    const { span } = this;
    const { id, model, finishReasons, usage, toolCalls, attributes } = this.response;
    const seconds = (performance.now() - this.started) / 1000;
    const metricAttributes = this.currentMetricAttributes();
    for (const key of [ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT]) {
      const value = metricAttributes[key];
      if (value !== undefined && this.metricAttributes[key] === undefined) span.setAttribute(key, value);
    }
    if (id) span.setAttribute(ATTR_GEN_AI_RESPONSE_ID, id);
    if (model) span.setAttribute(ATTR_GEN_AI_RESPONSE_MODEL, model);
    if (finishReasons?.length) span.setAttribute(ATTR_GEN_AI_RESPONSE_FINISH_REASONS, finishReasons);
    if (attributes) span.setAttributes(attributes);
    if (this.firstChunkAt !== undefined)
      span.setAttribute(ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, (this.firstChunkAt - this.started) / 1000);
    if (usage) span.setAttributes(usageAttributes(usage));
    if (toolCalls?.length) {
      const calls = toolCalls.map((call) => ({
        type: 'function',
        id: call.id,
        name: call.name,
        ...(onSpan(this.deps.capture) ? { arguments: call.arguments } : {}),
      }));
      this.setJson(ATTR_SENTRY_RESPONSE_TOOL_CALLS, calls);
    }
    if (onSpan(this.deps.capture) && this.response.outputMessages)
      this.setJson(ATTR_GEN_AI_OUTPUT_MESSAGES, this.response.outputMessages);

    const cost = recordUsage(
      this.deps.telemetry.metrics,
      this.deps.telemetry.pricing,
      metricAttributes,
      usage,
    );
    if (cost) {
      span.setAttribute(ATTR_GEN_AI_USAGE_COST_AMOUNT, cost.total);
      span.setAttribute(ATTR_GEN_AI_USAGE_COST_CURRENCY, 'USD');
      span.setAttribute(ATTR_GEN_AI_USAGE_COST_SOURCE, 'local');
    }

    let durationAttributes = metricAttributes;
    if (this.error !== undefined) {
      const type = errorType(this.error);
      span.setAttribute(ATTR_ERROR_TYPE, type);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (this.error as Error)?.message });
      if (this.error instanceof Error) span.recordException(this.error);
      durationAttributes = seriesAttributes(metricAttributes, ATTR_ERROR_TYPE, type);
    }
    this.deps.telemetry.metrics.duration.record(seconds, durationAttributes);
    this.emitEvent();
  }

  private emitEvent() {
    const { logger, capture } = this.deps;
    if (!logger || !onEvent(capture)) return;
    const content = this.inputContent();
    const attributes: Attributes = { ...this.currentMetricAttributes() };
    const json = (key: string, value: unknown) => {
      const text = value === undefined ? undefined : toJson(value);
      if (text !== undefined) attributes[key] = text;
    };
    json(ATTR_GEN_AI_INPUT_MESSAGES, content.inputMessages);
    json(ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, content.systemInstructions);
    json(ATTR_GEN_AI_OUTPUT_MESSAGES, this.response.outputMessages);
    if (this.response.id) attributes[ATTR_GEN_AI_RESPONSE_ID] = this.response.id;
    logger.emit({ eventName: EVENT_INFERENCE_DETAILS, attributes, context: this.context });
  }
}

function definedOnly(usage: TokenUsage): TokenUsage {
  return Object.fromEntries(Object.entries(usage).filter(([, value]) => value !== undefined)) as TokenUsage;
}

export function usageAttributes(usage: TokenUsage): Attributes {
  const attributes: Attributes = {};
  const set = (keys: string[], value: number | undefined) => {
    if (value === undefined) return;
    for (const key of keys) attributes[key] = value;
  };
  set([ATTR_GEN_AI_USAGE_INPUT_TOKENS], usage.inputTokens);
  set([ATTR_GEN_AI_USAGE_OUTPUT_TOKENS], usage.outputTokens);
  set([ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, ATTR_SENTRY_CACHED_INPUT_TOKENS], usage.cacheReadTokens);
  set(
    [
      ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
      ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS,
      ATTR_SENTRY_CACHE_WRITE_INPUT_TOKENS,
    ],
    usage.cacheCreationTokens,
  );
  set(
    [ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, ATTR_SENTRY_REASONING_OUTPUT_TOKENS],
    usage.reasoningTokens,
  );
  if (usage.inputTokens !== undefined || usage.outputTokens !== undefined)
    attributes[ATTR_SENTRY_TOTAL_TOKENS] = (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0);
  return attributes;
}
