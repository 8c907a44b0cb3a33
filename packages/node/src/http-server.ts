// SPDX-License-Identifier: Apache-2.0
// Server spans for node:http and node:https with the stable HTTP semantic conventions, built for the
// request path: one span and one histogram point per request, no per-request closures or URL parsing.
// Outgoing requests stay with @opentelemetry/instrumentation-http (its server side is switched off).
//
// Context reaches the app's request listeners through context.with around Server#emit('request').
// Listeners the app adds to the request and response (body parsing, on-finished) fire later from socket
// callbacks, outside that context; instead of wrapping every listener of every request, the prototypes'
// emit runs events in the request's context when one is attached to the object.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import {
  type Attributes,
  type Context,
  context,
  type Histogram,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  ValueType,
} from '@opentelemetry/api';
import { RPCType, setRPCMetadata, suppressTracing } from '@opentelemetry/core';
import {
  InstrumentationBase,
  type InstrumentationConfig,
  InstrumentationNodeModuleDefinition,
} from '@opentelemetry/instrumentation';
import { PresetContext } from './preset-context.js';
import { SeriesAttributes } from './series-attributes.js';
import { recordFailure } from './spans.js';
import { VERSION } from './version.js';

export interface HttpServerInstrumentationConfig extends InstrumentationConfig {
  /** Request paths (without query string) that get no span and no metric point, e.g. health checks. */
  ignorePaths?: readonly string[];
  /** Put the raw query string in `url.query`. Off by default: query strings often carry tokens. */
  captureQuery?: boolean;
}

// Per-request objects are class instances, not object literals. V8 may pretenure a literal's allocation
// site (allocate its objects straight into the old generation) once it has seen them survive a
// scavenge; a pretenured per-request object then keeps the request's young span and context alive
// through every scavenge until the next full GC (about 1.3 MB promoted per scavenge under load).

/** Express (and others) write the matched route here through @opentelemetry/core's RPC metadata. */
class HttpRpcMetadata {
  readonly type = RPCType.HTTP;
  route: string | undefined = undefined;
  constructor(readonly span: Span) {}
}

class RequestState {
  readonly startedAt = performance.now();
  ended = false;
  constructor(
    readonly span: Span,
    readonly context: Context,
    readonly rpc: HttpRpcMetadata,
    readonly method: string,
    readonly scheme: string,
    readonly protocolVersion: string,
  ) {}
}

// biome-ignore lint/suspicious/noExplicitAny: emit is called on servers, requests and responses alike
type Emit = (this: any, event: any, ...rest: any[]) => boolean;
type EmitArgs = Parameters<Emit>;

const STATE = Symbol('otel-preset.http-server.state');
const CONTEXT = Symbol('otel-preset.http-server.context');
const OURS = Symbol('otel-preset.http-server.wrapper');
type Carrier = { [CONTEXT]?: Context; [STATE]?: RequestState };

const KNOWN_METHODS = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'QUERY',
  'TRACE',
]);

// Bucket boundaries the HTTP semantic conventions advise for request durations, in seconds.
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** Splits a Host header into name and port, IPv6 literals included ("[::1]:8080"). */
export function parseHost(host: string): { address: string; port?: number } {
  const close = host.startsWith('[') ? host.indexOf(']') : -1;
  const colon = host.indexOf(':', close + 1);
  if (colon === -1) return { address: host };
  const port = Number(host.slice(colon + 1));
  return { address: host.slice(0, colon), port: Number.isInteger(port) && port > 0 ? port : undefined };
}

function clientAddress(request: IncomingMessage): string | undefined {
  const forwarded = request.headers['x-forwarded-for'];
  if (typeof forwarded === 'string' && forwarded.length > 0) {
    const comma = forwarded.indexOf(',');
    return (comma === -1 ? forwarded : forwarded.slice(0, comma)).trim();
  }
  return request.socket?.remoteAddress;
}

export class HttpServerInstrumentation extends InstrumentationBase<HttpServerInstrumentationConfig> {
  private duration!: Histogram;
  private readonly series = new SeriesAttributes();

  constructor(config: HttpServerInstrumentationConfig = {}) {
    super('@otel-preset/instrumentation-http-server', VERSION, config);
  }

  protected override _updateMetricInstruments(): void {
    this.duration = this.meter.createHistogram('http.server.request.duration', {
      unit: 's',
      description: 'Duration of HTTP server requests.',
      valueType: ValueType.DOUBLE,
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
  }

  protected init() {
    type HttpModule = typeof import('node:http');
    const patchServer = (scheme: string) => (exports: HttpModule) => {
      this.wrapEmit(exports.Server.prototype, (original) => this.patchServerEmit(original, scheme));
      return exports;
    };
    const unpatchServer = (exports: HttpModule) => {
      this._unwrap(exports.Server.prototype, 'emit');
    };
    return [
      new InstrumentationNodeModuleDefinition(
        'http',
        ['*'],
        (exports: HttpModule) => {
          patchServer('http')(exports);
          for (const proto of [exports.IncomingMessage.prototype, exports.ServerResponse.prototype]) {
            this.wrapEmit(proto, (original) => this.patchMessageEmit(original));
          }
          return exports;
        },
        (exports: HttpModule) => {
          unpatchServer(exports);
          this._unwrap(exports.IncomingMessage.prototype, 'emit');
          this._unwrap(exports.ServerResponse.prototype, 'emit');
        },
      ),
      new InstrumentationNodeModuleDefinition('https', ['*'], patchServer('https'), unpatchServer),
    ];
  }

  /** Wraps `target.emit` once; another instrumentation's wrapper underneath is kept and called. */
  private wrapEmit(target: object, wrap: (original: Emit) => Emit): void {
    const current = (target as { emit: Emit & { [OURS]?: true } }).emit;
    if (current[OURS]) return;
    this._wrap(target as { emit: Emit }, 'emit', (original) =>
      Object.assign(wrap(original as Emit), { [OURS]: true as const }),
    );
  }

  private patchServerEmit(original: Emit, scheme: string): Emit {
    const instrumentation = this;
    // `arguments`, not rest parameters: every event of every server passes through here.
    return function emit(this: Server, event: string | symbol) {
      // biome-ignore lint/complexity/noArguments: forwards the exact arguments without copying them
      const args = arguments as unknown as EmitArgs;
      if (event !== 'request') return original.apply(this, args);
      return instrumentation.handleRequest(this, original, scheme, args);
    };
  }

  /** The prototypes' emit: runs an event in the context of the request the object belongs to. */
  private patchMessageEmit(original: Emit): Emit {
    const instrumentation = this;
    return function emit(this: Carrier & (IncomingMessage | ServerResponse), event: string | symbol) {
      // biome-ignore lint/complexity/noArguments: forwards the exact arguments without copying them
      const args = arguments as unknown as EmitArgs;
      const carried = this[CONTEXT];
      if (carried === undefined) return original.apply(this, args);
      if (event === 'close') {
        const state = this[STATE];
        if (state !== undefined) instrumentation.endRequest(state, this as ServerResponse);
      }
      // Most events already fire in the request's context (res.end() called from the handler schedules
      // 'finish' and 'close' there); entering it again would only allocate.
      if (this.listenerCount(event) === 0 || context.active() === carried) return original.apply(this, args);
      return context.with(carried, () => original.apply(this, args));
    };
  }

  private handleRequest(server: Server, emit: Emit, scheme: string, args: EmitArgs): boolean {
    const request = args[1] as IncomingMessage & Carrier;
    const response = args[2] as ServerResponse & Carrier;
    const url = request.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const { ignorePaths, captureQuery } = this.getConfig();

    if (ignorePaths?.includes(path)) {
      const suppressed = suppressTracing(context.active());
      request[CONTEXT] = suppressed;
      response[CONTEXT] = suppressed;
      return context.with(suppressed, () => emit.apply(server, args));
    }

    let state: RequestState;
    try {
      state = this.startRequest(
        request,
        scheme,
        path,
        captureQuery === true && queryAt !== -1 ? url.slice(queryAt + 1) : undefined,
      );
    } catch (error) {
      this._diag.error('could not start a server span; serving the request untraced', error);
      return emit.apply(server, args);
    }
    request[CONTEXT] = state.context;
    response[CONTEXT] = state.context;
    response[STATE] = state;
    try {
      return context.with(state.context, () => emit.apply(server, args));
    } catch (error) {
      recordFailure(state.span, error);
      throw error;
    }
  }

  private startRequest(
    request: IncomingMessage,
    scheme: string,
    path: string,
    query: string | undefined,
  ): RequestState {
    const rawMethod = request.method ?? 'GET';
    const method = KNOWN_METHODS.has(rawMethod) ? rawMethod : '_OTHER';
    const protocolVersion = request.httpVersion;
    const attributes: Attributes = {
      'http.request.method': method,
      'url.scheme': scheme,
      'url.path': path,
      'network.protocol.version': protocolVersion,
    };
    if (method === '_OTHER') attributes['http.request.method_original'] = rawMethod;
    if (query !== undefined) attributes['url.query'] = query;
    const { host, 'user-agent': userAgent } = request.headers;
    if (host) {
      const server = parseHost(host);
      attributes['server.address'] = server.address;
      if (server.port !== undefined) attributes['server.port'] = server.port;
    }
    if (userAgent) attributes['user_agent.original'] = userAgent;
    const socket = request.socket;
    if (socket) {
      attributes['network.peer.address'] = socket.remoteAddress;
      attributes['network.peer.port'] = socket.remotePort;
    }
    const client = clientAddress(request);
    if (client) attributes['client.address'] = client;

    const parent = propagation.extract(PresetContext.ROOT, request.headers);
    const span = this.tracer.startSpan(
      method === '_OTHER' ? 'HTTP' : method,
      { kind: SpanKind.SERVER, attributes },
      parent,
    );
    const rpc = new HttpRpcMetadata(span);
    const requestContext = setRPCMetadata(trace.setSpan(parent, span), rpc);
    return new RequestState(span, requestContext, rpc, method, scheme, protocolVersion);
  }

  private metricAttributes(
    state: RequestState,
    status: number,
    route: string | undefined,
    errorType: string | undefined,
  ): Attributes {
    const key = `${state.method} ${state.scheme} ${state.protocolVersion} ${status} ${errorType} ${route}`;
    const cached = this.series.get(key);
    if (cached !== undefined) return cached;
    const attributes: Attributes = {
      'http.request.method': state.method,
      'url.scheme': state.scheme,
      'network.protocol.version': state.protocolVersion,
      'http.response.status_code': status,
    };
    if (route !== undefined) attributes['http.route'] = route;
    if (errorType !== undefined) attributes['error.type'] = errorType;
    return this.series.add(key, attributes);
  }

  private endRequest(state: RequestState, response: ServerResponse): void {
    if (state.ended) return;
    state.ended = true;
    try {
      const status = response.statusCode;
      const { span, rpc } = state;
      const { route } = rpc;
      span.setAttribute('http.response.status_code', status);
      if (route !== undefined) {
        span.setAttribute('http.route', route);
        span.updateName(`${state.method === '_OTHER' ? 'HTTP' : state.method} ${route}`);
      }
      let errorType: string | undefined;
      if (status >= 500) {
        errorType = String(status);
        span.setStatus({ code: SpanStatusCode.ERROR });
      } else if (!response.writableFinished) {
        // The client went away before the response was complete.
        errorType = 'aborted';
      }
      if (errorType !== undefined) span.setAttribute('error.type', errorType);
      span.end();
      this.duration.record(
        (performance.now() - state.startedAt) / 1000,
        this.metricAttributes(state, status, route, errorType),
      );
    } catch (error) {
      this._diag.error('could not end a server span', error);
    }
  }
}
