import { describe, expect, it } from 'vitest';
import { collapse } from '../../src/pipeline/collapse.js';
import { decide, planWrites, reconcile } from '../../src/pipeline/plan.js';
import type { Stored } from '../../src/pipeline/ports.js';

const T = (iso: string) => Date.parse(iso);
const ev = (id: string, time: string, offset: number) => ({ id, timeMs: T(time), partition: 0, offset });

describe('the write rule', () => {
  const wt = 1_600_000_000_000_000n;

  it('skips events not newer than the stored value', () => {
    expect(decide({ id: 'a', timeMs: 5 }, { lastLogin: 5, writetime: wt }).action).toBe('stale');
    expect(decide({ id: 'a', timeMs: 4 }, { lastLogin: 5, writetime: wt }).action).toBe('stale');
    expect(
      decide({ id: 'a', timeMs: T('1960-01-01T00:00:00Z') }, { lastLogin: T('2020-01-01T00:00:00Z'), writetime: wt })
        .action,
    ).toBe('stale');
  });

  it('writes a newer event at the stored write timestamp', () => {
    expect(decide({ id: 'a', timeMs: 6 }, { lastLogin: 5, writetime: wt })).toEqual({
      action: 'update',
      id: 'a',
      timeMs: 6,
      writetime: wt,
    });
    expect(
      decide({ id: 'a', timeMs: T('1960-06-01T00:00:00Z') }, { lastLogin: T('1950-01-01T00:00:00Z'), writetime: wt }),
    ).toMatchObject({ action: 'update', writetime: wt });
  });

  it('writes at +1 when a time from 1970 on replaces one before 1970', () => {
    expect(
      decide({ id: 'a', timeMs: T('2020-01-01T00:00:00Z') }, { lastLogin: T('1960-01-01T00:00:00Z'), writetime: wt }),
    ).toMatchObject({ action: 'update', writetime: wt + 1n });
    expect(decide({ id: 'a', timeMs: 0 }, { lastLogin: -1, writetime: wt })).toMatchObject({
      action: 'update',
      writetime: wt + 1n,
    });
  });

  it('sets an empty cell with a transaction', () => {
    expect(decide({ id: 'a', timeMs: 6 }, { lastLogin: null, writetime: null }).action).toBe('set-if-null');
  });

  /**
   * The property the rule exists for: however the writes of racing processes (each having read the
   * same stored cell) land, Cassandra's reconciliation ends on the maximum time. Checked against a
   * model of the reconciliation, for times on both sides of 1970.
   */
  it('ends on the latest time whatever order racing writes land in', () => {
    const times = [
      '1950-01-01',
      '1960-01-01',
      '1969-12-31',
      '1970-01-01',
      '1999-01-01',
      '2020-09-09',
      '2038-01-20',
    ].map((d) => T(`${d}T00:00:00Z`));
    for (const stored of times) {
      const cell = { ts: wt, value: stored };
      const writes = times
        .map((t) => decide({ id: 'a', timeMs: t }, { lastLogin: stored, writetime: wt }))
        .flatMap((d) => (d.action === 'update' ? [{ ts: d.writetime, value: d.timeMs }] : []));
      const expected = Math.max(stored, ...times);
      const rotations = writes.map((_, k) => [...writes.slice(k), ...writes.slice(0, k)]);
      for (const order of [...rotations, ...rotations.map((r) => [...r].reverse())]) {
        const end = order.reduce((acc, w) => reconcile(acc, w), cell);
        expect(end.value).toBe(expected);
      }
    }
  });

  it('shows why a plain shared timestamp is not enough before 1970', () => {
    // same timestamp, 1960 vs 2020: the unsigned byte order keeps 1960
    expect(
      reconcile({ ts: wt, value: T('1960-01-01T00:00:00Z') }, { ts: wt, value: T('2020-01-01T00:00:00Z') }).value,
    ).toBe(T('1960-01-01T00:00:00Z'));
  });
});

describe('planWrites: the write rule over a batch', () => {
  const stored = new Map<string, Stored>([
    ['a', { lastLogin: T('2020-01-01T00:00:00Z'), writetime: 1_000n }],
    ['b', { lastLogin: T('2021-01-01T00:00:00Z'), writetime: 2_000n }],
    ['c', { lastLogin: null, writetime: null }],
    ['old', { lastLogin: T('1960-01-01T00:00:00Z'), writetime: 3_000n }],
  ]);

  it('sorts each id into update, set-if-null, stale or unmatched, and counts events, not ids', () => {
    const batch = collapse([
      ev('a', '2020-06-01T00:00:00Z', 0),
      ev('a', '2020-03-01T00:00:00Z', 1),
      ev('a', '2020-06-01T00:00:00Z', 2),
      ev('b', '2020-06-01T00:00:00Z', 3),
      ev('c', '2020-06-01T00:00:00Z', 4),
      ev('c', '2020-05-01T00:00:00Z', 5),
      ev('x', '2020-06-01T00:00:00Z', 6),
      ev('x', '2020-07-01T00:00:00Z', 7),
    ]);
    const p = planWrites(batch.values(), (id) => stored.get(id));
    expect(p.updates).toEqual([{ id: 'a', timeMs: T('2020-06-01T00:00:00Z'), writetime: 1_000n }]);
    expect(p.ifNull.map((c) => [c.id, c.count])).toEqual([['c', 2]]);
    expect(p.unmatchedIds).toEqual(['x']);
    expect({ written: p.written, stale: p.stale, unmatched: p.unmatched }).toEqual({
      written: 1,
      stale: 2 + 1,
      unmatched: 2,
    });
  });

  it('writes with the stored write timestamp, and one more when a time from 1970 on replaces an earlier one', () => {
    const p = planWrites(
      collapse([ev('old', '1999-01-01T00:00:00Z', 0), ev('b', '2022-01-01T00:00:00Z', 1)]).values(),
      (id) => stored.get(id),
    );
    expect(p.updates.map((u) => [u.id, u.writetime])).toEqual([
      ['old', 3_001n],
      ['b', 2_000n],
    ]);
  });

  it('never plans a time equal to or older than the stored one', () => {
    const p = planWrites(collapse([ev('b', '2021-01-01T00:00:00Z', 0)]).values(), (id) => stored.get(id));
    expect(p.updates).toEqual([]);
    expect(p.stale).toBe(1);
  });
});
