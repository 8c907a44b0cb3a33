// SPDX-License-Identifier: Apache-2.0
// The OTLP/HTTP sender against a real HTTP receiver: retries, Retry-After, the shutdown deadline and
// the one-warning-per-outage rule.
import { createServer, type Server, type Socket } from 'node:net';
import { type OtlpReceiver, startOtlpReceiver } from '@otel-preset/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { OtlpSignalConfig } from '../src/config.js';
import { ExportDeadline, OtlpHttpSender } from '../src/otlp-http.js';

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(() => receiver.close());
afterEach(() => {
  receiver.reset();
  vi.restoreAllMocks();
});

const signal = (overrides: Partial<OtlpSignalConfig> = {}): OtlpSignalConfig => ({
  enabled: true,
  console: false,
  url: `${receiver.url}/v1/logs`,
  headers: { 'x-team': 'ai' },
  protocol: 'http/protobuf',
  compression: 'gzip',
  timeoutMs: 5_000,
  ...overrides,
});
// An empty ExportLogsServiceRequest: valid protobuf the receiver accepts and counts.
const BODY = new Uint8Array();

function captureWarnings(): string[] {
  const lines: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  return lines;
}

describe('OtlpHttpSender', () => {
  it('posts gzip-compressed protobuf with the configured headers', async () => {
    const sender = new OtlpHttpSender('traces', signal(), new ExportDeadline());
    const attempt = await sender.send(new Uint8Array([10, 0]));
    expect(attempt.ok).toBe(true);
    const [request] = receiver.requests;
    expect(request).toMatchObject({
      path: '/v1/logs',
      contentType: 'application/x-protobuf',
      contentEncoding: 'gzip',
    });
    expect(request!.headers['x-team']).toBe('ai');
  });

  it('retries 503 answers, honouring Retry-After, then succeeds', async () => {
    receiver.setResponse(503, { 'Retry-After': '0' });
    const sender = new OtlpHttpSender('traces', signal(), new ExportDeadline());
    const sending = sender.send(BODY);
    await vi.waitFor(() => expect(receiver.requests.length).toBeGreaterThanOrEqual(2));
    receiver.setResponse(200);
    const attempt = await sending;
    expect(attempt.ok).toBe(true);
    expect(receiver.requests.at(-1)!.statusCode).toBe(200);
  });

  it('does not retry a 400 (the request itself is wrong)', async () => {
    const warnings = captureWarnings();
    receiver.setResponse(400);
    const attempt = await new OtlpHttpSender('metrics', signal(), new ExportDeadline()).send(BODY);
    expect(attempt).toMatchObject({ ok: false, retryable: false, reason: 'HTTP 400' });
    expect(receiver.requests).toHaveLength(1);
    expect(warnings.join('')).toMatch(/cannot export metrics to .*: HTTP 400/);
  });

  it('warns once when an outage starts and once when it ends', async () => {
    const warnings = captureWarnings();
    receiver.setResponse(503);
    const sender = new OtlpHttpSender('traces', signal({ timeoutMs: 50 }), new ExportDeadline());
    for (let i = 0; i < 5; i++) expect((await sender.send(BODY)).ok).toBe(false);
    receiver.setResponse(200);
    expect((await sender.send(BODY)).ok).toBe(true);
    const ours = warnings.filter((line) => line.includes('export'));
    expect(ours).toHaveLength(2);
    expect(ours[0]).toMatch(/cannot export traces .*HTTP 503.*reported once/);
    expect(ours[1]).toMatch(/works again after 5 failed export\(s\)/);
  });

  it('never prints credentials in the endpoint', async () => {
    const warnings = captureWarnings();
    receiver.setResponse(503);
    const url = `${receiver.url.replace('http://', 'http://user:hunter2@')}/v1/traces?api_key=s3cret`;
    await new OtlpHttpSender('traces', signal({ url, timeoutMs: 10 }), new ExportDeadline()).send(BODY);
    expect(warnings.join('')).toContain('cannot export traces');
    expect(warnings.join('')).not.toMatch(/hunter2|s3cret/);
  });

  it('gives up at once when shutdown caps the deadline, waking a retry that is waiting', async () => {
    captureWarnings();
    receiver.setResponse(503, { 'Retry-After': '30' });
    const deadline = new ExportDeadline();
    const sending = new OtlpHttpSender('traces', signal({ timeoutMs: 60_000 }), deadline).send(BODY);
    await vi.waitFor(() => expect(receiver.requests).toHaveLength(1));
    const started = Date.now();
    deadline.cap(1_000);
    const attempt = await sending;
    expect(attempt.ok).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('bounds an attempt against a collector that accepts connections but never answers', async () => {
    captureWarnings();
    const sockets: Socket[] = [];
    const blackhole: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
    const { port } = blackhole.address() as { port: number };
    try {
      const sender = new OtlpHttpSender(
        'traces',
        signal({ url: `http://127.0.0.1:${port}/v1/traces`, timeoutMs: 300 }),
        new ExportDeadline(),
      );
      const attempt = await sender.send(BODY);
      expect(attempt.ok).toBe(false);
      expect(attempt.reason).toMatch(/timed out|ECONNRESET|socket hang up/);
    } finally {
      for (const socket of sockets) socket.destroy();
      blackhole.close();
    }
  });

  it('reports a header value Node refuses to send instead of throwing', async () => {
    const warnings = captureWarnings();
    const sender = new OtlpHttpSender(
      'traces',
      signal({ headers: { 'x-bad': 'line\nbreak' } }),
      new ExportDeadline(),
    );
    const attempt = await sender.send(BODY);
    expect(attempt).toMatchObject({ ok: false, retryable: false });
    expect(receiver.requests).toHaveLength(0);
    expect(warnings.join('')).toMatch(/cannot export traces .*Invalid character in header/);
  });

  it('sends uncompressed JSON when configured', async () => {
    const sender = new OtlpHttpSender(
      'traces',
      signal({ protocol: 'http/json', compression: 'none' }),
      new ExportDeadline(),
    );
    expect((await sender.send(new TextEncoder().encode('{}'))).ok).toBe(true);
    expect(receiver.requests[0]).toMatchObject({ contentType: 'application/json', contentEncoding: '' });
  });
});
