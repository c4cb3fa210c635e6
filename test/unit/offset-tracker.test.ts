import { describe, expect, it } from 'vitest';
import { Membership, NotInGroupError } from '../../src/kafka/membership.js';
import { OffsetTracker } from '../../src/kafka/offset-tracker.js';

const m = (...e: Array<[number, number]>) => new Map(e);

describe('offset tracker: what a batch may commit', () => {
  it("commits a batch's next offsets; the move starts where the group stood before this member's first commit", () => {
    const t = new OffsetTracker();
    t.seed(m([0, 10], [1, 20]));
    t.assign([0, 1]);
    const plan = t.commitPlan(m([0, 15], [1, 22]), m([0, 10], [1, 20]));
    expect(plan.request).toEqual([
      { partition: 0, offset: 15 },
      { partition: 1, offset: 22 },
    ]);
    expect([...plan.moves]).toEqual([
      [0, [10, 15]],
      [1, [20, 22]],
    ]);
    t.commitDone(plan.moves);
    expect(t.committed(0)).toBe(15);
    // the next batch moves on from this member's own commit, whatever the batch says it began at
    expect([...t.commitPlan(m([0, 18]), m([0, 12])).moves]).toEqual([[0, [15, 18]]]);
  });

  it('leaves out partitions no longer assigned here', () => {
    const t = new OffsetTracker();
    t.assign([0]);
    const plan = t.commitPlan(m([0, 5], [1, 7]), m([0, 0], [1, 0]));
    expect(plan.request.map((r) => r.partition)).toEqual([0]);
    expect([...plan.moves.keys()]).toEqual([0]);
  });

  it("never moves a partition back past this member's own commit (a batch read again after a rebalance)", () => {
    const t = new OffsetTracker();
    t.assign([0]);
    const first = t.commitPlan(m([0, 100]), m([0, 0]));
    t.commitDone(first.moves);
    const older = t.commitPlan(m([0, 60]), m([0, 40]));
    expect(older.request).toEqual([]);
    expect(older.moves.size).toBe(0);
    expect(t.commitPlan(m([0, 100]), m([0, 90])).request).toEqual([]);
  });

  it("forgets its own commits and what it read at a rejoin: the group's offset is the truth again", () => {
    const t = new OffsetTracker();
    t.assign([0]);
    t.commitDone(t.commitPlan(m([0, 100]), m([0, 0])).moves);
    t.read(0, 120);
    expect(t.fetched().get(0)).toBe(121);
    t.assign([0, 1]);
    expect(t.fetched().size).toBe(0);
    // another member may have committed less meanwhile: a batch from 50 is committed from its start
    expect([...t.commitPlan(m([0, 60]), m([0, 50])).moves]).toEqual([[0, [50, 60]]]);
  });

  it('reads through markers past the last record only forward', () => {
    const t = new OffsetTracker();
    t.read(0, 9);
    expect(t.readThrough(0, 12)).toBe(true);
    expect(t.readThrough(0, 11)).toBe(false);
    expect(t.fetched().get(0)).toBe(12);
  });
});

describe('offset tracker: where the run stands', () => {
  it('is caught up when every assigned partition is read or committed to its end, never before the first join', () => {
    const t = new OffsetTracker();
    const end = m([0, 10], [1, 5], [2, 7]);
    expect(t.caughtUp(end)).toBe(false);
    t.seed(m([1, 5]));
    t.assign([0, 1]);
    expect(t.caughtUp(end)).toBe(false);
    t.read(0, 9);
    expect(t.caughtUp(end)).toBe(true); // partition 2 is another member's
    expect(t.notHere(end)).toEqual([2]);
    t.seed(m([2, 7]));
    expect(t.notHere(end)).toEqual([]);
  });

  it('counts lag from the committed offset to the latest high watermark, for assigned partitions only', () => {
    const t = new OffsetTracker();
    t.seed(m([0, 10], [1, 3]));
    t.assign([0]);
    t.highWatermark(0, 25);
    t.highWatermark(1, 9);
    expect([...t.lagByPartition()]).toEqual([[0, 15]]);
    t.commitDone(new Map([[0, [10, 30]]]));
    expect([...t.lagByPartition()]).toEqual([[0, 0]]);
  });
});

describe('membership: epochs', () => {
  it('lets only the epoch a batch was read in commit it, and none while out of the group', () => {
    const g = new Membership(30_000, 0);
    expect(() => g.mayCommit(g.epoch)).toThrow(NotInGroupError);
    g.joinedGroup(0);
    const e = g.epoch;
    expect(g.mayCommit(e)).toBe(true);
    g.left();
    expect(() => g.mayCommit(e)).toThrow(NotInGroupError);
    g.joinedGroup(1);
    expect(g.mayCommit(e)).toBe(false);
    expect(() => g.checkStill(e)).toThrow(NotInGroupError);
  });

  it('counts fetch silence only in the group, with partitions, not held back, and not during the first session of a rejoin', () => {
    const g = new Membership(30_000, 0);
    const busy = { holding: false, hasPartitions: true };
    expect(g.silentMs(20_000, busy)).toBe(0);
    g.joinedGroup(1_000);
    expect(g.silentMs(12_000, busy)).toBe(11_000);
    expect(g.silentMs(12_000, { ...busy, holding: true })).toBe(0);
    expect(g.silentMs(12_000, { ...busy, hasPartitions: false })).toBe(0);
    g.fetchAnswered(11_000);
    expect(g.silentMs(12_000, busy)).toBe(1_000);
    g.rebalanceStarted();
    expect(g.silentMs(40_000, busy)).toBe(0);
    expect(g.silentMs(52_000, busy)).toBe(11_000);
  });

  it('unfetched: what is left to fetch (fetched but uncommitted records are not), lag: what is left to commit', () => {
    const t = new OffsetTracker();
    t.seed(
      new Map([
        [0, 10],
        [1, 0],
      ]),
    );
    t.assign([0, 1]);
    t.highWatermark(0, 50);
    t.highWatermark(1, 5);
    expect(t.unfetched()).toEqual(
      new Map([
        [0, 40],
        [1, 5],
      ]),
    );
    t.readThrough(0, 50);
    expect(t.unfetched()).toEqual(
      new Map([
        [0, 0],
        [1, 5],
      ]),
    );
    expect(t.lagByPartition()).toEqual(
      new Map([
        [0, 40],
        [1, 5],
      ]),
    );
  });

  it('unfetched with an available-now stop: nothing is left past it, however far the high watermark', () => {
    const t = new OffsetTracker();
    t.seed(
      new Map([
        [0, 10],
        [1, 0],
      ]),
    );
    t.assign([0, 1]);
    t.highWatermark(0, 50);
    t.highWatermark(1, 5);
    const stopAt = new Map([
      [0, 30],
      [1, 8],
    ]);
    expect(t.unfetched(stopAt)).toEqual(
      new Map([
        [0, 20],
        [1, 5],
      ]),
    );
    t.readThrough(0, 30);
    expect(t.unfetched(stopAt)).toEqual(
      new Map([
        [0, 0],
        [1, 5],
      ]),
    );
  });
});
