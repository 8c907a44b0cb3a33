// SPDX-License-Identifier: Apache-2.0
// Route naming on a real Express app served by node:http, with the server instrumentation reading it.

import { createRequire } from 'node:module';
import { installInProcessSdk, type LoopbackServer, serveOnLoopback, waitFor } from '@otel-preset/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ExpressRouteInstrumentation, joinRoute, pathPattern } from '../src/express-routes.js';
import { HttpServerInstrumentation } from '../src/http-server.js';

const sdk = installInProcessSdk({ temporality: 'delta' });
const instrumentations = [
  new HttpServerInstrumentation({ enabled: false }),
  new ExpressRouteInstrumentation(),
];
for (const instrumentation of instrumentations) {
  instrumentation.disable();
  instrumentation.setTracerProvider(sdk.tracerProvider);
  instrumentation.setMeterProvider(sdk.meterProvider);
  instrumentation.enable();
}
// Required after enable(), so require-in-the-middle hands the modules to the instrumentations.
const require = createRequire(import.meta.url);
const http = require('node:http') as typeof import('node:http');
const express = require('express') as typeof import('express');

const app = express();
app.use(express.json());
app.get('/users/:id', (_req, res) => {
  res.json({ ok: true });
});
app.get(['/a', '/b'], (_req, res) => {
  res.end();
});
app.get(/^\/re\/\d+$/, (_req, res) => {
  res.end();
});
const items = express.Router();
items.use((_req, _res, next) => next());
items.get('/:itemId', (_req, res) => {
  res.end();
});
items.post('/', (req, res) => {
  res.json(req.body);
});
const api = express.Router();
api.use('/items', items);
app.use('/api/:version', api);
const admin = express();
admin.get('/stats', (_req, res) => {
  res.end();
});
app.use('/admin', admin);
app.use('/files', (_req, res) => {
  res.end('file');
});
app.use('/fallthrough', (_req, _res, next) => next());
app.use('/throws', () => {
  throw new Error('mounted middleware failed');
});
app.get('/fail', () => {
  throw new Error('boom');
});
app.use((_err: unknown, _req: unknown, res: { status(code: number): { end(): void } }, _next: unknown) => {
  res.status(500).end();
});

const server = http.createServer(app);
let base = '';
let serving: LoopbackServer | undefined;
beforeAll(async () => {
  serving = await serveOnLoopback(server);
  base = serving.origin;
});
afterAll(async () => {
  await serving?.close();
  for (const instrumentation of instrumentations) instrumentation.disable();
});
afterEach(() => sdk.spanExporter.reset());

async function serverSpanFor(path: string, init?: RequestInit) {
  const response = await fetch(`${base}${path}`, init);
  await response.arrayBuffer();
  await waitFor(() => sdk.spans().length > 0);
  const [span] = sdk.spans();
  return { status: response.status, name: span!.name, route: span!.attributes['http.route'] };
}

describe('ExpressRouteInstrumentation', () => {
  it.each([
    ['/users/7', 'GET /users/:id', 200],
    ['/b', 'GET /a,/b', 200],
    ['/re/12', 'GET /^\\/re\\/\\d+$/', 200],
    ['/api/v2/items/42', 'GET /api/:version/items/:itemId', 200],
    ['/admin/stats', 'GET /admin/stats', 200],
    ['/files/logo.png', 'GET /files', 200],
    ['/fail', 'GET /fail', 500],
  ])('%s is named %s', async (path, name, status) => {
    const span = await serverSpanFor(path);
    expect(span).toEqual({ status, name, route: name.slice(4) });
  });

  it('names routes reached after the body is read asynchronously', async () => {
    const span = await serverSpanFor('/api/v1/items', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ x: 'y'.repeat(100_000) }),
    });
    expect(span).toEqual({ status: 200, name: 'POST /api/:version/items', route: '/api/:version/items' });
  });

  it('leaves a mount whose middleware throws, so the error is not named after it', async () => {
    const span = await serverSpanFor('/throws/x');
    expect(span).toEqual({ status: 500, name: 'GET', route: undefined });
  });

  it('does not name a request no route answered', async () => {
    const span = await serverSpanFor('/fallthrough/nothing');
    expect(span).toEqual({ status: 404, name: 'GET', route: undefined });
  });
});

describe('route text', () => {
  it.each([
    [[], '/x', '/x'],
    [['/api'], '/', '/api'],
    [['/api/'], '/items', '/api/items'],
    [['/', '/api'], '', '/api'],
    [[], '/', '/'],
  ])('%j + %s = %s', (mounts, pattern, route) => {
    expect(joinRoute(mounts, pattern)).toBe(route);
  });

  it('reads string, RegExp and array patterns, and nothing from a function', () => {
    expect(pathPattern('/a')).toBe('/a');
    expect(pathPattern(/x/)).toBe('/x/');
    expect(pathPattern(['/a', /b/])).toBe('/a,/b/');
    expect(pathPattern(() => {})).toBeUndefined();
    expect(pathPattern([() => {}])).toBeUndefined();
  });
});
