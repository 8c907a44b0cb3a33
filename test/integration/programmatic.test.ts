// SPDX-License-Identifier: Apache-2.0
// start()/shutdown() from code, the start-up warnings, and the bundle's code cache.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findSpan, type OtlpReceiver, runFixture, startOtlpReceiver } from '@otel-preset/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath as fixture } from './stack.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

let receiver: OtlpReceiver;
const scratch: string[] = [];
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver.close();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'otel-preset-test-'));
  scratch.push(dir);
  return dir;
};

describe('programmatic start', () => {
  // Each protocol has its own path: protobuf spans are encoded as they end, JSON spans are batched by
  // the SDK and serialized by upstream's serializer.
  it.each(['http/protobuf', 'http/json'])(
    'instruments what is loaded after start() and exports on shutdown() (%s)',
    async (protocol) => {
      receiver.reset();
      const result = await runFixture({
        script: fixture('programmatic.cjs'),
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol,
          OTEL_BSP_SCHEDULE_DELAY: '60000',
        },
      });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('second start is the same handle: true');
      expect(result.stderr).toBe('');
      const spans = receiver.spans();
      const server = findSpan(spans, { kind: 'SERVER', attributes: { 'http.route': '/orders/:id' } });
      expect(server?.resource['service.name']).toBe('programmatic');
      const custom = findSpan(spans, { name: 'load order' });
      expect(custom?.traceId).toBe(server?.traceId);
      const contentType = protocol === 'http/json' ? 'application/json' : 'application/x-protobuf';
      const traceRequests = receiver.requests.filter((request) => request.path === '/v1/traces');
      expect(traceRequests.map((request) => request.contentType)).toEqual([contentType]);
    },
  );

  it("keeps the bundled SDK's span parts plain arrays and objects", async () => {
    const result = await runFixture({
      script: fixture('span-shape.cjs'),
      env: { OTEL_TRACES_EXPORTER: 'none' },
    });
    expect(result.code, result.stderr).toBe(0);
    const shape = JSON.parse(result.stdout);
    expect(shape).toMatchObject({
      attributes: { 'app.answer': 42, 'app.extra': 'x' },
      attributesPlain: true,
      status: { code: 0 },
      statusPlain: true,
      arrays: true,
      events: ['checkpoint'],
      links: [],
      beforeEnd: { endTime: [0, 0], duration: [-1, -1] },
    });
    const [seconds, nanos] = shape.startTime;
    expect(Math.abs(seconds * 1000 + nanos / 1e6 - Date.now())).toBeLessThan(60_000);
    expect(shape.duration[0]).toBe(0);
    expect(shape.duration[1]).toBeGreaterThanOrEqual(0);
  });

  it('warns when an instrumented package was loaded before start()', async () => {
    const result = await runFixture({
      script: fixture('programmatic.cjs'),
      env: { EARLY_EXPRESS: '1', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /'express' was loaded before the preset started, so it is not instrumented/,
    );
  });
});

describe('start-up diagnostics', () => {
  it('warns when the app resolves its own copy of @opentelemetry/api', async () => {
    const app = tempDir();
    mkdirSync(join(app, 'node_modules', '@opentelemetry'), { recursive: true });
    cpSync(join(repoRoot, 'node_modules/@opentelemetry/api'), join(app, 'node_modules/@opentelemetry/api'), {
      recursive: true,
    });
    writeFileSync(join(app, 'app.cjs'), "process.stdout.write('ran\\n');\n");
    const result = await runFixture({
      script: join(app, 'app.cjs'),
      cwd: app,
      nodeOptions: ['--require', join(repoRoot, 'packages/node/register.cjs')],
      env: { OTEL_SERVICE_NAME: 'dup', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
    });
    expect(result.stdout).toBe('ran\n');
    expect(result.stderr).toMatch(
      /two copies of @opentelemetry\/api: .*used by the app and .*used by the preset/,
    );
  });
});

describe('bundle code cache', () => {
  /** A preloaded app that exits with code 3, its temp dir (and so its cache dir) under `tmp`. */
  const runWithTmpdir = (tmp: string) =>
    runFixture({
      script: fixture('exit-code.cjs'),
      nodeOptions: ['--require', '@otel-preset/node/register'],
      env: {
        TMPDIR: tmp,
        OTEL_SERVICE_NAME: 'cache',
        OTEL_TRACES_EXPORTER: 'none',
        OTEL_METRICS_EXPORTER: 'none',
      },
    });

  it('is written per user on first start, reused, and a corrupt cache is replaced without harm', async () => {
    const tmp = tempDir();
    const run = () => runWithTmpdir(tmp);
    expect((await run()).code).toBe(3);
    const [dir] = readdirSync(tmp).filter((name) => name.startsWith('otel-preset-'));
    expect(dir).toBeDefined();
    const cacheDir = join(tmp, dir!);
    const [file] = readdirSync(cacheDir);
    expect(file).toMatch(/\.v8cache$/);

    writeFileSync(join(cacheDir, file!), 'not a code cache');
    const again = await run();
    expect(again.code).toBe(3);
    expect(again.stderr).toBe('');
    expect(readdirSync(cacheDir)).toEqual([file]);
  });

  it('clears out caches older than a month and abandoned writes when it writes its own', async () => {
    const tmp = tempDir();
    const cacheDir = join(tmp, `otel-preset-${process.getuid?.() ?? 'user'}`);
    mkdirSync(cacheDir, { mode: 0o700 });
    const longAgo = new Date(Date.now() - 40 * 24 * 60 * 60 * 1000);
    const age = (name: string, when: Date) => {
      writeFileSync(join(cacheDir, name), 'x');
      utimesSync(join(cacheDir, name), when, when);
    };
    age('0123456789abcdef0123456789abcdef.v8cache', longAgo); // an upgraded-away version
    age('fedcba9876543210fedcba9876543210.v8cache', new Date()); // another install, in use
    age('fedcba9876543210fedcba9876543210.v8cache.4242', new Date(Date.now() - 5 * 60 * 1000));
    age('fedcba9876543210fedcba9876543210.v8cache.4343', new Date()); // a write in progress
    const result = await runWithTmpdir(tmp);
    expect(result.code).toBe(3);
    const left = readdirSync(cacheDir).sort();
    expect(left).toHaveLength(3);
    expect(left).toContain('fedcba9876543210fedcba9876543210.v8cache');
    expect(left).toContain('fedcba9876543210fedcba9876543210.v8cache.4343');
    expect(
      left.filter((name) => /^[0-9a-f]{32}\.v8cache$/.test(name) && !name.startsWith('fedcba')),
    ).toHaveLength(1);
    expect(left).not.toContain('0123456789abcdef0123456789abcdef.v8cache');
  });
});
