// SPDX-License-Identifier: Apache-2.0
// The build replaces PACKAGE_VERSION with package.json's version; source runs (unit tests) see a dev tag.
declare const PACKAGE_VERSION: string | undefined;

export const PACKAGE_NAME = '@otel-preset/instrumentation-bullmq';
export const VERSION: string = typeof PACKAGE_VERSION === 'string' ? PACKAGE_VERSION : '0.0.0-dev';
