// SPDX-License-Identifier: Apache-2.0
// The instrumentation table. Constructing an instrumentation patches at once, so the table holds
// factories, and a factory's package is only required when the app can load the module it patches.
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { PresetConfig } from './config.js';
import { ExpressRouteInstrumentation } from './express-routes.js';
import { HttpServerInstrumentation } from './http-server.js';
import { IORedisInstrumentation } from './ioredis.js';
import { log } from './logging.js';
import { EXPORTER_USER_AGENT } from './otlp-http.js';
import { PgInstrumentation } from './pg.js';

export interface InstrumentationSpec {
  name: string;
  /** On unless OTEL_NODE_ENABLED_INSTRUMENTATIONS says otherwise. */
  defaultOn: boolean;
  /** npm packages it patches; when none of them is installed for the app, it is not even loaded. */
  packages: readonly string[];
  /**
   * Modules it patches that ES imports reach only through require() (CommonJS-only packages hooked at
   * their internal files): import-in-the-middle need not hook them, and skipping it saves start-up time.
   */
  requireOnly?: readonly string[];
  /** Returns the instrumentation(s), or undefined when its package is not installed (opt-in ones). */
  create(
    config: PresetConfig,
    requireFromApp: NodeJS.Require,
  ): Instrumentation | Instrumentation[] | undefined;
}

// `require` here is the bundle's own: these packages ship inside @otel-preset/node.
const bundled: InstrumentationSpec[] = [
  {
    name: 'http',
    defaultOn: true,
    packages: [],
    create: (config) => {
      const { HttpInstrumentation } =
        require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
      // Server spans are ours (one per request, cheap on the request path); outgoing requests keep
      // upstream's client instrumentation.
      const client = new HttpInstrumentation({
        disableIncomingRequestInstrumentation: true,
        // Suppressed tracing still records http.client.request.duration; exports are not app traffic.
        ignoreOutgoingRequestHook: (request) => {
          const headers = request.headers as Record<string, unknown> | undefined;
          return headers?.['User-Agent'] === EXPORTER_USER_AGENT;
        },
      });
      const server = new HttpServerInstrumentation({
        ignorePaths: config.http.ignoreIncomingPaths,
        captureQuery: config.privacy.captureUrlQuery,
      });
      return [client, server];
    },
  },
  {
    name: 'undici',
    defaultOn: true,
    packages: [],
    create: () => {
      const { UndiciInstrumentation } =
        require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
      return new UndiciInstrumentation();
    },
  },
  {
    name: 'express',
    defaultOn: true,
    packages: ['express'],
    create: (config) => {
      // By default only the route is named (on the server span and the duration metric): layer spans
      // cost time per request and mostly repeat the server span, a handler span with the same route
      // and nearly the same duration. Upstream's instrumentation makes them when asked to.
      if (!config.express.middlewareSpans && !config.express.handlerSpans)
        return new ExpressRouteInstrumentation();
      const { ExpressInstrumentation } =
        require('@opentelemetry/instrumentation-express') as typeof import('@opentelemetry/instrumentation-express');
      const ignored: string[] = [];
      if (!config.express.middlewareSpans) ignored.push('middleware');
      if (!config.express.handlerSpans) ignored.push('router', 'request_handler');
      return new ExpressInstrumentation({ ignoreLayersType: ignored as never[] });
    },
  },
  {
    name: 'pg',
    defaultOn: true,
    packages: ['pg'],
    // pg's ES entry re-exports its CommonJS build, and pg-pool is reached from it through require().
    requireOnly: ['pg', 'pg-pool'],
    create: (config) =>
      new PgInstrumentation({
        captureParameters: config.privacy.captureDbParameters,
        // A pool hands out an idle client in microseconds, so a checkout span per query says nothing;
        // pool pressure shows in the db.client.connection.* metrics, which stay on.
        connectSpans: config.pg.connectSpans,
      }),
  },
  {
    name: 'ioredis',
    defaultOn: true,
    packages: ['ioredis'],
    create: (config) => new IORedisInstrumentation({ captureArguments: config.privacy.captureDbParameters }),
  },
  {
    name: 'genai',
    defaultOn: true,
    // `ai` (Vercel AI SDK v7) is observed through its `ai:telemetry` diagnostics channel, not patched.
    packages: ['openai', '@anthropic-ai/sdk', '@google/genai', 'ai'],
    create: () => {
      const { GenAIInstrumentation } =
        require('@otel-preset/instrumentation-genai') as typeof import('@otel-preset/instrumentation-genai');
      return new GenAIInstrumentation();
    },
  },
  {
    name: 'bullmq',
    defaultOn: true,
    packages: ['bullmq'],
    requireOnly: ['bullmq'],
    create: (config) => {
      const { BullMQInstrumentation } =
        require('@otel-preset/instrumentation-bullmq') as typeof import('@otel-preset/instrumentation-bullmq');
      return new BullMQInstrumentation({ redisSpans: config.bullmq.redisSpans });
    },
  },
  {
    name: 'browserbase',
    defaultOn: true,
    packages: ['@browserbasehq/sdk', '@browserbasehq/stagehand'],
    create: () => {
      const { BrowserbaseInstrumentation } =
        require('@otel-preset/instrumentation-browserbase') as typeof import('@otel-preset/instrumentation-browserbase');
      return new BrowserbaseInstrumentation();
    },
  },
  {
    name: 'runtime-node',
    defaultOn: true,
    packages: [],
    create: () => {
      const { RuntimeNodeInstrumentation } =
        require('@opentelemetry/instrumentation-runtime-node') as typeof import('@opentelemetry/instrumentation-runtime-node');
      return new RuntimeNodeInstrumentation();
    },
  },
];

/**
 * Opt-in instrumentations we do not bundle: named here so the env lists accept them, loaded from the
 * app's own node_modules when the user installs the package and enables the name.
 */
const OPT_IN: Record<string, { pkg: string; className: string }> = {
  fs: { pkg: '@opentelemetry/instrumentation-fs', className: 'FsInstrumentation' },
  dns: { pkg: '@opentelemetry/instrumentation-dns', className: 'DnsInstrumentation' },
  net: { pkg: '@opentelemetry/instrumentation-net', className: 'NetInstrumentation' },
  redis: { pkg: '@opentelemetry/instrumentation-redis', className: 'RedisInstrumentation' },
  mysql2: { pkg: '@opentelemetry/instrumentation-mysql2', className: 'MySQL2Instrumentation' },
  mongodb: { pkg: '@opentelemetry/instrumentation-mongodb', className: 'MongoDBInstrumentation' },
  graphql: { pkg: '@opentelemetry/instrumentation-graphql', className: 'GraphQLInstrumentation' },
  koa: { pkg: '@opentelemetry/instrumentation-koa', className: 'KoaInstrumentation' },
  pino: { pkg: '@opentelemetry/instrumentation-pino', className: 'PinoInstrumentation' },
  winston: { pkg: '@opentelemetry/instrumentation-winston', className: 'WinstonInstrumentation' },
  kafkajs: { pkg: '@opentelemetry/instrumentation-kafkajs', className: 'KafkaJsInstrumentation' },
  amqplib: { pkg: '@opentelemetry/instrumentation-amqplib', className: 'AmqplibInstrumentation' },
  'aws-sdk': { pkg: '@opentelemetry/instrumentation-aws-sdk', className: 'AwsInstrumentation' },
  grpc: { pkg: '@opentelemetry/instrumentation-grpc', className: 'GrpcInstrumentation' },
};

const optIn: InstrumentationSpec[] = Object.entries(OPT_IN).map(([name, { pkg, className }]) => ({
  name,
  defaultOn: false,
  packages: [],
  create: (_config, requireFromApp) => {
    let exports: Record<string, new () => Instrumentation>;
    try {
      exports = requireFromApp(pkg);
    } catch {
      log.warn(`instrumentation '${name}' is enabled but ${pkg} is not installed; run 'npm install ${pkg}'.`);
      return undefined;
    }
    const Class = exports[className];
    return Class ? new Class() : undefined;
  },
}));

const INSTRUMENTATIONS: readonly InstrumentationSpec[] = [...bundled, ...optIn];
export const INSTRUMENTATION_NAMES: readonly string[] = INSTRUMENTATIONS.map((spec) => spec.name);

/** The specs to turn on: the env lists decide, and a default one only when the app has its package. */
export function selectInstrumentations(
  config: PresetConfig,
  isInstalled: (pkg: string) => boolean,
): InstrumentationSpec[] {
  const disabled = new Set(config.disabledInstrumentations);
  const enabled = config.enabledInstrumentations ? new Set(config.enabledInstrumentations) : undefined;
  return INSTRUMENTATIONS.filter((spec) => {
    if (disabled.has(spec.name)) return false;
    if (enabled) return enabled.has(spec.name);
    return spec.defaultOn && (spec.packages.length === 0 || spec.packages.some(isInstalled));
  });
}
