// SPDX-License-Identifier: Apache-2.0
// Loaded before any instrumentation hook is in place, so it depends on nothing but the OTel API.
import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';

export type LogLevel = 'none' | 'error' | 'warn' | 'info' | 'debug' | 'verbose' | 'all';

export const LOG_LEVELS: Record<LogLevel, DiagLogLevel> = {
  none: DiagLogLevel.NONE,
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
  all: DiagLogLevel.ALL,
};

const PREFIX = '[otel-preset]';
// An unreachable collector fails every export; one line per outage is enough to act on.
const REPEAT_WINDOW_MS = 5 * 60_000;

interface Logger {
  level: DiagLogLevel;
  error(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  debug(message: string, ...args: unknown[]): void;
}

function describe(arg: unknown): string {
  if (arg instanceof Error) return arg.message || arg.name;
  if (typeof arg === 'string') return arg;
  try {
    return JSON.stringify(arg) ?? String(arg);
  } catch {
    return String(arg);
  }
}

function createLogger(): Logger {
  const lastSeen = new Map<string, { at: number; suppressed: number }>();

  function write(level: DiagLogLevel, label: string, message: string, args: unknown[]): void {
    if (logger.level < level) return;
    const text = [message, ...args.map(describe)].join(' ');
    // Repeated errors (same text) are the signature of an outage: print the first, count the rest.
    const key = text.slice(0, 120);
    const now = Date.now();
    const seen = lastSeen.get(key);
    if (seen && now - seen.at < REPEAT_WINDOW_MS) {
      seen.suppressed++;
      return;
    }
    const note = seen?.suppressed ? ` (${seen.suppressed} similar messages suppressed)` : '';
    lastSeen.set(key, { at: now, suppressed: 0 });
    if (lastSeen.size > 200) lastSeen.clear();
    process.stderr.write(`${PREFIX} ${label}${text}${note}\n`);
  }

  const logger: Logger = {
    level: DiagLogLevel.WARN,
    error: (m, ...a) => write(DiagLogLevel.ERROR, 'error: ', m, a),
    warn: (m, ...a) => write(DiagLogLevel.WARN, 'warning: ', m, a),
    info: (m, ...a) => write(DiagLogLevel.INFO, '', m, a),
    debug: (m, ...a) => write(DiagLogLevel.DEBUG, 'debug: ', m, a),
  };
  return logger;
}

// One logger per process even if two copies of the preset get loaded.
const LOGGER_KEY = Symbol.for('otel-preset.logger');
type GlobalWithLogger = typeof globalThis & { [LOGGER_KEY]?: Logger };

const registry = globalThis as GlobalWithLogger;
registry[LOGGER_KEY] ??= createLogger();
export const log: Logger = registry[LOGGER_KEY];

/** Routes the OpenTelemetry API's diagnostics through our logger at the configured level. */
export function installDiagLogger(level: LogLevel): void {
  log.level = LOG_LEVELS[level];
  const diagLogger: DiagLogger = {
    error: log.error,
    warn: log.warn,
    info: log.info,
    debug: log.debug,
    verbose: log.debug,
  };
  diag.setLogger(diagLogger, { logLevel: LOG_LEVELS[level], suppressOverrideMessage: true });
}
