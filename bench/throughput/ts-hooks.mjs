// SPDX-License-Identifier: Apache-2.0
// Lets the harness import the TypeScript test helpers (PostgreSQL/Redis servers, the OpenAI emulator)
// with Node's built-in type stripping. Their sources import siblings as `./x.js`, the compiled name,
// so a `.js` that does not exist next to the importer is retried as `.ts`.
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !specifier.endsWith('.js')) throw error;
      return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
    }
  },
});
