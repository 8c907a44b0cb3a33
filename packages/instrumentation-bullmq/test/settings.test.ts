// SPDX-License-Identifier: Apache-2.0
import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { errorType } from '../src/attributes.js';
import { ENV_CONTEXT, resolveSettings } from '../src/settings.js';

function captureWarnings(): string[] {
  const warnings: string[] = [];
  const logger: DiagLogger = {
    error: () => {},
    warn: (message) => warnings.push(message),
    info: () => {},
    debug: () => {},
    verbose: () => {},
  };
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  return warnings;
}

afterEach(() => diag.disable());

describe('resolveSettings', () => {
  it('defaults to parent, backlog metrics on, a 1 s poll bound, body sizes and no Redis spans', () => {
    expect(resolveSettings({}, {})).toEqual({
      contextPropagation: 'parent',
      queueBacklogMetrics: true,
      backlogTimeoutMs: 1000,
      messageBodySize: true,
      redisSpans: false,
    });
    expect(resolveSettings({ redisSpans: true }, {}).redisSpans).toBe(true);
  });

  it(`reads ${ENV_CONTEXT} case-insensitively, and the config option wins over it`, () => {
    expect(resolveSettings({}, { [ENV_CONTEXT]: ' LINK ' }).contextPropagation).toBe('link');
    expect(
      resolveSettings({ contextPropagation: 'parent' }, { [ENV_CONTEXT]: 'link' }).contextPropagation,
    ).toBe('parent');
  });

  it('warns once, naming the variable, the value and the fallback, for a malformed value', () => {
    const warnings = captureWarnings();
    expect(resolveSettings({}, { [ENV_CONTEXT]: 'sideways' }).contextPropagation).toBe('parent');
    expect(warnings).toEqual([`${ENV_CONTEXT}="sideways" is not one of parent, link; using parent.`]);
  });

  it('ignores a non-positive poll bound', () => {
    expect(resolveSettings({ backlogTimeoutMs: 0 }, {}).backlogTimeoutMs).toBe(1000);
    expect(resolveSettings({ backlogTimeoutMs: 250 }, {}).backlogTimeoutMs).toBe(250);
  });
});

describe('errorType', () => {
  it('uses the class name, never the message', () => {
    class QuotaError extends Error {}
    expect(errorType(new QuotaError('user 42 over quota'))).toBe('QuotaError');
    expect(errorType(new TypeError('x'))).toBe('TypeError');
    expect(errorType(new Error('x'))).toBe('Error');
    expect(errorType('a string')).toBe('_OTHER');
  });
});
