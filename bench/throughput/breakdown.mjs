// SPDX-License-Identifier: Apache-2.0
// What each part of our preload costs per request: the same route served bare, then under the preload
// with more of it switched on step by step, in alternating order over several rounds. CPU time comes
// from /proc per thread, so it is the server's own and does not depend on how busy the machine is the
// way req/s does.
//   node bench/throughput/breakdown.mjs [--route db] [--rounds 3] [--duration 5]
//                                       [--step 'name:ENV=VALUE,ENV=VALUE' ...] [--connections 20]
//                                       (in a step, PRELOAD=<register.mjs path> loads another build)
// Fewer connections leave the machine less saturated, which steadies CPU per request between rounds.
// With --step, bare and the full preload are compared with the named variants instead of the ladder.
import './ts-hooks.mjs';
import { parseArgs } from 'node:util';
import { median } from './report.mjs';
import { childEnv, ensurePeers, startServices } from './run.mjs';
import { envFromPairs, rssBytes, startServer, threadCpuSeconds } from './server.mjs';

const { values } = parseArgs({
  options: {
    route: { type: 'string', default: 'db' },
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    step: { type: 'string', multiple: true, default: [] },
    connections: { type: 'string', default: '20' },
  },
});
const PRELOAD = ['@otel-preset/node/register'];
const LADDER = [
  { name: 'bare', imports: [], env: {} },
  { name: 'preload, SDK disabled', imports: PRELOAD, env: { OTEL_SDK_DISABLED: 'true' } },
  {
    name: 'instrumentations, no export',
    imports: PRELOAD,
    env: { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none' },
  },
  { name: '+ metrics export', imports: PRELOAD, env: { OTEL_TRACES_EXPORTER: 'none' } },
  { name: '+ trace export (full)', imports: PRELOAD, env: {} },
];
function parseStep(spec) {
  const [name, settings = ''] = spec.split(/:(.*)/s);
  const env = envFromPairs(settings.split(',').filter(Boolean));
  // PRELOAD=<path> swaps the preload, e.g. for another build of it (an older commit's worktree).
  const { PRELOAD: preload, ...rest } = env;
  return { name, imports: preload ? [preload] : PRELOAD, env: rest };
}
const STEPS =
  values.step.length === 0
    ? LADDER
    : [LADDER[0], { name: 'preload', imports: PRELOAD, env: {} }, ...values.step.map(parseStep)];

ensurePeers();
const { runLoad } = await import('./load.mjs');
const services = await startServices();
const base = childEnv(services);
const samples = [];
try {
  for (let round = 0; round < Number(values.rounds); round++) {
    const shift = round % STEPS.length;
    for (const step of [...STEPS.slice(shift), ...STEPS.slice(0, shift)]) {
      await services.resetState();
      const server = startServer(step, { ...base, ...step.env });
      try {
        const url = `http://127.0.0.1:${await server.port}/${values.route}`;
        await runLoad({ url, connections: Number(values.connections), durationMs: 2000 });
        const before = threadCpuSeconds(server.pid);
        const load = await runLoad({
          url,
          connections: Number(values.connections),
          durationMs: Number(values.duration) * 1000,
        });
        const after = threadCpuSeconds(server.pid);
        const rssMiB = (rssBytes(server.pid) ?? 0) / 2 ** 20;
        const perReq = (key) => ((after[key] - before[key]) * 1e6) / load.requests;
        samples.push({
          step: step.name,
          round,
          rssMiB,
          rps: (load.requests / load.elapsedMs) * 1000,
          mainUser: perReq('mainUser'),
          mainSystem: perReq('mainSystem'),
          v8: perReq('v8'),
          other: perReq('other'),
        });
        process.stderr.write(`round ${round + 1} ${step.name}: ${samples.at(-1).rps.toFixed(0)} req/s\n`);
      } finally {
        await server.stop();
      }
    }
  }
} finally {
  await services.close();
}

console.log(`\n/${values.route}, medians of ${values.rounds} rounds; CPU µs per request by thread\n`);
// The machine's speed drifts between rounds; a step's req/s over bare's in the same round drifts less.
const roundRatio = (runs) =>
  median(
    runs.map(
      (r) => r.rps / (samples.find((b) => b.step === 'bare' && b.round === r.round)?.rps ?? Number.NaN),
    ),
  );
console.log(
  '| step | req/s | ÷ bare | RSS MiB | main user | main system | V8 helpers | other | total | Δ previous |',
);
console.log('|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
let previous;
for (const step of STEPS) {
  const runs = samples.filter((s) => s.step === step.name);
  const m = (key) => median(runs.map((r) => r[key]));
  const total = m('mainUser') + m('mainSystem') + m('v8') + m('other');
  const delta = previous === undefined ? '' : `+${(total - previous).toFixed(0)}`;
  console.log(
    `| ${step.name} | ${m('rps').toFixed(0)} | ${roundRatio(runs).toFixed(2)} | ${m('rssMiB').toFixed(0)} | ${m('mainUser').toFixed(0)} | ${m('mainSystem').toFixed(0)} | ${m('v8').toFixed(0)} | ${m('other').toFixed(0)} | ${total.toFixed(0)} | ${delta} |`,
  );
  previous = total;
}
