// SPDX-License-Identifier: Apache-2.0
// Mixed traffic against the demo API, with the failures the dashboards and alerts are about: provider
// 429s and 500s, research jobs that fail and are retried (a few for good), Browserbase session creates
// that fail, one browser session leaked on purpose, bursts of slow digest jobs (a backlog) and slow
// report queries that queue for a pool connection; and a short Sentry outage when Sentry is emulated.
import type { BrowserbaseEmulator, ProviderEmulator, SentryEmulator } from '@otel-preset/test-utils';

export interface WorkloadTargets {
  apiUrl: string;
  openai: ProviderEmulator;
  anthropic: ProviderEmulator;
  gemini: ProviderEmulator;
  browserbase: BrowserbaseEmulator;
  /** When given, Sentry answers 503 for a few seconds mid-run: the collector queues and retries. */
  sentry?: SentryEmulator | undefined;
}

export interface WorkloadStats {
  requests: number;
  byStatus: Record<string, number>;
}

const PROVIDERS = ['openai', 'anthropic', 'gemini'] as const;

/** A deterministic sequence, so two runs exercise the same paths. */
function sequence(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

export async function runWorkload(
  targets: WorkloadTargets,
  durationMs: number,
  onProgress?: (stats: WorkloadStats) => void,
): Promise<WorkloadStats> {
  const stats: WorkloadStats = { requests: 0, byStatus: {} };
  const random = sequence(42);
  const call = async (method: string, path: string, body?: unknown) => {
    try {
      const response = await fetch(`${targets.apiUrl}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      await response.arrayBuffer();
      stats.byStatus[response.status] = (stats.byStatus[response.status] ?? 0) + 1;
    } catch {
      stats.byStatus['network error'] = (stats.byStatus['network error'] ?? 0) + 1;
    }
    stats.requests++;
  };

  // One session that is never released, right away, so the stuck-session watchdog has one to find.
  await call('POST', '/api/research', { topic: 'a page that never closes', leak: true });

  const step = async (tick: number) => {
    const dice = random();
    if (tick % 40 === 0) return call('POST', '/api/digests', { count: 8 });
    if (dice < 0.35) {
      const provider = PROVIDERS[tick % PROVIDERS.length]!;
      const emulator = targets[provider];
      if (random() < 0.12) emulator.enqueue({ status: random() < 0.6 ? 429 : 500 });
      return call('POST', '/api/chat', { provider, prompt: `question ${tick}`, stream: random() < 0.5 });
    }
    if (dice < 0.55) {
      const roll = random();
      if (roll < 0.08)
        targets.browserbase.failNext({ method: 'POST', path: /^\/v1\/sessions$/, status: 500 });
      const fail = roll > 0.9 ? 'always' : roll > 0.75;
      return call('POST', '/api/research', { topic: `topic ${tick}`, fail });
    }
    if (dice < 0.75) return call('GET', `/api/reports?slow=${random() < 0.4 ? 1 : 0}`);
    return call('GET', `/api/reports/${1 + Math.floor(random() * 30)}`);
  };

  const outage = targets.sentry
    ? setTimeout(
        () => {
          void targets.sentry?.setOutage({ kind: 'status', statusCode: 503 });
          setTimeout(() => void targets.sentry?.setOutage(undefined), 8_000).unref();
        },
        Math.min(durationMs * 0.3, 20_000),
      ).unref()
    : undefined;

  const deadline = Date.now() + durationMs;
  const inFlight = new Set<Promise<void>>();
  for (let tick = 1; Date.now() < deadline; tick++) {
    const launch = (n: number) => {
      const request: Promise<void> = step(n).finally(() => inFlight.delete(request));
      inFlight.add(request);
    };
    launch(tick);
    // Bursts of slow report searches now and then, so the small pg pool has clients waiting.
    if (tick % 25 === 0) for (let n = 0; n < 6; n++) void call('GET', '/api/reports?slow=1');
    if (tick % 20 === 0) onProgress?.(stats);
    await new Promise((resolve) => setTimeout(resolve, 120 + random() * 160));
  }
  await Promise.allSettled(inFlight);
  clearTimeout(outage);
  return stats;
}
