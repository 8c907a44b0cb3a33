// SPDX-License-Identifier: Apache-2.0
// Start-up cost of a preload: wall time from spawn to exit and peak RSS of the same reference app started
// bare and under each preload. See bench/README.md.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = dirname(fileURLToPath(import.meta.url));
const APP = join(HERE, 'app.mjs');
const MEASURE_URL = pathToFileURL(join(HERE, 'measure.mjs')).href;
const peer = (name) => pathToFileURL(join(HERE, 'peers', name)).href;

// Targets for our preload, over bare.
const TARGET_WALL_MS = 150;
const TARGET_RSS_MIB = 25;
const OURS = 'otel-preset';
// Far above any healthy start-up; only there so a preload that keeps the loop alive cannot stall the run.
const RUN_TIMEOUT_MS = 30_000;
const MEASURE_FD = 3;

const VARIANTS = [
  { name: 'bare', imports: [] },
  { name: OURS, imports: ['@otel-preset/node/register'] },
  { name: 'otel-auto-register', imports: ['@opentelemetry/auto-instrumentations-node/register'] },
  { name: 'otel-sdk-node', imports: [peer('otel-sdk-node.mjs')] },
  { name: 'sentry', imports: [peer('sentry.mjs')] },
];

const USAGE = `Usage: node bench/startup/run.mjs [--rounds N] [--warmup N] [--only a,b] [--json]

  --rounds N   measured rounds, each running every variant once (default 15)
  --warmup N   discarded rounds before measuring (default 2, minimum 1)
  --only LIST  comma-separated variants to run; bare is always added as the baseline
  --json       print the results as JSON instead of a table

Variants: ${VARIANTS.map((v) => v.name).join(', ')}`;

function parseCli() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        rounds: { type: 'string', default: '15' },
        warmup: { type: 'string', default: '2' },
        only: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    fail(err.message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const rounds = Number(values.rounds);
  const warmup = Number(values.warmup);
  if (!Number.isInteger(rounds) || rounds < 1) {
    fail(`--rounds must be a positive integer, got ${values.rounds}`);
  }
  // The first warm-up run is what decides whether a variant works at all, so there is always one.
  if (!Number.isInteger(warmup) || warmup < 1) fail(`--warmup must be an integer >= 1, got ${values.warmup}`);
  let variants = VARIANTS;
  if (values.only) {
    const wanted = new Set(values.only.split(',').map((s) => s.trim()));
    wanted.add('bare');
    const unknown = [...wanted].filter((n) => !VARIANTS.some((v) => v.name === n));
    if (unknown.length) fail(`unknown variant(s): ${unknown.join(', ')}`);
    variants = VARIANTS.filter((v) => wanted.has(v.name));
  }
  return { rounds, warmup, variants, json: values.json };
}

function fail(message) {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

// Stands in for both an OTLP collector and Sentry's ingest: exporters see a healthy endpoint, so their
// real export path (serialise, POST, read the reply) runs, but nothing leaves the machine.
function startSink() {
  const stats = { requests: 0, bytes: 0 };
  const server = createServer((req, res) => {
    stats.requests++;
    req.on('data', (chunk) => {
      stats.bytes += chunk.length;
    });
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, stats, port: server.address().port }));
  });
}

// The parent's own OTel, Sentry and NODE_OPTIONS settings would change what each variant does, so they
// are dropped and only the benchmark's settings are passed on.
function childEnv(sinkPort) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('OTEL_') || key.startsWith('SENTRY_') || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  env.OTEL_SERVICE_NAME = 'bench-startup';
  env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${sinkPort}`;
  env.SENTRY_DSN = `http://public@127.0.0.1:${sinkPort}/1`;
  env.BENCH_STARTUP_MEASURE_FD = String(MEASURE_FD);
  return env;
}

function argsFor(variant) {
  return [...['--import', MEASURE_URL], ...variant.imports.flatMap((i) => ['--import', i]), APP];
}

function commandFor(variant) {
  return [
    'node',
    ...variant.imports.flatMap((i) => ['--import', i.startsWith('file:') ? shortPath(i) : i]),
    'app.mjs',
  ].join(' ');
}

function shortPath(url) {
  return `./${fileURLToPath(url).slice(HERE.length + 1)}`;
}

function keepTail(buf, chunk, max = 4096) {
  const next = buf + chunk;
  return next.length > max ? next.slice(-max) : next;
}

// The line naming the error says more than a stack tail, e.g. "Error [ERR_MODULE_NOT_FOUND]: Cannot find ...".
function failureDetail(stderr, stdout) {
  const lines = (stderr.trim() || stdout.trim()).split('\n').map((l) => l.trim());
  return lines.find((l) => /^[\w.]*Error\b.*:/.test(l)) ?? lines.filter(Boolean).pop() ?? '(no output)';
}

function runOnce(variant, env) {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let measured = '';
    let wallMs;
    let settled = false;
    const settle = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, argsFor(variant), {
      cwd: HERE,
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      settle({ ok: false, reason: `no exit after ${RUN_TIMEOUT_MS} ms: ${failureDetail(stderr, stdout)}` });
    }, RUN_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (c) => {
      stdout = keepTail(stdout, c);
    });
    child.stderr.setEncoding('utf8').on('data', (c) => {
      stderr = keepTail(stderr, c);
    });
    child.stdio[MEASURE_FD].setEncoding('utf8').on('data', (c) => {
      measured += c;
    });
    child.on('exit', () => {
      wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    });
    child.on('error', (err) => settle({ ok: false, reason: `spawn failed: ${err.message}` }));
    // 'close' rather than 'exit' for the result, so the RSS line written during exit has been read.
    child.on('close', (code, signal) => {
      if (code !== 0) {
        return settle({ ok: false, reason: `exit ${signal ?? code}: ${failureDetail(stderr, stdout)}` });
      }
      let maxRssKiB;
      try {
        ({ maxRssKiB } = JSON.parse(measured.trim().split('\n').pop()));
      } catch {
        return settle({
          ok: false,
          reason: `no RSS report from measure.mjs: ${failureDetail(stderr, stdout)}`,
        });
      }
      settle({ ok: true, wallMs, rssMiB: maxRssKiB / 1024 });
    });
  });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

// Nearest rank, so the value is one that was actually observed.
function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)];
}

// Round r starts one variant later than round r - 1, so over a multiple of the variant count every variant
// runs in every slot equally often: a slot that is systematically faster or slower (first after an idle
// gap, right after the heaviest run) does not favour one variant.
function rotation(list, round) {
  const k = round % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

function summarise(variants, samples, failures, skipped) {
  const rows = [];
  for (const v of variants) {
    if (skipped.has(v.name)) {
      rows.push({ variant: v.name, command: commandFor(v), skipped: skipped.get(v.name) });
      continue;
    }
    const s = samples.get(v.name);
    if (!s.length) {
      rows.push({ variant: v.name, command: commandFor(v), skipped: 'every measured run failed' });
      continue;
    }
    const wall = s.map((x) => x.wallMs);
    const rss = s.map((x) => x.rssMiB);
    rows.push({
      variant: v.name,
      command: commandFor(v),
      runs: s.length,
      failures: failures.get(v.name),
      wallMs: {
        median: median(wall),
        p90: percentile(wall, 90),
        min: Math.min(...wall),
        max: Math.max(...wall),
      },
      rssMiB: { median: median(rss), p90: percentile(rss, 90), min: Math.min(...rss), max: Math.max(...rss) },
    });
  }
  const bare = rows.find((r) => r.variant === 'bare' && !r.skipped);
  for (const r of rows) {
    if (r.skipped || !bare) continue;
    r.overWallMs = r.wallMs.median - bare.wallMs.median;
    r.wallRatio = r.wallMs.median / bare.wallMs.median;
    r.overRssMiB = r.rssMiB.median - bare.rssMiB.median;
    r.rssRatio = r.rssMiB.median / bare.rssMiB.median;
    if (r.variant === OURS) {
      r.targets = {
        wall: { maxOverMs: TARGET_WALL_MS, pass: r.overWallMs <= TARGET_WALL_MS },
        rss: { maxOverMiB: TARGET_RSS_MIB, pass: r.overRssMiB <= TARGET_RSS_MIB },
      };
    }
  }
  return rows;
}

function fmt(n, digits = 0) {
  return n.toFixed(digits);
}

function signed(n, digits = 0) {
  const s = n.toFixed(digits);
  return n >= 0 ? `+${s}` : s;
}

function printTable(rows) {
  const header = [
    'variant',
    'wall ms',
    'p90 ms',
    '+ms',
    'x bare',
    'RSS MiB',
    '+MiB',
    'x bare',
    'runs',
    'target',
  ];
  const lines = rows.map((r) => {
    if (r.skipped) {
      return [r.variant, 'skipped', '', '', '', '', '', '', '', r.variant === OURS ? 'not measured' : ''];
    }
    const target = r.targets
      ? `wall ${r.targets.wall.pass ? 'PASS' : 'MISS'} (<=+${TARGET_WALL_MS}ms), ` +
        `rss ${r.targets.rss.pass ? 'PASS' : 'MISS'} (<=+${TARGET_RSS_MIB}MiB)`
      : '';
    const noBare = r.overWallMs === undefined;
    return [
      r.variant,
      fmt(r.wallMs.median),
      fmt(r.wallMs.p90),
      noBare ? '' : signed(r.overWallMs),
      noBare ? '' : fmt(r.wallRatio, 2),
      fmt(r.rssMiB.median, 1),
      noBare ? '' : signed(r.overRssMiB, 1),
      noBare ? '' : fmt(r.rssRatio, 2),
      r.failures ? `${r.runs} (${r.failures} failed)` : String(r.runs),
      target,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  // Names and the target note read best left-aligned, numbers right-aligned.
  const left = new Set([0, header.length - 1]);
  const render = (cells) =>
    cells
      .map((c, i) => (left.has(i) ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  console.log(render(header));
  console.log(render(widths.map((w) => '-'.repeat(w))));
  for (const l of lines) console.log(render(l));
  console.log('');
  for (const r of rows) {
    console.log(`${r.variant.padEnd(widths[0])}  ${r.command}`);
    if (r.skipped) console.log(`${' '.repeat(widths[0])}  skipped: ${r.skipped}`);
  }
}

async function main() {
  const { rounds, warmup, variants, json } = parseCli();
  const { server, stats, port } = await startSink();
  const env = childEnv(port);
  const samples = new Map(variants.map((v) => [v.name, []]));
  const failures = new Map(variants.map((v) => [v.name, 0]));
  const skipped = new Map();
  const log = (msg) => process.stderr.write(`${msg}\n`);
  const began = Date.now();

  log(
    `startup bench: node ${process.version}, ${variants.length} variants, ${warmup} warm-up + ${rounds} ` +
      `measured rounds, sink on 127.0.0.1:${port}`,
  );

  const total = warmup + rounds;
  for (let round = 0; round < total; round++) {
    const measuring = round >= warmup;
    const order = rotation(variants, round).filter((v) => !skipped.has(v.name));
    for (const v of order) {
      const result = await runOnce(v, env);
      if (!result.ok) {
        if (round === 0) {
          skipped.set(v.name, result.reason);
          log(`  skipping ${v.name}: its first warm-up run failed: ${result.reason}`);
        } else if (measuring) {
          failures.set(v.name, failures.get(v.name) + 1);
          log(`  ${v.name} failed in round ${round - warmup + 1}: ${result.reason}`);
        } else {
          log(`  ${v.name} failed in warm-up ${round + 1}: ${result.reason}`);
        }
        continue;
      }
      if (measuring) samples.get(v.name).push(result);
    }
    log(`  ${measuring ? `round ${round - warmup + 1}/${rounds}` : `warm-up ${round + 1}/${warmup}`} done`);
    if (skipped.has('bare')) break;
  }
  server.close();

  const rows = summarise(variants, samples, failures, skipped);
  const elapsedS = (Date.now() - began) / 1000;
  log(`done in ${elapsedS.toFixed(1)} s; sink received ${stats.requests} requests, ${stats.bytes} bytes`);

  if (json) {
    const out = {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      rounds,
      warmup,
      targets: { variant: OURS, maxOverWallMs: TARGET_WALL_MS, maxOverRssMiB: TARGET_RSS_MIB },
      sink: stats,
      variants: rows,
    };
    console.log(JSON.stringify(out, null, 2));
  } else {
    console.log('');
    printTable(rows);
  }
  if (skipped.has('bare')) process.exitCode = 1;
}

await main();
