// SPDX-License-Identifier: Apache-2.0
// Builds one instrumentation package (run from its directory): dist/index.cjs for require(),
// dist/index.mjs for import and for the preset's bundler (declarations: tsc -p tsconfig.build.json).
// Dependencies stay external, so the instrumentation shares @opentelemetry/api and
// @opentelemetry/instrumentation with whatever SDK loads it.
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';

const dir = process.cwd();
const { version } = createRequire(join(dir, 'package.json'))('./package.json');
rmSync(join(dir, 'dist'), { recursive: true, force: true });

const common = {
  entryPoints: [join(dir, 'src/index.ts')],
  bundle: true,
  packages: 'external',
  platform: 'node',
  target: 'node22',
  define: { PACKAGE_VERSION: JSON.stringify(version) },
  sourcemap: 'external',
  legalComments: 'none',
  logLevel: 'warning',
};
await build({ ...common, format: 'cjs', outfile: join(dir, 'dist/index.cjs') });
await build({ ...common, format: 'esm', outfile: join(dir, 'dist/index.mjs') });
