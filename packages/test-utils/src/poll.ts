// SPDX-License-Identifier: Apache-2.0

const POLL_INTERVAL_MS = 50;

/**
 * Calls `check` until it returns something other than undefined. A `check` that throws counts as "not
 * yet", and its last error goes into the timeout message, so `expect` can be used inside it.
 */
export async function pollUntil<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  describeTimeout: (lastError: unknown) => string,
  intervalMs = POLL_INTERVAL_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const result = await check();
      if (result !== undefined) return result;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) throw new Error(describeTimeout(lastError));
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
