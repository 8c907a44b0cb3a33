// SPDX-License-Identifier: Apache-2.0
// Helpers the provider files share: reading loosely typed SDK values, and wrapping the SDKs' promise
// types without changing what the caller receives.
import { type Attributes, context, diag } from '@opentelemetry/api';
import type { Operation, OperationRequest } from '../operation.js';
import { observeIterator } from '../streams.js';

export type Obj = Record<string, unknown>;

/** Starts an operation, or returns undefined when the instrumentation is off or failed to start one. */
export type StartOperation = (request: OperationRequest) => Operation | undefined;

export const obj = (value: unknown): Obj | undefined =>
  value && typeof value === 'object' ? (value as Obj) : undefined;
export const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;
export const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Attributes without the undefined entries. */
export function defined(entries: Record<string, unknown>): Attributes {
  const attributes: Attributes = {};
  for (const [key, value] of Object.entries(entries)) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      attributes[key] = value;
    else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) attributes[key] = value;
  }
  return attributes;
}

export function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  return undefined;
}

export function safely<T>(step: () => T): T | undefined {
  try {
    return step();
  } catch (error) {
    diag.debug('@otel-preset/instrumentation-genai: instrumentation step failed', error);
    return undefined;
  }
}

interface StainlessPromise<T> extends Promise<T> {
  _thenUnwrap<U>(transform: (data: T, props: unknown) => U): StainlessPromise<U>;
  asResponse(): Promise<unknown>;
}

const isStainlessPromise = (value: unknown): value is StainlessPromise<unknown> =>
  value instanceof Promise &&
  typeof (value as Partial<StainlessPromise<unknown>>)._thenUnwrap === 'function' &&
  typeof (value as Partial<StainlessPromise<unknown>>).asResponse === 'function';

/**
 * Runs an SDK method (OpenAI and Anthropic, both Stainless-generated) inside the operation's context
 * and hooks its result. The SDKs return an `APIPromise` whose body is parsed only when someone awaits
 * it; `_thenUnwrap` gives back an `APIPromise` (with `withResponse()`/`asResponse()`) that applies
 * `onData` at that point. HTTP errors are observed on `asResponse()`, which never reads the body.
 */
export function observeApiCall(
  operation: Operation,
  call: () => unknown,
  onData: (data: unknown) => void,
): unknown {
  let result: unknown;
  try {
    result = context.with(operation.context, call);
  } catch (error) {
    operation.fail(error);
    operation.end();
    throw error;
  }
  if (isStainlessPromise(result)) {
    const failed = (error: unknown) => {
      operation.fail(error);
      operation.end();
    };
    result.asResponse().then(undefined, failed);
    return result._thenUnwrap((data) => {
      observeData(operation, onData, data);
      return data;
    });
  }
  if (result instanceof Promise) {
    // Registered before the caller's own handlers, so a stream is observed before anyone reads it.
    result.then(
      (data) => observeData(operation, onData, data),
      (error) => {
        operation.fail(error);
        operation.end();
      },
    );
    return result;
  }
  observeData(operation, onData, result);
  return result;
}

/** If reading the result fails, the span still ends rather than leak. */
function observeData(operation: Operation, onData: (data: unknown) => void, data: unknown) {
  try {
    onData(data);
  } catch (error) {
    diag.debug('@otel-preset/instrumentation-genai: could not read the response', error);
    operation.end();
  }
}

/**
 * Observes a Stainless `Stream` (OpenAI, Anthropic) by replacing its iterator factory on the instance,
 * so whoever iterates (the caller, `tee()`, `toReadableStream()`, the SDK's helpers) is observed and
 * the object keeps its class and methods. The SDKs end an aborted stream quietly; the span says so.
 */
export function observeSdkStream(
  stream: unknown,
  operation: Operation,
  onChunk: (chunk: Obj) => boolean,
  onEnd: () => void,
): void {
  const target = obj(stream);
  const iteratorFactory = target?.iterator;
  if (!target || typeof iteratorFactory !== 'function') {
    operation.end();
    return;
  }
  target.iterator = function observedIterator(this: unknown, ...args: unknown[]) {
    const iterator = iteratorFactory.apply(this, args) as AsyncIterator<unknown>;
    return observeIterator(iterator, operation, {
      onChunk: (chunk) => onChunk(obj(chunk) ?? {}),
      onEnd: (reason) => {
        onEnd();
        const signal = obj(target.controller)?.signal as AbortSignal | undefined;
        if (reason === 'complete' && signal?.aborted) operation.fail(abortError());
      },
    });
  };
}

function abortError(): Error {
  const error = new Error('the request was aborted before the stream completed');
  error.name = 'AbortError';
  return error;
}
