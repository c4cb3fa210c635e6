import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { pidAlive } from '../../src/util/process.js';
import { BIN } from '../support/cli.js';
import { waitFor } from '../support/wait.js';
import { world, type World } from '../support/world.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** What the run printed so far. */
const said = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');

/** Stands in for npm exec: runs the command through `sh -c` (as npm does) and stays until killed. */
const LAUNCHER = `
const { spawn } = require('node:child_process');
const env = { ...process.env, ...(process.env.AS_NPX ? { npm_command: 'exec' } : {}) };
spawn('sh', ['-c', process.argv.slice(1).map((a) => "'" + a + "'").join(' ') + ' > "$OUT" 2>&1; true'], { stdio: 'ignore', env });
setInterval(() => {}, 1000);`;

/** The run's own process (not the launcher's or the shell's, whose command lines hold the same words). */
function runPid(group: string): number | undefined {
  try {
    return Number(
      execFileSync('pgrep', ['-f', `^${process.execPath} ${BIN} run .*group ${group} `], { encoding: 'utf8' })
        .trim()
        .split('\n')[0],
    );
  } catch {
    return undefined;
  }
}

async function startThroughLauncher(asNpx: boolean, out: string): Promise<{ launcher: number; run: number }> {
  const args = [BIN, 'run', ...w!.flags, '--group', w!.group, '--checkpoint', w!.checkpoint, '--trigger', '1s'];
  // (these tests may themselves run under npx: what npm set for them is not passed on)
  const env = {
    ...process.env,
    npm_command: undefined,
    LOGINSYNC_BROKERS: inject('brokers'),
    LOGINSYNC_CASSANDRA: inject('cassandra'),
    OUT: out,
    ...(asNpx ? { AS_NPX: '1' } : {}),
  };
  const launcher = spawn(process.execPath, ['-e', LAUNCHER, process.execPath, ...args], {
    env,
    stdio: 'ignore',
    detached: true,
  });
  let run: number | undefined;
  await waitFor(() => (run = runPid(w!.group)) !== undefined, 20_000, 'the run to start');
  return { launcher: launcher.pid!, run: run! };
}

describe('a run started through npx', () => {
  it('stops as on SIGTERM (finishes its batch, commits) when its launcher is killed; started otherwise, it carries on', async () => {
    w = await world();
    const out = `${w.checkpoint}.out`;
    const npx = await startThroughLauncher(true, out);
    await waitFor(() => said(out).includes('reading '), 60_000, 'the run to be ready');
    process.kill(npx.launcher, 'SIGKILL');
    await waitFor(() => !pidAlive(npx.run), 30_000, 'the run to stop after its launcher');
    expect(said(out), said(out)).toMatch(/the launcher \(npm exec, pid \d+\) has ended: stopping as on SIGTERM/);
    expect(said(out)).toMatch(/SIGTERM: finishing the current batch/);

    // not through npx (a shell that went away: nohup, setsid, a service manager): it goes on
    const direct = await startThroughLauncher(false, `${out}.2`);
    await waitFor(() => said(`${out}.2`).includes('reading '), 60_000, 'the second run to be ready');
    process.kill(direct.launcher, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 3000));
    expect(pidAlive(direct.run)).toBe(true);
    process.kill(direct.run, 'SIGTERM');
    await waitFor(() => !pidAlive(direct.run), 30_000, 'the second run to stop on SIGTERM');
  });
});
