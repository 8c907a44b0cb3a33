// SPDX-License-Identifier: Apache-2.0
// PostgreSQL (`pg`, `pg-pool`) client spans and metrics, built for the query path: one span and one
// histogram point per query, with everything that only depends on the statement or the connection
// worked out once and reused. Pool gauges are read from the pool when metrics are collected instead
// of being counted on every checkout and release.
//
// Context: pg runs query callbacks from the connection's socket events, and pg-pool hands a freed
// client to whichever caller waits first, so neither callback runs in its caller's context on its
// own. Both are put back into the caller's context here, or spans under a busy pool would land in
// another request's trace.
import {
  type Attributes,
  type BatchObservableResult,
  type Context,
  context,
  type Histogram,
  type Observable,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  ValueType,
} from '@opentelemetry/api';
import {
  InstrumentationBase,
  type InstrumentationConfig,
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
} from '@opentelemetry/instrumentation';
import { errorClassName } from './error-type.js';
import { sanitizeSql } from './privacy.js';
import { VERSION } from './version.js';

export interface PgInstrumentationConfig extends InstrumentationConfig {
  /** Raw statements and their parameters (`db.query.parameter.<n>`). Off: literals become `?`. */
  captureParameters?: boolean;
  /** `pg.connect` and `pg-pool.connect` spans for new connections and pool checkouts. */
  connectSpans?: boolean;
  /** Queries outside any span (scripts, start-up) make no span. On by default. */
  requireParentSpan?: boolean;
}

type Callback = (this: unknown, error: Error | null | undefined, ...rest: unknown[]) => unknown;

interface ConnectionParameters {
  host?: string;
  port?: number | string;
  database?: string;
}

interface PgClient {
  connectionParameters?: ConnectionParameters;
  [CONNECTION]?: ConnectionAttributes;
}

interface PgPool {
  options: ConnectionParameters & { max?: number; connectionString?: string };
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  ending?: boolean;
  [POOL]?: PoolState;
}

/** The Submittable interface pg drives for Query objects, cursors and query streams. */
interface Submittable {
  submit: unknown;
  handleError?: (error: Error, ...rest: unknown[]) => unknown;
  handleReadyForQuery?: (...rest: unknown[]) => unknown;
}

type Method<T> = (this: T, ...args: unknown[]) => unknown;

/** What a statement contributes to a span, worked out once per statement text. */
interface Statement {
  operation: string | undefined;
  text: string;
}

/** Where a client or pool connects: `db.namespace`, `server.address`, `server.port`. */
interface Target {
  namespace: string | undefined;
  address: string | undefined;
  port: number | undefined;
}

/** A client's target and its metric attributes per operation, built lazily. */
interface ConnectionAttributes extends Target {
  metric: Map<string, Attributes>;
}

interface PoolState {
  ref: WeakRef<PgPool>;
  target: Target;
  name: string;
  ended: boolean;
}

// A class rather than an object literal, like the HTTP server's request state: V8 may pretenure a
// literal's allocation site, and a pretenured per-query object keeps its young span and the caller's
// context alive through every scavenge until the next full GC.
class QueryCall {
  readonly startedAt = performance.now();
  ended = false;
  constructor(
    readonly span: Span,
    readonly connection: ConnectionAttributes,
    readonly operation: string | undefined,
    readonly parent: Context,
  ) {}
}

const CONNECTION = Symbol('otel-preset.pg.connection');
const POOL = Symbol('otel-preset.pg.pool');
const SUPPORTED = ['>=8.0.3 <9'];
// Bucket boundaries the database semantic conventions advise for operation durations, in seconds.
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];
// Apps run a few statements over and over; statements that never repeat cannot grow memory past this.
const STATEMENT_CACHE_SIZE = 500;
const LEADING_NOISE = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/;
const FIRST_WORD = /^[A-Za-z]+/;

/** The statement's command (`SELECT`, `INSERT`, ...), skipping leading whitespace and comments. */
export function sqlOperation(text: string): string | undefined {
  const rest = text.slice(LEADING_NOISE.exec(text)?.[0].length ?? 0);
  return FIRST_WORD.exec(rest)?.[0].toUpperCase();
}

/** pg reports SQLSTATE codes (`23505`); anything else is named by its class. */
function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.length > 0) return code;
  return errorClassName(error);
}

/**
 * Server messages quote the offending input ("invalid input syntax for type integer: \"4111...\""),
 * so the span carries the error's class and SQLSTATE, never its text.
 */
function recordQueryError(span: Span, error: unknown): string {
  const type = errorType(error);
  const name = (error as { name?: unknown } | null)?.name;
  span.recordException({
    name: typeof name === 'string' ? name : 'Error',
    message: `PostgreSQL error ${type}`,
  });
  span.setStatus({ code: SpanStatusCode.ERROR, message: `PostgreSQL error ${type}` });
  span.setAttribute('error.type', type);
  return type;
}

function parameterText(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
  if (typeof value === 'object') {
    try {
      return JSON.stringify(value) ?? String(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

function parsePort(port: unknown): number | undefined {
  const value = typeof port === 'string' ? Number(port) : port;
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

/** A pool's target from its options, or from its connection string where the options say nothing. */
function poolTarget(options: PgPool['options']): Target {
  let url: URL | undefined;
  try {
    url = options.connectionString ? new URL(options.connectionString) : undefined;
  } catch {
    url = undefined;
  }
  return {
    namespace: options.database ?? (url?.pathname.slice(1) || undefined),
    address: options.host ?? (url?.hostname || undefined),
    port: parsePort(options.port) ?? parsePort(url?.port),
  };
}

/** `host:port/database`, the pool name upstream instrumentation reports, with pg's defaults filled in. */
function poolName({ namespace, address, port }: Target): string {
  return `${address ?? 'localhost'}:${port ?? 5432}/${namespace ?? 'unknown_database'}`;
}

export class PgInstrumentation extends InstrumentationBase<PgInstrumentationConfig> {
  private duration!: Histogram;
  private readonly statements = new Map<string, Statement>();
  private readonly pools = new Set<PoolState>();

  constructor(config: PgInstrumentationConfig = {}) {
    super('@otel-preset/instrumentation-pg', VERSION, config);
  }

  override setConfig(config: PgInstrumentationConfig = {}): void {
    super.setConfig(config);
    // Cached statements hold the text as the previous settings allowed it. (The base constructor
    // calls this before the cache exists.)
    this.statements?.clear();
  }

  protected override _updateMetricInstruments(): void {
    this.duration = this.meter.createHistogram('db.client.operation.duration', {
      unit: 's',
      description: 'Duration of database client operations.',
      valueType: ValueType.DOUBLE,
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
    const count = this.meter.createObservableUpDownCounter('db.client.connection.count', {
      unit: '{connection}',
      description:
        'The number of connections that are currently in the state described by the state attribute.',
    });
    const pending = this.meter.createObservableUpDownCounter('db.client.connection.pending_requests', {
      unit: '{request}',
      description: 'The number of current pending requests for an open connection.',
    });
    const max = this.meter.createObservableUpDownCounter('db.client.connection.max', {
      unit: '{connection}',
      description: 'The maximum number of open connections allowed.',
    });
    this.meter.addBatchObservableCallback(
      (result) => this.observePools(result, count, pending, max),
      [count, pending, max],
    );
  }

  private observePools(
    result: BatchObservableResult,
    count: Observable,
    pending: Observable,
    max: Observable,
  ): void {
    for (const state of this.pools) {
      const pool = state.ref.deref();
      if (pool === undefined || state.ended) {
        this.pools.delete(state);
        continue;
      }
      const name = { 'db.client.connection.pool.name': state.name };
      const idle = pool.idleCount;
      result.observe(count, idle, { ...name, 'db.client.connection.state': 'idle' });
      result.observe(count, pool.totalCount - idle, { ...name, 'db.client.connection.state': 'used' });
      result.observe(pending, pool.waitingCount, name);
      if (typeof pool.options.max === 'number') result.observe(max, pool.options.max, name);
    }
  }

  protected init() {
    const patchClient = (exports: { prototype: PgClient }) => {
      this._wrap(
        exports.prototype,
        'query' as never,
        ((original: Method<PgClient>) => this.patchQuery(original)) as never,
      );
      this._wrap(
        exports.prototype,
        'connect' as never,
        ((original: Method<PgClient>) => this.patchClientConnect(original)) as never,
      );
      return exports;
    };
    const unpatchClient = (exports: { prototype: PgClient }) => {
      this._unwrap(exports.prototype, 'query' as never);
      this._unwrap(exports.prototype, 'connect' as never);
      return exports;
    };
    type PoolClass = { prototype: PgPool } & { default?: { prototype: PgPool } };
    const poolPrototype = (exports: PoolClass) => (exports.default ?? exports).prototype;
    return [
      // The client files, not `pg` itself: the package's ES entry re-exports the CommonJS build, so
      // patching the files covers require() and import alike.
      new InstrumentationNodeModuleDefinition('pg', SUPPORTED, undefined, undefined, [
        new InstrumentationNodeModuleFile('pg/lib/client.js', SUPPORTED, patchClient, unpatchClient),
        new InstrumentationNodeModuleFile('pg/lib/native/client.js', SUPPORTED, patchClient, unpatchClient),
      ]),
      new InstrumentationNodeModuleDefinition(
        'pg-pool',
        ['>=2.0.0 <4'],
        (exports: PoolClass) => {
          const prototype = poolPrototype(exports);
          this._wrap(
            prototype,
            'connect' as never,
            ((original: Method<PgPool>) => this.patchPoolConnect(original)) as never,
          );
          this._wrap(
            prototype,
            'end' as never,
            ((original: Method<PgPool>) => this.patchPoolEnd(original)) as never,
          );
          return exports;
        },
        (exports: PoolClass) => {
          const prototype = poolPrototype(exports);
          this._unwrap(prototype, 'connect' as never);
          this._unwrap(prototype, 'end' as never);
        },
      ),
    ];
  }

  /** The span's parent, or undefined when no span should be made. */
  private parentContext(): Context | undefined {
    const active = context.active();
    if (this.getConfig().requireParentSpan !== false && trace.getSpan(active) === undefined) return undefined;
    return active;
  }

  private patchQuery(original: Method<PgClient>): Method<PgClient> {
    const instrumentation = this;
    return function query(this: PgClient) {
      // biome-ignore lint/complexity/noArguments: passes the caller's arguments on untouched
      const args = arguments as unknown as unknown[];
      const parent = instrumentation.parentContext();
      if (parent === undefined || args[0] == null) return original.apply(this, args);
      let call: QueryCall;
      let callArgs: unknown[] = args;
      try {
        call = instrumentation.startQuery(this, parent, args[0], args[1]);
        callArgs = instrumentation.withCallback(call, args);
      } catch (error) {
        instrumentation._diag.error('could not start a query span; running the query untraced', error);
        return original.apply(this, args);
      }
      let result: unknown;
      try {
        result = original.apply(this, callArgs);
      } catch (error) {
        instrumentation.endQuery(call, error);
        throw error;
      }
      if (callArgs === args && typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
        // A branch of its own, so the caller's promise is returned as it was and its rejection handling
        // is left to the caller; this branch handles the rejection it sees.
        (result as PromiseLike<unknown>).then(
          () => instrumentation.endQuery(call),
          (error: unknown) => instrumentation.endQuery(call, error),
        );
      }
      return result;
    };
  }

  private startQuery(client: PgClient, parent: Context, config: unknown, values: unknown): QueryCall {
    const connection = this.connectionOf(client);
    const text = typeof config === 'string' ? config : (config as { text?: unknown }).text;
    const statement = typeof text === 'string' ? this.statementOf(text) : undefined;
    const operation = statement?.operation;
    const attributes: Attributes = {
      'db.system.name': 'postgresql',
      'db.namespace': connection.namespace,
      'server.address': connection.address,
      'server.port': connection.port,
      // Sentry's Queries view picks database spans by op and groups them by the pre-1.26 system name.
      'sentry.op': 'db',
      'db.system': 'postgresql',
    };
    if (operation !== undefined) attributes['db.operation.name'] = operation;
    if (statement !== undefined) attributes['db.query.text'] = statement.text;
    if (this.getConfig().captureParameters) {
      const list = Array.isArray(values) ? values : (config as { values?: unknown }).values;
      if (Array.isArray(list))
        list.forEach((value, i) => {
          attributes[`db.query.parameter.${i}`] = parameterText(value);
        });
    }
    const target = connection.namespace ?? connection.address ?? 'postgresql';
    const span = this.tracer.startSpan(
      operation === undefined ? target : `${operation} ${target}`,
      { kind: SpanKind.CLIENT, attributes },
      parent,
    );
    return new QueryCall(span, connection, operation, parent);
  }

  /**
   * The arguments to call pg with: a callback is wrapped to end the span first and run in the
   * caller's context; a Submittable (Query, cursor, stream) reports its end through its handlers.
   */
  private withCallback(call: QueryCall, args: unknown[]): unknown[] {
    const config = args[0] as Partial<Submittable> & { callback?: unknown };
    if (typeof config === 'object' && typeof config.submit === 'function') {
      this.observeSubmittable(call, config as Submittable);
      return args;
    }
    const at = typeof args[1] === 'function' ? 1 : typeof args[2] === 'function' ? 2 : -1;
    if (at !== -1) {
      const copy = Array.prototype.slice.call(args);
      copy[at] = this.endThenCall(call, args[at] as Callback);
      return copy;
    }
    if (typeof config === 'object' && typeof config.callback === 'function') {
      // A copy, so the caller's config object is not changed under it.
      const copy = Array.prototype.slice.call(args);
      copy[0] = { ...config, callback: this.endThenCall(call, config.callback as Callback) };
      return copy;
    }
    return args;
  }

  private endThenCall(call: QueryCall, callback: Callback): Callback {
    const instrumentation = this;
    return function queryCallback(this: unknown, error, ...rest) {
      instrumentation.endQuery(call, error ?? undefined);
      return context.with(call.parent, callback, this, error, ...rest);
    };
  }

  private observeSubmittable(call: QueryCall, submittable: Submittable): void {
    const instrumentation = this;
    const { handleError, handleReadyForQuery } = submittable;
    if (typeof handleError === 'function') {
      submittable.handleError = function (this: unknown, error: Error, ...rest: unknown[]) {
        instrumentation.endQuery(call, error);
        return handleError.call(this, error, ...rest);
      };
    }
    if (typeof handleReadyForQuery === 'function') {
      submittable.handleReadyForQuery = function (this: unknown, ...rest: unknown[]) {
        instrumentation.endQuery(call);
        return handleReadyForQuery.apply(this, rest);
      };
    }
  }

  private endQuery(call: QueryCall, error?: unknown): void {
    if (call.ended) return;
    call.ended = true;
    try {
      const { span, connection, operation } = call;
      let metric = this.metricAttributes(connection, operation);
      if (error !== undefined && error !== null) {
        metric = { ...metric, 'error.type': recordQueryError(span, error) };
      }
      span.end();
      this.duration.record((performance.now() - call.startedAt) / 1000, metric);
    } catch (failure) {
      this._diag.error('could not end a query span', failure);
    }
  }

  private statementOf(text: string): Statement {
    let statement = this.statements.get(text);
    if (statement === undefined) {
      statement = {
        operation: sqlOperation(text),
        text: this.getConfig().captureParameters ? text : sanitizeSql(text),
      };
      if (this.statements.size >= STATEMENT_CACHE_SIZE) this.statements.clear();
      this.statements.set(text, statement);
    }
    return statement;
  }

  /** Kept on the client: its connection parameters do not change after it is created. */
  private connectionOf(client: PgClient): ConnectionAttributes {
    let connection = client[CONNECTION];
    if (connection === undefined) {
      const parameters = client.connectionParameters ?? {};
      connection = {
        namespace: parameters.database || undefined,
        address: parameters.host || undefined,
        port: parsePort(parameters.port),
        metric: new Map(),
      };
      client[CONNECTION] = connection;
    }
    return connection;
  }

  private metricAttributes(connection: ConnectionAttributes, operation: string | undefined): Attributes {
    const key = operation ?? '';
    let attributes = connection.metric.get(key);
    if (attributes === undefined) {
      attributes = { 'db.system.name': 'postgresql' };
      if (connection.namespace !== undefined) attributes['db.namespace'] = connection.namespace;
      if (connection.address !== undefined) attributes['server.address'] = connection.address;
      if (connection.port !== undefined) attributes['server.port'] = connection.port;
      if (operation !== undefined) attributes['db.operation.name'] = operation;
      // Frozen: the metrics SDK hashes it once (see series-attributes.ts).
      connection.metric.set(key, Object.freeze(attributes));
    }
    return attributes;
  }

  private patchClientConnect(original: Method<PgClient>): Method<PgClient> {
    const instrumentation = this;
    return function connect(this: PgClient, callback?: unknown) {
      const parent = instrumentation.getConfig().connectSpans ? instrumentation.parentContext() : undefined;
      if (parent === undefined) return original.call(this, callback);
      const connection = instrumentation.connectionOf(this);
      return instrumentation.traceConnect('pg.connect', connection, parent, original, this, callback);
    };
  }

  private patchPoolConnect(original: Method<PgPool>): Method<PgPool> {
    const instrumentation = this;
    return function connect(this: PgPool, callback?: unknown) {
      if (this[POOL] === undefined) instrumentation.track(this);
      const parent = instrumentation.parentContext();
      if (parent === undefined) return original.call(this, callback);
      if (instrumentation.getConfig().connectSpans) {
        const target = this[POOL]?.target ?? poolTarget(this.options ?? {});
        return instrumentation.traceConnect('pg-pool.connect', target, parent, original, this, callback);
      }
      if (typeof callback !== 'function') return original.call(this, callback);
      return original.call(this, context.bind(parent, callback));
    };
  }

  private patchPoolEnd(original: Method<PgPool>): Method<PgPool> {
    return function end(this: PgPool) {
      const state = this[POOL];
      if (state !== undefined) state.ended = true;
      // biome-ignore lint/complexity/noArguments: passes the caller's arguments on untouched
      return original.apply(this, arguments as unknown as unknown[]);
    };
  }

  /** Remembers a pool for the gauges, weakly: a pool the app drops is not kept alive by metrics. */
  private track(pool: PgPool): void {
    try {
      const target = poolTarget(pool.options ?? {});
      const state: PoolState = { ref: new WeakRef(pool), target, name: poolName(target), ended: false };
      pool[POOL] = state;
      this.pools.add(state);
    } catch (error) {
      this._diag.error('could not track a pg pool', error);
    }
  }

  /** A connect or checkout span that ends when the callback runs or the promise settles. */
  private traceConnect<T>(
    name: string,
    connection: Target,
    parent: Context,
    original: Method<T>,
    target: T,
    callback: unknown,
  ): unknown {
    let span: Span;
    try {
      span = this.tracer.startSpan(
        name,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'db.system.name': 'postgresql',
            'db.namespace': connection.namespace,
            'server.address': connection.address,
            'server.port': connection.port,
          },
        },
        parent,
      );
    } catch (error) {
      this._diag.error(`could not start a ${name} span; connecting untraced`, error);
      return original.call(target, callback);
    }
    const end = (error: unknown) => {
      try {
        if (error !== undefined && error !== null) recordQueryError(span, error);
        span.end();
      } catch (failure) {
        this._diag.error(`could not end a ${name} span`, failure);
      }
    };
    const inside = trace.setSpan(parent, span);
    if (typeof callback === 'function') {
      const wrapped = function (this: unknown, error: unknown, ...rest: unknown[]) {
        end(error);
        return context.with(parent, callback as Callback, this, error as Error, ...rest);
      };
      return context.with(inside, () => original.call(target, wrapped));
    }
    const result = context.with(inside, () => original.call(target));
    if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
      (result as PromiseLike<unknown>).then(() => end(undefined), end);
    } else end(undefined);
    return result;
  }
}
