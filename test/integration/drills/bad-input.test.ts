// SPDX-License-Identifier: Apache-2.0
// Garbage and oversize payloads on the collector's OTLP ports: refused, and the collector keeps serving.
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { RunningCollector, SentryEmulator } from '@otel-preset/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSentryPipeline } from '../stack.js';

/** One valid OTLP/JSON span, to prove the collector still works after each abuse. */
function validSpan(traceByte: string) {
  const now = Date.now();
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bad-input-drill' } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: traceByte.repeat(32),
                spanId: traceByte.repeat(16),
                name: 'after abuse',
                kind: 1,
                startTimeUnixNano: String(now * 1e6),
                endTimeUnixNano: String((now + 1) * 1e6),
              },
            ],
          },
        ],
      },
    ],
  });
}

describe('garbage and oversize payloads', () => {
  let sentry: SentryEmulator;
  let collector: RunningCollector;
  let stopPipeline: (() => Promise<void>) | undefined;
  const post = (body: Uint8Array | string, headers: Record<string, string>) =>
    fetch(`${collector.otlpUrl}/v1/traces`, { method: 'POST', headers, body });

  beforeAll(async () => {
    ({
      sentry,
      collector,
      stop: stopPipeline,
    } = await startSentryPipeline({
      OTEL_PRESET_COLLECTOR_LOG_LEVEL: 'error',
    }));
  });

  afterAll(async () => {
    await stopPipeline?.();
  });

  it('refuses malformed protobuf, JSON and compression with a 4xx', async () => {
    const random = new Uint8Array(4096).map(() => Math.floor(Math.random() * 256));
    const cases: [string, Uint8Array | string, Record<string, string>][] = [
      ['random protobuf', random, { 'content-type': 'application/x-protobuf' }],
      ['broken JSON', '{"resourceSpans": [', { 'content-type': 'application/json' }],
      ['JSON of the wrong shape', '{"resourceSpans": "nope"}', { 'content-type': 'application/json' }],
      [
        'gzip that is not gzip',
        random,
        { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
      ],
      ['unknown content type', 'hello', { 'content-type': 'text/plain' }],
    ];
    for (const [name, body, headers] of cases) {
      const response = await post(body, headers);
      expect(response.status, name).toBeGreaterThanOrEqual(400);
      expect(response.status, name).toBeLessThan(500);
    }
  });

  it('refuses bodies over the 8 MiB limit, also when they hide behind gzip', async () => {
    const huge = 'x'.repeat(9 * 1024 * 1024);
    const plain = await post(huge, { 'content-type': 'application/json' }).catch(() => undefined);
    // Either a 4xx or the connection closed mid-upload: both refuse the payload.
    if (plain) expect(plain.status).toBeGreaterThanOrEqual(400);
    // 9 MiB that compresses to a few KiB: the limit applies to what is decompressed.
    const bomb = gzipSync(Buffer.from(`{"resourceSpans":[],"pad":"${huge}"}`));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const zipped = await post(bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).catch(
      () => undefined,
    );
    if (zipped) expect(zipped.status).toBeGreaterThanOrEqual(400);
  });

  it('survives raw garbage on the HTTP and gRPC ports', async () => {
    for (const port of [collector.ports.otlpHttp, collector.ports.otlpGrpc]) {
      await new Promise<void>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(
            Buffer.from('\x16\x03\x01 not http, not http2 \r\n\r\n\x00\xff'.repeat(100), 'binary'),
          );
        });
        socket.setTimeout(2000, () => socket.destroy());
        socket.on('error', () => resolve());
        socket.on('close', () => resolve());
      });
    }
  });

  it('keeps serving valid data afterwards', async () => {
    const response = await post(validSpan('c'), { 'content-type': 'application/json' });
    expect(response.status).toBe(200);
    await sentry.waitForSpans((spans) => spans.some((span) => span.name === 'after abuse'));
    expect((await fetch(`http://127.0.0.1:${collector.ports.health}/`)).status).toBe(200);
    expect(collector.process.stderr() + collector.process.stdout()).not.toMatch(/panic|fatal/i);
  });
});
