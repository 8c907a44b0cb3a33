// SPDX-License-Identifier: Apache-2.0
// Public API of @otel-preset/node: start/flush/shutdown and span helpers. The preload entries
// (register.mjs, register.cjs) call startFromPreload; apps that prefer code call start().

import { isMainThread } from 'node:worker_threads';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { type PresetConfig, resolveConfig } from './config.js';
import type { Env } from './env.js';
import { INSTRUMENTATION_NAMES } from './instrumentations.js';
import { installDiagLogger, log } from './logging.js';
import { type RunningSdk, startSdk } from './sdk.js';

export type { PresetConfig } from './config.js';
export { type SentryOtlpTarget, sentryCollectorEnv, sentryOtlpTarget } from './sentry.js';
export { type SpanOptions, traced, withSpan } from './spans.js';
export { VERSION } from './version.js';

export interface StartOptions {
  /** Overrides OTEL_SERVICE_NAME. */
  serviceName?: string;
  /** Instrumentations to enable in addition to the preset's own. */
  instrumentations?: Instrumentation[];
  /** Environment to read instead of process.env. */
  env?: Env;
  /** Install SIGTERM/SIGINT/beforeExit handlers (default: OTEL_PRESET_SHUTDOWN_HANDLERS, true). */
  installShutdownHandlers?: boolean;
}

export interface PresetHandle {
  /** Resolved configuration (frozen); undefined only when start-up itself failed. */
  config: PresetConfig | undefined;
  /** Resolves when ESM instrumentation hooks are in place. */
  ready: Promise<void>;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

// Shared through the global registry so a second copy of the preset (or a second --import) is a no-op.
const STATE_KEY = Symbol.for('otel-preset.state');
type GlobalWithState = typeof globalThis & { [STATE_KEY]?: PresetHandle };

const noop = async () => {};
const inactive = (config?: PresetConfig): PresetHandle => ({
  config,
  ready: Promise.resolve(),
  flush: noop,
  shutdown: noop,
});

function startOnce(options: StartOptions, canAwaitEsmHook: boolean): PresetHandle {
  const registry = globalThis as GlobalWithState;
  const existing = registry[STATE_KEY];
  if (existing) {
    log.debug('already started; ignoring the second start.');
    return existing;
  }
  let handle: PresetHandle;
  try {
    const { config, warnings } = resolveConfig({
      env: options.env ?? process.env,
      instrumentationNames: INSTRUMENTATION_NAMES,
      overrides: {
        serviceName: options.serviceName,
        installShutdownHandlers: options.installShutdownHandlers,
      },
    });
    installDiagLogger(config.logLevel);
    for (const warning of warnings) log.warn(warning);
    if (config.disabled) {
      log.info('OTEL_SDK_DISABLED=true: telemetry is off.');
      handle = inactive(config);
    } else {
      const sdk: RunningSdk = startSdk(config, {
        canAwaitEsmHook,
        extraInstrumentations: options.instrumentations ?? [],
      });
      handle = { config, ready: sdk.ready, flush: sdk.flush, shutdown: sdk.shutdown };
    }
  } catch (error) {
    // Broken telemetry must mean no telemetry, never a broken app.
    log.error('could not start; the app runs without telemetry:', error);
    handle = inactive();
  }
  registry[STATE_KEY] = handle;
  return handle;
}

/** Starts telemetry for this process. Call it before the app loads the modules it wants instrumented. */
export function start(options: StartOptions = {}): PresetHandle {
  return startOnce(options, false);
}

/** Exports everything recorded so far (bounded by OTEL_PRESET_SHUTDOWN_TIMEOUT). */
export function flush(): Promise<void> {
  return (globalThis as GlobalWithState)[STATE_KEY]?.flush() ?? Promise.resolve();
}

/** Flushes and stops exporting (bounded by OTEL_PRESET_SHUTDOWN_TIMEOUT). */
export function shutdown(): Promise<void> {
  return (globalThis as GlobalWithState)[STATE_KEY]?.shutdown() ?? Promise.resolve();
}

/** @internal Entry used by register.mjs / register.cjs. */
export function startFromPreload(esm: boolean): Promise<void> {
  if (!isMainThread) return Promise.resolve();
  return startOnce({}, esm).ready;
}
