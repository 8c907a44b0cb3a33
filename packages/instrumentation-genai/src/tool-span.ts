// SPDX-License-Identifier: Apache-2.0
// `execute_tool {name}` spans around the application's own tool functions: the model only asks for
// a tool call; running it is the app's code, which no SDK patch can see. `startToolSpan` is the shared
// shape; `withToolSpan` wraps a function, and the AI SDK channel drives it from its events.
import {
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_ID,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_GEN_AI_TOOL_DESCRIPTION,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_TOOL_TYPE,
  ATTR_SENTRY_OP,
} from './attributes.js';
import { CAPTURE_ENV, onSpan, parseCaptureMode, toJson } from './content.js';
import { PACKAGE_NAME, VERSION } from './version.js';

export interface ToolSpanOptions {
  /** The model's id for this call (`tool_call.id`), to join the request and the execution. */
  callId?: string;
  description?: string;
  /** `function` (default), `extension` or `datastore`. */
  type?: 'function' | 'extension' | 'datastore';
  /** gen_ai.provider.name of the model that asked for the call. */
  provider?: string;
  /** Recorded as gen_ai.tool.call.arguments only when content capture is on. */
  arguments?: unknown;
  /** Overrides OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT for arguments and result. */
  captureContent?: boolean;
}

/** An open tool span: end it with `succeed` or `fail` (only the first call counts). */
export interface ToolSpan {
  readonly span: Span;
  /** The span's context, for work the tool does (nested model calls, HTTP). */
  readonly context: Context;
  succeed(result: unknown): void;
  fail(error: unknown): void;
}

function errorType(error: unknown): string {
  const name = (error as { constructor?: { name?: string } } | undefined)?.constructor?.name;
  return name && name !== 'Object' ? name : '_OTHER';
}

/** Starts an `execute_tool {name}` span (INTERNAL) under the active context. */
export function startToolSpan(
  tracer: Tracer,
  name: string,
  options: ToolSpanOptions & { captureContent: boolean },
): ToolSpan {
  const capture = options.captureContent;
  const span = tracer.startSpan(`execute_tool ${name}`, {
    kind: SpanKind.INTERNAL,
    attributes: {
      [ATTR_GEN_AI_OPERATION_NAME]: 'execute_tool',
      [ATTR_SENTRY_OP]: 'gen_ai.execute_tool',
      [ATTR_GEN_AI_TOOL_NAME]: name,
      [ATTR_GEN_AI_TOOL_TYPE]: options.type ?? 'function',
      ...(options.callId ? { [ATTR_GEN_AI_TOOL_CALL_ID]: options.callId } : {}),
      ...(options.description ? { [ATTR_GEN_AI_TOOL_DESCRIPTION]: options.description } : {}),
      ...(options.provider ? { [ATTR_GEN_AI_PROVIDER_NAME]: options.provider } : {}),
    },
  });
  if (capture && options.arguments !== undefined) {
    const json = toJson(options.arguments);
    if (json !== undefined) span.setAttribute(ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, json);
  }
  let ended = false;
  return {
    span,
    context: trace.setSpan(context.active(), span),
    succeed(result) {
      if (ended) return;
      ended = true;
      if (capture && result !== undefined) {
        const json = toJson(result);
        if (json !== undefined) span.setAttribute(ATTR_GEN_AI_TOOL_CALL_RESULT, json);
      }
      span.end();
    },
    fail(error) {
      if (ended) return;
      ended = true;
      span.setAttribute(ATTR_ERROR_TYPE, errorType(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
      if (error instanceof Error) span.recordException(error);
      span.end();
    },
  };
}

/**
 * Runs `fn` inside an `execute_tool {name}` span (INTERNAL) and returns what it returns, sync or
 * async. Errors are recorded and rethrown unchanged.
 */
export function withToolSpan<T>(name: string, fn: () => T, options: ToolSpanOptions = {}): T {
  let tool: ToolSpan;
  try {
    tool = startToolSpan(trace.getTracer(PACKAGE_NAME, VERSION), name, {
      ...options,
      captureContent: options.captureContent ?? onSpan(parseCaptureMode(process.env[CAPTURE_ENV])),
    });
  } catch {
    return fn();
  }
  let result: T;
  try {
    result = context.with(tool.context, fn);
  } catch (error) {
    tool.fail(error);
    throw error;
  }
  if (result instanceof Promise) {
    // A side chain: the caller keeps its own promise and its own rejection handling.
    result.then(tool.succeed, tool.fail);
    return result;
  }
  tool.succeed(result);
  return result;
}
