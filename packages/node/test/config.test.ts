// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { DEFAULT_ENDPOINT, resolveConfig } from '../src/config.js';
import type { Env } from '../src/env.js';
import { INSTRUMENTATION_NAMES } from '../src/instrumentations.js';

const resolve = (env: Env) => resolveConfig({ env, instrumentationNames: INSTRUMENTATION_NAMES });

describe('defaults', () => {
  it('exports OTLP/HTTP protobuf, uncompressed, to localhost:4318, cumulative, parent-based always-on', () => {
    const { config, warnings } = resolve({});
    expect(warnings).toEqual([]);
    expect(config.traces).toMatchObject({
      enabled: true,
      url: `${DEFAULT_ENDPOINT}/v1/traces`,
      protocol: 'http/protobuf',
      compression: 'none',
      timeoutMs: 10_000,
    });
    expect(config.metrics).toMatchObject({
      url: `${DEFAULT_ENDPOINT}/v1/metrics`,
      temporality: 'cumulative',
      intervalMs: 15_000,
    });
    expect(config.sampler).toEqual({ name: 'parentbased_always_on', ratio: 1 });
    expect(config.logLevel).toBe('warn');
    expect(config.resourceDetectors).not.toContain('aws');
    expect(config.shutdown).toEqual({ installHandlers: true, timeoutMs: 2_000 });
    expect(config.privacy).toEqual({ captureUrlQuery: false, captureDbParameters: false });
    // Spans that repeat the server span or time an instant pool checkout are off.
    expect(config.express).toEqual({ middlewareSpans: false, handlerSpans: false });
    expect(config.pg).toEqual({ connectSpans: false });
    expect(config.bullmq).toEqual({ redisSpans: false });
    expect(Object.isFrozen(config.traces)).toBe(true);
  });
});

describe('valid settings', () => {
  it('compresses with gzip unless the collector is on the same host', () => {
    const at = (endpoint: string, compression?: string) =>
      resolve({
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        ...(compression ? { OTEL_EXPORTER_OTLP_COMPRESSION: compression } : {}),
      }).config.traces.compression;
    expect(at('http://otel-collector:4318')).toBe('gzip');
    expect(at('https://collector.example')).toBe('gzip');
    expect(at('http://10.0.0.7:4318')).toBe('gzip');
    expect(at('http://localhost:4318')).toBe('none');
    expect(at('http://127.0.0.1:4318')).toBe('none');
    expect(at('http://[::1]:4318')).toBe('none');
    expect(at('http://127.0.0.1:4318', 'gzip')).toBe('gzip');
    expect(at('http://otel-collector:4318', 'none')).toBe('none');
    // Each signal decides by its own endpoint.
    const split = resolve({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://collector:4318/v1/metrics',
    }).config;
    expect([split.traces.compression, split.metrics.compression]).toEqual(['none', 'gzip']);
  });

  it('appends /v1/<signal> to the base endpoint but uses signal endpoints as given', () => {
    const { config } = resolve({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example:4318/base/',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://metrics.example/custom',
    });
    expect(config.traces.url).toBe('https://collector.example:4318/base/v1/traces');
    expect(config.metrics.url).toBe('http://metrics.example/custom');
  });

  it('lets signal-specific protocol, compression, timeout and headers override the general ones', () => {
    const { config, warnings } = resolve({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'none',
      OTEL_EXPORTER_OTLP_TIMEOUT: '5000',
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '7000',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-a=1,x-b=two%20words',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-a=override',
    });
    expect(warnings).toEqual([]);
    expect(config.traces).toMatchObject({ protocol: 'http/json', compression: 'none', timeoutMs: 7000 });
    expect(config.metrics).toMatchObject({ protocol: 'http/protobuf', timeoutMs: 5000 });
    expect(config.traces.headers).toEqual({ 'x-a': 'override', 'x-b': 'two words' });
    expect(config.metrics.headers).toEqual({ 'x-a': '1', 'x-b': 'two words' });
  });

  it('reads service name from OTEL_SERVICE_NAME, else from OTEL_RESOURCE_ATTRIBUTES', () => {
    expect(resolve({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=billing,team=ai' }).config.serviceName).toBe(
      'billing',
    );
    expect(
      resolve({ OTEL_SERVICE_NAME: 'api', OTEL_RESOURCE_ATTRIBUTES: 'service.name=billing' }).config
        .serviceName,
    ).toBe('api');
  });

  it('accepts ratio samplers with their argument, case-insensitively', () => {
    const { config } = resolve({
      OTEL_TRACES_SAMPLER: 'ParentBased_TraceIdRatio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    });
    expect(config.sampler).toEqual({ name: 'parentbased_traceidratio', ratio: 0.25 });
  });

  it('honours enable and disable lists, disable winning', () => {
    const { config } = resolve({
      OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,pg,fs',
      OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg',
    });
    expect(config.enabledInstrumentations).toEqual(['http', 'pg', 'fs']);
    expect(config.disabledInstrumentations).toEqual(['pg']);
  });

  it('turns exporters off with none and on for console', () => {
    const { config } = resolve({ OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'console' });
    expect(config.traces.enabled).toBe(false);
    expect(config.metrics).toMatchObject({ enabled: false, console: true });
  });

  it('turns Express layer spans, pg connect spans and BullMQ Redis spans back on', () => {
    const { config, warnings } = resolve({
      OTEL_PRESET_EXPRESS_MIDDLEWARE_SPANS: 'true',
      OTEL_PRESET_EXPRESS_HANDLER_SPANS: 'true',
      OTEL_PRESET_PG_CONNECT_SPANS: 'true',
      OTEL_PRESET_BULLMQ_REDIS_SPANS: 'true',
    });
    expect(warnings).toEqual([]);
    expect(config.express).toEqual({ middlewareSpans: true, handlerSpans: true });
    expect(config.pg).toEqual({ connectSpans: true });
    expect(config.bullmq).toEqual({ redisSpans: true });
  });

  it('clamps the metric export timeout to the interval', () => {
    const { config } = resolve({ OTEL_METRIC_EXPORT_INTERVAL: '1000', OTEL_METRIC_EXPORT_TIMEOUT: '5000' });
    expect(config.metrics.exportTimeoutMs).toBe(1000);
  });

  it('treats blank values as unset', () => {
    const { config, warnings } = resolve({ OTEL_TRACES_SAMPLER: '  ', OTEL_EXPORTER_OTLP_ENDPOINT: '' });
    expect(warnings).toEqual([]);
    expect(config.sampler.name).toBe('parentbased_always_on');
  });
});

interface Malformed {
  env: Env;
  /** The value the warning must quote. */
  shown: string;
  /** The fallback the warning must name. */
  fallback: string;
  check: (config: ReturnType<typeof resolve>['config']) => unknown;
  expected: unknown;
}

const malformed: Record<string, Malformed> = {
  'unknown sampler': {
    env: { OTEL_TRACES_SAMPLER: 'sometimes' },
    shown: 'sometimes',
    fallback: 'parentbased_always_on',
    check: (c) => c.sampler.name,
    expected: 'parentbased_always_on',
  },
  'sampler ratio not a number': {
    env: { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 'half' },
    shown: 'half',
    fallback: '1',
    check: (c) => c.sampler.ratio,
    expected: 1,
  },
  'sampler ratio above 1': {
    env: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' },
    shown: '1.5',
    fallback: '1',
    check: (c) => c.sampler.ratio,
    expected: 1,
  },
  'sampler ratio negative': {
    env: { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '-0.1' },
    shown: '-0.1',
    fallback: '1',
    check: (c) => c.sampler.ratio,
    expected: 1,
  },
  'endpoint without scheme': {
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' },
    shown: 'collector:4318',
    fallback: DEFAULT_ENDPOINT,
    check: (c) => c.traces.url,
    expected: `${DEFAULT_ENDPOINT}/v1/traces`,
  },
  'endpoint with a non-http scheme': {
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317' },
    shown: 'grpc://collector:4317',
    fallback: DEFAULT_ENDPOINT,
    check: (c) => c.metrics.url,
    expected: `${DEFAULT_ENDPOINT}/v1/metrics`,
  },
  'signal endpoint not a URL': {
    env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' },
    shown: 'not a url',
    fallback: 'the default',
    check: (c) => c.traces.url,
    expected: `${DEFAULT_ENDPOINT}/v1/traces`,
  },
  'grpc protocol': {
    env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
    shown: 'grpc',
    fallback: 'http/protobuf',
    check: (c) => c.traces.protocol,
    expected: 'http/protobuf',
  },
  'unknown traces protocol': {
    env: { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/xml' },
    shown: 'http/xml',
    fallback: 'http/protobuf',
    check: (c) => c.traces.protocol,
    expected: 'http/protobuf',
  },
  'unknown compression': {
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_COMPRESSION: 'brotli' },
    shown: 'brotli',
    fallback: 'gzip',
    check: (c) => c.traces.compression,
    expected: 'gzip',
  },
  'timeout not a number': {
    env: { OTEL_EXPORTER_OTLP_TIMEOUT: '10s' },
    shown: '10s',
    fallback: '10000',
    check: (c) => c.traces.timeoutMs,
    expected: 10_000,
  },
  'timeout zero': {
    env: { OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '0' },
    shown: '0',
    fallback: '10000',
    check: (c) => c.metrics.timeoutMs,
    expected: 10_000,
  },
  'metric interval negative': {
    env: { OTEL_METRIC_EXPORT_INTERVAL: '-5' },
    shown: '-5',
    fallback: '15000',
    check: (c) => c.metrics.intervalMs,
    expected: 15_000,
  },
  'metric interval with a unit': {
    env: { OTEL_METRIC_EXPORT_INTERVAL: '60s' },
    shown: '60s',
    fallback: '15000',
    check: (c) => c.metrics.intervalMs,
    expected: 15_000,
  },
  'metric interval fractional': {
    env: { OTEL_METRIC_EXPORT_INTERVAL: '1500.5' },
    shown: '1500.5',
    fallback: '15000',
    check: (c) => c.metrics.intervalMs,
    expected: 15_000,
  },
  'SDK disabled not a boolean': {
    env: { OTEL_SDK_DISABLED: 'yes' },
    shown: 'yes',
    fallback: 'false',
    check: (c) => c.disabled,
    expected: false,
  },
  'unknown log level': {
    env: { OTEL_LOG_LEVEL: 'loud' },
    shown: 'loud',
    fallback: 'warn',
    check: (c) => c.logLevel,
    expected: 'warn',
  },
  'unknown instrumentation name': {
    env: { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,expresss' },
    shown: 'expresss',
    fallback: 'the rest',
    check: (c) => c.enabledInstrumentations,
    expected: ['http'],
  },
  'unknown disabled instrumentation': {
    env: { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'postgres' },
    shown: 'postgres',
    fallback: 'the rest',
    check: (c) => c.disabledInstrumentations,
    expected: [],
  },
  'unknown resource detector': {
    env: { OTEL_NODE_RESOURCE_DETECTORS: 'env,kubernetes' },
    shown: 'kubernetes',
    fallback: 'the rest',
    check: (c) => c.resourceDetectors,
    expected: ['env'],
  },
  'resource attribute without =': {
    env: { OTEL_RESOURCE_ATTRIBUTES: 'team=ai,broken,region=eu' },
    shown: 'broken',
    fallback: 'the other entries',
    check: (c) => c.resourceAttributes,
    expected: { team: 'ai', region: 'eu' },
  },
  'resource attribute with bad percent-encoding': {
    env: { OTEL_RESOURCE_ATTRIBUTES: 'team=%E0%A4%A' },
    shown: 'team=%E0%A4%A',
    fallback: 'the other entries',
    check: (c) => c.resourceAttributes,
    expected: {},
  },
  'semconv opt-in token malformed': {
    env: { OTEL_SEMCONV_STABILITY_OPT_IN: 'http,HTTP DUP' },
    shown: 'HTTP DUP',
    fallback: 'the rest',
    check: (c) => c.semconvStabilityOptIn,
    expected: ['http'],
  },
  'unknown exporter': {
    env: { OTEL_TRACES_EXPORTER: 'zipkin' },
    shown: 'zipkin',
    fallback: 'otlp',
    check: (c) => c.traces.enabled,
    expected: true,
  },
  'unknown propagator': {
    env: { OTEL_PROPAGATORS: 'tracecontext,b3' },
    shown: 'b3',
    fallback: 'the rest',
    check: (c) => c.propagators,
    expected: ['tracecontext'],
  },
  'temporality unknown': {
    env: { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'sometimes' },
    shown: 'sometimes',
    fallback: 'cumulative',
    check: (c) => c.metrics.temporality,
    expected: 'cumulative',
  },
  'batch size above queue size': {
    env: { OTEL_BSP_MAX_QUEUE_SIZE: '100', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '500' },
    shown: '500',
    fallback: '100',
    check: (c) => c.batch.maxExportBatchSize,
    expected: 100,
  },
  'preset shutdown timeout not a number': {
    env: { OTEL_PRESET_SHUTDOWN_TIMEOUT: 'soon' },
    shown: 'soon',
    fallback: '2000',
    check: (c) => c.shutdown.timeoutMs,
    expected: 2_000,
  },
  'preset shutdown handlers not a boolean': {
    env: { OTEL_PRESET_SHUTDOWN_HANDLERS: '0' },
    shown: '0',
    fallback: 'true',
    check: (c) => c.shutdown.installHandlers,
    expected: true,
  },
  'preset capture flag not a boolean': {
    env: { OTEL_PRESET_CAPTURE_URL_QUERY: 'please' },
    shown: 'please',
    fallback: 'false',
    check: (c) => c.privacy.captureUrlQuery,
    expected: false,
  },
  'header value with a line break': {
    env: { OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-token=abc%0Adef,x-team=ai' },
    shown: 'x-token=<redacted>',
    fallback: 'the other headers',
    check: (c) => c.traces.headers,
    expected: { 'x-team': 'ai' },
  },
  'span attribute count limit zero': {
    env: { OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '0' },
    shown: '0',
    fallback: '128',
    check: (c) => c.spanLimits.attributeCountLimit,
    expected: 128,
  },
};

describe('malformed settings', () => {
  it.each(Object.entries(malformed))('%s: one warning naming variable, value and fallback', (_, testCase) => {
    const { config, warnings } = resolve(testCase.env);
    expect(testCase.check(config)).toEqual(testCase.expected);
    expect(warnings).toHaveLength(1);
    const [warning] = warnings;
    const variable = Object.keys(testCase.env).find((name) => warning!.startsWith(`${name}=`));
    expect(
      variable,
      `warning names one of ${Object.keys(testCase.env).join(', ')}: ${warning}`,
    ).toBeDefined();
    expect(warning).toContain(JSON.stringify(testCase.shown));
    expect(warning).toContain(`using ${testCase.fallback}.`);
  });

  it('covers at least twenty distinct malformed inputs', () => {
    expect(Object.keys(malformed).length).toBeGreaterThanOrEqual(20);
  });

  it('never prints header values, which carry credentials', () => {
    const { config, warnings } = resolve({
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20s3cret,justsecretvalue,x-key=%ZZtoken',
    });
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).not.toMatch(/s3cret|justsecretvalue|token/);
    expect(warnings.join('\n')).toContain('x-key=<redacted>');
    expect(config.traces.headers).toEqual({ authorization: 'Bearer s3cret' });
  });

  it('never prints credentials of a malformed URL', () => {
    const { warnings } = resolve({ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://user:hunter2@host/?key=abc' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).not.toMatch(/hunter2|abc/);
  });
});
