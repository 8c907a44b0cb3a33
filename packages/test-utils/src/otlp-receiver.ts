// SPDX-License-Identifier: Apache-2.0
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeOtlpBody, decompress, HttpError, readBody } from './http-body.js';
import {
  countLogRecords,
  normalizeMetrics,
  normalizeTraces,
  type ReceivedMetric,
  type ReceivedSpan,
} from './otlp-normalize.js';
import type { OtlpSignal } from './otlp-proto.js';
import { pollUntil } from './poll.js';
import { formatSpans } from './span-tree.js';

const DEFAULT_TIMEOUT_MS = 15_000;

const SIGNAL_PATHS: Record<string, OtlpSignal> = {
  '/v1/traces': 'traces',
  '/v1/metrics': 'metrics',
  '/v1/logs': 'logs',
};

export interface OtlpReceiverOptions {
  /** Defaults to 127.0.0.1: `localhost` may resolve to ::1 where nothing listens. */
  host?: string;
  /** Defaults to 0 (any free port). */
  port?: number;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  /** Media type without parameters, lower-cased; '' when absent. */
  contentType: string;
  /** '' when the body was not compressed. */
  contentEncoding: string;
  headers: IncomingHttpHeaders;
  /** The status the receiver answered with. */
  statusCode: number;
  /** Size of the body as sent, before decompression. */
  bodyBytes: number;
}

export interface OtlpReceiver {
  /** Base URL, e.g. `http://127.0.0.1:41234`; exporters append `/v1/traces` etc. */
  readonly url: string;
  readonly port: number;
  /** Every request seen, including rejected ones, in arrival order. */
  readonly requests: readonly ReceivedRequest[];
  /** Bodies that could not be decoded; their requests were answered with 400. */
  readonly errors: readonly Error[];
  /** All spans accepted so far, in arrival order. */
  spans(): ReceivedSpan[];
  /** All metrics accepted so far (one entry per metric per export), in arrival order. */
  metrics(): ReceivedMetric[];
  /** Number of log records accepted so far. */
  logRecordCount(): number;
  /**
   * Resolves with all spans once `predicate` returns true for them. A predicate
   * that throws counts as "not yet", so `expect` can be used inside it.
   */
  waitForSpans(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  /** Resolves with the most recently received metric called `name` that satisfies `predicate`. */
  waitForMetric(
    name: string,
    predicate?: (metric: ReceivedMetric) => boolean,
    timeoutMs?: number,
  ): Promise<ReceivedMetric>;
  /**
   * Answer every following export with this status (e.g. 503) without storing
   * its data; `setResponse(200)` restores normal behaviour.
   */
  setResponse(statusCode: number, headers?: Record<string, string>): void;
  /** Forget everything received and go back to answering 200. */
  reset(): void;
  close(): Promise<void>;
}

function describeMetrics(metrics: readonly ReceivedMetric[]): string {
  if (metrics.length === 0) return '(no metrics received)';
  const latest = new Map<string, ReceivedMetric>();
  for (const metric of metrics) latest.set(metric.name, metric);
  return [...latest.values()]
    .map((m) => {
      const points = m.dataPoints
        .map((p) => `${JSON.stringify(p.attributes)}=${p.value ?? `count:${p.count} sum:${p.sum}`}`)
        .join(', ');
      return `  ${m.name} (${m.type}${m.temporality ? `, ${m.temporality}` : ''}) ${points}`;
    })
    .join('\n');
}

export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const host = options.host ?? '127.0.0.1';
  const requests: ReceivedRequest[] = [];
  const errors: Error[] = [];
  let spans: ReceivedSpan[] = [];
  let metrics: ReceivedMetric[] = [];
  let logRecords = 0;
  let responseStatus = 200;
  let responseHeaders: Record<string, string> = {};

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://receiver').pathname;
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const contentEncoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
    const body = await readBody(req);
    const record: ReceivedRequest = {
      method: req.method ?? '',
      path,
      contentType,
      contentEncoding,
      headers: req.headers,
      statusCode: 0,
      bodyBytes: body.length,
    };
    requests.push(record);

    const reply = (
      statusCode: number,
      payload: string | Buffer = '',
      headers: Record<string, string> = {},
    ) => {
      record.statusCode = statusCode;
      res.writeHead(statusCode, { ...headers, 'content-length': String(Buffer.byteLength(payload)) });
      res.end(payload);
    };

    try {
      const signal = SIGNAL_PATHS[path];
      if (!signal) throw new HttpError(404, `no OTLP endpoint at ${path}`);
      if (req.method !== 'POST') throw new HttpError(405, `${req.method} not allowed on ${path}`);
      if (responseStatus < 200 || responseStatus > 299) {
        reply(responseStatus, '', responseHeaders);
        return;
      }
      const decoded = decodeOtlpBody(signal, contentType, await decompress(body, contentEncoding));
      if (signal === 'traces') spans = spans.concat(normalizeTraces(decoded));
      else if (signal === 'metrics') metrics = metrics.concat(normalizeMetrics(decoded));
      else logRecords += countLogRecords(decoded);
      // An empty Export*ServiceResponse means full success in both encodings.
      if (contentType === 'application/json') reply(200, '{}', { 'content-type': 'application/json' });
      else reply(200, Buffer.alloc(0), { 'content-type': 'application/x-protobuf' });
    } catch (error) {
      if (error instanceof HttpError) {
        reply(error.statusCode, error.message, { 'content-type': 'text/plain' });
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      errors.push(new Error(`${path} (${contentType}, encoding '${contentEncoding}'): ${message}`));
      reply(400, `cannot decode body: ${message}`, { 'content-type': 'text/plain' });
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      errors.push(error instanceof Error ? error : new Error(String(error)));
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  function diagnostics(): string {
    const lines: string[] = [];
    const rejected = requests.filter((r) => r.statusCode < 200 || r.statusCode > 299);
    lines.push(`${requests.length} request(s) received, ${rejected.length} answered with a non-2xx status`);
    for (const r of rejected) {
      lines.push(`  ${r.method} ${r.path} (${r.contentType || 'no content-type'}) -> ${r.statusCode}`);
    }
    for (const error of errors) lines.push(`decode error: ${error.message}`);
    return lines.join('\n');
  }

  function predicateNote(lastError: unknown): string {
    if (lastError === undefined) return '';
    return `\nlast predicate error: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
  }

  return {
    url,
    port,
    get requests() {
      return requests;
    },
    get errors() {
      return errors;
    },
    spans: () => [...spans],
    metrics: () => [...metrics],
    logRecordCount: () => logRecords,

    waitForSpans(predicate, timeoutMs = DEFAULT_TIMEOUT_MS) {
      return pollUntil(
        () => {
          const snapshot = [...spans];
          return predicate(snapshot) ? snapshot : undefined;
        },
        timeoutMs,
        (lastError) =>
          `Timed out after ${timeoutMs} ms waiting for spans. ${spans.length} span(s) received:\n` +
          `${formatSpans(spans)}\n${diagnostics()}${predicateNote(lastError)}`,
      );
    },

    waitForMetric(name, predicate = () => true, timeoutMs = DEFAULT_TIMEOUT_MS) {
      return pollUntil(
        () => {
          let failure: unknown;
          for (let i = metrics.length - 1; i >= 0; i--) {
            const metric = metrics[i]!;
            if (metric.name !== name) continue;
            try {
              if (predicate(metric)) return metric;
            } catch (error) {
              // Keep looking: an older export may still satisfy the predicate.
              failure ??= error;
            }
          }
          if (failure !== undefined) throw failure;
          return undefined;
        },
        timeoutMs,
        (lastError) =>
          `Timed out after ${timeoutMs} ms waiting for metric '${name}'. Latest of each metric received:\n` +
          `${describeMetrics(metrics)}\n${diagnostics()}${predicateNote(lastError)}`,
      );
    },

    setResponse(statusCode, headers = {}) {
      responseStatus = statusCode;
      responseHeaders = headers;
    },

    reset() {
      requests.length = 0;
      errors.length = 0;
      spans = [];
      metrics = [];
      logRecords = 0;
      responseStatus = 200;
      responseHeaders = {};
    },

    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Exporters keep connections alive; without this close() waits for their idle timeout.
        server.closeAllConnections();
      });
    },
  };
}
