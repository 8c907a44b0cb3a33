// SPDX-License-Identifier: Apache-2.0
// The demo's worker: research jobs open a Browserbase session, "browse", summarise with an LLM and
// store the report; digest jobs are slow on purpose so a backlog builds. Some research jobs fail and
// are retried, and a job asked to `leak` never releases its browser session (the stuck-session
// watchdog reports it). No telemetry code: run it under the preload.
//   PG_URL=… REDIS_URL=… ANTHROPIC_BASE_URL=… BROWSERBASE_BASE_URL=… BROWSERBASE_API_KEY=… \
//   node --import @otel-preset/node/register examples/agent-demo/worker.mjs
import Browserbase from '@browserbasehq/sdk';
import { Worker } from 'bullmq';
import { complete, pool, queueOptions, sleep } from './shared.mjs';

const browserbase = new Browserbase({ maxRetries: 0 });
const projectId = process.env.BROWSERBASE_PROJECT_ID;

class FlakySiteError extends Error {
  name = 'FlakySiteError';
}

async function runResearch(job) {
  const session = await browserbase.sessions.create({ projectId, timeout: 600, keepAlive: job.data.leak });
  try {
    await browserbase.sessions.retrieve(session.id);
    await sleep(150 + Math.random() * 350); // the page loads and the agent reads it
    // `fail: 'always'` never recovers; `fail: true` succeeds on the last attempt.
    if (job.data.fail === 'always' || (job.data.fail && job.attemptsMade < 2)) {
      throw new FlakySiteError(`could not load the sources for ${job.data.topic}`);
    }
    const summary = await complete('anthropic', `Summarise what you found about ${job.data.topic}`, {
      stream: true,
    });
    const { rows } = await pool.query('INSERT INTO reports (topic, summary) VALUES ($1, $2) RETURNING id', [
      job.data.topic,
      summary,
    ]);
    return { report: rows[0].id };
  } finally {
    if (!job.data.leak) {
      await browserbase.sessions.update(session.id, { projectId, status: 'REQUEST_RELEASE' });
    }
  }
}

const workers = [
  new Worker('research', runResearch, { ...queueOptions, concurrency: 2 }),
  new Worker(
    'digests',
    async (job) => {
      await sleep(1200);
      await complete('gemini', `Write digest ${job.data.n}`);
    },
    { ...queueOptions, concurrency: 1 },
  ),
];
for (const worker of workers)
  worker.on('error', (error) => process.stderr.write(`worker error: ${error.message}\n`));
await Promise.all(workers.map((worker) => worker.waitUntilReady()));
process.stdout.write('agent-worker ready\n');

async function stop() {
  await Promise.allSettled(workers.map((worker) => worker.close()));
  await pool.end();
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
