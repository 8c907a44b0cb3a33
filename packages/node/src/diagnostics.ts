// SPDX-License-Identifier: Apache-2.0
// Start-up checks for the mistakes that silently lose telemetry, and the redacted start-up summary.
import { readFileSync, realpathSync } from 'node:fs';
import { sep } from 'node:path';
import { type AppContext, findPackageDir } from './app-context.js';
import type { PresetConfig } from './config.js';
import { redactUrl } from './env.js';
import { log } from './logging.js';
import type { ResolvedService } from './resource.js';
import { VERSION } from './version.js';

/** Packages whose instrumentation must be in place before the app loads them. */
export function warnIfLoadedEarly(packages: readonly string[]): void {
  const loaded = Object.keys(require.cache);
  for (const pkg of packages) {
    const marker = `${sep}node_modules${sep}${pkg}${sep}`;
    if (loaded.some((file) => file.includes(marker))) {
      log.warn(
        `'${pkg}' was loaded before the preset started, so it is not instrumented. ` +
          `Start the app with 'node --import @otel-preset/node/register' (or --require) instead of importing the preset in code.`,
      );
    }
  }
}

function realDir(dir: string | undefined): string | undefined {
  try {
    return dir === undefined ? undefined : realpathSync(dir);
  } catch {
    return undefined;
  }
}

function versionAt(dir: string): string {
  try {
    return (JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as { version?: string }).version ?? '?';
  } catch {
    return '?';
  }
}

/**
 * Two copies of the API split the global registry by version; two copies of the ESM hook library
 * mean hooks registered on one are never seen by the other. Both fail silently, so say it loudly.
 */
export function warnIfDuplicated(app: AppContext, packages: readonly string[]): void {
  for (const pkg of packages) {
    // __dirname is the bundle's directory: what the preset itself loads for `pkg`.
    const ours = realDir(findPackageDir(pkg, __dirname));
    const theirs = realDir(app.packageDir(pkg));
    if (ours && theirs && theirs !== ours) {
      log.warn(
        `two copies of ${pkg}: ${theirs} (${versionAt(theirs)}) used by the app and ${ours} ` +
          `(${versionAt(ours)}) used by the preset. Deduplicate them (npm dedupe) so telemetry is not split.`,
      );
    }
  }
}

export function startupSummary(
  config: PresetConfig,
  service: ResolvedService,
  instrumentations: readonly string[],
  esmHook: string,
): string {
  const signal = (s: PresetConfig['traces']) => {
    const targets = s.enabled ? [`${redactUrl(s.url)} (${s.protocol}, ${s.compression})`] : [];
    if (s.console) targets.push('console');
    return targets.join(' + ') || 'off';
  };
  const sampler = config.sampler.name.endsWith('traceidratio')
    ? `${config.sampler.name}(${config.sampler.ratio})`
    : config.sampler.name;
  return [
    `@otel-preset/node ${VERSION} started on Node.js ${process.versions.node}:`,
    `service.name=${service.name} (from ${service.source})`,
    `traces=${signal(config.traces)}`,
    `metrics=${signal(config.metrics)} every ${config.metrics.intervalMs} ms`,
    `sampler=${sampler}`,
    `instrumentations=${instrumentations.join(',') || 'none'}`,
    `esm-hook=${esmHook}`,
    `headers=${Object.keys(config.traces.headers).join(',') || 'none'} (values redacted)`,
  ].join(' ');
}
