// SPDX-License-Identifier: Apache-2.0
// AI SDK messages and content parts (`ModelMessage`, provider result content) in the semconv message
// shape. Only read when content capture is on, and the AI SDK already drops them from its telemetry
// events when the call sets `recordInputs` / `recordOutputs` to false.
import { type ChatMessage, type MessagePart, parseArguments } from '../content.js';
import { type Obj, obj, str } from '../providers/common.js';

function toolOutput(output: unknown): unknown {
  const value = obj(output);
  // `{ type: 'text' | 'json' | 'error-text' | ..., value }`: keep the value, not the envelope.
  return value && 'value' in value ? value.value : output;
}

export function partOf(item: unknown): MessagePart {
  const part = obj(item) ?? {};
  switch (part.type) {
    case 'text':
      return { type: 'text', content: String(part.text ?? '') };
    case 'reasoning':
      return { type: 'reasoning', content: String(part.text ?? '') };
    case 'tool-call':
      return {
        type: 'tool_call',
        id: str(part.toolCallId),
        name: String(part.toolName),
        arguments: parseArguments(part.input),
      };
    case 'tool-result':
      return { type: 'tool_call_response', id: str(part.toolCallId), response: toolOutput(part.output) };
    default:
      // Files, images, sources and approvals: record that they were there, not their bytes.
      return { type: String(part.type ?? 'unknown') };
  }
}

export function partsOf(content: unknown): MessagePart[] {
  if (typeof content === 'string') return [{ type: 'text', content }];
  return Array.isArray(content) ? content.map(partOf) : [];
}

/** `instructions` is a string, a system message, or a list of them. */
function instructionParts(instructions: unknown): MessagePart[] {
  if (instructions === undefined || instructions === null) return [];
  if (Array.isArray(instructions)) return instructions.flatMap(instructionParts);
  if (typeof instructions === 'string') return [{ type: 'text', content: instructions }];
  return partsOf(obj(instructions)?.content);
}

/** The prompt of a `languageModelCall` event. */
export function inputContent(event: Obj) {
  const systemInstructions = instructionParts(event.instructions ?? event.system);
  const inputMessages: ChatMessage[] = [];
  for (const message of Array.isArray(event.messages) ? event.messages : []) {
    const { role, content } = obj(message) ?? {};
    if (role === 'system') systemInstructions.push(...partsOf(content));
    else inputMessages.push({ role: String(role ?? 'user'), parts: partsOf(content) });
  }
  return { inputMessages, systemInstructions };
}
