// SPDX-License-Identifier: Apache-2.0
// Observes a Stainless `APIPromise` without changing what the caller gets. Calling `.then()` on it
// would parse the body and break `.asResponse()`, so we never do. When the caller parses (await,
// `.then`, `.withResponse()`), we wrap the instance's `parseResponse` and see the same data just
// before the caller does, so the span has ended by the time their code continues. When nobody has
// parsed by the time the response arrives (a fire-and-forget release, `.asResponse()`), we read a
// clone: our handler runs before any the caller adds later, so the body is still unread.

export interface CallOutcome {
  error?: unknown;
  /** The parsed JSON body, when there was one. */
  data?: unknown;
  statusCode?: number;
}

interface ResponseLike {
  status?: number;
  headers?: { get(name: string): string | null };
  clone(): { json(): Promise<unknown> };
}

interface ApiPromiseLike {
  responsePromise: Promise<{ response?: ResponseLike } | undefined>;
  parseResponse?: (props: unknown) => unknown;
  parsedPromise?: unknown;
}

const isApiPromise = (value: unknown): value is ApiPromiseLike =>
  value instanceof Promise &&
  typeof (value as { asResponse?: unknown }).asResponse === 'function' &&
  (value as { responsePromise?: unknown }).responsePromise instanceof Promise;

/** Calls `done` exactly once with how the call ended. Never throws, never leaves a rejection unhandled. */
export function observeCall(result: unknown, done: (outcome: CallOutcome) => void): void {
  let called = false;
  const finish = (outcome: CallOutcome) => {
    if (called) return;
    called = true;
    try {
      done(outcome);
    } catch {
      // Telemetry bookkeeping must never surface in the app.
    }
  };

  if (isApiPromise(result)) {
    let statusCode: number | undefined;
    const parse = result.parseResponse;
    if (typeof parse === 'function') {
      result.parseResponse = function parseObserved(this: unknown, props: unknown) {
        const parsed = parse.call(this, props);
        Promise.resolve(parsed).then(
          (data: unknown) => finish({ data, statusCode }),
          (error: unknown) => finish({ error, statusCode }),
        );
        return parsed;
      };
    }
    result.responsePromise.then(
      (props) => {
        statusCode = typeof props?.response?.status === 'number' ? props.response.status : undefined;
        if (result.parsedPromise === undefined) void readBody(props?.response).then(finish);
      },
      (error: unknown) => finish({ error, statusCode: statusOf(error) }),
    );
    return;
  }
  // Not the SDK's own promise (a future major, or a wrapper): observe it as a plain promise.
  if (result instanceof Promise) {
    result.then(
      (data: unknown) => finish({ data }),
      (error: unknown) => finish({ error, statusCode: statusOf(error) }),
    );
    return;
  }
  finish({ data: result });
}

async function readBody(response: ResponseLike | undefined): Promise<CallOutcome> {
  const statusCode = typeof response?.status === 'number' ? response.status : undefined;
  try {
    const type = response?.headers?.get('content-type') ?? '';
    if (!response || !type.includes('json')) return { statusCode };
    return { statusCode, data: await response.clone().json() };
  } catch {
    return { statusCode };
  }
}

export function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}
