import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnCli, type Spawned } from '../support/cli.js';
import { waitFor } from '../support/wait.js';
import { world, type World, admin, sendAll } from '../support/world.js';
import { testRandom } from '../support/random.js';
import { clearScene, cassandraPause } from '../support/faults.js';
import { compareWithOracle, eventJson, oracle, randomEvents, seedUsers } from '../support/oracle.js';
import { sleep } from '../../src/util/sleep.js';
import { waitCommitted } from '../support/offsets.js';

let w: World | undefined;
let a: Admin | undefined;
let run: Spawned | undefined;
const { pause, resume } = cassandraPause();
afterEach(async () => {
  resume();
  await clearScene(run, a, w);
  [run, a, w] = [undefined, undefined, undefined];
});

async function members(): Promise<string[]> {
  const { groups } = await a!.describeGroups([w!.group]);
  return groups[0]?.state === 'Stable' ? groups[0].members.map((m) => m.memberId) : [];
}

describe('a slow batch', () => {
  it('a 20 s Cassandra stall inside a batch keeps the run in its group: same member, every batch committed, the table right', async () => {
    const random = testRandom();
    w = await world({ partitions: 3, seed: false });
    const originals = await seedUsers(w, 2000);
    a = await admin(w.kafka);
    const progress = join(w.checkpoint, 'progress.jsonl');
    // the default session timeout, and batches small enough that the next one fills while the first
    // waits: the fetch loop is then held, heartbeating
    run = spawnCli([
      'run',
      ...w.flags,
      '--group',
      w.group,
      '--checkpoint',
      w.checkpoint,
      '--trigger',
      '0',
      '--max-offsets-per-trigger',
      '2000',
      '--progress-json',
      progress,
      '-q',
      '--verbose',
    ]);
    await waitFor(async () => (await members()).length === 1, 60_000, `the run to join: ${run.stderr()}`);
    const before = await members();

    const events = randomEvents([...originals.keys()], 10_000, random);
    const started = () => (run!.stderr().match(/batch started/g) ?? []).length;
    const n = started();
    await sendAll(w, events.map(eventJson));
    await waitFor(() => started() > n, 30_000, 'a batch to start');
    pause();
    await sleep(20_000);
    expect(await members()).toEqual(before);
    resume();
    await waitCommitted(a, w, 120_000);

    expect(await members()).toEqual(before);
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
