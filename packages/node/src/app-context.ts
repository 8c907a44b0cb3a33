// SPDX-License-Identifier: Apache-2.0
// What we can learn about the host app without loading any of it: where it lives, what it installed.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

export interface AppContext {
  /** Directory of the entry script (or cwd), where module resolution for the app starts. */
  dir: string;
  /** `require` as the app's entry would see it. */
  require: NodeJS.Require;
  isInstalled(pkg: string): boolean;
  /** Real path of the package directory the app would load, if any. */
  packageDir(pkg: string): string | undefined;
  /** `name` of the nearest package.json above the entry script. */
  packageName(): string | undefined;
}

function entryDir(): string {
  const script = process.argv[1];
  if (script && existsSync(script)) return dirname(resolve(script));
  return process.cwd();
}

function ancestorsOf(dir: string): string[] {
  const ancestors: string[] = [];
  for (let current = dir; ; current = dirname(current)) {
    ancestors.push(current);
    if (dirname(current) === current) return ancestors;
  }
}

/**
 * The directory of the package that `require(pkg)` from `fromDir` would load, found the way Node
 * looks up bare specifiers. A package.json check instead of require.resolve, which fails for
 * ESM-only packages and for packages whose "exports" hide package.json.
 */
export function findPackageDir(pkg: string, fromDir: string): string | undefined {
  return ancestorsOf(fromDir)
    .map((dir) => join(dir, 'node_modules', pkg))
    .find((dir) => existsSync(join(dir, 'package.json')));
}

export function appContext(): AppContext {
  const dir = entryDir();
  const ancestors = ancestorsOf(dir);
  const cache = new Map<string, string | undefined>();
  const packageDir = (pkg: string): string | undefined => {
    if (!cache.has(pkg)) cache.set(pkg, findPackageDir(pkg, dir));
    return cache.get(pkg);
  };
  return {
    dir,
    require: createRequire(join(dir, 'noop.js')),
    isInstalled: (pkg) => packageDir(pkg) !== undefined,
    packageDir,
    packageName: () => {
      for (const current of ancestors) {
        const file = join(current, 'package.json');
        if (!existsSync(file)) continue;
        try {
          const name = (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name;
          if (typeof name === 'string' && name) return name;
        } catch {
          // An unreadable package.json says nothing about the service name; keep looking upward.
        }
      }
      return undefined;
    },
  };
}
