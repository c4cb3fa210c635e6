import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { admin, event, world, type World } from '../support/world.js';
import { groupOffsets } from '../support/offsets.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** Deletes the records of partition 0 below `offset`, as retention or kafka-delete-records.sh does. */
async function deleteBelow(w: World, offset: number): Promise<void> {
  const a = await admin(w.kafka);
  try {
    // (kafkajs' admin finds the partitions' leaders in metadata it must have loaded first)
    await a.fetchTopicMetadata({ topics: [w.topic] });
    await a.deleteTopicRecords({ topic: w.topic, partitions: [{ partition: 0, offset: String(offset) }] });
  } finally {
    await a.disconnect();
  }
}

async function committed(w: World): Promise<Record<number, number>> {
  const a = await admin(w.kafka);
  try {
    return Object.fromEntries(await groupOffsets(a, w.group, w.topic));
  } finally {
    await a.disconnect();
  }
}

const events = (n: number, minute: number) =>
  Array.from({ length: n }, (_, i) => event('100001', `2021-01-01 00:${String(minute + i).padStart(2, '0')}:00`));

const ledger = (w: World) =>
  readFileSync(join(w.checkpoint, 'ledger.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('records deleted before the group read them', () => {
  it('stop the run by default, saying what was lost; --no-fail-on-data-loss goes on, recording the skip in the ledger', async () => {
    w = await world();
    await w.send(events(4, 0));
    expect((await w.runOnce()).code).toBe(0);
    // 5 more (offsets 4..8); 4, 5 and 6 deleted before the group read them
    await w.send(events(5, 10));
    await deleteBelow(w, 7);

    const show = await runCli(['offsets', 'show', ...w.flags, '--group', w.group]);
    expect(show.stdout).toMatch(/│ 0 +│ 4 +│ 7 +│ 9 +│ 5, 3 deleted +│/);
    expect(show.stdout).toContain("partition 0: committed 4 is before the log's start 7: 3 records were deleted");

    const stopped = await w.runOnce();
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain(
      `error: data loss on topic ${w.topic}: partition 0 offsets 4-6 (3 records) were deleted (retention or ` +
        `delete-records), before group ${w.group} read them; to go on from the earliest offset that exists: ` +
        '--no-fail-on-data-loss (recorded in the ledger as lost)',
    );
    expect(stopped.stderr).not.toMatch(/^\s+at /m);
    expect(await committed(w)).toEqual({ 0: 4 });

    const on = await w.runOnce(['--no-fail-on-data-loss']);
    expect(on.code, on.stderr).toBe(0);
    expect(on.stderr).toContain(
      `warning: data loss on topic ${w.topic}: partition 0 offsets 4-6 (3 records) were deleted (retention or ` +
        `delete-records), before group ${w.group} read them; reading goes on at 7`,
    );
    // the two records still held are read, the lost ones are not input
    expect(on.stdout).toMatch(/input 2 +malformed 0/);
    const [, lost, batch] = ledger(w);
    expect(lost).toMatchObject({ kind: 'lost', startOffset: { 0: 4 }, endOffset: { 0: 7 }, count: { 0: 3 } });
    expect(batch).toMatchObject({ startOffset: { 0: 7 }, endOffset: { 0: 9 } });
    expect((await w.lastLogins()).get('100001')).toBe('2021-01-01T00:14:00.000Z');
  });

  it('an explicit --starting-offsets offset below the log start is a loss too; earliest is not', async () => {
    w = await world();
    await w.send(events(6, 0));
    await deleteBelow(w, 4);
    const asked = await w.runOnce(['--starting-offsets', '{"0":1}']);
    expect(asked.code).toBe(1);
    expect(asked.stderr).toContain(`data loss on topic ${w.topic}: partition 0 offsets 1-3 (3 records) were deleted`);
    // nothing was pinned meanwhile: the same run says it again, it does not go on as if all were well
    const again = await w.runOnce(['--starting-offsets', '{"0":1}']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`partition 0 offsets 1-3 (3 records) were deleted`);
    const earliest = await w.runOnce();
    expect(earliest.code, earliest.stderr).toBe(0);
    expect(earliest.stdout).toMatch(/input 2 +malformed 0/);
    expect(earliest.stderr).not.toContain('data loss');
  });
});
