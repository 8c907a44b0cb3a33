// SPDX-License-Identifier: Apache-2.0
import type { Tracer } from '@opentelemetry/api';
import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import {
  ENV_CAPTURE_CONTENT,
  ENV_CAPTURE_URLS,
  ENV_STUCK_AFTER,
  type Env,
  envBool,
  envDurationMs,
} from './env.js';
import { createMetrics, type Metrics } from './metrics.js';
import { type Rates, resolveRates } from './pricing.js';
import { SessionTracker } from './session-lifecycle.js';
import { SESSION_METHODS, type SessionsPatchContext, wrapSessionMethod } from './sessions.js';
import { STAGEHAND_METHODS, type StagehandPatchContext, wrapStagehandMethod } from './stagehand.js';
import type { BrowserbaseInstrumentationConfig } from './types.js';
import { PACKAGE_NAME, VERSION } from './version.js';
import { Watchdog, watchdogPeriodMs } from './watchdog.js';

export const SDK_VERSIONS = ['>=2.0.0 <3'];
export const STAGEHAND_VERSIONS = ['>=4.0.0 <5'];
const DEFAULT_STUCK_AFTER_MS = 10 * 60_000;

interface Settings {
  rates: Rates;
  stuckAfterMs: number;
  captureUrls: boolean;
  captureInstructions: boolean;
}

type Patchable = Record<string, unknown>;

/** The ES namespace wraps the CommonJS-style export in `default`; either way we want the classes. */
const exportsOf = (moduleExports: unknown): Patchable | undefined => {
  const value = moduleExports as Patchable | undefined;
  if (!value) return undefined;
  return (value as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'Module' && !value['Stagehand']
    ? ((value['default'] as Patchable | undefined) ?? value)
    : value;
};

const prototypeOf = (cls: unknown): Patchable | undefined => {
  const proto = (cls as { prototype?: unknown } | undefined)?.prototype;
  return proto && typeof proto === 'object' ? (proto as Patchable) : undefined;
};

export class BrowserbaseInstrumentation extends InstrumentationBase<BrowserbaseInstrumentationConfig> {
  // `declare`: the base constructor calls _updateMetricInstruments() before field initialisers run,
  // and an initialiser would wipe what it set.
  declare private _metrics: Metrics | undefined;
  declare private _settings: Settings;
  declare private _tracker: SessionTracker;
  declare private _watchdog: Watchdog;
  declare private _onBeforeExit: () => void;

  constructor(config: BrowserbaseInstrumentationConfig = {}) {
    super(PACKAGE_NAME, VERSION, config);
    this._settings = this._resolveSettings(this.getConfig());
    this._tracker = new SessionTracker({
      tracer: () => this.tracer,
      metrics: () => this._instruments(),
      rates: () => this._settings.rates,
      stuckAfterMs: () => this._settings.stuckAfterMs,
      captureUrls: () => this._settings.captureUrls,
      onBusyChange: (busy) => (busy ? this._watchdog.start() : this._watchdog.stop()),
    });
    this._watchdog = new Watchdog(
      () => this._tracker.tick(),
      () => watchdogPeriodMs(this._settings.stuckAfterMs),
    );
    // The preset flushes on beforeExit too; this listener is registered first, so the session spans
    // ended here are part of that flush. No signal listeners: adding one changes how the app exits.
    this._onBeforeExit = () => {
      try {
        this._tracker.endAll('shutdown');
      } catch {
        // never into the host
      }
    };
    process.on('beforeExit', this._onBeforeExit);
  }

  override setConfig(config: BrowserbaseInstrumentationConfig = {}): void {
    super.setConfig(config);
    // The base constructor calls setConfig before our fields exist.
    if (this._tracker) this._settings = this._resolveSettings(config);
  }

  /** Sessions still open right now (created here, not yet released or timed out). */
  get openSessionCount(): number {
    return this._tracker.size;
  }

  /**
   * Ends the `browserbase.session` span of every open session (end reason `shutdown`). Runs on
   * `beforeExit`; call it before `sdk.shutdown()` when the process ends another way.
   */
  endOpenSessions(): void {
    this._tracker.endAll('shutdown');
    this._watchdog.stop();
  }

  override disable(): void {
    super.disable();
    this._tracker?.endAll('shutdown');
    this._watchdog?.stop();
  }

  protected override _updateMetricInstruments(): void {
    this._metrics = undefined;
  }

  protected init() {
    return [
      new InstrumentationNodeModuleDefinition(
        '@browserbasehq/sdk',
        SDK_VERSIONS,
        (moduleExports) => this._patchSdk(moduleExports),
        (moduleExports) => this._unpatchSdk(moduleExports),
      ),
      new InstrumentationNodeModuleDefinition(
        '@browserbasehq/stagehand',
        STAGEHAND_VERSIONS,
        (moduleExports) => this._patchStagehand(moduleExports),
        (moduleExports) => this._unpatchStagehand(moduleExports),
      ),
    ];
  }

  private _resolveSettings(config: BrowserbaseInstrumentationConfig): Settings {
    const env: Env = process.env;
    const warn = (line: string) => this._diag.warn(line);
    const stuckAfterMs =
      typeof config.stuckAfterMs === 'number' && config.stuckAfterMs > 0
        ? config.stuckAfterMs
        : envDurationMs(env, ENV_STUCK_AFTER, DEFAULT_STUCK_AFTER_MS, warn);
    return {
      rates: resolveRates(config, env, warn),
      stuckAfterMs,
      captureUrls: config.captureSessionUrls ?? envBool(env, ENV_CAPTURE_URLS, warn) ?? false,
      captureInstructions: config.captureInstructions ?? envBool(env, ENV_CAPTURE_CONTENT, warn) ?? false,
    };
  }

  private _instruments(): Metrics {
    this._metrics ??= createMetrics(this.meter, this._tracker);
    return this._metrics;
  }

  private _warn = (message: string, error: unknown) => this._diag.warn(message, error);

  private _sessionsContext(): SessionsPatchContext {
    return {
      tracer: (): Tracer => this.tracer,
      metrics: () => this._instruments(),
      tracker: this._tracker,
      captureUrls: () => this._settings.captureUrls,
      enabled: () => this.isEnabled(),
      warn: this._warn,
    };
  }

  private _sessionsPrototype(moduleExports: unknown): Patchable | undefined {
    const exports = exportsOf(moduleExports);
    const client = exports?.['Browserbase'] ?? exports?.['default'] ?? exports;
    return prototypeOf((client as Patchable | undefined)?.['Sessions']);
  }

  private _patchSdk<T>(moduleExports: T): T {
    const proto = this._sessionsPrototype(moduleExports);
    if (!proto) {
      this._diag.debug('@browserbasehq/sdk: no Sessions class found; not patched');
      return moduleExports;
    }
    const ctx = this._sessionsContext();
    for (const method of SESSION_METHODS) {
      if (typeof proto[method] !== 'function') continue;
      this._wrap(proto, method, (original) =>
        wrapSessionMethod(method, original as (...args: unknown[]) => unknown, ctx),
      );
    }
    return moduleExports;
  }

  private _unpatchSdk(moduleExports: unknown): void {
    const proto = this._sessionsPrototype(moduleExports);
    if (proto) for (const method of SESSION_METHODS) this._unwrap(proto, method);
  }

  private _stagehandPrototype(moduleExports: unknown): Patchable | undefined {
    return prototypeOf(exportsOf(moduleExports)?.['Stagehand']);
  }

  private _patchStagehand<T>(moduleExports: T): T {
    const proto = this._stagehandPrototype(moduleExports);
    if (!proto) {
      this._diag.debug('@browserbasehq/stagehand: no Stagehand class found; not patched');
      return moduleExports;
    }
    const ctx: StagehandPatchContext = {
      tracer: () => this.tracer,
      metrics: () => this._instruments(),
      captureInstructions: () => this._settings.captureInstructions,
      enabled: () => this.isEnabled(),
      warn: this._warn,
    };
    for (const method of STAGEHAND_METHODS) {
      if (typeof proto[method] !== 'function') continue;
      this._wrap(proto, method, (original) =>
        wrapStagehandMethod(method, original as (...args: unknown[]) => unknown, ctx),
      );
    }
    return moduleExports;
  }

  private _unpatchStagehand(moduleExports: unknown): void {
    const proto = this._stagehandPrototype(moduleExports);
    if (proto) for (const method of STAGEHAND_METHODS) this._unwrap(proto, method);
  }
}
