// SPDX-License-Identifier: Apache-2.0
// Start-up and shutdown behaviour: the app must exit exactly as it would without the preload, with
// its telemetry flushed, whatever the environment says.
import { createServer, type Server } from 'node:net';
import { type OtlpReceiver, runFixture, startOtlpReceiver } from '@otel-preset/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath as fixture, requestApp, startStackApp } from './stack.js';

const IMPORT = ['--import', '@otel-preset/node/register'];
const REQUIRE = ['--require', '@otel-preset/node/register'];

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver.close();
});

const exporting = () => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  // Nothing is exported on a schedule: whatever arrives was flushed by the shutdown path.
  OTEL_BSP_SCHEDULE_DELAY: '60000',
  OTEL_METRIC_EXPORT_INTERVAL: '60000',
});

describe('shutdown', () => {
  it('flushes on normal exit and records errors from the span helpers', async () => {
    receiver.reset();
    const result = await runFixture({
      script: fixture('custom-span.mjs'),
      nodeOptions: IMPORT,
      env: exporting(),
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('caught card declined');
    const spans = await receiver.waitForSpans((all) => all.length >= 2, 5_000);
    const checkout = spans.find((span) => span.name === 'checkout')!;
    expect(checkout.attributes['cart.items']).toBe(3);
    const charge = spans.find((span) => span.name === 'charge')!;
    expect(charge.status.code).toBe('ERROR');
    expect(charge.attributes['error.type']).toBe('TypeError');
    expect(charge.events.map((event) => event.name)).toEqual(['exception']);
    expect(receiver.metrics().length).toBeGreaterThan(0);
  });

  it('on SIGTERM with no app handler: flushes, then dies of the signal as it would without us', async () => {
    receiver.reset();
    const app = startStackApp({ script: 'stack-app.mjs', flag: '--import', receiver, env: exporting() });
    expect((await requestApp(app, '/users/5')).status).toBe(200);
    const exit = await app.kill('SIGTERM');
    expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
    expect(receiver.spans().some((span) => span.attributes['http.route'] === '/users/:id')).toBe(true);
  });

  it("on SIGTERM with the app's own handler: flushes and leaves the exit to the app", async () => {
    receiver.reset();
    const app = startStackApp({
      script: 'stack-app.cjs',
      flag: '--require',
      receiver,
      env: { ...exporting(), APP_SIGTERM: '1' },
    });
    expect((await requestApp(app, '/users/6')).status).toBe(200);
    const exit = await app.kill('SIGTERM');
    expect(app.stdout()).toContain('app handled SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(receiver.spans().some((span) => span.attributes['http.route'] === '/users/:id')).toBe(true);
  });

  it('does not hang on SIGTERM when the collector accepts connections but never answers', async () => {
    const sockets: import('node:net').Socket[] = [];
    const blackhole: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
    const { port: sinkPort } = blackhole.address() as import('node:net').AddressInfo;
    try {
      const app = startStackApp({
        script: 'stack-app.mjs',
        flag: '--import',
        receiver,
        env: {
          ...exporting(),
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sinkPort}`,
          OTEL_PRESET_SHUTDOWN_TIMEOUT: '1000',
        },
      });
      expect((await requestApp(app, '/users/8')).status).toBe(200);
      const started = Date.now();
      const exit = await app.kill('SIGTERM');
      // The bound is 1 s; the exporter's own timeout (10 s) must not be what ends it.
      expect(Date.now() - started).toBeLessThan(8_000);
      expect(exit.signal).toBe('SIGTERM');
      expect(app.stderr()).toMatch(/did not finish within 1000 ms/);
    } finally {
      for (const socket of sockets) socket.destroy();
      blackhole.close();
    }
  });

  it('installs no handlers when OTEL_PRESET_SHUTDOWN_HANDLERS=false', async () => {
    receiver.reset();
    const result = await runFixture({
      script: fixture('custom-span.mjs'),
      nodeOptions: IMPORT,
      env: { ...exporting(), OTEL_PRESET_SHUTDOWN_HANDLERS: 'false' },
    });
    expect(result.code).toBe(0);
    // Give a late export every chance to show up before asserting nothing was flushed.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.spans()).toEqual([]);
  });
});

const MALFORMED: Record<string, string> = {
  OTEL_TRACES_SAMPLER: 'sometimes',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
  OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
  OTEL_EXPORTER_OTLP_COMPRESSION: 'brotli',
  OTEL_EXPORTER_OTLP_TIMEOUT: '10s',
  OTEL_EXPORTER_OTLP_HEADERS: 'broken',
  OTEL_METRIC_EXPORT_INTERVAL: '-1',
  OTEL_SDK_DISABLED: 'maybe',
  OTEL_LOG_LEVEL: 'loud',
  OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,nope',
  OTEL_NODE_RESOURCE_DETECTORS: 'kubernetes',
  OTEL_RESOURCE_ATTRIBUTES: 'oops',
  OTEL_SEMCONV_STABILITY_OPT_IN: 'HTTP DUP',
  OTEL_PRESET_SHUTDOWN_TIMEOUT: 'later',
};

describe('start-up', () => {
  it.each([
    { kind: 'CommonJS --require', script: 'exit-code.cjs', env: { NODE_OPTIONS: REQUIRE.join(' ') } },
    {
      kind: 'ESM --import through NODE_OPTIONS',
      script: 'exit-code.mjs',
      env: { NODE_OPTIONS: IMPORT.join(' ') },
    },
  ])(
    '$kind: malformed values warn once each and change neither output nor exit code',
    async ({ script, env }) => {
      const bare = await runFixture({ script: fixture(script) });
      const result = await runFixture({ script: fixture(script), env: { ...MALFORMED, ...env } });
      expect(result.code).toBe(bare.code);
      expect(result.code).toBe(3);
      expect(result.stdout).toBe(bare.stdout);
      const lines = result.stderr.split('\n').filter(Boolean);
      for (const name of Object.keys(MALFORMED)) {
        const mentions = lines.filter((line) => line.includes(`${name}=`));
        expect(mentions, `${name} in:\n${result.stderr}`).toHaveLength(1);
        expect(mentions[0]).toMatch(/; using .+\.$/);
      }
    },
  );

  it('starts once: a second preload and worker threads are skipped', async () => {
    const result = await runFixture({
      script: fixture('exit-code.mjs'),
      nodeOptions: [...IMPORT, ...REQUIRE],
      env: { OTEL_LOG_LEVEL: 'info', OTEL_SERVICE_NAME: 'once', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
    });
    expect(result.code).toBe(3);
    // The worker in the fixture would print a second summary if the preload ran in it.
    expect(result.stderr.match(/started on Node\.js/g)).toHaveLength(1);
    expect(result.stderr).toContain('service.name=once (from env)');
  });

  it.each([
    { flag: '-e', code: 'console.log(6 * 7)' },
    { flag: '-p', code: '6 * 7' },
  ])('runs inline scripts (node --require … $flag)', async ({ flag, code }) => {
    const result = await runFixture({
      script: code,
      nodeOptions: [...REQUIRE, flag],
      env: { OTEL_SERVICE_NAME: 'inline', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
    });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('42');
    expect(result.code).toBe(0);
  });

  it('OTEL_SDK_DISABLED=true exports nothing and leaves the app alone', async () => {
    receiver.reset();
    const result = await runFixture({
      script: fixture('custom-span.mjs'),
      nodeOptions: IMPORT,
      env: { ...exporting(), OTEL_SDK_DISABLED: 'true' },
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(receiver.requests).toEqual([]);
  });

  it('names the service from package.json when OTEL_SERVICE_NAME is missing, and says so', async () => {
    const result = await runFixture({
      script: fixture('exit-code.cjs'),
      nodeOptions: REQUIRE,
      env: {
        OTEL_SERVICE_NAME: undefined,
        OTEL_LOG_LEVEL: 'info',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      },
    });
    expect(result.stderr).toMatch(/service\.name is not set; using 'otel-preset' \(from package\.json\)/);
    expect(result.code).toBe(3);
  });
});
