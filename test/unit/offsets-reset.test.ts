import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs, { type Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { GroupOffsetsAdmin, isActive, moves, planReset, type ResetTarget } from '../../src/kafka/offsets.js';
import type { LogRange } from '../../src/kafka/start-offsets.js';
import { Ledger } from '../../src/pipeline/ledger.js';

// partition 0 holds 10..50 (retention deleted 0..9), 1 holds 0..7, 2 is empty
const logs = new Map<number, LogRange>([
  [0, { low: 10, high: 50 }],
  [1, { low: 0, high: 7 }],
  [2, { low: 0, high: 0 }],
]);
const committed = new Map([
  [0, 40],
  [1, 7],
]);
const fromTo = (target: ResetTarget, byTime?: Map<number, number>) =>
  planReset(target, logs, committed, byTime).map((r) => [r.partition, r.from, r.to]);

describe('offsets reset: the plan', () => {
  it('earliest, latest and a datetime move every partition, those without an offset too', () => {
    expect(fromTo({ kind: 'earliest' })).toEqual([
      [0, 40, 10],
      [1, 7, 0],
      [2, null, 0],
    ]);
    expect(fromTo({ kind: 'latest' })).toEqual([
      [0, 40, 50],
      [1, 7, 7],
      [2, null, 0],
    ]);
    // the first offset at or after the time as Kafka answers it; the end where it answers none
    expect(
      fromTo(
        { kind: 'datetime', ms: 1 },
        new Map([
          [0, 30],
          [1, 3],
        ]),
      ),
    ).toEqual([
      [0, 40, 30],
      [1, 7, 3],
      [2, null, 0],
    ]);
  });

  it('what moves: not a partition already there, and an empty partition without an offset gets one', () => {
    const rows = planReset({ kind: 'latest' }, logs, committed);
    expect(rows[1]).toMatchObject({ from: 7, to: 7, note: 'already there' });
    expect(moves(rows).map((r) => r.partition)).toEqual([0, 2]);
  });

  it('offsets: only the partitions named, the others left as they are; clamped into the log, saying so', () => {
    const rows = planReset(
      {
        kind: 'offsets',
        offsets: new Map([
          [0, 3],
          [1, 99],
        ]),
      },
      logs,
      committed,
    );
    expect(rows.map((r) => [r.partition, r.from, r.to, r.asked])).toEqual([
      [0, 40, 10, 3],
      [1, 7, 7, 99],
      [2, null, null, undefined],
    ]);
    expect(rows[0]!.note).toBe("asked 3, before the log's start: clamped to 10, 7 records deleted");
    expect(rows[1]!.note).toBe("asked 99, past the log's end: clamped to it");
    expect(rows[2]!.note).toBe('not named: left as it is');
    expect(moves(rows).map((r) => r.partition)).toEqual([0]);
    expect(fromTo({ kind: 'offsets', offsets: new Map([[1, 2]]) })).toEqual([
      [0, 40, null],
      [1, 7, 2],
      [2, null, null],
    ]);
  });

  it('offsets: naming a partition the topic lacks is an error naming --to-offsets', () => {
    expect(() =>
      planReset(
        {
          kind: 'offsets',
          offsets: new Map([
            [0, 5],
            [7, 1],
          ]),
        },
        logs,
        committed,
      ),
    ).toThrow(/--to-offsets names partition 7, which the topic does not have \(it has 0,1,2\)/);
  });

  it('shift: from the committed offset, clamped; a partition without one is left as it is, with a note', () => {
    const back = planReset({ kind: 'shift', by: -35 }, logs, committed);
    expect(back.map((r) => [r.partition, r.from, r.to, r.asked])).toEqual([
      [0, 40, 10, 5],
      [1, 7, 0, -28],
      [2, null, null, undefined],
    ]);
    expect(back[2]!.note).toBe('no committed offset to shift from: left as it is');
    expect(fromTo({ kind: 'shift', by: -2 })).toEqual([
      [0, 40, 38],
      [1, 7, 5],
      [2, null, null],
    ]);
    // -1 and -2 are offsets here, not Spark's latest and earliest
    expect(planReset({ kind: 'shift', by: -8 }, logs, committed)[1]).toMatchObject({ from: 7, to: 0, asked: -1 });
    expect(fromTo({ kind: 'shift', by: 5 })).toEqual([
      [0, 40, 45],
      [1, 7, 7],
      [2, null, null],
    ]);
  });

  it('shift: a group with no offset at all is an error', () => {
    expect(() => planReset({ kind: 'shift', by: -1 }, logs, new Map())).toThrow(
      /--shift-by: the group has no committed offset on any partition of the topic/,
    );
  });
});

describe('offsets reset: the group in use', () => {
  it('a group is in use while it has members or is not at rest', () => {
    expect(isActive({ state: 'Empty', members: [] })).toBe(false);
    expect(isActive({ state: 'Dead', members: [] })).toBe(false);
    expect(isActive({ state: 'PreparingRebalance', members: [] })).toBe(true);
    expect(isActive({ state: 'Stable', members: [{ memberId: 'm', clientId: 'c', host: 'h', partitions: [0] }] })).toBe(
      true,
    );
  });
});

/** An admin client in memory: a topic's logs, a group's offsets and state. */
function fakeAdmin(
  topic: string,
  state: { logs: Map<number, LogRange>; committed: Map<number, number>; group: string; members?: number },
): Admin {
  const admin = {
    listTopics: async () => [topic],
    fetchTopicOffsets: async () =>
      [...state.logs].map(([partition, l]) => ({
        partition,
        offset: String(l.high),
        low: String(l.low),
        high: String(l.high),
      })),
    fetchOffsets: async () => [
      {
        topic,
        partitions: [...state.logs.keys()].map((p) => ({
          partition: p,
          offset: String(state.committed.get(p) ?? -1),
          metadata: null,
        })),
      },
    ],
    describeGroups: async () => ({
      groups: [
        {
          groupId: state.group,
          protocol: '',
          protocolType: 'consumer',
          state: state.members ? 'Stable' : 'Empty',
          members: Array.from({ length: state.members ?? 0 }, (_, i) => ({
            memberId: `m${i}`,
            clientId: 'loginsync-run',
            clientHost: '/10.0.0.1',
            memberMetadata: Buffer.alloc(0),
            memberAssignment: kafkajs.AssignerProtocol.MemberAssignment.encode({
              version: 1,
              assignment: { [topic]: [i] },
              userData: Buffer.alloc(0),
            }),
          })),
        },
      ],
    }),
  };
  return admin as unknown as Admin;
}

/** A group's offsets in memory: the admin client above, and a commit that the coordinator refuses while the group has members. */
function fakeOffsets(
  topic: string,
  state: { logs: Map<number, LogRange>; committed: Map<number, number>; group: string; members?: number },
): GroupOffsetsAdmin {
  return new GroupOffsetsAdmin(fakeAdmin(topic, state), topic, state.group, ['b:9092'], async (partitions) => {
    if (state.members) throw new Error('The coordinator is not aware of this member');
    for (const p of partitions) state.committed.set(p.partition, Number(p.offset));
  });
}

describe('offsets reset: applying and recording', () => {
  it("records a reset entry that follows on in the ledger; a run's reconcile then finds nothing to add", async () => {
    const ledger = new Ledger(mkdtempSync(join(tmpdir(), 'ls-offsets-')));
    // a run read partition 0 to 40; partition 2 it started at 0 (starts.json) and never committed
    await ledger.reconcile(
      't',
      'g',
      async () => new Map([[0, 0]]),
      new Map([
        [0, 0],
        [2, 0],
      ]),
    );
    ledger.appendLocked({
      startedAt: new Date().toISOString(),
      topic: 't',
      group: 'g',
      startOffset: { 0: 0 },
      endOffset: { 0: 40 },
      pid: 1,
    });
    const state = {
      logs: new Map([
        [0, { low: 0, high: 50 }],
        [1, { low: 0, high: 7 }],
        [2, { low: 0, high: 3 }],
      ]),
      committed: new Map([[0, 40]]),
      group: 'g',
    };
    const offsets = fakeOffsets('t', state);
    const { rows } = await offsets.plan({
      kind: 'offsets',
      offsets: new Map([
        [0, 10],
        [1, 2],
        [2, 1],
      ]),
    });
    const result = await offsets.apply(rows, ledger);
    expect(result.reconciled).toEqual([]);
    // partition 1: no offset, and the ledger never had it: no start; partition 2: where the run started it
    expect(ledger.last()).toMatchObject({
      batchId: result.batchId,
      kind: 'reset',
      startOffset: { 0: 40, 2: 0 },
      endOffset: { 0: 10, 1: 2, 2: 1 },
    });
    expect(state.committed).toEqual(
      new Map([
        [0, 10],
        [1, 2],
        [2, 1],
      ]),
    );
    expect(await ledger.reconcile('t', 'g', async () => new Map(state.committed))).toEqual([]);
  });

  it('records first what the ledger lacked (offsets moved by another tool), so that the entry follows on', async () => {
    const ledger = new Ledger(mkdtempSync(join(tmpdir(), 'ls-offsets-')));
    ledger.appendLocked({
      startedAt: new Date().toISOString(),
      topic: 't',
      group: 'g',
      startOffset: { 0: 0 },
      endOffset: { 0: 40 },
      pid: 1,
    });
    const state = { logs: new Map([[0, { low: 0, high: 50 }]]), committed: new Map([[0, 45]]), group: 'g' };
    const offsets = fakeOffsets('t', state);
    const result = await offsets.apply((await offsets.plan({ kind: 'earliest' })).rows, ledger);
    expect(result.reconciled).toMatchObject([{ kind: 'recovered', startOffset: { 0: 40 }, endOffset: { 0: 45 } }]);
    expect(ledger.last()).toMatchObject({ kind: 'reset', startOffset: { 0: 45 }, endOffset: { 0: 0 } });
  });

  it('a member that joins between the check and the commit: the coordinator refuses, and the group is reported in use', async () => {
    const ledger = new Ledger(mkdtempSync(join(tmpdir(), 'ls-offsets-')));
    const state = { logs: new Map([[0, { low: 0, high: 50 }]]), committed: new Map([[0, 45]]), group: 'g', members: 0 };
    const offsets = new GroupOffsetsAdmin(fakeAdmin('t', state), 't', 'g', ['b:9092'], async () => {
      state.members = 1;
      throw new Error('The coordinator is not aware of this member');
    });
    const { rows } = await offsets.plan({ kind: 'earliest' });
    await expect(offsets.apply(rows, ledger)).rejects.toThrow(/group g is in use \(state Stable, members m0/);
    expect(state.committed).toEqual(new Map([[0, 45]]));
    expect(ledger.last()).toBeUndefined();
  });

  it('refuses while the group has members, naming them, and moves nothing', async () => {
    const ledger = new Ledger(mkdtempSync(join(tmpdir(), 'ls-offsets-')));
    const state = { logs: new Map([[0, { low: 0, high: 50 }]]), committed: new Map([[0, 45]]), group: 'g', members: 1 };
    const offsets = fakeOffsets('t', state);
    const { rows, activity } = await offsets.plan({ kind: 'earliest' });
    expect(activity.members).toEqual([
      { memberId: 'm0', clientId: 'loginsync-run', host: '10.0.0.1', partitions: [0] },
    ]);
    await expect(offsets.apply(rows, ledger)).rejects.toThrow(
      /group g is in use \(state Stable, members m0 \(client loginsync-run on 10\.0\.0\.1\)\)/,
    );
    expect(state.committed).toEqual(new Map([[0, 45]]));
    expect(ledger.last()).toBeUndefined();
  });
});
