// SPDX-License-Identifier: Apache-2.0
// node --import @otel-preset/node/register app.mjs
// Top-level await holds the app until the ESM hooks are in place (only needed on Node lines
// without in-thread module hooks; elsewhere it resolves at once).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { loadPreset } = require('./dist/load-bundle.cjs');
await loadPreset(require.resolve('./dist/index.cjs'), (preset) => preset.startFromPreload(true));
