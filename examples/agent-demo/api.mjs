// SPDX-License-Identifier: Apache-2.0
// The demo's HTTP API: chat with any of three LLM providers, start research jobs that a worker runs in a
// browser, and read the reports back from PostgreSQL with a Redis cache in front. No telemetry code:
// run it under the preload.
//   PG_URL=… REDIS_URL=… OPENAI_BASE_URL=… ANTHROPIC_BASE_URL=… GEMINI_BASE_URL=… \
//   node --import @otel-preset/node/register examples/agent-demo/api.mjs
import { Queue } from 'bullmq';
import express from 'express';
import { Redis } from 'ioredis';
import { complete, connection, pool, queueOptions } from './shared.mjs';

await pool.query(`CREATE TABLE IF NOT EXISTS reports (
  id serial PRIMARY KEY, topic text NOT NULL, summary text, created_at timestamptz DEFAULT now())`);

const cache = new Redis(connection);
const research = new Queue('research', queueOptions);
const digests = new Queue('digests', queueOptions);
const JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'fixed', delay: 300 },
  removeOnComplete: 200,
  removeOnFail: 200,
};

const app = express();
app.use(express.json());

app.get('/healthz', (_req, res) => {
  res.send('ok');
});

app.post('/api/chat', async (req, res) => {
  const { provider = 'openai', prompt = 'hello', stream = false } = req.body ?? {};
  try {
    res.json({ provider, answer: await complete(provider, prompt, { stream }) });
  } catch (error) {
    // The provider's own status (429, 500) is the interesting part; the client just sees a bad gateway.
    res.status(502).json({ error: `${provider} failed: ${error.status ?? error.message}` });
  }
});

app.post('/api/research', async (req, res) => {
  const { topic = 'otel', fail = false, leak = false } = req.body ?? {};
  try {
    const plan = await complete('openai', `Plan a short web research on ${topic}`);
    const job = await research.add('research', { topic, plan, fail, leak }, JOB_OPTIONS);
    res.status(202).json({ job: job.id });
  } catch (error) {
    res.status(502).json({ error: `planning failed: ${error.status ?? error.message}` });
  }
});

app.post('/api/digests', async (req, res) => {
  const count = Math.min(Number(req.body?.count ?? 1), 50);
  await digests.addBulk(Array.from({ length: count }, (_, n) => ({ name: 'digest', data: { n } })));
  res.status(202).json({ queued: count });
});

app.get('/api/reports', async (req, res) => {
  // The slow query of the demo: a report search that sometimes takes its time.
  const delay = Number(req.query.slow ?? 0) > 0 ? 0.2 + Math.random() * 0.4 : 0;
  const { rows } = await pool.query(
    'SELECT id, topic, created_at FROM reports, pg_sleep($1) ORDER BY id DESC LIMIT 20',
    [delay],
  );
  res.json(rows);
});

app.get('/api/reports/:id', async (req, res) => {
  const key = `report:${req.params.id}`;
  const cached = await cache.get(key);
  if (cached) return res.type('json').send(cached);
  const { rows } = await pool.query('SELECT id, topic, summary FROM reports WHERE id = $1', [
    Number(req.params.id) || 0,
  ]);
  if (!rows[0]) return res.status(404).json({ error: 'no such report' });
  await cache.set(key, JSON.stringify(rows[0]), 'EX', 30);
  res.json(rows[0]);
});

const server = app.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  process.stdout.write(`agent-api listening ${server.address().port}\n`);
});

async function stop() {
  server.close();
  await Promise.allSettled([research.close(), digests.close(), cache.quit(), pool.end()]);
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
