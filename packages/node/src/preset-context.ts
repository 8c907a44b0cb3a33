// SPDX-License-Identifier: Apache-2.0
// The contexts our requests run in. The API's own context class gives every instance three closures
// of its own (getValue, setValue, deleteValue); a request makes several contexts (its span, the route
// holder, each client span), and under V8's Maglev tier those closures are a large share of what
// survives scavenges in an app's first seconds of load (`gc.mjs`: 34 MiB survived over the first 5 s
// with them, 23 MiB with methods on a prototype). Same interface and semantics, methods shared.
import { type Context, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

export class PresetContext implements Context {
  private constructor(private readonly values: ReadonlyMap<symbol, unknown>) {}

  getValue(key: symbol): unknown {
    return this.values.get(key);
  }

  setValue(key: symbol, value: unknown): Context {
    const values = new Map(this.values);
    values.set(key, value);
    return new PresetContext(values);
  }

  deleteValue(key: symbol): Context {
    const values = new Map(this.values);
    values.delete(key);
    return new PresetContext(values);
  }

  /** The empty context every request starts from (the API's ROOT_CONTEXT, as one of ours). */
  static readonly ROOT: Context = new PresetContext(new Map());
}

/** Where no context is active, code gets our root instead of the API's, so what it derives is ours too. */
export class PresetContextManager extends AsyncLocalStorageContextManager {
  override active(): Context {
    const current = super.active();
    return current === ROOT_CONTEXT ? PresetContext.ROOT : current;
  }
}
