// SPDX-License-Identifier: Apache-2.0
// Shared by the suites that run test/fixtures/stack-app.{mjs,cjs} (express + pg + ioredis) under the
// preload: starting it, calling it, and waiting for its complete trace.
import { fileURLToPath } from 'node:url';
import {
  type Fixture,
  findSpan,
  type OtlpReceiver,
  type ReceivedSpan,
  type RunningCollector,
  type SentryEmulator,
  startCollector,
  startFixture,
  startSentryEmulator,
  traceOf,
} from '@otel-preset/test-utils';
import { inject } from 'vitest';

export const fixturePath = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

export interface StackAppOptions {
  script: 'stack-app.mjs' | 'stack-app.cjs';
  flag: '--import' | '--require';
  /** Where the app exports: an in-test receiver or a collector. */
  receiver: Pick<OtlpReceiver, 'url'>;
  env?: Record<string, string>;
  node?: string;
}

/** Starts the stack app under the preload, exporting to `receiver` quickly (100 ms spans, 300 ms metrics). */
export function startStackApp({ script, flag, receiver, env = {}, node }: StackAppOptions): Fixture {
  return startFixture({
    script: fixturePath(script),
    nodeOptions: [flag, '@otel-preset/node/register'],
    node,
    env: {
      PG_URL: inject('pgUrl'),
      REDIS_URL: inject('redisUrl'),
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_METRIC_EXPORT_INTERVAL: '300',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      ...env,
    },
  });
}

export async function requestApp(app: Fixture, path: string): Promise<Response> {
  const [, port] = (await app.waitForOutput(/listening (\d+)/)) as RegExpMatchArray;
  return fetch(`http://127.0.0.1:${port}${path}`);
}

/**
 * Spans of the trace rooted at the SERVER span for `route`, once a span from each of `libs` has
 * arrived. Express adds no span by default (it names the route on the server span), so it is only
 * waited for when the app enables handler spans.
 */
/** The instrumentation scope a library's spans carry (server spans are the preset's own). */
export function scopeOf(lib: string): string {
  if (lib === 'http') return '@otel-preset/instrumentation-http-server';
  if (lib === 'pg' || lib === 'ioredis') return `@otel-preset/instrumentation-${lib}`;
  return `@opentelemetry/instrumentation-${lib}`;
}

export async function waitForStackTrace(
  receiver: OtlpReceiver,
  route: string,
  libs: readonly string[] = ['pg', 'ioredis'],
): Promise<{ server: ReceivedSpan; spans: ReceivedSpan[] }> {
  const complete = (spans: ReceivedSpan[]) => {
    const server = findSpan(spans, { kind: 'SERVER', attributes: { 'http.route': route } });
    if (!server) return false;
    const trace = traceOf(spans, server.traceId);
    return libs.every((lib) => trace.some((span) => span.scope.name === scopeOf(lib)));
  };
  const spans = await receiver.waitForSpans(complete, 20_000);
  const server = findSpan(spans, { kind: 'SERVER', attributes: { 'http.route': route } })!;
  return { server, spans: traceOf(spans, server.traceId) };
}

/**
 * The Sentry emulator behind the collector binary, keeping every trace (100 %) and deciding after 1 s so
 * tests do not wait out the sampler. `env` adds or overrides collector settings.
 */
export async function startSentryPipeline(
  env: Record<string, string> = {},
): Promise<{ sentry: SentryEmulator; collector: RunningCollector; stop(): Promise<void> }> {
  const sentry = await startSentryEmulator();
  const collector = await startCollector({
    env: {
      SENTRY_OTLP_TRACES_URL: sentry.otlpTracesUrl,
      SENTRY_OTLP_AUTH: sentry.otlpAuth,
      OTEL_PRESET_TRACES_EXPORTERS: '[otlp_http/sentry]',
      OTEL_PRESET_SAMPLING_PERCENT: '100',
      OTEL_PRESET_SAMPLING_DECISION_WAIT: '1s',
      OTEL_PRESET_COLLECTOR_LOG_LEVEL: 'warn',
      ...env,
    },
  });
  return {
    sentry,
    collector,
    async stop() {
      await Promise.allSettled([collector.stop(), sentry.close()]);
    },
  };
}
