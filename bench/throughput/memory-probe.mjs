// SPDX-License-Identifier: Apache-2.0
// Loaded into the benchmark server with --import by memory.mjs: once a second, one line of the
// process's memory, as V8 and Node see it. The timer is unref'd, so the server exits as it would.
import { getHeapSpaceStatistics } from 'node:v8';

const started = performance.now();
const MiB = (bytes) => (bytes / 2 ** 20).toFixed(1);

setInterval(() => {
  const { rss, external, arrayBuffers } = process.memoryUsage();
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((space) => [space.space_name, space]));
  const used = (name) => MiB(spaces[name]?.space_used_size ?? 0);
  const committed = (name) => MiB(spaces[name]?.physical_space_size ?? 0);
  process.stdout.write(
    `memory t=${Math.round(performance.now() - started)} rss=${MiB(rss)} old=${used('old_space')} ` +
      `new=${used('new_space')}/${committed('new_space')} code=${used('code_space')} ` +
      `large=${used('large_object_space')} external=${MiB(external)} arrayBuffers=${MiB(arrayBuffers)}\n`,
  );
}, 1000).unref();
