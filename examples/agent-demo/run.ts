// SPDX-License-Identifier: Apache-2.0
// `npm run demo`: the local stack as processes, a few minutes of mixed traffic (DEMO_DURATION seconds,
// default 150), then a summary of what reached Sentry and Prometheus. Ctrl-C stops early, cleanly.
import { startDemoStack } from './stack.js';
import { summarize } from './summary.js';
import { runWorkload } from './workload.js';

// 0 runs until stopped (the compose demo profile).
const durationS = Number(process.env['DEMO_DURATION'] ?? 150) || Number.POSITIVE_INFINITY;
const say = (line: string) => process.stdout.write(`${line}\n`);

const stack = await startDemoStack({
  pgUrl: process.env['PG_URL'] || undefined,
  redisUrl: process.env['REDIS_URL'] || undefined,
  intervalSeconds: Number(process.env['DEMO_INTERVAL'] ?? 5),
  log: say,
  external: process.env['DEMO_OTLP_ENDPOINT']
    ? { otlpUrl: process.env['DEMO_OTLP_ENDPOINT'], prometheusUrl: process.env['DEMO_PROMETHEUS_URL'] ?? '' }
    : undefined,
});
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await stack.stop();
};
process.once('SIGINT', () => void stop().then(() => process.exit(130)));
process.once('SIGTERM', () => void stop().then(() => process.exit(143)));

try {
  say(`API ${stack.apiUrl} · Prometheus ${stack.prometheus.url} · running traffic for ${durationS} s`);
  const stats = await runWorkload(stack, durationS * 1000, (s) =>
    say(`  ${s.requests} requests so far ${JSON.stringify(s.byStatus)}`),
  );
  say(
    `traffic done: ${stats.requests} requests ${JSON.stringify(stats.byStatus)}; waiting for the last scrape`,
  );
  // One more export, flush and scrape cycle, so the summary includes the end of the run.
  await new Promise((resolve) => setTimeout(resolve, 15_000));
  say(await summarize(stack.prometheus, stack.sentry));
} finally {
  await stop();
}
