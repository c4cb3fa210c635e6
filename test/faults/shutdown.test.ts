import { describe, expect } from 'vitest';
import { sleep } from '../../src/util/sleep.js';
import type { Spawned } from '../support/cli.js';
import { ledgerEntries } from '../support/ledger.js';
import { endOffsets, groupOffsets } from '../support/offsets.js';
import { compareWithOracle, eventJson, oracle, randomEvents, type Ev, type Originals } from '../support/oracle.js';
import { testRandom } from '../support/random.js';
import { it, type Scene, type SceneWorld } from '../support/scene.js';
import { sendAll } from '../support/world.js';

/** n random events over 20,000 users, from the test's seed (printed first). */
async function backlog(scene: Scene, n: number): Promise<{ w: SceneWorld; originals: Originals; events: Ev[] }> {
  const random = testRandom();
  const w = await scene.world({ partitions: 1, users: 20_000 });
  const { originals } = w;
  const events = randomEvents([...originals.keys()], n, random);
  await sendAll(w, events.map(eventJson));
  return { w, originals, events };
}

/**
 * Starts `run --once` (one batch as large as the backlog) and, the moment that batch starts, pauses
 * Cassandra (SIGSTOP) and sends SIGTERM: the batch is surely in progress when the signal lands.
 */
async function signalMidBatch(
  scene: Scene,
  w: SceneWorld,
  extra: string[],
): Promise<{ run: Spawned; signalledAt: number }> {
  const run = w.startRun(['--once', '-q', '--verbose', '--session-timeout', '6s', ...extra]);
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      if (!d.toString().includes('batch started')) return;
      scene.cassandra.pause();
      run.child.stderr.off('data', onData);
      resolve();
    };
    run.child.stderr.on('data', onData);
    void run.exited.then(() => reject(new Error(`run exited before its batch started: ${run.stderr()}`)));
  });
  run.child.kill('SIGTERM');
  return { run, signalledAt: Date.now() };
}

describe('graceful stop under load', () => {
  it('SIGTERM during a large batch: the batch finishes, is committed, and the run exits 0 within the shutdown timeout', async ({
    scene,
  }) => {
    const { w, originals, events } = await backlog(scene, 200_000);
    const a = w.admin;
    const { run, signalledAt } = await signalMidBatch(scene, w, []);
    await sleep(3000);
    expect(run.child.exitCode, 'still in its batch while Cassandra is paused').toBeNull();
    scene.cassandra.resume();
    const code = await run.exited;
    const tookMs = Date.now() - signalledAt;
    expect(code, run.stderr()).toBe(0);
    expect(tookMs).toBeLessThan(30_000);
    expect(run.stderr()).toMatch(/SIGTERM: finishing the current batch and committing, for up to 30s/);
    expect(await groupOffsets(a, w.group, w.topic)).toEqual(await endOffsets(a, w.topic));
    const ledger = ledgerEntries(w.checkpoint);
    expect(ledger.map((e) => e.counts?.input)).toEqual([200_000]);
    const cmp = await compareWithOracle(w, oracle(originals, events));
    expect(cmp.lost.slice(0, 5), `${cmp.lost.length} lost`).toEqual([]);
    expect(cmp.wrong.slice(0, 5), `${cmp.wrong.length} wrong`).toEqual([]);
    process.stderr.write(
      `graceful stop: exit 0 ${(tookMs / 1000).toFixed(1)} s after SIGTERM (Cassandra paused for 3 s of it)\n`,
    );
  });

  it('past --shutdown-timeout: exits non-zero, the batch in progress is not committed', async ({ scene }) => {
    const { w } = await backlog(scene, 50_000);
    const a = w.admin;
    const { run, signalledAt } = await signalMidBatch(scene, w, ['--shutdown-timeout', '3s']);
    const code = await run.exited;
    const tookMs = Date.now() - signalledAt;
    scene.cassandra.resume();
    expect(code, run.stderr()).toBe(1);
    expect(tookMs).toBeGreaterThanOrEqual(2900);
    expect(tookMs).toBeLessThan(15_000);
    expect(run.stderr()).toMatch(
      /shutdown timeout \(3s\): the batch in progress is not committed and will be read again/,
    );
    expect([...(await groupOffsets(a, w.group, w.topic)).values()]).toEqual([-1]);
    expect(ledgerEntries(w.checkpoint)).toEqual([]);
    // and the next run does it
    const again = await w.runOnce(['-q', '--session-timeout', '6s']);
    expect(again.code, again.stderr).toBe(0);
    expect(await groupOffsets(a, w.group, w.topic)).toEqual(await endOffsets(a, w.topic));
  });
});
