// SPDX-License-Identifier: Apache-2.0
// The build replaces PRESET_VERSION with package.json's version; source runs (unit tests) see 'dev'.
declare const PRESET_VERSION: string | undefined;

export const VERSION: string = typeof PRESET_VERSION === 'string' ? PRESET_VERSION : '0.0.0-dev';
