// SPDX-License-Identifier: Apache-2.0
// Benchmark-only packages live in bench/peers with their own lockfile: the Elastic distribution needs
// OpenTelemetry 2.x, which the root workspace overrides to 3.x. Installed on first use.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const PEERS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'peers');
const REQUIRED = ['undici', '@elastic/opentelemetry-node'];

export function ensurePeers() {
  if (REQUIRED.every((name) => existsSync(join(PEERS_DIR, 'node_modules', name, 'package.json')))) return;
  process.stderr.write(`installing benchmark peers into ${PEERS_DIR} (npm ci)...\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci', '--prefix', PEERS_DIR, '--no-audit', '--no-fund'], {
    stdio: 'inherit',
  });
  if (result.status !== 0)
    throw new Error(`npm ci --prefix ${PEERS_DIR} failed (${result.status ?? result.signal})`);
}

/** File URL of a peer package's file, for `--import` and dynamic `import()`. */
export function peerUrl(...path) {
  return pathToFileURL(join(PEERS_DIR, 'node_modules', ...path)).href;
}
