// SPDX-License-Identifier: Apache-2.0
// Starts telemetry from a PresetConfig: resource, providers, instrumentations, ESM hooks and the
// shutdown path. No NodeSDK: composing the pieces directly keeps start-up to what the config asks for
// and leaves env parsing in one place.
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { setGlobalErrorHandler } from '@opentelemetry/core';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { appContext } from './app-context.js';
import type { PresetConfig } from './config.js';
import { startupSummary, warnIfDuplicated, warnIfLoadedEarly } from './diagnostics.js';
import { startEsmHook } from './esm-hook.js';
import { type InstrumentationSpec, selectInstrumentations } from './instrumentations.js';
import { log } from './logging.js';
import { createMeterProvider, registerProcessMetrics } from './metrics.js';
import { ExportDeadline, isExportFailure } from './otlp-http.js';
import { PresetContextManager } from './preset-context.js';
import { buildResource, resolveServiceName } from './resource.js';
import { installShutdownHandlers, withTimeout } from './shutdown.js';
import { withSummedCounters } from './summed-counters.js';
import { createPropagator, createTracing } from './tracing.js';

export interface RunningSdk {
  /** Resolves when ESM hooks are ready (the preload awaits it before app code runs). */
  ready: Promise<void>;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface SdkOptions {
  /** True for the ESM preload, which can hold the app until the loader thread is ready. */
  canAwaitEsmHook: boolean;
  /** Extra instrumentations (ours or the app's), enabled alongside the table's. */
  extraInstrumentations: Instrumentation[];
}

function createInstrumentation(spec: InstrumentationSpec, config: PresetConfig, req: NodeJS.Require) {
  try {
    return spec.create(config, req);
  } catch (error) {
    log.warn(`instrumentation '${spec.name}' could not start; the app runs without it:`, error);
    return undefined;
  }
}

export function startSdk(config: PresetConfig, options: SdkOptions): RunningSdk {
  const app = appContext();
  const service = resolveServiceName(config, app);
  if (service.source !== 'env') {
    log.warn(
      `service.name is not set; using '${service.name}' (from ${service.source}). Set OTEL_SERVICE_NAME to name this service.`,
    );
  }
  const resource = buildResource(config, app, service.name);

  // Export failures were already reported once per outage by the transport; the SDK would repeat them per batch.
  setGlobalErrorHandler((error) => {
    if (isExportFailure(error)) log.debug(String(error));
    else log.warn('telemetry error:', error);
  });
  context.setGlobalContextManager(new PresetContextManager().enable());
  propagation.setGlobalPropagator(createPropagator(config));
  const deadline = new ExportDeadline();
  const { tracerProvider, exporter: spanExporter } = createTracing(config, resource, deadline);
  trace.setGlobalTracerProvider(tracerProvider);
  const meterProvider = createMeterProvider(config, resource, deadline);
  // Instrumentations create instruments from the global provider in their constructors, and again
  // from the one they are given; both must be the summing one.
  const summingMeters = withSummedCounters(meterProvider);
  metrics.setGlobalMeterProvider(summingMeters);

  const specs = selectInstrumentations(config, app.isInstalled);
  warnIfLoadedEarly(specs.flatMap((spec) => spec.packages));
  warnIfDuplicated(app, ['@opentelemetry/api', 'import-in-the-middle']);

  const esmHook = startEsmHook(options.canAwaitEsmHook);
  const instrumentations: Instrumentation[] = [...options.extraInstrumentations];
  for (const spec of specs) {
    const created = createInstrumentation(spec, config, app.require);
    if (created) instrumentations.push(...[created].flat());
  }
  for (const instrumentation of instrumentations) {
    instrumentation.setTracerProvider(tracerProvider);
    instrumentation.setMeterProvider(summingMeters);
  }
  if (specs.some((spec) => spec.name === 'runtime-node'))
    registerProcessMetrics(meterProvider.getMeter('@otel-preset/node'));

  const requireOnly = new Set(specs.flatMap((spec) => spec.requireOnly ?? []));
  const hookedModules = instrumentations.flatMap(
    (instrumentation) =>
      (instrumentation as { getModuleDefinitions?: () => { name: string }[] })
        .getModuleDefinitions?.()
        .map((definition) => definition.name)
        .filter((name) => !requireOnly.has(name)) ?? [],
  );
  const ready = esmHook.finish(hookedModules).catch((error: unknown) => {
    log.warn('the ESM hook could not be registered; ES modules will not be instrumented:', error);
  });

  const flush = async () => {
    await Promise.all([tracerProvider.forceFlush(), meterProvider.forceFlush()]);
    // The batch processor hands spans over without waiting for delivery; wait for it here.
    await spanExporter?.forceFlush?.();
  };
  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    // Instrumentations stay patched: the app may still be running its own shutdown code.
    if (!stopping) {
      deadline.cap(config.shutdown.timeoutMs);
      stopping = Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]).then(() => undefined);
    }
    return stopping;
  };
  const bounded = {
    flush: () => withTimeout(flush(), config.shutdown.timeoutMs, 'telemetry flush'),
    shutdown: () => withTimeout(shutdown(), config.shutdown.timeoutMs, 'telemetry shutdown'),
  };
  if (config.shutdown.installHandlers)
    installShutdownHandlers({ flush, shutdown }, config.shutdown.timeoutMs);

  log.info(
    startupSummary(
      config,
      service,
      specs.map((spec) => spec.name),
      esmHook.kind,
    ),
  );
  return { ready, ...bounded };
}
