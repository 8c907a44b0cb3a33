// SPDX-License-Identifier: Apache-2.0
// Starts everything the demo needs as local processes, no Docker: PostgreSQL and Redis (unless URLs are
// given), the provider, Browserbase and Sentry emulators, the collector (traces to the Sentry emulator
// through `otel-preset sentry-env`, exactly as a user would wire a real DSN), Prometheus with our
// scrape jobs and rule files, and the demo API and worker under the preload.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type BrowserbaseEmulator,
  type Fixture,
  type ProviderEmulator,
  type RunningCollector,
  type RunningPrometheus,
  type ScrapeJob,
  type SentryEmulator,
  type ServiceCleanup,
  startAnthropicEmulator,
  startBrowserbaseEmulator,
  startCollector,
  startFixture,
  startGeminiEmulator,
  startOpenAIEmulator,
  startPostgres,
  startPrometheus,
  startRedis,
  startSentryEmulator,
} from '@otel-preset/test-utils';
import { parse } from 'yaml';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEMO_DIR = join(REPO_ROOT, 'examples/agent-demo');
export const RULES_DIR = join(REPO_ROOT, 'prometheus/rules');

export interface DemoStackOptions {
  pgUrl?: string;
  redisUrl?: string;
  /** Seconds between scrapes, rule evaluations and metric exports; short in tests. */
  intervalSeconds?: number;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Use a running collector and Prometheus (compose) instead of starting them; no Sentry emulator then. */
  external?: { otlpUrl: string; prometheusUrl: string };
}

/** What the summary needs from Prometheus. */
export interface PromQuery {
  readonly url: string;
  query: RunningPrometheus['query'];
}

export interface DemoStack {
  apiUrl: string;
  collector?: RunningCollector;
  prometheus: PromQuery;
  sentry?: SentryEmulator;
  openai: ProviderEmulator;
  anthropic: ProviderEmulator;
  gemini: ProviderEmulator;
  browserbase: BrowserbaseEmulator;
  api: Fixture;
  worker: Fixture;
  stop(): Promise<void>;
}

/** The collector's Sentry settings from the CLI users run: `otel-preset sentry-env`. */
function sentryEnv(dsn: string): Record<string, string> {
  const cli = join(REPO_ROOT, 'packages/node/dist/cli.cjs');
  const output = execFileSync(process.execPath, [cli, 'sentry-env'], {
    env: { PATH: process.env['PATH'] ?? '', SENTRY_DSN: dsn },
    encoding: 'utf8',
  });
  return Object.fromEntries(
    output
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

export function ruleFiles(): string[] {
  return readdirSync(RULES_DIR)
    .filter((name) => name.endsWith('.yml'))
    .sort()
    .map((name) => join(RULES_DIR, name));
}

interface PromConfig {
  scrape_configs: { job_name: string; honor_labels?: boolean; static_configs: { targets: string[] }[] }[];
}

/** prometheus/prometheus.yml's jobs, with the compose host names replaced by the local collector's ports. */
export function scrapeJobs(collector: RunningCollector): Record<string, ScrapeJob> {
  const config = parse(readFileSync(join(REPO_ROOT, 'prometheus/prometheus.yml'), 'utf8')) as PromConfig;
  const local: Record<string, string> = {
    'otel-collector:8889': collector.metricsTarget,
    'otel-collector:8888': collector.telemetryTarget,
  };
  const jobs: Record<string, ScrapeJob> = {};
  for (const job of config.scrape_configs) {
    const targets = job.static_configs.flatMap((c) => c.targets).flatMap((t) => (local[t] ? [local[t]] : []));
    if (targets.length) jobs[job.job_name] = { targets, honorLabels: job.honor_labels ?? false };
  }
  return jobs;
}

/** Instant queries against a Prometheus someone else runs. */
function prometheusClient(url: string): PromQuery {
  return {
    url,
    async query(promql) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await response.json()) as {
        status: string;
        error?: string;
        data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      if (body.status !== 'success' || !body.data) throw new Error(`query ${promql} failed: ${body.error}`);
      return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
  };
}

export async function startDemoStack(options: DemoStackOptions = {}): Promise<DemoStack> {
  const log = options.log ?? (() => {});
  const interval = options.intervalSeconds ?? 5;
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    cleanups.length = 0;
  };
  try {
    const services: ServiceCleanup[] = [];
    cleanups.push(async () => {
      for (const cleanup of services.reverse()) await cleanup();
    });
    log('starting PostgreSQL, Redis and the emulators');
    const [pgUrl, redisUrl, openai, anthropic, gemini, browserbase] = await Promise.all([
      options.pgUrl ?? startPostgres(services),
      options.redisUrl ?? startRedis(services),
      startOpenAIEmulator(),
      startAnthropicEmulator(),
      startGeminiEmulator(),
      startBrowserbaseEmulator(),
    ]);
    for (const emulator of [openai, anthropic, gemini, browserbase]) cleanups.push(() => emulator.close());

    let collector: RunningCollector | undefined;
    let sentry: SentryEmulator | undefined;
    let prometheus: PromQuery;
    if (options.external) {
      prometheus = prometheusClient(options.external.prometheusUrl);
    } else {
      log('starting the collector, a Sentry endpoint and Prometheus');
      const emulator = await startSentryEmulator();
      sentry = emulator;
      cleanups.push(() => emulator.close());
      const started = await startCollector({
        env: {
          ...sentryEnv(emulator.dsn),
          OTEL_PRESET_SAMPLING_DECISION_WAIT: '2s',
          OTEL_PRESET_SPAN_METRICS_FLUSH_INTERVAL: `${interval}s`,
          OTEL_PRESET_COLLECTOR_LOG_LEVEL: 'warn',
        },
      });
      collector = started;
      cleanups.push(() => started.stop());
      const running = await startPrometheus({
        jobs: scrapeJobs(started),
        scrapeIntervalSeconds: interval,
        ruleFiles: ruleFiles(),
        exemplars: true,
      });
      prometheus = running;
      cleanups.push(() => running.stop());
    }

    const appEnv = {
      PG_URL: pgUrl,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: `agent-demo-${process.pid}`,
      OPENAI_BASE_URL: openai.url,
      OPENAI_API_KEY: 'demo-key',
      ANTHROPIC_BASE_URL: anthropic.url,
      ANTHROPIC_API_KEY: 'demo-key',
      GEMINI_BASE_URL: gemini.url,
      GEMINI_API_KEY: 'demo-key',
      BROWSERBASE_BASE_URL: browserbase.url,
      BROWSERBASE_API_KEY: browserbase.apiKey,
      BROWSERBASE_PROJECT_ID: browserbase.projectId,
      // Short enough that the session the demo leaks is reported within the run.
      OTEL_PRESET_BROWSERBASE_STUCK_AFTER: '20s',
      OTEL_EXPORTER_OTLP_ENDPOINT: options.external?.otlpUrl ?? collector!.otlpUrl,
      OTEL_METRIC_EXPORT_INTERVAL: String(interval * 1000),
      OTEL_BSP_SCHEDULE_DELAY: '500',
    };
    const underPreload = (script: string, service: string) => {
      const app = startFixture({
        script: join(DEMO_DIR, script),
        cwd: REPO_ROOT,
        nodeOptions: ['--import', '@otel-preset/node/register'],
        env: { ...appEnv, OTEL_SERVICE_NAME: service },
      });
      cleanups.push(() => app.kill('SIGTERM'));
      return app;
    };
    log('starting the demo API and worker under the preload');
    const api = underPreload('api.mjs', 'agent-api');
    const [, port] = (await api.waitForOutput(/agent-api listening (\d+)/, 30_000)) as RegExpMatchArray;
    const worker = underPreload('worker.mjs', 'agent-worker');
    await worker.waitForOutput(/agent-worker ready/, 30_000);

    return {
      apiUrl: `http://127.0.0.1:${port}`,
      collector,
      prometheus,
      sentry,
      openai,
      anthropic,
      gemini,
      browserbase,
      api,
      worker,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
