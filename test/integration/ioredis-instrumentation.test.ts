// SPDX-License-Identifier: Apache-2.0
// The ioredis instrumentation in-process against a real Redis: ioredis required after it is enabled,
// spans read from the in-memory SDK.
import { createRequire } from 'node:module';
import { context, type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { childSpansOf, inSpan, installInProcessSdk } from '@otel-preset/test-utils';
import type * as IORedis from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { IORedisInstrumentation } from '../../packages/node/src/ioredis.js';

const SCOPE = '@otel-preset/instrumentation-ioredis';
const sdk = installInProcessSdk({ temporality: 'cumulative' });
const instrumentation = new IORedisInstrumentation({ enabled: false });
instrumentation.setTracerProvider(sdk.tracerProvider);
instrumentation.enable();
// Required after enable(), so require-in-the-middle hands the module to the instrumentation.
const { Redis } = createRequire(import.meta.url)('ioredis') as typeof IORedis;
const run = Date.now();
const key = (name: string) => `ioredis-test:${run}:${name}`;

let redis: IORedis.Redis;
let url: URL;

beforeAll(async () => {
  url = new URL(inject('redisUrl'));
  redis = new Redis({ host: url.hostname, port: Number(url.port), db: 3, maxRetriesPerRequest: 1 });
  await redis.ping();
});
afterEach(() => sdk.spanExporter.reset());
afterAll(async () => {
  await redis.quit();
  instrumentation.disable();
});

const commandSpans = () => sdk.spans().filter((span) => span.instrumentationScope.name === SCOPE);

const commandsUnder = (parent: Span): ReadableSpan[] => childSpansOf(parent, commandSpans());

describe('IORedisInstrumentation', () => {
  it('makes one client span per command with the connection attributes and no arguments', async () => {
    const secret = 'sk-live-4111111111111111';
    const { span: parent, result } = await inSpan('request', async () => {
      await redis.set(key('token'), secret);
      return redis.get(key('token'));
    });
    expect(result).toBe(secret);
    const [set, get] = commandsUnder(parent);
    expect([set?.name, get?.name]).toEqual(['set', 'get']);
    expect(get!.kind).toBe(SpanKind.CLIENT);
    expect(get!.attributes).toEqual({
      'db.system.name': 'redis',
      'db.operation.name': 'get',
      'db.query.text': 'get',
      'db.namespace': '3',
      'server.address': url.hostname,
      'server.port': Number(url.port),
    });
    expect(get!.status.code).toBe(SpanStatusCode.UNSET);
    expect(JSON.stringify(commandSpans().map((span) => span.attributes))).not.toContain(secret);
  });

  it('records nothing outside a trace or under suppressed tracing', async () => {
    await redis.incr(key('untraced'));
    await inSpan('request', () =>
      context.with(suppressTracing(context.active()), () => redis.incr(key('suppressed'))),
    );
    expect(commandSpans()).toEqual([]);
  });

  it('names queued commands after their pipeline or transaction', async () => {
    const { span: parent } = await inSpan('request', async () => {
      await redis.pipeline().set(key('p'), '1').incr(key('p')).exec();
      await redis.multi().incr(key('m')).exec();
    });
    const operations = commandsUnder(parent).map((span) => span.attributes['db.operation.name']);
    expect(operations).toEqual(['PIPELINE set', 'PIPELINE incr', 'multi', 'MULTI incr', 'exec']);
  });

  it("marks an error reply with its code, never its text, and hands the app Redis's error", async () => {
    // Redis quotes the arguments of an unknown command in its error message.
    const { span: parent } = await inSpan('request', async () => {
      await expect(redis.call('frobnicate', 'argument-holding-secret')).rejects.toThrow(
        /argument-holding-secret/,
      );
    });
    const [failed] = commandsUnder(parent);
    expect(failed!.name).toBe('frobnicate');
    expect(failed!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'ERR' });
    expect(failed!.attributes['error.type']).toBe('ERR');
    expect(JSON.stringify([failed!.attributes, failed!.events, failed!.status])).not.toContain('secret');
  });

  it("leaves the command's own settle functions in place and still ends the span on the reply", async () => {
    // Replacing them made V8 promote every traced command under load (bench/README.md, Memory).
    const { Command } = createRequire(import.meta.url)('ioredis') as typeof IORedis;
    const command = new Command('incr', [key('settle')]);
    const { resolve, reject } = command;
    const { span: parent, result } = await inSpan('request', () => {
      void redis.sendCommand(command);
      expect([command.resolve, command.reject]).toEqual([resolve, reject]);
      return command.promise;
    });
    expect(result).toBe(1);
    const [incr] = commandsUnder(parent);
    expect(incr!.name).toBe('incr');
    expect(incr!.ended).toBe(true);
  });

  it('keeps keys and arguments when asked to', async () => {
    instrumentation.setConfig({ captureArguments: true });
    try {
      const { span: parent } = await inSpan('request', () => redis.set(key('opted-in'), 'visible', 'EX', 60));
      const [set] = commandsUnder(parent);
      expect(set!.attributes['db.query.text']).toMatch(/^set ioredis-test:\d+:opted-in visible EX 60$/);
    } finally {
      instrumentation.setConfig({});
    }
  });
});
