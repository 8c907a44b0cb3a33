// SPDX-License-Identifier: Apache-2.0
// The contexts our requests run in. Same interface and semantics as the API's context class, cheaper
// on the request path, where each request derives several contexts (its span, the route holder, each
// operation's span, suppressed tracing for a library's own calls):
// - the API's class gives every instance three closures of its own (getValue, setValue, deleteValue);
//   under V8's Maglev tier those closures were a large share of what survived scavenges in an app's
//   first seconds of load (`gc.mjs`: 34 MiB survived over the first 5 s with them, 23 MiB with methods
//   on a prototype);
// - it copies its whole Map on every setValue. A context here is one entry and a link to the context it
//   was derived from: a setValue allocates one small object, and a lookup walks a chain that is as long
//   as the request's nesting (a handful of links).
import { type Context, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

// Code that derives contexts from contexts in a loop would build ever longer chains; past this length
// a context is rebuilt from its live entries only, so lookups stay short and overwritten values are freed.
const MAX_CHAIN = 16;

export class PresetContext implements Context {
  private constructor(
    private readonly parent: PresetContext | undefined,
    private readonly key: symbol | undefined,
    private readonly value: unknown,
    private readonly length: number,
  ) {}

  getValue(key: symbol): unknown {
    for (let at: PresetContext | undefined = this; at !== undefined; at = at.parent) {
      if (at.key === key) return at.value;
    }
    return undefined;
  }

  setValue(key: symbol, value: unknown): Context {
    return this.derive(key, value);
  }

  /** An entry whose value is undefined: the key's older entries stay hidden, and a rebuild drops it. */
  deleteValue(key: symbol): Context {
    return this.derive(key, undefined);
  }

  private derive(key: symbol, value: unknown): PresetContext {
    if (this.length < MAX_CHAIN) return new PresetContext(this, key, value, this.length + 1);
    // The nearest entry of each key wins; overwritten entries and undefined values are left out.
    const live = new Map<symbol, unknown>([[key, value]]);
    for (let at: PresetContext | undefined = this; at?.key !== undefined; at = at.parent) {
      if (!live.has(at.key)) live.set(at.key, at.value);
    }
    let rebuilt = PresetContext.ROOT as PresetContext;
    for (const [k, v] of live) {
      if (v !== undefined) rebuilt = new PresetContext(rebuilt, k, v, rebuilt.length + 1);
    }
    return rebuilt;
  }

  /** The empty context every request starts from (the API's ROOT_CONTEXT, as one of ours). */
  static readonly ROOT: Context = new PresetContext(undefined, undefined, undefined, 0);
}

/** Where no context is active, code gets our root instead of the API's, so what it derives is ours too. */
export class PresetContextManager extends AsyncLocalStorageContextManager {
  override active(): Context {
    const current = super.active();
    return current === ROOT_CONTEXT ? PresetContext.ROOT : current;
  }
}
