// SPDX-License-Identifier: Apache-2.0
// Loads dist/index.cjs with a V8 code cache, so the preload does not re-parse and re-compile the
// bundle at every start (about a third of its load time). Only our bundle is cached, never the app's
// modules. Everything here falls back to a plain require on any problem.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

interface InternalModule {
  exports: unknown;
  filename: string;
  loaded: boolean;
  paths: string[];
}
type ModuleStatics = typeof Module & {
  _cache: Record<string, InternalModule>;
  _nodeModulePaths(dir: string): string[];
  wrap(source: string): string;
};

// Every version of the bundle (and every Node version) gets its own cache file. Without pruning, each
// upgrade would leave its predecessor's half megabyte in the temp dir for good. Another install that is
// still in use only pays one uncached start when its file goes, so age alone decides, with a cap.
const STALE_AFTER_MS = 30 * 24 * 60 * 60 * 1000;
const MAX_CACHE_FILES = 8;

function cacheDir(): string {
  // Per user and private: a code cache is executable content.
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  const dir = join(tmpdir(), `otel-preset-${uid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

function compileWithCache(file: string, source: string): { script: Script; save: () => void } {
  const key = createHash('sha256').update(source).update(process.version).update(process.arch).digest('hex');
  const cacheFile = join(cacheDir(), `${key.slice(0, 32)}.v8cache`);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new Script((Module as ModuleStatics).wrap(source), { filename: file, cachedData });
  const save = () => {
    if (cachedData && !script.cachedDataRejected) return;
    const temporary = `${cacheFile}.${process.pid}`;
    writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
    renameSync(temporary, cacheFile);
    pruneCaches(dirname(cacheFile), cacheFile);
  };
  return { script, save };
}

/** Removes cache files (and temporaries of interrupted writes) older than a month, and the oldest past the cap. */
function pruneCaches(dir: string, current: string): void {
  const now = Date.now();
  const kept: { path: string; mtimeMs: number }[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.includes('.v8cache')) continue;
    const path = join(dir, name);
    if (path === current) continue;
    try {
      const { mtimeMs } = statSync(path);
      const temporary = !name.endsWith('.v8cache');
      // A temporary may be another process's write in progress; only a minute-old one was abandoned.
      if (now - mtimeMs > (temporary ? 60_000 : STALE_AFTER_MS)) rmSync(path, { force: true });
      else if (!temporary) kept.push({ path, mtimeMs });
    } catch {
      // Removed by another process meanwhile.
    }
  }
  kept.sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const { path } of kept.slice(MAX_CACHE_FILES - 1)) rmSync(path, { force: true });
}

/**
 * Loads dist/index.cjs (registered in require's cache, so an app that imports the package shares this
 * instance), runs `start` with its exports, then refreshes the code cache if it was missing or stale.
 */
export function loadPreset<T, R>(file: string, start: (preset: T) => R): R {
  const statics = Module as ModuleStatics;
  const existing = statics._cache[file];
  if (existing?.loaded) return start(existing.exports as T);
  let preset: T;
  let save = () => {};
  try {
    const source = readFileSync(file, 'utf8');
    const compiled = compileWithCache(file, source);
    save = compiled.save;
    const { script } = compiled;
    const dir = dirname(file);
    const mod = new Module(file) as unknown as InternalModule;
    mod.filename = file;
    mod.paths = statics._nodeModulePaths(dir);
    statics._cache[file] = mod;
    const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
    wrapper.call(mod.exports, mod.exports, Module.createRequire(file), mod, file, dir);
    mod.loaded = true;
    preset = mod.exports as T;
  } catch {
    delete statics._cache[file];
    preset = Module.createRequire(file)(file) as T;
  }
  // Written on the way out, so the cache also holds what ran after start-up: the module hooks that
  // patch the app's packages and the export path of the final flush.
  process.once('exit', () => {
    try {
      save();
    } catch {
      // A read-only or full tmpdir only costs the next start its cache.
    }
  });
  return start(preset);
}
