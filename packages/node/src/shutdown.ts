// SPDX-License-Identifier: Apache-2.0
// Flush on the way out without changing how the app exits. Adding a SIGTERM listener removes Node's
// default "terminate" action, so when ours is the only listener we flush (bounded), remove ourselves
// and re-raise the signal: the process dies of it exactly as it would have without us. When the app
// has its own listener, exit is the app's business and we only flush.
import { log } from './logging.js';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Resolves when `work` settles or after `timeoutMs`, whichever is first; never rejects. The timer is
 * deliberately ref'd: export sockets are unref'd, so during a flush this timer is what keeps an
 * exiting process alive long enough to deliver, and it bounds that wait.
 */
export function withTimeout(work: Promise<unknown>, timeoutMs: number, what: string): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      log.warn(`${what} did not finish within ${timeoutMs} ms; continuing without it.`);
      resolve();
    }, timeoutMs);
    work.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (error: unknown) => {
        clearTimeout(timer);
        log.warn(`${what} failed:`, error);
        resolve();
      },
    );
  });
}

export interface ShutdownHooks {
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export function installShutdownHandlers(hooks: ShutdownHooks, timeoutMs: number): () => void {
  const onBeforeExit = () => {
    void withTimeout(hooks.shutdown(), timeoutMs, 'telemetry shutdown');
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (process.listenerCount(signal) > 1) {
      void withTimeout(hooks.flush(), timeoutMs, `telemetry flush on ${signal}`);
      return;
    }
    void withTimeout(hooks.shutdown(), timeoutMs, `telemetry shutdown on ${signal}`).then(() => {
      uninstall();
      process.kill(process.pid, signal);
    });
  };
  const uninstall = () => {
    process.removeListener('beforeExit', onBeforeExit);
    for (const signal of SIGNALS) process.removeListener(signal, onSignal);
  };
  process.once('beforeExit', onBeforeExit);
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return uninstall;
}
