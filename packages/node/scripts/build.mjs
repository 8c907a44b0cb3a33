// SPDX-License-Identifier: Apache-2.0
// Bundles the preset into one CommonJS file: one compile instead of hundreds of module loads at
// start-up. The OTel API and the module-hook libraries stay external because they must be shared
// with the app and with other instrumentation packages; two copies of either split their state.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

await build({
  entryPoints: { index: join(root, 'src/index.ts'), 'load-bundle': join(root, 'src/load-bundle.ts') },
  outdir: join(root, 'dist'),
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  external: ['@opentelemetry/api', 'import-in-the-middle', 'require-in-the-middle'],
  define: { PRESET_VERSION: JSON.stringify(version) },
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});
