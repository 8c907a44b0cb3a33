// SPDX-License-Identifier: Apache-2.0
import { type ServiceCleanup, startPostgres, startRedis } from '@otel-preset/test-utils';
import type { TestProject } from 'vitest/node';

// Throwaway PostgreSQL and Redis for the integration project. Tests read the
// connection URLs with `inject('pgUrl')` / `inject('redisUrl')`. Setting PG_URL
// and/or REDIS_URL skips starting the corresponding server (e.g. in CI with
// service containers).

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cleanups: ServiceCleanup[] = [];
  const teardown = async () => {
    // Reverse order: stop servers before deleting their directories.
    const errors: unknown[] = [];
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => errors.push(error));
    }
    cleanups.length = 0;
    if (errors.length) throw new AggregateError(errors, 'stopping test services failed');
  };
  // allSettled, not all: a failure must not tear down while the other server is still starting.
  const [postgres, redis] = await Promise.allSettled([
    process.env.PG_URL || startPostgres(cleanups),
    process.env.REDIS_URL || startRedis(cleanups),
  ]);
  if (postgres.status === 'rejected' || redis.status === 'rejected') {
    await teardown().catch(() => {});
    const failures = [postgres, redis].flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
    throw failures.length === 1
      ? failures[0]
      : new AggregateError(failures, failures.map((f) => f.message).join('\n\n'));
  }
  project.provide('pgUrl', postgres.value);
  project.provide('redisUrl', redis.value);
  return teardown;
}
