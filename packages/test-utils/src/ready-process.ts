// SPDX-License-Identifier: Apache-2.0
// Servers the tests spawn (a collector, a Prometheus) on ports found free a moment earlier.
import type { Fixture } from './fixture.js';
import { freePort } from './free-port.js';
import { pollUntil } from './poll.js';

/** Polls `url` until it answers 2xx; rejects at once if the process exits first. */
export async function waitUntilReady(process: Fixture, url: string, label: string, timeoutMs = 20_000) {
  let exited = false;
  void process.exited.finally(() => {
    exited = true;
  });
  const output = () => process.stdout() + process.stderr();
  const outcome = await pollUntil(
    async () => {
      if (exited) return 'exited';
      const response = await fetch(url).catch(() => undefined);
      return response?.ok ? 'ready' : undefined;
    },
    timeoutMs,
    () => `${label} was not ready within ${timeoutMs} ms:\n${output()}`,
    100,
  );
  if (outcome === 'exited') throw new Error(`${label} exited before it was ready:\n${output()}`);
}

/**
 * Starts a server on `portCount` free ports and waits until `readyUrl` answers. Another process can take
 * a port between the check and the bind; the server then exits at once and is started again on other
 * ports (three attempts).
 */
export async function startOnFreePorts(options: {
  label: string;
  portCount: number;
  start: (ports: number[]) => Fixture;
  readyUrl: (ports: number[]) => string;
}): Promise<{ process: Fixture; ports: number[] }> {
  for (let attempt = 1; ; attempt++) {
    const ports: number[] = [];
    for (let i = 0; i < options.portCount; i++) ports.push(await freePort());
    const process = options.start(ports);
    try {
      await waitUntilReady(process, options.readyUrl(ports), options.label);
      return { process, ports };
    } catch (error) {
      if (attempt >= 3 || !/address already in use/.test(String(error))) throw error;
    }
  }
}
