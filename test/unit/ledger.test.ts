import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ledger, type LedgerEntry } from '../../src/pipeline/ledger.js';

const dir = () => mkdtempSync(join(tmpdir(), 'ls-ledger-'));
const batch = (
  topic: string,
  start: Record<string, number>,
  end: Record<string, number>,
): Omit<LedgerEntry, 'batchId'> => ({
  startedAt: new Date(0).toISOString(),
  topic,
  group: 'g',
  startOffset: start,
  endOffset: end,
  pid: 1,
});
const lines = (l: Ledger) =>
  readFileSync(l.file, 'utf8')
    .trim()
    .split('\n')
    .map((x) => JSON.parse(x) as LedgerEntry);

describe('ledger', () => {
  it('numbers entries from 0 and goes on from the last line, skipping a torn one', () => {
    const l = new Ledger(dir());
    expect(l.nextId()).toBe(0);
    expect(l.appendLocked(batch('t', { 0: 0 }, { 0: 5 }))).toBe(0);
    expect(l.appendLocked(batch('t', { 0: 5 }, { 0: 9 }))).toBe(1);
    appendFileSync(l.file, '{"batchId":2,"topic":"t","gro'); // a crash mid-append
    const again = new Ledger(l.dir);
    expect(again.last()?.batchId).toBe(1);
    // the torn line stays, the next entry starts on its own line and takes the next id
    expect(again.appendLocked(batch('t', { 0: 9 }, { 0: 12 }))).toBe(2);
    expect(again.ends('t', 'g', [0])).toEqual(new Map([[0, 12]]));
  });

  it('finds where each partition stands, reading back across chunk boundaries', () => {
    const l = new Ledger(dir());
    // partition 1 only at the start, then ~1.5 MB of partition 0 entries (several 256 KB chunks)
    l.appendLocked(batch('t', { 1: 0 }, { 1: 77 }));
    const pad = 'x'.repeat(500);
    let text = '';
    for (let i = 0; i < 3000; i++)
      text += JSON.stringify({ batchId: i + 1, ...batch('t', { 0: i }, { 0: i + 1 }), pad }) + '\n';
    appendFileSync(l.file, text);
    l.appendLocked(batch('other', { 0: 0 }, { 0: 999 }));
    expect(l.ends('t', 'g', [0, 1, 2])).toEqual(
      new Map([
        [0, 3000],
        [1, 77],
      ]),
    );
    expect(l.nextId()).toBe(3002);
    expect([...l.backwards()].length).toBe(3002);
    // a last line longer than the first (small) chunk read
    const big = Object.fromEntries(Array.from({ length: 3000 }, (_, p) => [String(p), p]));
    expect(l.appendLocked({ ...batch('t', big, big) })).toBe(3002);
    expect(l.last()?.endOffset).toEqual(big);
    expect(l.nextId()).toBe(3003);
  });

  it('reconciles with the group: a commit not recorded, offsets moved back, nothing when equal', async () => {
    const l = new Ledger(dir());
    l.appendLocked(batch('t', { 0: 0, 1: 0, 2: 0 }, { 0: 10, 1: 20, 2: 30 }));
    const none = await l.reconcile(
      't',
      'g',
      async () =>
        new Map([
          [0, 10],
          [1, 20],
          [2, 30],
        ]),
    );
    expect(none).toEqual([]);
    const noted = await l.reconcile(
      't',
      'g',
      async () =>
        new Map([
          [0, 15],
          [1, 20],
          [2, 25],
          [3, 4],
        ]),
    );
    expect(noted.map((e) => [e.batchId, e.kind, e.startOffset, e.endOffset])).toEqual([
      [1, 'recovered', { 0: 10 }, { 0: 15 }],
      [2, 'reset', { 2: 30 }, { 2: 25 }],
    ]);
    expect(lines(l).map((e) => e.batchId)).toEqual([0, 1, 2]);
    expect(l.ends('t', 'g', [0, 1, 2])).toEqual(
      new Map([
        [0, 15],
        [1, 20],
        [2, 25],
      ]),
    );
  });

  it('remembers where a new partition starts, so a first commit lost to a crash shows as a gap', async () => {
    const l = new Ledger(dir());
    // first start: nothing committed yet, the run starts both partitions at 0
    expect(
      await l.reconcile(
        't',
        'g',
        async () => new Map(),
        new Map([
          [0, 0],
          [1, 0],
        ]),
      ),
    ).toEqual([]);
    l.appendLocked(batch('t', { 0: 0 }, { 0: 50 }));
    // killed after committing partition 1 up to 30, before its ledger line
    const noted = await l.reconcile(
      't',
      'g',
      async () =>
        new Map([
          [0, 50],
          [1, 30],
        ]),
      new Map([
        [0, 50],
        [1, 30],
      ]),
    );
    expect(noted.map((e) => [e.batchId, e.kind, e.startOffset, e.endOffset])).toEqual([
      [1, 'recovered', { 1: 0 }, { 1: 30 }],
    ]);
    expect(l.starts('t', 'g')).toEqual(
      new Map([
        [0, 0],
        [1, 0],
      ]),
    );
    expect(l.starts('t', 'other')).toEqual(new Map());
  });

  it('gives the last entry of each partition, of its topic and group only', () => {
    const l = new Ledger(dir());
    l.appendLocked(batch('t', { 0: 0, 1: 0 }, { 0: 5, 1: 7 }));
    l.appendLocked(batch('t', { 0: 5 }, { 0: 9 }));
    l.appendLocked(batch('u', { 1: 0 }, { 1: 99 }));
    const last = l.lastEntries('t', 'g', [0, 1, 2]);
    expect([...last].map(([p, e]) => [p, e.batchId])).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(l.ends('t', 'g', [0, 1, 2])).toEqual(
      new Map([
        [0, 9],
        [1, 7],
      ]),
    );
  });

  it('reads a ledger written before start and end offsets were recorded', () => {
    const d = dir();
    writeFileSync(
      join(d, 'ledger.jsonl'),
      JSON.stringify({ batchId: 4, topic: 't', group: 'g', offsets: { 0: [0, 3] } }) + '\n',
    );
    const l = new Ledger(d);
    expect(l.ends('t', 'g', [0])).toEqual(new Map());
    expect(l.nextId()).toBe(5);
  });
});
