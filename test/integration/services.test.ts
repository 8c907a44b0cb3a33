// SPDX-License-Identifier: Apache-2.0
import { Redis } from 'ioredis';
import pg from 'pg';
import { expect, inject, it } from 'vitest';

it('connects to PostgreSQL at the injected URL', async () => {
  const pgUrl = inject('pgUrl');
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    const result = await client.query<{ one: number; db: string }>(
      'SELECT 1 AS one, current_database() AS db',
    );
    expect(result.rows).toEqual([{ one: 1, db: new URL(pgUrl).pathname.slice(1) }]);
  } finally {
    await client.end();
  }
});

it('connects to Redis at the injected URL', async () => {
  const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 });
  try {
    expect(await redis.ping()).toBe('PONG');
  } finally {
    redis.disconnect();
  }
});
