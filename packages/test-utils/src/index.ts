// SPDX-License-Identifier: Apache-2.0

export {
  DEFAULT_TEXT,
  DEFAULT_USAGE,
  type EmulatedRequest,
  type EmulatedToolCall,
  type EmulatedUsage,
  emulatedEmbedding,
  type ProviderEmulator,
  type ReplyScript,
  startAnthropicEmulator,
  startGeminiEmulator,
  startOpenAIEmulator,
} from './emulators/index.js';
export {
  type Fixture,
  type FixtureExit,
  type FixtureOptions,
  type FixtureResult,
  type RunFixtureOptions,
  runFixture,
  startFixture,
  stopAllFixtures,
} from './fixture.js';
export { freePort } from './free-port.js';
export type {
  Attributes,
  ExponentialBuckets,
  InstrumentationScopeInfo,
  MetricType,
  ReceivedDataPoint,
  ReceivedMetric,
  ReceivedSpan,
  ReceivedSpanEvent,
  ReceivedSpanLink,
  SpanKindName,
  StatusCodeName,
  Temporality,
} from './otlp-normalize.js';
export {
  type OtlpReceiver,
  type OtlpReceiverOptions,
  type ReceivedRequest,
  startOtlpReceiver,
} from './otlp-receiver.js';
export {
  childrenOf,
  type FormatSpansOptions,
  findSpan,
  findSpans,
  formatSpans,
  type SpanQuery,
  spanMatches,
  traceOf,
} from './span-tree.js';
