import { describe, expect, it } from 'vitest';
import { PartitionStalls } from '../../src/kafka/stalls.js';
import { RunEvents, type RunEvent } from '../../src/pipeline/events.js';
import { HealthMonitor } from '../../src/pipeline/monitor.js';

const lag = (entries: Array<[number, number]>) => new Map(entries);

describe('stalled partitions (a leader gone while the other brokers answer)', () => {
  it('a partition that lags with no records for the limit, while others have records, is stalled', () => {
    const s = new PartitionStalls(10_000);
    s.assigned([0, 1, 2], 0);
    s.arrived(1, 5_000);
    s.arrived(2, 9_000);
    expect(
      s.stalled(
        9_999,
        lag([
          [0, 5],
          [1, 5],
          [2, 0],
        ]),
        true,
      ),
    ).toEqual([]);
    // partition 2 has nothing to read: never stalled, however long it waits
    expect(
      s.stalled(
        10_000,
        lag([
          [0, 5],
          [1, 5],
          [2, 0],
        ]),
        true,
      ),
    ).toEqual([0]);
    expect(
      s.stalled(
        15_000,
        lag([
          [0, 5],
          [1, 5],
          [2, 0],
        ]),
        true,
      ),
    ).toEqual([0, 1]);
    s.arrived(0, 16_000);
    expect(
      s.stalled(
        16_000,
        lag([
          [0, 5],
          [1, 5],
        ]),
        true,
      ),
    ).toEqual([1]);
  });

  it('no records anywhere for the limit (a loop held by a slow batch, every broker gone) is no stall; a rejoin restarts the clocks', () => {
    const s = new PartitionStalls(10_000);
    s.assigned([0, 1], 0);
    s.arrived(1, 3_000);
    expect(
      s.stalled(
        12_999,
        lag([
          [0, 5],
          [1, 5],
        ]),
        true,
      ),
    ).toEqual([0]);
    expect(
      s.stalled(
        13_000,
        lag([
          [0, 5],
          [1, 5],
        ]),
        true,
      ),
    ).toEqual([]);
    // rejoining: nothing is fetched on purpose
    expect(
      s.stalled(
        14_000,
        lag([
          [0, 5],
          [1, 5],
        ]),
        false,
      ),
    ).toEqual([]);
    s.arrived(1, 20_000);
    expect(
      s.stalled(
        23_999,
        lag([
          [0, 5],
          [1, 5],
        ]),
        true,
      ),
    ).toEqual([]);
    expect(
      s.stalled(
        24_000,
        lag([
          [0, 5],
          [1, 5],
        ]),
        true,
      ),
    ).toEqual([0]);
    s.assigned([3], 30_000);
    expect(
      s.stalled(
        35_000,
        lag([
          [0, 5],
          [3, 5],
        ]),
        true,
      ),
    ).toEqual([]);
  });

  it('the monitor reports a stall once, when it starts, and its end with every partition it held', () => {
    const events: RunEvent[] = [];
    const source = {
      stalled: [] as number[],
      silentMs: () => 0,
      lagByPartition: () =>
        lag([
          [0, 100],
          [3, 50],
          [1, 7],
        ]),
      stalledPartitions() {
        return this.stalled;
      },
    };
    const m = new HealthMonitor(
      new RunEvents().on((e) => events.push(e)),
      source,
      () => {},
      {},
    );
    const seen = () => events.filter((e) => e.type === 'partitions-stalled' || e.type === 'partitions-resumed');
    m.tick(1_000);
    source.stalled = [0, 3];
    m.tick(2_000);
    m.tick(3_000);
    source.stalled = [0, 1, 3];
    m.tick(4_000);
    source.stalled = [1];
    m.tick(12_000);
    source.stalled = [];
    m.tick(13_000);
    source.stalled = [3];
    m.tick(40_000);
    source.stalled = [];
    m.tick(41_000);
    expect(seen()).toEqual([
      { type: 'partitions-stalled', partitions: [0, 3], lag: 150, stalledMs: 10_000 },
      // from 10 s before the first report to the end: 21 s without records
      { type: 'partitions-resumed', partitions: [0, 1, 3], afterMs: 21_000 },
      { type: 'partitions-stalled', partitions: [3], lag: 50, stalledMs: 10_000 },
      { type: 'partitions-resumed', partitions: [3], afterMs: 11_000 },
    ]);
  });
});
