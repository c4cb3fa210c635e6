import type { Admin } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnCli, type Spawned } from '../support/cli.js';
import { world, type World, admin, sendAll } from '../support/world.js';
import { testRandom } from '../support/random.js';
import { groupOffsets, endOffsets } from '../support/offsets.js';
import {
  compareWithOracle,
  eventJson,
  oracle,
  randomEvents,
  seedUsers,
  type Ev,
  type Originals,
} from '../support/oracle.js';
import { ledgerEntries } from '../support/ledger.js';
import { cassandraPause, clearScene } from '../support/faults.js';
import { sleep } from '../../src/util/sleep.js';

let w: World | undefined;
let a: Admin | undefined;
let run: Spawned | undefined;
const { pause, resume } = cassandraPause();
afterEach(async () => {
  resume();
  await clearScene(run, a, w);
  [run, a, w] = [undefined, undefined, undefined];
});

/** n random events over 20,000 users, from the test's seed (printed first). */
async function backlog(n: number): Promise<{ originals: Originals; events: Ev[] }> {
  const random = testRandom();
  w = await world({ partitions: 1, seed: false });
  a = await admin(w.kafka);
  const originals = await seedUsers(w, 20_000);
  const events = randomEvents([...originals.keys()], n, random);
  await sendAll(w, events.map(eventJson));
  return { originals, events };
}

/**
 * Starts `run --once` (one batch as large as the backlog) and, the moment that batch starts, pauses
 * Cassandra (SIGSTOP) and sends SIGTERM: the batch is surely in progress when the signal lands.
 */
async function signalMidBatch(extra: string[]): Promise<{ signalledAt: number }> {
  run = spawnCli([
    'run',
    '--once',
    ...w!.flags,
    '--group',
    w!.group,
    '--checkpoint',
    w!.checkpoint,
    '-q',
    '--verbose',
    '--session-timeout',
    '6s',
    ...extra,
  ]);
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      if (!d.toString().includes('batch started')) return;
      pause();
      run!.child.stderr.off('data', onData);
      resolve();
    };
    run!.child.stderr.on('data', onData);
    void run!.exited.then(() => reject(new Error(`run exited before its batch started: ${run!.stderr()}`)));
  });
  run.child.kill('SIGTERM');
  return { signalledAt: Date.now() };
}

describe('graceful stop under load', () => {
  it('SIGTERM during a large batch: the batch finishes, is committed, and the run exits 0 within the shutdown timeout', async () => {
    const { originals, events } = await backlog(200_000);
    const { signalledAt } = await signalMidBatch([]);
    await sleep(3000);
    expect(run!.child.exitCode, 'still in its batch while Cassandra is paused').toBeNull();
    resume();
    const code = await run!.exited;
    const tookMs = Date.now() - signalledAt;
    expect(code, run!.stderr()).toBe(0);
    expect(tookMs).toBeLessThan(30_000);
    expect(run!.stderr()).toMatch(/SIGTERM: finishing the current batch and committing, for up to 30s/);
    expect(await groupOffsets(a!, w!.group, w!.topic)).toEqual(await endOffsets(a!, w!.topic));
    const ledger = ledgerEntries(w!.checkpoint);
    expect(ledger.map((e) => e.counts?.input)).toEqual([200_000]);
    const cmp = await compareWithOracle(w!, oracle(originals, events));
    expect(cmp.lost.slice(0, 5), `${cmp.lost.length} lost`).toEqual([]);
    expect(cmp.wrong.slice(0, 5), `${cmp.wrong.length} wrong`).toEqual([]);
    process.stderr.write(
      `graceful stop: exit 0 ${(tookMs / 1000).toFixed(1)} s after SIGTERM (Cassandra paused for 3 s of it)\n`,
    );
  });

  it('past --shutdown-timeout: exits non-zero, the batch in progress is not committed', async () => {
    await backlog(50_000);
    const { signalledAt } = await signalMidBatch(['--shutdown-timeout', '3s']);
    const code = await run!.exited;
    const tookMs = Date.now() - signalledAt;
    resume();
    expect(code, run!.stderr()).toBe(1);
    expect(tookMs).toBeGreaterThanOrEqual(2900);
    expect(tookMs).toBeLessThan(15_000);
    expect(run!.stderr()).toMatch(
      /shutdown timeout \(3s\): the batch in progress is not committed and will be read again/,
    );
    expect([...(await groupOffsets(a!, w!.group, w!.topic)).values()]).toEqual([-1]);
    expect(ledgerEntries(w!.checkpoint)).toEqual([]);
    // and the next run does it
    const again = await w!.runOnce(['-q', '--session-timeout', '6s']);
    expect(again.code, again.stderr).toBe(0);
    expect(await groupOffsets(a!, w!.group, w!.topic)).toEqual(await endOffsets(a!, w!.topic));
  });
});
