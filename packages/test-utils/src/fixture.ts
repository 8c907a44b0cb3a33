// SPDX-License-Identifier: Apache-2.0
import { type ChildProcess, spawn } from 'node:child_process';

export interface FixtureOptions {
  /** Script to run; relative paths resolve against `cwd`. */
  script: string;
  args?: string[];
  /** Merged over `process.env`; a value of `undefined` removes the variable. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Node CLI flags placed before the script, e.g. `['--import', '@otel-preset/node/register']`. */
  nodeOptions?: string[];
  /** Node binary to run; defaults to the one running the tests. */
  node?: string;
}

export interface FixtureExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Fixture {
  readonly pid: number | undefined;
  /** Settles once the process has exited and its output streams are drained. */
  readonly exited: Promise<FixtureExit>;
  stdout(): string;
  stderr(): string;
  /**
   * Resolves with the first match of `pattern` in stdout, else stderr. Rejects
   * if the process exits first or the timeout passes.
   */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends `signal` (default SIGTERM) and resolves once the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<FixtureExit>;
}

export interface RunFixtureOptions extends FixtureOptions {
  /** Defaults to 30 s; the process is killed when it passes. */
  timeoutMs?: number;
}

export interface FixtureResult extends FixtureExit {
  stdout: string;
  stderr: string;
}

const DEFAULT_OUTPUT_TIMEOUT_MS = 15_000;
const DEFAULT_RUN_TIMEOUT_MS = 30_000;

const running = new Set<Fixture>();

function childEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

function outputReport(stdout: string, stderr: string): string {
  return `--- stdout ---\n${stdout || '(empty)'}\n--- stderr ---\n${stderr || '(empty)'}`;
}

function describeExit(exit: FixtureExit): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
}

export interface ProcessOptions {
  command: string;
  args?: string[];
  /** Merged over `process.env`; a value of `undefined` removes the variable. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Names the process in error messages; defaults to the command. */
  label?: string;
}

/**
 * Spawns `script` with the Node binary running the tests (under Vitest that is
 * the pinned Node, not whatever `node` is on PATH) unless `node` names another.
 */
export function startFixture(options: FixtureOptions): Fixture {
  return startProcess({
    command: options.node ?? process.execPath,
    args: [...(options.nodeOptions ?? []), options.script, ...(options.args ?? [])],
    env: options.env,
    cwd: options.cwd,
    label: options.script,
  });
}

/** Spawns any program (a collector, a Prometheus) with the same output capture and cleanup as fixtures. */
export function startProcess(options: ProcessOptions): Fixture {
  const label = options.label ?? options.command;
  const child: ChildProcess = spawn(options.command, options.args ?? [], {
    cwd: options.cwd,
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let stdout = '';
  let stderr = '';
  let exit: FixtureExit | undefined;
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };

  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    stdout += chunk;
    notify();
  });
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
    notify();
  });

  const exited = new Promise<FixtureExit>((resolve, reject) => {
    child.once('error', (error) => {
      exit = { code: null, signal: null };
      notify();
      reject(new Error(`cannot start ${label}: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      exit = { code, signal };
      notify();
      resolve(exit);
    });
  });
  // Callers that never await `exited` must not see an unhandled rejection.
  exited.catch(() => {});

  const fixture: Fixture = {
    get pid() {
      return child.pid;
    },
    exited,
    stdout: () => stdout,
    stderr: () => stderr,

    waitForOutput(pattern, timeoutMs = DEFAULT_OUTPUT_TIMEOUT_MS) {
      // A global or sticky pattern would make match() return all matches or depend on lastIndex.
      const regex = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
      return new Promise<RegExpMatchArray>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const finish = (settle: () => void) => {
          listeners.delete(check);
          clearTimeout(timer);
          settle();
        };
        function check(): void {
          const match = stdout.match(regex) ?? stderr.match(regex);
          if (match) {
            finish(() => resolve(match));
          } else if (exit) {
            finish(() =>
              reject(
                new Error(
                  `${label} exited (${describeExit(exit!)}) before printing ${regex}\n` +
                    outputReport(stdout, stderr),
                ),
              ),
            );
          }
        }
        timer = setTimeout(() => {
          finish(() =>
            reject(
              new Error(
                `${label} did not print ${regex} within ${timeoutMs} ms\n${outputReport(stdout, stderr)}`,
              ),
            ),
          );
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },

    kill(signal = 'SIGTERM') {
      if (!exit) child.kill(signal);
      return exited;
    },
  };

  running.add(fixture);
  exited.then(
    () => running.delete(fixture),
    () => running.delete(fixture),
  );
  return fixture;
}

/** Runs `script` to completion and returns its exit status and output. */
export async function runFixture(options: RunFixtureOptions): Promise<FixtureResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
  const fixture = startFixture(options);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([fixture.exited, timedOut]);
    if (outcome === 'timeout') {
      await fixture.kill('SIGKILL');
      throw new Error(
        `${options.script} did not exit within ${timeoutMs} ms and was killed\n` +
          outputReport(fixture.stdout(), fixture.stderr()),
      );
    }
    return { ...outcome, stdout: fixture.stdout(), stderr: fixture.stderr() };
  } finally {
    clearTimeout(timer);
  }
}

/** Kills every fixture still running; meant for `afterEach`/`afterAll` so a failed test leaks no processes. */
export async function stopAllFixtures(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  await Promise.allSettled([...running].map((fixture) => fixture.kill(signal)));
}
