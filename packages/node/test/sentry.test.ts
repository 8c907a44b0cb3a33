// SPDX-License-Identifier: Apache-2.0
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sentryCollectorEnv, sentryOtlpTarget } from '../src/sentry.js';

describe('sentryOtlpTarget', () => {
  it.each([
    [
      'https://abc123@o447951.ingest.sentry.io/5678',
      'https://o447951.ingest.sentry.io/api/5678/integration/otlp/v1/traces',
      'sentry sentry_key=abc123',
    ],
    [
      'https://k3y@o203117.ingest.us.sentry.io/4508',
      'https://o203117.ingest.us.sentry.io/api/4508/integration/otlp/v1/traces',
      'sentry sentry_key=k3y',
    ],
    // Self-hosted Sentry under a path prefix keeps the prefix; a port stays on the host.
    [
      'https://public@sentry.example.test:9000/sentry/42',
      'https://sentry.example.test:9000/sentry/api/42/integration/otlp/v1/traces',
      'sentry sentry_key=public',
    ],
    [
      'http://key@127.0.0.1:4567/1',
      'http://127.0.0.1:4567/api/1/integration/otlp/v1/traces',
      'sentry sentry_key=key',
    ],
    // Legacy DSNs with a secret: only the public key is sent.
    [
      'https://pub:secret@o1.ingest.sentry.io/7',
      'https://o1.ingest.sentry.io/api/7/integration/otlp/v1/traces',
      'sentry sentry_key=pub',
    ],
  ])('maps %s', (dsn, tracesUrl, authHeader) => {
    expect(sentryOtlpTarget(dsn)).toEqual({ tracesUrl, authHeader });
  });

  it.each([
    'not a url',
    'https://o1.ingest.sentry.io/7', // no public key
    'https://key@o1.ingest.sentry.io/', // no project
    'https://key@o1.ingest.sentry.io/project-slug', // project ids are numeric
    'ftp://key@host/1',
  ])('rejects %s', (dsn) => {
    expect(sentryOtlpTarget(dsn)).toBeUndefined();
  });
});

describe('sentryCollectorEnv', () => {
  it('routes sampled traces to Sentry when a DSN is given, and leaves the default otherwise', () => {
    expect(sentryCollectorEnv('https://abc@o1.ingest.sentry.io/2')).toEqual({
      SENTRY_OTLP_TRACES_URL: 'https://o1.ingest.sentry.io/api/2/integration/otlp/v1/traces',
      SENTRY_OTLP_AUTH: 'sentry sentry_key=abc',
      OTEL_PRESET_TRACES_EXPORTERS: '[otlp_http/sentry]',
    });
    expect(sentryCollectorEnv(undefined)).toEqual({});
    expect(sentryCollectorEnv('garbage')).toEqual({});
  });
});

describe('otel-preset sentry-env', () => {
  const cli = fileURLToPath(new URL('../dist/cli.cjs', import.meta.url));
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [cli, 'sentry-env', ...args], {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '', ...env },
    });

  it('prints .env lines for SENTRY_DSN, and shell exports with --shell', () => {
    const dotenv = run([], { SENTRY_DSN: 'https://abc@o1.ingest.sentry.io/2' });
    expect(dotenv.status).toBe(0);
    expect(dotenv.stdout).toBe(
      'SENTRY_OTLP_TRACES_URL=https://o1.ingest.sentry.io/api/2/integration/otlp/v1/traces\n' +
        'SENTRY_OTLP_AUTH=sentry sentry_key=abc\n' +
        'OTEL_PRESET_TRACES_EXPORTERS=[otlp_http/sentry]\n',
    );
    const shell = run(['--shell', '--dsn', 'https://abc@o1.ingest.sentry.io/2']);
    const exported = execFileSync(
      'bash',
      ['-c', `${shell.stdout}\necho "$SENTRY_OTLP_AUTH|$OTEL_PRESET_TRACES_EXPORTERS"`],
      {
        encoding: 'utf8',
      },
    );
    expect(exported).toBe('sentry sentry_key=abc|[otlp_http/sentry]\n');
  });

  it('prints nothing without a DSN and fails on a malformed one', () => {
    const none = run([]);
    expect(none.status).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('SENTRY_DSN is not set');
    const bad = run([], { SENTRY_DSN: 'https://o1.ingest.sentry.io/2' });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('is not a Sentry DSN');
  });
});
