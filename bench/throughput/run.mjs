// SPDX-License-Identifier: Apache-2.0
// Throughput, latency and memory of the same app served bare and under each preload, against real
// PostgreSQL and Redis, the OpenAI emulator and a live local receiver. See bench/README.md.
import './ts-hooks.mjs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { ensurePeers, peerUrl } from './peers.mjs';

export { ensurePeers };

import { describeMachine, formatTable, summarize, verdicts } from './report.mjs';
import { cpuSeconds, rssBytes, startServer } from './server.mjs';
import { startSink } from './sink.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const RESULTS_DIR = join(HERE, '..', 'results');
const OURS = 'otel-preset';
const TARGETS = { minRpsRatio: 0.8, maxP99Ratio: 1.5, maxRssDeltaMiB: 60 };
const RSS_SAMPLE_MS = 250;

const VARIANTS = [
  { name: 'bare', imports: () => [] },
  { name: OURS, imports: () => ['@otel-preset/node/register'] },
  { name: 'otel-auto', imports: () => ['@opentelemetry/auto-instrumentations-node/register'] },
  { name: 'sentry', imports: () => [pathToFileURL(join(HERE, '..', 'startup', 'peers', 'sentry.mjs')).href] },
  { name: 'elastic', imports: () => [peerUrl('@elastic/opentelemetry-node', 'import.mjs')] },
];
const ROUTES = ['db', 'llm', 'enqueue'];

const USAGE = `Usage: npm run bench -- [--rounds N] [--duration S] [--warmup S] [--connections N]
                        [--only a,b] [--routes a,b] [--json]

  --rounds N       measured rounds; each runs every variant on every route once (default 3, env BENCH_ROUNDS)
  --duration S     measured seconds per run (default 5, env BENCH_DURATION)
  --warmup S       unmeasured seconds of load before each run (default 2, env BENCH_WARMUP)
  --connections N  concurrent keep-alive connections (default 20)
  --only LIST      variants to run; bare is always added as the baseline
  --routes LIST    routes to load (default ${ROUTES.join(',')})
  --json           print the results as JSON instead of a table

Variants: ${VARIANTS.map((v) => v.name).join(', ')}`;

function fail(message) {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function parseCli() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        rounds: { type: 'string', default: process.env.BENCH_ROUNDS ?? '3' },
        duration: { type: 'string', default: process.env.BENCH_DURATION ?? '5' },
        warmup: { type: 'string', default: process.env.BENCH_WARMUP ?? '2' },
        connections: { type: 'string', default: '20' },
        only: { type: 'string' },
        routes: { type: 'string', default: ROUTES.join(',') },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    fail(error.message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const positive = (name, integer) => {
    const n = Number(values[name]);
    if (!(n > 0) || (integer && !Number.isInteger(n)))
      fail(`--${name} must be a positive number, got ${values[name]}`);
    return n;
  };
  const list = (value, known, what) => {
    const names = value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = names.filter((n) => !known.includes(n));
    if (unknown.length) fail(`unknown ${what}: ${unknown.join(', ')}`);
    return names;
  };
  const names = VARIANTS.map((v) => v.name);
  const only = values.only ? new Set(['bare', ...list(values.only, names, 'variant(s)')]) : new Set(names);
  return {
    rounds: positive('rounds', true),
    durationMs: positive('duration') * 1000,
    warmupMs: positive('warmup') * 1000,
    connections: positive('connections', true),
    variants: VARIANTS.filter((v) => only.has(v.name)),
    routes: list(values.routes, ROUTES, 'route(s)'),
    json: values.json,
  };
}

// The parent's own OTel, Sentry and NODE_OPTIONS settings would change what a variant does.
export function childEnv(services) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('OTEL_') || key.startsWith('SENTRY_') || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  Object.assign(env, {
    OTEL_SERVICE_NAME: 'bench-throughput',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${services.sink.port}`,
    SENTRY_DSN: `http://public@127.0.0.1:${services.sink.port}/1`,
    BENCH_PG_URL: services.pgUrl,
    BENCH_REDIS_URL: services.redisUrl,
    BENCH_OPENAI_URL: services.openai.url,
  });
  return env;
}

export async function startServices() {
  const { startPostgres, startRedis } = await import(
    pathToFileURL(join(ROOT, 'packages/test-utils/src/services.ts')).href
  );
  const { startOpenAIEmulator } = await import(
    pathToFileURL(join(ROOT, 'packages/test-utils/src/emulators/openai.ts')).href
  );
  const cleanups = [];
  const [pgUrl, redisUrl] = await Promise.all([
    process.env.PG_URL || startPostgres(cleanups),
    process.env.REDIS_URL || startRedis(cleanups),
  ]);
  const sink = await startSink();
  const openai = await startOpenAIEmulator();
  const redis = new Redis(redisUrl);
  return {
    pgUrl,
    redisUrl,
    sink,
    openai,
    // Enqueued jobs and counters would otherwise pile up in Redis from run to run.
    resetState: async () => {
      await redis.flushdb();
      openai.reset();
    },
    close: async () => {
      redis.disconnect();
      await Promise.allSettled([sink.close(), openai.close()]);
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    },
  };
}

async function measureOnce({ variant, route, services, env, options, runLoad, percentile }) {
  await services.resetState();
  const server = startServer({ ...variant, imports: variant.imports() }, env);
  try {
    const port = await server.port;
    const url = `http://127.0.0.1:${port}/${route}`;
    const warm = await runLoad({ url, connections: options.connections, durationMs: options.warmupMs });
    if (warm.requests === 0) throw new Error(`no successful request during warm-up (${warm.errors} errors)`);
    services.sink.reset();
    let rssMax = rssBytes(server.pid) ?? 0;
    const sampler = setInterval(() => {
      rssMax = Math.max(rssMax, rssBytes(server.pid) ?? 0);
    }, RSS_SAMPLE_MS);
    const cpuBefore = cpuSeconds(server.pid);
    const load = await runLoad({ url, connections: options.connections, durationMs: options.durationMs });
    const cpuAfter = cpuSeconds(server.pid);
    clearInterval(sampler);
    rssMax = Math.max(rssMax, rssBytes(server.pid) ?? 0);
    return {
      variant: variant.name,
      route,
      requests: load.requests,
      errors: load.errors,
      rps: (load.requests / load.elapsedMs) * 1000,
      p50: percentile(load.latencies, 50),
      p99: percentile(load.latencies, 99),
      rssBytes: rssMax,
      cpuUsPerReq: ((cpuAfter - cpuBefore) * 1e6) / Math.max(1, load.requests),
      spansPerReq: services.sink.stats.spans / Math.max(1, load.requests),
      exportBytes: services.sink.stats.bytes,
    };
  } catch (error) {
    error.message = `${variant.name} /${route}: ${error.message}\n${server.output().trim().split('\n').slice(-10).join('\n')}`;
    throw error;
  } finally {
    await server.stop();
  }
}

async function main() {
  const options = parseCli();
  ensurePeers();
  const { runLoad, percentile } = await import('./load.mjs');
  const machineBefore = describeMachine();
  const services = await startServices();
  const env = childEnv(services);
  const samples = [];
  const skipped = new Map();
  const started = Date.now();
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const [routeIndex, route] of options.routes.entries()) {
        // Rotating the order each round (and per route) spreads position effects over every variant.
        const shift = (round + routeIndex) % options.variants.length;
        const order = [...options.variants.slice(shift), ...options.variants.slice(0, shift)];
        for (const variant of order) {
          if (skipped.has(variant.name)) continue;
          process.stderr.write(`round ${round + 1}/${options.rounds} /${route} ${variant.name}... `);
          try {
            const sample = await measureOnce({ variant, route, services, env, options, runLoad, percentile });
            samples.push({ round, ...sample });
            process.stderr.write(
              `${sample.rps.toFixed(0)} req/s, p99 ${sample.p99.toFixed(2)} ms, RSS ${(sample.rssBytes / 2 ** 20).toFixed(0)} MiB\n`,
            );
          } catch (error) {
            // A variant that cannot run (e.g. a preload that fails to start) is reported and left out.
            skipped.set(variant.name, error.message);
            process.stderr.write(`failed, skipping this variant:\n${error.message}\n`);
          }
        }
      }
    }
  } finally {
    await services.close();
  }
  const names = options.variants.map((v) => v.name);
  const rows = summarize(samples, names, options.routes);
  const result = {
    date: new Date().toISOString(),
    command: `npm run bench -- --rounds ${options.rounds} --duration ${options.durationMs / 1000} --warmup ${options.warmupMs / 1000} --connections ${options.connections}`,
    machine: { ...machineBefore, loadavgAfter: describeMachine().loadavg },
    elapsedS: Math.round((Date.now() - started) / 1000),
    targets: TARGETS,
    rows,
    verdicts: verdicts(rows, OURS, TARGETS),
    skipped: Object.fromEntries(skipped),
    samples,
  };
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, 'throughput-latest.json');
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  if (options.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  const m = result.machine;
  console.log(
    `\n${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}; load average ${m.loadavg.join(' ')} before, ${m.loadavgAfter.join(' ')} after`,
  );
  console.log(
    `${options.rounds} rounds × ${options.durationMs / 1000} s (after ${options.warmupMs / 1000} s warm-up), ${options.connections} connections; medians, req/s range over rounds; ×bare and Δbare are medians of per-round comparisons with bare\n`,
  );
  console.log(formatTable(rows));
  console.log(
    `\nTargets for ${OURS} (always_on): req/s ≥ ${TARGETS.minRpsRatio}× bare, p99 ≤ ${TARGETS.maxP99Ratio}× bare, RSS ≤ bare + ${TARGETS.maxRssDeltaMiB} MiB, ahead of every peer`,
  );
  for (const v of result.verdicts) {
    const mark = (ok) => (ok ? 'PASS' : 'MISS');
    console.log(
      `  /${v.route}: req/s ${mark(v.rps)}, p99 ${mark(v.p99)}, RSS ${mark(v.rss)}, ahead of peers ${mark(v.aheadOfPeers)}`,
    );
  }
  for (const [name, reason] of skipped) console.log(`skipped ${name}: ${reason.split('\n')[0]}`);
  console.log(`\n${result.elapsedS} s; JSON in ${file}`);
}

/**
 * Serves one route under one variant with extra node flags (`--cpu-prof` unless `hooks.nodeArgs`
 * says otherwise), warms it up, then runs `durationMs` of load between `before(server)` and
 * `after(server)` (profilers start and stop there). Resolves with the profile directory and the
 * measured request count.
 */
export async function profileVariant(name, route, durationMs, extraEnv = {}, hooks = {}) {
  const variant = VARIANTS.find((v) => v.name === name);
  if (!variant) throw new Error(`unknown variant ${name}; one of ${VARIANTS.map((v) => v.name).join(', ')}`);
  if (!ROUTES.includes(route)) throw new Error(`unknown route ${route}; one of ${ROUTES.join(', ')}`);
  ensurePeers();
  const { runLoad } = await import('./load.mjs');
  const services = await startServices();
  const dir = process.env.BENCH_PROFILE_DIR;
  let requests = 0;
  const server = startServer(
    { ...variant, imports: variant.imports() },
    { ...childEnv(services), ...extraEnv },
    hooks.nodeArgs ?? ['--cpu-prof', '--cpu-prof-dir', dir],
    hooks.onStdoutLine,
  );
  try {
    const url = `http://127.0.0.1:${await server.port}/${route}`;
    await runLoad({ url, connections: 20, durationMs: hooks.warmupMs ?? 2000 });
    await hooks.before?.(server);
    const load = await runLoad({ url, connections: 20, durationMs });
    await hooks.after?.(server);
    requests = load.requests;
    process.stderr.write(
      `${name} /${route}: ${((load.requests / load.elapsedMs) * 1000).toFixed(0)} req/s while profiling\n`,
    );
  } finally {
    await server.stop();
    await services.close();
  }
  return { dir, requests };
}

if (import.meta.main) await main();
