// SPDX-License-Identifier: Apache-2.0
// Whether prompts and completions may be recorded, and their semconv JSON shape
// (gen-ai-input-messages.json / gen-ai-output-messages.json: role + typed parts).

export type CaptureMode = 'NO_CONTENT' | 'SPAN_ONLY' | 'EVENT_ONLY' | 'SPAN_AND_EVENT';

export const CAPTURE_ENV = 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT';
const MODES: readonly CaptureMode[] = ['NO_CONTENT', 'SPAN_ONLY', 'EVENT_ONLY', 'SPAN_AND_EVENT'];

let warnedValue: string | undefined;

/**
 * Reads the capture mode. Accepts the boolean spelling of @opentelemetry/instrumentation-openai
 * (`true` means on the span) and the enum of the Python GenAI utilities, in any case.
 */
export function parseCaptureMode(value: string | boolean | undefined): CaptureMode {
  if (value === undefined || value === '') return 'NO_CONTENT';
  if (typeof value === 'boolean') return value ? 'SPAN_ONLY' : 'NO_CONTENT';
  const normalized = value.trim().toUpperCase();
  if (normalized === 'TRUE') return 'SPAN_ONLY';
  if (normalized === 'FALSE') return 'NO_CONTENT';
  if ((MODES as readonly string[]).includes(normalized)) return normalized as CaptureMode;
  if (warnedValue !== value) {
    warnedValue = value;
    console.warn(
      `@otel-preset/instrumentation-genai: ${CAPTURE_ENV}=${JSON.stringify(value)} is not true, false, ${MODES.join(', ')}; using NO_CONTENT`,
    );
  }
  return 'NO_CONTENT';
}

export const onSpan = (mode: CaptureMode) => mode === 'SPAN_ONLY' || mode === 'SPAN_AND_EVENT';
export const onEvent = (mode: CaptureMode) => mode === 'EVENT_ONLY' || mode === 'SPAN_AND_EVENT';

export type MessagePart =
  | { type: 'text'; content: string }
  | { type: 'reasoning'; content: string }
  | { type: 'tool_call'; id?: string; name: string; arguments?: unknown }
  | { type: 'tool_call_response'; id?: string; response: unknown }
  | { type: string; [key: string]: unknown };

export interface ChatMessage {
  role: string;
  parts: MessagePart[];
  finish_reason?: string;
}

/** Parses a JSON arguments string when it is JSON; otherwise keeps the text. */
export function parseArguments(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** String content, or an array of typed blocks as several SDKs accept, as semconv parts. */
export function partsFromContent(content: unknown): MessagePart[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return [{ type: 'text', content }];
  if (!Array.isArray(content)) return [{ type: 'unknown', content: safeClone(content) }];
  return content.map((block): MessagePart => {
    if (typeof block === 'string') return { type: 'text', content: block };
    const item = (block ?? {}) as Record<string, unknown>;
    const text = item.text ?? item.content;
    if (typeof text === 'string' && /text/.test(String(item.type ?? 'text')))
      return { type: 'text', content: text };
    if (item.type === 'tool_use')
      return { type: 'tool_call', id: item.id as string, name: String(item.name), arguments: item.input };
    if (item.type === 'tool_result')
      return {
        type: 'tool_call_response',
        id: item.tool_use_id as string,
        response: safeClone(item.content),
      };
    if (item.type === 'thinking') return { type: 'reasoning', content: String(item.thinking ?? '') };
    // Images, audio and files: record that they were there, not their bytes.
    return { type: String(item.type ?? 'unknown') };
  });
}

function safeClone(value: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(value));
  } catch {
    return String(value);
  }
}

export function toJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}
