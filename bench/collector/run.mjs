// SPDX-License-Identifier: Apache-2.0
// Collector throughput: the shipped otel-collector-config.yaml on one core (taskset + GOMAXPROCS=1), fed
// OTLP/protobuf at rising rates, Sentry exporter to a local sink, Prometheus scraping both endpoints.
// Prints, per offered rate, what the collector accepted, refused and sent on, its CPU and RSS, and where
// the knee is. Usage: npm run bench:collector [-- --step-seconds 20]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { offer } from './load.mjs';
import { metricRequestBody, traceRequestTemplate } from './payloads.mjs';
import { counters, processStats } from './telemetry.mjs';

const { values: args } = parseArgs({
  options: {
    'step-seconds': { type: 'string', default: '20' },
    'span-rates': { type: 'string', default: '2000,5000,10000,20000,40000,80000' },
    'point-rates': { type: 'string', default: '10000,50000,100000,200000,400000' },
    // Lower memory_limiter's limit to watch it refuse data before the CPU saturates.
    'memory-limit-mib': { type: 'string' },
  },
});
const STEP_SECONDS = Number(args['step-seconds']);
const root = fileURLToPath(new URL('../../', import.meta.url));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line) => process.stderr.write(`${line}\n`);

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Sentry stand-in: answers 200 at once and counts bytes, so the exporter is never the bottleneck. */
async function startSink() {
  let requests = 0;
  let bytes = 0;
  const server = createServer((req, res) => {
    req.on('data', (chunk) => {
      bytes += chunk.length;
    });
    req.on('end', () => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: server.address().port, stats: () => ({ requests, bytes }), close: () => server.close() };
}

async function waitFor(url, what) {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await sleep(100);
  }
  throw new Error(`${what} did not come up at ${url}`);
}

execFileSync(join(root, 'collector/build.sh'), { stdio: ['ignore', 'ignore', 'inherit'] });
const sink = await startSink();
const ports = {
  http: await freePort(),
  grpc: await freePort(),
  prom: await freePort(),
  telemetry: await freePort(),
  health: await freePort(),
  prometheus: await freePort(),
};
const dir = mkdtempSync(join(tmpdir(), 'bench-collector-'));
const collector = spawn(
  'taskset',
  [
    '-c',
    '0',
    join(root, 'collector/_build/otelcol-preset'),
    '--config',
    join(root, 'otel-collector-config.yaml'),
  ],
  {
    env: {
      ...process.env,
      GOMAXPROCS: '1',
      GOMEMLIMIT: '400MiB',
      OTEL_PRESET_COLLECTOR_OTLP_HTTP_PORT: String(ports.http),
      OTEL_PRESET_COLLECTOR_OTLP_GRPC_PORT: String(ports.grpc),
      OTEL_PRESET_COLLECTOR_PROMETHEUS_PORT: String(ports.prom),
      OTEL_PRESET_COLLECTOR_TELEMETRY_PORT: String(ports.telemetry),
      OTEL_PRESET_COLLECTOR_HEALTH_PORT: String(ports.health),
      OTEL_PRESET_COLLECTOR_STORAGE_DIR: join(dir, 'queue'),
      OTEL_PRESET_COLLECTOR_LOG_LEVEL: 'error',
      ...(args['memory-limit-mib'] && {
        OTEL_PRESET_COLLECTOR_MEMORY_LIMIT_MIB: args['memory-limit-mib'],
        OTEL_PRESET_COLLECTOR_MEMORY_SPIKE_MIB: String(Math.round(Number(args['memory-limit-mib']) / 4)),
      }),
      SENTRY_OTLP_TRACES_URL: `http://127.0.0.1:${sink.port}/api/1/integration/otlp/v1/traces`,
      SENTRY_OTLP_AUTH: 'sentry sentry_key=bench',
      OTEL_PRESET_TRACES_EXPORTERS: '[otlp_http/sentry]',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
await waitFor(`http://127.0.0.1:${ports.health}/`, 'collector');
writeFileSync(
  join(dir, 'prometheus.yml'),
  `global: {scrape_interval: 5s}\nscrape_configs:\n` +
    `  - {job_name: app, honor_labels: true, static_configs: [{targets: ['127.0.0.1:${ports.prom}']}]}\n` +
    `  - {job_name: collector, static_configs: [{targets: ['127.0.0.1:${ports.telemetry}']}]}\n`,
);
const prometheus = spawn(
  'taskset',
  [
    '-c',
    '1',
    process.env.PROMETHEUS_BIN ?? 'prometheus',
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${ports.prometheus}`,
    '--log.level=error',
  ],
  { stdio: 'ignore' },
);
await waitFor(`http://127.0.0.1:${ports.prometheus}/-/ready`, 'prometheus');

const telemetryUrl = `http://127.0.0.1:${ports.telemetry}/metrics`;

/** One step: offer `rate` items/s for STEP_SECONDS and measure the collector over the step. */
async function step({ kind, rate, body, itemsPerRequest, names }) {
  const before = await counters(telemetryUrl, names);
  const cpuBefore = processStats(collector.pid);
  const started = performance.now();
  let peakRss = cpuBefore.rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, processStats(collector.pid).rss);
  }, 500);
  const load = await offer({
    url: `http://127.0.0.1:${ports.http}/v1/${kind}`,
    body,
    itemsPerRequest,
    itemsPerSecond: rate,
    seconds: STEP_SECONDS,
  });
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  const after = await counters(telemetryUrl, names);
  const cpuAfter = processStats(collector.pid);
  const perSecond = (name) => (after[name] - before[name]) / seconds;
  return {
    offered: rate,
    accepted: perSecond(names[0]),
    refused: perSecond(names[1]),
    forwarded: perSecond(names[2]),
    cpu: (cpuAfter.cpuSeconds - cpuBefore.cpuSeconds) / seconds,
    rss: peakRss,
    statuses: load.statuses,
    skipped: load.skipped,
  };
}

const results = { spans: [], points: [] };
const traceTemplate = traceRequestTemplate(10);
for (const rate of args['span-rates'].split(',').map(Number)) {
  log(`spans: offering ${rate}/s for ${STEP_SECONDS} s`);
  results.spans.push(
    await step({
      kind: 'traces',
      rate,
      body: () => traceTemplate.next(),
      itemsPerRequest: traceTemplate.spans,
      names: [
        'otelcol_receiver_accepted_spans_total',
        'otelcol_receiver_refused_spans_total',
        'otelcol_exporter_sent_spans_total|otlp_http/sentry',
      ],
    }),
  );
}
// Let the sampler's decision window drain before the metrics phase.
await sleep(12_000);
const metricsBody = await metricRequestBody(1000);
for (const rate of args['point-rates'].split(',').map(Number)) {
  log(`metric points: offering ${rate}/s for ${STEP_SECONDS} s`);
  results.points.push(
    await step({
      kind: 'metrics',
      rate,
      body: () => metricsBody,
      itemsPerRequest: 1000,
      names: [
        'otelcol_receiver_accepted_metric_points_total',
        'otelcol_receiver_refused_metric_points_total',
        'otelcol_exporter_sent_metric_points_total|exporter="prometheus"',
      ],
    }),
  );
}
const memoryLimiter = await counters(telemetryUrl, [
  'otelcol_processor_memory_limiter_refused_spans_total',
  'otelcol_processor_memory_limiter_refused_metric_points_total',
]);
collector.kill('SIGTERM');
prometheus.kill('SIGTERM');
sink.close();
await sleep(1000);
rmSync(dir, { recursive: true, force: true });

const fmt = (n) => (n >= 1000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0));
function table(title, rows, unit) {
  const lines = [
    `${title}`,
    `| offered ${unit}/s | accepted ${unit}/s | refused ${unit}/s | sent on ${unit}/s | collector CPU | peak RSS MiB | HTTP answers |`,
    '|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    const answers = Object.entries(r.statuses)
      .map(([status, n]) => `${status === '0' ? 'error' : status}×${n}`)
      .join(' ');
    lines.push(
      `| ${fmt(r.offered)} | ${fmt(r.accepted)} | ${fmt(r.refused)} | ${fmt(r.forwarded)} | ` +
        `${(r.cpu * 100).toFixed(0)} % | ${r.rss.toFixed(0)} | ${answers}${r.skipped ? `, ${r.skipped} not sent (backlog)` : ''} |`,
    );
  }
  const knee = rows.find((r) => r.accepted < 0.95 * r.offered || r.refused > 0);
  lines.push(
    knee
      ? `knee: at ${fmt(knee.offered)} ${unit}/s offered the collector accepts ${fmt(knee.accepted)}/s and refuses ${fmt(knee.refused)}/s`
      : `no knee below ${fmt(rows.at(-1).offered)} ${unit}/s offered`,
  );
  return lines.join('\n');
}

console.log(
  `collector throughput, one core (GOMAXPROCS=1, taskset -c 0), otel-collector-config.yaml as shipped ` +
    `(10 % baseline sampling, 10 s decision window${args['memory-limit-mib'] ? `, memory_limiter at ${args['memory-limit-mib']} MiB` : ''}), ` +
    `Sentry exporter to a local sink\n` +
    `machine: ${cpus()[0].model}, ${cpus().length} cores; load generator and Prometheus on the other core\n`,
);
console.log(table('spans (10 traces × 10 spans per request)', results.spans, 'spans'));
console.log(`\n${table('metric points (1000 points per request)', results.points, 'points')}`);
console.log(
  `\nmemory_limiter refusals over the run: ${memoryLimiter['otelcol_processor_memory_limiter_refused_spans_total']} spans, ` +
    `${memoryLimiter['otelcol_processor_memory_limiter_refused_metric_points_total']} metric points`,
);
