// SPDX-License-Identifier: Apache-2.0
// Runs a real Prometheus (the Debian package's binary, or PROMETHEUS_BIN) in a throwaway directory,
// scraping the given targets, and answers PromQL queries through its HTTP API.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Fixture, startProcess } from './fixture.js';
import { pollUntil } from './poll.js';
import { startOnFreePorts } from './ready-process.js';

export const PROMETHEUS_BINARY = process.env['PROMETHEUS_BIN'] ?? '/usr/bin/prometheus';

export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

export interface RunningPrometheus {
  readonly url: string;
  readonly process: Fixture;
  /** Instant query; the samples of the resulting vector. */
  query(promql: string): Promise<PromSample[]>;
  /** Polls `promql` until `predicate` accepts the samples (by default: at least one). */
  waitForQuery(
    promql: string,
    predicate?: (samples: PromSample[]) => boolean,
    timeoutMs?: number,
  ): Promise<PromSample[]>;
  stop(): Promise<void>;
}

export interface ScrapeJob {
  targets: string[];
  /** Keep the labels the target exposes over Prometheus's job/instance; default true. */
  honorLabels?: boolean;
}

export interface PrometheusOptions {
  /** Scrape jobs: job name to host:port targets (honor_labels on), or a full job. */
  jobs: Record<string, string[] | ScrapeJob>;
  scrapeIntervalSeconds?: number;
  /** Rule files (absolute paths) to load, evaluated every scrape interval. */
  ruleFiles?: string[];
  /** Keep exemplars (trace ids on histogram buckets) for `/api/v1/query_exemplars`. */
  exemplars?: boolean;
}

export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-'));
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  const jobs = Object.entries(options.jobs).map(([job, spec]) => {
    const { targets, honorLabels = true } = Array.isArray(spec) ? { targets: spec } : spec;
    return (
      `  - job_name: ${JSON.stringify(job)}\n    honor_labels: ${honorLabels}\n` +
      `    static_configs:\n      - targets: ${JSON.stringify(targets)}`
    );
  });
  const rules = options.ruleFiles?.length
    ? `rule_files:\n${options.ruleFiles.map((file) => `  - ${JSON.stringify(file)}`).join('\n')}\n`
    : '';
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: ${interval}\n  evaluation_interval: ${interval}\n${rules}` +
      `scrape_configs:\n${jobs.join('\n')}\n`,
  );
  const started = await startOnFreePorts({
    label: 'prometheus',
    portCount: 1,
    start: ([port]) =>
      startProcess({
        command: PROMETHEUS_BINARY,
        args: [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--log.level=warn',
          ...(options.exemplars ? ['--enable-feature=exemplar-storage'] : []),
        ],
        label: 'prometheus',
      }),
    readyUrl: ([port]) => `http://127.0.0.1:${port}/-/ready`,
  });
  const prometheus = started.process;
  const url = `http://127.0.0.1:${started.ports[0]}`;

  async function query(promql: string): Promise<PromSample[]> {
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== 'success' || !body.data) throw new Error(`query ${promql} failed: ${body.error}`);
    if (body.data.resultType !== 'vector') throw new Error(`query ${promql} gave a ${body.data.resultType}`);
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  return {
    url,
    process: prometheus,
    query,
    waitForQuery(promql, predicate = (samples) => samples.length > 0, timeoutMs = 30_000) {
      let last: PromSample[] = [];
      return pollUntil(
        async () => {
          last = await query(promql);
          return predicate(last) ? last : undefined;
        },
        timeoutMs,
        (lastError) =>
          `Prometheus query did not match within ${timeoutMs} ms: ${promql}\nlast result: ${JSON.stringify(last)}` +
          (lastError ? `\nlast error: ${lastError instanceof Error ? lastError.message : lastError}` : ''),
        250,
      );
    },
    async stop() {
      await prometheus.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
