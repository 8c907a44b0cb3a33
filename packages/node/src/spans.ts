// SPDX-License-Identifier: Apache-2.0
// Typed helpers to wrap the app's own work in spans.
import { type Attributes, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { errorClassName } from './error-type.js';
import { VERSION } from './version.js';

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
}

const tracer = () => trace.getTracer('@otel-preset/node', VERSION);

/** Marks a span failed by `error`: exception event, error status and `error.type`. */
export function recordFailure(span: Span, error: unknown): void {
  const exception = error instanceof Error ? error : new Error(String(error));
  span.recordException(exception);
  span.setStatus({ code: SpanStatusCode.ERROR, message: exception.message });
  span.setAttribute('error.type', errorClassName(exception));
}

/**
 * Runs `fn` inside an active span that ends when `fn` returns or its promise settles. Errors are
 * recorded on the span and rethrown unchanged; the return value is passed through untouched.
 */
export function withSpan<T>(name: string, fn: (span: Span) => T, options: SpanOptions = {}): T {
  return tracer().startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
    (span) => {
      let result: T;
      try {
        result = fn(span);
      } catch (error) {
        recordFailure(span, error);
        span.end();
        throw error;
      }
      if (result instanceof Promise) {
        return result.then(
          (value) => {
            span.end();
            return value;
          },
          (error: unknown) => {
            recordFailure(span, error);
            span.end();
            throw error;
          },
        ) as T;
      }
      span.end();
      return result;
    },
  );
}

/** Wraps a function so that every call runs in a span named `name`. */
export function traced<Args extends unknown[], R>(
  name: string,
  fn: (...args: Args) => R,
  options?: SpanOptions,
): (...args: Args) => R {
  return function tracedFunction(this: unknown, ...args: Args): R {
    return withSpan(name, () => fn.apply(this, args), options);
  };
}
