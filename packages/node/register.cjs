// SPDX-License-Identifier: Apache-2.0
// node --require @otel-preset/node/register app.cjs
require('./dist/index.cjs').startFromPreload(false);
