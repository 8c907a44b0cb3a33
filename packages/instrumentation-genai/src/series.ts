// SPDX-License-Identifier: Apache-2.0
// Metric attributes kept per series and frozen. An operation records about five measurements (duration,
// input and output tokens, cost by token type) and the metrics SDK hashes the attribute object of each
// one, sorting and serializing it; handed the same frozen object, the SDK bundled by @otel-preset/node
// hashes it once. Series are few (operation × provider × model × server × token or error type); the
// limit only bounds memory should model names be unbounded.
import type { Attributes, AttributeValue } from '@opentelemetry/api';

const LIMIT = 2000;
const byKey = new Map<string, Attributes>();

/** The frozen attributes equal to `attributes`, with `key` set to `value` when a key is given. */
export function seriesAttributes(attributes: Attributes, key?: string, value?: AttributeValue): Attributes {
  let id = '';
  for (const name in attributes) id += `${name}\u0001${typeof attributes[name]}:${attributes[name]}\u0002`;
  if (key !== undefined) id += `${key}\u0001${typeof value}:${value}\u0002`;
  let frozen = byKey.get(id);
  if (frozen === undefined) {
    if (byKey.size >= LIMIT) byKey.clear();
    frozen = Object.freeze(key === undefined ? { ...attributes } : { ...attributes, [key]: value });
    byKey.set(id, frozen);
  }
  return frozen;
}
