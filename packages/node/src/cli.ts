#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// `npx otel-preset <command>`: answers "what will the preload do with this environment?" without
// starting anything, and prepares the environment for the bundled collector.
import { appContext } from './app-context.js';
import { type PresetConfig, resolveConfig } from './config.js';
import { redactUrl } from './env.js';
import { INSTRUMENTATION_NAMES, selectInstrumentations } from './instrumentations.js';
import { sentryCollectorEnv, sentryOtlpTarget } from './sentry.js';
import { VERSION } from './version.js';

const USAGE = `Usage: otel-preset <command>

Commands:
  config     Print the configuration the preload would use here (secrets redacted), and any warnings.
  sentry-env [--dsn <dsn>] [--shell]
             Print the collector's Sentry variables for SENTRY_DSN (or --dsn) as .env lines,
             or as shell exports with --shell:  eval "$(npx otel-preset sentry-env --shell)"
  version    Print the version.
  help       Print this help.

Start an app with telemetry:  node --import @otel-preset/node/register app.js
`;

function redacted(config: PresetConfig): unknown {
  const signal = (s: PresetConfig['traces']) => ({
    ...s,
    url: redactUrl(s.url),
    headers: Object.fromEntries(Object.keys(s.headers).map((key) => [key, '<redacted>'])),
  });
  return {
    ...config,
    traces: signal(config.traces),
    metrics: { ...config.metrics, ...signal(config.metrics) },
  };
}

function sentryEnv(args: string[]): number {
  const dsnFlag = args.indexOf('--dsn');
  const dsn = dsnFlag >= 0 ? args[dsnFlag + 1] : process.env['SENTRY_DSN'];
  if (!dsn) {
    process.stderr.write('SENTRY_DSN is not set: the collector keeps traces local (debug exporter).\n');
    return 0;
  }
  if (!sentryOtlpTarget(dsn)) {
    process.stderr.write(
      `SENTRY_DSN="${redactUrl(dsn)}" is not a Sentry DSN (https://<key>@<host>/<project id>).\n`,
    );
    return 1;
  }
  const shell = args.includes('--shell');
  for (const [name, value] of Object.entries(sentryCollectorEnv(dsn))) {
    process.stdout.write(shell ? `export ${name}='${value}'\n` : `${name}=${value}\n`);
  }
  return 0;
}

function main(argv: string[]): number {
  const [command = 'help'] = argv;
  switch (command) {
    case 'config': {
      const { config, warnings } = resolveConfig({
        env: process.env,
        instrumentationNames: INSTRUMENTATION_NAMES,
      });
      const app = appContext();
      const instrumentations = selectInstrumentations(config, app.isInstalled).map((spec) => spec.name);
      process.stdout.write(
        `${JSON.stringify({ version: VERSION, instrumentations, config: redacted(config) }, null, 2)}\n`,
      );
      for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
      return 0;
    }
    case 'sentry-env':
      return sentryEnv(argv.slice(1));
    case 'version':
    case '--version':
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`Unknown command '${command}'.\n\n${USAGE}`);
      return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
