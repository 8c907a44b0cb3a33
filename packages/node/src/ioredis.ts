// SPDX-License-Identifier: Apache-2.0
// Redis (`ioredis`) client spans, built for the command path: one CLIENT span per command sent inside
// a trace, with the same name and attributes as upstream's instrumentation so queries and dashboards
// carry over. What only depends on the connection is worked out once per client, and a command that
// will not be recorded (outside any trace, or under suppressed tracing, as BullMQ's own scripts are)
// costs one context lookup.
import { type Attributes, context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import {
  InstrumentationBase,
  type InstrumentationConfig,
  InstrumentationNodeModuleDefinition,
} from '@opentelemetry/instrumentation';
import { errorClassName } from './error-type.js';
import { VERSION } from './version.js';

export interface IORedisInstrumentationConfig extends InstrumentationConfig {
  /** Keys and arguments in `db.query.text`. Off: the command name only, since keys and values often hold user data. */
  captureArguments?: boolean;
  /** Commands outside any span (start-up, background loops) make no span. On by default. */
  requireParentSpan?: boolean;
}

/** The parts of ioredis's Command this reads and wraps. */
interface RedisCommand {
  name: string;
  args: unknown[];
  promise?: unknown;
  inTransaction?: boolean;
  pipelineIndex?: number;
}

interface ConnectionAttributes {
  address: string | undefined;
  port: number | undefined;
  namespace: string | undefined;
}

interface RedisClient {
  options?: { host?: unknown; port?: unknown; db?: unknown };
  [CONNECTION]?: ConnectionAttributes;
}

type SendCommand = (this: RedisClient, command: RedisCommand, ...rest: unknown[]) => unknown;

const CONNECTION = Symbol('otel-preset.ioredis.connection');
const SUPPORTED = ['>=4.0.0 <7'];
// Redis error replies start with an upper-case code (`ERR`, `WRONGTYPE`, `NOSCRIPT`); the rest of the
// message may quote the command's arguments, so only the code is kept.
const ERROR_CODE = /^[A-Z][A-Z_]+(?= |$)/;

function connectionOf(client: RedisClient): ConnectionAttributes {
  let connection = client[CONNECTION];
  if (connection === undefined) {
    const { host, port, db } = client.options ?? {};
    connection = {
      address: typeof host === 'string' ? host : undefined,
      port: typeof port === 'number' ? port : undefined,
      namespace: typeof db === 'number' ? String(db) : undefined,
    };
    client[CONNECTION] = connection;
  }
  return connection;
}

/** Upstream's operation names: commands queued in a MULTI or a pipeline say so. */
function operationName(command: RedisCommand): string {
  const { name } = command;
  if (name === 'multi' || name === 'exec') return name;
  if (command.inTransaction) return `MULTI ${name}`;
  if (command.pipelineIndex != null) return `PIPELINE ${name}`;
  return name;
}

function errorType(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  const code = typeof message === 'string' ? ERROR_CODE.exec(message)?.[0] : undefined;
  return code ?? errorClassName(error);
}

// Both run as promise reactions: a throw there would be an unhandled rejection in the app.
function endQuietly(span: Span): void {
  try {
    span.end();
  } catch {}
}

function endWithError(span: Span, error: unknown): void {
  // A command that threw as it was sent, then rejected, ends once.
  if (!span.isRecording()) return;
  try {
    const type = errorType(error);
    span.setAttribute('error.type', type);
    span.setStatus({ code: SpanStatusCode.ERROR, message: type });
    span.end();
  } catch {}
}

export class IORedisInstrumentation extends InstrumentationBase<IORedisInstrumentationConfig> {
  constructor(config: IORedisInstrumentationConfig = {}) {
    super('@otel-preset/instrumentation-ioredis', VERSION, config);
  }

  protected init() {
    type RedisExports = { prototype: RedisClient } & { default?: { prototype: RedisClient } };
    // Under an ES import the hook receives the module namespace; the class is its default export.
    const prototypeOf = (exports: RedisExports) =>
      ((exports as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'Module'
        ? exports.default!
        : exports
      ).prototype;
    return [
      new InstrumentationNodeModuleDefinition(
        'ioredis',
        SUPPORTED,
        (exports: RedisExports) => {
          this._wrap(
            prototypeOf(exports),
            'sendCommand' as never,
            ((original: SendCommand) => this.patchSendCommand(original)) as never,
          );
          return exports;
        },
        (exports: RedisExports | undefined) => {
          if (exports) this._unwrap(prototypeOf(exports), 'sendCommand' as never);
        },
      ),
    ];
  }

  private patchSendCommand(original: SendCommand): SendCommand {
    const instrumentation = this;
    return function sendCommand(this: RedisClient, command: RedisCommand) {
      // biome-ignore lint/complexity/noArguments: passes the caller's arguments on untouched
      const args = arguments as unknown as [RedisCommand, ...unknown[]];
      const span = instrumentation.startCommand(this, command);
      if (span === undefined) return original.apply(this, args);
      // The command's own promise settles with the reply. Wrapping the command's resolve and reject
      // instead made V8 promote over a kilobyte per traced request for the first seconds of load, and
      // the young generation doubled (bench/README.md, Memory).
      const settled = command.promise as PromiseLike<unknown> | undefined;
      if (typeof settled?.then !== 'function') {
        span.end();
        return original.apply(this, args);
      }
      settled.then(
        () => endQuietly(span),
        (error: unknown) => endWithError(span, error),
      );
      try {
        return original.apply(this, args);
      } catch (error) {
        endWithError(span, error);
        throw error;
      }
    };
  }

  /** The command's span, or undefined when it is not to be recorded or is not a command at all. */
  private startCommand(client: RedisClient, command: RedisCommand): Span | undefined {
    if (typeof command !== 'object' || command === null || typeof command.name !== 'string') return undefined;
    const parent = context.active();
    if (isTracingSuppressed(parent)) return undefined;
    const config = this.getConfig();
    if (config.requireParentSpan !== false && trace.getSpan(parent) === undefined) return undefined;
    try {
      const connection = connectionOf(client);
      const attributes: Attributes = {
        'db.system.name': 'redis',
        'db.operation.name': operationName(command),
        'db.query.text': config.captureArguments ? queryText(command) : command.name,
      };
      if (connection.address !== undefined) attributes['server.address'] = connection.address;
      if (connection.port !== undefined) attributes['server.port'] = connection.port;
      if (connection.namespace !== undefined) attributes['db.namespace'] = connection.namespace;
      return this.tracer.startSpan(command.name, { kind: SpanKind.CLIENT, attributes }, parent);
    } catch {
      return undefined;
    }
  }
}

/** The command with its arguments, for apps that opted in; buffers are not decoded. */
function queryText(command: RedisCommand): string {
  let text = command.name;
  for (const arg of command.args ?? []) {
    text += ` ${Buffer.isBuffer(arg) ? `<${arg.length} bytes>` : String(arg)}`;
  }
  return text;
}
