// SPDX-License-Identifier: Apache-2.0
// Runs the real collector binary (collector/_build/otelcol-preset, from `npm run collector:build`) with
// the shipped otel-collector-config.yaml, on free ports, with its queue in a throwaway directory.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Fixture, startProcess } from './fixture.js';
import { startOnFreePorts, waitUntilReady } from './ready-process.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const COLLECTOR_BINARY = join(repoRoot, 'collector/_build/otelcol-preset');
export const COLLECTOR_CONFIG = join(repoRoot, 'otel-collector-config.yaml');

export interface CollectorPorts {
  otlpHttp: number;
  otlpGrpc: number;
  prometheus: number;
  telemetry: number;
  health: number;
}

export interface RunningCollector {
  readonly ports: CollectorPorts;
  /** OTLP/HTTP base URL for apps (OTEL_EXPORTER_OTLP_ENDPOINT). */
  readonly otlpUrl: string;
  /** host:port of the Prometheus exporter (app and span metrics). */
  readonly metricsTarget: string;
  /** host:port of the collector's own telemetry. */
  readonly telemetryTarget: string;
  readonly storageDir: string;
  /** The current process (a new one after restart()). */
  readonly process: Fixture;
  /** Output of every process run so far, oldest first. */
  logs(): string;
  /** SIGTERM (a graceful shutdown); the queue directory stays for start(). */
  shutdown(): Promise<void>;
  /** Starts again on the same ports and queue directory after shutdown(). */
  start(): Promise<void>;
  /** shutdown() then start(). */
  restart(): Promise<void>;
  /** Shuts down and removes the queue directory. */
  stop(): Promise<void>;
}

export interface CollectorOptions {
  /** Extra environment, e.g. the Sentry variables or sampling settings. */
  env?: Record<string, string>;
}

export function collectorAvailable(): boolean {
  return existsSync(COLLECTOR_BINARY);
}

export async function startCollector(options: CollectorOptions = {}): Promise<RunningCollector> {
  if (!collectorAvailable()) {
    throw new Error(`${COLLECTOR_BINARY} is missing: run 'npm run collector:build' first`);
  }
  const storageDir = mkdtempSync(join(tmpdir(), 'otelcol-queue-'));
  const envFor = (ports: CollectorPorts) => ({
    OTEL_PRESET_COLLECTOR_HOST: '127.0.0.1',
    OTEL_PRESET_COLLECTOR_OTLP_HTTP_PORT: String(ports.otlpHttp),
    OTEL_PRESET_COLLECTOR_OTLP_GRPC_PORT: String(ports.otlpGrpc),
    OTEL_PRESET_COLLECTOR_PROMETHEUS_PORT: String(ports.prometheus),
    OTEL_PRESET_COLLECTOR_TELEMETRY_PORT: String(ports.telemetry),
    OTEL_PRESET_COLLECTOR_HEALTH_PORT: String(ports.health),
    OTEL_PRESET_COLLECTOR_STORAGE_DIR: storageDir,
    ...options.env,
  });
  const previousLogs: string[] = [];

  const spawnCollector = (ports: CollectorPorts) =>
    startProcess({
      command: COLLECTOR_BINARY,
      args: ['--config', COLLECTOR_CONFIG],
      env: envFor(ports),
      label: 'otelcol-preset',
    });
  const asPorts = ([otlpHttp, otlpGrpc, prometheus, telemetry, health]: number[]): CollectorPorts => ({
    otlpHttp: otlpHttp!,
    otlpGrpc: otlpGrpc!,
    prometheus: prometheus!,
    telemetry: telemetry!,
    health: health!,
  });
  const started = await startOnFreePorts({
    label: 'otelcol-preset',
    portCount: 5,
    start: (ports) => spawnCollector(asPorts(ports)),
    readyUrl: (ports) => `http://127.0.0.1:${asPorts(ports).health}/`,
  });
  const bound = asPorts(started.ports);
  let current: Fixture = started.process;
  const logsOf = (fixture: Fixture) => fixture.stdout() + fixture.stderr();
  const shutdown = async () => {
    await current.kill('SIGTERM');
  };
  const start = async () => {
    previousLogs.push(logsOf(current));
    current = spawnCollector(bound);
    await waitUntilReady(current, `http://127.0.0.1:${bound.health}/`, 'otelcol-preset');
  };
  return {
    ports: bound,
    otlpUrl: `http://127.0.0.1:${bound.otlpHttp}`,
    metricsTarget: `127.0.0.1:${bound.prometheus}`,
    telemetryTarget: `127.0.0.1:${bound.telemetry}`,
    storageDir,
    get process() {
      return current;
    },
    logs: () => [...previousLogs, logsOf(current)].join('\n--- restart ---\n'),
    shutdown,
    start,
    async restart() {
      await shutdown();
      await start();
    },
    async stop() {
      await current.kill('SIGTERM');
      rmSync(storageDir, { recursive: true, force: true });
    },
  };
}
