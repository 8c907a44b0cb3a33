// SPDX-License-Identifier: Apache-2.0
// Patches the three provider SDKs. Each patched method builds an Operation (span + metrics); if that
// fails for any reason the original method runs untouched.
import { diag } from '@opentelemetry/api';
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  isWrapped,
} from '@opentelemetry/instrumentation';
import { AiSdkChannel } from './ai-sdk/channel.js';
import { insideAiSdkModelCall } from './ai-sdk/scope.js';
import { CAPTURE_ENV, type CaptureMode, parseCaptureMode } from './content.js';
import { createMetrics, type GenAIMetrics } from './metrics.js';
import { Operation, type OperationDeps, type OperationRequest } from './operation.js';
import { Pricing } from './pricing.js';
import { patchMessagesCreate, patchMessagesStream } from './providers/anthropic.js';
import type { StartOperation } from './providers/common.js';
import { patchEmbedContent, patchGenerateContent } from './providers/google.js';
import { patchChatCompletions, patchEmbeddings, patchResponses } from './providers/openai.js';
import { registerLiveTelemetry } from './telemetry.js';
import type { GenAIInstrumentationConfig } from './types.js';
import { PACKAGE_NAME, VERSION } from './version.js';

type Method = (...args: unknown[]) => unknown;
type Patch = (original: Method) => Method;
type Target = { proto: object | undefined; method: string; patch: Patch };

/** ESM namespaces (import-in-the-middle) and CJS exports both reach the same classes. */
function moduleExports(loaded: unknown): Record<string, unknown> {
  const exports = (loaded ?? {}) as Record<string | symbol, unknown>;
  return exports;
}

function prototypeOf(value: unknown): object | undefined {
  const proto = (value as { prototype?: unknown } | undefined)?.prototype;
  return proto && typeof proto === 'object' ? proto : undefined;
}

export class GenAIInstrumentation extends InstrumentationBase<GenAIInstrumentationConfig> {
  private pricing: Pricing;
  private metricInstruments: GenAIMetrics;
  private capture: CaptureMode;
  /** The Vercel AI SDK (`ai` v7) is observed through its diagnostics channel, not patched. */
  private aiSdk: AiSdkChannel | undefined;

  constructor(config: GenAIInstrumentationConfig = {}) {
    super(PACKAGE_NAME, VERSION, config);
    this.capture = parseCaptureMode(config.captureMessageContent ?? process.env[CAPTURE_ENV]);
    this.pricing = Pricing.load(config);
    this.metricInstruments = createMetrics(this.meter);
    registerLiveTelemetry({ metrics: this.metricInstruments, pricing: this.pricing });
    this.aiSdk = new AiSdkChannel(() => (this.isEnabled() ? this.operationDeps() : undefined));
    // The base constructor's enable() ran before this field existed.
    if (this.isEnabled()) this.aiSdk.subscribe();
  }

  override enable(): void {
    super.enable();
    this.aiSdk?.subscribe();
  }

  override disable(): void {
    super.disable();
    this.aiSdk?.unsubscribe();
  }

  override setConfig(config: GenAIInstrumentationConfig = {}): void {
    super.setConfig(config);
    // setConfig runs inside the base constructor too, before the fields exist.
    if (!this.pricing) return;
    this.capture = parseCaptureMode(config.captureMessageContent ?? process.env[CAPTURE_ENV]);
    this.pricing = Pricing.load(config);
    registerLiveTelemetry({ metrics: this.metricInstruments, pricing: this.pricing });
  }

  protected override _updateMetricInstruments(): void {
    // Called from the base constructor before the fields exist, then on every setMeterProvider.
    if (!this.pricing) return;
    this.metricInstruments = createMetrics(this.meter);
    registerLiveTelemetry({ metrics: this.metricInstruments, pricing: this.pricing });
  }

  private operationDeps(): OperationDeps {
    return {
      tracer: this.tracer,
      logger: this.logger,
      telemetry: { metrics: this.metricInstruments, pricing: this.pricing },
      capture: this.capture,
    };
  }

  private readonly startOperation: StartOperation = (request: OperationRequest) => {
    // Inside an AI SDK model call the AI SDK's events already describe this request: one span,
    // tokens counted once.
    if (!this.isEnabled() || insideAiSdkModelCall()) return undefined;
    try {
      return new Operation(this.operationDeps(), request);
    } catch (error) {
      diag.debug(`${PACKAGE_NAME}: could not start a span`, error);
      return undefined;
    }
  };

  private wrapAll(targets: Target[]) {
    for (const { proto, method, patch } of targets) {
      if (!proto) continue;
      const current = (proto as Record<string, unknown>)[method];
      if (typeof current !== 'function' || isWrapped(current)) continue;
      this._wrap(proto as Record<string, Method>, method, patch);
    }
  }

  private unwrapAll(targets: Target[]) {
    for (const { proto, method } of targets) {
      if (proto && isWrapped((proto as Record<string, unknown>)[method]))
        this._unwrap(proto as Record<string, Method>, method);
    }
  }

  private openAITargets(loaded: unknown): Target[] {
    const exports = moduleExports(loaded);
    const OpenAI = (exports.OpenAI ?? exports.default) as Record<string, unknown> | undefined;
    const start = this.startOperation;
    return [
      {
        proto: prototypeOf((OpenAI?.Chat as Record<string, unknown> | undefined)?.Completions),
        method: 'create',
        patch: patchChatCompletions(start, {
          injectStreamUsage: () => this.getConfig().injectStreamUsage !== false,
        }),
      },
      { proto: prototypeOf(OpenAI?.Responses), method: 'create', patch: patchResponses(start) },
      { proto: prototypeOf(OpenAI?.Embeddings), method: 'create', patch: patchEmbeddings(start) },
    ];
  }

  private anthropicTargets(loaded: unknown): Target[] {
    const exports = moduleExports(loaded);
    const Anthropic = (exports.Anthropic ?? exports.default) as Record<string, unknown> | undefined;
    const messages = prototypeOf(Anthropic?.Messages);
    return [
      { proto: messages, method: 'create', patch: patchMessagesCreate(this.startOperation) },
      { proto: messages, method: 'stream', patch: patchMessagesStream() },
    ];
  }

  private googleTargets(loaded: unknown): Target[] {
    const models = prototypeOf(moduleExports(loaded).Models);
    const start = this.startOperation;
    return [
      { proto: models, method: 'generateContentInternal', patch: patchGenerateContent(start, false) },
      { proto: models, method: 'generateContentStreamInternal', patch: patchGenerateContent(start, true) },
      { proto: models, method: 'embedContentInternal', patch: patchEmbedContent(start) },
    ];
  }

  protected init() {
    const definition = (name: string, versions: string[], targets: (loaded: unknown) => Target[]) =>
      new InstrumentationNodeModuleDefinition(
        name,
        versions,
        (loaded) => {
          try {
            this.wrapAll(targets(loaded));
          } catch (error) {
            diag.debug(`${PACKAGE_NAME}: could not patch ${name}`, error);
          }
          return loaded;
        },
        (loaded) => {
          if (!loaded) return;
          try {
            this.unwrapAll(targets(loaded));
          } catch (error) {
            diag.debug(`${PACKAGE_NAME}: could not unpatch ${name}`, error);
          }
        },
      );
    return [
      definition('openai', ['>=4.19.0 <8'], (loaded) => this.openAITargets(loaded)),
      definition('@anthropic-ai/sdk', ['>=0.20.0 <2'], (loaded) => this.anthropicTargets(loaded)),
      definition('@google/genai', ['>=1.0.0 <4'], (loaded) => this.googleTargets(loaded)),
    ];
  }
}
