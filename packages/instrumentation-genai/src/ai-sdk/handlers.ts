// SPDX-License-Identifier: Apache-2.0
// What each `ai:telemetry` event becomes. A handler runs in `start` (the caller's async context) and
// returns a Tracker: the context to make active for the work inside the event, and what to do when
// the event settles or fails.
import { type Context, context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_SENTRY_OP,
} from '../attributes.js';
import { onSpan } from '../content.js';
import { errorType, Operation, type OperationDeps } from '../operation.js';
import { type Obj, obj, str } from '../providers/common.js';
import { startToolSpan } from '../tool-span.js';
import {
  chatRequest,
  embeddingsRequest,
  embeddingsResponse,
  generateResponse,
  providerName,
  StreamedResponse,
  serverOf,
} from './events.js';
import { currentStep, markModelCall, type StepScope, withStep } from './scope.js';
import { observeModelStream } from './stream.js';

export interface Tracker {
  /** Made active between `start` and `end`, so nested events and HTTP spans are its children. */
  readonly context: Context;
  /** The event completed; `result` is the AI SDK's telemetry copy (absent when it records none). */
  settle(result: unknown): void;
  fail(error: unknown): void;
}

export type Handler = (deps: OperationDeps, event: Obj) => Tracker;

/** A streamed call ends when its stream does, or at the latest with its step. */
function settleStream(operation: Operation, result: Obj): void {
  operation.update({ ...serverOf(result.request), attributes: { [ATTR_GEN_AI_REQUEST_STREAM]: true } });
  const step = currentStep();
  const streamed = new StreamedResponse();
  const observed = observeModelStream(result.stream, {
    onPart(part) {
      if (streamed.add(part)) operation.chunk();
      // Known before most output parts, so the chunk metrics carry the response model.
      if (part.type === 'response-metadata') operation.update(streamed.response);
    },
    onEnd(reason) {
      step?.pending.delete(operation);
      operation.update(streamed.result());
      if (streamed.error !== undefined) operation.fail(streamed.error);
      if (reason !== undefined) operation.fail(reason);
      operation.end();
    },
  });
  if (observed && !step) return;
  if (step) step.pending.add(operation);
  else operation.end();
}

const languageModelCall: Handler = (deps, event) => {
  const operation = new Operation(deps, chatRequest(event));
  return {
    context: markModelCall(operation.context),
    fail: (error) => operation.fail(error),
    settle(result) {
      const value = obj(result);
      if (value && 'stream' in value) return settleStream(operation, value);
      if (value) operation.update(generateResponse(value));
      operation.end();
    },
  };
};

const embeddings: Handler = (deps, event) => {
  const operation = new Operation(deps, embeddingsRequest(event));
  return {
    context: markModelCall(operation.context),
    fail: (error) => operation.fail(error),
    settle(result) {
      const value = obj(result);
      if (value) operation.update(embeddingsResponse(value));
      operation.end();
    },
  };
};

const executeTool: Handler = (deps, event) => {
  const call = obj(event.toolCall) ?? {};
  const tool = startToolSpan(deps.tracer, str(call.toolName) ?? 'unknown', {
    callId: str(call.toolCallId),
    arguments: call.input,
    captureContent: onSpan(deps.capture),
  });
  return {
    context: tool.context,
    fail: tool.fail,
    settle(result) {
      // Tool failures resolve as `{ output: { type: 'tool-error', error } }`; the loop goes on.
      const output = obj(obj(result)?.output);
      if (output?.type === 'tool-error') tool.fail(output.error);
      else tool.succeed(output?.output);
    },
  };
};

/**
 * `generateText` / `streamText`: an INTERNAL `invoke_agent` span grouping the model calls and tool
 * executions of one call. It records no metrics and no usage, so nothing is counted twice.
 */
const invokeAgent: Handler = (deps, event) => {
  const name = str(event.functionId);
  const model = str(event.modelId);
  const span = deps.tracer.startSpan(name ? `invoke_agent ${name}` : 'invoke_agent', {
    kind: SpanKind.INTERNAL,
    attributes: {
      [ATTR_GEN_AI_OPERATION_NAME]: 'invoke_agent',
      [ATTR_SENTRY_OP]: 'gen_ai.invoke_agent',
      [ATTR_GEN_AI_PROVIDER_NAME]: providerName(event.provider),
      ...(model ? { [ATTR_GEN_AI_REQUEST_MODEL]: model } : {}),
      ...(name ? { 'gen_ai.agent.name': name } : {}),
    },
  });
  let failed = false;
  return {
    context: trace.setSpan(context.active(), span),
    fail(error) {
      if (failed) return;
      failed = true;
      span.setAttribute(ATTR_ERROR_TYPE, errorType(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
      if (error instanceof Error) span.recordException(error);
    },
    settle: () => span.end(),
  };
};

/** A step has no span; it only closes streamed model calls its stream did not close. */
const step: Handler = () => {
  const scope: StepScope = { pending: new Set() };
  let error: unknown;
  return {
    context: withStep(context.active(), scope),
    fail(reason) {
      error = reason;
    },
    settle() {
      for (const operation of scope.pending) {
        if (error !== undefined) operation.fail(error);
        operation.end();
      }
      scope.pending.clear();
    },
  };
};

export const HANDLERS: Record<string, Handler> = {
  generateText: invokeAgent,
  streamText: invokeAgent,
  step,
  languageModelCall,
  executeTool,
  embed: embeddings,
  embedMany: embeddings,
};
