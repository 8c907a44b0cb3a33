// SPDX-License-Identifier: Apache-2.0
// Loaded into the server by `profile.mjs --allocations`: the first SIGUSR2 starts V8's sampling heap
// profiler, counting objects that minor and major GCs have already freed (that garbage is what makes
// the young generation grow), and the second writes the profile to BENCH_PROFILE_DIR.
// With BENCH_SURVIVORS=1 objects freed by a scavenge are left out: what remains was promoted to (or
// allocated in) the old generation, whose growth costs major GCs and memory.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const session = new Session();
session.connect();
let sampling = false;
process.on('SIGUSR2', () => {
  if (!sampling) {
    sampling = true;
    session.post('HeapProfiler.startSampling', {
      samplingInterval: 512,
      includeObjectsCollectedByMinorGC: process.env.BENCH_SURVIVORS !== '1',
      includeObjectsCollectedByMajorGC: true,
    });
    return;
  }
  session.post('HeapProfiler.stopSampling', (error, result) => {
    if (error) throw error;
    writeFileSync(
      join(process.env.BENCH_PROFILE_DIR, 'allocations.heapprofile'),
      JSON.stringify(result.profile),
    );
  });
});
