// SPDX-License-Identifier: Apache-2.0
// Summaries and the printed table: medians over rounds, each compared with bare on the same route
// in the same round.
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';

const MIB = 1024 * 1024;

export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function describeMachine() {
  const cores = cpus();
  return {
    cpu: cores[0]?.model ?? 'unknown',
    cores: cores.length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    freeMemoryGiB: Math.round((freemem() / 1024 ** 3) * 10) / 10,
    os: `${process.platform} ${release()}`,
    node: process.version,
    loadavg: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** Per variant and route: medians over rounds, the req/s spread, and ratios to bare. */
export function summarize(samples, variants, routes) {
  const rows = [];
  for (const route of routes) {
    const stats = (variant) => {
      const runs = samples.filter((s) => s.variant === variant && s.route === route);
      if (runs.length === 0) return undefined;
      const rps = runs.map((r) => r.rps);
      return {
        variant,
        route,
        rounds: runs.length,
        rps: median(rps),
        rpsMin: Math.min(...rps),
        rpsMax: Math.max(...rps),
        p50: median(runs.map((r) => r.p50)),
        p99: median(runs.map((r) => r.p99)),
        rssMiB: median(runs.map((r) => r.rssBytes / MIB)),
        cpuUsPerReq: median(runs.map((r) => r.cpuUsPerReq)),
        spansPerReq: median(runs.map((r) => r.spansPerReq)),
        errors: runs.reduce((sum, r) => sum + r.errors, 0),
      };
    };
    // The machine's speed drifts from round to round; comparing each run with bare's run in the same
    // round and taking the median of those comparisons cancels most of the drift.
    const bareRuns = new Map(
      samples.filter((s) => s.variant === 'bare' && s.route === route).map((s) => [s.round, s]),
    );
    const paired = (variant, compare) =>
      median(
        samples
          .filter((s) => s.variant === variant && s.route === route && bareRuns.has(s.round))
          .map((s) => compare(s, bareRuns.get(s.round))),
      );
    for (const variant of variants) {
      const s = stats(variant);
      if (!s) continue;
      rows.push({
        ...s,
        rpsRatio: paired(variant, (run, bare) => run.rps / bare.rps),
        p99Ratio: paired(variant, (run, bare) => run.p99 / bare.p99),
        rssDeltaMiB: paired(variant, (run, bare) => (run.rssBytes - bare.rssBytes) / MIB),
      });
    }
  }
  return rows;
}

/** PASS/MISS for our preload against the targets, and whether it leads every peer on req/s and p99. */
export function verdicts(rows, ours, targets) {
  const out = [];
  for (const row of rows.filter((r) => r.variant === ours)) {
    const peers = rows.filter((r) => r.route === row.route && r.variant !== ours && r.variant !== 'bare');
    const ahead = peers.every((p) => row.rps > p.rps && row.p99 < p.p99 && row.rssMiB < p.rssMiB);
    out.push({
      route: row.route,
      rps: row.rpsRatio >= targets.minRpsRatio,
      p99: row.p99Ratio <= targets.maxP99Ratio,
      rss: row.rssDeltaMiB <= targets.maxRssDeltaMiB,
      aheadOfPeers: ahead,
    });
  }
  return out;
}

const fixed = (n, digits) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const signed = (n, digits) => (Number.isFinite(n) ? `${n >= 0 ? '+' : ''}${n.toFixed(digits)}` : '-');

export function formatTable(rows) {
  const header = [
    'route',
    'variant',
    'req/s',
    '(min-max)',
    '×bare',
    'p50 ms',
    'p99 ms',
    '×bare',
    'RSS MiB',
    'Δbare',
    'CPU µs/req',
    'spans/req',
  ];
  const body = rows.map((r) => [
    r.route,
    r.variant,
    fixed(r.rps, 0),
    `${fixed(r.rpsMin, 0)}-${fixed(r.rpsMax, 0)}`,
    fixed(r.rpsRatio, 2),
    fixed(r.p50, 2),
    fixed(r.p99, 2),
    fixed(r.p99Ratio, 2),
    fixed(r.rssMiB, 0),
    signed(r.rssDeltaMiB, 0),
    fixed(r.cpuUsPerReq, 0),
    fixed(r.spansPerReq, 1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) =>
    `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i < 2 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}
