// SPDX-License-Identifier: Apache-2.0
// The server instrumentation under a real node:http server and client, in-process.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { getRPCMetadata, W3CTraceContextPropagator } from '@opentelemetry/core';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { installInProcessSdk, type LoopbackServer, serveOnLoopback, waitFor } from '@otel-preset/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpServerInstrumentation, parseHost } from '../src/http-server.js';

const sdk = installInProcessSdk({ temporality: 'delta' });
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const instrumentation = new HttpServerInstrumentation({ enabled: false, ignorePaths: ['/healthz'] });
instrumentation.setTracerProvider(sdk.tracerProvider);
instrumentation.setMeterProvider(sdk.meterProvider);
instrumentation.enable();
// Required after enable(), so require-in-the-middle hands the module to the instrumentation.
const http = createRequire(import.meta.url)('node:http') as typeof import('node:http');
const SCOPE = '@otel-preset/instrumentation-http-server';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;
let handler: Handler = (_request, response) => response.end('ok');
const server = http.createServer((request, response) => handler(request, response));
let base = '';
let serving: LoopbackServer | undefined;

beforeAll(async () => {
  serving = await serveOnLoopback(server);
  base = serving.origin;
});
afterAll(async () => {
  await serving?.close();
  instrumentation.disable();
});
afterEach(async () => {
  handler = (_request, response) => response.end('ok');
  sdk.spanExporter.reset();
  await sdk.collectMetrics();
});

const serverSpans = () => sdk.spans().filter((span) => span.instrumentationScope.name === SCOPE);

async function serverSpan() {
  await waitFor(() => serverSpans().length > 0);
  return serverSpans()[0]!;
}

/** Sends a request with the raw Node client (the instrumentation only patches the server side). */
function send(
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = http.request(`${base}${path}`, {
      method: options.method ?? 'GET',
      headers: options.headers,
    });
    request.on('response', (response) => {
      let body = '';
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

describe('HttpServerInstrumentation', () => {
  it('starts one server span per request with the stable HTTP attributes and no query string', async () => {
    expect((await send('/items/3?token=secret', { headers: { 'user-agent': 'probe/1.0' } })).status).toBe(
      200,
    );
    const span = await serverSpan();
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.name).toBe('GET');
    expect(span.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'url.path': '/items/3',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(base).port),
      'network.protocol.version': '1.1',
      'network.peer.address': '127.0.0.1',
      'client.address': '127.0.0.1',
      'user_agent.original': 'probe/1.0',
    });
    expect(span.attributes['url.query']).toBeUndefined();
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('continues the caller’s trace from traceparent', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await send('/', { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    const span = await serverSpan();
    expect(span.spanContext().traceId).toBe(traceId);
    expect(span.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
  });

  it('runs body and response listeners in the request’s context', async () => {
    const seen: Record<string, string | undefined> = {};
    const activeSpanId = () => trace.getSpan(context.active())?.spanContext().spanId;
    handler = (request, response) => {
      seen.handler = activeSpanId();
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        // Body events come from socket reads, outside the context the handler was called in.
        seen.end = activeSpanId();
        response.on('finish', () => {
          seen.finish = activeSpanId();
        });
        response.end(body);
      });
    };
    const sent = 'x'.repeat(200_000);
    expect((await send('/upload', { method: 'POST', body: sent })).body).toHaveLength(sent.length);
    const span = await serverSpan();
    const id = span.spanContext().spanId;
    expect(seen).toEqual({ handler: id, end: id, finish: id });
  });

  it('names the span after the route a framework reports, and records the duration with bounded labels', async () => {
    handler = (_request, response) => {
      const rpc = getRPCMetadata(context.active());
      if (rpc) rpc.route = '/items/:id';
      response.end();
    };
    await send('/items/42');
    const span = await serverSpan();
    expect(span.name).toBe('GET /items/:id');
    expect(span.attributes['http.route']).toBe('/items/:id');
    const [metric] = await sdk.collectMetrics(SCOPE);
    expect(metric?.descriptor).toMatchObject({ name: 'http.server.request.duration', unit: 's' });
    const points = metric!.dataPoints as DataPoint<Histogram>[];
    expect(points).toHaveLength(1);
    expect(points[0]!.attributes).toEqual({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'network.protocol.version': '1.1',
      'http.response.status_code': 200,
      'http.route': '/items/:id',
    });
    expect(points[0]!.value.count).toBe(1);
  });

  it('marks 5xx responses as errors and unknown methods as _OTHER', async () => {
    handler = (_request, response) => {
      response.statusCode = 503;
      response.end();
    };
    await send('/', { method: 'PURGE' });
    const span = await serverSpan();
    expect(span.name).toBe('HTTP');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({
      'http.request.method': '_OTHER',
      'http.request.method_original': 'PURGE',
      'error.type': '503',
    });
  });

  it('ends the span when the client goes away before the response', async () => {
    handler = () => {};
    const request = http.request(`${base}/slow`);
    request.on('error', () => {});
    request.end();
    await waitFor(() => request.socket !== null && request.socket !== undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    request.destroy();
    const span = await serverSpan();
    expect(span.attributes['error.type']).toBe('aborted');
  });

  it('does not trace ignored paths, nor the work done while serving them', async () => {
    handler = (_request, response) => {
      sdk.tracerProvider.getTracer('app').startSpan('inside').end();
      response.end();
    };
    await send('/healthz?probe=1');
    await send('/other');
    await waitFor(() => serverSpans().length === 1);
    expect(sdk.spans().map((span) => span.name)).toEqual(['inside', 'GET']);
    expect(serverSpans()[0]!.attributes['url.path']).toBe('/other');
  });
});

describe('parseHost', () => {
  it.each([
    ['example.com', { address: 'example.com' }],
    ['example.com:8080', { address: 'example.com', port: 8080 }],
    ['[::1]:3000', { address: '[::1]', port: 3000 }],
    ['[::1]', { address: '[::1]' }],
    ['host:abc', { address: 'host', port: undefined }],
  ])('%s', (host, expected) => {
    expect(parseHost(host)).toEqual(expected);
  });
});
