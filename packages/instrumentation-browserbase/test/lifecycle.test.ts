// SPDX-License-Identifier: Apache-2.0
// A session's life: its own span from create to release or time-out, linked to the creating trace;
// active, created and duration metrics; cost from browser minutes and proxy bytes; the watchdog.
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { PLAN_RATES } from '../src/index.js';
import { instrumentation, metric, spanNamed, total, useBrowserbaseEmulator, waitFor } from './setup.js';

const bb = useBrowserbaseEmulator('proj_life');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function gauge(name: string, match: Record<string, unknown> = {}): Promise<number> {
  const data = await metric(name);
  const points = (data?.dataPoints ?? []).filter((point) =>
    Object.entries(match).every(([key, value]) => point.attributes[key] === value),
  );
  return points.reduce((sum, point) => sum + (point.value as number), 0);
}

describe('session lifecycle', () => {
  it('release ends the session span, linked to the create span, and records duration by status', async () => {
    const durationsBefore = await total('browserbase.session.duration', {
      'browserbase.session.status': 'COMPLETED',
    });
    const session = await trace.getTracer('test').startActiveSpan('checkout', async (span) => {
      try {
        return await bb.client.sessions.create({
          projectId: 'proj_life',
          region: 'us-east-1',
          api_timeout: 600,
        });
      } finally {
        span.end();
      }
    });
    expect(await gauge('browserbase.session.active', { 'browserbase.region': 'us-east-1' })).toBe(1);
    expect(spanNamed('browserbase.session')).toHaveLength(0);
    await sleep(60);
    await bb.client.sessions.update(session.id, { projectId: 'proj_life', status: 'REQUEST_RELEASE' });

    const [life] = spanNamed('browserbase.session');
    const [create] = spanNamed('browserbase.sessions.create');
    expect(life, 'session span ended on release').toBeDefined();
    // Its own trace, linked to the one that created it.
    expect(life!.parentSpanContext).toBeUndefined();
    expect(life!.spanContext().traceId).not.toBe(create!.spanContext().traceId);
    expect(life!.links.map((link) => link.context.spanId)).toEqual([create!.spanContext().spanId]);
    expect(life!.attributes).toMatchObject({
      'browserbase.session.id': session.id,
      'browserbase.project.id': 'proj_life',
      'browserbase.region': 'us-east-1',
      'browserbase.session.timeout': 600,
      'browserbase.session.status': 'COMPLETED',
      'browserbase.session.end_reason': 'released',
    });
    expect(life!.attributes['browserbase.session.duration']).toBeGreaterThanOrEqual(0.05);
    expect(life!.attributes['browserbase.session.replay_url']).toBeUndefined();
    expect(await gauge('browserbase.session.active', { 'browserbase.region': 'us-east-1' })).toBe(0);
    expect(await total('browserbase.session.duration', { 'browserbase.session.status': 'COMPLETED' })).toBe(
      durationsBefore + 1,
    );
    const duration = await metric('browserbase.session.duration');
    expect(duration?.descriptor.unit).toBe('s');
    // Metric labels stay bounded: never the session id.
    expect(JSON.stringify(duration?.dataPoints.map((point) => point.attributes))).not.toContain(session.id);
  });

  it('a session that outlives its timeout ends as TIMED_OUT at its expiry time', async () => {
    instrumentation.setConfig({ stuckAfterMs: 200 });
    const session = await bb.client.sessions.create({ projectId: 'proj_life', api_timeout: 1 });
    await waitFor(() => spanNamed('browserbase.session').length === 1, 4000);
    const [life] = spanNamed('browserbase.session');
    expect(life!.attributes).toMatchObject({
      'browserbase.session.status': 'TIMED_OUT',
      'browserbase.session.end_reason': 'timed_out',
    });
    // Ended at expiresAt, not whenever the watchdog noticed.
    expect(life!.attributes['browserbase.session.duration']).toBeGreaterThan(0.9);
    expect(life!.attributes['browserbase.session.duration']).toBeLessThan(1.2);
    expect(bb.emulator.session(session.id)?.status).toBe('TIMED_OUT');
    expect(instrumentation.openSessionCount).toBe(0);
  });

  it('a retrieve that reports a final status ends the session', async () => {
    const { id } = await bb.client.sessions.create({ projectId: 'proj_life', api_timeout: 1 });
    await sleep(1050);
    const seen = await bb.client.sessions.retrieve(id);
    expect(seen.status).toBe('TIMED_OUT');
    const [life] = spanNamed('browserbase.session');
    expect(life?.attributes['browserbase.session.end_reason']).toBe('observed');
    expect(life?.attributes['browserbase.session.status']).toBe('TIMED_OUT');
  });

  it('endOpenSessions() ends what is still open with end reason shutdown', async () => {
    await bb.client.sessions.create({ projectId: 'proj_life' });
    await bb.client.sessions.create({ projectId: 'proj_life' });
    expect(instrumentation.openSessionCount).toBe(2);
    instrumentation.endOpenSessions();
    const ended = spanNamed('browserbase.session');
    expect(ended.map((span) => span.attributes['browserbase.session.end_reason'])).toEqual([
      'shutdown',
      'shutdown',
    ]);
    expect(ended.every((span) => span.status.code !== SpanStatusCode.ERROR)).toBe(true);
  });

  it('captures the replay URL only when opted in', async () => {
    instrumentation.setConfig({ captureSessionUrls: true });
    const { id } = await bb.client.sessions.create({ projectId: 'proj_life', userMetadata: { run: 'r1' } });
    await bb.client.sessions.update(id, { projectId: 'proj_life', status: 'REQUEST_RELEASE' });
    const [life] = spanNamed('browserbase.session');
    expect(life!.attributes['browserbase.session.replay_url']).toBe(
      `https://www.browserbase.com/sessions/${id}`,
    );
    expect(spanNamed('browserbase.sessions.create')[0]!.attributes['browserbase.session.user_metadata']).toBe(
      '{"run":"r1"}',
    );
  });
});

describe('cost', () => {
  it('prices browser minutes and proxy bytes with the configured rates', async () => {
    instrumentation.setConfig({ pricePerMinute: 60, pricePerGbProxy: 1000 });
    const minutesBefore = await total('browserbase.session.cost', {
      'browserbase.cost.type': 'browser_minutes',
    });
    const proxyBefore = await total('browserbase.session.cost', { 'browserbase.cost.type': 'proxy' });
    const bytesBefore = await total('browserbase.session.proxy.bytes');
    const { id } = await bb.client.sessions.create({ projectId: 'proj_life' });
    bb.emulator.setProxyBytes(id, 2_000_000);
    await bb.client.sessions.retrieve(id);
    bb.emulator.setProxyBytes(id, 5_000_000);
    await sleep(200);
    await bb.client.sessions.update(id, { projectId: 'proj_life', status: 'REQUEST_RELEASE' });
    // The release answer carries the final bytes; reading them again afterwards counts nothing twice.
    await bb.client.sessions.retrieve(id);
    await bb.client.sessions.retrieve(id);

    expect(await total('browserbase.session.proxy.bytes')).toBe(bytesBefore + 5_000_000);
    // 5 MB at $1000 per GB.
    expect(await total('browserbase.session.cost', { 'browserbase.cost.type': 'proxy' })).toBeCloseTo(
      proxyBefore + 5,
      6,
    );
    // $60 per minute is $1 per second; the session lived ~0.2 s.
    const minutes =
      (await total('browserbase.session.cost', { 'browserbase.cost.type': 'browser_minutes' })) -
      minutesBefore;
    expect(minutes).toBeGreaterThan(0.19);
    expect(minutes).toBeLessThan(1);
    const [life] = spanNamed('browserbase.session');
    expect(life!.attributes['browserbase.session.cost_usd']).toBeCloseTo(minutes + 5, 2);
    expect((await metric('browserbase.session.cost'))?.descriptor.unit).toBe('USD');
  });

  it('defaults to the Developer plan rates', async () => {
    expect(PLAN_RATES.developer.perMinute).toBeCloseTo(0.002, 6);
    const before = await total('browserbase.session.cost', { 'browserbase.cost.type': 'browser_minutes' });
    const { id } = await bb.client.sessions.create({ projectId: 'proj_life' });
    await sleep(300);
    await bb.client.sessions.update(id, { projectId: 'proj_life', status: 'REQUEST_RELEASE' });
    const cost =
      (await total('browserbase.session.cost', { 'browserbase.cost.type': 'browser_minutes' })) - before;
    const seconds = spanNamed('browserbase.session')[0]!.attributes['browserbase.session.duration'] as number;
    expect(cost).toBeCloseTo((seconds / 60) * 0.002, 9);
  });
});

describe('stuck-session watchdog', () => {
  it('flags a session open past the threshold once: span event, counter and gauge', async () => {
    instrumentation.setConfig({ stuckAfterMs: 150 });
    const before = await total('browserbase.session.stuck');
    const { id } = await bb.client.sessions.create({ projectId: 'proj_life', region: 'ap-southeast-1' });
    expect(await gauge('browserbase.session.stuck.current')).toBe(0);
    await waitFor(async () => (await total('browserbase.session.stuck')) === before + 1, 3000);
    expect(await gauge('browserbase.session.stuck.current', { 'browserbase.region': 'ap-southeast-1' })).toBe(
      1,
    );
    await sleep(300);
    expect(await total('browserbase.session.stuck'), 'flagged once, not on every tick').toBe(before + 1);

    await bb.client.sessions.update(id, { projectId: 'proj_life', status: 'REQUEST_RELEASE' });
    expect(await gauge('browserbase.session.stuck.current')).toBe(0);
    const [life] = spanNamed('browserbase.session');
    const events = life!.events.filter((event) => event.name === 'browserbase.session.stuck');
    expect(events).toHaveLength(1);
    expect(events[0]!.attributes?.['browserbase.session.stuck_after']).toBeCloseTo(0.15, 3);
  });

  it('does not flag a session released before the threshold', async () => {
    instrumentation.setConfig({ stuckAfterMs: 400 });
    const before = await total('browserbase.session.stuck');
    const { id } = await bb.client.sessions.create({ projectId: 'proj_life' });
    await bb.client.sessions.update(id, { projectId: 'proj_life', status: 'REQUEST_RELEASE' });
    await sleep(500);
    expect(await total('browserbase.session.stuck')).toBe(before);
  });
});
