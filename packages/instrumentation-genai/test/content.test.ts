// SPDX-License-Identifier: Apache-2.0
// Content capture: off by default, both env spellings, and what lands on the span when on.
import { type ProviderEmulator, startOpenAIEmulator } from '@otel-preset/test-utils';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseCaptureMode } from '../src/content.js';
import { requireSdk, reset, setUpInstrumentation, spans } from './setup.js';

describe('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT', () => {
  it('accepts the boolean and the enum spellings', () => {
    expect(parseCaptureMode(undefined)).toBe('NO_CONTENT');
    expect(parseCaptureMode('true')).toBe('SPAN_ONLY');
    expect(parseCaptureMode('False')).toBe('NO_CONTENT');
    expect(parseCaptureMode('span_and_event')).toBe('SPAN_AND_EVENT');
    expect(parseCaptureMode('EVENT_ONLY')).toBe('EVENT_ONLY');
    expect(parseCaptureMode(true)).toBe('SPAN_ONLY');
  });

  it('prints one line naming the variable, the value and the fallback for a malformed value', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(parseCaptureMode('yes please')).toBe('NO_CONTENT');
    expect(parseCaptureMode('yes please')).toBe('NO_CONTENT');
    expect(warn).toHaveBeenCalledTimes(1);
    const line = String(warn.mock.calls[0]?.[0]);
    expect(line).not.toContain('\n');
    expect(line).toContain('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="yes please"');
    expect(line).toContain('using NO_CONTENT');
    warn.mockRestore();
  });
});

describe('captured content', () => {
  const instrumentation = setUpInstrumentation({ captureMessageContent: 'SPAN_ONLY' });
  const { OpenAI } = requireSdk('openai') as typeof import('openai');
  let emulator: ProviderEmulator;
  let client: InstanceType<typeof OpenAI>;
  beforeAll(async () => {
    emulator = await startOpenAIEmulator();
    client = new OpenAI({ apiKey: 'test-key', baseURL: emulator.url, maxRetries: 0 });
  });
  afterAll(() => emulator.close());
  beforeEach(reset);

  const messages = [
    { role: 'system' as const, content: 'Be brief.' },
    { role: 'user' as const, content: 'Weather in Paris?' },
  ];

  it('is absent by default', async () => {
    instrumentation.setConfig({});
    await client.chat.completions.create({ model: 'gpt-4o', messages });
    const keys = Object.keys(spans()[0]?.attributes ?? {});
    expect(keys.filter((key) => /messages|instructions/.test(key))).toEqual([]);
  });

  it('records semconv input, output and system instruction JSON when on', async () => {
    instrumentation.setConfig({ captureMessageContent: 'SPAN_ONLY' });
    emulator.enqueue({
      text: 'Sunny.',
      toolCalls: [{ id: 'c1', name: 'weather', arguments: { city: 'Paris' } }],
    });
    await client.chat.completions.create({ model: 'gpt-4o', messages });
    const attributes = spans()[0]?.attributes ?? {};
    expect(JSON.parse(String(attributes['gen_ai.system_instructions']))).toEqual([
      { type: 'text', content: 'Be brief.' },
    ]);
    expect(JSON.parse(String(attributes['gen_ai.input.messages']))).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'Weather in Paris?' }] },
    ]);
    expect(JSON.parse(String(attributes['gen_ai.output.messages']))).toEqual([
      {
        role: 'assistant',
        parts: [
          { type: 'text', content: 'Sunny.' },
          { type: 'tool_call', id: 'c1', name: 'weather', arguments: { city: 'Paris' } },
        ],
        finish_reason: 'tool_calls',
      },
    ]);
    expect(JSON.parse(String(attributes['gen_ai.response.tool_calls']))).toEqual([
      { type: 'function', id: 'c1', name: 'weather', arguments: { city: 'Paris' } },
    ]);
  });
});
