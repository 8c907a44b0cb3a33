// SPDX-License-Identifier: Apache-2.0
// Reads the collector's own counters (Prometheus text on its telemetry port) and its process CPU and RSS.
import { readFileSync } from 'node:fs';

/** Sum of every series of `name` whose labels contain `labelFilter` (a substring of the label block). */
export async function counters(telemetryUrl, names) {
  const text = await (await fetch(telemetryUrl)).text();
  const totals = Object.fromEntries(names.map((name) => [name, 0]));
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    for (const name of names) {
      const [metric, filter] = name.split('|');
      if (line.startsWith(`${metric}{`) || line.startsWith(`${metric} `)) {
        if (filter && !line.includes(filter)) continue;
        totals[name] += Number(line.slice(line.lastIndexOf(' ') + 1));
      }
    }
  }
  return totals;
}

const TICKS_PER_SECOND = 100;

/** CPU seconds used so far and RSS in MiB, from /proc. */
export function processStats(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  const rss = Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
  return { cpuSeconds, rss };
}
