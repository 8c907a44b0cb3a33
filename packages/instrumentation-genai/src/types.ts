// SPDX-License-Identifier: Apache-2.0
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import type { CaptureMode } from './content.js';
import type { PriceTable } from './pricing.js';

export interface GenAIInstrumentationConfig extends InstrumentationConfig {
  /**
   * Record prompts and completions. Default: OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT,
   * else off. `true` means `SPAN_ONLY`.
   */
  captureMessageContent?: boolean | CaptureMode;
  /** Prices (USD per 1M tokens) merged over the built-in table: `{ provider: { model: price } }`. */
  prices?: PriceTable;
  /** A JSON price file merged over the built-in table. Default: OTEL_PRESET_GENAI_PRICES_FILE. */
  pricesFile?: string;
  /**
   * Add `stream_options.include_usage` to streamed OpenAI chat completions that do not set it, so
   * streams report tokens (the extra usage chunk is kept from the caller). Default true; turn off
   * for OpenAI-compatible servers that reject the option.
   */
  injectStreamUsage?: boolean;
}
