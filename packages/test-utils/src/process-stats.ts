// SPDX-License-Identifier: Apache-2.0
import { readFileSync } from 'node:fs';

/** Resident set size of a process in MiB, from /proc (Linux). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (!kib) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kib) / 1024;
}

/** Least-squares slope of `values` over `times` (both arrays the same length); per unit of time. */
export function slope(times: readonly number[], values: readonly number[]): number {
  const n = times.length;
  const meanT = times.reduce((a, b) => a + b, 0) / n;
  const meanV = values.reduce((a, b) => a + b, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (let i = 0; i < n; i++) {
    covariance += (times[i]! - meanT) * (values[i]! - meanV);
    variance += (times[i]! - meanT) ** 2;
  }
  return variance === 0 ? 0 : covariance / variance;
}
