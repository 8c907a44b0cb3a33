// SPDX-License-Identifier: Apache-2.0
// A local stand-in for one Sentry project's ingest endpoints, strict where Sentry is strict: OTLP traces
// only at /api/<project>/integration/otlp/v1/traces with `x-sentry-auth: sentry sentry_key=<key>`, SDK
// envelopes only at /api/<project>/envelope/ with the key. It can also play an outage: refuse
// connections, or answer every request with a status (503, 429 with Retry-After).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { decodeOtlpBody, decompress, HttpError, readBody } from '../http-body.js';
import { normalizeTraces, type ReceivedSpan } from '../otlp-normalize.js';
import { pollUntil } from '../poll.js';
import { formatSpans } from '../span-tree.js';

const DEFAULT_TIMEOUT_MS = 20_000;

export interface EnvelopeItem {
  type: string;
  headers: Record<string, unknown>;
  /** Parsed JSON payload; the raw text when it is not JSON. */
  payload: unknown;
}

export interface Envelope {
  headers: Record<string, unknown>;
  items: EnvelopeItem[];
}

/** What a request got back, for asserting on retries and outages. */
export interface SentryRequestRecord {
  path: string;
  kind: 'otlp' | 'envelope' | 'other';
  statusCode: number;
  at: number;
}

export type SentryOutage =
  | { kind: 'refuse' }
  | { kind: 'status'; statusCode: number; retryAfterSeconds?: number };

export interface SentryEmulator {
  /** DSN for SDKs: `http://<key>@127.0.0.1:<port>/<project>`. */
  readonly dsn: string;
  /** Sentry's OTLP traces URL for this project. */
  readonly otlpTracesUrl: string;
  /** `x-sentry-auth` value the OTLP endpoint accepts. */
  readonly otlpAuth: string;
  readonly requests: readonly SentryRequestRecord[];
  /** Spans accepted on the OTLP endpoint, duplicates included (a retried batch arrives twice). */
  spans(): ReceivedSpan[];
  envelopes(): Envelope[];
  /** Payloads of envelope items of one type ('event', 'transaction', ...). */
  items(type: string): unknown[];
  waitForSpans(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  waitForItem(type: string, predicate: (payload: unknown) => boolean, timeoutMs?: number): Promise<unknown>;
  /** Starts an outage; `undefined` ends it (reopening the port when connections were refused). */
  setOutage(outage: SentryOutage | undefined): Promise<void>;
  close(): Promise<void>;
}

export interface SentryEmulatorOptions {
  projectId?: string;
  publicKey?: string;
}

function parseEnvelope(body: Buffer): Envelope {
  let offset = 0;
  const readLine = (): string | undefined => {
    if (offset >= body.length) return undefined;
    const end = body.indexOf(0x0a, offset);
    const line = body.subarray(offset, end === -1 ? body.length : end).toString('utf8');
    offset = end === -1 ? body.length : end + 1;
    return line;
  };
  const headers = JSON.parse(readLine() ?? '{}') as Record<string, unknown>;
  const items: EnvelopeItem[] = [];
  for (let line = readLine(); line !== undefined; line = readLine()) {
    if (!line.trim()) continue;
    const itemHeaders = JSON.parse(line) as Record<string, unknown>;
    let raw: string;
    if (typeof itemHeaders['length'] === 'number') {
      raw = body.subarray(offset, offset + itemHeaders['length']).toString('utf8');
      offset += itemHeaders['length'] + 1;
    } else {
      raw = readLine() ?? '';
    }
    let payload: unknown = raw;
    try {
      payload = JSON.parse(raw);
    } catch {
      // Attachments and other binary items stay as text.
    }
    items.push({ type: String(itemHeaders['type']), headers: itemHeaders, payload });
  }
  return { headers, items };
}

/** The key from `x-sentry-auth` (`sentry sentry_key=...`, `Sentry sentry_version=7, sentry_key=...`) or the query. */
function presentedKey(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers['x-sentry-auth'];
  const fromHeader = typeof header === 'string' ? /sentry_key=([^,\s]+)/.exec(header)?.[1] : undefined;
  return fromHeader ?? url.searchParams.get('sentry_key') ?? undefined;
}

export async function startSentryEmulator(options: SentryEmulatorOptions = {}): Promise<SentryEmulator> {
  const projectId = options.projectId ?? '4242';
  const publicKey = options.publicKey ?? 'e2e0public0key';
  const otlpPath = `/api/${projectId}/integration/otlp/v1/traces`;
  const envelopePath = `/api/${projectId}/envelope/`;

  const requests: SentryRequestRecord[] = [];
  let spans: ReceivedSpan[] = [];
  const envelopes: Envelope[] = [];
  let outage: SentryOutage | undefined;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sentry');
    const path = url.pathname.replace(/\/?$/, '/');
    const kind = path === `${otlpPath}/` ? 'otlp' : path === envelopePath ? 'envelope' : 'other';
    const record: SentryRequestRecord = { path: url.pathname, kind, statusCode: 0, at: Date.now() };
    requests.push(record);
    const body = await readBody(req);
    const reply = (statusCode: number, text = '', headers: Record<string, string> = {}) => {
      record.statusCode = statusCode;
      res.writeHead(statusCode, headers);
      res.end(text);
    };
    try {
      if (outage?.kind === 'status') {
        const headers: Record<string, string> = {};
        if (outage.retryAfterSeconds !== undefined) headers['retry-after'] = String(outage.retryAfterSeconds);
        reply(outage.statusCode, 'outage', headers);
        return;
      }
      if (kind === 'other') throw new HttpError(404, `no Sentry endpoint at ${url.pathname}`);
      if (req.method !== 'POST') throw new HttpError(405, `${req.method} not allowed`);
      if (presentedKey(req, url) !== publicKey) throw new HttpError(401, 'missing or wrong sentry_key');
      const decoded = await decompress(body, String(req.headers['content-encoding'] ?? '').toLowerCase());
      if (kind === 'otlp') {
        const contentType = String(req.headers['content-type'] ?? '')
          .split(';')[0]!
          .trim()
          .toLowerCase();
        spans = spans.concat(normalizeTraces(decodeOtlpBody('traces', contentType, decoded)));
        reply(200, '', { 'content-type': 'application/x-protobuf' });
      } else {
        envelopes.push(parseEnvelope(decoded));
        reply(200, '{}', { 'content-type': 'application/json' });
      }
    } catch (error) {
      const statusCode = error instanceof HttpError ? error.statusCode : 400;
      reply(statusCode, error instanceof Error ? error.message : String(error));
    }
  }

  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = (port: number) =>
    new Promise<Server>((resolve, reject) => {
      const created = createServer((req, res) => {
        handle(req, res).catch(() => {
          if (!res.headersSent) res.writeHead(500);
          res.end();
        });
      });
      created.on('connection', (socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
      });
      created.once('error', reject);
      created.listen(port, '127.0.0.1', () => resolve(created));
    });
  const stop = async () => {
    const current = server;
    server = undefined;
    if (!current) return;
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => current.close(() => resolve()));
  };

  server = await listen(0);
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  const items = (type: string) =>
    envelopes.flatMap((envelope) =>
      envelope.items.filter((item) => item.type === type).map((i) => i.payload),
    );

  return {
    dsn: `http://${publicKey}@127.0.0.1:${port}/${projectId}`,
    otlpTracesUrl: `${base}${otlpPath}`,
    otlpAuth: `sentry sentry_key=${publicKey}`,
    get requests() {
      return requests;
    },
    spans: () => [...spans],
    envelopes: () => [...envelopes],
    items,
    waitForSpans(predicate, timeoutMs = DEFAULT_TIMEOUT_MS) {
      return pollUntil(
        () => (predicate(spans) ? [...spans] : undefined),
        timeoutMs,
        (lastError) =>
          `Timed out after ${timeoutMs} ms waiting for spans at the Sentry emulator; ${spans.length} received:\n` +
          `${formatSpans(spans)}\n${requests.length} request(s), statuses ${[...new Set(requests.map((r) => r.statusCode))].join(',')}` +
          (lastError
            ? `\nlast predicate error: ${lastError instanceof Error ? lastError.message : lastError}`
            : ''),
      );
    },
    waitForItem(type, predicate, timeoutMs = DEFAULT_TIMEOUT_MS) {
      return pollUntil(
        () => items(type).find((payload) => predicate(payload)),
        timeoutMs,
        () =>
          `Timed out after ${timeoutMs} ms waiting for a '${type}' envelope item; item types received: ` +
          `${JSON.stringify(envelopes.flatMap((e) => e.items.map((i) => i.type)))}`,
      );
    },
    async setOutage(next) {
      const refusing = outage?.kind === 'refuse';
      outage = next;
      if (next?.kind === 'refuse' && !refusing) await stop();
      if (next?.kind !== 'refuse' && refusing) server = await listen(port);
    },
    close: stop,
  };
}
