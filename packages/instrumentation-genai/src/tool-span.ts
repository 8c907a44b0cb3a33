// SPDX-License-Identifier: Apache-2.0
// `execute_tool {name}` spans around the application's own tool functions: the model only asks for
// a tool call; running it is the app's code, which no SDK patch can see.
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
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

function errorType(error: unknown): string {
  const name = (error as { constructor?: { name?: string } } | undefined)?.constructor?.name;
  return name && name !== 'Object' ? name : '_OTHER';
}

/**
 * Runs `fn` inside an `execute_tool {name}` span (INTERNAL) and returns what it returns, sync or
 * async. Errors are recorded and rethrown unchanged.
 */
export function withToolSpan<T>(name: string, fn: () => T, options: ToolSpanOptions = {}): T {
  const capture = options.captureContent ?? onSpan(parseCaptureMode(process.env[CAPTURE_ENV]));
  let span: ReturnType<ReturnType<typeof trace.getTracer>['startSpan']> | undefined;
  try {
    span = trace.getTracer(PACKAGE_NAME, VERSION).startSpan(`execute_tool ${name}`, {
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
  } catch {
    return fn();
  }
  const active = span;
  const succeed = (result: unknown) => {
    if (capture && result !== undefined) {
      const json = toJson(result);
      if (json !== undefined) active.setAttribute(ATTR_GEN_AI_TOOL_CALL_RESULT, json);
    }
    active.end();
  };
  const failed = (error: unknown) => {
    active.setAttribute(ATTR_ERROR_TYPE, errorType(error));
    active.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
    if (error instanceof Error) active.recordException(error);
    active.end();
  };
  let result: T;
  try {
    result = context.with(trace.setSpan(context.active(), active), fn);
  } catch (error) {
    failed(error);
    throw error;
  }
  if (result instanceof Promise) {
    // A side chain: the caller keeps its own promise and its own rejection handling.
    result.then(succeed, failed);
    return result;
  }
  succeed(result);
  return result;
}
