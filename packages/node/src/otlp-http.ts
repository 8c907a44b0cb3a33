// SPDX-License-Identifier: Apache-2.0
// OTLP/HTTP transport. Our own rather than the upstream exporters' because those keep the process
// alive with ref'd retry timers (an app whose collector is down took ~9 s to exit) and log once per
// failed batch. Here timers and sockets are unref'd, retries stop at the deadline, and an outage
// produces one warning when it starts and one line when it ends.
import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { OtlpSignalConfig } from './config.js';
import { redactUrl } from './env.js';
import { log } from './logging.js';

// Loaded on first use: TLS and zlib cost start-up milliseconds an app with a plain-HTTP collector, or
// one that exits before its first export, should not pay.
type Send = (
  url: URL,
  options: RequestOptions,
  callback: (response: IncomingMessage) => void,
) => ClientRequest;
const transport = (protocol: string): Send =>
  protocol === 'https:'
    ? (require('node:https') as typeof import('node:https')).request
    : (require('node:http') as typeof import('node:http')).request;
const gzipAsync = (body: Uint8Array) =>
  new Promise<Uint8Array>((resolve, reject) => {
    // Level 1: on a batch of 512 server spans the body was 6% larger than at the default level 6 (20 KB
    // vs 19 KB of 195 KB) for about half the CPU, and that CPU is taken from the app.
    const zlib = require('node:zlib') as typeof import('node:zlib');
    zlib.gzip(body, { level: zlib.constants.Z_BEST_SPEED }, (error, result) =>
      error ? reject(error) : resolve(result),
    );
  });
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const INITIAL_BACKOFF_MS = 500;
/** Marks our export requests so the http instrumentation leaves them alone (no span, no metric). */
export const EXPORTER_USER_AGENT = 'otel-preset-node-exporter';
const MAX_BACKOFF_MS = 5_000;

/** Marks failures this transport has already reported, so the SDK's error handler stays quiet. */
export class ExportFailure extends Error {
  override name = 'ExportFailure';
}

/** The metric reader re-wraps exporter errors in a plain Error, so the name is matched in the message too. */
export function isExportFailure(error: unknown): boolean {
  return (
    error instanceof ExportFailure || (error instanceof Error && error.message.includes('ExportFailure'))
  );
}

interface Attempt {
  ok: boolean;
  retryable: boolean;
  retryAfterMs?: number;
  reason: string;
}

function retryAfter(response: IncomingMessage): number | undefined {
  const header = response.headers['retry-after'];
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * Shared by all senders: once shutdown starts, every send (including retries already waiting) must
 * finish by the shutdown deadline, because the exiting process waits for them.
 */
export class ExportDeadline {
  private until = Number.POSITIVE_INFINITY;
  private readonly sleepers = new Set<() => void>();

  /** From now on, sends give up `ms` from now at the latest, and waiting retries wake up. */
  cap(ms: number): void {
    this.until = Math.min(this.until, Date.now() + ms);
    for (const wake of this.sleepers) wake();
  }

  /** Shutting down: one attempt per batch, no retries, so an unreachable collector costs no waiting. */
  get capped(): boolean {
    return this.until !== Number.POSITIVE_INFINITY;
  }

  clamp(deadline: number): number {
    return Math.min(deadline, this.until);
  }

  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.sleepers.add(wake);
    });
  }
}

export class OtlpHttpSender {
  private failures = 0;
  private readonly shownUrl: string;

  constructor(
    private readonly signal: 'traces' | 'metrics',
    private readonly config: OtlpSignalConfig,
    private readonly shutdownDeadline: ExportDeadline,
  ) {
    this.shownUrl = redactUrl(config.url);
  }

  /** Sends one serialized request, retrying transient failures until the timeout; never rejects. */
  async send(body: Uint8Array): Promise<Attempt> {
    try {
      return await this.sendWithRetries(body);
    } catch (error) {
      // E.g. a header value Node refuses to send: not retryable, and never an unhandled rejection.
      return this.settle({ ok: false, retryable: false, reason: (error as Error).message });
    }
  }

  private async sendWithRetries(body: Uint8Array): Promise<Attempt> {
    const started = Date.now();
    const deadline = () => this.shutdownDeadline.clamp(started + this.config.timeoutMs);
    const payload = this.config.compression === 'gzip' ? await gzipAsync(body) : body;
    let backoff = INITIAL_BACKOFF_MS;
    for (;;) {
      const attempt = await this.attempt(payload, deadline() - Date.now());
      if (attempt.ok || !attempt.retryable || this.shutdownDeadline.capped) return this.settle(attempt);
      const wait = attempt.retryAfterMs ?? backoff * (0.8 + Math.random() * 0.4);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      if (Date.now() + wait >= deadline()) return this.settle(attempt);
      await this.shutdownDeadline.sleep(wait);
    }
  }

  private settle(attempt: Attempt): Attempt {
    if (attempt.ok) {
      if (this.failures > 0) {
        log.warn(
          `exporting ${this.signal} to ${this.shownUrl} works again after ${this.failures} failed export(s).`,
        );
      }
      this.failures = 0;
    } else {
      if (this.failures === 0) {
        log.warn(
          `cannot export ${this.signal} to ${this.shownUrl}: ${attempt.reason}. The app is unaffected; ` +
            'telemetry is dropped until the collector is reachable, and this is reported once.',
        );
      }
      this.failures++;
    }
    return attempt;
  }

  private attempt(payload: Uint8Array, timeoutMs: number): Promise<Attempt> {
    return new Promise((resolve) => {
      if (timeoutMs <= 0) {
        resolve({ ok: false, retryable: false, reason: 'timed out' });
        return;
      }
      const url = new URL(this.config.url);
      const send = transport(url.protocol);
      const headers = {
        ...this.config.headers,
        'Content-Type': this.config.protocol === 'http/json' ? 'application/json' : 'application/x-protobuf',
        'Content-Length': String(payload.byteLength),
        'User-Agent': EXPORTER_USER_AGENT,
        ...(this.config.compression === 'gzip' ? { 'Content-Encoding': 'gzip' } : {}),
      };
      let request: ClientRequest;
      // Our own export requests must never become spans (or trigger exports of themselves).
      context.with(suppressTracing(context.active()), () => {
        request = send(url, { method: 'POST', headers, timeout: timeoutMs }, (response) => {
          response.resume();
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve({ ok: true, retryable: false, reason: '' });
            else
              resolve({
                ok: false,
                retryable: RETRYABLE_STATUS.has(status),
                retryAfterMs: retryAfter(response),
                reason: `HTTP ${status}`,
              });
          });
          response.on('error', (error) => resolve({ ok: false, retryable: true, reason: error.message }));
        });
      });
      // The socket must not keep a finished app alive; shutdown holds the loop itself, bounded.
      request!.on('socket', (socket) => socket.unref());
      request!.on('timeout', () => request.destroy(new Error('timed out')));
      request!.on('error', (error: NodeJS.ErrnoException) =>
        resolve({ ok: false, retryable: true, reason: error.code ?? error.message }),
      );
      request!.end(payload);
    });
  }
}
