// SPDX-License-Identifier: Apache-2.0
// Where does a variant's time go? Serves one route under one variant with `--cpu-prof`, drives the same
// load as the benchmark, then prints self time by function and by package from the V8 profile.
// With --allocations it prints bytes allocated per request instead (garbage included), which is what
// drives young-generation growth, GC time and with them the RSS gap. With --survivors garbage freed by a
// scavenge is left out: what remains was promoted or pretenured into the old generation (and freed by a
// full GC, or is still alive), which is what costs full GCs. gc.mjs gives the totals per scavenge.
//   node bench/throughput/profile.mjs [--variant otel-preset] [--route db] [--duration 8] [--warmup 2] [--top 40]
//                                     [--env NAME=VALUE ...] [--node-arg=FLAG ...] [--allocations | --survivors]
import './ts-hooks.mjs';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { envFromPairs } from './server.mjs';

const { values } = parseArgs({
  options: {
    variant: { type: 'string', default: 'otel-preset' },
    route: { type: 'string', default: 'db' },
    duration: { type: 'string', default: '8' },
    // Seconds of load before profiling starts; past the first seconds, what survives is the steady state.
    warmup: { type: 'string', default: '2' },
    top: { type: 'string', default: '40' },
    // Extra settings for the server, e.g. --env OTEL_TRACES_EXPORTER=none, to see what a feature costs.
    env: { type: 'string', multiple: true, default: [] },
    allocations: { type: 'boolean', default: false },
    survivors: { type: 'boolean', default: false },
    // Extra flags for the server's node, e.g. --node-arg=--no-allocation-site-pretenuring.
    'node-arg': { type: 'string', multiple: true, default: [] },
  },
});
if (values.survivors) {
  values.allocations = true;
  values.env.push('BENCH_SURVIVORS=1');
}
const extraEnv = envFromPairs(values.env);
process.env.BENCH_PROFILE_DIR = await mkdtemp(join(tmpdir(), 'otel-preset-prof-'));
const { profileVariant } = await import('./run.mjs');
const dir = process.env.BENCH_PROFILE_DIR;
const heapFile = join(dir, 'allocations.heapprofile');
const warmupMs = Number(values.warmup) * 1000;
const hooks = values.allocations
  ? {
      warmupMs,
      nodeArgs: [
        ...values['node-arg'],
        '--import',
        fileURLToPath(new URL('./allocation-sampler.mjs', import.meta.url)),
      ],
      before: (server) => process.kill(server.pid, 'SIGUSR2'),
      after: async (server) => {
        process.kill(server.pid, 'SIGUSR2');
        for (let i = 0; i < 100 && !existsSync(heapFile); i++) await setTimeout(100);
      },
    }
  : { warmupMs, nodeArgs: [...values['node-arg'], '--cpu-prof', '--cpu-prof-dir', dir] };
const { requests } = await profileVariant(
  values.variant,
  values.route,
  Number(values.duration) * 1000,
  extraEnv,
  hooks,
);

// Self cost per node: for a CPU profile, the time of the samples that landed in it; for a heap profile,
// the bytes it allocated.
const byId = new Map();
const self = new Map();
if (values.allocations) {
  const walk = (node) => {
    byId.set(node.id, node);
    self.set(node.id, node.selfSize);
    for (const child of node.children) walk(child);
  };
  walk(JSON.parse(await readFile(heapFile, 'utf8')).head);
} else {
  const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile written to ${dir}`);
  const profile = JSON.parse(await readFile(join(dir, file), 'utf8'));
  for (const node of profile.nodes) byId.set(node.id, node);
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
  }
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
// esbuild marks where each bundled module starts (`// ../../node_modules/pkg/dist/x.mjs`), so time in a
// bundle can be charged to the package it came from.
const bundleMaps = new Map();
function bundledModule(path, line) {
  if (!bundleMaps.has(path)) {
    const starts = [];
    readFileSync(path, 'utf8')
      .split('\n')
      .forEach((text, index) => {
        const match = /^\/\/ ((?:\.\.\/)*(?:node_modules|src|packages|instrumentation-[\w-]+)\/\S+)$/.exec(
          text,
        );
        if (match) starts.push([index, match[1]]);
      });
    bundleMaps.set(path, starts);
  }
  let found;
  for (const [start, name] of bundleMaps.get(path)) {
    if (start > line) break;
    found = name;
  }
  return found;
}
const where = (url, line) => {
  if (!url) return '(native)';
  const path = url.replace(/^file:\/\//, '');
  if (path.endsWith('/dist/index.cjs')) {
    const module = bundledModule(path, line);
    if (module) {
      const inner = module.replace(/^(\.\.\/)*/, '');
      const nm = inner.split('node_modules/')[1]?.split('/');
      return `${relative(process.cwd(), path)} ⊃ ${nm ? (nm[0].startsWith('@') ? `${nm[0]}/${nm[1]}` : nm[0]) : inner}`;
    }
  }
  const nm = path.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = path.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (path.startsWith('node:')) return 'node:internal';
  return relative(process.cwd(), path);
};
const byFunction = new Map();
const byPackage = new Map();
for (const [id, us] of self) {
  const { callFrame } = byId.get(id);
  const pkg = where(callFrame.url, callFrame.lineNumber);
  const fn = `${callFrame.functionName || '(anonymous)'} ${pkg}:${callFrame.lineNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
}
const unit = values.allocations ? 'B' : 'µs';
const show = (title, map, n) => {
  console.log(`\n${title}`);
  for (const [name, cost] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    console.log(
      `${((cost / total) * 100).toFixed(1).padStart(5)}% ${(cost / requests).toFixed(1).padStart(7)} ${unit}/req  ${name}`,
    );
  }
};
if (values.allocations) {
  console.log(
    `${values.variant} /${values.route}: ${(total / 2 ** 20).toFixed(0)} MiB allocated, ${requests} requests (${(total / requests / 1024).toFixed(1)} KiB/req, garbage included); profile in ${dir}`,
  );
  show('allocated by package / file', byPackage, 25);
  show('allocated by function', byFunction, Number(values.top));
} else {
  console.log(
    `${values.variant} /${values.route}: ${(total / 1e6).toFixed(1)} s sampled, ${requests} requests (${(total / requests).toFixed(0)} µs/req on the main thread); profile in ${dir}`,
  );
  show('self time by package / file', byPackage, 25);
  show('self time by function', byFunction, Number(values.top));
}
