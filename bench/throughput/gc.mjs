// SPDX-License-Identifier: Apache-2.0
// What does a variant do to V8's garbage collector under load? Serves one route with --trace-gc-nvp and
// summarizes the scavenges of the measured window: how much survives each one, how much of that is
// promoted to the old generation, how often full GCs run and how large the young generation grew.
// Survivors are what make V8 grow the young generation (it doubles each time the bytes surviving since
// the last growth exceed its size), and promoted bytes are what the full GCs on V8's helper threads
// clear up again: together they are most of the preload's memory and GC cost.
//   node bench/throughput/gc.mjs [--variant otel-preset] [--route db] [--duration 8]
//                                [--env NAME=VALUE ...] [--node-arg=FLAG ...] [--timeline]
import './ts-hooks.mjs';
import { parseArgs } from 'node:util';
import { median } from './report.mjs';
import { profileVariant } from './run.mjs';
import { envFromPairs } from './server.mjs';

const { values } = parseArgs({
  options: {
    variant: { type: 'string', default: 'otel-preset' },
    route: { type: 'string', default: 'db' },
    duration: { type: 'string', default: '8' },
    env: { type: 'string', multiple: true, default: [] },
    'node-arg': { type: 'string', multiple: true, default: [] },
    // Every GC from start-up on, with the young generation's size: shows when it grew.
    timeline: { type: 'boolean', default: false },
  },
});
const extraEnv = envFromPairs(values.env);

// --trace-gc-nvp prints one line of name=value pairs per GC; `gc=s` is a scavenge, `gc=mc` a full GC.
let measuring = false;
const gcs = [];
const onStdoutLine = (line) => {
  const kind = / gc=(\S+)/.exec(line)?.[1];
  if (!kind) return;
  const fields = Object.fromEntries(
    line
      .split(/\s+/)
      .filter((pair) => pair.includes('='))
      .map((pair) => pair.split('=')),
  );
  gcs.push({
    measured: measuring,
    kind,
    atMs: Number(/(\d+) ms: /.exec(line)?.[1]),
    pauseMs: Number(fields.pause),
    survived: Number(fields.new_space_survived ?? 0),
    promoted: Number(fields.promoted ?? 0),
    capacity: Number(fields.new_space_capacity ?? 0),
  });
};
const { requests } = await profileVariant(
  values.variant,
  values.route,
  Number(values.duration) * 1000,
  extraEnv,
  {
    nodeArgs: [...values['node-arg'], '--trace-gc-nvp'],
    onStdoutLine,
    before: () => {
      measuring = true;
    },
    after: () => {
      measuring = false;
    },
  },
);

const KiB = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;
const MiB = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
if (values.timeline) {
  for (const gc of gcs) {
    console.log(
      `${String(gc.atMs).padStart(7)} ms  ${gc.kind.padEnd(3)} ${gc.measured ? 'measured' : '        '}  pause ${gc.pauseMs.toFixed(1).padStart(5)} ms  survived ${KiB(gc.survived).padStart(9)}  promoted ${KiB(gc.promoted).padStart(9)}  young generation ${MiB(gc.capacity)}`,
    );
  }
}
const scavenges = gcs.filter((gc) => gc.measured && gc.kind === 's');
const fullGcs = gcs.filter((gc) => gc.measured && gc.kind !== 's');
const of = (key) => median(scavenges.map((gc) => gc[key]));
console.log(
  `${values.variant} /${values.route}, ${requests} requests: ${scavenges.length} scavenges (median pause ${of('pauseMs').toFixed(1)} ms, survived ${KiB(of('survived'))}, promoted ${KiB(of('promoted'))}), ${fullGcs.length} full GCs; young generation ${MiB(scavenges.at(-1)?.capacity ?? 0)} (semi-space)`,
);
