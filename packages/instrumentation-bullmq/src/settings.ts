// SPDX-License-Identifier: Apache-2.0
// Config and environment in one place. The package reads its env itself so that it behaves the same
// standalone (any NodeSDK) and inside the preset; an explicit config option wins over the env.
import { diag } from '@opentelemetry/api';
import type { BullMQInstrumentationConfig, ContextPropagationMode } from './types.js';

/** Read by this package: `parent` or `link` (case-insensitive); anything else warns once and uses `parent`. */
export const ENV_CONTEXT = 'OTEL_PRESET_BULLMQ_CONTEXT';

const MODES: readonly ContextPropagationMode[] = ['parent', 'link'];
const DEFAULT_MODE: ContextPropagationMode = 'parent';
const DEFAULT_BACKLOG_TIMEOUT_MS = 1000;

export interface Settings {
  contextPropagation: ContextPropagationMode;
  queueBacklogMetrics: boolean;
  backlogTimeoutMs: number;
  messageBodySize: boolean;
  redisSpans: boolean;
}

// The preset installs its logger under this key; using it keeps the warning in the preset's one-line
// format. Standalone, the OpenTelemetry diag logger is the standard channel.
const PRESET_LOGGER_KEY = Symbol.for('otel-preset.logger');
type GlobalWithLogger = typeof globalThis & { [PRESET_LOGGER_KEY]?: { warn(message: string): void } };

function warn(message: string): void {
  const presetLogger = (globalThis as GlobalWithLogger)[PRESET_LOGGER_KEY];
  if (presetLogger && typeof presetLogger.warn === 'function') presetLogger.warn(message);
  else diag.warn(message);
}

function contextModeFromEnv(env: NodeJS.ProcessEnv): ContextPropagationMode {
  const raw = env[ENV_CONTEXT]?.trim();
  if (!raw) return DEFAULT_MODE;
  const lower = raw.toLowerCase();
  if ((MODES as readonly string[]).includes(lower)) return lower as ContextPropagationMode;
  warn(`${ENV_CONTEXT}=${JSON.stringify(raw)} is not one of ${MODES.join(', ')}; using ${DEFAULT_MODE}.`);
  return DEFAULT_MODE;
}

export function resolveSettings(
  config: BullMQInstrumentationConfig,
  env: NodeJS.ProcessEnv = process.env,
): Settings {
  let contextPropagation: ContextPropagationMode;
  if (config.contextPropagation === undefined) {
    contextPropagation = contextModeFromEnv(env);
  } else if (MODES.includes(config.contextPropagation)) {
    contextPropagation = config.contextPropagation;
  } else {
    warn(
      `contextPropagation=${JSON.stringify(config.contextPropagation)} is not one of ${MODES.join(', ')}; using ${DEFAULT_MODE}.`,
    );
    contextPropagation = DEFAULT_MODE;
  }
  const timeout = config.backlogTimeoutMs;
  return {
    contextPropagation,
    queueBacklogMetrics: config.queueBacklogMetrics !== false,
    backlogTimeoutMs:
      typeof timeout === 'number' && Number.isFinite(timeout) && timeout > 0
        ? timeout
        : DEFAULT_BACKLOG_TIMEOUT_MS,
    messageBodySize: config.messageBodySize !== false,
    redisSpans: config.redisSpans === true,
  };
}
