// SPDX-License-Identifier: Apache-2.0
// node --require @otel-preset/node/register app.cjs
const { loadPreset } = require('./dist/load-bundle.cjs');
loadPreset(require.resolve('./dist/index.cjs'), (preset) => preset.startFromPreload(false));
