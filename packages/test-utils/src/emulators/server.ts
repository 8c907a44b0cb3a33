// SPDX-License-Identifier: Apache-2.0
// The HTTP plumbing the provider emulators share: a loopback server, a log of what the SDK sent,
// a FIFO of scripted replies, and SSE writing that stops when the client goes away.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { serveOnLoopback } from '../loopback.js';

/** What the emulated model should answer to the next request. Every field is optional. */
export interface ReplyScript {
  /** Answer with this HTTP error status (e.g. 429, 500) in the provider's error format. */
  status?: number;
  errorMessage?: string;
  /** Assistant text; streamed one word per chunk. */
  text?: string;
  /** Tool calls the model requests (arguments are sent as JSON). */
  toolCalls?: EmulatedToolCall[];
  /** Token counts to report; `false` omits usage from the response (and from every stream chunk). */
  usage?: Partial<EmulatedUsage> | false;
  /** Model name the response reports; defaults to the requested model. */
  model?: string;
  /** Pause between stream chunks, so a test can abandon a stream half-way. */
  chunkDelayMs?: number;
}

export interface EmulatedToolCall {
  id?: string;
  name: string;
  arguments: Record<string, unknown>;
}

/** Provider-neutral counts; each emulator maps them to its own wire format. `input` includes cached tokens. */
export interface EmulatedUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheCreation: number;
  reasoning: number;
}

export const DEFAULT_TEXT = 'Hello from the emulator.';
export const DEFAULT_USAGE: EmulatedUsage = {
  input: 12,
  output: 8,
  cacheRead: 0,
  cacheCreation: 0,
  reasoning: 0,
};

export interface EmulatedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body (undefined when empty or not JSON). */
  // biome-ignore lint/suspicious/noExplicitAny: emulators read whatever JSON the SDK sent, field by field.
  body: any;
}

export interface ProviderEmulator {
  /** Base URL to give the SDK (`baseURL` / `httpOptions.baseUrl`). */
  url: string;
  /** `http://127.0.0.1:<port>`, without any API prefix. */
  origin: string;
  port: number;
  /** Every request received, in order. */
  requests: EmulatedRequest[];
  /** Queue replies for the next requests, first in first out; unscripted requests get the default reply. */
  enqueue(...scripts: ReplyScript[]): void;
  /** Forget requests and queued replies. */
  reset(): void;
  close(): Promise<void>;
}

export interface Reply {
  req: EmulatedRequest;
  res: ServerResponse;
  script: ReplyScript;
}

export type Route = (reply: Reply) => Promise<boolean> | boolean;

export function resolveUsage(script: ReplyScript): EmulatedUsage | undefined {
  if (script.usage === false) return undefined;
  return { ...DEFAULT_USAGE, ...script.usage };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export interface SseEvent {
  event?: string;
  data: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes events as `text/event-stream`, pausing `delayMs` between them; stops early when the client disconnects. */
export async function sendSse(res: ServerResponse, events: SseEvent[], delayMs = 0): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  for (const [index, { event, data }] of events.entries()) {
    if (closed) return;
    if (index > 0 && delayMs > 0) await sleep(delayMs);
    if (closed) return;
    res.write(`${event ? `event: ${event}\n` : ''}data: ${data}\n\n`);
  }
  res.end();
}

/** Splits text into chunks of one word each (keeping the spaces), so streams have several deltas. */
export function words(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [text];
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Starts a loopback server that logs each request and hands it, with the next scripted reply, to
 * `routes` in turn; the first route that returns true has answered. `apiPrefix` is appended to the
 * origin to form `url` (e.g. `/v1` for OpenAI, whose SDK expects the version in its base URL).
 */
export async function startEmulator(routes: Route[], apiPrefix = ''): Promise<ProviderEmulator> {
  const requests: EmulatedRequest[] = [];
  const queue: ReplyScript[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const parsed = new URL(req.url ?? '/', 'http://emulator');
      const request: EmulatedRequest = {
        method: req.method ?? 'GET',
        path: parsed.pathname,
        query: parsed.searchParams,
        headers: req.headers,
        body: await readBody(req),
      };
      requests.push(request);
      const script = queue.shift() ?? {};
      for (const route of routes) {
        if (await route({ req: request, res, script })) return;
      }
      sendJson(res, 404, {
        error: { message: `emulator has no route for ${request.method} ${request.path}` },
      });
    })().catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(error) } });
      else res.destroy();
    });
  });
  // Clients keep connections open as they do with the real providers: undici reuses a connection only
  // for the advertised keep-alive timeout less one second, so a 1 s timeout meant a new connection (and
  // a reset error object) for every call. close() does not wait for open sockets.
  server.keepAliveTimeout = 5_000;
  const { origin, port, close } = await serveOnLoopback(server);
  server.unref();
  return {
    url: `${origin}${apiPrefix}`,
    origin,
    port,
    requests,
    enqueue: (...scripts) => {
      queue.push(...scripts);
    },
    reset: () => {
      requests.length = 0;
      queue.length = 0;
    },
    close,
  };
}
