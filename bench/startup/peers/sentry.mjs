// SPDX-License-Identifier: Apache-2.0
// Sentry's documented Node set-up: an instrument file loaded with `--import` that calls Sentry.init before
// the app is imported. In v11, init registers the diagnostics-channel injection hook itself, so no separate
// `--import @sentry/node/import` is needed. The DSN points at the harness's local sink.
import * as Sentry from '@sentry/node';

Sentry.init({
  dsn: process.env.SENTRY_DSN,
  tracesSampleRate: 1,
});
