// SPDX-License-Identifier: Apache-2.0
// The server every variant runs, unchanged: only the preload differs. Three routes, each a typical
// shape of request in an AI-agent service:
//   GET /db       one PostgreSQL query and one Redis INCR
//   GET /llm      one OpenAI chat completion, answered by the local emulator
//   GET /enqueue  one BullMQ job added to a queue (nothing consumes it; the harness empties Redis)
// Connection settings come from the harness (BENCH_PG_URL, BENCH_REDIS_URL, BENCH_OPENAI_URL). The
// port it listens on is written to stdout as `listening <port>`.
import { Queue } from 'bullmq';
import express from 'express';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import pg from 'pg';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; start this app through bench/throughput/run.mjs`);
  return value;
};

const redisUrl = new URL(env('BENCH_REDIS_URL'));
// As many database connections as the load generator has, so requests never queue for a client.
const pool = new pg.Pool({ connectionString: env('BENCH_PG_URL'), max: 20 });
const redis = new Redis(env('BENCH_REDIS_URL'));
const queue = new Queue('bench', {
  connection: { host: redisUrl.hostname, port: Number(redisUrl.port) },
});
const openai = new OpenAI({
  apiKey: 'sk-bench-not-a-real-key',
  baseURL: env('BENCH_OPENAI_URL'),
  maxRetries: 0,
});

const app = express();
// Most apps parse bodies app-wide; it is a middleware layer every request passes through.
app.use(express.json());

app.get('/db', async (req, res, next) => {
  try {
    const id = Number(req.query.id ?? 1);
    const { rows } = await pool.query('SELECT $1::int AS id, now() AS at', [id]);
    const hits = await redis.incr('bench:hits');
    res.json({ id: rows[0].id, hits });
  } catch (error) {
    next(error);
  }
});

app.get('/llm', async (_req, res, next) => {
  try {
    const completion = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Say hello.' }],
    });
    res.json({ text: completion.choices[0]?.message?.content ?? '' });
  } catch (error) {
    next(error);
  }
});

app.get('/enqueue', async (_req, res, next) => {
  try {
    const job = await queue.add('email', { to: 'user@example.com', template: 'welcome' });
    res.json({ id: job.id });
  } catch (error) {
    next(error);
  }
});

const server = app.listen(0, '127.0.0.1', (error) => {
  if (error) throw error;
  process.stdout.write(`listening ${server.address().port}\n`);
});

// The harness stops the server with SIGTERM; closing the clients lets every variant exit the same way.
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  Promise.allSettled([pool.end(), queue.close(), redis.quit()]).finally(() => process.exit(0));
});
