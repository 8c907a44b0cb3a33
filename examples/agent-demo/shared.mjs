// SPDX-License-Identifier: Apache-2.0
// What the API and the worker share: connections and clients, all configured from the environment
// the way a deployed service would be. Nothing here knows about telemetry.
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import pg from 'pg';

const redisUrl = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
export const connection = { host: redisUrl.hostname, port: Number(redisUrl.port || 6379) };
export const queueOptions = { connection, prefix: process.env.QUEUE_PREFIX ?? 'agent-demo' };

// A small pool on purpose: bursts of slow report queries make clients wait for a connection.
export const pool = new pg.Pool({
  connectionString: process.env.PG_URL,
  max: Number(process.env.PG_POOL_MAX ?? 4),
});

// The SDKs read OPENAI_BASE_URL, ANTHROPIC_BASE_URL and their API keys from the environment.
export const openai = new OpenAI({ maxRetries: 0 });
export const anthropic = new Anthropic({ maxRetries: 0 });
export const gemini = new GoogleGenAI({
  apiKey: process.env.GEMINI_API_KEY,
  httpOptions: process.env.GEMINI_BASE_URL ? { baseUrl: process.env.GEMINI_BASE_URL } : undefined,
});

export const MODELS = { openai: 'gpt-4o-mini', anthropic: 'claude-haiku-4-5', gemini: 'gemini-2.5-flash' };

/** One prompt to any provider; streamed when asked, so time to first chunk is measured. */
export async function complete(provider, prompt, { stream = false } = {}) {
  const messages = [{ role: 'user', content: prompt }];
  if (provider === 'openai') {
    if (!stream) {
      const reply = await openai.chat.completions.create({ model: MODELS.openai, messages });
      return reply.choices[0]?.message.content ?? '';
    }
    let text = '';
    for await (const chunk of await openai.chat.completions.create({
      model: MODELS.openai,
      messages,
      stream: true,
    }))
      text += chunk.choices[0]?.delta.content ?? '';
    return text;
  }
  if (provider === 'anthropic') {
    const request = { model: MODELS.anthropic, max_tokens: 256, messages };
    const reply = stream
      ? await anthropic.messages.stream(request).finalMessage()
      : await anthropic.messages.create(request);
    return reply.content.map((part) => part.text ?? '').join('');
  }
  if (provider === 'gemini') {
    if (!stream)
      return (await gemini.models.generateContent({ model: MODELS.gemini, contents: prompt })).text;
    let text = '';
    for await (const chunk of await gemini.models.generateContentStream({
      model: MODELS.gemini,
      contents: prompt,
    }))
      text += chunk.text ?? '';
    return text;
  }
  throw new Error(`unknown provider ${provider}`);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
