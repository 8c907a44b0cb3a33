// SPDX-License-Identifier: Apache-2.0
// LLM calls through the preload: the real SDKs in a child app (ESM and CommonJS) talk to in-test
// emulators of the provider APIs and export to an in-test OTLP receiver. Expected per call:
//
//   chat gpt-4o / generate_content gemini-2.5-flash / …   CLIENT  @otel-preset/instrumentation-genai
//   └─ POST                                               CLIENT  @opentelemetry/instrumentation-undici
//
// and for the Vercel AI SDK (from its `ai:telemetry` channel, no app setup):
//
//   invoke_agent                                          INTERNAL @otel-preset/instrumentation-genai
//   └─ chat gpt-4.1-mini                                  CLIENT   @otel-preset/instrumentation-genai
//      └─ POST                                            CLIENT   @opentelemetry/instrumentation-undici
import { fileURLToPath } from 'node:url';
import {
  type OtlpReceiver,
  type ProviderEmulator,
  type ReceivedMetric,
  type ReceivedSpan,
  runFixture,
  startAnthropicEmulator,
  startGeminiEmulator,
  startOpenAIEmulator,
  startOtlpReceiver,
} from '@otel-preset/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const SCOPE = '@otel-preset/instrumentation-genai';
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const usd = (tokens: number, perMillion: number) => (tokens * perMillion) / 1_000_000;

let receiver: OtlpReceiver;
let openai: ProviderEmulator;
let anthropic: ProviderEmulator;
let gemini: ProviderEmulator;

beforeAll(async () => {
  [receiver, openai, anthropic, gemini] = await Promise.all([
    startOtlpReceiver(),
    startOpenAIEmulator(),
    startAnthropicEmulator(),
    startGeminiEmulator(),
  ]);
});
afterAll(async () => {
  await Promise.all([receiver.close(), openai.close(), anthropic.close(), gemini.close()]);
});
afterEach(() => {
  receiver.reset();
  for (const emulator of [openai, anthropic, gemini]) emulator.reset();
});

async function runApp(script: string, flag: '--import' | '--require', serviceName: string) {
  const result = await runFixture({
    script: fixture(script),
    nodeOptions: [flag, '@otel-preset/node/register'],
    env: {
      OTEL_SERVICE_NAME: serviceName,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_METRIC_EXPORT_INTERVAL: '300',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OPENAI_BASE_URL: openai.url,
      ANTHROPIC_BASE_URL: anthropic.url,
      GEMINI_BASE_URL: gemini.url,
    },
  });
  expect(result.stderr).not.toMatch(/Error|warn/i);
  expect(result.code).toBe(0);
  return result;
}

const genaiSpans = (spans: ReceivedSpan[]) => spans.filter((span) => span.scope.name === SCOPE);

/** Sum of a counter's values (or histogram sums) across exports, for points matching `match`. */
function total(metrics: ReceivedMetric[], name: string, match: Record<string, unknown>) {
  let sum = 0;
  for (const metric of metrics) {
    if (metric.name !== name || metric.scope.name !== SCOPE) continue;
    for (const point of metric.dataPoints) {
      if (!Object.entries(match).every(([key, value]) => point.attributes[key] === value)) continue;
      sum += point.value ?? point.sum ?? 0;
    }
  }
  return sum;
}

/** Metrics are cumulative: the last export of each metric holds the totals. */
function latest(metrics: ReceivedMetric[]) {
  const byName = new Map<string, ReceivedMetric>();
  for (const metric of metrics) if (metric.scope.name === SCOPE) byName.set(metric.name, metric);
  return [...byName.values()];
}

describe('ESM app under --import', () => {
  it('traces and meters all three providers, streamed and not', async () => {
    openai.enqueue({}, {}, {}, {}, {}, { status: 429 });
    const { stdout } = await runApp('genai-app.mjs', '--import', 'genai-esm');
    expect(stdout).toContain(
      'done chat=Hello from the emulator. streamed=Hello from the emulator. rateLimited=429 aiSdk=Hello from the emulator.',
    );
    const spans = genaiSpans(await receiver.waitForSpans((all) => genaiSpans(all).length >= 13, 20_000));
    const summary = spans
      .map((span) => [span.name, span.attributes['gen_ai.request.stream'] ?? false])
      .sort();
    expect(summary).toEqual(
      [
        ['chat acme-unpriced-1', false],
        ['chat claude-haiku-4-5', false],
        ['chat claude-haiku-4-5', true],
        ['chat gpt-4o', false],
        ['chat gpt-4o', false],
        ['chat gpt-4o', true],
        ['chat gpt-4o-mini', true],
        ['chat gpt-4.1-mini', false],
        ['invoke_agent', false],
        ['embeddings text-embedding-3-small', false],
        ['execute_tool lookup_order', false],
        ['generate_content gemini-2.5-flash', false],
        ['generate_content gemini-2.5-flash', true],
      ].sort(),
    );
    for (const span of spans.filter((s) => s.kind === 'CLIENT')) {
      expect(span.attributes['sentry.op']).toBe(`gen_ai.${span.attributes['gen_ai.operation.name']}`);
      expect(span.attributes['server.address']).toBe('127.0.0.1');
    }
    const streamedChat = spans.find((s) => s.name === 'chat gpt-4o' && s.attributes['gen_ai.request.stream']);
    expect(streamedChat?.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 8,
      'gen_ai.usage.total_tokens': 20,
    });
    expect(openai.requests[1]?.body.stream_options).toEqual({ include_usage: true });
    const failed = spans.find((s) => s.attributes['error.type']);
    expect(failed?.name).toBe('chat gpt-4o');
    expect(failed?.attributes['error.type']).toBe('RateLimitError');
    expect(failed?.status.code).toBe('ERROR');
    const anthropicStream = spans.find(
      (s) => s.name === 'chat claude-haiku-4-5' && s.attributes['gen_ai.request.stream'],
    );
    expect(anthropicStream?.attributes['gen_ai.provider.name']).toBe('anthropic');
    expect(anthropicStream?.attributes['gen_ai.usage.input_tokens']).toBe(12);
    const geminiStream = spans.find(
      (s) => s.name === 'generate_content gemini-2.5-flash' && s.attributes['gen_ai.request.stream'],
    );
    expect(geminiStream?.attributes['gen_ai.provider.name']).toBe('gcp.gemini');
    expect(geminiStream?.attributes['gen_ai.usage.output_tokens']).toBe(8);
    // The HTTP call to the emulator nests under the GenAI span.
    const http = (await receiver.spans()).filter((s) => s.parentSpanId === streamedChat?.spanId);
    expect(http.length).toBeGreaterThanOrEqual(1);
    // The AI SDK call: chat span under invoke_agent, with the provider's HTTP request under it.
    const aiSdkChat = spans.find((s) => s.name === 'chat gpt-4.1-mini');
    const agent = spans.find((s) => s.name === 'invoke_agent');
    expect(agent?.kind).toBe('INTERNAL');
    expect(aiSdkChat?.parentSpanId).toBe(agent?.spanId);
    expect(aiSdkChat?.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.response.model': 'gpt-4.1-mini',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 8,
      'server.port': openai.port,
    });
    const aiSdkHttp = (await receiver.spans()).filter((s) => s.parentSpanId === aiSdkChat?.spanId);
    expect(aiSdkHttp.map((s) => s.scope.name)).toEqual(['@opentelemetry/instrumentation-undici']);
    // The HTTP client span names the SDK's user agent, read from undici's header list.
    expect(http[0]?.attributes['user_agent.original']).toMatch(/^OpenAI\/JS /);
    expect(http[0]?.attributes['url.full']).toBe(`${openai.url}/chat/completions`);

    await receiver.waitForMetric('gen_ai.client.cost', (metric) =>
      metric.dataPoints.some((point) => point.attributes['gen_ai.provider.name'] === 'gcp.gemini'),
    );
    // HTTP client durations, one series per status: the rate-limited call apart, with its error type.
    const httpClient = receiver
      .metrics()
      .filter((metric) => metric.name === 'http.client.request.duration')
      .at(-1)
      ?.dataPoints.filter((point) => point.attributes['server.port'] === openai.port);
    const openaiSeries = (httpClient ?? [])
      .map((point) => point.attributes)
      .sort((a, b) =>
        String(a['http.response.status_code']).localeCompare(String(b['http.response.status_code'])),
      );
    expect(openaiSeries).toEqual([
      {
        'http.request.method': 'POST',
        'http.response.status_code': 200,
        'network.protocol.version': '1.1',
        'server.address': '127.0.0.1',
        'server.port': openai.port,
        'url.scheme': 'http',
      },
      {
        'error.type': '429',
        'http.request.method': 'POST',
        'http.response.status_code': 429,
        'network.protocol.version': '1.1',
        'server.address': '127.0.0.1',
        'server.port': openai.port,
        'url.scheme': 'http',
      },
    ]);
    const metrics = latest(receiver.metrics());
    const names = metrics.map((metric) => metric.name).sort();
    expect(names).toEqual([
      'gen_ai.client.cost',
      'gen_ai.client.cost.unpriced',
      'gen_ai.client.operation.duration',
      'gen_ai.client.operation.time_per_output_chunk',
      'gen_ai.client.operation.time_to_first_chunk',
      'gen_ai.client.token.usage',
    ]);
    const unit = Object.fromEntries(metrics.map((metric) => [metric.name, metric.unit]));
    expect(unit).toMatchObject({
      'gen_ai.client.cost': 'USD',
      'gen_ai.client.operation.duration': 's',
      'gen_ai.client.token.usage': '{token}',
    });
    // Two successful gpt-4o calls at 12 input / 8 output tokens each.
    const gpt4o = { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o' };
    expect(total(metrics, 'gen_ai.client.cost', { ...gpt4o, 'gen_ai.token.type': 'input' })).toBeCloseTo(
      2 * usd(12, 2.5),
      15,
    );
    expect(total(metrics, 'gen_ai.client.cost', { ...gpt4o, 'gen_ai.token.type': 'output' })).toBeCloseTo(
      2 * usd(8, 10),
      15,
    );
    expect(total(metrics, 'gen_ai.client.token.usage', { ...gpt4o, 'gen_ai.token.type': 'input' })).toBe(24);
    expect(
      total(metrics, 'gen_ai.client.cost', {
        'gen_ai.provider.name': 'anthropic',
        'gen_ai.token.type': 'output',
      }),
    ).toBeCloseTo(2 * usd(8, 5), 15);
    expect(
      total(metrics, 'gen_ai.client.cost', {
        'gen_ai.provider.name': 'gcp.gemini',
        'gen_ai.token.type': 'input',
      }),
    ).toBeCloseTo(2 * usd(12, 0.3), 15);
    const aiSdkModel = { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4.1-mini' };
    expect(
      total(metrics, 'gen_ai.client.token.usage', { ...aiSdkModel, 'gen_ai.token.type': 'output' }),
    ).toBe(8);
    expect(total(metrics, 'gen_ai.client.cost', aiSdkModel)).toBeCloseTo(usd(12, 0.4) + usd(8, 1.6), 15);
    expect(total(metrics, 'gen_ai.client.operation.duration', aiSdkModel)).toBeGreaterThan(0);
    expect(total(metrics, 'gen_ai.client.cost', { 'gen_ai.request.model': 'acme-unpriced-1' })).toBe(0);
    expect(total(metrics, 'gen_ai.client.cost.unpriced', { 'gen_ai.request.model': 'acme-unpriced-1' })).toBe(
      1,
    );
    const duration = metrics.find((metric) => metric.name === 'gen_ai.client.operation.duration');
    expect(
      duration?.dataPoints.find((point) => point.attributes['error.type'] === 'RateLimitError')?.count,
    ).toBe(1);
    const ttfc = metrics.find((metric) => metric.name === 'gen_ai.client.operation.time_to_first_chunk');
    expect(ttfc?.dataPoints.map((point) => point.attributes['gen_ai.request.model']).sort()).toEqual([
      'claude-haiku-4-5',
      'gemini-2.5-flash',
      'gpt-4o',
      'gpt-4o-mini',
    ]);
  });
});

describe('CommonJS app under --require', () => {
  it('traces and meters required SDKs', async () => {
    await runApp('genai-app.cjs', '--require', 'genai-cjs');
    const spans = genaiSpans(await receiver.waitForSpans((all) => genaiSpans(all).length >= 2, 20_000));
    expect(spans.map((span) => span.name).sort()).toEqual(['chat claude-haiku-4-5', 'chat gpt-4o']);
    for (const span of spans) expect(span.attributes['gen_ai.usage.output_tokens']).toBe(8);
    const usage = await receiver.waitForMetric(
      'gen_ai.client.token.usage',
      (metric) => metric.dataPoints.length >= 4,
    );
    expect(usage.dataPoints.map((point) => point.attributes['gen_ai.provider.name']).sort()).toEqual([
      'anthropic',
      'anthropic',
      'openai',
      'openai',
    ]);
  });
});
