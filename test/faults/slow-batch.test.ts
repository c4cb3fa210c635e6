import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { sleep } from '../../src/util/sleep.js';
import { waitCommitted } from '../support/offsets.js';
import { compareWithOracle, eventJson, oracle, randomEvents } from '../support/oracle.js';
import { testRandom } from '../support/random.js';
import { it, type SceneWorld } from '../support/scene.js';
import { waitFor } from '../support/wait.js';
import { sendAll } from '../support/world.js';

async function members(w: SceneWorld): Promise<string[]> {
  const { groups } = await w.admin.describeGroups([w.group]);
  return groups[0]?.state === 'Stable' ? groups[0].members.map((m) => m.memberId) : [];
}

describe('a slow batch', () => {
  it('a 20 s Cassandra stall inside a batch keeps the run in its group: same member, every batch committed, the table right', async ({
    scene,
  }) => {
    const random = testRandom();
    const w = await scene.world({ partitions: 3, users: 2000 });
    const { admin: a, originals } = w;
    const progress = join(w.checkpoint, 'progress.jsonl');
    // the default session timeout, and batches small enough that the next one fills while the first
    // waits: the fetch loop is then held, heartbeating
    const run = w.startRun([
      '--trigger',
      '0',
      '--max-offsets-per-trigger',
      '2000',
      '--progress-json',
      progress,
      '-q',
      '--verbose',
    ]);
    await waitFor(async () => (await members(w)).length === 1, 60_000, `the run to join: ${run.stderr()}`);
    const before = await members(w);

    const events = randomEvents([...originals.keys()], 10_000, random);
    const started = () => (run.stderr().match(/batch started/g) ?? []).length;
    const n = started();
    await sendAll(w, events.map(eventJson));
    await waitFor(() => started() > n, 30_000, 'a batch to start');
    scene.cassandra.pause();
    await sleep(20_000);
    expect(await members(w)).toEqual(before);
    scene.cassandra.resume();
    await waitCommitted(a, w, 120_000);

    expect(await members(w)).toEqual(before);
    expect(run.stderr()).not.toMatch(/consuming partitions .* again|rejoining/);
    const batches = readFileSync(progress, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { batchId: number | null });
    expect(batches.length).toBeGreaterThanOrEqual(5);
    expect(batches.filter((b) => b.batchId === null)).toEqual([]);
    const cmp = await compareWithOracle(w, oracle(originals, events));
    expect(cmp.lost.slice(0, 5), `${cmp.lost.length} lost updates`).toEqual([]);
    expect(cmp.wrong.slice(0, 5), `${cmp.wrong.length} wrong rows`).toEqual([]);
  });
});
