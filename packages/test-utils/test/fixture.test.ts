// SPDX-License-Identifier: Apache-2.0
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runFixture, startFixture, stopAllFixtures } from '../src/index.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'otel-preset-fixture-'));
  await writeFile(
    join(dir, 'server.mjs'),
    [
      // The handler goes first: output to a pipe is synchronous, so the test may signal right after it.
      "process.on('SIGTERM', () => { console.log('stopping'); process.exit(3); });",
      "console.log('ready pid=' + process.pid + ' version=' + process.version + ' flag=' + (process.env.FIXTURE_FLAG ?? '-'));",
      "console.error('home=' + (process.env.HOME ?? 'unset') + ' args=' + process.argv.slice(2).join(','));",
      'setInterval(() => {}, 1000);',
    ].join('\n'),
  );
  await writeFile(join(dir, 'exit.mjs'), "console.log('bye'); process.exitCode = 7;\n");
  await writeFile(join(dir, 'hang.mjs'), "console.log('hanging'); setInterval(() => {}, 1000);\n");
});

afterEach(async () => {
  await stopAllFixtures();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('startFixture', () => {
  it('runs the script on the test Node with the merged environment', async () => {
    const fixture = startFixture({
      script: 'server.mjs',
      cwd: dir,
      args: ['--one', 'two'],
      env: { FIXTURE_FLAG: 'on', HOME: undefined },
    });
    const match = await fixture.waitForOutput(/ready pid=(\d+) version=(\S+) flag=(\S+)/);
    expect(Number(match[1])).toBe(fixture.pid);
    expect(match[2]).toBe(process.version);
    expect(match[3]).toBe('on');
    await expect(fixture.waitForOutput(/home=(\S+) args=(\S+)/)).resolves.toMatchObject({
      1: 'unset',
      2: '--one,two',
    });

    await expect(fixture.kill()).resolves.toEqual({ code: 3, signal: null });
    expect(fixture.stdout()).toContain('stopping');
  });

  it('passes node flags before the script', async () => {
    const fixture = startFixture({
      script: 'server.mjs',
      cwd: dir,
      nodeOptions: ['--max-old-space-size=64'],
    });
    await fixture.waitForOutput(/ready/);
    await fixture.kill('SIGKILL');
    await expect(fixture.exited).resolves.toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('rejects waitForOutput when the process exits first, with its output', async () => {
    const fixture = startFixture({ script: 'exit.mjs', cwd: dir });
    await expect(fixture.waitForOutput(/never/)).rejects.toThrow(
      /exited \(code 7\) before printing \/never\/[\s\S]*bye/,
    );
  });

  it('rejects waitForOutput on timeout', async () => {
    const fixture = startFixture({ script: 'hang.mjs', cwd: dir });
    // Waiting for startup first keeps a slow machine from turning this into a test of Node's boot time.
    await fixture.waitForOutput(/hanging/);
    await expect(fixture.waitForOutput(/never/, 300)).rejects.toThrow(
      /did not print \/never\/ within 300 ms[\s\S]*hanging/,
    );
  });
});

describe('runFixture', () => {
  it('returns exit status and output', async () => {
    await expect(runFixture({ script: join(dir, 'exit.mjs') })).resolves.toEqual({
      code: 7,
      signal: null,
      stdout: 'bye\n',
      stderr: '',
    });
  });

  it('kills a process that outlives the timeout and reports its output', async () => {
    // Long enough for the script to print before it is killed, even on a loaded machine.
    await expect(runFixture({ script: join(dir, 'hang.mjs'), timeoutMs: 2_000 })).rejects.toThrow(
      /did not exit within 2000 ms and was killed[\s\S]*hanging/,
    );
  });
});

describe('freePort', () => {
  it('returns a port that can be bound on 127.0.0.1', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});
