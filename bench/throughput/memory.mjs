// SPDX-License-Identifier: Apache-2.0
// How a variant's memory develops under load: serves one route with memory-probe.mjs loaded, drives
// the benchmark's load (2 s warm-up, then --duration) and prints the server's memory once a second,
// from start-up on: RSS, V8's old and new space (used/committed), code, large objects and external
// memory, in MiB. The RSS column of `npm run bench` is one point of this curve.
//   node bench/throughput/memory.mjs [--variant otel-preset] [--route db] [--duration 20]
//                                    [--env NAME=VALUE ...] [--node-arg=FLAG ...] [--echo]
// --echo also prints the server's other output, e.g. V8's traces with
// --node-arg=--trace-pretenuring-statistics (which allocation sites V8 decided to pretenure, and when).
import './ts-hooks.mjs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { profileVariant } from './run.mjs';
import { envFromPairs } from './server.mjs';

const { values } = parseArgs({
  options: {
    variant: { type: 'string', default: 'otel-preset' },
    route: { type: 'string', default: 'db' },
    duration: { type: 'string', default: '20' },
    env: { type: 'string', multiple: true, default: [] },
    'node-arg': { type: 'string', multiple: true, default: [] },
    echo: { type: 'boolean', default: false },
  },
});

const probe = fileURLToPath(new URL('./memory-probe.mjs', import.meta.url));
let phase = 'warm-up';
const onStdoutLine = (line) => {
  if (!line.startsWith('memory ')) {
    if (values.echo) console.log(`> ${line}`);
    return;
  }
  const fields = Object.fromEntries(
    line
      .slice('memory '.length)
      .split(' ')
      .map((pair) => pair.split('=')),
  );
  console.log(
    `${String(fields.t).padStart(6)} ms  ${phase.padEnd(8)}  rss ${fields.rss.padStart(6)}  old ${fields.old.padStart(6)}  new ${fields.new.padStart(11)}  code ${fields.code.padStart(4)}  large ${fields.large.padStart(4)}  external ${fields.external.padStart(5)}`,
  );
};
console.log(`${values.variant} /${values.route}, MiB:`);
await profileVariant(values.variant, values.route, Number(values.duration) * 1000, envFromPairs(values.env), {
  nodeArgs: [...values['node-arg'], '--import', probe],
  onStdoutLine,
  before: () => {
    phase = 'measured';
  },
  after: () => {
    phase = 'after';
  },
});
