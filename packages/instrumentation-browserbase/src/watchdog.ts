// SPDX-License-Identifier: Apache-2.0
// Runs the session tracker's tick while sessions are open. The timer is unref'd: a watchdog must
// never be the reason a process stays alive, and it stops entirely when no session is open.

export class Watchdog {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly tick: () => void,
    private readonly periodMs: () => number,
  ) {}

  get running(): boolean {
    return this.timer !== undefined;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      try {
        this.tick();
      } catch {
        // A broken tick must not become an uncaught exception in the host app.
      }
    }, this.periodMs());
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/**
 * A quarter of the stuck threshold, so a session is flagged at most 25% late, between 50 ms (tests
 * use thresholds of a second or less) and 15 s (expiry and accrued cost stay reasonably fresh).
 */
export const watchdogPeriodMs = (stuckAfterMs: number): number =>
  Math.min(15_000, Math.max(50, Math.floor(stuckAfterMs / 4)));
