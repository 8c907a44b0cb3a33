// SPDX-License-Identifier: Apache-2.0
// Throwaway PostgreSQL and Redis servers as local processes (Debian's postgresql and redis-server
// packages), on free ports in temporary directories. Used by the integration tests' global setup and
// by the demo runner. Each start function pushes its cleanups (stop the server, then delete its
// directory) onto the given list; run them in reverse order.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { constants } from 'node:fs';
import { access, appendFile, chown, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { freePort } from './free-port.js';

const DATABASE = 'otel_preset_test';
const START_ATTEMPTS = 3;
const PG_START_TIMEOUT_S = 60;
const READY_TIMEOUT_MS = 30_000;
const COMMAND_TIMEOUT_MS = 120_000;

interface RunAs {
  uid: number;
  gid: number;
}

export type Cleanup = () => Promise<void>;

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export async function findOnPath(name: string): Promise<string | undefined> {
  // sbin directories are often missing from PATH in minimal shells, yet that is where some packages install.
  const dirs = [
    ...(process.env.PATH ?? '').split(delimiter),
    '/usr/local/sbin',
    '/usr/local/bin',
    '/usr/sbin',
    '/usr/bin',
  ];
  for (const dir of dirs) {
    if (dir && (await isExecutable(join(dir, name)))) return join(dir, name);
  }
  return undefined;
}

async function hasServerBinaries(dir: string): Promise<boolean> {
  return (await isExecutable(join(dir, 'initdb'))) && (await isExecutable(join(dir, 'pg_ctl')));
}

/**
 * Debian keeps the server binaries in /usr/lib/postgresql/<major>/bin, off PATH;
 * pg_config knows where, unless it comes from libpq-dev alone and reports /usr/bin.
 */
async function findPostgresBinDir(): Promise<string> {
  const candidates: string[] = [];
  if (process.env.PG_BINDIR) candidates.push(process.env.PG_BINDIR);
  const pgConfig = await findOnPath('pg_config');
  if (pgConfig) {
    try {
      candidates.push(execFileSync(pgConfig, ['--bindir'], { encoding: 'utf8', stdio: 'pipe' }).trim());
    } catch {
      // A broken pg_config wrapper is no reason to give up on the other locations.
    }
  }
  try {
    const versions = (await readdir('/usr/lib/postgresql'))
      .filter((name) => /^\d+(\.\d+)?$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  } catch {
    // Not a Debian layout.
  }
  const initdb = await findOnPath('initdb');
  if (initdb) candidates.push(dirname(initdb));

  for (const dir of candidates) {
    if (await hasServerBinaries(dir)) return dir;
  }
  throw new Error(
    'PostgreSQL server binaries (initdb, pg_ctl) not found: looked in ' +
      `${candidates.length ? candidates.join(', ') : 'pg_config --bindir, /usr/lib/postgresql/*/bin and PATH'}. ` +
      "Install the Debian package 'postgresql' (apt-get install postgresql), set PG_BINDIR, " +
      'or set PG_URL to use an existing server.',
  );
}

/** PostgreSQL refuses to run as root, so when we are root its processes run as the `postgres` user. */
async function postgresRunAs(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  const entry = passwd
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === 'postgres');
  if (!entry || entry[2] === undefined || entry[3] === undefined) {
    throw new Error(
      "Running as root, and PostgreSQL refuses to run as root, but there is no 'postgres' user to run it as. " +
        "Install the Debian package 'postgresql' (it creates the user), run the tests as a non-root user, " +
        'or set PG_URL to use an existing server.',
    );
  }
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

interface RunOptions {
  runAs?: RunAs;
  cwd?: string;
  timeoutMs?: number;
}

/** Runs a command to completion; rejects with its output on failure so the setup error is self-explanatory. */
function run(command: string, args: string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.runAs ? { uid: options.runAs.uid, gid: options.runAs.gid } : {}),
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? COMMAND_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${command} could not be started: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else
        reject(
          new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit code ${code}`}):\n${output}`),
        );
    });
  });
}

/** Thrown by a readiness probe when waiting longer cannot help (the server process died). */
class GiveUp extends Error {}

async function waitUntil(what: string, deadlineMs: number, probe: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      await probe();
      return;
    } catch (error) {
      if (error instanceof GiveUp) throw error;
      if (Date.now() >= deadline) {
        throw new Error(`${what} not ready after ${deadlineMs} ms: ${(error as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Teardown is skipped when Vitest exits early (e.g. Ctrl-C); stop servers on the way out so none outlive the run. */
const exitHooks = new Set<() => void>();
process.once('exit', () => {
  for (const hook of exitHooks) hook();
});

export async function startPostgres(cleanups: Cleanup[]): Promise<string> {
  const binDir = await findPostgresBinDir();
  const runAs = await postgresRunAs();
  const root = await mkdtemp(join(tmpdir(), 'otel-preset-pg-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  if (runAs) await chown(root, runAs.uid, runAs.gid);

  const dataDir = join(root, 'data');
  const logFile = join(root, 'postgres.log');
  const pgCtl = join(binDir, 'pg_ctl');
  await run(
    join(binDir, 'initdb'),
    ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'],
    { runAs, cwd: root },
  );
  // Durability is worthless for a database deleted at teardown; skipping it makes tests faster.
  await appendFile(
    join(dataDir, 'postgresql.conf'),
    [
      '',
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${root}'`,
      'fsync = off',
      'synchronous_commit = off',
      'full_page_writes = off',
      '',
    ].join('\n'),
  );

  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await run(
        pgCtl,
        ['-D', dataDir, '-l', logFile, '-w', '-t', String(PG_START_TIMEOUT_S), '-o', `-p ${port}`, 'start'],
        { runAs, cwd: root },
      );
      break;
    } catch (error) {
      const log = await readFile(logFile, 'utf8').catch(() => '');
      // freePort() cannot reserve the port; if something grabbed it meanwhile, try another.
      if (attempt < START_ATTEMPTS && /could not bind|address already in use/i.test(log)) continue;
      throw new Error(`${(error as Error).message}\n--- ${logFile} ---\n${log}`);
    }
  }

  const stop = () =>
    run(pgCtl, ['-D', dataDir, '-m', 'fast', '-w', 'stop'], { runAs, cwd: root }).then(() => {});
  const emergencyStop = () => {
    spawnSync(pgCtl, ['-D', dataDir, '-m', 'immediate', 'stop'], { stdio: 'ignore', ...(runAs ?? {}) });
  };
  exitHooks.add(emergencyStop);
  cleanups.push(async () => {
    exitHooks.delete(emergencyStop);
    await stop();
  });

  // Loaded here, not at the top: a test that instruments pg must be the first to require it.
  const { default: pg } = await import('pg');
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await waitUntil(`PostgreSQL on 127.0.0.1:${port}`, READY_TIMEOUT_MS, async () => {
    const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2_000 });
    await client.connect();
    try {
      await client.query('SELECT 1');
    } finally {
      await client.end();
    }
  });
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
  return `postgres://postgres@127.0.0.1:${port}/${DATABASE}`;
}

function redisPing(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    socket.setTimeout(2_000, () => socket.destroy(new Error('PING timed out')));
    socket.once('error', reject);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (!reply.includes('\r\n')) return;
      socket.end();
      // A loading server answers -LOADING; only +PONG means it serves commands.
      if (reply.startsWith('+PONG')) resolve();
      else reject(new Error(`unexpected PING reply ${JSON.stringify(reply.trim())}`));
    });
  });
}

function stopProcess(child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function startRedis(cleanups: Cleanup[]): Promise<string> {
  const redisServer = await findOnPath('redis-server');
  if (!redisServer) {
    throw new Error(
      "redis-server not found on PATH. Install the Debian package 'redis-server' (apt-get install redis-server), " +
        'or set REDIS_URL to use an existing server.',
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'otel-preset-redis-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawn(
      redisServer,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--daemonize',
        'no',
        '--logfile',
        '',
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const emergencyStop = () => {
      child.kill('SIGKILL');
    };
    exitHooks.add(emergencyStop);
    const stop = async () => {
      exitHooks.delete(emergencyStop);
      await stopProcess(child);
    };

    try {
      await waitUntil(`redis-server on 127.0.0.1:${port}`, READY_TIMEOUT_MS, async () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new GiveUp(`redis-server exited (${child.signalCode ?? `exit code ${child.exitCode}`})`);
        }
        await redisPing(port);
      });
      cleanups.push(stop);
      return `redis://127.0.0.1:${port}`;
    } catch (error) {
      await stop();
      if (attempt < START_ATTEMPTS && /address already in use/i.test(output)) continue;
      throw new Error(`${(error as Error).message}\n--- redis-server output ---\n${output}`);
    }
  }
}
