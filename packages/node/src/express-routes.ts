// SPDX-License-Identifier: Apache-2.0
// Names Express requests by route (the server span's http.route and name, and the duration metric's
// http.route label) without making spans. Layers remember the path pattern they were registered with;
// entering a route layer writes the full pattern, mount prefixes included, into the request's RPC
// metadata, where the server instrumentation reads it. Middleware mounted without a path is not
// touched, so the usual app-wide middleware (body parsers, CORS, logging) costs nothing per request.
// Layer spans (OTEL_PRESET_EXPRESS_*_SPANS) are @opentelemetry/instrumentation-express's job.
import type { IncomingMessage } from 'node:http';
import { context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import { VERSION } from './version.js';

type Handle = (
  this: unknown,
  req: IncomingMessage,
  res: unknown,
  next: (err?: unknown) => unknown,
) => unknown;
interface Layer {
  handle: Handle;
}
interface Router {
  stack: Layer[];
}
type RouterMethod = (this: Router, ...args: unknown[]) => unknown;

const MOUNTS = Symbol('otel-preset.express.mounts');
type Request = IncomingMessage & { [MOUNTS]?: string[] };

/** The pattern a layer was registered with, as text; undefined for a bare middleware function. */
export function pathPattern(path: unknown): string | undefined {
  if (typeof path === 'string') return path;
  if (path instanceof RegExp) return String(path);
  if (
    Array.isArray(path) &&
    path.length > 0 &&
    path.every((p) => typeof p === 'string' || p instanceof RegExp)
  ) {
    return path.map(String).join(',');
  }
  return undefined;
}

/** Mount prefixes and a route pattern joined into one route, without doubled or trailing slashes. */
export function joinRoute(mounts: readonly string[], pattern: string): string {
  let route = '';
  for (const mount of [...mounts, pattern]) {
    if (mount === '/' || mount === '') continue;
    route += route.endsWith('/') && mount.startsWith('/') ? mount.slice(1) : mount;
  }
  if (route.length > 1 && route.endsWith('/')) route = route.slice(0, -1);
  return route === '' ? '/' : route;
}

function setRoute(route: string | undefined): string | undefined {
  const rpc = getRPCMetadata(context.active());
  if (rpc?.type !== RPCType.HTTP) return undefined;
  const previous = rpc.route;
  rpc.route = route;
  return previous;
}

/** Entering the layer names the request by the route; error-handling layers (arity 4) are left as is. */
function markRoute(layer: Layer, pattern: string): void {
  const handle = layer.handle;
  if (typeof handle !== 'function' || handle.length > 3) return;
  // Three declared parameters: Express tells error handlers (four) from the rest by a layer's arity.
  layer.handle = function routeLayer(req, _res, _next) {
    const mounts = (req as Request)[MOUNTS];
    setRoute(mounts === undefined || mounts.length === 0 ? pattern : joinRoute(mounts, pattern));
    // biome-ignore lint/complexity/noArguments: Express passes more than three arguments to some layers
    return handle.apply(this, arguments as unknown as Parameters<Handle>);
  };
}

/**
 * A layer mounted at a path: its prefix applies to the routes inside it, and names the request itself
 * when nothing inside matches a route (static files, sub-apps). Leaving it restores the outer state.
 */
function markMount(layer: Layer, pattern: string): void {
  const handle = layer.handle;
  if (typeof handle !== 'function' || handle.length > 3) return;
  layer.handle = function mountedLayer(req, res, next) {
    const request = req as Request;
    const mounts = request[MOUNTS] ?? [];
    request[MOUNTS] = mounts;
    mounts.push(pattern);
    const outer = setRoute(joinRoute(mounts, ''));
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      mounts.pop();
      setRoute(outer);
    };
    try {
      return handle.call(this, req, res, function leaveMount(this: unknown) {
        leave();
        // biome-ignore lint/complexity/noArguments: next(err) and next('route') must reach Express unchanged
        return next.apply(this, arguments as unknown as [unknown]);
      });
    } catch (error) {
      // Express catches it and calls its own next(error), which bypasses leaveMount.
      leave();
      throw error;
    }
  };
}

function patchRoute(original: RouterMethod): RouterMethod {
  return function route(this: Router, path) {
    // biome-ignore lint/complexity/noArguments: forwards the exact arguments
    const result = original.apply(this, arguments as unknown as unknown[]);
    const pattern = pathPattern(path);
    const layer = this.stack?.[this.stack.length - 1];
    if (layer && pattern !== undefined) markRoute(layer, pattern);
    return result;
  };
}

function patchUse(original: RouterMethod): RouterMethod {
  return function use(this: Router, path) {
    const before = this.stack?.length ?? 0;
    // biome-ignore lint/complexity/noArguments: forwards the exact arguments
    const result = original.apply(this, arguments as unknown as unknown[]);
    const pattern = pathPattern(path);
    if (pattern !== undefined && pattern !== '/' && this.stack) {
      for (let i = before; i < this.stack.length; i++) markMount(this.stack[i]!, pattern);
    }
    return result;
  };
}

export class ExpressRouteInstrumentation extends InstrumentationBase {
  constructor() {
    super('@otel-preset/instrumentation-express-routes', VERSION, {});
  }

  protected init() {
    type Express = { Router: RouterMethod & { prototype?: Partial<Record<'route' | 'use', RouterMethod>> } };
    // Express 5 routers are instances of the router package's class; Express 4's router functions
    // inherit from the exported Router function itself.
    const routerProto = (exports: Express) =>
      (typeof exports.Router?.prototype?.route === 'function'
        ? exports.Router.prototype
        : exports.Router) as {
        route: RouterMethod;
        use: RouterMethod;
      };
    return new InstrumentationNodeModuleDefinition(
      'express',
      ['>=4.0.0 <6'],
      (exports: Express) => {
        const proto = routerProto(exports);
        this._wrap(proto, 'route', patchRoute);
        this._wrap(proto, 'use', patchUse);
        return exports;
      },
      (exports: Express) => {
        const proto = routerProto(exports);
        this._unwrap(proto, 'route');
        this._unwrap(proto, 'use');
      },
    );
  }
}
