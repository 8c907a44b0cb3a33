// SPDX-License-Identifier: Apache-2.0

export {
  COLLECTOR_BINARY,
  COLLECTOR_CONFIG,
  type CollectorOptions,
  type CollectorPorts,
  collectorAvailable,
  type RunningCollector,
  startCollector,
} from './collector.js';
export * from './emulators/browserbase.js';
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
  type Envelope,
  type EnvelopeItem,
  type SentryEmulator,
  type SentryEmulatorOptions,
  type SentryOutage,
  type SentryRequestRecord,
  startSentryEmulator,
} from './emulators/sentry.js';
export {
  type Fixture,
  type FixtureExit,
  type FixtureOptions,
  type FixtureResult,
  type ProcessOptions,
  type RunFixtureOptions,
  runFixture,
  startFixture,
  startProcess,
  stopAllFixtures,
} from './fixture.js';
export { freePort } from './free-port.js';
export { childSpansOf, type InProcessSdk, inSpan, installInProcessSdk, waitFor } from './in-process-sdk.js';
export { type Load, type LoadReport, startLoad } from './load.js';
export { type LoopbackServer, serveOnLoopback } from './loopback.js';
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
export { pollUntil } from './poll.js';
export { rssMiB, slope } from './process-stats.js';
export {
  PROMETHEUS_BINARY,
  type PrometheusOptions,
  type PromSample,
  type RunningPrometheus,
  type ScrapeJob,
  startPrometheus,
} from './prometheus.js';
export { type Cleanup as ServiceCleanup, findOnPath, startPostgres, startRedis } from './services.js';
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
