// SPDX-License-Identifier: Apache-2.0
// Turns the environment (plus programmatic options) into one frozen PresetConfig. Pure: it reads the
// env object it is given, never writes process.env, and reports problems as warning lines.
import { type Env, EnvReader } from './env.js';
import { LOG_LEVELS, type LogLevel } from './logging.js';

const PRESET_PREFIX = 'OTEL_PRESET_';

export type OtlpProtocol = 'http/protobuf' | 'http/json';
export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';
export type Temporality = 'cumulative' | 'delta' | 'lowmemory';

export interface OtlpSignalConfig {
  enabled: boolean;
  console: boolean;
  url: string;
  headers: Record<string, string>;
  protocol: OtlpProtocol;
  compression: 'gzip' | 'none';
  timeoutMs: number;
}

export interface PresetConfig {
  disabled: boolean;
  logLevel: LogLevel;
  /** service.name if the user gave one; undefined means it is derived later (package.json, then the default). */
  serviceName: string | undefined;
  resourceAttributes: Record<string, string>;
  resourceDetectors: string[];
  traces: OtlpSignalConfig;
  metrics: OtlpSignalConfig & { intervalMs: number; exportTimeoutMs: number; temporality: Temporality };
  sampler: { name: SamplerName; ratio: number };
  propagators: string[];
  spanLimits: {
    attributeValueLengthLimit: number;
    attributeCountLimit: number;
    eventCountLimit: number;
    linkCountLimit: number;
  };
  batch: {
    scheduleDelayMs: number;
    maxQueueSize: number;
    maxExportBatchSize: number;
    exportTimeoutMs: number;
  };
  /** undefined: the default set; otherwise exactly these (minus `disabledInstrumentations`). */
  enabledInstrumentations: string[] | undefined;
  disabledInstrumentations: string[];
  semconvStabilityOptIn: string[];
  metricCardinalityLimit: number;
  shutdown: { installHandlers: boolean; timeoutMs: number };
  http: { ignoreIncomingPaths: string[] };
  express: { middlewareSpans: boolean; handlerSpans: boolean };
  pg: { connectSpans: boolean };
  bullmq: { redisSpans: boolean };
  privacy: { captureUrlQuery: boolean; captureDbParameters: boolean };
}

export interface ResolvedConfig {
  config: PresetConfig;
  warnings: string[];
}

export const DEFAULT_ENDPOINT = 'http://localhost:4318';
const DEFAULT_METRIC_INTERVAL_MS = 15_000;
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 2_000;
const DEFAULT_RESOURCE_DETECTORS = ['env', 'host', 'os', 'process', 'serviceinstance'];
const KNOWN_RESOURCE_DETECTORS = [
  ...DEFAULT_RESOURCE_DETECTORS,
  'container',
  'aws',
  'azure',
  'gcp',
  'alibaba',
  'all',
  'none',
];
const SAMPLERS: readonly SamplerName[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];
const KNOWN_PROPAGATORS = ['tracecontext', 'baggage', 'none'];
// Instrumentations read the variable themselves; we only check its shape: `<domain>` or `<domain>/dup`.
const SEMCONV_OPT_IN_TOKEN = /^[a-z_]+(\/dup)?$/;
const DEFAULT_IGNORED_PATHS = ['/health', '/healthz', '/livez', '/readyz'];

function signalUrl(reader: EnvReader, signal: 'traces' | 'metrics'): string {
  const specific = `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`;
  // A signal-specific endpoint is used as given; the generic one is a base that gets /v1/<signal>.
  const exact = reader.url(specific);
  if (exact) return exact;
  const base = reader.url('OTEL_EXPORTER_OTLP_ENDPOINT', DEFAULT_ENDPOINT);
  return `${base.replace(/\/+$/, '')}/v1/${signal}`;
}

/**
 * gzip, except to a collector on the same host: over loopback compression saves no bandwidth, and it
 * costs the app CPU plus a zlib stream and its buffers for every export.
 */
function defaultCompression(url: string): 'gzip' | 'none' {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return 'gzip';
  }
  const loopback = host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  return loopback ? 'none' : 'gzip';
}

function exporterChoice(reader: EnvReader, name: string): { enabled: boolean; console: boolean } {
  const items = reader.list(name)?.map((item) => item.toLowerCase());
  if (!items?.length) return { enabled: true, console: false };
  const known = ['otlp', 'console', 'none'];
  const unknown = items.filter((item) => !known.includes(item));
  if (unknown.length)
    reader.warn(name, unknown.join(','), 'names an exporter we do not ship (otlp, console, none)', 'otlp');
  if (items.includes('none') && items.length === 1) return { enabled: false, console: false };
  const console = items.includes('console');
  const otlp = items.includes('otlp') || unknown.length > 0 || !console;
  return { enabled: otlp, console };
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Headers Node would refuse to send are dropped here, with a warning, rather than failing every export. */
function httpHeaders(reader: EnvReader, name: string): Record<string, string> {
  const headers = reader.keyValues(name, true);
  for (const [key, value] of Object.entries(headers)) {
    if (HEADER_NAME.test(key) && HEADER_VALUE.test(value)) continue;
    reader.warn(name, `${key}=<redacted>`, 'is not a valid HTTP header', 'the other headers');
    delete headers[key];
  }
  return headers;
}

function signalConfig(reader: EnvReader, signal: 'traces' | 'metrics'): OtlpSignalConfig {
  const upper = signal.toUpperCase();
  const pick = <T extends string>(suffix: string, allowed: readonly T[], fallback: T): T => {
    const general = reader.oneOf(`OTEL_EXPORTER_OTLP_${suffix}`, allowed, fallback);
    return reader.oneOf(`OTEL_EXPORTER_OTLP_${upper}_${suffix}`, allowed, general);
  };
  const protocol = pick('PROTOCOL', ['http/protobuf', 'http/json'] as const, 'http/protobuf');
  const url = signalUrl(reader, signal);
  const compression = pick('COMPRESSION', ['gzip', 'none'] as const, defaultCompression(url));
  const generalTimeout = reader.integer('OTEL_EXPORTER_OTLP_TIMEOUT', 10_000, 1, 600_000);
  return {
    ...exporterChoice(reader, `OTEL_${upper}_EXPORTER`),
    url,
    headers: {
      ...httpHeaders(reader, 'OTEL_EXPORTER_OTLP_HEADERS'),
      ...httpHeaders(reader, `OTEL_EXPORTER_OTLP_${upper}_HEADERS`),
    },
    protocol,
    compression,
    timeoutMs: reader.integer(`OTEL_EXPORTER_OTLP_${upper}_TIMEOUT`, generalTimeout, 1, 600_000),
  };
}

function samplerConfig(reader: EnvReader): PresetConfig['sampler'] {
  const name = reader.oneOf('OTEL_TRACES_SAMPLER', SAMPLERS, 'parentbased_always_on');
  const usesRatio = name === 'traceidratio' || name === 'parentbased_traceidratio';
  const ratio = usesRatio ? reader.number('OTEL_TRACES_SAMPLER_ARG', 1, 0, 1) : 1;
  return { name, ratio };
}

function knownNames(reader: EnvReader, name: string, known: readonly string[]): string[] | undefined {
  const items = reader.list(name);
  if (!items) return undefined;
  const unknown = items.filter((item) => !known.includes(item));
  if (unknown.length)
    reader.warn(name, unknown.join(','), `names unknown entries (known: ${known.join(', ')})`, 'the rest');
  return items.filter((item) => known.includes(item));
}

export interface ConfigInputs {
  env: Env;
  /** Instrumentation names the preset knows, for validating the enable/disable lists. */
  instrumentationNames: readonly string[];
  /** Programmatic settings from start(); they win over the environment. */
  overrides?: { serviceName?: string; installShutdownHandlers?: boolean };
}

export function resolveConfig({ env, instrumentationNames, overrides = {} }: ConfigInputs): ResolvedConfig {
  const reader = new EnvReader(env);
  const logLevel = reader.oneOf('OTEL_LOG_LEVEL', Object.keys(LOG_LEVELS) as LogLevel[], 'warn');
  const disabled = reader.bool('OTEL_SDK_DISABLED', false);

  const traces = signalConfig(reader, 'traces');
  const metricsSignal = signalConfig(reader, 'metrics');
  const intervalMs = reader.integer('OTEL_METRIC_EXPORT_INTERVAL', DEFAULT_METRIC_INTERVAL_MS, 100);
  const exportTimeoutMs = Math.min(reader.integer('OTEL_METRIC_EXPORT_TIMEOUT', 30_000, 1), intervalMs);
  // Prometheus needs cumulative sums and histograms; delta is for backends that ask for it.
  const temporality = reader.oneOf(
    'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE',
    ['cumulative', 'delta', 'lowmemory'] as const,
    'cumulative',
  );

  const resourceDetectors =
    knownNames(reader, 'OTEL_NODE_RESOURCE_DETECTORS', KNOWN_RESOURCE_DETECTORS) ??
    DEFAULT_RESOURCE_DETECTORS;
  const propagators = knownNames(reader, 'OTEL_PROPAGATORS', KNOWN_PROPAGATORS) ?? [
    'tracecontext',
    'baggage',
  ];

  const semconvStabilityOptIn = (reader.list('OTEL_SEMCONV_STABILITY_OPT_IN') ?? []).filter((item) => {
    if (SEMCONV_OPT_IN_TOKEN.test(item)) return true;
    reader.warn(
      'OTEL_SEMCONV_STABILITY_OPT_IN',
      item,
      "is not a '<domain>' or '<domain>/dup' token",
      'the rest',
    );
    return false;
  });

  const config: PresetConfig = {
    disabled,
    logLevel,
    serviceName: overrides.serviceName ?? reader.string('OTEL_SERVICE_NAME'),
    resourceAttributes: reader.keyValues('OTEL_RESOURCE_ATTRIBUTES', false),
    resourceDetectors,
    traces,
    metrics: { ...metricsSignal, intervalMs, exportTimeoutMs, temporality },
    sampler: samplerConfig(reader),
    propagators,
    spanLimits: {
      attributeValueLengthLimit: reader.integer(
        'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT',
        reader.integer('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', Number.POSITIVE_INFINITY, 1),
        1,
      ),
      attributeCountLimit: reader.integer(
        'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT',
        reader.integer('OTEL_ATTRIBUTE_COUNT_LIMIT', 128, 1),
        1,
      ),
      eventCountLimit: reader.integer('OTEL_SPAN_EVENT_COUNT_LIMIT', 128, 0),
      linkCountLimit: reader.integer('OTEL_SPAN_LINK_COUNT_LIMIT', 128, 0),
    },
    batch: {
      scheduleDelayMs: reader.integer('OTEL_BSP_SCHEDULE_DELAY', 1_000, 0),
      maxQueueSize: reader.integer('OTEL_BSP_MAX_QUEUE_SIZE', 2_048, 1),
      maxExportBatchSize: reader.integer('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, 1),
      exportTimeoutMs: reader.integer('OTEL_BSP_EXPORT_TIMEOUT', 30_000, 1),
    },
    enabledInstrumentations: knownNames(reader, 'OTEL_NODE_ENABLED_INSTRUMENTATIONS', instrumentationNames),
    disabledInstrumentations:
      knownNames(reader, 'OTEL_NODE_DISABLED_INSTRUMENTATIONS', instrumentationNames) ?? [],
    semconvStabilityOptIn,
    metricCardinalityLimit: reader.integer(`${PRESET_PREFIX}METRIC_CARDINALITY_LIMIT`, 2_000, 1, 1_000_000),
    shutdown: {
      installHandlers:
        overrides.installShutdownHandlers ?? reader.bool(`${PRESET_PREFIX}SHUTDOWN_HANDLERS`, true),
      timeoutMs: reader.integer(`${PRESET_PREFIX}SHUTDOWN_TIMEOUT`, DEFAULT_SHUTDOWN_TIMEOUT_MS, 0, 60_000),
    },
    http: {
      ignoreIncomingPaths: reader.list(`${PRESET_PREFIX}HTTP_IGNORE_PATHS`) ?? DEFAULT_IGNORED_PATHS,
    },
    express: {
      middlewareSpans: reader.bool(`${PRESET_PREFIX}EXPRESS_MIDDLEWARE_SPANS`, false),
      handlerSpans: reader.bool(`${PRESET_PREFIX}EXPRESS_HANDLER_SPANS`, false),
    },
    pg: { connectSpans: reader.bool(`${PRESET_PREFIX}PG_CONNECT_SPANS`, false) },
    bullmq: { redisSpans: reader.bool(`${PRESET_PREFIX}BULLMQ_REDIS_SPANS`, false) },
    privacy: {
      captureUrlQuery: reader.bool(`${PRESET_PREFIX}CAPTURE_URL_QUERY`, false),
      captureDbParameters: reader.bool(`${PRESET_PREFIX}CAPTURE_DB_PARAMETERS`, false),
    },
  };

  if (config.batch.maxExportBatchSize > config.batch.maxQueueSize) {
    reader.warn(
      'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
      String(config.batch.maxExportBatchSize),
      `is larger than OTEL_BSP_MAX_QUEUE_SIZE (${config.batch.maxQueueSize})`,
      String(config.batch.maxQueueSize),
    );
    config.batch.maxExportBatchSize = config.batch.maxQueueSize;
  }
  const serviceNameAttr = config.resourceAttributes['service.name'];
  if (!config.serviceName && serviceNameAttr) config.serviceName = serviceNameAttr;

  return { config: deepFreeze(config), warnings: reader.warnings };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
