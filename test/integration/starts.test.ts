import { afterEach, describe, expect, it } from 'vitest';
import { committedOffsets } from '../../src/kafka/group.js';
import { sleep } from '../../src/util/sleep.js';
import { event, world, type World } from '../support/world.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** Sends these events of the seed's users to one partition. */
async function toPartition(w: World, partition: number, minutes: number[]): Promise<void> {
  const ids = ['100001', '100009', '100087'];
  await w.producer.send({
    topic: w.topic,
    acks: -1,
    messages: minutes.map((m, i) => ({
      partition,
      value: event(ids[i % 3]!, `2021-01-01 00:${String(m).padStart(2, '0')}:00`),
    })),
  });
}

async function committed(w: World): Promise<Record<number, number>> {
  const admin = w.kafka.admin();
  await admin.connect();
  try {
    return Object.fromEntries(await committedOffsets(admin, w.topic, w.group));
  } finally {
    await admin.disconnect();
  }
}

describe('where a run starts', () => {
  it("--starting-offsets as JSON (Spark's form too, -1 latest): partitions the group has no offset for start there; once it has offsets, the flag is ignored, and it says so", async () => {
    w = await world({ partitions: 2 });
    await toPartition(w, 0, [1, 2, 3, 4, 5]);
    await toPartition(w, 1, [6, 7, 8]);
    const first = await w.runOnce(['--starting-offsets', `{"${w.topic}":{"0":3,"1":-1}}`]);
    expect(first.code, first.stderr).toBe(0);
    // partition 0 from offset 3 (two events), partition 1 from its end (none)
    expect(first.stdout).toMatch(/input 2 +malformed 0/);
    expect(first.stderr).toContain(`--starting-offsets {"0":3,"1":-1}: partitions 0 at offset 3, 1 at offset 3`);
    expect(await committed(w)).toEqual({ 0: 5, 1: 3 });

    await toPartition(w, 1, [9]);
    const again = await w.runOnce(['--starting-offsets', '{"0":0,"1":0}']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/input 1 +malformed 0/);
    expect(again.stderr).toMatch(
      /warning: --starting-offsets \{"0":0,"1":0\} ignored for partitions 0,1: the group has committed offsets there and goes on from them/,
    );

    // a JSON that leaves out a partition the group has no offset for, or names one the topic lacks
    const fresh = ['--group', `${w.group}-2`, '--checkpoint', `${w.checkpoint}-2`];
    const missing = await w.runOnce([...fresh, '--starting-offsets', '{"0":0}']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /error: --starting-offsets leaves out partition 1, for which the group has no offset/,
    );
    const extra = await w.runOnce([...fresh, '--starting-offsets', '{"0":0,"1":0,"5":0}']);
    expect(extra.code).toBe(1);
    expect(extra.stderr).toMatch(
      /error: --starting-offsets names partition 5, which the topic does not have \(it has 0,1\)/,
    );
  });

  it('--starting-timestamp: the first record written at or after it, per partition; the end where none is', async () => {
    w = await world({ partitions: 2 });
    await toPartition(w, 0, [1, 2]);
    await toPartition(w, 1, [3]);
    await sleep(1500);
    const from = new Date().toISOString();
    await sleep(500);
    await toPartition(w, 0, [4, 5, 6]);
    const run = await w.runOnce(['--starting-timestamp', from]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/input 3 +malformed 0 +unmatched 0 +stale 0 +written 3/);
    expect(run.stderr).toContain(`--starting-timestamp ${from}: partitions 0 at offset 2, 1 at offset 1`);
    expect(await committed(w)).toEqual({ 0: 5, 1: 1 });
    const bad = await w.runOnce(['--starting-timestamp', 'yesterday']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/error: --starting-timestamp: "yesterday" is not a time/);
  });

  it('a replay from the start, with a new group, over events already applied writes nothing and moves nothing backwards', async () => {
    w = await world({ partitions: 2 });
    await toPartition(w, 0, [1, 2, 3, 4]);
    await toPartition(w, 1, [5, 6]);
    expect((await w.runOnce()).stdout).toMatch(/input 6 +malformed 0 +unmatched 0 +stale \d+ +written 3/);
    // a later login corrected by hand meanwhile
    await w.cql.execute(
      `UPDATE ${w.keyspace}.users SET last_login = '2021-06-01 00:00:00+0000' WHERE login_id = '100009'`,
    );
    const before = await w.lastLogins();
    const replay = await w.runOnce([
      '--group',
      `${w.group}-replay`,
      '--checkpoint',
      `${w.checkpoint}-replay`,
      '--starting-offsets',
      'earliest',
    ]);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toMatch(/input 6 +malformed 0 +unmatched 0 +stale 6 +written 0/);
    expect(await w.lastLogins()).toEqual(before);
    expect(before.get('100009')).toBe('2021-06-01T00:00:00.000Z');
  });
});
