// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { allowOnly } from '../src/metrics.js';

describe('allowOnly', () => {
  const processor = allowOnly(['http.request.method', 'http.route']);

  it('passes an attribute set holding only allowed keys on as the same object', () => {
    const attributes = Object.freeze({ 'http.request.method': 'GET', 'http.route': '/users/:id' });
    expect(processor.process(attributes)).toBe(attributes);
  });

  it('drops other keys from a copy and leaves the original alone', () => {
    const attributes = Object.freeze({ 'http.request.method': 'GET', 'url.path': '/users/7', 'user.id': 7 });
    const kept = processor.process(attributes);
    expect(kept).toEqual({ 'http.request.method': 'GET' });
    expect(attributes).toEqual({ 'http.request.method': 'GET', 'url.path': '/users/7', 'user.id': 7 });
  });
});
