// SPDX-License-Identifier: Apache-2.0
// A steady trickle of requests for drills: `concurrency` loops, each waiting `pauseMs` between requests.

export interface LoadReport {
  sent: number;
  /** Responses by status; network failures count under 0. */
  statuses: Map<number, number>;
}

export interface Load {
  readonly report: LoadReport;
  /** Stops the loops and resolves once in-flight requests are done. */
  stop(): Promise<LoadReport>;
}

export function startLoad(url: () => string, options: { concurrency?: number; pauseMs?: number } = {}): Load {
  const report: LoadReport = { sent: 0, statuses: new Map() };
  let running = true;
  const count = (status: number) => report.statuses.set(status, (report.statuses.get(status) ?? 0) + 1);
  const loop = async () => {
    while (running) {
      report.sent++;
      try {
        const response = await fetch(url());
        await response.arrayBuffer();
        count(response.status);
      } catch {
        count(0);
      }
      if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  };
  const loops = Array.from({ length: options.concurrency ?? 4 }, loop);
  return {
    report,
    async stop() {
      running = false;
      await Promise.all(loops);
      return report;
    },
  };
}
