// SPDX-License-Identifier: Apache-2.0
// The real @browserbasehq/sdk against the Browserbase emulator: one span per session call, the
// session's own span from create to release or time-out, and the session metrics.
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import {
  Browserbase,
  instrumentation,
  spanNamed,
  spans,
  total,
  useBrowserbaseEmulator,
  waitFor,
} from './setup.js';

const bb = useBrowserbaseEmulator('proj_unit');

describe('session calls', () => {
  it('creates a session under the caller span, with browserbase attributes and no URLs', async () => {
    const parent = trace.getTracer('test').startSpan('parent');
    const session = await trace.getTracer('test').startActiveSpan('job', async (job) => {
      try {
        return await bb.client.sessions.create({
          projectId: 'proj_unit',
          region: 'eu-central-1',
          keepAlive: true,
          api_timeout: 120,
          userMetadata: { customer: 'secret-customer' },
        });
      } finally {
        job.end();
      }
    });
    parent.end();
    expect(session.status).toBe('RUNNING');

    const [create] = spanNamed('browserbase.sessions.create');
    const [job] = spanNamed('job');
    expect(create).toBeDefined();
    expect(create!.kind).toBe(SpanKind.CLIENT);
    expect(create!.parentSpanContext?.spanId).toBe(job!.spanContext().spanId);
    expect(create!.attributes).toMatchObject({
      'browserbase.operation': 'sessions.create',
      'browserbase.session.id': session.id,
      'browserbase.project.id': 'proj_unit',
      'browserbase.region': 'eu-central-1',
      'browserbase.session.keep_alive': true,
      'browserbase.session.timeout': 120,
      'browserbase.session.status': 'RUNNING',
      'http.response.status_code': 201,
    });
    const exported = JSON.stringify(spans().map((span) => span.attributes));
    expect(exported).not.toContain('secret-customer');
    expect(exported).not.toContain('wss://');
    expect(exported).not.toContain('signing-');
    expect(instrumentation.openSessionCount).toBe(1);
  });

  it('retrieve, debug and list carry ids, counts and status; debug URLs only when opted in', async () => {
    const { id } = await bb.client.sessions.create({ projectId: 'proj_unit' });
    await bb.client.sessions.retrieve(id);
    const debug = await bb.client.sessions.debug(id);
    expect(debug.debuggerFullscreenUrl).toContain(id);
    const listed = await bb.client.sessions.list({ status: 'RUNNING' });
    expect(listed).toHaveLength(1);

    expect(spanNamed('browserbase.sessions.retrieve')[0]!.attributes).toMatchObject({
      'browserbase.session.id': id,
      'browserbase.session.status': 'RUNNING',
      'browserbase.region': 'us-west-2',
    });
    const debugSpan = spanNamed('browserbase.sessions.debug')[0]!;
    expect(debugSpan.attributes['browserbase.session.id']).toBe(id);
    expect(debugSpan.attributes['browserbase.session.debugger_url']).toBeUndefined();
    expect(spanNamed('browserbase.sessions.list')[0]!.attributes).toMatchObject({
      'browserbase.list.status': 'RUNNING',
      'browserbase.list.count': 1,
    });

    instrumentation.setConfig({ captureSessionUrls: true });
    await bb.client.sessions.debug(id);
    const optedIn = spanNamed('browserbase.sessions.debug')[1]!;
    expect(optedIn.attributes['browserbase.session.debugger_url']).toBe(debug.debuggerFullscreenUrl);
  });

  it('keeps withResponse() and asResponse() working and still ends the span', async () => {
    const { data, response } = await bb.client.sessions.create({ projectId: 'proj_unit' }).withResponse();
    expect(response.status).toBe(201);
    expect(data.id).toMatch(/-/);
    const raw = await bb.client.sessions.retrieve(data.id).asResponse();
    expect(((await raw.json()) as { id: string }).id).toBe(data.id);
    await waitFor(() => spanNamed('browserbase.sessions.retrieve').length === 1);
    expect(spanNamed('browserbase.sessions.create')[0]!.attributes['browserbase.session.id']).toBe(data.id);
    expect(spanNamed('browserbase.sessions.retrieve')[0]!.attributes['browserbase.session.id']).toBe(data.id);
  });

  it('records a fire-and-forget release', async () => {
    const { id } = await bb.client.sessions.create({ projectId: 'proj_unit' });
    void bb.client.sessions.update(id, { projectId: 'proj_unit', status: 'REQUEST_RELEASE' });
    await waitFor(() => spanNamed('browserbase.session').length === 1);
    expect(spanNamed('browserbase.session')[0]!.attributes['browserbase.session.end_reason']).toBe(
      'released',
    );
    expect(instrumentation.openSessionCount).toBe(0);
  });
});

describe('errors', () => {
  it.each([
    { status: 400, type: 'BadRequestError' },
    { status: 401, type: 'AuthenticationError' },
    { status: 429, type: 'RateLimitError' },
    { status: 500, type: 'InternalServerError' },
    { status: 503, type: 'InternalServerError' },
  ])('a $status on create fails the span and counts a failed session', async ({ status, type }) => {
    const before = await total('browserbase.session.failed', { 'http.response.status_code': status });
    bb.emulator.failNext({ method: 'POST', path: /^\/v1\/sessions$/, status });
    await expect(
      bb.client.sessions.create({ projectId: 'proj_unit', region: 'us-east-1' }),
    ).rejects.toThrow();
    const [span] = spanNamed('browserbase.sessions.create');
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.attributes).toMatchObject({ 'error.type': type, 'http.response.status_code': status });
    expect(span!.events.some((event) => event.name === 'exception')).toBe(true);
    expect(
      await total('browserbase.session.failed', {
        'http.response.status_code': status,
        'error.type': type,
        'browserbase.region': 'us-east-1',
      }),
    ).toBe(before + 1);
    expect(instrumentation.openSessionCount).toBe(0);
  });

  it('a 429 that the SDK retries past is one successful span', async () => {
    const retrying = new Browserbase({ apiKey: bb.emulator.apiKey, baseURL: bb.emulator.url, maxRetries: 2 });
    bb.emulator.failNext({ method: 'POST', path: /^\/v1\/sessions$/, status: 429 });
    const session = await retrying.sessions.create({ projectId: 'proj_unit' });
    expect(bb.emulator.requests.filter((request) => request.method === 'POST')).toHaveLength(2);
    const created = spanNamed('browserbase.sessions.create');
    expect(created).toHaveLength(1);
    expect(created[0]!.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(created[0]!.attributes['browserbase.session.id']).toBe(session.id);
  });

  it('a 404 on retrieve is an error span and does not touch open sessions', async () => {
    await bb.client.sessions.create({ projectId: 'proj_unit' });
    await expect(bb.client.sessions.retrieve('no-such-session')).rejects.toThrow(/404|not found/i);
    const [span] = spanNamed('browserbase.sessions.retrieve');
    expect(span!.attributes).toMatchObject({
      'error.type': 'NotFoundError',
      'http.response.status_code': 404,
    });
    expect(instrumentation.openSessionCount).toBe(1);
  });

  it('a connection failure ends the span with the SDK error class', async () => {
    const dead = new Browserbase({ apiKey: 'k', baseURL: 'http://127.0.0.1:9', maxRetries: 0 });
    await expect(dead.sessions.retrieve('x')).rejects.toThrow();
    expect(spanNamed('browserbase.sessions.retrieve')[0]!.attributes['error.type']).toBe(
      'APIConnectionError',
    );
  });
});

describe('never breaks the host', () => {
  it('a tracer that throws leaves the SDK call and its result untouched', async () => {
    const broken = {
      getTracer: () => ({
        startSpan: () => {
          throw new Error('tracer down');
        },
        startActiveSpan: () => {
          throw new Error('tracer down');
        },
      }),
    };
    instrumentation.setTracerProvider(broken as never);
    try {
      const session = await bb.client.sessions.create({ projectId: 'proj_unit' });
      expect(session.status).toBe('RUNNING');
      const { response } = await bb.client.sessions.retrieve(session.id).withResponse();
      expect(response.status).toBe(200);
    } finally {
      instrumentation.setTracerProvider(trace.getTracerProvider());
    }
  });

  it('leaves no unhandled rejection behind when the app handles a failed call', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      bb.emulator.failNext({ status: 500 });
      await bb.client.sessions.create({ projectId: 'proj_unit' }).catch(() => 'handled');
      // Fire-and-forget with its own catch, as apps release sessions on the way out.
      bb.emulator.failNext({ status: 503 });
      bb.client.sessions
        .update('missing', { projectId: 'proj_unit', status: 'REQUEST_RELEASE' })
        .catch(() => {});
      await waitFor(() => spanNamed('browserbase.sessions.update').length === 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
