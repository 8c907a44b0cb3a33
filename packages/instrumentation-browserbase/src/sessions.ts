// SPDX-License-Identifier: Apache-2.0
// Spans for the Browserbase SDK's session calls. The SDK's `Sessions` class is reachable from the
// main export (`Browserbase.Sessions`) in both its CommonJS and ES builds, so patching its prototype
// covers every client, including the ones Stagehand creates internally.
import {
  type Attributes,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { type CallOutcome, observeCall } from './api-promise.js';
import type { Metrics } from './metrics.js';
import {
  ATTR_BROWSERBASE_LIST_COUNT,
  ATTR_BROWSERBASE_LIST_STATUS,
  ATTR_BROWSERBASE_OPERATION,
  ATTR_BROWSERBASE_PROJECT_ID,
  ATTR_BROWSERBASE_REGION,
  ATTR_BROWSERBASE_REQUESTED_STATUS,
  ATTR_BROWSERBASE_SESSION_ID,
  ATTR_BROWSERBASE_SESSION_KEEP_ALIVE,
  ATTR_BROWSERBASE_SESSION_TIMEOUT,
  ATTR_BROWSERBASE_USER_METADATA,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
} from './semconv.js';
import { debugAttributes, listedSessions, sessionAttributes, sessionData } from './session-data.js';
import type { SessionTracker } from './session-lifecycle.js';

export const SESSION_METHODS = ['create', 'retrieve', 'update', 'debug', 'list'] as const;
export type SessionMethod = (typeof SESSION_METHODS)[number];

export interface SessionsPatchContext {
  tracer: () => Tracer;
  metrics: () => Metrics;
  tracker: SessionTracker;
  captureUrls: () => boolean;
  enabled: () => boolean;
  warn: (message: string, error: unknown) => void;
}

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

const record = (value: unknown): Record<string, unknown> | undefined =>
  value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;

/**
 * The session timeout in seconds. The SDK names the parameter `api_timeout` (`timeout` is its
 * per-request option) and sends it as `timeout`; plain JavaScript callers may pass either.
 */
function sessionTimeout(params: Record<string, unknown> | undefined): number | undefined {
  const value = params?.['api_timeout'] ?? params?.['timeout'];
  return typeof value === 'number' ? value : undefined;
}

/** Attributes known before the call, from its arguments. */
function requestAttributes(method: SessionMethod, args: unknown[], captureUrls: boolean): Attributes {
  const attributes: Attributes = { [ATTR_BROWSERBASE_OPERATION]: `sessions.${method}` };
  if (method === 'create') {
    const params = record(args[0]);
    if (typeof params?.['projectId'] === 'string')
      attributes[ATTR_BROWSERBASE_PROJECT_ID] = params['projectId'];
    if (typeof params?.['region'] === 'string') attributes[ATTR_BROWSERBASE_REGION] = params['region'];
    if (typeof params?.['keepAlive'] === 'boolean')
      attributes[ATTR_BROWSERBASE_SESSION_KEEP_ALIVE] = params['keepAlive'];
    const timeout = sessionTimeout(params);
    if (timeout !== undefined) attributes[ATTR_BROWSERBASE_SESSION_TIMEOUT] = timeout;
    if (captureUrls && params?.['userMetadata'] !== undefined)
      attributes[ATTR_BROWSERBASE_USER_METADATA] = JSON.stringify(params['userMetadata']);
    return attributes;
  }
  if (method === 'list') {
    const status = record(args[0])?.['status'];
    if (typeof status === 'string') attributes[ATTR_BROWSERBASE_LIST_STATUS] = status;
    return attributes;
  }
  if (typeof args[0] === 'string') attributes[ATTR_BROWSERBASE_SESSION_ID] = args[0];
  if (method === 'update') {
    const status = record(args[1])?.['status'];
    if (typeof status === 'string') attributes[ATTR_BROWSERBASE_REQUESTED_STATUS] = status;
  }
  return attributes;
}

function errorType(error: unknown): string {
  const name = (error as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== 'Object' ? name : 'Error';
}

function finishSpan(
  span: Span,
  method: SessionMethod,
  args: unknown[],
  outcome: CallOutcome,
  ctx: SessionsPatchContext,
): void {
  try {
    if (outcome.statusCode !== undefined)
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, outcome.statusCode);
    if (outcome.error !== undefined) {
      recordFailure(span, method, args, outcome, ctx);
      return;
    }
    const captureUrls = ctx.captureUrls();
    if (method === 'list') {
      const sessions = listedSessions(outcome.data);
      if (sessions) span.setAttribute(ATTR_BROWSERBASE_LIST_COUNT, sessions.length);
      return;
    }
    if (method === 'debug') {
      span.setAttributes(debugAttributes(outcome.data, captureUrls));
      return;
    }
    const data = sessionData(outcome.data);
    if (data) span.setAttributes(sessionAttributes(data, captureUrls));
    if (method === 'create' && data) {
      ctx.tracker.opened(data, span, sessionTimeout(record(args[0])));
      return;
    }
    const id = typeof args[0] === 'string' ? args[0] : undefined;
    // A release answers with the session already COMPLETED: record it as released, not merely seen
    // ending, and take its final proxy bytes into the session's cost first.
    if (method === 'update' && id && record(args[1])?.['status'] === 'REQUEST_RELEASE')
      ctx.tracker.released(id, data);
    else if (data) ctx.tracker.observed(data);
  } catch (error) {
    ctx.warn(`browserbase sessions.${method}: could not record the result`, error);
  } finally {
    span.end();
  }
}

function recordFailure(
  span: Span,
  method: SessionMethod,
  args: unknown[],
  outcome: CallOutcome,
  ctx: SessionsPatchContext,
): void {
  const type = errorType(outcome.error);
  span.setAttribute(ATTR_ERROR_TYPE, type);
  if (outcome.error instanceof Error) span.recordException(outcome.error);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: outcome.error instanceof Error ? outcome.error.message : String(outcome.error),
  });
  if (method !== 'create') return;
  const params = record(args[0]);
  const labels: Attributes = { [ATTR_ERROR_TYPE]: type };
  if (outcome.statusCode !== undefined) labels[ATTR_HTTP_RESPONSE_STATUS_CODE] = outcome.statusCode;
  if (typeof params?.['region'] === 'string') labels[ATTR_BROWSERBASE_REGION] = params['region'];
  if (typeof params?.['projectId'] === 'string') labels[ATTR_BROWSERBASE_PROJECT_ID] = params['projectId'];
  ctx.metrics().failed.add(1, labels);
}

export function wrapSessionMethod(method: SessionMethod, original: AnyFunction, ctx: SessionsPatchContext) {
  return function patched(this: unknown, ...args: unknown[]): unknown {
    if (!ctx.enabled()) return original.apply(this, args);
    let span: Span;
    try {
      span = ctx.tracer().startSpan(`browserbase.sessions.${method}`, {
        kind: SpanKind.CLIENT,
        attributes: requestAttributes(method, args, ctx.captureUrls()),
      });
    } catch (error) {
      ctx.warn(`browserbase sessions.${method}: could not start a span`, error);
      return original.apply(this, args);
    }
    let result: unknown;
    try {
      result = context.with(trace.setSpan(context.active(), span), () => original.apply(this, args));
    } catch (error) {
      finishSpan(span, method, args, { error }, ctx);
      throw error;
    }
    try {
      observeCall(result, (outcome) => finishSpan(span, method, args, outcome, ctx));
    } catch (error) {
      ctx.warn(`browserbase sessions.${method}: could not observe the call`, error);
      span.end();
    }
    return result;
  };
}
