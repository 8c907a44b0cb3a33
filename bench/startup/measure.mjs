// SPDX-License-Identifier: Apache-2.0
// Loaded first in every variant, bare included, so each pays the same small extra cost. It reports the
// process's peak RSS at the very end, after any preload has flushed on 'beforeExit', on the file descriptor
// the harness opened for it. RSS is per process, so memory held by a loader-hook worker thread is counted.
import { writeSync } from 'node:fs';

const fd = Number(process.env.BENCH_STARTUP_MEASURE_FD);

if (Number.isInteger(fd) && fd > 2) {
  process.on('exit', () => {
    // maxRSS is in KiB.
    writeSync(fd, `${JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS })}\n`);
  });
}
