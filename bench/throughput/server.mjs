// SPDX-License-Identifier: Apache-2.0
// Starts the benchmark app under one variant's preload and samples the process's memory and CPU time
// from /proc, so the figures are the server's own and not the harness's.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const APP = join(dirname(fileURLToPath(import.meta.url)), 'app.mjs');
// Upstream's register probes cloud metadata services at start-up; give it time before calling it hung.
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;
const CLOCK_TICKS_PER_S = 100;

/** Resident set size in bytes, or undefined once the process is gone. */
export function rssBytes(pid) {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds the process has used so far. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th overall.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
  } catch {
    return Number.NaN;
  }
}

/** `nodeArgs` go before the preloads, e.g. `--cpu-prof` for profiling. */
/**
 * CPU seconds by thread group: the main thread (user and system), V8's helper threads (garbage
 * collection, compilation) and the rest (libuv's pool: gzip, DNS).
 */
export function threadCpuSeconds(pid) {
  const out = { mainUser: 0, mainSystem: 0, v8: 0, other: 0 };
  let tids;
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const user = Number(fields[11]) / CLOCK_TICKS_PER_S;
    const system = Number(fields[12]) / CLOCK_TICKS_PER_S;
    if (tid === String(pid)) {
      out.mainUser += user;
      out.mainSystem += system;
    } else if (name.startsWith('V8')) out.v8 += user + system;
    else out.other += user + system;
  }
  return out;
}

/** `NAME=VALUE` settings from the command line as an environment object (the value may hold '='). */
export function envFromPairs(pairs) {
  return Object.fromEntries(
    pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
}

/** `onStdoutLine` sees every line the server prints, e.g. V8's GC trace (startServer keeps only a tail). */
export function startServer(variant, env, nodeArgs = [], onStdoutLine = undefined) {
  const args = [...nodeArgs, ...variant.imports.flatMap((i) => ['--import', i]), APP];
  const child = spawn(process.execPath, args, {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let partialLine = '';
  const keep = (chunk) => {
    output = (output + chunk).slice(-8192);
  };
  child.stderr.on('data', keep);
  const port = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`not listening after ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    child.stdout.on('data', (chunk) => {
      if (onStdoutLine) {
        const lines = (partialLine + chunk).split('\n');
        partialLine = lines.pop();
        for (const line of lines) onStdoutLine(line);
      }
      keep(chunk);
      const match = /listening (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`exited before listening (${signal ?? `code ${code}`})`));
    });
  });
  return {
    pid: child.pid,
    port,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
