// SPDX-License-Identifier: Apache-2.0
// A local emulator of the Browserbase REST API (the session endpoints plus extension uploads), for
// pointing the real @browserbasehq/sdk at with `baseURL`. Sessions time out like real ones: once
// `expiresAt` passes, reads report TIMED_OUT. Failures are injected per route with `failNext`.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type EmulatedSessionStatus = 'PENDING' | 'RUNNING' | 'ERROR' | 'TIMED_OUT' | 'COMPLETED';

export interface EmulatedSession {
  id: string;
  createdAt: string;
  updatedAt: string;
  startedAt: string;
  endedAt?: string;
  expiresAt: string;
  projectId: string;
  region: string;
  status: EmulatedSessionStatus;
  keepAlive: boolean;
  proxyBytes: number;
  avgCpuUsage: number;
  memoryUsage: number;
  connectUrl: string;
  seleniumRemoteUrl: string;
  signingKey: string;
  userMetadata?: Record<string, unknown>;
}

export interface BrowserbaseEmulatorOptions {
  /** Key the API expects in `X-BB-API-Key`; default `bb_test_key`. */
  apiKey?: string;
  projectId?: string;
  /** Session timeout in seconds when the create request gives none; default 300. */
  defaultTimeoutSeconds?: number;
  /** CDP URL handed out as `connectUrl`; default a fake wss:// URL. */
  connectUrl?: (sessionId: string) => string;
}

export interface InjectedFailure {
  method?: string;
  /** Matched against the request path, e.g. /^\/v1\/sessions$/. */
  path?: RegExp;
  status: number;
  /** How many matching requests fail; default 1. */
  times?: number;
  headers?: Record<string, string>;
}

export interface BrowserbaseEmulatorRequest {
  method: string;
  path: string;
  apiKey: string | undefined;
  body: unknown;
  status: number;
}

export interface BrowserbaseEmulator {
  /** Base URL for the SDK's `baseURL`, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly apiKey: string;
  readonly projectId: string;
  readonly requests: readonly BrowserbaseEmulatorRequest[];
  sessions(): EmulatedSession[];
  session(id: string): EmulatedSession | undefined;
  /** Sets the cumulative proxy traffic a session reports. */
  setProxyBytes(id: string, bytes: number): void;
  failNext(failure: InjectedFailure): void;
  reset(): void;
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
};

async function readBody(req: IncomingMessage): Promise<{ raw: Buffer; parsed: unknown }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const type = req.headers['content-type'] ?? '';
  if (!type.includes('json') || raw.length === 0) return { raw, parsed: undefined };
  try {
    return { raw, parsed: JSON.parse(raw.toString('utf8')) };
  } catch {
    return { raw, parsed: Symbol.for('invalid') };
  }
}

const REGIONS = ['us-west-2', 'us-east-1', 'eu-central-1', 'ap-southeast-1'];
const RELEASABLE = new Set<EmulatedSessionStatus>(['PENDING', 'RUNNING']);

export async function startBrowserbaseEmulator(
  options: BrowserbaseEmulatorOptions = {},
): Promise<BrowserbaseEmulator> {
  const apiKey = options.apiKey ?? 'bb_test_key';
  const projectId = options.projectId ?? 'proj_emulated';
  const defaultTimeout = options.defaultTimeoutSeconds ?? 300;
  const sessions = new Map<string, EmulatedSession>();
  const requests: BrowserbaseEmulatorRequest[] = [];
  let failures: (InjectedFailure & { left: number })[] = [];

  /** A running session whose time is up has timed out, exactly as the service reports it later. */
  const refresh = (session: EmulatedSession): EmulatedSession => {
    const now = Date.now();
    if (RELEASABLE.has(session.status) && Date.parse(session.expiresAt) <= now) {
      session.status = 'TIMED_OUT';
      session.endedAt = session.expiresAt;
      session.updatedAt = new Date(now).toISOString();
    }
    return session;
  };

  const takeFailure = (method: string, path: string) => {
    const failure = failures.find(
      (candidate) =>
        candidate.left > 0 &&
        (!candidate.method || candidate.method === method) &&
        (!candidate.path || candidate.path.test(path)),
    );
    if (failure) failure.left -= 1;
    failures = failures.filter((candidate) => candidate.left > 0);
    return failure;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, log: BrowserbaseEmulatorRequest) => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://emulator');
    const path = url.pathname;
    const { parsed: body } = await readBody(req);
    log.body = body;
    const reply = (status: number, payload: unknown, headers?: Record<string, string>) => {
      log.status = status;
      json(res, status, payload, headers);
    };

    if (log.apiKey !== apiKey)
      return reply(401, { statusCode: 401, error: 'Unauthorized', message: 'Invalid API key' });
    const failure = takeFailure(method, path);
    if (failure) {
      return reply(
        failure.status,
        { statusCode: failure.status, error: 'Injected', message: `injected ${failure.status}` },
        // Lets the SDK's retry of a 429/5xx come back at once instead of after its 0.5-8 s backoff.
        { 'retry-after-ms': '10', ...failure.headers },
      );
    }
    if (body === Symbol.for('invalid')) return reply(400, { statusCode: 400, message: 'Invalid JSON body' });
    const params = (body ?? {}) as Record<string, unknown>;

    if (method === 'POST' && path === '/v1/sessions') {
      const region = typeof params['region'] === 'string' ? params['region'] : 'us-west-2';
      if (!REGIONS.includes(region))
        return reply(400, { statusCode: 400, message: `unknown region ${region}` });
      const timeout = typeof params['timeout'] === 'number' ? params['timeout'] : defaultTimeout;
      const now = Date.now();
      const id = randomUUID();
      const session: EmulatedSession = {
        id,
        createdAt: new Date(now).toISOString(),
        updatedAt: new Date(now).toISOString(),
        startedAt: new Date(now).toISOString(),
        expiresAt: new Date(now + timeout * 1000).toISOString(),
        projectId: typeof params['projectId'] === 'string' ? params['projectId'] : projectId,
        region,
        status: 'RUNNING',
        keepAlive: params['keepAlive'] === true,
        proxyBytes: 0,
        avgCpuUsage: 0,
        memoryUsage: 0,
        connectUrl: options.connectUrl?.(id) ?? `wss://connect.emulated.browserbase.test/?sessionId=${id}`,
        seleniumRemoteUrl: `http://connect.emulated.browserbase.test/webdriver/${id}`,
        signingKey: `signing-${id}`,
        userMetadata: params['userMetadata'] as Record<string, unknown> | undefined,
      };
      sessions.set(id, session);
      return reply(201, session);
    }
    if (method === 'GET' && path === '/v1/sessions') {
      const status = url.searchParams.get('status');
      const listed = [...sessions.values()].map(refresh).filter((s) => !status || s.status === status);
      return reply(
        200,
        listed.map(({ connectUrl: _c, seleniumRemoteUrl: _s, signingKey: _k, ...rest }) => rest),
      );
    }
    if (method === 'POST' && path === '/v1/extensions') return reply(200, { id: `ext_${randomUUID()}` });
    if (method === 'DELETE' && /^\/v1\/extensions\/[^/]+$/.test(path)) return reply(204, {});

    const match = /^\/v1\/sessions\/([^/]+)(\/debug)?$/.exec(path);
    const session = match ? sessions.get(decodeURIComponent(match[1]!)) : undefined;
    if (match && !session)
      return reply(404, { statusCode: 404, error: 'Not Found', message: 'Session not found' });
    if (session && match?.[2] === '/debug' && method === 'GET') {
      refresh(session);
      if (!RELEASABLE.has(session.status))
        return reply(409, { statusCode: 409, message: `session is ${session.status}` });
      return reply(200, {
        debuggerFullscreenUrl: `https://www.browserbase.com/devtools-fullscreen/inspector.html?wss=${session.id}`,
        debuggerUrl: `https://www.browserbase.com/devtools/inspector.html?wss=${session.id}`,
        wsUrl: `wss://connect.emulated.browserbase.test/debug/${session.id}`,
        pages: [],
      });
    }
    if (session && method === 'GET') return reply(200, refresh(session));
    if (session && method === 'POST') {
      refresh(session);
      if (params['status'] !== 'REQUEST_RELEASE')
        return reply(400, { statusCode: 400, message: 'status must be REQUEST_RELEASE' });
      // Releasing a finished session is a no-op on the service too.
      if (RELEASABLE.has(session.status)) {
        session.status = 'COMPLETED';
        session.endedAt = new Date().toISOString();
        session.updatedAt = session.endedAt;
      }
      return reply(200, session);
    }
    return reply(404, { statusCode: 404, message: `no route for ${method} ${path}` });
  };

  const server = createServer((req, res) => {
    const key = req.headers['x-bb-api-key'];
    const log: BrowserbaseEmulatorRequest = {
      method: req.method ?? 'GET',
      path: (req.url ?? '/').split('?', 1)[0] ?? '/',
      apiKey: Array.isArray(key) ? key[0] : key,
      body: undefined,
      status: 0,
    };
    requests.push(log);
    handle(req, res, log).catch((error: unknown) => {
      log.status = 500;
      if (!res.headersSent) json(res, 500, { statusCode: 500, message: String(error) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    projectId,
    requests,
    sessions: () => [...sessions.values()].map(refresh),
    session: (id) => {
      const session = sessions.get(id);
      return session && refresh(session);
    },
    setProxyBytes(id, bytes) {
      const session = sessions.get(id);
      if (!session) throw new Error(`no emulated session ${id}`);
      session.proxyBytes = bytes;
    },
    failNext(failure) {
      failures.push({ ...failure, left: failure.times ?? 1 });
    },
    reset() {
      sessions.clear();
      requests.length = 0;
      failures = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
