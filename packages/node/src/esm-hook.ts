// SPDX-License-Identifier: Apache-2.0
// ESM support through import-in-the-middle, hooking only the modules our instrumentations patch:
// hooking everything costs start-up time and breaks packages IITM cannot parse.
import { register as registerLoader } from 'node:module';
import { pathToFileURL } from 'node:url';

export type EsmHookKind = 'sync' | 'async' | 'none';

export interface EsmHook {
  kind: EsmHookKind;
  /** Call once the instrumentations exist; resolves when app code may start importing. */
  finish(modules: readonly string[]): Promise<void>;
}

interface SyncHooksModule {
  register(options: { include: string[] }): void;
  supportsSyncHooks(): boolean;
}

const INLINE_SCRIPT_FLAGS = new Set(['-e', '--eval', '-p', '--print', '-pe', '-ep']);

function isInlineScript(): boolean {
  return process.execArgv.some((arg) => INLINE_SCRIPT_FLAGS.has(arg.split('=', 1)[0]!));
}

/**
 * Prefers Node's in-thread `module.registerHooks` (no loader thread, nothing to await). Older Node
 * lines get the off-thread loader, which only an ESM entry can wait for; from --require there is no
 * way to wait, so CommonJS-only instrumentation is what that combination gets.
 */
export function startEsmHook(canAwait: boolean): EsmHook {
  // `node -r … -e/-p`: Node 24 hands the in-thread hooks a bare builtin name while setting up the
  // evaluated script, and the default loader then tries to read it as a file (ENOENT 'module').
  // Inline scripts import nothing worth hooking, so they get CommonJS instrumentation only.
  if (isInlineScript()) return { kind: 'none', finish: async () => {} };
  const sync = require('import-in-the-middle/register-hooks.mjs') as SyncHooksModule;
  if (sync.supportsSyncHooks()) {
    return {
      kind: 'sync',
      finish: async (modules) => sync.register({ include: [...new Set(modules)] }),
    };
  }
  if (!canAwait) return { kind: 'none', finish: async () => {} };

  const iitm = require('import-in-the-middle') as typeof import('import-in-the-middle');
  const { registerOptions, waitForAllMessagesAcknowledged } = iitm.createAddHookMessageChannel();
  registerLoader('import-in-the-middle/hook.mjs', pathToFileURL(__filename), registerOptions);
  return { kind: 'async', finish: () => waitForAllMessagesAcknowledged() };
}
