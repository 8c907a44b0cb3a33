// SPDX-License-Identifier: Apache-2.0
// `npm run demo` after the build: bundles the demo runner (TypeScript, using the private test-utils
// package for the emulators and the local Prometheus/collector runners) into .cache/ and runs it on
// this Node. npm packages stay external and load from node_modules.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));
const outfile = `${root}.cache/demo/run.mjs`;

await build({
  entryPoints: [`${root}examples/agent-demo/run.ts`],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  logLevel: 'warning',
  plugins: [
    {
      name: 'workspace-sources',
      setup(b) {
        // The private test-utils package is TypeScript source: bundle it; everything else is a dependency.
        b.onResolve({ filter: /^@otel-preset\/test-utils$/ }, () => ({
          path: `${root}packages/test-utils/src/index.ts`,
        }));
        b.onResolve({ filter: /^[^./]/ }, (args) => ({ path: args.path, external: true }));
        // Sources find repository files relative to themselves; keep that true inside the bundle.
        b.onLoad({ filter: /\.ts$/ }, async (args) => ({
          contents: (await readFile(args.path, 'utf8')).replaceAll(
            'import.meta.url',
            JSON.stringify(pathToFileURL(args.path).href),
          ),
          loader: 'ts',
        }));
      },
    },
  ],
});

const child = spawn(process.execPath, [outfile], { stdio: 'inherit', cwd: root });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
