// SPDX-License-Identifier: Apache-2.0
// Runs the real collector binary (collector/_build/otelcol-preset, from `npm run collector:build`) with
// the shipped otel-collector-config.yaml, on free ports, with its queue in a throwaway directory.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Fixture, startProcess } from './fixture.js';
import { freePort } from './free-port.js';
import { pollUntil } from './poll.js';

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
  const ports: CollectorPorts = {
    otlpHttp: await freePort(),
    otlpGrpc: await freePort(),
    prometheus: await freePort(),
    telemetry: await freePort(),
    health: await freePort(),
  };
  const storageDir = mkdtempSync(join(tmpdir(), 'otelcol-queue-'));
  const env = {
    OTEL_PRESET_COLLECTOR_HOST: '127.0.0.1',
    OTEL_PRESET_COLLECTOR_OTLP_HTTP_PORT: String(ports.otlpHttp),
    OTEL_PRESET_COLLECTOR_OTLP_GRPC_PORT: String(ports.otlpGrpc),
    OTEL_PRESET_COLLECTOR_PROMETHEUS_PORT: String(ports.prometheus),
    OTEL_PRESET_COLLECTOR_TELEMETRY_PORT: String(ports.telemetry),
    OTEL_PRESET_COLLECTOR_HEALTH_PORT: String(ports.health),
    OTEL_PRESET_COLLECTOR_STORAGE_DIR: storageDir,
    ...options.env,
  };
  const previousLogs: string[] = [];
  let current: Fixture;

  async function launch(): Promise<Fixture> {
    const started = startProcess({
      command: COLLECTOR_BINARY,
      args: ['--config', COLLECTOR_CONFIG],
      env,
      label: 'otelcol-preset',
    });
    const output = () => started.stdout() + started.stderr();
    await pollUntil(
      async () => {
        const response = await fetch(`http://127.0.0.1:${ports.health}/`);
        return response.ok ? true : undefined;
      },
      20_000,
      () => `collector did not become healthy within 20 s:\n${output()}`,
      100,
    );
    return started;
  }

  current = await launch();
  const logsOf = (fixture: Fixture) => fixture.stdout() + fixture.stderr();
  const shutdown = async () => {
    await current.kill('SIGTERM');
  };
  const start = async () => {
    previousLogs.push(logsOf(current));
    current = await launch();
  };
  return {
    ports,
    otlpUrl: `http://127.0.0.1:${ports.otlpHttp}`,
    metricsTarget: `127.0.0.1:${ports.prometheus}`,
    telemetryTarget: `127.0.0.1:${ports.telemetry}`,
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
