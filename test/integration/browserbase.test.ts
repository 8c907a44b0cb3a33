// SPDX-License-Identifier: Apache-2.0
// Browserbase through the preload: the real @browserbasehq/sdk against the Browserbase emulator,
// exporting to an in-test OTLP receiver. Expected telemetry for browserbase-sessions.mjs:
//
//   scrape-job                              INTERNAL (the app's own span)
//   ├─ browserbase.sessions.create          CLIENT  session id, project, region, timeout
//   ├─ browserbase.sessions.retrieve        CLIENT
//   ├─ browserbase.sessions.debug           CLIENT  (no debugger URL unless opted in)
//   ├─ browserbase.sessions.list            CLIENT  browserbase.list.count
//   └─ browserbase.sessions.update          CLIENT  requested_status REQUEST_RELEASE
//   browserbase.session (root, linked to the create span) x3: released, timed_out, shutdown
//   metrics: session.created/failed/active/duration/cost/stuck/stuck.current
//
// And for stagehand-local.mjs / stagehand-browserbase.mjs (skipped without Chromium):
//
//   buy-flow                                INTERNAL (the app's own span)
//   ├─ stagehand observe                    INTERNAL model, token usage, session id
//   │  └─ stagehand.observe                 CLIENT  @browserbasehq/stagehand (its own RPC span)
//   ├─ stagehand act                        INTERNAL
//   └─ stagehand extract                    INTERNAL
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type BrowserbaseEmulator,
  type Fixture,
  formatSpans,
  freePort,
  type OtlpReceiver,
  type ProviderEmulator,
  type ReceivedMetric,
  type ReceivedSpan,
  startBrowserbaseEmulator,
  startFixture,
  startOpenAIEmulator,
  startOtlpReceiver,
} from '@otel-preset/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const fixturePath = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

let receiver: OtlpReceiver;
let emulator: BrowserbaseEmulator;
let app: Fixture | undefined;

beforeAll(async () => {
  [receiver, emulator] = await Promise.all([startOtlpReceiver(), startBrowserbaseEmulator()]);
});
afterAll(async () => {
  await Promise.all([receiver.close(), emulator.close()]);
});
afterEach(async () => {
  await app?.kill('SIGKILL');
  app = undefined;
  receiver.reset();
  emulator.reset();
});

function startApp(script: string, env: Record<string, string> = {}): Fixture {
  return startFixture({
    script: fixturePath(script),
    nodeOptions: ['--import', '@otel-preset/node/register'],
    env: {
      OTEL_SERVICE_NAME: 'browserbase-app',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_METRIC_EXPORT_INTERVAL: '300',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      BROWSERBASE_BASE_URL: emulator.url,
      BROWSERBASE_API_KEY: emulator.apiKey,
      // The SDK's node-fetch pulls in the deprecated punycode module; that warning is not ours.
      NODE_NO_WARNINGS: '1',
      ...env,
    },
  });
}

const BB_SCOPE = '@otel-preset/instrumentation-browserbase';
const bbSpans = (spans: ReceivedSpan[]) => spans.filter((span) => span.scope.name === BB_SCOPE);

function sum(metric: ReceivedMetric | undefined, match: Record<string, unknown> = {}): number {
  return (metric?.dataPoints ?? [])
    .filter((point) => Object.entries(match).every(([key, value]) => point.attributes[key] === value))
    .reduce(
      (total, point) => total + (typeof point.value === 'number' ? point.value : (point.count ?? 0)),
      0,
    );
}

/** The last export of a metric: cumulative temporality, so it holds the totals. */
function latest(name: string): ReceivedMetric | undefined {
  return receiver
    .metrics()
    .filter((metric) => metric.name === name)
    .at(-1);
}

describe('Browserbase sessions under the preload', () => {
  it('exports session call spans, one span per session life, and the session metrics; then exits', async () => {
    app = startApp('browserbase-sessions.mjs', {
      OTEL_PRESET_BROWSERBASE_STUCK_AFTER: '1200',
      OTEL_PRESET_BROWSERBASE_PRICE_PER_MINUTE: '0.6',
    });
    // Fail the create that follows the lingering session's.
    await app.waitForOutput(/lingering /, 20_000);
    const creates = emulator.requests.filter((r) => r.method === 'POST' && r.path === '/v1/sessions').length;
    expect(creates).toBe(3);
    emulator.failNext({ method: 'POST', path: /^\/v1\/sessions$/, status: 503 });

    const exit = await app.exited;
    const context = () => `\n${formatSpans(receiver.spans(), { attributes: true })}\n${app?.stderr()}`;
    expect(exit.code, context()).toBe(0);
    expect(app.stdout()).toContain('create failed 503');
    expect(app.stdout()).toContain('done');

    const spans = await receiver.waitForSpans(
      (all) => bbSpans(all).filter((span) => span.name === 'browserbase.session').length === 3,
      15_000,
    );
    const ours = bbSpans(spans);
    const job = spans.find((span) => span.name === 'scrape-job')!;
    expect(job, context()).toBeDefined();
    const calls = ours.filter((span) => span.traceId === job.traceId && span.parentSpanId === job.spanId);
    expect(calls.map((span) => span.name).sort(), context()).toEqual([
      'browserbase.sessions.create',
      'browserbase.sessions.debug',
      'browserbase.sessions.list',
      'browserbase.sessions.retrieve',
      'browserbase.sessions.update',
    ]);
    const create = calls.find((span) => span.name === 'browserbase.sessions.create')!;
    const sessionId = app.stdout().match(/released (\S+)/)![1]!;
    expect(create.kind).toBe('CLIENT');
    expect(create.attributes).toMatchObject({
      'browserbase.session.id': sessionId,
      'browserbase.project.id': 'proj_it',
      'browserbase.region': 'eu-central-1',
      'browserbase.session.timeout': 120,
      'browserbase.session.status': 'RUNNING',
    });
    expect(
      calls.find((span) => span.name === 'browserbase.sessions.list')!.attributes['browserbase.list.count'],
    ).toBe(1);
    expect(calls.find((span) => span.name === 'browserbase.sessions.update')!.attributes).toMatchObject({
      'browserbase.session.requested_status': 'REQUEST_RELEASE',
      'browserbase.session.status': 'COMPLETED',
    });
    // The SDK's HTTP request is a child of the call span, not a sibling.
    const http = spans.find((span) => span.kind === 'CLIENT' && span.parentSpanId === create.spanId);
    expect(http, context()).toBeDefined();

    const lives = ours.filter((span) => span.name === 'browserbase.session');
    const byId = (id: string) => lives.find((span) => span.attributes['browserbase.session.id'] === id)!;
    const released = byId(sessionId);
    expect(released.parentSpanId).toBe('');
    expect(released.links.map((link) => link.spanId)).toEqual([create.spanId]);
    expect(released.attributes).toMatchObject({
      'browserbase.session.status': 'COMPLETED',
      'browserbase.session.end_reason': 'released',
    });
    const expiring = byId(app.stdout().match(/expiring (\S+)/)![1]!);
    expect(expiring.attributes).toMatchObject({
      'browserbase.session.status': 'TIMED_OUT',
      'browserbase.session.end_reason': 'timed_out',
    });
    const lingering = byId(app.stdout().match(/lingering (\S+)/)![1]!);
    expect(lingering.attributes).toMatchObject({
      'browserbase.session.keep_alive': true,
      'browserbase.session.end_reason': 'shutdown',
    });
    expect(lingering.events.map((event) => event.name)).toContain('browserbase.session.stuck');
    const failed = ours.find(
      (span) => span.name === 'browserbase.sessions.create' && span.status.code === 'ERROR',
    );
    expect(failed?.attributes).toMatchObject({
      'error.type': 'InternalServerError',
      'http.response.status_code': 503,
    });

    // Private by default: no URLs, keys or signing material anywhere.
    const exported = JSON.stringify(
      ours.map((span) => [span.attributes, span.events.map((event) => event.attributes)]),
    );
    expect(exported).not.toContain('wss://');
    expect(exported).not.toContain('devtools');
    expect(exported).not.toContain(emulator.apiKey);
    expect(JSON.stringify(spans.map((span) => span.attributes))).not.toContain(emulator.apiKey);

    expect(sum(latest('browserbase.session.created'))).toBe(3);
    expect(sum(latest('browserbase.session.failed'), { 'http.response.status_code': 503 })).toBe(1);
    // Only the lingering session: the 1 s one timed out before reaching the 1.2 s threshold.
    expect(sum(latest('browserbase.session.stuck'))).toBe(1);
    const duration = latest('browserbase.session.duration');
    expect(sum(duration, { 'browserbase.session.status': 'COMPLETED' })).toBe(1);
    expect(sum(duration, { 'browserbase.session.status': 'TIMED_OUT' })).toBe(1);
    expect(duration?.unit).toBe('s');
    // Open sessions were reported while the app ran: three at the peak.
    const activePeaks = receiver
      .metrics()
      .filter((metric) => metric.name === 'browserbase.session.active')
      .map((metric) => sum(metric));
    expect(Math.max(...activePeaks)).toBeGreaterThanOrEqual(2);
    const stuckNow = receiver
      .metrics()
      .filter((metric) => metric.name === 'browserbase.session.stuck.current')
      .map((metric) => sum(metric));
    expect(Math.max(...stuckNow)).toBe(1);
    // $0.60 per minute is $0.01 per second: the three sessions lived ~0.1 s + 1 s + ~2 s.
    const cost = sum(latest('browserbase.session.cost'), { 'browserbase.cost.type': 'browser_minutes' });
    expect(cost).toBeGreaterThan(0.02);
    expect(cost).toBeLessThan(0.05);
    expect(latest('browserbase.session.cost')?.unit).toBe('USD');
    const labels = receiver
      .metrics()
      .filter((metric) => metric.scope.name === BB_SCOPE)
      .flatMap((metric) => metric.dataPoints.map((point) => point.attributes));
    expect(JSON.stringify(labels)).not.toContain(sessionId);
    expect(app.stderr()).toBe('');
  });

  it('instruments the CommonJS build under --require', async () => {
    app = startFixture({
      script: fixturePath('browserbase-require.cjs'),
      nodeOptions: ['--require', '@otel-preset/node/register'],
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        BROWSERBASE_BASE_URL: emulator.url,
        BROWSERBASE_API_KEY: emulator.apiKey,
        NODE_NO_WARNINGS: '1',
      },
    });
    const exit = await app.exited;
    expect(exit.code, app.stderr()).toBe(0);
    const sessionId = app.stdout().match(/released (\S+)/)![1]!;
    const spans = await receiver.waitForSpans((all) =>
      all.some((span) => span.name === 'browserbase.session'),
    );
    expect(
      bbSpans(spans)
        .map((span) => span.name)
        .sort(),
    ).toEqual([
      'browserbase.session',
      'browserbase.sessions.create',
      'browserbase.sessions.retrieve',
      'browserbase.sessions.update',
    ]);
    expect(spans.find((span) => span.name === 'browserbase.session')!.attributes).toMatchObject({
      'browserbase.session.id': sessionId,
      'browserbase.session.timeout': 60,
      'browserbase.session.end_reason': 'released',
    });
  });

  it('a malformed price prints one line naming the variable, the value and the fallback', async () => {
    app = startApp('browserbase-sessions.mjs', {
      OTEL_PRESET_BROWSERBASE_PRICE_PER_MINUTE: 'cheap',
      OTEL_PRESET_BROWSERBASE_STUCK_AFTER: '-5',
    });
    const exit = await app.exited;
    expect(exit.code).toBe(0);
    const lines = app.stderr().split('\n').filter(Boolean);
    expect(lines.filter((line) => line.includes('OTEL_PRESET_BROWSERBASE_PRICE_PER_MINUTE'))).toHaveLength(1);
    expect(lines.join('\n')).toMatch(/OTEL_PRESET_BROWSERBASE_PRICE_PER_MINUTE="cheap".*using 0\.002/);
    expect(lines.join('\n')).toMatch(/OTEL_PRESET_BROWSERBASE_STUCK_AFTER="-5".*using 600000 ms/);
    expect(lines, app.stderr()).toHaveLength(2);
  });
});

// --- Stagehand -------------------------------------------------------------------------------------

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((path) =>
  existsSync(path),
);
const SH_SCOPE = BB_SCOPE;

/** The JSON the emulated model answers with, in the order Stagehand asks: observe, act, extract (x2). */
const STAGEHAND_REPLIES = [
  {
    text: JSON.stringify({
      elements: [{ elementId: '{{button}}', description: 'Buy now button', method: 'click', arguments: [] }],
    }),
    usage: { input: 300, output: 40 },
  },
  {
    text: JSON.stringify({
      action: { elementId: '{{button}}', description: 'Buy now button', method: 'click', arguments: [] },
      twoStep: false,
    }),
    usage: { input: 310, output: 45 },
  },
  { text: JSON.stringify({ price: 42 }), usage: { input: 200, output: 10 } },
  { text: JSON.stringify({ progress: 'price found', completed: true }), usage: { input: 50, output: 8 } },
];

describe.skipIf(!CHROMIUM)('Stagehand on a local Chromium under the preload', () => {
  let openai: ProviderEmulator;
  beforeAll(async () => {
    openai = await startOpenAIEmulator();
  });
  afterAll(async () => {
    await openai.close();
  });

  it('client model: act, observe and extract spans carry usage; tokens are counted once, by the GenAI package', async () => {
    openai.reset();
    openai.enqueue(...STAGEHAND_REPLIES);
    app = startApp('stagehand-local.mjs', {
      CHROMIUM_PATH: CHROMIUM!,
      OPENAI_BASE_URL: openai.url,
      STAGEHAND_MODEL: 'client',
    });
    const exit = await app.exited;
    const context = () =>
      `\n${formatSpans(receiver.spans(), { attributes: true })}\n--- stdout\n${app?.stdout()}\n--- stderr\n${app?.stderr()}` +
      `\n--- first prompt\n${JSON.stringify(openai.requests[0]?.body?.messages?.at(-1)).slice(0, 800)}`;
    expect(exit.code, context()).toBe(0);
    expect(app.stdout(), context()).toContain('acted true');
    expect(app.stdout()).toContain('extracted 42');
    expect(app.stdout()).toContain('bought true');
    expect(openai.requests).toHaveLength(4);

    const spans = await receiver.waitForSpans(
      (all) =>
        all.filter((span) => span.scope.name === SH_SCOPE && span.name.startsWith('stagehand ')).length === 3,
    );
    const flow = spans.find((span) => span.name === 'buy-flow')!;
    const op = (name: string) => spans.find((span) => span.name === `stagehand ${name}`)!;
    for (const name of ['observe', 'act', 'extract']) {
      expect(op(name), context()).toBeDefined();
      expect(op(name).parentSpanId).toBe(flow.spanId);
      expect(op(name).attributes).toMatchObject({
        'stagehand.operation': name,
        'stagehand.model.source': 'client',
        'stagehand.browser': 'local',
      });
      // Instructions are prompt-like content: off by default.
      expect(op(name).attributes['stagehand.instruction.text']).toBeUndefined();
    }
    // Stagehand's own RPC span nests under ours.
    const rpc = spans.find(
      (span) => span.name === 'stagehand.observe' && span.scope.name === '@browserbasehq/stagehand',
    );
    expect(rpc?.parentSpanId, context()).toBe(op('observe').spanId);
    expect(op('observe').attributes).toMatchObject({
      'stagehand.instruction.kind': 'instruction',
      'stagehand.action_count': 1,
      'gen_ai.usage.input_tokens': 300,
      'gen_ai.usage.output_tokens': 40,
    });
    expect(op('act').attributes).toMatchObject({
      'stagehand.success': true,
      'gen_ai.usage.input_tokens': 310,
      'gen_ai.usage.output_tokens': 45,
    });
    expect(op('act').status.code).not.toBe('ERROR');
    // Extract makes two model calls; the span carries their sum.
    expect(op('extract').attributes).toMatchObject({
      'stagehand.instruction.kind': 'schema',
      'gen_ai.usage.input_tokens': 250,
      'gen_ai.usage.output_tokens': 18,
    });

    const stagehandDuration = latest('stagehand.operation.duration');
    expect(sum(stagehandDuration, { 'stagehand.operation': 'act' })).toBe(1);
    // The adapter's OpenAI calls are what the GenAI instrumentation counts; Stagehand's report of the
    // same tokens is not recorded again.
    const tokens = await receiver.waitForMetric('gen_ai.client.token.usage');
    const inputTokens = tokens.dataPoints
      .filter((point) => point.attributes['gen_ai.token.type'] === 'input')
      .reduce((total, point) => total + (point.sum ?? 0), 0);
    expect(inputTokens, JSON.stringify(tokens.dataPoints.map((point) => point.attributes))).toBe(860);
    expect(tokens.dataPoints.every((point) => point.attributes['gen_ai.provider.name'] !== 'client')).toBe(
      true,
    );
  });
});

function selfSignedCert(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'openai-front-'));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=api.openai.com'].concat([
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]),
    { stdio: 'ignore' },
  );
  return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
}

/**
 * A front for the OpenAI emulator that, standing in for a model that reads the page, fills in the
 * button's id. Over TLS it stands in for https://api.openai.com, which Stagehand's in-browser runtime
 * calls itself (Chromium resolves the name here and accepts the self-signed certificate); over plain
 * HTTP it is Browserbase's Model Gateway (`/v1/llm/responses`, the Responses API).
 */
async function startOpenAIFront(
  target: ProviderEmulator,
  tls = true,
): Promise<{ port: number; close(): Promise<void> }> {
  const forward = async (req: IncomingMessage, res: ServerResponse) => {
    // The gateway's server-side cache is not emulated: every lookup is a miss.
    if (req.url?.startsWith('/v1/cache/')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"cache disabled"}');
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const buttonId = /\[(\d+-\d+)\] button: Buy now/.exec(body.replaceAll('\\n', '\n'))?.[1] ?? '';
    const upstream = await fetch(`${target.origin}${req.url}`, {
      method: req.method,
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer sk-test',
        ...(typeof req.headers['x-bb-session-id'] === 'string'
          ? { 'x-bb-session-id': req.headers['x-bb-session-id'] }
          : {}),
      },
      body: req.method === 'GET' ? undefined : body,
    });
    const text = (await upstream.text()).replaceAll('{{button}}', buttonId);
    res.writeHead(upstream.status, {
      'content-type': upstream.headers.get('content-type') ?? 'application/json',
    });
    res.end(text);
  };
  const server = tls ? createHttpsServer(selfSignedCert(), forward) : createHttpServer(forward);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const OPENSSL = spawnSync('openssl', ['version']).status === 0;

describe.skipIf(!CHROMIUM || !OPENSSL)('Stagehand with a named model under the preload', () => {
  it('records the in-browser token usage into the GenAI token metrics, and instructions when opted in', async () => {
    const openai = await startOpenAIEmulator();
    const front = await startOpenAIFront(openai);
    try {
      openai.enqueue(...STAGEHAND_REPLIES);
      app = startApp('stagehand-local.mjs', {
        CHROMIUM_PATH: CHROMIUM!,
        STAGEHAND_MODEL: 'named',
        CHROMIUM_EXTRA_ARGS: JSON.stringify([
          `--host-resolver-rules=MAP api.openai.com 127.0.0.1:${front.port}`,
        ]),
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
      });
      const exit = await app.exited;
      const context = () =>
        `\n${formatSpans(receiver.spans(), { attributes: true })}\n--- stdout\n${app?.stdout()}\n--- stderr\n${app?.stderr()}` +
        `\n--- requests\n${openai.requests.map((request) => request.path).join(', ')}`;
      expect(exit.code, context()).toBe(0);
      expect(app.stdout(), context()).toContain('acted true');
      expect(app.stdout()).toContain('extracted 42');
      expect(app.stdout()).toContain('bought true');
      expect(openai.requests.map((request) => request.body?.model)).toEqual(Array(4).fill('gpt-4.1-mini'));

      const spans = await receiver.waitForSpans(
        (all) =>
          all.filter((span) => span.scope.name === SH_SCOPE && span.name.startsWith('stagehand ')).length ===
          3,
      );
      const act = spans.find((span) => span.name === 'stagehand act')!;
      expect(act.attributes).toMatchObject({
        'stagehand.model.source': 'named',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4.1-mini',
        'gen_ai.usage.input_tokens': 310,
        'gen_ai.usage.output_tokens': 45,
        'stagehand.instruction.text': 'click the buy button',
      });
      // No Node process made these calls, so only Stagehand's report can count them, exactly once.
      const tokens = await receiver.waitForMetric('gen_ai.client.token.usage', (metric) =>
        metric.dataPoints.some((point) => point.attributes['gen_ai.request.model'] === 'gpt-4.1-mini'),
      );
      const byType = (type: string) =>
        tokens.dataPoints
          .filter(
            (point) =>
              point.attributes['gen_ai.token.type'] === type &&
              point.attributes['gen_ai.provider.name'] === 'openai' &&
              point.attributes['gen_ai.request.model'] === 'gpt-4.1-mini',
          )
          .reduce((total, point) => total + (point.sum ?? 0), 0);
      expect(byType('input'), JSON.stringify(tokens.dataPoints.map((point) => point.attributes))).toBe(860);
      expect(byType('output')).toBe(103);
    } finally {
      await Promise.all([front.close(), openai.close()]);
    }
  });
});

const SHOP_PAGE = `<!doctype html><html><head><title>Shop</title></head><body>
<h1>Shop</h1><p>Price: $42</p><button onclick="fetch('/bought')">Buy now</button></body></html>`;

/**
 * What Browserbase provides: a Chromium with the Stagehand extension already installed, reachable over
 * CDP at the session's connectUrl.
 */
async function startSessionBrowser(): Promise<{ cdpUrl: string; close(): void }> {
  const port = await freePort();
  const profile = mkdtempSync(join(tmpdir(), 'bb-session-'));
  const child = spawn(
    CHROMIUM!,
    ['--headless', '--no-sandbox', `--remote-debugging-port=${port}`, `--user-data-dir=${profile}`].concat([
      '--enable-unsafe-extension-debugging',
      '--remote-allow-origins=*',
      'about:blank',
    ]),
    { stdio: 'ignore' },
  );
  const cdpUrl = `http://127.0.0.1:${port}`;
  let version: { webSocketDebuggerUrl: string } | undefined;
  for (let attempt = 0; attempt < 100 && !version; attempt++) {
    version = await fetch(`${cdpUrl}/json/version`)
      .then((response) => response.json() as Promise<{ webSocketDebuggerUrl: string }>)
      .catch(() => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 100)));
  }
  const socket = new WebSocket(version!.webSocketDebuggerUrl);
  await new Promise((resolve) => socket.addEventListener('open', resolve, { once: true }));
  const loaded = await new Promise<string>((resolve) => {
    socket.addEventListener('message', (message) => resolve(String(message.data)), { once: true });
    socket.send(
      JSON.stringify({ id: 1, method: 'Extensions.loadUnpacked', params: { path: EXTENSION_DIR } }),
    );
  });
  socket.close();
  if (!loaded.includes('"result"')) throw new Error(`could not load the Stagehand extension: ${loaded}`);
  return { cdpUrl, close: () => child.kill('SIGKILL') };
}

const EXTENSION_DIR = fileURLToPath(
  new URL('../../node_modules/@browserbasehq/stagehand/dist/extension', import.meta.url),
);

describe.skipIf(!CHROMIUM)('Stagehand on a Browserbase session under the preload', () => {
  it('creates and releases the session through the SDK, and ties the Stagehand spans to it', async () => {
    const chromium = await startSessionBrowser();
    const browserbase = await startBrowserbaseEmulator({ connectUrl: () => chromium.cdpUrl });
    const openai = await startOpenAIEmulator();
    const gateway = await startOpenAIFront(openai, false);
    const shop = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(SHOP_PAGE);
    });
    await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
    try {
      openai.enqueue(STAGEHAND_REPLIES[0]!);
      app = startApp('stagehand-browserbase.mjs', {
        BROWSERBASE_BASE_URL: browserbase.url,
        BROWSERBASE_API_KEY: browserbase.apiKey,
        STAGEHAND_API_URL: `http://127.0.0.1:${gateway.port}`,
        PAGE_URL: `http://127.0.0.1:${(shop.address() as AddressInfo).port}/`,
      });
      const exit = await app.exited;
      const context = () =>
        `\n${formatSpans(receiver.spans(), { attributes: true })}\n--- stdout\n${app?.stdout()}\n--- stderr\n${app?.stderr()}` +
        `\n--- browserbase\n${browserbase.requests.map((r) => `${r.method} ${r.path} ${r.status}`).join('\n')}` +
        `\n--- gateway\n${openai.requests.map((r) => r.path).join(', ')}`;
      expect(exit.code, context()).toBe(0);
      expect(app.stdout(), context()).toContain('observed 1');
      const sessionId = app.stdout().match(/session (\S+)/)![1]!;
      // The Model Gateway call is made by this process, with the session id Browserbase bills it to.
      expect(openai.requests.map((request) => request.path)).toEqual(['/v1/llm/responses']);
      expect(openai.requests[0]!.headers['x-bb-session-id']).toBe(sessionId);
      expect(browserbase.session(sessionId)?.status).toBe('COMPLETED');

      const spans = await receiver.waitForSpans(
        (all) =>
          all.some((span) => span.name === 'stagehand observe') &&
          all.some((span) => span.name === 'browserbase.session'),
      );
      const observe = spans.find((span) => span.name === 'stagehand observe')!;
      expect(observe.attributes, context()).toMatchObject({
        'browserbase.session.id': sessionId,
        'stagehand.browser': 'browserbase',
        'stagehand.model.source': 'auto',
        'gen_ai.usage.input_tokens': 300,
        'gen_ai.usage.output_tokens': 40,
      });
      const create = spans.find((span) => span.name === 'browserbase.sessions.create')!;
      expect(create.attributes).toMatchObject({
        'browserbase.session.id': sessionId,
        'browserbase.region': 'us-east-1',
      });
      const life = spans.find((span) => span.name === 'browserbase.session')!;
      expect(life.attributes).toMatchObject({
        'browserbase.session.id': sessionId,
        'browserbase.session.end_reason': 'released',
      });
      expect(life.links.map((link) => link.spanId)).toEqual([create.spanId]);
      // Gateway usage is seen only by Stagehand: recorded once, under the gateway's name.
      const tokens = await receiver.waitForMetric('gen_ai.client.token.usage', (metric) =>
        metric.dataPoints.some((point) => point.attributes['gen_ai.provider.name'] === 'browserbase'),
      );
      const input = tokens.dataPoints
        .filter(
          (point) =>
            point.attributes['gen_ai.provider.name'] === 'browserbase' &&
            point.attributes['gen_ai.token.type'] === 'input',
        )
        .reduce((total, point) => total + (point.sum ?? 0), 0);
      expect(input).toBe(300);
      // The API key never reaches telemetry, even though the gateway request carried it.
      expect(JSON.stringify(spans.map((span) => span.attributes))).not.toContain(browserbase.apiKey);
    } finally {
      chromium.close();
      shop.close();
      await Promise.all([gateway.close(), openai.close(), browserbase.close()]);
    }
  });
});
