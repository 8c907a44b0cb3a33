// SPDX-License-Identifier: Apache-2.0
// Closed-loop keep-alive load: `connections` loops, each sending its next request as soon as the
// previous response body has been read. Latency is timed per request with hrtime and kept exactly
// (not in a histogram), so p99 has sub-millisecond resolution.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PEERS_DIR } from './peers.mjs';

// undici comes from bench/peers (installed before this module is imported).
const { Pool } = createRequire(join(PEERS_DIR, 'package.json'))('undici');

/**
 * Drives `url` for `durationMs`. Resolves with completed requests, non-2xx/failed counts, elapsed
 * time and the sorted latencies in milliseconds.
 */
export async function runLoad({ url, connections, durationMs }) {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections, pipelining: 1 });
  const path = `${target.pathname}${target.search}`;
  const latencies = [];
  let errors = 0;
  const started = performance.now();
  const until = started + durationMs;

  async function loop() {
    while (performance.now() < until) {
      const sent = performance.now();
      try {
        const { statusCode, body } = await pool.request({ path, method: 'GET' });
        await body.dump();
        if (statusCode >= 200 && statusCode < 300) latencies.push(performance.now() - sent);
        else errors++;
      } catch {
        errors++;
      }
    }
  }

  await Promise.all(Array.from({ length: connections }, loop));
  const elapsedMs = performance.now() - started;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, errors, elapsedMs, latencies };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
