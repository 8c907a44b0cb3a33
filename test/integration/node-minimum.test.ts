// SPDX-License-Identifier: Apache-2.0
// The oldest supported Node (22.15: module.register without in-thread hooks) must instrument ESM apps
// through the off-thread loader, awaited before the app starts. CI fetches that Node with
// scripts/fetch-min-node.sh; elsewhere the suite is skipped unless you run that script.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type OtlpReceiver, startOtlpReceiver } from '@otel-preset/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestApp, startStackApp, waitForStackTrace } from './stack.js';

const MIN_NODE = fileURLToPath(new URL('../../.cache/node-22.15.0/bin/node', import.meta.url));
const available = existsSync(MIN_NODE);
if (!available)
  console.warn(`skipping the Node 22.15 suite: run scripts/fetch-min-node.sh to get ${MIN_NODE}`);

describe.skipIf(!available)('on Node 22.15, the oldest supported release', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(() => receiver.close());

  it.each([
    { script: 'stack-app.mjs', flag: '--import', hook: 'async' },
    { script: 'stack-app.cjs', flag: '--require', hook: 'none' },
  ] as const)(
    '$script under $flag traces express, pg and redis (ESM hook: $hook)',
    async ({ script, flag, hook }) => {
      receiver.reset();
      const app = startStackApp({
        script,
        flag,
        receiver,
        node: MIN_NODE,
        // Handler spans on, so the trace shows the express instrumentation works on this Node too.
        env: {
          OTEL_LOG_LEVEL: 'info',
          OTEL_SERVICE_NAME: 'min-node',
          OTEL_PRESET_EXPRESS_HANDLER_SPANS: 'true',
        },
      });
      try {
        expect((await requestApp(app, '/users/3')).status).toBe(200);
        const { server, spans } = await waitForStackTrace(receiver, '/users/:id', [
          'pg',
          'ioredis',
          'express',
        ]);
        expect(server.resource['process.runtime.version']).toBe('22.15.0');
        expect(spans.length).toBeGreaterThanOrEqual(4);
        expect(app.stderr()).toContain(`esm-hook=${hook}`);
      } finally {
        await app.kill('SIGKILL');
      }
    },
  );
});
