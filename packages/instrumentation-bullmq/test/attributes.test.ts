// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { operationAttributes, withErrorType } from '../src/attributes.js';

describe('operationAttributes', () => {
  it('hands out one frozen object per series, so the metrics SDK can hash it once', () => {
    const first = operationAttributes('send', 'emails', 'welcome');
    expect(first).toEqual({
      'messaging.system': 'bullmq',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.destination.name': 'emails',
      'bullmq.job.name': 'welcome',
    });
    expect(Object.isFrozen(first)).toBe(true);
    expect(operationAttributes('send', 'emails', 'welcome')).toBe(first);
  });

  it('keeps series apart whatever their names hold', () => {
    const a = operationAttributes('process', 'a\u0000b', 'c');
    const b = operationAttributes('process', 'a', 'b\u0000c');
    expect(a).not.toBe(b);
    expect(a['messaging.destination.name']).toBe('a\u0000b');
    expect(operationAttributes('send', 'emails')).not.toHaveProperty('bullmq.job.name');
    expect(operationAttributes('send', 'emails', '')).toHaveProperty('bullmq.job.name', '');
  });

  it('adds the error class to a copy, leaving the shared set untouched', () => {
    const shared = operationAttributes('send', 'emails');
    const failed = withErrorType(shared, new TypeError('boom'));
    expect(failed).toMatchObject({ 'error.type': 'TypeError', 'messaging.destination.name': 'emails' });
    expect(shared).not.toHaveProperty('error.type');
  });
});
