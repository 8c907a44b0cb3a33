// SPDX-License-Identifier: Apache-2.0
// A Gemini API (generativelanguage) emulator: `:generateContent`, `:streamGenerateContent?alt=sse`
// (usage metadata on the last chunk), `:embedContent` and `:batchEmbedContents`.
import {
  DEFAULT_TEXT,
  type EmulatedUsage,
  type ProviderEmulator,
  type Reply,
  resolveUsage,
  type SseEvent,
  sendJson,
  sendSse,
  startEmulator,
  words,
} from './server.js';

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

function geminiError({ res, script }: Reply): boolean {
  if (!script.status) return false;
  const status = script.status;
  sendJson(res, status, {
    error: {
      code: status,
      message: script.errorMessage ?? `emulated ${status}`,
      status: STATUS_NAMES[status] ?? 'UNKNOWN',
    },
  });
  return true;
}

// Gemini's candidatesTokenCount excludes thinking tokens, which it reports apart.
function usageMetadata(usage: EmulatedUsage) {
  const candidates = usage.output - usage.reasoning;
  return {
    promptTokenCount: usage.input,
    candidatesTokenCount: candidates,
    totalTokenCount: usage.input + usage.output,
    ...(usage.cacheRead ? { cachedContentTokenCount: usage.cacheRead } : {}),
    ...(usage.reasoning ? { thoughtsTokenCount: usage.reasoning } : {}),
  };
}

const MODEL_ACTION =
  /\/models\/([^/:]+):(generateContent|streamGenerateContent|embedContent|batchEmbedContents)$/;
let sequence = 0;

async function models({ req, res, script }: Reply): Promise<boolean> {
  const match = req.method === 'POST' ? MODEL_ACTION.exec(req.path) : null;
  if (!match) return false;
  const [, pathModel = 'unknown', action] = match;
  const model = script.model ?? pathModel;
  const usage = resolveUsage(script);
  if (action === 'embedContent' || action === 'batchEmbedContents') {
    const count = action === 'batchEmbedContents' ? (req.body?.requests?.length ?? 1) : 1;
    const vectors = Array.from({ length: count }, (_, index) =>
      Array.from({ length: 4 }, (_, i) => (index + 1) / 10 + i / 100),
    );
    sendJson(
      res,
      200,
      action === 'embedContent'
        ? { embedding: { values: vectors[0] } }
        : { embeddings: vectors.map((values) => ({ values })) },
    );
    return true;
  }
  const toolCalls = script.toolCalls ?? [];
  const text = script.text ?? (toolCalls.length ? undefined : DEFAULT_TEXT);
  const responseId = `emu-${++sequence}`;
  const candidate = (parts: object[], finish?: string) => ({
    content: { role: 'model', parts },
    ...(finish ? { finishReason: finish } : {}),
    index: 0,
  });
  const toolParts = toolCalls.map((call) => ({ functionCall: { name: call.name, args: call.arguments } }));
  if (action === 'generateContent') {
    sendJson(res, 200, {
      candidates: [candidate([...(text ? [{ text }] : []), ...toolParts], 'STOP')],
      ...(usage ? { usageMetadata: usageMetadata(usage) } : {}),
      modelVersion: model,
      responseId,
    });
    return true;
  }
  const pieces: object[][] = [
    ...(text ? words(text).map((piece) => [{ text: piece }]) : []),
    ...toolParts.map((p) => [p]),
  ];
  const events: SseEvent[] = pieces.map((parts, index) => {
    const last = index === pieces.length - 1;
    return {
      data: JSON.stringify({
        candidates: [candidate(parts, last ? 'STOP' : undefined)],
        ...(last && usage ? { usageMetadata: usageMetadata(usage) } : {}),
        modelVersion: model,
        responseId,
      }),
    };
  });
  await sendSse(res, events, script.chunkDelayMs);
  return true;
}

/** Starts the emulator; give `url` to `new GoogleGenAI({ apiKey, httpOptions: { baseUrl: url } })`. */
export function startGeminiEmulator(): Promise<ProviderEmulator> {
  return startEmulator([geminiError, models]);
}
