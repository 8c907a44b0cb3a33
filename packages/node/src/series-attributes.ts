// SPDX-License-Identifier: Apache-2.0
// Metric attributes kept per series and frozen: the bundled metrics SDK hashes a frozen attribute
// object once instead of on every measurement (scripts/build.mjs), and the request path allocates no
// attribute object for a series it has seen.
import type { Attributes } from '@opentelemetry/api';

export class SeriesAttributes {
  private readonly byKey = new Map<string, Attributes>();

  /** `limit` bounds memory when keys are unbounded; past it the cache starts over. */
  constructor(private readonly limit = 2000) {}

  get(key: string): Attributes | undefined {
    return this.byKey.get(key);
  }

  /** Freezes `attributes` and keeps them under `key`. */
  add(key: string, attributes: Attributes): Attributes {
    if (this.byKey.size >= this.limit) this.byKey.clear();
    this.byKey.set(key, Object.freeze(attributes));
    return attributes;
  }
}
