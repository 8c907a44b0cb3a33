// SPDX-License-Identifier: Apache-2.0
// Reference app for the start-up benchmark: loads the libraries a typical AI-agent service loads and builds
// its clients, but opens no connection, so what gets timed is module loading, patching and SDK set-up rather
// than network round trips. It must exit on its own: the harness times spawn-to-exit, which includes any
// flush a preload does on the way out.
import { Queue } from 'bullmq';
import express from 'express';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import pg from 'pg';

// Nothing listens on these ports; the clients are never asked to talk to them.
const LOOPBACK = '127.0.0.1';

const app = express();
app.get('/healthz', (_req, res) => {
  res.json({ ok: true });
});

const pool = new pg.Pool({ host: LOOPBACK, port: 5432, user: 'bench', database: 'bench', max: 1 });
const redis = new Redis({ host: LOOPBACK, port: 6379, lazyConnect: true, maxRetriesPerRequest: 0 });
const openai = new OpenAI({ apiKey: 'sk-bench-not-a-real-key', baseURL: `http://${LOOPBACK}:9/v1` });

// A Queue would connect to Redis as soon as it is built, so only the class is touched: enough to load the
// module graph that an instrumentation would hook.
if (typeof Queue !== 'function' || typeof openai.chat?.completions?.create !== 'function') {
  throw new Error('unexpected library shape');
}

const server = app.listen(0, LOOPBACK, (listenErr) => {
  if (listenErr) throw listenErr;
  server.close((err) => {
    if (err) throw err;
    // The Redis client is still in its lazy 'wait' state and the pool has no client, so neither holds a
    // socket; ending them anyway keeps the app honest if either library changes that.
    redis.disconnect();
    pool.end().catch(() => {});
  });
});
